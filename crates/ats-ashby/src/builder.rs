//! [`AshbyBuilder`]: configuration of the Ashby adapter.

use std::sync::Arc;

use ats_core::auth::{InMemoryKeys, KeyDirectory, SecretStore};
use ats_core::client::HttpClient;
use ats_core::http::parse_base_url;
use ats_core::{Clock, Error, RetryConfig};

use crate::client::DEFAULT_BASE_URL;
use crate::provider::Ashby;
use crate::wire::CustomField;

/// Builds an [`Ashby`] adapter.
///
/// Two credential sets are kept apart: the keys the vendor issued to its
/// customers (Ashby presents them when calling the vendor; they identify the
/// tenant) and each customer's own Ashby API key (the vendor presents it
/// when calling `assessment.update`; it needs the `candidatesWrite`
/// permission).
///
/// ```
/// use ats_ashby::AshbyBuilder;
/// use ats_core::auth::InMemoryKeys;
///
/// let ashby = AshbyBuilder::new()
///     .keys(InMemoryKeys::new().with("acme", "issued-to-acme-by-the-vendor"))
///     .api_keys(InMemoryKeys::new().with("acme", "acme-ashby-api-key"))
///     .build()?;
/// # Ok::<(), ats_core::Error>(())
/// ```
#[derive(Debug)]
pub struct AshbyBuilder {
    keys: Arc<dyn KeyDirectory>,
    api_keys: Arc<dyn SecretStore>,
    base_url: String,
    custom_fields: Vec<CustomField>,
    partner_id: Option<String>,
    retry: RetryConfig,
    http: Option<reqwest::Client>,
    clock: Clock,
}

impl Default for AshbyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl AshbyBuilder {
    /// A builder with no credentials, Ashby's API base URL, no custom
    /// fields, the default retry policy and the system clock.
    pub fn new() -> Self {
        Self {
            keys: Arc::new(InMemoryKeys::new()),
            api_keys: Arc::new(InMemoryKeys::new()),
            base_url: DEFAULT_BASE_URL.to_owned(),
            custom_fields: Vec::new(),
            partner_id: None,
            retry: RetryConfig::default(),
            http: None,
            clock: Clock::system(),
        }
    }

    /// The keys the vendor issued to its customers, which Ashby presents as
    /// the Basic user name: the key identifies the tenant.
    pub fn keys<K: KeyDirectory + 'static>(mut self, keys: K) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    /// [`keys`](Self::keys) from a shared directory.
    pub fn key_directory(mut self, keys: Arc<dyn KeyDirectory>) -> Self {
        self.keys = keys;
        self
    }

    /// Each tenant's Ashby API key, for `assessment.update` and
    /// `assessment.addCompletedToCandidate`.
    pub fn api_keys<S: SecretStore + 'static>(mut self, api_keys: S) -> Self {
        self.api_keys = Arc::new(api_keys);
        self
    }

    /// [`api_keys`](Self::api_keys) from a shared store (a vault).
    pub fn api_key_store(mut self, api_keys: Arc<dyn SecretStore>) -> Self {
        self.api_keys = api_keys;
        self
    }

    /// Ashby's API base URL (default `https://api.ashbyhq.com`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The custom fields `assessment.customField.list` answers with (none by
    /// default). Ashby enables that call per integration on request.
    pub fn custom_fields(mut self, fields: Vec<CustomField>) -> Self {
        self.custom_fields = fields;
        self
    }

    /// The vendor's partner id at Ashby, needed by
    /// `assessment.addCompletedToCandidate` only.
    pub fn partner_id(mut self, partner_id: impl Into<String>) -> Self {
        self.partner_id = Some(partner_id.into());
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

    /// Where update timestamps come from (a fixed clock makes bodies
    /// reproducible in tests).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the adapter; fails only on an invalid base URL.
    pub fn build(self) -> Result<Ashby, Error> {
        let base_url = parse_base_url("Ashby base URL", &self.base_url)?;
        let http = HttpClient::shared_or_new(crate::translate::PROVIDER, self.http, self.retry)?;
        Ok(Ashby {
            keys: self.keys,
            api_keys: self.api_keys,
            base_url,
            custom_fields: self.custom_fields,
            partner_id: self.partner_id,
            http,
            clock: self.clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_without_credentials_and_checks_the_base_url() {
        let a = AshbyBuilder::new().build().unwrap();
        assert_eq!(a.base_url.as_str(), "https://api.ashbyhq.com/");
        assert!(AshbyBuilder::new().base_url("not a url").build().is_err());
        assert!(
            AshbyBuilder::new()
                .base_url("ftp://x.example")
                .build()
                .is_err()
        );
    }
}
