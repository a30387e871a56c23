//! The seven shipped adapters, wired to a [`Store`]: keys the vendor
//! issues are looked up by digest, customers' credentials are sealed in the
//! store, Lever's tokens and connections and StackOne's package ids are
//! durable. Provider-wide secrets (an aggregator's API key and webhook
//! secret) come from [`ProviderSecrets`].

use std::collections::BTreeMap;
use std::sync::Arc;

use ats_core::{AtsProvider, RetryConfig, Secret, UrlPolicy};
use ats_store::{LeverConnections, StackOnePackageIds, Store};

use crate::error::RuntimeError;

/// The secret names under which [`stock_adapters`] looks up each tenant's
/// own credentials ([`Store::put_secret`]).
pub mod secret_names {
    /// A customer's Ashby API key (`assessment.update`).
    pub const ASHBY_API_KEY: &str = "api_key";
    /// The token Workable issued for a customer's result callbacks.
    pub const WORKABLE_CALLBACK_TOKEN: &str = "callback_token";
}

/// Secrets that belong to the vendor's account with a provider rather than
/// to one customer. Each is optional: an adapter without its secret is
/// still served, and refuses what it cannot verify or send.
#[derive(Clone, Debug, Default)]
pub struct ProviderSecrets {
    /// Kombo API key (`ATS_KOMBO_API_KEY`).
    pub kombo_api_key: Option<Secret>,
    /// Kombo webhook secret (`ATS_KOMBO_WEBHOOK_SECRET`).
    pub kombo_webhook_secret: Option<Secret>,
    /// StackOne API key (`ATS_STACKONE_API_KEY`).
    pub stackone_api_key: Option<Secret>,
    /// StackOne webhook signing secret (`ATS_STACKONE_SIGNING_SECRET`).
    pub stackone_signing_secret: Option<Secret>,
    /// Knit API key (`ATS_KNIT_API_KEY`), which also signs Knit's webhooks.
    pub knit_api_key: Option<Secret>,
    /// Lever OAuth app: client id (`ATS_LEVER_CLIENT_ID`).
    pub lever_client_id: Option<String>,
    /// Lever OAuth app: client secret (`ATS_LEVER_CLIENT_SECRET`).
    pub lever_client_secret: Option<Secret>,
    /// Lever OAuth app: redirect URI (`ATS_LEVER_REDIRECT_URI`).
    pub lever_redirect_uri: Option<String>,
    /// Recruitee: the secret Recruitee issued when the partner was
    /// registered (`ATS_RECRUITEE_PARTNER_SECRET`), sent with every report.
    pub recruitee_partner_secret: Option<Secret>,
    /// Recruitee: the partner's codename (`ATS_RECRUITEE_CODENAME`), in the
    /// report URL.
    pub recruitee_codename: Option<String>,
}

impl ProviderSecrets {
    /// Reads the variables named on each field; unset or empty ones are `None`.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            kombo_api_key: var("ATS_KOMBO_API_KEY").map(Secret::new),
            kombo_webhook_secret: var("ATS_KOMBO_WEBHOOK_SECRET").map(Secret::new),
            stackone_api_key: var("ATS_STACKONE_API_KEY").map(Secret::new),
            stackone_signing_secret: var("ATS_STACKONE_SIGNING_SECRET").map(Secret::new),
            knit_api_key: var("ATS_KNIT_API_KEY").map(Secret::new),
            lever_client_id: var("ATS_LEVER_CLIENT_ID"),
            lever_client_secret: var("ATS_LEVER_CLIENT_SECRET").map(Secret::new),
            lever_redirect_uri: var("ATS_LEVER_REDIRECT_URI"),
            recruitee_partner_secret: var("ATS_RECRUITEE_PARTNER_SECRET").map(Secret::new),
            recruitee_codename: var("ATS_RECRUITEE_CODENAME"),
        }
    }
}

/// Which adapters to build and how (beyond the store and the secrets).
#[derive(Clone, Debug, Default)]
pub struct StockOptions {
    /// Only these adapters (by name); `None`: all of [`STOCK_ADAPTERS`].
    pub only: Option<Vec<String>>,
    /// A base URL per adapter name, replacing the provider's production
    /// API (`ashby`, `kombo`, `stackone`, `knit`, `recruitee`; `lever`'s API base).
    pub base_urls: BTreeMap<String, String>,
    /// Hosts to which per-order callback URLs (Greenhouse, Workable) may
    /// point over plain `http`, besides the providers' own `https` hosts:
    /// for a local stand-in of the provider only.
    pub insecure_callback_hosts: Vec<String>,
    /// The HTTP retry policy of each outbound call (inside one outbox
    /// attempt); default: the adapters' own.
    pub retry: Option<RetryConfig>,
    /// An OAuth base URL per adapter name, replacing the provider's
    /// authorization host (`lever`: `<base>/authorize` and
    /// `<base>/oauth/token` instead of `https://auth.lever.co/…`).
    pub oauth_base_urls: BTreeMap<String, String>,
}

/// The names [`stock_adapters`] knows, in its order.
pub const STOCK_ADAPTERS: [&str; 8] = [
    "greenhouse",
    "ashby",
    "lever",
    "workable",
    "kombo",
    "stackone",
    "knit",
    "recruitee",
];

/// Greenhouse, Ashby, Lever, Workable, Kombo, StackOne, Knit and Recruitee, each
/// backed by `store`, in that order. `instance` names this process in
/// Lever's refresh leases.
pub async fn stock_adapters(
    store: &Store,
    secrets: &ProviderSecrets,
    instance: &str,
) -> Result<Vec<Arc<dyn AtsProvider>>, RuntimeError> {
    Ok(
        stock_adapters_with(store, secrets, instance, &StockOptions::default())
            .await?
            .adapters,
    )
}

/// What [`stock_adapters_with`] built.
#[derive(Debug)]
pub struct StockAdapters {
    /// The adapters, in [`STOCK_ADAPTERS`] order.
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
    secrets: &ProviderSecrets,
    instance: &str,
    options: &StockOptions,
) -> Result<StockAdapters, RuntimeError> {
    if let Some(unknown) = options
        .only
        .iter()
        .flatten()
        .find(|n| !STOCK_ADAPTERS.contains(&n.as_str()))
    {
        return Err(RuntimeError::Config(format!(
            "unknown provider `{unknown}`; known: {}",
            STOCK_ADAPTERS.join(", ")
        )));
    }
    for name in options.base_urls.keys() {
        if !["ashby", "kombo", "stackone", "knit", "lever", "recruitee"].contains(&name.as_str()) {
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
    let keys = |provider: &str| Arc::new(store.issued_keys(provider));
    let base = |name: &str| options.base_urls.get(name).cloned();
    let policy = |hosts: &[&str]| {
        options
            .insecure_callback_hosts
            .iter()
            .fold(UrlPolicy::https_hosts(hosts.iter().copied()), |p, h| {
                p.allow_insecure(h.clone())
            })
    };
    let retry = options.retry.clone();
    let mut out: Vec<Arc<dyn AtsProvider>> = Vec::new();
    let mut lever_connections = None;
    let mut lever = None;

    if wanted("greenhouse") {
        let mut b = ats_greenhouse::Greenhouse::builder()
            .key_stores(keys("greenhouse"), keys("greenhouse"))
            .callback_policy(policy(&ats_greenhouse::builder::DEFAULT_CALLBACK_HOSTS));
        if let Some(r) = &retry {
            b = b.retry(r.clone());
        }
        out.push(Arc::new(b.build().map_err(config)?));
    }
    if wanted("ashby") {
        let mut b = ats_ashby::Ashby::builder()
            .key_directory(keys("ashby"))
            .api_key_store(Arc::new(
                store.secrets("ashby", secret_names::ASHBY_API_KEY),
            ));
        if let Some(url) = base("ashby") {
            b = b.base_url(url);
        }
        if let Some(r) = &retry {
            b = b.retry(r.clone());
        }
        out.push(Arc::new(b.build().map_err(config)?));
    }
    if wanted("lever") {
        let connections = LeverConnections::load(store).await?;
        lever_connections = Some(connections.clone());
        let mut b = ats_lever::Lever::builder()
            .token_store(Arc::new(store.lever_tokens(instance)))
            .delivery_log(Arc::new(store.delivery_log("lever")))
            .connection_store(Arc::new(connections));
        if let (Some(id), Some(secret), Some(redirect)) = (
            &secrets.lever_client_id,
            &secrets.lever_client_secret,
            &secrets.lever_redirect_uri,
        ) {
            b = b.oauth_app(ats_lever::OAuthApp::new(id, secret.clone(), redirect));
        }
        if let Some(url) = base("lever") {
            b = b.api_base_url(url);
        }
        if let Some(url) = options.oauth_base_urls.get("lever") {
            let url = url.trim_end_matches('/');
            b = b
                .authorize_url(format!("{url}/authorize"))
                .token_url(format!("{url}/oauth/token"));
        }
        if let Some(r) = &retry {
            b = b.retry(r.clone());
        }
        let built = Arc::new(b.build().map_err(config)?);
        lever = Some(built.clone());
        out.push(built);
    }
    if wanted("workable") {
        let mut b = ats_workable::Workable::builder()
            .key_directory(keys("workable"))
            .callback_token_store(Arc::new(
                store.secrets("workable", secret_names::WORKABLE_CALLBACK_TOKEN),
            ))
            .callback_policy(policy(&ats_workable::builder::DEFAULT_CALLBACK_HOSTS));
        if let Some(r) = &retry {
            b = b.retry(r.clone());
        }
        out.push(Arc::new(b.build().map_err(config)?));
    }
    if wanted("kombo") {
        let mut b = ats_kombo::Kombo::builder();
        if let Some(k) = &secrets.kombo_api_key {
            b = b.api_key(k.clone());
        }
        if let Some(s) = &secrets.kombo_webhook_secret {
            b = b.webhook_secret(s.clone());
        }
        if let Some(url) = base("kombo") {
            b = b.base_url(url);
        }
        if let Some(r) = &retry {
            b = b.retry(r.clone());
        }
        out.push(Arc::new(b.build().map_err(config)?));
    }
    if wanted("stackone") {
        let mut b = ats_stackone::StackOne::builder()
            .package_endpoint_key_directory(keys("stackone"))
            .package_ids(Arc::new(StackOnePackageIds::load(store).await?));
        if let Some(k) = &secrets.stackone_api_key {
            b = b.api_key(k.clone());
        }
        if let Some(s) = &secrets.stackone_signing_secret {
            b = b.signing_secret(s.clone());
        }
        if let Some(url) = base("stackone") {
            b = b.base_url(url);
        }
        if let Some(r) = &retry {
            b = b.retry(r.clone());
        }
        out.push(Arc::new(b.build().map_err(config)?));
    }
    if wanted("knit") {
        let mut b = ats_knit::Knit::builder();
        if let Some(k) = &secrets.knit_api_key {
            b = b.api_key(k.clone());
        }
        if let Some(url) = base("knit") {
            b = b.base_url(url);
        }
        if let Some(r) = &retry {
            b = b.retry(r.clone());
        }
        out.push(Arc::new(b.build().map_err(config)?));
    }
    if wanted("recruitee") {
        let mut b = ats_recruitee::Recruitee::builder().key_directory(keys("recruitee"));
        if let Some(secret) = &secrets.recruitee_partner_secret {
            b = b.partner_secret(secret.clone());
        }
        if let Some(codename) = &secrets.recruitee_codename {
            b = b.codename(codename.clone());
        }
        if let Some(url) = base("recruitee") {
            b = b.base_url(url);
        }
        if let Some(r) = &retry {
            b = b.retry(r.clone());
        }
        out.push(Arc::new(b.build().map_err(config)?));
    }
    Ok(StockAdapters {
        adapters: out,
        lever_connections,
        lever,
    })
}
