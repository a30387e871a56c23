//! Teamtailor Partner API adapter, vendor side.
//!
//! Teamtailor calls two endpoints under the base URL the vendor registered
//! as a partner: `GET …/config` (the form a recruiter fills in when setting
//! up a trigger: here, the vendor's tests) and `POST …/webhook` (a trigger
//! ran: the `partner-event` with the picked test in `webhook-data`, the
//! candidate, and the `partner-result` to update, with its `update-url`).
//! Both carry `Authorization: Bearer <provider key>`, the key of the
//! customer's activation. The vendor writes progress and results with
//! `PUT {update-url}` (JSON:API, `X-Api-Version`), authenticated with its
//! partner API key. Wire facts, sources and what is unconfirmed:
//! `docs/providers/teamtailor.md`.
//!
//! ```
//! use ats_core::auth::InMemoryKeys;
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//! use ats_teamtailor::Teamtailor;
//!
//! let teamtailor = Teamtailor::builder()
//!     .keys(InMemoryKeys::new().with("acme", "tt_pk_acme_3c9e1f7a2b"))
//!     .api_key("partner-api-key-from-the-integrations-hub")
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/teamtailor/webhook")
//!     .with_body(r#"{"partner-event": {"id": "f3d7e8e2", "webhook-data": {"test": "1"},
//!         "partner-result": {"id": "1a6d5a41", "status": "sending",
//!           "update-url": "https://api.teamtailor.com/partner/v1/partner-results/1a6d5a41"},
//!         "candidate": {"id": 54321, "first-name": "Marisol", "last-name": "Quenby",
//!                       "email": "marisol.quenby@example.com"}}}"#);
//! let operation = teamtailor.route(&request)?;
//! let InboundEvent::OrderReceived(order) = teamtailor.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "1");
//! assert_eq!(order.provider_order_id.as_deref(), Some("1a6d5a41"));
//! assert_eq!(order.candidate.primary_email(), Some("marisol.quenby@example.com"));
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::TeamtailorBuilder;
pub use crate::provider::Teamtailor;

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
                "webhook_accepted.json",
                "update_partner_result_completed.json",
            )
            .with_packages("config_ok.json")
            .with_rejection("webhook_unknown_test.json")
            .with_settings(&[("base_url", "{api}"), ("api_key", "{secret}")]),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(Teamtailor::builder().build()?))
}

/// How `ats-server` serves Teamtailor and connects a customer. Teamtailor
/// mints each customer's provider key at activation; the customer hands it
/// over with the connection, and the server keeps its digest.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[
        ats_core::registry::Setting::secret(
            "api_key",
            "the integration's partner API key, sent with every result",
        ),
        ats_core::registry::Setting::secret(
            "webhook_secret",
            "the integration's webhook secret (Teamtailor-Signature)",
        ),
    ],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::Given,
        secrets: &[],
        endpoint: "",
        instructions: "Set this URL as the integration's base URL in Teamtailor; Teamtailor calls /config and /webhook under it with the customer's provider key.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = Teamtailor::builder()
        .key_directory(parts.issued_keys())
        .callback_policy(parts.callback_policy(&builder::DEFAULT_CALLBACK_HOSTS));
    if let Some(key) = parts.setting("api_key") {
        b = b.api_key(key.clone());
    }
    if let Some(secret) = parts.setting("webhook_secret") {
        b = b.webhook_secret(secret.clone());
    }
    if let Some(url) = parts.base_url() {
        b = b.base_url(url);
    }
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

/// The configuration `fixtures/teamtailor/` was recorded against: made-up
/// tenants and credentials.
pub mod recorded {
    use crate::Teamtailor;
    use crate::builder::DEFAULT_CALLBACK_HOSTS;
    use ats_core::auth::InMemoryKeys;
    use ats_core::{AtsProvider, Error, RetryConfig, UrlPolicy};

    /// The provider key of the customer `acme`'s activation (Teamtailor →
    /// vendor).
    pub const PROVIDER_KEY: &str = "tt_pk_acme_3c9e1f7a2b6d";
    /// The vendor's partner API key (vendor → Teamtailor).
    pub const API_KEY: &str = "tt_partner_api_key_0d9e8f7a";

    /// The adapter as recorded, sending its outbound calls to `server`
    /// (the webhooks' `update-url`, or the API base without one).
    pub fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        let teamtailor = Teamtailor::builder()
            .keys(InMemoryKeys::new().with("acme", PROVIDER_KEY))
            .api_key(API_KEY)
            .base_url(server)
            .callback_policy(
                UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS).allow_insecure("127.0.0.1"),
            )
            .retry(RetryConfig::fast(2))
            .build()?;
        Ok(Box::new(teamtailor))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[PROVIDER_KEY, API_KEY];
}
