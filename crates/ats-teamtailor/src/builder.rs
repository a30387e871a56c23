//! [`TeamtailorBuilder`]: configuration of the Teamtailor adapter.

use std::sync::Arc;

use ats_core::auth::{InMemoryKeys, KeyDirectory};
use ats_core::client::HttpClient;
use ats_core::http::parse_base_url;
use ats_core::{Error, RetryConfig, Secret, UrlPolicy};
use url::Url;

use crate::auth::DEFAULT_TOLERANCE_SECS;
use crate::provider::Teamtailor;
use crate::translate::PROVIDER;

/// Hosts a webhook's `update-url` may point to (`https`, port 443 only):
/// Teamtailor's Partner API on its EU, NA and AP stacks.
pub const DEFAULT_CALLBACK_HOSTS: [&str; 3] = [
    "api.teamtailor.com",
    "api.na.teamtailor.com",
    "api.au.teamtailor.com",
];

/// The Partner API base on the EU stack, used when a webhook carries no
/// `update-url`.
pub const DEFAULT_BASE_URL: &str = "https://api.teamtailor.com";

/// Builds a [`Teamtailor`] adapter.
///
/// Two kinds of credentials: the provider keys of the customers'
/// activations (Teamtailor presents one on every call, [`keys`](Self::keys))
/// and the partner API key of the vendor's integration, one for all
/// customers ([`api_key`](Self::api_key)), with which results are written.
/// Optionally the integration's webhook secret(s), to check
/// `Teamtailor-Signature` ([`webhook_secret`](Self::webhook_secret)).
///
/// ```
/// use ats_core::auth::InMemoryKeys;
/// use ats_teamtailor::TeamtailorBuilder;
///
/// let teamtailor = TeamtailorBuilder::new()
///     .keys(InMemoryKeys::new().with("acme", "tt_pk_acme_3c9e1f7a2b"))
///     .api_key("partner-api-key-from-the-integrations-hub")
///     .build()
///     .unwrap();
/// ```
#[derive(Debug)]
pub struct TeamtailorBuilder {
    keys: Arc<dyn KeyDirectory>,
    api_key: Option<Secret>,
    webhook_secrets: Vec<Secret>,
    tolerance_secs: i64,
    base_url: String,
    callback_policy: UrlPolicy,
    retry: RetryConfig,
    http: Option<reqwest::Client>,
}

impl Default for TeamtailorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TeamtailorBuilder {
    /// A builder with no credentials, the EU API base, Teamtailor's
    /// `update-url` hosts and the default retry policy.
    pub fn new() -> Self {
        Self {
            keys: Arc::new(InMemoryKeys::new()),
            api_key: None,
            webhook_secrets: Vec::new(),
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
            base_url: DEFAULT_BASE_URL.to_owned(),
            callback_policy: UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS),
            retry: RetryConfig::default(),
            http: None,
        }
    }

    /// The provider keys of the customers' activations; Teamtailor presents
    /// one as `Authorization: Bearer`, and it identifies the tenant.
    pub fn keys<K: KeyDirectory + 'static>(mut self, keys: K) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    /// The provider key directory, shared (e.g. a database-backed one).
    pub fn key_directory(mut self, keys: Arc<dyn KeyDirectory>) -> Self {
        self.keys = keys;
        self
    }

    /// The partner API key of the vendor's integration (Integrations hub),
    /// sent as `Authorization: Bearer` when writing results.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The integration's webhook secret: webhooks must then carry a valid,
    /// fresh `Teamtailor-Signature`.
    pub fn webhook_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.webhook_secrets = vec![secret.into()];
        self
    }

    /// Several webhook secrets, accepted alike while one is being rotated.
    pub fn webhook_secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Secret>,
    {
        self.webhook_secrets = secrets.into_iter().map(Into::into).collect();
        self
    }

    /// How far a signature's timestamp may be from the arrival time
    /// (default five minutes).
    pub fn signature_tolerance_secs(mut self, secs: i64) -> Self {
        self.tolerance_secs = secs;
        self
    }

    /// The Partner API base used when a webhook carries no `update-url`
    /// (default [`DEFAULT_BASE_URL`]; `https://api.na.teamtailor.com` on the
    /// NA stack, `https://api.au.teamtailor.com` on the AP stack).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Which `update-url`s may be called (default
    /// [`DEFAULT_CALLBACK_HOSTS`] over `https`). Webhooks naming another
    /// host are refused when they arrive.
    pub fn callback_policy(mut self, policy: UrlPolicy) -> Self {
        self.callback_policy = policy;
        self
    }

    /// The retry policy of the result `PUT`.
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
    /// and rendering need none); refuses an unusable base URL, an empty
    /// webhook secret or a negative signature tolerance.
    pub fn build(self) -> Result<Teamtailor, Error> {
        let base_url: Url = parse_base_url("Teamtailor base URL", &self.base_url)?;
        if self.webhook_secrets.iter().any(Secret::is_empty) {
            return Err(Error::config("a Teamtailor webhook secret is empty"));
        }
        if self.tolerance_secs < 0 {
            return Err(Error::config(
                "the Teamtailor signature tolerance must not be negative",
            ));
        }
        let http = HttpClient::shared_or_new(PROVIDER, self.http, self.retry)?;
        Ok(Teamtailor {
            keys: self.keys,
            api_key: self.api_key.filter(|k| !k.is_empty()),
            webhook_secrets: self.webhook_secrets,
            tolerance_secs: self.tolerance_secs,
            base_url,
            callback_policy: self.callback_policy,
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
        let t = TeamtailorBuilder::new().build().unwrap();
        assert_eq!(t.name(), "teamtailor");
        assert_eq!(t.base_url.as_str(), "https://api.teamtailor.com/");
        assert_eq!(
            t.missing_configuration(),
            vec![
                "api_key: the Teamtailor partner API key is not set; results cannot be written"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn validates_at_build() {
        for (b, want) in [
            (
                TeamtailorBuilder::new().base_url("not a url"),
                "invalid Teamtailor base URL",
            ),
            (
                TeamtailorBuilder::new().webhook_secrets(["a", ""]),
                "webhook secret is empty",
            ),
            (
                TeamtailorBuilder::new().signature_tolerance_secs(-1),
                "must not be negative",
            ),
        ] {
            let e = b.build().unwrap_err();
            assert!(matches!(e, Error::Config { .. }));
            assert!(e.to_string().contains(want), "{e}");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let t = TeamtailorBuilder::new()
            .keys(InMemoryKeys::new().with("acme", "tt_pk_acme_3c9e1f7a2b"))
            .api_key("tt_api_key_secret_value")
            .webhook_secret("tt_whsec_secret_value")
            .build()
            .unwrap();
        let debug = format!("{t:?}");
        for secret in [
            "tt_pk_acme_3c9e1f7a2b",
            "tt_api_key_secret_value",
            "tt_whsec_secret_value",
        ] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(t.missing_configuration().is_empty());
    }

    #[test]
    fn default_policy_allows_teamtailor_api_hosts_only() {
        let p = UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS);
        let ok = |u: &str| p.check(&url::Url::parse(u).unwrap()).is_ok();
        assert!(ok(
            "https://api.teamtailor.com/partner/v1/partner-results/1"
        ));
        assert!(ok(
            "https://api.na.teamtailor.com/partner/v1/partner-results/1"
        ));
        assert!(ok(
            "https://api.au.teamtailor.com/partner/v1/partner-results/1"
        ));
        assert!(!ok(
            "http://api.teamtailor.com/partner/v1/partner-results/1"
        ));
        assert!(!ok(
            "https://api.teamtailor.com:8443/partner/v1/partner-results/1"
        ));
        assert!(!ok("https://app.teamtailor.com/x"));
        assert!(!ok("https://api.teamtailor.com.evil.example/x"));
    }
}
