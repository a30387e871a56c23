//! OAuth 2.0 with Bob: the authorization URL, the code exchange, access
//! tokens per Bob company in a [`TokenStore`], and refreshes.
//!
//! Bob's Marketplace partner apps use the authorization-code grant
//! (`docs/providers/hibob.md` §2); service users are not accepted by the
//! Assessments API.
//!
//! 1. The installation starts in Bob's Marketplace (mandatory; starting it
//!    from the vendor's app with [`crate::HiBob::authorization_url`] is an
//!    optional extra). The customer approves the scopes.
//! 2. Bob calls the app's redirect URI with `code` (and `state` when the
//!    flow started at the vendor); [`crate::HiBob::exchange_code`] (or
//!    [`crate::HiBob::complete_authorization`], which checks the state
//!    first) exchanges the code at the token endpoint and stores the tokens
//!    under the company's tenant id.
//! 3. API calls carry `Authorization: Bearer <access token>`. The adapter
//!    refreshes the token shortly before it expires, and once after a
//!    `401`, with the refresh token.
//!
//! **Rotation.** A refresh may answer with a new refresh token. The new
//! pair is saved with one [`TokenStore::save`] call, and refreshes of one
//! tenant are single-flight: concurrent callers wait on a per-tenant lock,
//! then re-read the store and use the token the first caller obtained. The
//! refresh itself runs on its own task, so a caller that gives up (a
//! cancelled request) cannot drop the new refresh token between Bob's
//! answer and the save.
//!
//! **Revocation.** When the customer uninstalls the app, the token
//! endpoint refuses the refresh token (`invalid_grant`), reported as
//! [`OAuthError::ReconnectRequired`]: the customer must install the app
//! again. The token endpoint's URL, and whether refresh tokens rotate or
//! expire when unused, are *unconfirmed* (see the provider page); the URLs
//! are configurable ([`crate::HiBobBuilder::token_url`],
//! [`crate::HiBobBuilder::authorize_url`]).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use ats_core::client::ProviderMessage;
use ats_core::codec::decode_json;
use ats_core::{Clock, Error, Secret, TenantId};
use chrono::{DateTime, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenResponse,
};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use url::Url;

use crate::translate::PROVIDER;
use crate::wire::TokenError;

/// The scope the Assessments API needs (documented on every endpoint).
pub const DEFAULT_SCOPES: [&str; 1] = ["hiring.integrations:write"];

/// Token-endpoint error codes that mean the stored grant is gone (revoked,
/// expired, already rotated): only a new authorization helps.
pub const RECONNECT_CODES: [&str; 1] = ["invalid_grant"];

/// The token endpoint this adapter calls unless told otherwise
/// (*unconfirmed*: Bob's OAuth reference was not read in full; set the URL
/// from the Developer Portal with [`crate::HiBobBuilder::token_url`]).
pub const DEFAULT_TOKEN_URL: &str = "https://api.hibob.com/api/oauth2/token";

/// The authorization endpoint this adapter uses unless told otherwise
/// (*unconfirmed*, like [`DEFAULT_TOKEN_URL`]).
pub const DEFAULT_AUTHORIZE_URL: &str = "https://app.hibob.com/api/oauth2/authorize";

/// A tenant's tokens, saved and replaced as one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSet {
    /// The bearer token for API calls.
    pub access_token: Secret,
    /// The token that obtains the next access token (only issued with the
    /// authorization-code grant). Bob may replace it on a refresh.
    pub refresh_token: Option<Secret>,
    /// When the access token expires (`None`: unknown, used until a 401).
    pub expires_at: Option<DateTime<Utc>>,
    /// The scopes granted, space separated, as Bob returned them.
    pub scope: Option<String>,
}

impl TokenSet {
    /// Tokens with an access token and a refresh token expiring at `expires_at`.
    pub fn new(
        access_token: impl Into<Secret>,
        refresh_token: impl Into<Secret>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token: Some(refresh_token.into()),
            expires_at: Some(expires_at),
            scope: None,
        }
    }

    /// Whether the access token must be refreshed before use: it expires
    /// within `margin` of `now`.
    pub fn expires_within(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::MAX);
        match self.expires_at {
            Some(at) => at.signed_duration_since(now) <= margin,
            None => false,
        }
    }
}

/// Where each tenant's tokens are kept.
///
/// `save` must replace the whole [`TokenSet`] atomically: Bob rotates the
/// refresh token on every refresh, and a store that kept a new access token
/// with an old refresh token would lose the connection at the next refresh.
///
/// Within one process the adapter never refreshes one tenant twice at the
/// same time. Processes sharing one store (several instances on one
/// database) must also agree on who refreshes: a store shared that way
/// implements [`lock_refresh`](Self::lock_refresh) /
/// [`unlock_refresh`](Self::unlock_refresh) (a lease on the tenant's row),
/// and the adapter takes the lease before spending a refresh token. The
/// defaults grant it at once, which is right for a store used by one
/// process only.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The tenant's tokens, if it is connected.
    async fn load(&self, tenant: &TenantId) -> Result<Option<TokenSet>, Error>;
    /// Stores (or replaces) the tenant's tokens.
    async fn save(&self, tenant: &TenantId, tokens: TokenSet) -> Result<(), Error>;
    /// Forgets the tenant's tokens (disconnection).
    async fn remove(&self, tenant: &TenantId) -> Result<(), Error>;
    /// Takes, for at most `ttl`, the right to refresh the tenant's tokens,
    /// unless another process holds it: `Ok(false)` then, and the adapter
    /// waits for that process's new tokens instead of refreshing.
    async fn lock_refresh(&self, tenant: &TenantId, ttl: Duration) -> Result<bool, Error> {
        let _ = (tenant, ttl);
        Ok(true)
    }
    /// Gives back the right taken with [`lock_refresh`](Self::lock_refresh).
    async fn unlock_refresh(&self, tenant: &TenantId) -> Result<(), Error> {
        let _ = tenant;
        Ok(())
    }
}

/// A [`TokenStore`] in memory: for tests, and for processes that load
/// tokens from elsewhere at start. Tokens are lost when the process ends.
#[derive(Default)]
pub struct InMemoryTokenStore {
    tokens: RwLock<HashMap<TenantId, TokenSet>>,
}

impl fmt::Debug for InMemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
        let mut tenants: Vec<&TenantId> = guard.keys().collect();
        tenants.sort();
        f.debug_struct("InMemoryTokenStore")
            .field("tenants", &tenants)
            .finish()
    }
}

impl InMemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tenant's tokens.
    pub fn with(self, tenant: impl Into<String>, tokens: TokenSet) -> Self {
        self.insert(TenantId::new(tenant), tokens);
        self
    }

    /// Adds or replaces a tenant's tokens.
    pub fn insert(&self, tenant: TenantId, tokens: TokenSet) {
        self.tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant, tokens);
    }

    /// A tenant's tokens.
    pub fn get(&self, tenant: &TenantId) -> Option<TokenSet> {
        self.tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
    }
}

#[async_trait]
impl TokenStore for InMemoryTokenStore {
    async fn load(&self, tenant: &TenantId) -> Result<Option<TokenSet>, Error> {
        Ok(self.get(tenant))
    }

    async fn save(&self, tenant: &TenantId, tokens: TokenSet) -> Result<(), Error> {
        self.insert(tenant.clone(), tokens);
        Ok(())
    }

    async fn remove(&self, tenant: &TenantId) -> Result<(), Error> {
        self.tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant);
        Ok(())
    }
}

/// The vendor's OAuth app, as Bob registered it.
#[derive(Clone, Debug)]
pub struct OAuthApp {
    /// The client id Bob issued.
    pub client_id: String,
    /// The client secret Bob issued.
    pub client_secret: Secret,
    /// The redirect URI registered with Bob (must match exactly).
    pub redirect_uri: String,
}

impl OAuthApp {
    /// An app with its credentials and registered redirect URI.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
        }
    }
}

/// An authorization URL to send the customer's Super Admin to, and the
/// `state` to keep (in the session) until Bob redirects back.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    /// The URL.
    pub url: Url,
    /// The `state` in the URL; compare it with the one Bob sends back.
    pub state: Secret,
}

/// What can go wrong while connecting a customer or getting a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The `state` Bob sent back is not the one sent (or is missing).
    #[error("the authorization response's state does not match the request's")]
    StateMismatch,
    /// The redirect carried `error` instead of a code (the admin declined,
    /// or Bob refused the request).
    #[error("Bob refused the authorization: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    AuthorizationDenied {
        /// Bob's error code (`access_denied`…).
        error: String,
        /// Bob's `error_description`.
        description: Option<String>,
    },
    /// No tokens are stored for the tenant: it never connected, or
    /// disconnected.
    #[error("tenant `{tenant}` has not connected Bob: the customer must authorize the app")]
    NotConnected {
        /// The tenant.
        tenant: TenantId,
    },
    /// The stored grant is no longer valid (revoked in Bob's settings,
    /// expired after a year or 90 days unused, or already rotated): the
    /// customer must authorize the app again.
    #[error(
        "Bob no longer accepts the refresh token of tenant `{tenant}` ({reason}): the customer must reconnect Bob"
    )]
    ReconnectRequired {
        /// The tenant.
        tenant: TenantId,
        /// The token endpoint's HTTP status, when it answered.
        status: Option<u16>,
        /// The token endpoint's error code (`invalid_grant`).
        code: Option<String>,
        /// What Bob said, or why no refresh was possible.
        reason: String,
    },
    /// The adapter has no OAuth app configured, or a bad URL.
    #[error("OAuth is not configured: {0}")]
    NotConfigured(String),
    /// Anything else: a transport failure, a rate limit, a Bob 5xx, an
    /// unreadable answer, a store failure.
    #[error(transparent)]
    Other(#[from] Error),
}

impl OAuthError {
    /// Whether only a new authorization by the customer can fix it.
    pub fn reconnect_required(&self) -> bool {
        matches!(
            self,
            Self::ReconnectRequired { .. } | Self::NotConnected { .. }
        )
    }
}

impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        let message = e.to_string();
        match e {
            OAuthError::StateMismatch => Error::unauthenticated(message),
            OAuthError::AuthorizationDenied { error, .. } => Error::ProviderRejected {
                provider: PROVIDER.to_owned(),
                status: 400,
                code: Some(error),
                message,
            },
            OAuthError::NotConnected { .. } | OAuthError::NotConfigured(_) => {
                Error::config(message)
            }
            OAuthError::ReconnectRequired { status, code, .. } => Error::ProviderRejected {
                provider: PROVIDER.to_owned(),
                status: status.unwrap_or(401),
                code: Some(code.unwrap_or_else(|| RECONNECT_CODES[0].to_owned())),
                message,
            },
            OAuthError::Other(e) => e,
        }
    }
}

/// Whether an error from this adapter means the customer must authorize
/// the app again (the refresh token was refused, or none is stored).
pub fn needs_reconnect(error: &Error) -> bool {
    match error {
        Error::ProviderRejected { provider, code, .. } => {
            provider == PROVIDER
                && code
                    .as_deref()
                    .is_some_and(|c| RECONNECT_CODES.contains(&c))
        }
        Error::Config { message } => message.contains("has not connected Bob"),
        _ => false,
    }
}

type HiBobClient = oauth2::Client<
    BasicErrorResponse,
    BasicTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What [`crate::HiBob::refresh_idle_tenants`] did for one tenant.
#[derive(Debug)]
#[non_exhaustive]
pub enum IdleRefresh {
    /// The tokens were refreshed: Bob issued a new refresh token, whose
    /// 90 days of allowed idleness start now.
    Refreshed {
        /// When the new access token expires.
        expires_at: Option<DateTime<Utc>>,
    },
    /// The tokens were used recently enough: nothing was sent.
    NotIdle {
        /// When the current access token expires (it was obtained at most
        /// its lifetime, an hour by default, before).
        access_expires_at: DateTime<Utc>,
    },
    /// No tokens are stored for the tenant.
    NotConnected,
    /// Bob refused the refresh token (revoked, or already idle too long),
    /// or none is stored: the customer must authorize the app again.
    ReconnectRequired {
        /// What Bob said, or why no refresh was possible.
        reason: String,
    },
    /// The refresh failed for another reason (transport, rate limit, a
    /// Bob 5xx, the token store): try again later.
    Failed(Error),
}

/// The OAuth settings the adapter was built with.
#[derive(Clone, Debug)]
pub(crate) struct OAuthSettings {
    pub(crate) app: Option<OAuthApp>,
    pub(crate) authorize_url: Url,
    pub(crate) token_url: Url,
    pub(crate) scopes: Vec<String>,
    pub(crate) refresh_margin: Duration,
    pub(crate) request_timeout: Duration,
}

/// An access token, and how many calls to the token endpoint it took.
#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    pub(crate) token: Secret,
    pub(crate) token_calls: u32,
}

/// Issues access tokens per tenant, refreshing them single-flight.
pub(crate) struct TokenManager {
    settings: OAuthSettings,
    client: Option<HiBobClient>,
    http: TokenHttp,
    store: Arc<dyn TokenStore>,
    clock: Clock,
    locks: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("settings", &self.settings)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// Whether the adapter was given an OAuth app.
    pub(crate) fn has_app(&self) -> bool {
        self.settings.app.is_some()
    }

    pub(crate) fn new(
        settings: OAuthSettings,
        store: Arc<dyn TokenStore>,
        clock: Clock,
    ) -> Result<Self, Error> {
        let client = match &settings.app {
            Some(app) => Some(oauth_client(app, &settings)?),
            None => None,
        };
        // The token endpoint is never followed through redirects: a
        // redirect would carry the client secret and the refresh token to
        // another URL.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.request_timeout)
            .user_agent(concat!("ats-connect/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::config(format!("cannot build the OAuth HTTP client: {e}")))?;
        Ok(Self {
            settings,
            client,
            http: TokenHttp { client: http },
            store,
            clock,
            locks: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    fn client(&self) -> Result<&HiBobClient, OAuthError> {
        self.client.as_ref().ok_or_else(|| {
            OAuthError::NotConfigured("no OAuth app (client id, secret, redirect URI)".into())
        })
    }

    /// The authorization URL with `state`.
    pub(crate) fn authorization_url(&self, state: &str) -> Result<Url, OAuthError> {
        let state = state.to_owned();
        let (url, _) = self
            .client()?
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(self.settings.scopes.iter().cloned().map(Scope::new))
            .url();
        Ok(url)
    }

    /// Exchanges an authorization code and stores the tokens.
    pub(crate) async fn exchange_code(
        &self,
        tenant: &TenantId,
        code: &str,
    ) -> Result<TokenSet, OAuthError> {
        let client = self.client()?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .request_async(&self.http)
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => return Err(token_error(tenant, e, false)),
        };
        let tokens = token_set(&response, None, self.clock.now());
        if tokens.refresh_token.is_none() {
            tracing::warn!(
                provider = PROVIDER,
                %tenant,
                "Bob issued no refresh token: the connection ends when the access token expires"
            );
        }
        self.store.save(tenant, tokens.clone()).await?;
        Ok(tokens)
    }

    /// A valid access token for `tenant`, refreshed first when it expires
    /// within the margin.
    pub(crate) async fn access_token(
        self: &Arc<Self>,
        tenant: &TenantId,
    ) -> Result<AccessToken, OAuthError> {
        let tokens = self
            .store
            .load(tenant)
            .await?
            .ok_or_else(|| OAuthError::NotConnected {
                tenant: tenant.clone(),
            })?;
        if !tokens.expires_within(self.clock.now(), self.settings.refresh_margin) {
            return Ok(AccessToken {
                token: tokens.access_token,
                token_calls: 0,
            });
        }
        self.refresh(tenant, &tokens.access_token).await
    }

    /// Refreshes `tenant`'s tokens when they have not been refreshed for
    /// `older_than`. The last refresh is read from the stored access
    /// token's expiry (a refresh happens at most one token lifetime before
    /// it); a set without expiry counts as idle.
    pub(crate) async fn refresh_if_idle(
        self: &Arc<Self>,
        tenant: &TenantId,
        older_than: Duration,
    ) -> IdleRefresh {
        let tokens = match self.store.load(tenant).await {
            Ok(Some(tokens)) => tokens,
            Ok(None) => return IdleRefresh::NotConnected,
            Err(e) => return IdleRefresh::Failed(e),
        };
        let idle_for = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
        if let Some(at) = tokens.expires_at
            && self.clock.now().signed_duration_since(at) < idle_for
        {
            return IdleRefresh::NotIdle {
                access_expires_at: at,
            };
        }
        match self.refresh(tenant, &tokens.access_token).await {
            Ok(_) => {
                let expires_at = match self.store.load(tenant).await {
                    Ok(Some(t)) => t.expires_at,
                    _ => None,
                };
                tracing::info!(provider = PROVIDER, %tenant, "idle connection refreshed");
                IdleRefresh::Refreshed { expires_at }
            }
            Err(e @ (OAuthError::ReconnectRequired { .. } | OAuthError::NotConnected { .. })) => {
                tracing::warn!(provider = PROVIDER, %tenant, error = %e, "idle connection can no longer be refreshed");
                match e {
                    OAuthError::NotConnected { .. } => IdleRefresh::NotConnected,
                    other => IdleRefresh::ReconnectRequired {
                        reason: other.to_string(),
                    },
                }
            }
            Err(e) => IdleRefresh::Failed(e.into()),
        }
    }

    /// A new access token after Bob refused `rejected` with a 401 (or
    /// because it expires soon). Single-flight per tenant: when another
    /// caller already replaced `rejected` with a valid token, that one is
    /// returned without a new refresh.
    pub(crate) async fn refresh(
        self: &Arc<Self>,
        tenant: &TenantId,
        rejected: &Secret,
    ) -> Result<AccessToken, OAuthError> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.entry(tenant.clone()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        // Across processes: wait for the store's refresh lease; whoever
        // holds it may be replacing `rejected` right now.
        let lease = self.settings.request_timeout.saturating_mul(2);
        let deadline = tokio::time::Instant::now() + lease;
        let current = loop {
            let current = self.load_connected(tenant).await?;
            if current.access_token != *rejected
                && !current.expires_within(self.clock.now(), self.settings.refresh_margin)
            {
                return Ok(AccessToken {
                    token: current.access_token,
                    token_calls: 0,
                });
            }
            if self.store.lock_refresh(tenant, lease).await? {
                // another process may have finished just before the lease
                // was free: read once more under the lease
                let current = self.load_connected(tenant).await?;
                if current.access_token != *rejected
                    && !current.expires_within(self.clock.now(), self.settings.refresh_margin)
                {
                    self.store.unlock_refresh(tenant).await?;
                    return Ok(AccessToken {
                        token: current.access_token,
                        token_calls: 0,
                    });
                }
                break current;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(OAuthError::Other(Error::Transport {
                    provider: PROVIDER.to_owned(),
                    message: format!(
                        "another process has been refreshing the tokens of tenant `{tenant}` for {}s",
                        lease.as_secs()
                    ),
                }));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // The refresh and the save run on their own task: if this caller is
        // dropped mid-way, the rotated refresh token is still saved.
        let this = Arc::clone(self);
        let tenant_owned = tenant.clone();
        let task = tokio::spawn(async move {
            let _guard = guard;
            let result = this.refresh_now(&tenant_owned, current).await;
            let unlocked = this.store.unlock_refresh(&tenant_owned).await;
            let token = result?;
            unlocked?;
            Ok::<Secret, OAuthError>(token)
        });
        match task.await {
            Ok(result) => result.map(|token| AccessToken {
                token,
                token_calls: 1,
            }),
            Err(e) => Err(OAuthError::Other(Error::config(format!(
                "the token refresh task failed: {e}"
            )))),
        }
    }

    async fn load_connected(&self, tenant: &TenantId) -> Result<TokenSet, OAuthError> {
        self.store
            .load(tenant)
            .await?
            .ok_or_else(|| OAuthError::NotConnected {
                tenant: tenant.clone(),
            })
    }

    async fn refresh_now(
        &self,
        tenant: &TenantId,
        current: TokenSet,
    ) -> Result<Secret, OAuthError> {
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(OAuthError::ReconnectRequired {
                tenant: tenant.clone(),
                status: None,
                code: None,
                reason: "no refresh token is stored (was `offline_access` granted?)".into(),
            });
        };
        let client = self.client()?;
        let secret = RefreshToken::new(refresh_token.expose().to_owned());
        let answer = client
            .exchange_refresh_token(&secret)
            .request_async(&self.http)
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => return Err(token_error(tenant, e, true)),
        };
        let tokens = token_set(&response, Some(&current), self.clock.now());
        let access = tokens.access_token.clone();
        self.store.save(tenant, tokens).await?;
        tracing::debug!(provider = PROVIDER, %tenant, "access token refreshed");
        Ok(access)
    }
}

fn oauth_client(app: &OAuthApp, settings: &OAuthSettings) -> Result<HiBobClient, Error> {
    let redirect = RedirectUrl::new(app.redirect_uri.clone())
        .map_err(|e| Error::config(format!("invalid OAuth redirect URI: {e}")))?;
    Ok(
        oauth2::basic::BasicClient::new(ClientId::new(app.client_id.clone()))
            .set_client_secret(ClientSecret::new(app.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::from_url(settings.authorize_url.clone()))
            .set_token_uri(TokenUrl::from_url(settings.token_url.clone()))
            .set_redirect_uri(redirect)
            // client_id and client_secret as form fields (unconfirmed: see the provider page).
            .set_auth_type(AuthType::RequestBody),
    )
}

/// The token endpoint's answer as a [`TokenSet`]; a refresh that carries no
/// new refresh token (or scope) keeps the previous one.
fn token_set(
    response: &BasicTokenResponse,
    previous: Option<&TokenSet>,
    now: DateTime<Utc>,
) -> TokenSet {
    let expires_at = response
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .and_then(|d| now.checked_add_signed(d));
    let scope = response
        .scopes()
        .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "));
    TokenSet {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone()))
            .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
        expires_at,
        scope: scope.or_else(|| previous.and_then(|p| p.scope.clone())),
    }
}

/// Maps a token-endpoint failure to a typed error.
fn token_error(
    tenant: &TenantId,
    e: RequestTokenError<TokenHttpError, BasicErrorResponse>,
    refreshing: bool,
) -> OAuthError {
    match e {
        RequestTokenError::Request(TokenHttpError::Status {
            status,
            retry_after,
            body,
        }) => {
            if status == 429 {
                return OAuthError::Other(Error::RateLimited {
                    provider: PROVIDER.to_owned(),
                    retry_after,
                });
            }
            let parsed: TokenError = decode_json(&body).unwrap_or_default();
            let code = parsed.error.filter(|c| !c.trim().is_empty());
            let description = parsed.error_description.filter(|d| !d.trim().is_empty());
            let reconnect = refreshing
                && (400..500).contains(&status)
                && code
                    .as_deref()
                    .is_some_and(|c| RECONNECT_CODES.contains(&c));
            if reconnect {
                let reason = match (&code, &description) {
                    (Some(c), Some(d)) => format!("{c}: {d}"),
                    (Some(c), None) => c.clone(),
                    _ => format!("HTTP {status}"),
                };
                return OAuthError::ReconnectRequired {
                    tenant: tenant.clone(),
                    status: Some(status),
                    code,
                    reason,
                };
            }
            let message = description.or_else(|| code.clone()).unwrap_or_else(|| {
                let status =
                    http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
                ProviderMessage::generic(status, &body).message
            });
            OAuthError::Other(Error::ProviderRejected {
                provider: PROVIDER.to_owned(),
                status,
                code,
                message: format!("token endpoint: {message}"),
            })
        }
        RequestTokenError::Request(TokenHttpError::Transport(message)) => {
            OAuthError::Other(Error::Transport {
                provider: PROVIDER.to_owned(),
                message: format!("token endpoint: {message}"),
            })
        }
        RequestTokenError::ServerResponse(r) => OAuthError::Other(Error::ProviderRejected {
            provider: PROVIDER.to_owned(),
            status: 400,
            code: Some(r.error().to_string()),
            message: format!(
                "token endpoint: {}",
                r.error_description().cloned().unwrap_or_default()
            ),
        }),
        RequestTokenError::Parse(e, _) => OAuthError::Other(Error::malformed(
            format!("token_response.{}", e.path()),
            e.into_inner().to_string(),
        )),
        RequestTokenError::Other(message) => {
            OAuthError::Other(Error::malformed("token_response", message))
        }
    }
}

/// The HTTP client given to `oauth2`: reqwest without redirects, keeping
/// the status and `Retry-After` of error answers (which `oauth2` would
/// otherwise reduce to a parsed error body).
#[derive(Clone, Debug)]
struct TokenHttp {
    client: reqwest::Client,
}

/// A failed call to the token endpoint.
#[derive(Debug, thiserror::Error)]
enum TokenHttpError {
    #[error("token endpoint answered HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
        body: Vec<u8>,
    },
    #[error("{0}")]
    Transport(String),
}

impl<'c> AsyncHttpClient<'c> for TokenHttp {
    type Error = TokenHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TokenHttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| TokenHttpError::Transport(e.without_url().to_string()))?;
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| TokenHttpError::Transport(e.without_url().to_string()))?;
            if !status.is_success() {
                return Err(TokenHttpError::Status {
                    status: status.as_u16(),
                    retry_after: ats_core::retry::retry_after(&headers),
                    body: bytes.to_vec(),
                });
            }
            let mut builder = http::Response::builder().status(status);
            for (name, value) in &headers {
                builder = builder.header(name, value);
            }
            builder
                .body(bytes.to_vec())
                .map_err(|e| TokenHttpError::Transport(e.to_string()))
        })
    }
}

/// Reads the query of Bob's redirect to the app: `state` must equal the
/// one sent; then either `code` or `error` (+ `error_description`).
pub fn parse_callback(query: &str, expected_state: &Secret) -> Result<String, OAuthError> {
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        let slot = match k.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v.into_owned());
        }
    }
    let state_ok = state
        .as_deref()
        .is_some_and(|s| !expected_state.is_empty() && expected_state.matches(s.as_bytes()));
    if !state_ok {
        return Err(OAuthError::StateMismatch);
    }
    if let Some(error) = error.filter(|e| !e.is_empty()) {
        return Err(OAuthError::AuthorizationDenied {
            error,
            description: description.filter(|d| !d.is_empty()),
        });
    }
    code.filter(|c| !c.is_empty())
        .ok_or_else(|| OAuthError::AuthorizationDenied {
            error: "missing_code".into(),
            description: Some("the redirect carried neither `code` nor `error`".into()),
        })
}

/// A random `state` value (16 random bytes, base64url encoded).
pub(crate) fn random_state() -> String {
    CsrfToken::new_random_len(16).secret().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_checks_state_then_code_or_error() {
        let state = Secret::new("5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0");
        assert_eq!(
            parse_callback(
                "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&code=Hq4TzW9c",
                &state
            )
            .unwrap(),
            "Hq4TzW9c"
        );
        assert!(matches!(
            parse_callback("?code=Hq4TzW9c&state=other", &state),
            Err(OAuthError::StateMismatch)
        ));
        assert!(matches!(
            parse_callback("code=Hq4TzW9c", &state),
            Err(OAuthError::StateMismatch)
        ));
        let e = parse_callback(
            "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&error=access_denied&error_description=user_did_not_authorize_the_request",
            &state,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Bob refused the authorization: access_denied (user_did_not_authorize_the_request)"
        );
        assert!(parse_callback("state=", &Secret::new("")).is_err());
    }

    #[test]
    fn expiry_margin() {
        let now: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let t = TokenSet::new("a", "r", "2026-01-01T10:04:00Z".parse().unwrap());
        assert!(t.expires_within(now, Duration::from_secs(300)));
        assert!(!t.expires_within(now, Duration::from_secs(60)));
        let unknown = TokenSet {
            expires_at: None,
            ..t
        };
        assert!(!unknown.expires_within(now, Duration::from_secs(300)));
    }

    #[test]
    fn reconnect_errors_convert_to_non_retryable_core_errors() {
        let e: Error = OAuthError::ReconnectRequired {
            tenant: TenantId::new("acme"),
            status: Some(403),
            code: Some("invalid_grant".into()),
            reason: "invalid_grant: Unknown or invalid refresh token.".into(),
        }
        .into();
        assert!(!e.is_retryable());
        assert!(needs_reconnect(&e));
        assert_eq!(
            e.to_string(),
            "hibob answered HTTP 403 (invalid_grant): Bob no longer accepts the refresh token of tenant `acme` (invalid_grant: Unknown or invalid refresh token.): the customer must reconnect Bob"
        );
        let e: Error = OAuthError::NotConnected {
            tenant: TenantId::new("acme"),
        }
        .into();
        assert!(needs_reconnect(&e));
        assert!(!needs_reconnect(&Error::config("other")));
    }

    #[test]
    fn token_endpoint_error_bodies_are_read_like_other_provider_errors() {
        let failure = |status: u16, body: &[u8]| {
            let e = RequestTokenError::Request(TokenHttpError::Status {
                status,
                retry_after: None,
                body: body.to_vec(),
            });
            Error::from(token_error(&TenantId::new("acme"), e, true)).to_string()
        };
        assert_eq!(
            failure(503, b""),
            "hibob answered HTTP 503: token endpoint: Service Unavailable"
        );
        assert_eq!(
            failure(502, b"  upstream unavailable  "),
            "hibob answered HTTP 502: token endpoint: upstream unavailable"
        );
        assert_eq!(
            failure(500, br#"{"message": "auth service degraded"}"#),
            "hibob answered HTTP 500: token endpoint: auth service degraded"
        );
        assert_eq!(
            failure(
                400,
                br#"{"error": "invalid_request", "error_description": "Missing code"}"#
            ),
            "hibob answered HTTP 400 (invalid_request): token endpoint: Missing code"
        );
    }

    #[test]
    fn token_store_debug_shows_tenants_only() {
        let store = InMemoryTokenStore::new()
            .with("acme", TokenSet::new("at-secret", "rt-secret", Utc::now()));
        let dbg = format!("{store:?}");
        assert_eq!(dbg, r#"InMemoryTokenStore { tenants: [TenantId("acme")] }"#);
    }

    #[test]
    fn random_states_differ() {
        let (a, b) = (random_state(), random_state());
        assert_ne!(a, b);
        assert!(a.len() >= 16);
    }
}
