//! The seven shipped adapters, wired to a [`Store`]: keys the vendor
//! issues are looked up by digest, customers' credentials are sealed in the
//! store, Lever's tokens and connections and StackOne's package ids are
//! durable. Provider-wide secrets (an aggregator's API key and webhook
//! secret) come from [`ProviderSecrets`].

use std::sync::Arc;

use ats_core::{AtsProvider, Secret};
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
        }
    }
}

/// Greenhouse, Ashby, Lever, Workable, Kombo, StackOne and Knit, each
/// backed by `store`, in that order. `instance` names this process in
/// Lever's refresh leases.
pub async fn stock_adapters(
    store: &Store,
    secrets: &ProviderSecrets,
    instance: &str,
) -> Result<Vec<Arc<dyn AtsProvider>>, RuntimeError> {
    let config = |e: ats_core::Error| RuntimeError::Config(e.to_string());
    let keys = |provider: &str| Arc::new(store.issued_keys(provider));

    let greenhouse = ats_greenhouse::Greenhouse::builder()
        .key_stores(keys("greenhouse"), keys("greenhouse"))
        .build()
        .map_err(config)?;
    let ashby = ats_ashby::Ashby::builder()
        .key_directory(keys("ashby"))
        .api_key_store(Arc::new(
            store.secrets("ashby", secret_names::ASHBY_API_KEY),
        ))
        .build()
        .map_err(config)?;
    let mut lever = ats_lever::Lever::builder()
        .token_store(Arc::new(store.lever_tokens(instance)))
        .delivery_log(Arc::new(store.delivery_log("lever")))
        .connection_store(Arc::new(LeverConnections::load(store).await?));
    if let (Some(id), Some(secret), Some(redirect)) = (
        &secrets.lever_client_id,
        &secrets.lever_client_secret,
        &secrets.lever_redirect_uri,
    ) {
        lever = lever.oauth_app(ats_lever::OAuthApp::new(id, secret.clone(), redirect));
    }
    let lever = lever.build().map_err(config)?;
    let workable = ats_workable::Workable::builder()
        .key_directory(keys("workable"))
        .callback_token_store(Arc::new(
            store.secrets("workable", secret_names::WORKABLE_CALLBACK_TOKEN),
        ))
        .build()
        .map_err(config)?;
    let mut kombo = ats_kombo::Kombo::builder();
    if let Some(k) = &secrets.kombo_api_key {
        kombo = kombo.api_key(k.clone());
    }
    if let Some(s) = &secrets.kombo_webhook_secret {
        kombo = kombo.webhook_secret(s.clone());
    }
    let mut stackone = ats_stackone::StackOne::builder()
        .package_endpoint_key_directory(keys("stackone"))
        .package_ids(Arc::new(StackOnePackageIds::load(store).await?));
    if let Some(k) = &secrets.stackone_api_key {
        stackone = stackone.api_key(k.clone());
    }
    if let Some(s) = &secrets.stackone_signing_secret {
        stackone = stackone.signing_secret(s.clone());
    }
    let mut knit = ats_knit::Knit::builder();
    if let Some(k) = &secrets.knit_api_key {
        knit = knit.api_key(k.clone());
    }
    Ok(vec![
        Arc::new(greenhouse),
        Arc::new(ashby),
        Arc::new(lever),
        Arc::new(workable),
        Arc::new(kombo.build().map_err(config)?),
        Arc::new(stackone.build().map_err(config)?),
        Arc::new(knit.build().map_err(config)?),
    ])
}
