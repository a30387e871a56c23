//! [`LeverBuilder`]: configuration of the Lever adapter, and the
//! per-customer [`LeverConnection`]s.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use ats_core::client::HttpClient;
use ats_core::http::parse_base_url;
use ats_core::replay::{DeliveryLog, ReplayGuard};
use ats_core::{Clock, Error, RetryConfig, Secret, TenantId};

use crate::oauth::{
    DEFAULT_SCOPES, InMemoryTokenStore, LEVER, LeverEnvironment, MISSING_REFRESH_TOKEN_HINT,
    OAuthApp, TokenManager, TokenStore,
};
use crate::provider::{Lever, Regions};
use crate::translate::{NoteScore, PROVIDER};
use ats_core::oauth::OAuthConfig;
use url::Url;

/// The default webhook path; `{tenant}` stands for the connection's tenant id.
pub const DEFAULT_WEBHOOK_PATH: &str = "/lever/{tenant}/webhook";
/// The placeholder for the tenant id in the webhook path.
pub const TENANT_PLACEHOLDER: &str = "{tenant}";
/// The default prefix of the tags this adapter writes (`Assessment: completed`).
pub const DEFAULT_TAG_PREFIX: &str = "Assessment";
/// How old a delivery may be by default (its `triggeredAt` against its arrival).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// How far ahead of the receiving clock a delivery may be dated by default.
pub const DEFAULT_MAX_FUTURE_SKEW: Duration = Duration::from_secs(5 * 60);
/// How long before expiry an access token is refreshed by default.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// One customer's Lever account as this adapter sees it.
///
/// Lever's webhook deliveries carry no account id, so each connection gets
/// its own webhook URL (the tenant id in the path, see
/// [`LeverBuilder::webhook_path`]) and its own signature tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeverConnection {
    /// The signature tokens of the connection's webhooks. Lever generates
    /// one per webhook (and lets admins regenerate it), so a connection
    /// usually has one per subscribed event; a delivery verifies if it
    /// matches any of them.
    pub signature_tokens: Vec<Secret>,
    /// Trigger stages: a move into one of these stage ids is an order for
    /// the package id it maps to.
    pub stages: BTreeMap<String, String>,
    /// The Lever user notes and tags are written on behalf of
    /// (`perform_as`); without it Lever records no author.
    pub perform_as: Option<String>,
    /// The API base URL of the account's region (e.g.
    /// `https://api.eu.lever.co/v1`), once known. Lever answers calls for
    /// accounts hosted in another region with a redirect there; the
    /// adapter follows it (to Lever's own hosts only) and reports the base
    /// it learned through [`ConnectionStore::remember_api_base`], so a
    /// store that keeps it sends later calls straight to the region, also
    /// after a restart. `None`: the adapter's API base. A value that is not
    /// an `https` URL on a `.lever.co` host (or the adapter's own API
    /// origin) is ignored.
    pub api_base: Option<String>,
}

impl LeverConnection {
    /// A connection with nothing configured.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a webhook signature token.
    pub fn signature_token(mut self, token: impl Into<Secret>) -> Self {
        self.signature_tokens.push(token.into());
        self
    }

    /// Makes a move into `stage_id` an order for `package_id`.
    pub fn trigger_stage(
        mut self,
        stage_id: impl Into<String>,
        package_id: impl Into<String>,
    ) -> Self {
        self.stages.insert(stage_id.into(), package_id.into());
        self
    }

    /// Writes notes and tags on behalf of this Lever user id.
    pub fn perform_as(mut self, user_id: impl Into<String>) -> Self {
        self.perform_as = Some(user_id.into());
        self
    }

    /// Sends this connection's API calls to `url` (its region's API base,
    /// e.g. `https://api.eu.lever.co/v1`).
    pub fn api_base(mut self, url: impl Into<String>) -> Self {
        self.api_base = Some(url.into());
        self
    }

    /// The package a move into `stage_id` orders, if it is a trigger stage.
    pub fn package_for_stage(&self, stage_id: &str) -> Option<&str> {
        self.stages.get(stage_id).map(String::as_str)
    }
}

/// Where the adapter finds each tenant's [`LeverConnection`].
///
/// Lookups are synchronous because pure translation uses them (the stage →
/// package mapping); a database-backed implementation serves them from a
/// cache it refreshes on its own.
pub trait ConnectionStore: Send + Sync + fmt::Debug {
    /// The tenant's connection, if there is one.
    fn connection(&self, tenant: &TenantId) -> Option<LeverConnection>;

    /// Every tenant with a connection, for work that visits them all
    /// ([`Lever::refresh_idle`](crate::Lever::refresh_idle)); `None` when
    /// the store cannot list them (the default).
    fn tenants(&self) -> Option<Vec<TenantId>> {
        None
    }

    /// The adapter learned that Lever serves `tenant` from `api_base`
    /// (it followed a redirect to Lever's host of another region). A store
    /// that keeps it in the connection's
    /// [`api_base`](LeverConnection::api_base) sends later calls there
    /// directly, also after a restart; the default keeps nothing (the
    /// adapter still remembers it while it runs).
    fn remember_api_base(&self, tenant: &TenantId, api_base: &Url) {
        let _ = (tenant, api_base);
    }
}

/// A [`ConnectionStore`] in memory; connections can be added and removed
/// while the adapter runs.
#[derive(Default)]
pub struct InMemoryConnections {
    connections: RwLock<HashMap<TenantId, LeverConnection>>,
}

impl fmt::Debug for InMemoryConnections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = self
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let mut tenants: Vec<&TenantId> = guard.keys().collect();
        tenants.sort();
        f.debug_struct("InMemoryConnections")
            .field("tenants", &tenants)
            .finish()
    }
}

impl InMemoryConnections {
    /// No connections.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a connection.
    pub fn with(self, tenant: impl Into<String>, connection: LeverConnection) -> Self {
        self.insert(TenantId::new(tenant), connection);
        self
    }

    /// Adds or replaces a connection.
    pub fn insert(&self, tenant: TenantId, connection: LeverConnection) {
        self.connections
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant, connection);
    }

    /// Removes a connection.
    pub fn remove(&self, tenant: &TenantId) {
        self.connections
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant);
    }
}

impl ConnectionStore for InMemoryConnections {
    fn connection(&self, tenant: &TenantId) -> Option<LeverConnection> {
        self.connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
    }

    fn tenants(&self) -> Option<Vec<TenantId>> {
        let mut tenants: Vec<TenantId> = self
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        tenants.sort();
        Some(tenants)
    }

    fn remember_api_base(&self, tenant: &TenantId, api_base: &Url) {
        if let Some(c) = self
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(tenant)
        {
            c.api_base = Some(api_base.to_string());
        }
    }
}

impl<T: ConnectionStore + ?Sized> ConnectionStore for Arc<T> {
    fn connection(&self, tenant: &TenantId) -> Option<LeverConnection> {
        (**self).connection(tenant)
    }

    fn tenants(&self) -> Option<Vec<TenantId>> {
        (**self).tenants()
    }

    fn remember_api_base(&self, tenant: &TenantId, api_base: &Url) {
        (**self).remember_api_base(tenant, api_base);
    }
}

/// The webhook path template, split around `{tenant}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WebhookPath {
    prefix: String,
    suffix: String,
}

impl WebhookPath {
    pub(crate) fn parse(template: &str) -> Result<Self, Error> {
        let (prefix, suffix) = template.split_once(TENANT_PLACEHOLDER).ok_or_else(|| {
            Error::config(format!(
                "the webhook path `{template}` has no `{TENANT_PLACEHOLDER}`"
            ))
        })?;
        if !prefix.starts_with('/') || suffix.contains(TENANT_PLACEHOLDER) {
            return Err(Error::config(format!(
                "the webhook path `{template}` must start with `/` and name `{TENANT_PLACEHOLDER}` once"
            )));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        })
    }

    /// The tenant named by `path`, when it matches the template (a trailing
    /// slash is tolerated).
    pub(crate) fn tenant(&self, path: &str) -> Option<TenantId> {
        let path = match path.strip_suffix('/') {
            Some(p) if !self.suffix.ends_with('/') && p.len() > 1 => p,
            _ => path,
        };
        let rest = path.strip_prefix(self.prefix.as_str())?;
        let tenant = rest.strip_suffix(self.suffix.as_str())?;
        let valid = !tenant.is_empty()
            && !tenant.contains('/')
            && tenant
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        valid.then(|| TenantId::new(tenant))
    }

    /// The path for `tenant` (to register with Lever).
    pub(crate) fn for_tenant(&self, tenant: &TenantId) -> String {
        format!("{}{}{}", self.prefix, tenant, self.suffix)
    }
}

/// Builds a [`Lever`] adapter.
///
/// ```
/// use ats_lever::{InMemoryConnections, LeverBuilder, LeverConnection};
/// use ats_lever::oauth::{InMemoryTokenStore, OAuthApp};
///
/// let lever = LeverBuilder::new()
///     .oauth_app(OAuthApp::new(
///         "Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj",
///         "client-secret-from-lever",
///         "https://assess.example.com/lever/callback",
///     ))
///     .connections(InMemoryConnections::new().with(
///         "acme",
///         LeverConnection::new()
///             .signature_token("eb975729fae923d5a4fd12aabfe228f219e9cb0eb53f1694")
///             .trigger_stage("36f675cc-81e7-4ef5-a8e2-5d940ed90475", "rust-senior"),
///     ))
///     .tokens(InMemoryTokenStore::new())
///     .tag_prefix("Acme assessment")
///     .build()
///     .unwrap();
/// ```
#[derive(Debug)]
pub struct LeverBuilder {
    environment: LeverEnvironment,
    app: Option<OAuthApp>,
    api_base_url: Option<String>,
    authorize_url: Option<String>,
    token_url: Option<String>,
    audience: Option<String>,
    scopes: Vec<String>,
    connections: Arc<dyn ConnectionStore>,
    tokens: Arc<dyn TokenStore>,
    webhook_path: String,
    tag_prefix: String,
    notify_followers: bool,
    note_secret: bool,
    note_score: NoteScore,
    max_age: Duration,
    max_future_skew: Duration,
    replay: Option<Arc<ReplayGuard>>,
    delivery_log: Option<Arc<dyn DeliveryLog>>,
    refresh_margin: Duration,
    retry: RetryConfig,
    clock: Clock,
    http: Option<reqwest::Client>,
}

impl Default for LeverBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LeverBuilder {
    /// A builder for Lever production with no OAuth app, no connections, no
    /// tokens, Lever's recommended scopes and the default retry policy.
    pub fn new() -> Self {
        Self {
            environment: LeverEnvironment::Production,
            app: None,
            api_base_url: None,
            authorize_url: None,
            token_url: None,
            audience: None,
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            connections: Arc::new(InMemoryConnections::new()),
            tokens: Arc::new(InMemoryTokenStore::new()),
            webhook_path: DEFAULT_WEBHOOK_PATH.to_owned(),
            tag_prefix: DEFAULT_TAG_PREFIX.to_owned(),
            notify_followers: false,
            note_secret: false,
            note_score: NoteScore::off(),
            max_age: DEFAULT_MAX_AGE,
            max_future_skew: DEFAULT_MAX_FUTURE_SKEW,
            replay: None,
            delivery_log: None,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            retry: RetryConfig::default(),
            clock: Clock::system(),
            http: None,
        }
    }

    /// Production (default) or sandbox: sets the API, authorization and
    /// token hosts and the `audience` (each can still be overridden).
    pub fn environment(mut self, environment: LeverEnvironment) -> Self {
        self.environment = environment;
        self
    }

    /// The vendor's OAuth app (client id, secret, redirect URI).
    pub fn oauth_app(mut self, app: OAuthApp) -> Self {
        self.app = Some(app);
        self
    }

    /// Overrides the API base URL (`https://api.lever.co/v1`).
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = Some(url.into());
        self
    }

    /// The same as [`api_base_url`](Self::api_base_url), under the name
    /// every adapter's builder uses for the provider's API.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.api_base_url(url)
    }

    /// Overrides the authorization endpoint.
    pub fn authorize_url(mut self, url: impl Into<String>) -> Self {
        self.authorize_url = Some(url.into());
        self
    }

    /// Overrides the token endpoint (code exchange and refresh).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// Overrides the `audience` of the authorization URL.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Replaces the scopes requested (default:
    /// [`DEFAULT_SCOPES`]). Keep
    /// `offline_access`, or Lever issues no refresh token.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The customers' connections (signature tokens, trigger stages).
    pub fn connections<C: ConnectionStore + 'static>(mut self, connections: C) -> Self {
        self.connections = Arc::new(connections);
        self
    }

    /// The customers' connections, shared with the rest of the application.
    pub fn connection_store(mut self, connections: Arc<dyn ConnectionStore>) -> Self {
        self.connections = connections;
        self
    }

    /// Where tokens are kept.
    pub fn tokens<T: TokenStore + 'static>(mut self, tokens: T) -> Self {
        self.tokens = Arc::new(tokens);
        self
    }

    /// Where tokens are kept, shared with the rest of the application.
    pub fn token_store(mut self, tokens: Arc<dyn TokenStore>) -> Self {
        self.tokens = tokens;
        self
    }

    /// The webhook path, with `{tenant}` where the tenant id goes (default
    /// [`DEFAULT_WEBHOOK_PATH`]). Register `https://<host><path>` with Lever
    /// for each connection.
    pub fn webhook_path(mut self, template: impl Into<String>) -> Self {
        self.webhook_path = template.into();
        self
    }

    /// The prefix of the tags written to opportunities (`Acme assessment`
    /// gives `Acme assessment: completed`).
    pub fn tag_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.tag_prefix = prefix.into();
        self
    }

    /// Whether result notes notify the candidate's followers (default no).
    pub fn notify_followers(mut self, notify: bool) -> Self {
        self.notify_followers = notify;
        self
    }

    /// Whether result notes are secret (default no): only users with
    /// sensitive-information rights on the candidate's postings (and users
    /// mentioned) see them.
    pub fn note_secret(mut self, secret: bool) -> Self {
        self.note_secret = secret;
        self
    }

    /// How completed results become the note's thumbs `score` (default
    /// [`NoteScore::off`]: no score), e.g.
    /// `NoteScore::pass_fail(3, 2).grade("A", 4)`. Scores outside 1–4 fail
    /// [`build`](Self::build).
    pub fn note_score(mut self, rule: NoteScore) -> Self {
        self.note_score = rule;
        self
    }

    /// How old (`max_age`) and how far in the future (`max_future_skew`) a
    /// delivery's `triggeredAt` may be against its arrival time. Defaults:
    /// a day and five minutes.
    pub fn webhook_freshness(mut self, max_age: Duration, max_future_skew: Duration) -> Self {
        self.max_age = max_age;
        self.max_future_skew = max_future_skew;
        self
    }

    /// Shares a replay guard (e.g. between several adapters of one process).
    /// Its window should cover `max_age + max_future_skew`.
    pub fn replay_guard(mut self, guard: Arc<ReplayGuard>) -> Self {
        self.replay = Some(guard);
        self
    }

    /// Records delivery tokens in a log shared by every instance (a
    /// database), so a delivery one instance accepted is refused as a
    /// replay by all of them, also after a restart. Applies to the
    /// adapter's own guard; a guard given with
    /// [`replay_guard`](Self::replay_guard) keeps its own log.
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
    /// always gets its own, which follows no redirects). Build it with
    /// `reqwest::redirect::Policy::none()`: the adapter follows Lever's
    /// redirects to another region itself, with the bearer token, which
    /// reqwest's own redirect handling drops when the host changes.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the adapter. Needs no credentials: without an OAuth app the
    /// adapter still routes, verifies and translates, but cannot call Lever.
    pub fn build(self) -> Result<Lever, Error> {
        self.note_score.validate()?;
        let env = self.environment;
        let parse = |what: &str, given: Option<String>, default: &str| {
            let text = given.unwrap_or_else(|| default.to_owned());
            parse_base_url(what, &text)
        };
        let api_base = parse("API base URL", self.api_base_url, env.api_base_url())?;
        let settings = OAuthConfig::new(
            LEVER,
            parse("authorization URL", self.authorize_url, env.authorize_url())?,
            parse("token URL", self.token_url, env.token_url())?,
        )
        .app_opt(self.app)
        .scopes(self.scopes)
        .authorize_param(
            "audience",
            self.audience.unwrap_or_else(|| env.audience().to_owned()),
        )
        .refresh_margin(self.refresh_margin)
        .request_timeout(self.retry.request_timeout)
        .missing_refresh_token_hint(MISSING_REFRESH_TOKEN_HINT);
        let tokens = TokenManager::new(settings, self.tokens, self.clock.clone())?;
        // Redirects are followed by the adapter (see `client::send`), only
        // to Lever's hosts and with the bearer token, never by reqwest.
        let reqwest_client = match self.http {
            Some(client) => client,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("ats-connect/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::config(format!("cannot build HTTP client: {e}")))?,
        };
        let http = HttpClient::with_client(PROVIDER, reqwest_client, self.retry);
        let window = self.max_age.saturating_add(self.max_future_skew);
        Ok(Lever {
            api_base,
            connections: self.connections,
            tokens: Arc::new(tokens),
            http,
            regions: Arc::new(Regions::default()),
            webhook_path: WebhookPath::parse(&self.webhook_path)?,
            tag_prefix: self.tag_prefix,
            notify_followers: self.notify_followers,
            note_secret: self.note_secret,
            note_score: self.note_score,
            clock: self.clock,
            max_age: self.max_age,
            max_future_skew: self.max_future_skew,
            replay: self.replay.unwrap_or_else(|| {
                let guard = ReplayGuard::new(window);
                Arc::new(match self.delivery_log {
                    Some(log) => guard.with_log(log),
                    None => guard,
                })
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_path_template() {
        let p = WebhookPath::parse(DEFAULT_WEBHOOK_PATH).unwrap();
        assert_eq!(p.tenant("/lever/acme/webhook"), Some(TenantId::new("acme")));
        assert_eq!(
            p.tenant("/lever/acme/webhook/"),
            Some(TenantId::new("acme"))
        );
        assert_eq!(p.tenant("/lever//webhook"), None);
        assert_eq!(p.tenant("/lever/a/b/webhook"), None);
        assert_eq!(p.tenant("/lever/a%2Fb/webhook"), None);
        assert_eq!(p.tenant("/other/acme/webhook"), None);
        assert_eq!(p.for_tenant(&TenantId::new("acme")), "/lever/acme/webhook");
        let q = WebhookPath::parse("/hooks/lever-{tenant}").unwrap();
        assert_eq!(
            q.tenant("/hooks/lever-globex"),
            Some(TenantId::new("globex"))
        );
        assert!(WebhookPath::parse("/lever/webhook").is_err());
        assert!(WebhookPath::parse("lever/{tenant}").is_err());
        assert!(WebhookPath::parse("/{tenant}/{tenant}").is_err());
    }

    #[test]
    fn builds_without_credentials_and_hides_secrets() {
        let lever = LeverBuilder::new()
            .oauth_app(OAuthApp::new(
                "id",
                "very-secret-client",
                "https://x.example/cb",
            ))
            .connections(InMemoryConnections::new().with(
                "acme",
                LeverConnection::new().signature_token("very-secret-signing"),
            ))
            .build()
            .unwrap();
        let dbg = format!("{lever:?}");
        assert!(!dbg.contains("very-secret"), "{dbg}");
        LeverBuilder::new().build().unwrap();
        assert!(
            LeverBuilder::new()
                .api_base_url("not a url")
                .build()
                .is_err()
        );
        assert!(LeverBuilder::new().webhook_path("/nope").build().is_err());
    }

    #[test]
    fn connection_maps_stages_to_packages() {
        let c = LeverConnection::new().trigger_stage("s1", "pkg-1");
        assert_eq!(c.package_for_stage("s1"), Some("pkg-1"));
        assert_eq!(c.package_for_stage("s2"), None);
        let store = InMemoryConnections::new().with("acme", c.clone());
        assert_eq!(store.connection(&TenantId::new("acme")), Some(c));
        store.remove(&TenantId::new("acme"));
        assert_eq!(store.connection(&TenantId::new("acme")), None);
    }
}
