//! OAuth 2.0 client credentials towards SmartRecruiters.
//!
//! Two levels (SmartRecruiters' "Integration Workflow"): the partner-level
//! (master) `clientId`/`clientSecret` SmartRecruiters issues once to the
//! vendor, used to set up each customer's integration; and the
//! customer-level credentials SmartRecruiters creates for each company
//! during that setup, used for the result write-back. Both are exchanged for
//! an access token at the token endpoint with
//! `grant_type=client_credentials` (form body, RFC 6749 §4.4); the token is
//! cached per client id until shortly before `expires_in` runs out.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ats_core::auth::SecretStore;
use ats_core::client::{Auth, HttpClient, ProviderMessage};
use ats_core::{Clock, Error, PreparedRequest, Secret, TenantId};
use chrono::{DateTime, Duration, Utc};
use http::Method;
use url::Url;

use crate::wire::TokenResponse;

/// The provider's name for the token call.
pub const TOKEN: &str = "oauth.token";

/// A token is renewed this long before it expires.
pub const EXPIRY_MARGIN_SECS: i64 = 60;

/// An OAuth client id and secret. `Debug` shows the id only.
#[derive(Clone)]
pub struct ClientCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
}

impl ClientCredentials {
    /// Credentials from an id and a secret.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// Where each customer's (company's) SmartRecruiters credentials are kept.
///
/// They are created by SmartRecruiters when the customer connects
/// (`POST /integration/company/{companyId}` answers with them) and must be
/// stored durably by the vendor.
#[async_trait]
pub trait CredentialStore: Send + Sync + fmt::Debug {
    /// The credentials of `tenant`, if it is connected.
    async fn credentials_for(&self, tenant: &TenantId) -> Result<Option<ClientCredentials>, Error>;
}

/// A [`CredentialStore`] over two per-tenant [`SecretStore`]s, one for the
/// client ids and one for the secrets: how a durable server keeps them
/// (each sealed in its store). A tenant is connected when both are there.
#[derive(Debug, Clone)]
pub struct StoredCredentials {
    client_ids: Arc<dyn SecretStore>,
    client_secrets: Arc<dyn SecretStore>,
}

impl StoredCredentials {
    /// Credentials read from `client_ids` and `client_secrets`.
    pub fn new(client_ids: Arc<dyn SecretStore>, client_secrets: Arc<dyn SecretStore>) -> Self {
        Self {
            client_ids,
            client_secrets,
        }
    }
}

#[async_trait]
impl CredentialStore for StoredCredentials {
    async fn credentials_for(&self, tenant: &TenantId) -> Result<Option<ClientCredentials>, Error> {
        let Some(id) = self.client_ids.secret_for(tenant).await? else {
            return Ok(None);
        };
        Ok(self
            .client_secrets
            .secret_for(tenant)
            .await?
            .map(|secret| ClientCredentials::new(id.expose(), secret)))
    }
}

/// A [`CredentialStore`] in memory (tests, a fixed set of customers).
#[derive(Debug, Clone, Default)]
pub struct InMemoryCredentials {
    by_tenant: HashMap<TenantId, ClientCredentials>,
}

impl InMemoryCredentials {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tenant's credentials.
    pub fn with(
        mut self,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        self.by_tenant.insert(
            TenantId::new(tenant.into()),
            ClientCredentials::new(client_id, client_secret),
        );
        self
    }

    /// Whether no tenant is stored.
    pub fn is_empty(&self) -> bool {
        self.by_tenant.is_empty()
    }
}

#[async_trait]
impl CredentialStore for InMemoryCredentials {
    async fn credentials_for(&self, tenant: &TenantId) -> Result<Option<ClientCredentials>, Error> {
        Ok(self.by_tenant.get(tenant).cloned())
    }
}

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    expires_at: DateTime<Utc>,
}

/// Access tokens by client id, kept until [`EXPIRY_MARGIN_SECS`] before
/// they expire. Cloning shares the cache.
#[derive(Clone, Default)]
pub struct TokenCache {
    tokens: Arc<Mutex<HashMap<String, CachedToken>>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.tokens.lock().map(|t| t.len()).unwrap_or_default();
        write!(f, "TokenCache({n} tokens)")
    }
}

impl TokenCache {
    /// A valid cached token for `client_id` at `now`.
    pub fn get(&self, client_id: &str, now: DateTime<Utc>) -> Option<Secret> {
        let tokens = self.tokens.lock().ok()?;
        tokens
            .get(client_id)
            .filter(|t| t.expires_at - Duration::seconds(EXPIRY_MARGIN_SECS) > now)
            .map(|t| t.token.clone())
    }

    /// Keeps a token until `expires_at`.
    pub fn put(&self, client_id: &str, token: Secret, expires_at: DateTime<Utc>) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(client_id.to_owned(), CachedToken { token, expires_at });
        }
    }

    /// Forgets the token of `client_id` (SmartRecruiters refused it).
    pub fn forget(&self, client_id: &str) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.remove(client_id);
        }
    }
}

/// The token request: `POST <token_url>` with the form body
/// `grant_type=client_credentials&client_id=…&client_secret=…`.
///
/// It carries the client secret, so it is built only when sent (never by
/// `prepare`, whose requests `ats render` prints).
pub fn token_request(
    token_url: &Url,
    credentials: &ClientCredentials,
) -> Result<PreparedRequest, Error> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", &credentials.client_id)
        .append_pair("client_secret", credentials.client_secret.expose())
        .finish();
    let mut request = PreparedRequest::new(TOKEN, Method::POST, token_url.clone())
        .header("content-type", "application/x-www-form-urlencoded")?
        .header("accept", "application/json")?
        // asking for a token twice only issues a second one
        .idempotent(true);
    request.body = body.into_bytes().into();
    Ok(request)
}

/// A token for `credentials`: the cached one, or a new one from the token
/// endpoint. Also returns the HTTP attempts spent (0 from the cache).
pub async fn access_token(
    http: &HttpClient,
    cache: &TokenCache,
    clock: &Clock,
    token_url: &Url,
    credentials: &ClientCredentials,
) -> Result<(Secret, u32), Error> {
    let now = clock.now();
    if let Some(token) = cache.get(&credentials.client_id, now) {
        return Ok((token, 0));
    }
    let request = token_request(token_url, credentials)?;
    let reply = http
        .send(&request, &Auth::None, ProviderMessage::generic)
        .await?;
    let answer: TokenResponse = reply.json()?;
    let token = answer
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Error::malformed("access_token", "the token endpoint sent no token"))?;
    if let Some(kind) = answer.token_type.as_deref()
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(Error::malformed(
            "token_type",
            format!("expected a Bearer token, got `{kind}`"),
        ));
    }
    let token = Secret::new(token);
    if let Some(secs) = answer.expires_in {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX / 2_000);
        cache.put(
            &credentials.client_id,
            token.clone(),
            now + Duration::seconds(secs.min(365 * 24 * 3600)),
        );
    }
    Ok((token, reply.attempts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test]
    async fn stored_credentials_need_both_halves() {
        use ats_core::auth::InMemoryKeys;
        let ids = InMemoryKeys::new()
            .with("acme", "sr-client-acme")
            .with("globex", "sr-client-globex");
        let secrets = InMemoryKeys::new().with("acme", "sr-secret-acme");
        let store = StoredCredentials::new(Arc::new(ids), Arc::new(secrets));
        let acme = store
            .credentials_for(&TenantId::new("acme"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(acme.client_id, "sr-client-acme");
        assert_eq!(acme.client_secret.expose(), "sr-secret-acme");
        // an id without its secret is not a connection
        for tenant in ["globex", "initech"] {
            let none = store.credentials_for(&TenantId::new(tenant)).await.unwrap();
            assert!(none.is_none(), "{tenant}");
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn token_request_bytes() {
        let url = Url::parse("https://api.smartrecruiters.com/identity/oauth/token").unwrap();
        let r = token_request(&url, &ClientCredentials::new("cid 1", "s&cret")).unwrap();
        assert_eq!(r.method, Method::POST);
        assert_eq!(
            r.url.as_str(),
            "https://api.smartrecruiters.com/identity/oauth/token"
        );
        assert_eq!(
            std::str::from_utf8(&r.body).unwrap(),
            "grant_type=client_credentials&client_id=cid+1&client_secret=s%26cret"
        );
        assert_eq!(
            r.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert!(r.idempotent);
    }

    #[test]
    fn cache_expires_with_margin() {
        let cache = TokenCache::default();
        cache.put("c", Secret::new("t"), now() + Duration::seconds(120));
        assert_eq!(
            cache.get("c", now()).map(|s| s.expose().to_owned()),
            Some("t".into())
        );
        // 60 s before expiry it is no longer handed out
        assert!(cache.get("c", now() + Duration::seconds(60)).is_none());
        assert!(cache.get("c", now() + Duration::seconds(59)).is_some());
        assert!(cache.get("other", now()).is_none());
        cache.forget("c");
        assert!(cache.get("c", now()).is_none());
    }

    #[test]
    fn debug_hides_secrets() {
        let c = ClientCredentials::new("cid", "very-secret-value");
        let shown = format!("{c:?}");
        assert!(shown.contains("cid") && !shown.contains("very-secret-value"));
        let store = InMemoryCredentials::new().with("acme", "cid", "very-secret-value");
        assert!(!format!("{store:?}").contains("very-secret-value"));
    }
}
