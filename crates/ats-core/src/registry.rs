//! How an adapter crate registers itself with the tools around it (the `ats`
//! command, `ats replay`, `ats demo`, the conformance suite, the durable
//! server and gateway): one
//! [`Registration`] per adapter, returned by the crate's `registration()`.
//!
//! ```
//! use ats_core::registry::Registration;
//! use ats_core::{AtsProvider, Error};
//!
//! fn translation_only() -> Result<Box<dyn AtsProvider>, Error> {
//!     Err(Error::config("an example without an adapter"))
//! }
//! fn recorded(_server: &str) -> Result<Box<dyn AtsProvider>, Error> {
//!     translation_only()
//! }
//!
//! let entry = Registration {
//!     name: "example",
//!     translation_only,
//!     recorded,
//!     recorded_secrets: &["example-key"],
//!     demo: None,
//!     served: None,
//! };
//! assert_eq!(entry.name, "example");
//! assert!((entry.recorded)("http://127.0.0.1:1").is_err());
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::auth::{KeyDirectory, SecretStore};
use crate::replay::DeliveryLog;
use crate::{AtsProvider, Error, RetryConfig, Secret, UrlPolicy};

/// What the tools need to know of one adapter.
#[derive(Clone, Copy, Debug)]
pub struct Registration {
    /// The adapter's name ([`AtsProvider::name`]), also the name of its
    /// folder under `fixtures/`.
    pub name: &'static str,
    /// The adapter with no credentials: enough to translate a payload and
    /// render an answer (`ats inspect`, `ats render`).
    pub translation_only: fn() -> Result<Box<dyn AtsProvider>, Error>,
    /// The adapter configured exactly as its recorded fixtures expect
    /// (tenants, keys, secrets, a fixed clock), sending its outbound calls
    /// to `server` (a stand-in of the provider). Every key in it is made up.
    pub recorded: fn(&str) -> Result<Box<dyn AtsProvider>, Error>,
    /// Every credential in the recorded configuration: none of them may
    /// appear in logs, errors or `Debug` output.
    pub recorded_secrets: &'static [&'static str],
    /// The two fixtures `ats demo` plays for this adapter.
    pub demo: Option<DemoFixtures>,
    /// How a durable server builds and connects it; `None`: the adapter is
    /// not served by `ats-server`.
    pub served: Option<Served>,
}

/// What `ats demo` plays for an adapter, as fixture file names in the
/// adapter's fixture folder: an order the vendor accepts and the completed
/// result that goes back, and where the provider has them, its package
/// list, a rejected order and a cancellation; and how the demo's gateway
/// is set up for the simulated provider (its settings, the customer's
/// connection).
///
/// In [`settings`](Self::settings) and [`connection`](Self::connection),
/// `{api}` stands for the simulated provider's API (`http://127.0.0.1:PORT`),
/// `{secret}` for the one random secret the demo shares with the simulated
/// provider (its keys, signing secrets, OAuth client secret), and
/// `{package}` for the package the demo orders.
///
/// ```
/// use ats_core::registry::DemoFixtures;
///
/// const DEMO: DemoFixtures = DemoFixtures::new("order.json", "result.json")
///     .with_tenant("900123")
///     .with_settings(&[("base_url", "{api}/v1"), ("webhook_secret", "{secret}")]);
/// assert_eq!(DEMO.settings[0], ("base_url", "{api}/v1"));
/// assert_eq!(DEMO.connection, "{}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoFixtures {
    /// An inbound fixture whose event is an order the vendor accepts.
    pub order: &'static str,
    /// An outbound fixture whose call reports a completed result.
    pub result: &'static str,
    /// The package list: an inbound fixture where the provider asks for
    /// it, an outbound one (`publish_packages`) where the vendor pushes it.
    pub packages: Option<&'static str>,
    /// An inbound fixture whose order the vendor rejects.
    pub rejection: Option<&'static str>,
    /// An inbound fixture that cancels an order.
    pub cancellation: Option<&'static str>,
    /// An inbound fixture where the provider asks for an order's status
    /// once the result is in (Greenhouse's `test_status`).
    pub status: Option<&'static str>,
    /// The tenant the recorded order is for (`acme` unless the provider
    /// names it in the order: an integration, account or company id).
    pub tenant: &'static str,
    /// The gateway's `[providers.<name>]` settings for the demo, as
    /// (key, value) pairs: `base_url` and every setting the adapter needs
    /// to reach the simulated provider.
    pub settings: &'static [(&'static str, &'static str)],
    /// Fields of the demo's `POST /api/v1/connections` beyond `provider`,
    /// `tenant`, the given `key` and the declared connection secrets (which
    /// the demo fills in itself), as a JSON object.
    pub connection: &'static str,
}

impl DemoFixtures {
    /// An order and its result; nothing else.
    pub const fn new(order: &'static str, result: &'static str) -> Self {
        Self {
            order,
            result,
            packages: None,
            rejection: None,
            cancellation: None,
            status: None,
            tenant: "acme",
            settings: &[],
            connection: "{}",
        }
    }

    /// With the package list.
    pub const fn with_packages(mut self, fixture: &'static str) -> Self {
        self.packages = Some(fixture);
        self
    }

    /// With a rejected order.
    pub const fn with_rejection(mut self, fixture: &'static str) -> Self {
        self.rejection = Some(fixture);
        self
    }

    /// With a cancellation.
    pub const fn with_cancellation(mut self, fixture: &'static str) -> Self {
        self.cancellation = Some(fixture);
        self
    }

    /// With the provider's request for an order's status.
    pub const fn with_status(mut self, fixture: &'static str) -> Self {
        self.status = Some(fixture);
        self
    }

    /// With the tenant the recorded order is for.
    pub const fn with_tenant(mut self, tenant: &'static str) -> Self {
        self.tenant = tenant;
        self
    }

    /// With the gateway settings the demo configures.
    pub const fn with_settings(
        mut self,
        settings: &'static [(&'static str, &'static str)],
    ) -> Self {
        self.settings = settings;
        self
    }

    /// With more fields for the demo's connection request (a JSON object).
    pub const fn with_connection(mut self, fields: &'static str) -> Self {
        self.connection = fields;
        self
    }
}

/// How a durable server (`ats-server`, `ats serve`) builds this adapter on
/// its store and what connecting one customer takes. The server holds no
/// code of its own for an adapter that has one.
#[derive(Clone, Copy, Debug)]
pub struct Served {
    /// Account-wide settings the adapter takes: a gateway configuration's
    /// `[providers.<name>]` keys, or the variables `ATS_<NAME>_<SETTING>`.
    pub settings: &'static [Setting],
    /// Whether a base URL may replace the provider's API host (a sandbox,
    /// a stand-in of the provider).
    pub base_url: bool,
    /// What connecting one customer takes.
    pub connection: ConnectionShape,
    /// Builds the adapter from the server's stores. `None` when the adapter
    /// needs stores of its own kinds, which the server then builds itself.
    pub build: Option<BuildServed>,
}

/// Builds an adapter from a durable server's stores ([`Served::build`]).
pub type BuildServed = fn(&ServeParts) -> Result<Box<dyn AtsProvider>, Error>;

/// One named setting: an account-wide one in [`Served::settings`], or a
/// per-customer secret in [`ConnectionShape::secrets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The key (`api_key`, `webhook_secret`, `codename`).
    pub name: &'static str,
    /// Whether the value is a secret: never written in a configuration
    /// file (only `${VARIABLE}` or `file:PATH`), never printed.
    pub secret: bool,
    /// What it is, for error messages and `--check`.
    pub doc: &'static str,
}

impl Setting {
    /// A secret setting.
    pub const fn secret(name: &'static str, doc: &'static str) -> Self {
        Self {
            name,
            secret: true,
            doc,
        }
    }

    /// A setting that is not secret (an id, a codename, a URI).
    pub const fn plain(name: &'static str, doc: &'static str) -> Self {
        Self {
            name,
            secret: false,
            doc,
        }
    }

    /// The environment variable that holds it for adapter `provider`:
    /// `ATS_KOMBO_API_KEY` for Kombo's `api_key`.
    pub fn env_var(&self, provider: &str) -> String {
        format!("ATS_{provider}_{}", self.name).to_ascii_uppercase()
    }
}

/// What connecting one customer takes (the gateway's
/// `POST /api/v1/connections`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionShape {
    /// The key the provider presents on every call, and where it comes
    /// from.
    pub key: ConnectionKey,
    /// The customer's own secrets the connection must carry (stored sealed
    /// under these names, read by the adapter through
    /// [`ServeParts::connection_secret`]).
    pub secrets: &'static [Setting],
    /// The path under `/<name>` the customer points the provider at
    /// (`""` for the adapter's base, `"/webhooks"`).
    pub endpoint: &'static str,
    /// What the customer does with the endpoint URL (and the key, when one
    /// is issued), in one sentence.
    pub instructions: &'static str,
}

/// The key a provider presents on every call of one customer (partner
/// APIs), looked up by its digest ([`ServeParts::issued_keys`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionKey {
    /// None: the provider signs its calls with an account-wide secret, or
    /// the connection is an OAuth grant.
    None,
    /// The vendor issues a random key, shown once; the customer enters it
    /// in the ATS.
    Issued,
    /// The provider mints the key and the customer hands it to the vendor
    /// (the connection request's `key`); kept as its digest like an issued
    /// one.
    Given,
}

/// The stores and settings a durable server hands [`Served::build`].
#[derive(Clone)]
pub struct ServeParts {
    issued_keys: Arc<dyn KeyDirectory>,
    issued_key_secrets: Arc<dyn SecretStore>,
    delivery_log: Arc<dyn DeliveryLog>,
    connection_secrets: BTreeMap<String, Arc<dyn SecretStore>>,
    settings: BTreeMap<String, Secret>,
    base_url: Option<String>,
    insecure_callback_hosts: Vec<String>,
    retry: Option<RetryConfig>,
    oauth_tokens: Option<Arc<dyn crate::oauth::TokenStore>>,
}

impl fmt::Debug for ServeParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeParts")
            .field("connection_secrets", &self.connection_secrets.keys())
            .field("settings", &self.settings.keys())
            .field("base_url", &self.base_url)
            .field("insecure_callback_hosts", &self.insecure_callback_hosts)
            .field("oauth_tokens", &self.oauth_tokens)
            .finish_non_exhaustive()
    }
}

impl ServeParts {
    /// Parts around the adapter's durable key directory (keys the vendor
    /// issued, looked up by digest), the same keys as a [`SecretStore`]
    /// (for providers that send the key back out) and its shared delivery
    /// log (replay guard).
    pub fn new(
        issued_keys: Arc<dyn KeyDirectory>,
        issued_key_secrets: Arc<dyn SecretStore>,
        delivery_log: Arc<dyn DeliveryLog>,
    ) -> Self {
        Self {
            issued_keys,
            issued_key_secrets,
            delivery_log,
            connection_secrets: BTreeMap::new(),
            settings: BTreeMap::new(),
            base_url: None,
            insecure_callback_hosts: Vec::new(),
            retry: None,
            oauth_tokens: None,
        }
    }

    /// With the store of one per-customer secret ([`ConnectionShape::secrets`]).
    pub fn with_connection_secret(
        mut self,
        name: impl Into<String>,
        store: Arc<dyn SecretStore>,
    ) -> Self {
        self.connection_secrets.insert(name.into(), store);
        self
    }

    /// With an account-wide setting ([`Served::settings`]).
    pub fn with_setting(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.settings.insert(name.into(), value);
        self
    }

    /// With a base URL replacing the provider's API host.
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// With hosts to which callback URLs may point over plain `http` (a
    /// local stand-in of the provider only).
    pub fn with_insecure_callback_hosts(mut self, hosts: Vec<String>) -> Self {
        self.insecure_callback_hosts = hosts;
        self
    }

    /// With the retry policy of each outbound call.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// With the durable store of each customer's OAuth tokens (for an
    /// adapter whose customers connect through an OAuth grant).
    pub fn with_oauth_tokens(mut self, store: Arc<dyn crate::oauth::TokenStore>) -> Self {
        self.oauth_tokens = Some(store);
        self
    }

    /// The keys the vendor issued to this adapter's customers.
    pub fn issued_keys(&self) -> Arc<dyn KeyDirectory> {
        self.issued_keys.clone()
    }

    /// The same keys, by tenant, for a provider that is sent its key back.
    pub fn issued_key_secrets(&self) -> Arc<dyn SecretStore> {
        self.issued_key_secrets.clone()
    }

    /// The delivery log shared by every instance (replay guard).
    pub fn delivery_log(&self) -> Arc<dyn DeliveryLog> {
        self.delivery_log.clone()
    }

    /// The store of per-customer secret `name`; an error when the server
    /// was not given one (a registration that uses a secret it does not
    /// declare in [`ConnectionShape::secrets`]).
    pub fn connection_secret(&self, name: &str) -> Result<Arc<dyn SecretStore>, Error> {
        self.connection_secrets
            .get(name)
            .cloned()
            .ok_or_else(|| Error::config(format!("no store for the per-customer secret `{name}`")))
    }

    /// The store of each customer's OAuth tokens (sealed, with a refresh
    /// lease shared by every instance); an error when the server gave
    /// none.
    pub fn oauth_tokens(&self) -> Result<Arc<dyn crate::oauth::TokenStore>, Error> {
        self.oauth_tokens
            .clone()
            .ok_or_else(|| Error::config("the server gave no OAuth token store"))
    }

    /// Account-wide setting `name`, when configured.
    pub fn setting(&self, name: &str) -> Option<&Secret> {
        self.settings.get(name)
    }

    /// The base URL replacing the provider's API host, when configured.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// The policy for callback URLs: `https` to `default_hosts`, plus the
    /// configured insecure hosts.
    pub fn callback_policy(&self, default_hosts: &[&str]) -> UrlPolicy {
        self.insecure_callback_hosts.iter().fold(
            UrlPolicy::https_hosts(default_hosts.iter().copied()),
            |p, h| p.allow_insecure(h.clone()),
        )
    }

    /// The retry policy of each outbound call, when configured.
    pub fn retry(&self) -> Option<&RetryConfig> {
        self.retry.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TenantId;
    use crate::auth::InMemoryKeys;

    #[derive(Debug)]
    struct NoLog;

    #[async_trait::async_trait]
    impl DeliveryLog for NoLog {
        async fn remember(&self, _: &str, _: chrono::DateTime<chrono::Utc>) -> Result<bool, Error> {
            Ok(true)
        }
        fn forget(&self, _: &str) {}
        async fn seen(&self, _: &str) -> Result<bool, Error> {
            Ok(false)
        }
    }

    #[test]
    fn a_setting_is_read_from_the_variable_named_after_provider_and_setting() {
        let s = Setting::secret("webhook_secret", "signs webhooks");
        assert_eq!(s.env_var("kombo"), "ATS_KOMBO_WEBHOOK_SECRET");
        assert!(s.secret);
        let p = Setting::plain("codename", "in the report URL");
        assert_eq!(p.env_var("recruitee"), "ATS_RECRUITEE_CODENAME");
        assert!(!p.secret);
    }

    #[tokio::test]
    async fn parts_hand_out_what_the_server_put_in_and_hide_secrets() {
        let keys = Arc::new(InMemoryKeys::new().with("acme", "issued-key-1"));
        let parts = ServeParts::new(keys.clone(), keys, Arc::new(NoLog))
            .with_connection_secret(
                "api_key",
                Arc::new(InMemoryKeys::new().with("acme", "customer-key-1")),
            )
            .with_setting("partner_secret", Secret::new("partner-secret-1"))
            .with_base_url("http://127.0.0.1:9")
            .with_insecure_callback_hosts(vec!["127.0.0.1".into()]);
        let acme = TenantId::new("acme");
        let secret = parts.connection_secret("api_key").unwrap();
        assert_eq!(
            secret.secret_for(&acme).await.unwrap().unwrap().expose(),
            "customer-key-1"
        );
        let missing = parts.connection_secret("callback_token").unwrap_err();
        assert!(missing.to_string().contains("callback_token"), "{missing}");
        assert_eq!(
            parts.setting("partner_secret").map(Secret::expose),
            Some("partner-secret-1")
        );
        assert!(parts.setting("codename").is_none());
        assert_eq!(parts.base_url(), Some("http://127.0.0.1:9"));
        assert_eq!(
            parts
                .issued_keys()
                .tenant_for_key(&Secret::new("issued-key-1"))
                .await
                .unwrap(),
            Some(acme.clone())
        );
        let policy = parts.callback_policy(&["api.example.com"]);
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(policy.check(&url("https://api.example.com/x")).is_ok());
        assert!(policy.check(&url("http://127.0.0.1:8080/x")).is_ok());
        assert!(policy.check(&url("http://api.example.com/x")).is_err());
        let debug = format!("{parts:?}");
        for secret in ["issued-key-1", "customer-key-1", "partner-secret-1"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("partner_secret"), "{debug}");
    }

    #[tokio::test]
    async fn parts_hand_out_the_oauth_token_store_or_say_there_is_none() {
        use crate::oauth::{InMemoryTokenStore, TokenSet};
        let keys = Arc::new(InMemoryKeys::new());
        let bare = ServeParts::new(keys.clone(), keys.clone(), Arc::new(NoLog));
        let e = bare.oauth_tokens().unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: the server gave no OAuth token store"
        );
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let store = InMemoryTokenStore::new().with("acme", TokenSet::new("at-1", "rt-1", at));
        let parts = bare.with_oauth_tokens(Arc::new(store));
        let tokens = parts.oauth_tokens().unwrap();
        let loaded = tokens.load(&TenantId::new("acme")).await.unwrap().unwrap();
        assert_eq!(loaded.access_token.expose(), "at-1");
        let debug = format!("{parts:?}");
        assert!(
            !debug.contains("at-1") && !debug.contains("rt-1"),
            "{debug}"
        );
        assert!(debug.contains("oauth_tokens"), "{debug}");
    }
}
