//! [`StackOneBuilder`]: configuration of the StackOne adapter.

use std::sync::Arc;

use ats_core::auth::{InMemoryKeys, KeyDirectory};
use ats_core::client::HttpClient;
use ats_core::http::parse_base_url;
use ats_core::{Clock, Error, RetryConfig, Secret};

use crate::client::DEFAULT_BASE_URL;
use crate::packages::{InMemoryPackageIds, PackageIdStore};
use crate::provider::StackOne;

/// Builds a [`StackOne`] adapter.
///
/// ```
/// use std::sync::Arc;
/// use ats_core::auth::InMemoryKeys;
/// use ats_stackone::{InMemoryPackageIds, StackOneBuilder};
///
/// let stackone = StackOneBuilder::new()
///     .api_key("v1.eu1.EXAMPLEKEYdoNotUse")
///     .signing_secret("whsec_example_do_not_use")
///     .package_endpoint_keys(InMemoryKeys::new().with("acc_7Qm2xT9kLp", "pk_acme_9f3b"))
///     .package_ids(Arc::new(InMemoryPackageIds::new()))
///     .build()?;
/// # Ok::<(), ats_core::Error>(())
/// ```
#[derive(Debug)]
pub struct StackOneBuilder {
    api_key: Option<Secret>,
    signing_secrets: Vec<Secret>,
    webhook_token: Option<Secret>,
    keys: Arc<dyn KeyDirectory>,
    package_ids: Arc<dyn PackageIdStore>,
    base_url: String,
    retry: RetryConfig,
    clock: Clock,
    http: Option<reqwest::Client>,
}

impl Default for StackOneBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl StackOneBuilder {
    /// A builder with no credentials, StackOne's production API, an empty
    /// in-memory package-id store, the default retry policy and the system
    /// clock.
    pub fn new() -> Self {
        Self {
            api_key: None,
            signing_secrets: Vec::new(),
            webhook_token: None,
            keys: Arc::new(InMemoryKeys::new()),
            package_ids: Arc::new(InMemoryPackageIds::new()),
            base_url: DEFAULT_BASE_URL.to_owned(),
            retry: RetryConfig::default(),
            clock: Clock::system(),
            http: None,
        }
    }

    /// The StackOne API key (one per StackOne project; the linked account
    /// is named per call with `x-account-id`). Needed to fetch order details
    /// and to write results and packages.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Adds a webhook signing secret. Call it twice while rotating: a
    /// delivery signed with either is accepted.
    pub fn signing_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.signing_secrets.push(secret.into());
        self
    }

    /// Sets every webhook signing secret at once.
    pub fn signing_secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Secret>,
    {
        self.signing_secrets = secrets.into_iter().map(Into::into).collect();
        self
    }

    /// A secret `?token=` put on the webhook URL, accepted for deliveries
    /// that carry no signature (StackOne's simpler, weaker alternative).
    pub fn webhook_token(mut self, token: impl Into<Secret>) -> Self {
        self.webhook_token = Some(token.into());
        self
    }

    /// The keys the vendor issued for its packages endpoint, one per linked
    /// account; the tenant of a key must be the StackOne account id.
    pub fn package_endpoint_keys<K: KeyDirectory + 'static>(mut self, keys: K) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    /// A shared key directory for the packages endpoint.
    pub fn package_endpoint_key_directory(mut self, keys: Arc<dyn KeyDirectory>) -> Self {
        self.keys = keys;
        self
    }

    /// Where the StackOne ids of published background-check packages are
    /// kept (default: in memory).
    pub fn package_ids(mut self, store: Arc<dyn PackageIdStore>) -> Self {
        self.package_ids = store;
        self
    }

    /// StackOne's API base URL (default `https://api.stackone.com`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The retry policy of outbound calls.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// The clock used for the `timestamp` of error answers.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Shares an existing HTTP client (and its connection pool).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the adapter. Fails only on an unusable base URL (not an
    /// absolute `http(s)` URL, or one carrying credentials) or HTTP client.
    pub fn build(self) -> Result<StackOne, Error> {
        let base_url = parse_base_url("StackOne base URL", &self.base_url)?;
        let http = HttpClient::shared_or_new(crate::translate::PROVIDER, self.http, self.retry)?;
        Ok(StackOne {
            api_key: self.api_key,
            signing_secrets: self.signing_secrets,
            webhook_token: self.webhook_token,
            keys: self.keys,
            package_ids: self.package_ids,
            base_url,
            http,
            clock: self.clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_without_credentials_and_hides_secrets() {
        let s = StackOneBuilder::new()
            .api_key("v1.eu1.SECRETKEY")
            .signing_secrets(["whsec_one", "whsec_two"])
            .webhook_token("tok_secret")
            .build()
            .unwrap();
        let dbg = format!("{s:?}");
        for secret in ["SECRETKEY", "whsec_one", "whsec_two", "tok_secret"] {
            assert!(!dbg.contains(secret), "{dbg}");
        }
        StackOneBuilder::new().build().unwrap();
    }

    #[test]
    fn bad_base_urls_are_config_errors() {
        for url in [
            "not a url",
            "ftp://api.stackone.com",
            "mailto:x@example.com",
            "https://v1.eu1.KEY:@api.stackone.com",
        ] {
            let e = StackOneBuilder::new().base_url(url).build().unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{url}: {e}");
            assert!(!e.to_string().contains("KEY"), "{e}");
        }
        let s = StackOneBuilder::new()
            .base_url(" http://127.0.0.1:9/proxy ")
            .build()
            .unwrap();
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:9/proxy");
    }
}
