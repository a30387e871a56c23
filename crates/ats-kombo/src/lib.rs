//! Kombo unified ATS assessment API adapter, vendor side.
//!
//! Kombo sits between the vendor and its customers' ATSs. The vendor pushes
//! its packages per integration (`PUT /assessment/packages`), receives
//! signed `assessment:order-received` and `inline-assessment:order-received`
//! webhooks, accepts (2xx) or rejects (422, the message shown in the ATS)
//! each order, and writes results back
//! (`PUT /assessment/orders/{id}/result`). Missed webhooks are caught up
//! with `GET /assessment/orders?statuses=OPEN`
//! ([`AtsProvider::open_orders`](ats_core::AtsProvider::open_orders)). The
//! tenant is Kombo's integration id. Wire facts and sources:
//! `docs/providers/kombo.md`.
//!
//! ```
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest, Secret};
//! use ats_kombo::Kombo;
//!
//! let kombo = Kombo::builder()
//!     .api_key("kombo-api-key")
//!     .webhook_secret("kombo-webhook-secret")
//!     .build()?;
//!
//! let body = r#"{"id":"evt_1","type":"assessment:order-received","data":{
//!     "id":"Hx4pLq9TzW2mRv7cYb3nKs6D","package_id":"pkg-rust-senior","status":"OPEN",
//!     "integration_id":"greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H",
//!     "candidate":{"email":"mira.okafor@example.com","first_name":"Mira"},
//!     "application":{"remote_id":"app-88120"},"job":{"hiring_team":[]}}}"#;
//! let signature = ats_kombo::auth::signature(&Secret::new("kombo-webhook-secret"), body.as_bytes());
//! let request = InboundRequest::new(http::Method::POST, "/webhooks/kombo")
//!     .with_header("x-kombo-signature", &signature)?
//!     .with_body(body);
//!
//! let operation = kombo.route(&request)?;
//! let InboundEvent::OrderReceived(order) = kombo.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.tenant.as_ref().map(|t| t.as_str()), Some("greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H"));
//! assert_eq!(order.provider_order_id.as_deref(), Some("Hx4pLq9TzW2mRv7cYb3nKs6D"));
//! assert_eq!(order.candidate.primary_email(), Some("mira.okafor@example.com"));
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::KomboBuilder;
pub use crate::provider::Kombo;

/// This adapter's entry for the tools around it (`ats`, `ats replay`,
/// `ats demo`, the conformance suite).
pub fn registration() -> ats_core::registry::Registration {
    ats_core::registry::Registration {
        name: translate::PROVIDER,
        translation_only,
        recorded: recorded::adapter,
        recorded_secrets: recorded::SECRETS,
        demo: Some(
            ats_core::registry::DemoFixtures::new(
                "order_received_accepted.json",
                "update_order_result_completed.json",
            )
            .with_packages("set_packages_ok.json")
            .with_rejection("order_received_unknown_package.json")
            .with_tenant("greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H")
            .with_settings(&[
                ("base_url", "{api}"),
                ("api_key", "{secret}"),
                ("webhook_secret", "{secret}"),
            ]),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(Kombo::builder().build()?))
}

/// How `ats-server` serves Kombo and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[
        ats_core::registry::Setting::secret("api_key", "the vendor's Kombo API key"),
        ats_core::registry::Setting::secret(
            "webhook_secret",
            "the secret Kombo signs its webhooks with",
        ),
    ],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::None,
        secrets: &[],
        endpoint: "/webhooks",
        instructions: "Point Kombo's assessment webhooks at the endpoint URL; the tenant is the Kombo integration id.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = Kombo::builder();
    if let Some(k) = parts.setting("api_key") {
        b = b.api_key(k.clone());
    }
    if let Some(s) = parts.setting("webhook_secret") {
        b = b.webhook_secret(s.clone());
    }
    if let Some(url) = parts.base_url() {
        b = b.base_url(url);
    }
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

/// The configuration `fixtures/kombo/` was recorded against: made-up
/// tenants and credentials, and (where a signature or a timestamp depends
/// on it) a fixed clock.
pub mod recorded {
    use crate::Kombo;
    use ats_core::{AtsProvider, Clock, Error, RetryConfig};

    /// A made-up credential or value of the recorded configuration.
    pub const API_KEY: &str = "kombo_test_api_key";
    /// A made-up credential or value of the recorded configuration.
    pub const WEBHOOK_SECRET: &str = "kombo_test_webhook_secret";
    /// Results without `completed_at` are written at this time.
    pub const NOW: &str = "2026-01-02T10:00:00Z";

    /// The adapter as recorded, sending its outbound calls to `server`.
    pub fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        let now = NOW
            .parse()
            .map_err(|e| Error::config(format!("bad test clock: {e}")))?;
        let kombo = Kombo::builder()
            .api_key(API_KEY)
            .webhook_secret("kombo_previous_webhook_secret")
            .webhook_secret(WEBHOOK_SECRET)
            .base_url(server)
            .retry(RetryConfig::fast(2))
            .clock(Clock::fixed(now))
            .build()?;
        Ok(Box::new(kombo))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[API_KEY, WEBHOOK_SECRET, "kombo_previous_webhook_secret"];
}
