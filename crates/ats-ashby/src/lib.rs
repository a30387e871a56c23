//! Ashby Assessments Partner API adapter, vendor side.
//!
//! Ashby's API is RPC style: every call is `POST <base>/<name>` with a JSON
//! body. Ashby calls four endpoints the vendor hosts (`assessment.list`,
//! `assessment.start`, `assessment.cancel` and, when Ashby enables it,
//! `assessment.customField.list`) with HTTP Basic auth, the key the vendor
//! issued to the customer as user name. The vendor reports progress and
//! results with `assessment.update` on Ashby's API, authenticated with the
//! customer's Ashby API key. Wire facts and sources: `docs/providers/ashby.md`.
//!
//! ```
//! use ats_ashby::Ashby;
//! use ats_core::auth::InMemoryKeys;
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//!
//! let ashby = Ashby::builder()
//!     .keys(InMemoryKeys::new().with("acme", "issued-to-acme"))
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/ashby/assessment.start")
//!     .with_body(r#"{"assessment_type_id": "rust-senior",
//!                   "candidate": {"ashby_id": "c-1", "first_name": "Ines",
//!                                 "last_name": "Okafor", "email": "ines@example.com"},
//!                   "application": {"ashby_id": "a-1", "status": "Active"},
//!                   "job": {"ashby_id": "j-1", "name": "Backend Engineer"}}"#);
//! let operation = ashby.route(&request)?;
//! let InboundEvent::OrderReceived(order) = ashby.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "rust-senior");
//! assert_eq!(order.candidate.primary_email(), Some("ines@example.com"));
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::AshbyBuilder;
pub use crate::provider::Ashby;
pub use crate::translate::{
    CompletedAssessment, relayed_start_to_order, start_to_order, start_value_to_order, update_body,
    update_request,
};

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
                "assessment_start_accepted.json",
                "assessment_update_completed.json",
            )
            .with_packages("assessment_list_ok.json")
            .with_rejection("assessment_start_unknown_package.json")
            .with_cancellation("assessment_cancel_ok.json")
            .with_settings(&[("base_url", "{api}")]),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(Ashby::builder().build()?))
}

/// The per-customer secret the durable server keeps for Ashby: the customer's
/// Ashby API key.
pub const API_KEY: &str = "api_key";

/// How `ats-server` serves Ashby and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::Issued,
        secrets: &[ats_core::registry::Setting::secret(
            API_KEY,
            "the customer's Ashby API key, for assessment.update",
        )],
        endpoint: "",
        instructions: "In Ashby, add the assessment partner with this base URL and API key; the key is shown once.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = Ashby::builder()
        .key_directory(parts.issued_keys())
        .api_key_store(parts.connection_secret(API_KEY)?);
    if let Some(url) = parts.base_url() {
        b = b.base_url(url);
    }
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

/// The configuration `fixtures/ashby/` was recorded against: made-up
/// tenants and credentials, and (where a signature or a timestamp depends
/// on it) a fixed clock.
pub mod recorded {
    use crate::Ashby;
    use crate::wire::{CustomField, CustomFieldType};
    use ats_core::auth::InMemoryKeys;
    use ats_core::{AtsProvider, Clock, Error, RetryConfig};

    /// The key the vendor issued to the customer `acme` (Ashby presents it).
    pub const PARTNER_KEY: &str = "ashby_partner_key_acme_7f3c";
    /// `acme`'s own Ashby API key (the vendor presents it).
    pub const API_KEY: &str = "ashby_api_key_acme_51d2";

    /// The adapter as recorded, sending its outbound calls to `server`.
    pub fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        let ashby = Ashby::builder()
            .keys(InMemoryKeys::new().with("acme", PARTNER_KEY))
            .api_keys(InMemoryKeys::new().with("acme", API_KEY))
            .base_url(server)
            .custom_fields(vec![
                CustomField::new("department", "Department", CustomFieldType::ValueSelect)
                    .with_choice("eng", "Engineering")
                    .with_choice("data", "Data & Analytics")
                    .required(true),
                CustomField::new("seniority", "Seniority", CustomFieldType::ValueSelect)
                    .with_choice("junior", "Junior")
                    .with_choice("senior", "Senior"),
            ])
            .clock(Clock::fixed(
                "2026-01-12T09:30:00Z"
                    .parse()
                    .map_err(|e| Error::config(format!("{e}")))?,
            ))
            .retry(RetryConfig::fast(2))
            .build()?;
        Ok(Box::new(ashby))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[PARTNER_KEY, API_KEY];
}
