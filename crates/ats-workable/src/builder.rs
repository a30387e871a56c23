//! [`WorkableBuilder`]: configuration of the Workable adapter.

use std::sync::Arc;

use ats_core::auth::{InMemoryKeys, KeyDirectory, SecretStore};
use ats_core::client::HttpClient;
use ats_core::{Error, RetryConfig, UrlPolicy};

use crate::provider::Workable;
use crate::translate::{PROVIDER, TestIdFormat};

/// Hosts Workable's callback URLs may live on (`https` only): Workable's
/// domain and its subdomains (accounts are `<subdomain>.workable.com`).
pub const DEFAULT_CALLBACK_HOSTS: [&str; 2] = ["workable.com", "*.workable.com"];

/// Builds a [`Workable`] adapter.
///
/// Two credentials per customer, kept apart: the token the vendor issued to
/// the customer (Workable presents it on every call, [`keys`](Self::keys))
/// and the token Workable generated for the integration (the vendor
/// presents it on the result callback, [`callback_tokens`](Self::callback_tokens)).
/// Workable has no API base URL: results go to the per-order callback URL,
/// which must pass the [`callback_policy`](Self::callback_policy).
///
/// ```
/// use ats_core::auth::InMemoryKeys;
/// use ats_workable::WorkableBuilder;
///
/// let workable = WorkableBuilder::new()
///     .keys(InMemoryKeys::new().with("acme", "wk_in_acme_5f2b9c1e7d"))
///     .callback_tokens(InMemoryKeys::new().with("acme", "token-from-workable"))
///     .build()
///     .unwrap();
/// ```
#[derive(Debug)]
pub struct WorkableBuilder {
    keys: Arc<dyn KeyDirectory>,
    callback_tokens: Arc<dyn SecretStore>,
    callback_policy: UrlPolicy,
    test_ids: TestIdFormat,
    retry: RetryConfig,
    http: Option<reqwest::Client>,
}

impl Default for WorkableBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkableBuilder {
    /// A builder with no credentials, Workable's callback hosts, numeric
    /// test ids where possible and the default retry policy.
    pub fn new() -> Self {
        let empty = Arc::new(InMemoryKeys::new());
        Self {
            keys: empty.clone(),
            callback_tokens: empty,
            callback_policy: UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS),
            test_ids: TestIdFormat::default(),
            retry: RetryConfig::default(),
            http: None,
        }
    }

    /// The tokens the vendor issued to its customers; Workable presents one
    /// as `Authorization: Bearer` on every call, and it identifies the tenant.
    pub fn keys<K: KeyDirectory + 'static>(mut self, keys: K) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    /// The inbound token directory, shared (e.g. a database-backed one).
    pub fn key_directory(mut self, keys: Arc<dyn KeyDirectory>) -> Self {
        self.keys = keys;
        self
    }

    /// The tokens Workable generated per customer integration, sent on the
    /// result callback.
    pub fn callback_tokens<S: SecretStore + 'static>(mut self, tokens: S) -> Self {
        self.callback_tokens = Arc::new(tokens);
        self
    }

    /// The callback token store, shared (e.g. a vault).
    pub fn callback_token_store(mut self, tokens: Arc<dyn SecretStore>) -> Self {
        self.callback_tokens = tokens;
        self
    }

    /// Which callback URLs may be called (default: [`DEFAULT_CALLBACK_HOSTS`]
    /// over `https`). Create requests naming another host are refused.
    pub fn callback_policy(mut self, policy: UrlPolicy) -> Self {
        self.callback_policy = policy;
        self
    }

    /// How package ids are written in `GET /tests` (default: numbers where
    /// the id is a plain integer, as in Workable's example).
    pub fn test_ids(mut self, format: TestIdFormat) -> Self {
        self.test_ids = format;
        self
    }

    /// The retry policy of the callback `PUT`.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Shares an existing HTTP client (and its connection pool).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the adapter. Succeeds without any credentials (translation
    /// and rendering need none).
    pub fn build(self) -> Result<Workable, Error> {
        let http = HttpClient::shared_or_new(PROVIDER, self.http, self.retry)?;
        Ok(Workable {
            keys: self.keys,
            callback_tokens: self.callback_tokens,
            callback_policy: self.callback_policy,
            test_ids: self.test_ids,
            http,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::AtsProvider;

    #[test]
    fn builds_without_credentials() {
        let w = WorkableBuilder::new().build().unwrap();
        assert_eq!(w.name(), "workable");
        assert_eq!(w.test_ids, TestIdFormat::NumericWhenPossible);
    }

    #[test]
    fn debug_shows_no_token() {
        let w = WorkableBuilder::new()
            .keys(InMemoryKeys::new().with("acme", "wk_in_acme_5f2b9c1e7d"))
            .callback_tokens(InMemoryKeys::new().with("acme", "wk_cb_acme_0d9e8f7a6b"))
            .build()
            .unwrap();
        let debug = format!("{w:?}");
        assert!(!debug.contains("wk_in_acme_5f2b9c1e7d"), "{debug}");
        assert!(!debug.contains("wk_cb_acme_0d9e8f7a6b"), "{debug}");
        assert!(debug.contains("acme"), "{debug}");
    }

    #[test]
    fn default_policy_allows_workable_hosts_only() {
        let p = UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS);
        let ok = |u: &str| p.check(&url::Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://acme.workable.com/cb/1"));
        assert!(ok("https://workable.com/cb/1"));
        assert!(!ok("http://acme.workable.com/cb/1"));
        assert!(!ok("https://evilworkable.com/cb/1"));
        assert!(!ok("https://workable.com.evil.example/cb/1"));
    }
}
