//! [`KnitBuilder`]: configuration of the Knit adapter.

use ats_core::client::HttpClient;
use ats_core::http::parse_base_url;
use ats_core::{Clock, Error, RetryConfig, Secret};

use crate::client::DEFAULT_BASE_URL;
use crate::provider::Knit;

/// Builds a [`Knit`] adapter.
///
/// One secret does both jobs: the vendor's Knit API key is the Bearer token
/// of every call to Knit and the key Knit signs webhooks with. During a key
/// rotation, [`previous_api_key`](Self::previous_api_key) keeps webhooks
/// signed with the old key verifiable.
///
/// ```
/// use ats_knit::KnitBuilder;
///
/// let knit = KnitBuilder::new()
///     .api_key("knit_live_0123456789abcdef")
///     .build()?;
/// # Ok::<(), ats_core::Error>(())
/// ```
#[derive(Debug)]
pub struct KnitBuilder {
    api_key: Option<Secret>,
    previous_keys: Vec<Secret>,
    base_url: String,
    secrets_path: Option<String>,
    retry: RetryConfig,
    http: Option<reqwest::Client>,
    clock: Clock,
}

impl Default for KnitBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl KnitBuilder {
    /// A builder with no key, Knit's API base URL, the default retry policy
    /// and the system clock.
    pub fn new() -> Self {
        Self {
            api_key: None,
            previous_keys: Vec::new(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            secrets_path: None,
            retry: RetryConfig::default(),
            http: None,
            clock: Clock::system(),
        }
    }

    /// The vendor's Knit API key (Bearer token and webhook signing key).
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// A previous API key whose webhook signatures are still accepted.
    pub fn previous_api_key(mut self, key: impl Into<Secret>) -> Self {
        self.previous_keys.push(key.into());
        self
    }

    /// Knit's API base URL (default `https://api.getknit.dev/v1.0`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The path of Create ATS Assessment Secrets below the base URL, as
    /// Knit's API reference gives it (not publicly documented, so there is
    /// no default).
    pub fn assessment_secrets_path(mut self, path: impl Into<String>) -> Self {
        self.secrets_path = Some(path.into());
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
    pub fn build(self) -> Result<Knit, Error> {
        let base_url = parse_base_url("Knit base URL", &self.base_url)?;
        let http = HttpClient::shared_or_new(crate::translate::PROVIDER, self.http, self.retry)?;
        let mut signing_keys: Vec<Secret> = self.api_key.iter().cloned().collect();
        signing_keys.extend(self.previous_keys.into_iter().filter(|k| !k.is_empty()));
        Ok(Knit {
            api_key: self.api_key,
            signing_keys,
            base_url,
            secrets_path: self.secrets_path,
            http,
            clock: self.clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_without_credentials_and_hides_keys() {
        let k = KnitBuilder::new().build().unwrap();
        assert!(k.signing_keys.is_empty());
        let k = KnitBuilder::new()
            .api_key("new-key-1")
            .previous_api_key("old-key-0")
            .build()
            .unwrap();
        assert_eq!(k.signing_keys.len(), 2);
        let debug = format!("{k:?}");
        assert!(
            !debug.contains("new-key-1") && !debug.contains("old-key-0"),
            "{debug}"
        );
        assert!(KnitBuilder::new().base_url("::").build().is_err());
    }
}
