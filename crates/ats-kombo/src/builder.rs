//! [`KomboBuilder`]: configuration of the Kombo adapter.

use ats_core::client::HttpClient;
use ats_core::http::parse_base_url;
use ats_core::{Clock, Error, RetryConfig, Secret};

use crate::client::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::provider::Kombo;

/// Kombo's EU API (the default).
pub const EU_BASE_URL: &str = "https://api.kombo.dev/v1";
/// Kombo's US API.
pub const US_BASE_URL: &str = "https://api.us.kombo.dev/v1";

/// Builds a [`Kombo`] adapter.
///
/// A Kombo account lives in one region; a vendor with accounts in both
/// builds one adapter per account (each with its API key, webhook secret
/// and base URL).
///
/// ```
/// use ats_kombo::KomboBuilder;
/// use ats_kombo::builder::US_BASE_URL;
///
/// let kombo = KomboBuilder::new()
///     .api_key("kombo-api-key")
///     .webhook_secret("kombo-webhook-secret")
///     .base_url(US_BASE_URL)
///     .build()
///     .unwrap();
/// ```
#[derive(Debug)]
pub struct KomboBuilder {
    api_key: Option<Secret>,
    webhook_secrets: Vec<Secret>,
    base_url: String,
    page_size: u16,
    retry: RetryConfig,
    http: Option<reqwest::Client>,
    clock: Clock,
}

impl Default for KomboBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl KomboBuilder {
    /// A builder with no credentials, the EU host, Kombo's default page
    /// size, the default retry policy and the system clock.
    pub fn new() -> Self {
        Self {
            api_key: None,
            webhook_secrets: Vec::new(),
            base_url: EU_BASE_URL.to_owned(),
            page_size: DEFAULT_PAGE_SIZE,
            retry: RetryConfig::default(),
            http: None,
            clock: Clock::system(),
        }
    }

    /// The Kombo API key (the dashboard's "Secrets" page), sent as
    /// `Authorization: Bearer` on every call.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Adds a webhook secret. Add the new one before removing the old one
    /// when rotating: a signature matching any of them is accepted.
    pub fn webhook_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.webhook_secrets.push(secret.into());
        self
    }

    /// Replaces the webhook secrets.
    pub fn webhook_secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Secret>,
    {
        self.webhook_secrets = secrets.into_iter().map(Into::into).collect();
        self
    }

    /// The API base URL, including `/v1` ([`EU_BASE_URL`] by default,
    /// [`US_BASE_URL`] for US accounts; a mock server in tests).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Orders per Get orders page (1 to 250; default 100).
    pub fn page_size(mut self, size: u16) -> Self {
        self.page_size = size.clamp(1, MAX_PAGE_SIZE);
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

    /// Where "now" comes from: the `completed_at` of results that carry
    /// none, and the `received_at` of orders fetched with Get orders.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the adapter. Fails only on an unusable base URL; credentials
    /// may be absent (translation needs none, calls then fail with
    /// [`Error::Config`]).
    pub fn build(self) -> Result<Kombo, Error> {
        let base_url = parse_base_url("Kombo base URL", &self.base_url)?;
        let http = HttpClient::shared_or_new(crate::translate::PROVIDER, self.http, self.retry)?;
        Ok(Kombo {
            api_key: self.api_key,
            webhook_secrets: self.webhook_secrets,
            base_url,
            page_size: self.page_size,
            http,
            clock: self.clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_without_credentials() {
        let k = KomboBuilder::new().build().unwrap();
        assert_eq!(k.base_url.as_str(), EU_BASE_URL);
    }

    #[test]
    fn refuses_bad_base_urls() {
        for bad in [
            "not a url",
            "ftp://api.kombo.dev/v1",
            "mailto:x@example.com",
        ] {
            assert!(
                matches!(
                    KomboBuilder::new().base_url(bad).build(),
                    Err(Error::Config { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let b = KomboBuilder::new()
            .api_key("kombo-key-123")
            .webhook_secret("whsec-456");
        assert!(!format!("{b:?}").contains("kombo-key-123"));
        let k = b.build().unwrap();
        let dbg = format!("{k:?}");
        assert!(
            !dbg.contains("kombo-key-123") && !dbg.contains("whsec-456"),
            "{dbg}"
        );
    }
}
