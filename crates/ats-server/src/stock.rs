//! The shipped adapters, wired to a [`Store`]: keys the vendor issues are
//! looked up by digest, customers' credentials are sealed in the store,
//! Lever's tokens and connections and StackOne's package ids are durable.
//! Account-wide settings (an aggregator's API key and webhook secret) come
//! from [`ProviderSettings`].
//!
//! Each adapter says how it is served in its own registration
//! ([`Served`](ats_core::registry::Served)): the settings it takes, what a
//! customer's connection holds, and how it is built from the store's
//! provider-neutral parts ([`ServeParts`]). Adding an adapter is one line in
//! [`registrations`]; only Lever and StackOne, whose stores are of their own
//! kinds, are built here.

use std::collections::BTreeMap;
use std::sync::Arc;

use ats_core::registry::{Registration, ServeParts};
use ats_core::{AtsProvider, RetryConfig, Secret};
use ats_store::{LeverConnections, StackOnePackageIds, Store};

use crate::error::RuntimeError;

/// Every adapter of the workspace, in the order they are listed: one line
/// per adapter crate, each its own [`Registration`]. This is the one
/// registration point: the `ats` command, `ats replay` / `simulate` /
/// `demo`, CI's conformance guard, [`stock_adapters`] and the gateway all
/// take their adapters from here.
pub fn registrations() -> Vec<Registration> {
    vec![
        ats_greenhouse::registration(),
        ats_ashby::registration(),
        ats_lever::registration(),
        ats_workable::registration(),
        ats_kombo::registration(),
        ats_stackone::registration(),
        ats_knit::registration(),
        ats_recruitee::registration(),
        ats_teamtailor::registration(),
        ats_smartrecruiters::registration(),
        ats_hibob::registration(),
    ]
}

/// The names of the adapters [`stock_adapters`] can build (those whose
/// registration says how they are served), in order.
pub fn stock_names() -> Vec<&'static str> {
    registrations()
        .into_iter()
        .filter(|r| r.served.is_some())
        .map(|r| r.name)
        .collect()
}

/// The secret names under which [`stock_adapters`] looks up each tenant's
/// own credentials ([`Store::put_secret`]): each adapter declares its own
/// ([`ConnectionShape::secrets`](ats_core::registry::ConnectionShape::secrets)).
pub mod secret_names {
    /// A customer's Ashby API key (`assessment.update`).
    pub const ASHBY_API_KEY: &str = ats_ashby::API_KEY;
    /// The token Workable issued for a customer's result callbacks.
    pub const WORKABLE_CALLBACK_TOKEN: &str = ats_workable::CALLBACK_TOKEN;
}

/// Settings that belong to the vendor's account with a provider rather than
/// to one customer (an aggregator's API key and webhook secret, an OAuth
/// app), by adapter and setting name as each adapter declares them
/// ([`Served::settings`](ats_core::registry::Served::settings)). Each is
/// optional: an adapter without its secret is still served, and refuses
/// what it cannot verify or send.
///
/// ```
/// use ats_core::Secret;
/// use ats_server::ProviderSettings;
///
/// let settings = ProviderSettings::default()
///     .with("kombo", "api_key", Secret::new("kombo-key"));
/// assert_eq!(settings.get("kombo", "api_key").map(Secret::expose), Some("kombo-key"));
/// assert!(settings.get("kombo", "webhook_secret").is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ProviderSettings {
    values: BTreeMap<String, BTreeMap<String, Secret>>,
}

impl ProviderSettings {
    /// Reads every setting every served adapter declares from its variable
    /// (`ATS_KOMBO_API_KEY`, `ATS_RECRUITEE_CODENAME`, …, see
    /// [`Setting::env_var`](ats_core::registry::Setting::env_var)); unset or
    /// empty ones are left out.
    pub fn from_env() -> Self {
        let mut out = Self::default();
        for r in registrations() {
            for s in r.served.iter().flat_map(|s| s.settings) {
                if let Ok(v) = std::env::var(s.env_var(r.name))
                    && !v.trim().is_empty()
                {
                    out = out.with(r.name, s.name, Secret::new(v.trim()));
                }
            }
        }
        out
    }

    /// With setting `name` of adapter `provider`.
    pub fn with(mut self, provider: &str, name: &str, value: Secret) -> Self {
        self.set(provider, name, value);
        self
    }

    /// Sets setting `name` of adapter `provider`.
    pub fn set(&mut self, provider: &str, name: &str, value: Secret) {
        self.values
            .entry(provider.to_owned())
            .or_default()
            .insert(name.to_owned(), value);
    }

    /// Setting `name` of adapter `provider`, when set.
    pub fn get(&self, provider: &str, name: &str) -> Option<&Secret> {
        self.values.get(provider)?.get(name)
    }
}

/// Which adapters to build and how (beyond the store and the secrets).
#[derive(Clone, Debug, Default)]
pub struct StockOptions {
    /// Only these adapters (by name); `None`: all of [`stock_names`].
    pub only: Option<Vec<String>>,
    /// A base URL per adapter name, replacing the provider's production
    /// API, for the adapters whose registration allows one
    /// ([`Served::base_url`](ats_core::registry::Served::base_url)).
    pub base_urls: BTreeMap<String, String>,
    /// Hosts to which per-order callback URLs (Greenhouse, Workable,
    /// Teamtailor) may point over plain `http`, besides the providers' own
    /// `https` hosts: for a local stand-in of the provider only.
    pub insecure_callback_hosts: Vec<String>,
    /// The HTTP retry policy of each outbound call (inside one outbox
    /// attempt); default: the adapters' own.
    pub retry: Option<RetryConfig>,
    /// An OAuth base URL per adapter name, replacing the provider's
    /// authorization host (`lever`: `<base>/authorize` and
    /// `<base>/oauth/token` instead of `https://auth.lever.co/…`).
    pub oauth_base_urls: BTreeMap<String, String>,
}

/// Every adapter of [`registrations`], each backed by `store`, in that
/// order. `instance` names this process in Lever's refresh leases.
pub async fn stock_adapters(
    store: &Store,
    settings: &ProviderSettings,
    instance: &str,
) -> Result<Vec<Arc<dyn AtsProvider>>, RuntimeError> {
    Ok(
        stock_adapters_with(store, settings, instance, &StockOptions::default())
            .await?
            .adapters,
    )
}

/// What [`stock_adapters_with`] built.
#[derive(Debug)]
pub struct StockAdapters {
    /// The adapters, in [`registrations`] order.
    pub adapters: Vec<Arc<dyn AtsProvider>>,
    /// The Lever adapter's connection store (the same cache), when Lever
    /// was built: connections put here are seen by the adapter at once.
    pub lever_connections: Option<LeverConnections>,
    /// The Lever adapter itself (also in `adapters`), for what only Lever
    /// has: connecting a customer through OAuth, listing stages.
    pub lever: Option<Arc<ats_lever::Lever>>,
}

/// [`stock_adapters`] with [`StockOptions`].
pub async fn stock_adapters_with(
    store: &Store,
    settings: &ProviderSettings,
    instance: &str,
    options: &StockOptions,
) -> Result<StockAdapters, RuntimeError> {
    let registrations = registrations();
    let served = |name: &str| {
        registrations
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| r.served)
    };
    if let Some(unknown) = options.only.iter().flatten().find(|n| served(n).is_none()) {
        return Err(RuntimeError::Config(format!(
            "unknown provider `{unknown}`; known: {}",
            stock_names().join(", ")
        )));
    }
    for name in options.base_urls.keys() {
        if !served(name).is_some_and(|s| s.base_url) {
            return Err(RuntimeError::Config(format!(
                "provider `{name}` takes no base URL"
            )));
        }
    }
    let wanted = |name: &str| {
        options
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|n| n == name))
    };
    let config = |e: ats_core::Error| RuntimeError::Config(e.to_string());
    let setting = |provider: &str, name: &str| settings.get(provider, name).cloned();
    let mut out: Vec<Arc<dyn AtsProvider>> = Vec::new();
    let mut lever_connections = None;
    let mut lever = None;

    for registration in &registrations {
        let name = registration.name;
        let Some(served) = registration.served.filter(|_| wanted(name)) else {
            continue;
        };
        if let Some(build) = served.build {
            let mut parts = ServeParts::new(
                Arc::new(store.issued_keys(name)),
                Arc::new(store.issued_keys(name)),
                Arc::new(store.delivery_log(name)),
            )
            .with_oauth_tokens(Arc::new(store.oauth_tokens(name, instance)))
            .with_insecure_callback_hosts(options.insecure_callback_hosts.clone());
            for secret in served.connection.secrets {
                parts = parts.with_connection_secret(
                    secret.name,
                    Arc::new(store.secrets(name, secret.name)),
                );
            }
            for s in served.settings {
                if let Some(value) = setting(name, s.name) {
                    parts = parts.with_setting(s.name, value);
                }
            }
            if let Some(url) = options.base_urls.get(name) {
                parts = parts.with_base_url(url.clone());
            }
            if let Some(r) = &options.retry {
                parts = parts.with_retry(r.clone());
            }
            out.push(Arc::from(build(&parts).map_err(config)?));
            continue;
        }
        // adapters with stores of their own kinds
        match name {
            "lever" => {
                let (adapter, connections) =
                    lever_adapter(store, settings, instance, options).await?;
                lever_connections = Some(connections);
                lever = Some(adapter.clone());
                out.push(adapter);
            }
            "stackone" => {
                let mut b = ats_stackone::StackOne::builder()
                    .package_endpoint_key_directory(Arc::new(store.issued_keys(name)))
                    .package_ids(Arc::new(StackOnePackageIds::load(store).await?));
                if let Some(k) = setting(name, "api_key") {
                    b = b.api_key(k);
                }
                if let Some(s) = setting(name, "signing_secret") {
                    b = b.signing_secret(s);
                }
                if let Some(url) = options.base_urls.get(name) {
                    b = b.base_url(url.clone());
                }
                if let Some(r) = &options.retry {
                    b = b.retry(r.clone());
                }
                out.push(Arc::new(b.build().map_err(config)?));
            }
            other => {
                return Err(RuntimeError::Config(format!(
                    "provider `{other}` needs stores this server does not have"
                )));
            }
        }
    }
    Ok(StockAdapters {
        adapters: out,
        lever_connections,
        lever,
    })
}

/// Lever on the store: its tokens (with refresh leases), its connections
/// (a cache the gateway writes through) and its shared delivery log.
async fn lever_adapter(
    store: &Store,
    settings: &ProviderSettings,
    instance: &str,
    options: &StockOptions,
) -> Result<(Arc<ats_lever::Lever>, LeverConnections), RuntimeError> {
    let connections = LeverConnections::load(store).await?;
    let mut b = ats_lever::Lever::builder()
        .token_store(Arc::new(store.oauth_tokens("lever", instance)))
        .delivery_log(Arc::new(store.delivery_log("lever")))
        .connection_store(Arc::new(connections.clone()));
    let plain = |name: &str| settings.get("lever", name).map(|v| v.expose().to_owned());
    if let (Some(id), Some(secret), Some(redirect)) = (
        plain("client_id"),
        settings.get("lever", "client_secret"),
        plain("redirect_uri"),
    ) {
        b = b.oauth_app(ats_lever::OAuthApp::new(id, secret.clone(), redirect));
    }
    if let Some(url) = options.base_urls.get("lever") {
        b = b.api_base_url(url.clone());
    }
    if let Some(url) = options.oauth_base_urls.get("lever") {
        let url = url.trim_end_matches('/');
        b = b
            .authorize_url(format!("{url}/authorize"))
            .token_url(format!("{url}/oauth/token"));
    }
    if let Some(r) = &options.retry {
        b = b.retry(r.clone());
    }
    let built = b.build().map_err(|e| RuntimeError::Config(e.to_string()))?;
    Ok((Arc::new(built), connections))
}
