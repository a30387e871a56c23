//! Inbound credentials: reading `Basic` / `Bearer` headers and finding the
//! tenant a presented key belongs to, plus the per-tenant secrets adapters
//! use on outbound calls.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::AUTHORIZATION;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::model::TenantId;
use crate::secret::Secret;

/// Credentials from an `Authorization: Basic …` header.
pub struct BasicCredentials {
    /// The user name (for partner APIs: the API key).
    pub username: Secret,
    /// The password (empty for API-key schemes).
    pub password: Secret,
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BasicCredentials(***)")
    }
}

/// Reads `Authorization: Basic base64(user:password)`.
///
/// The scheme name is matched case-insensitively. A missing header, another
/// scheme, bad base64 or a missing colon is [`Error::Unauthenticated`].
pub fn basic_credentials(headers: &HeaderMap) -> Result<BasicCredentials, Error> {
    let value = authorization(headers)?;
    let encoded = strip_scheme(value, "basic")
        .ok_or_else(|| Error::unauthenticated("expected the Basic authorization scheme"))?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| Error::unauthenticated("Basic credentials are not valid base64"))?;
    let text = String::from_utf8(decoded)
        .map_err(|_| Error::unauthenticated("Basic credentials are not UTF-8"))?;
    let (user, pass) = text
        .split_once(':')
        .ok_or_else(|| Error::unauthenticated("Basic credentials lack the ':' separator"))?;
    Ok(BasicCredentials {
        username: Secret::new(user),
        password: Secret::new(pass),
    })
}

/// Reads `Authorization: Bearer <token>`.
pub fn bearer_token(headers: &HeaderMap) -> Result<Secret, Error> {
    let value = authorization(headers)?;
    let token = strip_scheme(value, "bearer")
        .ok_or_else(|| Error::unauthenticated("expected the Bearer authorization scheme"))?
        .trim();
    if token.is_empty() {
        return Err(Error::unauthenticated("empty Bearer token"));
    }
    Ok(Secret::new(token))
}

/// The `Authorization` header value for Basic auth with `username` and an
/// optional password.
pub fn basic_header_value(username: &Secret, password: Option<&Secret>) -> Secret {
    let raw = format!(
        "{}:{}",
        username.expose(),
        password.map(Secret::expose).unwrap_or_default()
    );
    Secret::new(format!("Basic {}", STANDARD.encode(raw)))
}

fn authorization(headers: &HeaderMap) -> Result<&str, Error> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Error::unauthenticated("no Authorization header"))?;
    value
        .to_str()
        .map_err(|_| Error::unauthenticated("Authorization header is not ASCII"))
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// The tenant of a request authenticated with HTTP Basic, the vendor-issued
/// API key as user name (the password is ignored: partner APIs send an
/// empty one).
pub async fn tenant_for_basic_key(
    keys: &dyn KeyDirectory,
    headers: &HeaderMap,
) -> Result<TenantId, Error> {
    let credentials = basic_credentials(headers)?;
    tenant_for(keys, &credentials.username, "API key").await
}

/// Whether a token can be handed to a customer to paste into an ATS as a
/// Bearer credential: 16 to 512 visible ASCII characters without spaces,
/// so it survives the `Authorization` header unchanged.
pub fn is_pasteable_token(token: &str) -> bool {
    (16..=512).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic())
}

/// The tenant of a request authenticated with `Authorization: Bearer` and a
/// vendor-issued token.
pub async fn tenant_for_bearer_token(
    keys: &dyn KeyDirectory,
    headers: &HeaderMap,
) -> Result<TenantId, Error> {
    let token = bearer_token(headers)?;
    tenant_for(keys, &token, "Bearer token").await
}

async fn tenant_for(keys: &dyn KeyDirectory, key: &Secret, what: &str) -> Result<TenantId, Error> {
    if key.is_empty() {
        return Err(Error::unauthenticated(format!("empty {what}")));
    }
    keys.tenant_for_key(key)
        .await?
        .ok_or_else(|| Error::unauthenticated(format!("unknown {what}")))
}

/// Finds the tenant an inbound key belongs to.
///
/// Partner APIs authenticate with a key the vendor issued to one customer;
/// the key is how the vendor knows which customer is calling.
/// Implementations must compare in constant time.
#[async_trait]
pub trait KeyDirectory: Send + Sync + fmt::Debug {
    /// The tenant that owns `presented`, or `None`.
    async fn tenant_for_key(&self, presented: &Secret) -> Result<Option<TenantId>, Error>;
}

/// Per-tenant secrets for outbound calls (a customer's API key for the
/// provider, a token the provider issued for result callbacks).
#[async_trait]
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// The secret to use for `tenant`, or `None` when there is none.
    async fn secret_for(&self, tenant: &TenantId) -> Result<Option<Secret>, Error>;
}

/// An in-memory [`KeyDirectory`] and [`SecretStore`]: tenant ↔ key pairs.
///
/// Keys are found by their SHA-256 digest in a hash map, so a lookup takes
/// the same time with one tenant or a hundred thousand. The presented key is
/// never compared with a stored key, only its digest with stored digests: how
/// long that takes can tell an attacker at most how many leading bytes of a
/// stored digest their own key's digest shares, which does not help find a
/// key (that would take a preimage of SHA-256).
///
/// A key belongs to one tenant: giving a second tenant the same key moves it
/// there.
#[derive(Clone, Default)]
pub struct InMemoryKeys {
    /// Each tenant's key.
    keys: BTreeMap<TenantId, Secret>,
    /// The SHA-256 digest of each key, to the tenant it identifies.
    tenants: HashMap<[u8; 32], TenantId>,
}

impl fmt::Debug for InMemoryKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryKeys")
            .field("tenants", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl InMemoryKeys {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the key of a tenant.
    pub fn with(mut self, tenant: impl Into<String>, key: impl Into<Secret>) -> Self {
        self.insert(TenantId::new(tenant), key.into());
        self
    }

    /// Adds (or replaces) the key of a tenant. The tenant's previous key no
    /// longer identifies it.
    pub fn insert(&mut self, tenant: TenantId, key: Secret) {
        let digest = digest(key.expose().as_bytes());
        if let Some(old) = self.keys.insert(tenant.clone(), key) {
            let old = self::digest(old.expose().as_bytes());
            if self.tenants.get(&old) == Some(&tenant) {
                self.tenants.remove(&old);
            }
        }
        self.tenants.insert(digest, tenant);
    }

    /// The number of tenants.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn find(&self, presented: &Secret) -> Option<TenantId> {
        self.tenants
            .get(&digest(presented.expose().as_bytes()))
            .cloned()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[async_trait]
impl KeyDirectory for InMemoryKeys {
    async fn tenant_for_key(&self, presented: &Secret) -> Result<Option<TenantId>, Error> {
        Ok(self.find(presented))
    }
}

#[async_trait]
impl SecretStore for InMemoryKeys {
    async fn secret_for(&self, tenant: &TenantId) -> Result<Option<Secret>, Error> {
        Ok(self.keys.get(tenant).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn reads_basic_with_empty_password() {
        // base64("0d031d8227eafa61dc375a6c2e067e24:")
        let c = basic_credentials(&headers(
            "Basic MGQwMzFkODIyN2VhZmE2MWRjMzc1YTZjMmUwNjdlMjQ6",
        ))
        .unwrap();
        assert_eq!(c.username.expose(), "0d031d8227eafa61dc375a6c2e067e24");
        assert_eq!(c.password.expose(), "");
        assert_eq!(format!("{c:?}"), "BasicCredentials(***)");
    }

    #[test]
    fn basic_rejects_bad_input() {
        for v in ["Bearer abc", "Basic !!!", "Basic YWJj", "Basic"] {
            let e = basic_credentials(&headers(v)).unwrap_err();
            assert!(matches!(e, Error::Unauthenticated { .. }), "{v}: {e}");
        }
        assert!(basic_credentials(&HeaderMap::new()).is_err());
    }

    #[test]
    fn basic_header_round_trip() {
        let h = basic_header_value(&Secret::new("key"), None);
        assert_eq!(h.expose(), "Basic a2V5Og==");
        let c = basic_credentials(&headers(h.expose())).unwrap();
        assert_eq!(c.username.expose(), "key");
    }

    #[test]
    fn reads_bearer() {
        assert_eq!(
            bearer_token(&headers("bearer tok-1")).unwrap().expose(),
            "tok-1"
        );
        assert!(bearer_token(&headers("Bearer  ")).is_err());
        assert!(bearer_token(&headers("Basic a2V5Og==")).is_err());
    }

    #[tokio::test]
    async fn directory_finds_tenant_by_key() {
        let keys = InMemoryKeys::new()
            .with("acme", "k-acme")
            .with("globex", "k-globex");
        assert_eq!(
            keys.tenant_for_key(&Secret::new("k-globex")).await.unwrap(),
            Some(TenantId::new("globex"))
        );
        assert_eq!(keys.tenant_for_key(&Secret::new("k-")).await.unwrap(), None);
        assert_eq!(
            keys.secret_for(&TenantId::new("acme"))
                .await
                .unwrap()
                .unwrap()
                .expose(),
            "k-acme"
        );
        assert!(!format!("{keys:?}").contains("k-acme"));
    }

    #[tokio::test]
    async fn a_new_key_replaces_the_old_one_and_a_shared_key_moves() {
        let mut keys = InMemoryKeys::new()
            .with("acme", "k-old")
            .with("globex", "k-globex");
        keys.insert(TenantId::new("acme"), Secret::new("k-new"));
        let tenant = async |keys: &InMemoryKeys, key: &str| {
            keys.tenant_for_key(&Secret::new(key)).await.unwrap()
        };
        assert_eq!(tenant(&keys, "k-old").await, None);
        assert_eq!(tenant(&keys, "k-new").await, Some(TenantId::new("acme")));
        assert_eq!(keys.len(), 2);
        // the same key given to a second tenant identifies that one; the
        // first keeps its secret for outbound calls
        keys.insert(TenantId::new("initech"), Secret::new("k-globex"));
        assert_eq!(
            tenant(&keys, "k-globex").await,
            Some(TenantId::new("initech"))
        );
        let globex = keys.secret_for(&TenantId::new("globex")).await.unwrap();
        assert_eq!(globex.unwrap().expose(), "k-globex");
        // re-keying the first does not take the key from the second
        keys.insert(TenantId::new("globex"), Secret::new("k-globex-2"));
        assert_eq!(
            tenant(&keys, "k-globex").await,
            Some(TenantId::new("initech"))
        );
        assert_eq!(
            tenant(&keys, "k-globex-2").await,
            Some(TenantId::new("globex"))
        );
        assert_eq!(
            format!("{keys:?}"),
            r#"InMemoryKeys { tenants: [TenantId("acme"), TenantId("globex"), TenantId("initech")] }"#
        );
        assert!(InMemoryKeys::new().is_empty() && !keys.is_empty());
    }

    #[tokio::test]
    async fn tenant_from_basic_or_bearer() {
        let keys = InMemoryKeys::new().with("acme", "k1");
        // base64("k1:") = "azE6", base64("k1:pw") = "azE6cHc=", base64(":") = "Og=="
        let t = tenant_for_basic_key(&keys, &headers("Basic azE6"))
            .await
            .unwrap();
        assert_eq!(t, TenantId::new("acme"));
        let t = tenant_for_basic_key(&keys, &headers("Basic azE6cHc="))
            .await
            .unwrap();
        assert_eq!(t, TenantId::new("acme"), "the password is ignored");
        let e = tenant_for_basic_key(&keys, &headers("Basic Og=="))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "authentication failed: empty API key");
        let t = tenant_for_bearer_token(&keys, &headers("Bearer k1"))
            .await
            .unwrap();
        assert_eq!(t, TenantId::new("acme"));
        let e = tenant_for_bearer_token(&keys, &headers("Bearer k2"))
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "authentication failed: unknown Bearer token");
        assert!(
            tenant_for_bearer_token(&keys, &headers("Basic azE6"))
                .await
                .is_err()
        );
    }

    #[test]
    fn insert_replaces_a_tenants_key() {
        let mut keys = InMemoryKeys::new().with("acme", "old");
        keys.insert(TenantId::new("acme"), Secret::new("new"));
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.find(&Secret::new("old")), None);
        assert_eq!(keys.find(&Secret::new("new")), Some(TenantId::new("acme")));
    }

    #[test]
    fn pasteable_tokens_are_long_enough_and_visible() {
        assert!(is_pasteable_token(&"a".repeat(16)));
        assert!(is_pasteable_token(&"a".repeat(512)));
        assert!(!is_pasteable_token(&"a".repeat(15)));
        assert!(!is_pasteable_token(&"a".repeat(513)));
        assert!(!is_pasteable_token("has a space in the middle"));
        assert!(!is_pasteable_token("tab\tinside-a-long-token"));
        assert!(!is_pasteable_token("naïve-token-with-accents"));
    }
}
