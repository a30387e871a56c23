//! [`SmartRecruitersBuilder`]: configuration of the SmartRecruiters adapter.

use std::sync::Arc;

use ats_core::auth::{InMemoryKeys, KeyDirectory};
use ats_core::client::HttpClient;
use ats_core::http::parse_base_url;
use ats_core::{Clock, Error, RetryConfig, Secret};
use url::Url;

use crate::client::{DEFAULT_BASE_URL, DEFAULT_TOKEN_URL};
use crate::oauth::{ClientCredentials, CredentialStore, InMemoryCredentials, TokenCache};
use crate::provider::SmartRecruiters;

/// Builds a [`SmartRecruiters`] adapter.
///
/// `SmartRecruitersBuilder::new().build()` succeeds with no credentials
/// (translation only); a write for a tenant without stored customer-level
/// credentials fails with [`Error::Config`] naming them.
///
/// ```
/// use ats_core::auth::InMemoryKeys;
/// use ats_smartrecruiters::SmartRecruitersBuilder;
/// use ats_smartrecruiters::oauth::InMemoryCredentials;
///
/// let smartrecruiters = SmartRecruitersBuilder::new()
///     .keys(InMemoryKeys::new().with("acme", "sr_in_acme_4c1f9e2b7d30"))
///     .api_keys(InMemoryCredentials::new().with("acme", "sr-client-acme", "sr-secret-acme"))
///     .partner_credentials("sr-partner-client", "sr-partner-secret")
///     .build()
///     .unwrap();
/// ```
#[derive(Debug)]
pub struct SmartRecruitersBuilder {
    keys: Arc<dyn KeyDirectory>,
    credentials: Arc<dyn CredentialStore>,
    partner: Option<ClientCredentials>,
    base_url: String,
    token_url: String,
    retry: RetryConfig,
    http: Option<reqwest::Client>,
    clock: Clock,
}

impl Default for SmartRecruitersBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SmartRecruitersBuilder {
    /// A builder with no credentials, SmartRecruiters' production URLs and
    /// the default retry policy.
    pub fn new() -> Self {
        Self {
            keys: Arc::new(InMemoryKeys::new()),
            credentials: Arc::new(InMemoryCredentials::new()),
            partner: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            token_url: DEFAULT_TOKEN_URL.to_owned(),
            retry: RetryConfig::default(),
            http: None,
            clock: Clock::system(),
        }
    }

    /// The tokens SmartRecruiters presents on inbound calls, one per
    /// customer (issued with the customer-level credentials the vendor
    /// created for SmartRecruiters).
    pub fn keys<K: KeyDirectory + 'static>(mut self, keys: K) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    /// Like [`keys`](Self::keys), for a shared directory (a database).
    pub fn key_directory(mut self, keys: Arc<dyn KeyDirectory>) -> Self {
        self.keys = keys;
        self
    }

    /// Each customer's SmartRecruiters client credentials (customer level),
    /// used for the result write-back.
    pub fn api_keys<S: CredentialStore + 'static>(mut self, store: S) -> Self {
        self.credentials = Arc::new(store);
        self
    }

    /// Like [`api_keys`](Self::api_keys), for a shared store.
    pub fn api_key_store(mut self, store: Arc<dyn CredentialStore>) -> Self {
        self.credentials = store;
        self
    }

    /// The partner-level (master) client credentials SmartRecruiters issued
    /// to the vendor, used to connect customers
    /// ([`SmartRecruiters::partner_token`]).
    pub fn partner_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        self.partner = Some(ClientCredentials::new(client_id, client_secret));
        self
    }

    /// The Assessment API base URL (default
    /// `https://api.smartrecruiters.com/assessment-api/v202010`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The OAuth token endpoint (default
    /// `https://api.smartrecruiters.com/identity/oauth/token`).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// The retry policy of outbound calls.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Shares an existing HTTP client (and its connection pool).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The clock token expiry is judged by.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the adapter; refuses unusable URLs and blank partner
    /// credentials.
    pub fn build(self) -> Result<SmartRecruiters, Error> {
        let base_url: Url = parse_base_url("base_url", &self.base_url)?;
        let token_url: Url = parse_base_url("token_url", &self.token_url)?;
        if let Some(p) = &self.partner
            && (p.client_id.trim().is_empty() || p.client_secret.is_empty())
        {
            return Err(Error::config(
                "partner_credentials: the client id and the client secret must not be empty",
            ));
        }
        let http = HttpClient::shared_or_new(crate::translate::PROVIDER, self.http, self.retry)?;
        Ok(SmartRecruiters {
            keys: self.keys,
            credentials: self.credentials,
            partner: self.partner,
            base_url,
            token_url,
            http,
            tokens: TokenCache::default(),
            clock: self.clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::AtsProvider;

    #[test]
    fn validates_at_build() {
        assert!(SmartRecruitersBuilder::new().build().is_ok());
        let e = SmartRecruitersBuilder::new()
            .base_url("not a url")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("base_url"), "{e}");
        let e = SmartRecruitersBuilder::new()
            .token_url("ftp://x")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("token_url"), "{e}");
        let e = SmartRecruitersBuilder::new()
            .partner_credentials(" ", "s")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("partner_credentials"), "{e}");
    }

    #[test]
    fn missing_configuration_names_the_partner_credentials() {
        let bare = SmartRecruitersBuilder::new().build().unwrap();
        let missing = bare.missing_configuration();
        assert_eq!(missing.len(), 1);
        assert!(missing[0].starts_with("partner_credentials"), "{missing:?}");
        let full = SmartRecruitersBuilder::new()
            .partner_credentials("cid", "secret")
            .build()
            .unwrap();
        assert!(full.missing_configuration().is_empty());
    }

    #[test]
    fn debug_shows_no_secret() {
        let a = SmartRecruitersBuilder::new()
            .partner_credentials("cid", "partner-secret-xyz")
            .api_keys(InMemoryCredentials::new().with("acme", "c", "customer-secret-xyz"))
            .keys(InMemoryKeys::new().with("acme", "inbound-token-xyz"))
            .build()
            .unwrap();
        let shown = format!("{a:?}");
        for secret in [
            "partner-secret-xyz",
            "customer-secret-xyz",
            "inbound-token-xyz",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
