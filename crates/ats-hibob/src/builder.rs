//! [`HiBobBuilder`]: credentials, URLs, stores and transport; validated at
//! [`build`](HiBobBuilder::build).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ats_core::client::HttpClient;
use ats_core::http::parse_base_url;
use ats_core::replay::{DeliveryLog, ReplayGuard};
use ats_core::{AssessmentStatus, Clock, Error, RetryConfig, Secret};

use crate::HiBob;
use crate::client::DEFAULT_BASE_URL;
use crate::oauth::{
    DEFAULT_AUTHORIZE_URL, DEFAULT_SCOPES, DEFAULT_TOKEN_URL, HIBOB, InMemoryTokenStore, OAuthApp,
    TokenManager, TokenStore,
};
use crate::translate::{COMPLETED, FAILED, PASSED, PROVIDER};
use ats_core::oauth::OAuthConfig;

/// How long a delivery is remembered for deduplication by default: Bob
/// retries a failed delivery for about five hours (1, 10, 20, 40, 80 and
/// 160 minutes after the first failure), so a day covers every retry.
pub const DEFAULT_DEDUP_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// Builds a [`HiBob`] adapter.
///
/// ```
/// use ats_hibob::{HiBob, OAuthApp};
///
/// let hibob = HiBob::builder()
///     .oauth_app(OAuthApp::new("client-id", "client-secret", "https://assess.example.com/bob/callback"))
///     .webhook_secret("bob-webhook-signing-secret")
///     .build()?;
/// # let _ = hibob;
/// # Ok::<(), ats_core::Error>(())
/// ```
pub struct HiBobBuilder {
    app: Option<OAuthApp>,
    base_url: Option<String>,
    authorize_url: Option<String>,
    token_url: Option<String>,
    scopes: Vec<String>,
    tokens: Arc<dyn TokenStore>,
    webhook_secrets: Vec<Secret>,
    statuses: HashMap<AssessmentStatus, String>,
    dedup_window: Duration,
    replay: Option<Arc<ReplayGuard>>,
    delivery_log: Option<Arc<dyn DeliveryLog>>,
    refresh_margin: Duration,
    retry: RetryConfig,
    clock: Clock,
    http: Option<reqwest::Client>,
}

impl Default for HiBobBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl HiBobBuilder {
    /// A builder with Bob's defaults and no credentials.
    pub fn new() -> Self {
        Self {
            app: None,
            base_url: None,
            authorize_url: None,
            token_url: None,
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            tokens: Arc::new(InMemoryTokenStore::new()),
            webhook_secrets: Vec::new(),
            statuses: HashMap::new(),
            dedup_window: DEFAULT_DEDUP_WINDOW,
            replay: None,
            delivery_log: None,
            refresh_margin: Duration::from_secs(300),
            retry: RetryConfig::default(),
            clock: Clock::system(),
            http: None,
        }
    }

    /// The vendor's OAuth app from Bob's Developer Portal (client id,
    /// client secret, redirect URI).
    pub fn oauth_app(mut self, app: OAuthApp) -> Self {
        self.app = Some(app);
        self
    }

    /// Bob's API base (default `https://api.hibob.com/v1`; a stand-in in
    /// tests).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The OAuth authorization endpoint.
    pub fn authorize_url(mut self, url: impl Into<String>) -> Self {
        self.authorize_url = Some(url.into());
        self
    }

    /// The OAuth token endpoint (code exchange and refresh).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// The scopes asked for when the installation starts at the vendor
    /// (default `hiring.integrations:write`).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Where each company's tokens are kept (default: in memory, lost at
    /// exit). Keyed by Bob's company id, the tenant.
    pub fn tokens<T: TokenStore + 'static>(mut self, tokens: T) -> Self {
        self.tokens = Arc::new(tokens);
        self
    }

    /// [`tokens`](Self::tokens), shared.
    pub fn token_store(mut self, tokens: Arc<dyn TokenStore>) -> Self {
        self.tokens = tokens;
        self
    }

    /// The secret Bob signs webhooks with (`Bob-Signature`).
    pub fn webhook_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.webhook_secrets.push(secret.into());
        self
    }

    /// Several signing secrets, any of which is accepted (while one is
    /// rotated).
    pub fn webhook_secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Secret>,
    {
        self.webhook_secrets
            .extend(secrets.into_iter().map(Into::into));
        self
    }

    /// The wire value Bob's `status` takes for `status`: needed for the
    /// statuses Bob's reference does not name (`invited`, `in_progress`,
    /// `cancelled`, `expired`, `error`); `completed` maps to
    /// `completed`/`passed`/`failed` and cannot be changed.
    pub fn status_value(mut self, status: AssessmentStatus, value: impl Into<String>) -> Self {
        self.statuses.insert(status, value.into());
        self
    }

    /// How long a delivery is remembered to drop Bob's repeats (default a
    /// day).
    pub fn dedup_window(mut self, window: Duration) -> Self {
        self.dedup_window = window;
        self
    }

    /// A replay guard of the caller's (shared between adapters); its
    /// window should be at least [`DEFAULT_DEDUP_WINDOW`].
    pub fn replay_guard(mut self, guard: Arc<ReplayGuard>) -> Self {
        self.replay = Some(guard);
        self
    }

    /// Records deliveries in a log shared by every instance (a database),
    /// so a repeat is dropped by all of them, also after a restart.
    pub fn delivery_log(mut self, log: Arc<dyn DeliveryLog>) -> Self {
        self.delivery_log = Some(log);
        self
    }

    /// How long before expiry an access token is refreshed (default five
    /// minutes).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The retry policy of API calls.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Where "now" comes from (token expiry).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Shares an existing HTTP client for API calls (the token endpoint
    /// always gets its own, which follows no redirects).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the adapter. Needs no credentials: without them it still
    /// routes and translates; verifying webhooks needs a signing secret,
    /// calling Bob an OAuth app and the company's tokens.
    pub fn build(self) -> Result<HiBob, Error> {
        let parse = |what: &str, given: Option<String>, default: &str| {
            parse_base_url(what, &given.unwrap_or_else(|| default.to_owned()))
        };
        let base_url = parse("API base URL", self.base_url, DEFAULT_BASE_URL)?;
        if self.webhook_secrets.iter().any(|s| s.expose().is_empty()) {
            return Err(Error::config("a Bob webhook signing secret is empty"));
        }
        for (status, value) in &self.statuses {
            if *status == AssessmentStatus::Completed {
                return Err(Error::config(format!(
                    "the completed status maps to {COMPLETED}, {PASSED} or {FAILED}; it cannot be configured"
                )));
            }
            if value.trim().is_empty() {
                return Err(Error::config(format!(
                    "the Bob status value for `{status}` is blank"
                )));
            }
        }
        let settings = OAuthConfig::new(
            HIBOB,
            parse(
                "authorization URL",
                self.authorize_url,
                DEFAULT_AUTHORIZE_URL,
            )?,
            parse("token URL", self.token_url, DEFAULT_TOKEN_URL)?,
        )
        .app_opt(self.app)
        .scopes(self.scopes)
        .refresh_margin(self.refresh_margin)
        .request_timeout(self.retry.request_timeout);
        let tokens = TokenManager::new(settings, self.tokens, self.clock.clone())?;
        let reqwest_client = match self.http {
            Some(client) => client,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("ats-connect/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::config(format!("cannot build HTTP client: {e}")))?,
        };
        let replay = self.replay.unwrap_or_else(|| {
            let guard = ReplayGuard::new(self.dedup_window);
            Arc::new(match self.delivery_log {
                Some(log) => guard.with_log(log),
                None => guard,
            })
        });
        Ok(HiBob {
            base_url,
            tokens: Arc::new(tokens),
            http: HttpClient::with_client(PROVIDER, reqwest_client, self.retry),
            webhook_secrets: self.webhook_secrets,
            statuses: self.statuses,
            replay,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::AtsProvider;

    #[test]
    fn builds_without_credentials_and_says_what_is_missing() {
        let hibob = HiBobBuilder::new().build().unwrap();
        let missing = hibob.missing_configuration();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(missing[0].starts_with("oauth_app"), "{missing:?}");
        assert!(missing[1].starts_with("webhook_secret"), "{missing:?}");
        let configured = HiBobBuilder::new()
            .oauth_app(OAuthApp::new(
                "id",
                "top-secret-client",
                "https://a.example.com/cb",
            ))
            .webhook_secret("top-secret-webhook")
            .build()
            .unwrap();
        assert!(configured.missing_configuration().is_empty());
        let debug = format!("{configured:?}");
        assert!(!debug.contains("top-secret"), "{debug}");
    }

    #[test]
    fn refuses_bad_settings() {
        for builder in [
            HiBobBuilder::new().base_url("not a url"),
            HiBobBuilder::new().token_url("ftp://x"),
            HiBobBuilder::new().webhook_secret(""),
            HiBobBuilder::new().status_value(AssessmentStatus::Completed, "done"),
            HiBobBuilder::new().status_value(AssessmentStatus::Invited, " "),
        ] {
            assert!(matches!(builder.build(), Err(Error::Config { .. })));
        }
    }
}
