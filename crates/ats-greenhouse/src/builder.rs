//! [`GreenhouseBuilder`]: configuration of the Greenhouse adapter.

use std::sync::Arc;

use ats_core::auth::{InMemoryKeys, KeyDirectory, SecretStore};
use ats_core::client::HttpClient;
use ats_core::{Error, RetryConfig, UrlPolicy};

use crate::provider::Greenhouse;

/// Hosts Greenhouse's completion URLs live on.
pub const DEFAULT_CALLBACK_HOSTS: [&str; 2] = ["app.greenhouse.io", "*.greenhouse.io"];

/// Builds a [`Greenhouse`] adapter.
///
/// ```
/// use ats_core::auth::InMemoryKeys;
/// use ats_greenhouse::GreenhouseBuilder;
///
/// let keys = InMemoryKeys::new().with("acme", "0d031d8227eafa61dc375a6c2e067e24");
/// let greenhouse = GreenhouseBuilder::new().keys(keys).build().unwrap();
/// ```
#[derive(Debug)]
pub struct GreenhouseBuilder {
    keys: Arc<dyn KeyDirectory>,
    secrets: Arc<dyn SecretStore>,
    callback_policy: UrlPolicy,
    retry: RetryConfig,
    http: Option<reqwest::Client>,
}

impl Default for GreenhouseBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl GreenhouseBuilder {
    /// A builder with no keys, Greenhouse's callback hosts and the default
    /// retry policy.
    pub fn new() -> Self {
        let empty = Arc::new(InMemoryKeys::new());
        Self {
            keys: empty.clone(),
            secrets: empty,
            callback_policy: UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS),
            retry: RetryConfig::default(),
            http: None,
        }
    }

    /// The API keys issued to customers: the same key authenticates
    /// Greenhouse's calls and the vendor's completion `PATCH`.
    pub fn keys<K: KeyDirectory + SecretStore + 'static>(mut self, keys: K) -> Self {
        let keys = Arc::new(keys);
        self.keys = keys.clone();
        self.secrets = keys;
        self
    }

    /// A key directory and a secret store kept apart (e.g. a database-backed
    /// directory and a vault).
    pub fn key_stores(
        mut self,
        keys: Arc<dyn KeyDirectory>,
        secrets: Arc<dyn SecretStore>,
    ) -> Self {
        self.keys = keys;
        self.secrets = secrets;
        self
    }

    /// Which completion URLs may be called (default: Greenhouse's hosts).
    pub fn callback_policy(mut self, policy: UrlPolicy) -> Self {
        self.callback_policy = policy;
        self
    }

    /// The retry policy of the completion `PATCH`.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Shares an existing HTTP client (and its connection pool).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the adapter.
    pub fn build(self) -> Result<Greenhouse, Error> {
        let http = HttpClient::shared_or_new(crate::translate::PROVIDER, self.http, self.retry)?;
        Ok(Greenhouse {
            keys: self.keys,
            secrets: self.secrets,
            callback_policy: self.callback_policy,
            http,
        })
    }
}
