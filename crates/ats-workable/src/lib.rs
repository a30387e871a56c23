//! Workable "Assessment Providers" adapter, vendor side.
//!
//! Workable calls two endpoints the vendor hosts under a base URL the
//! customer enters in Workable: `GET …/tests` (the tests a recruiter can
//! pick) and `POST …/assessments` (invite a candidate; the body carries the
//! `callback_url` for the results). Both carry `Authorization: Bearer` with a
//! token the vendor issued to the customer. The vendor reports progress and
//! results with `PUT {callback_url}`, authenticated with a second token that
//! Workable generated for the customer's integration. Wire facts, sources and
//! what is unconfirmed: `docs/providers/workable.md`.
//!
//! ```
//! use ats_core::auth::InMemoryKeys;
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//! use ats_workable::Workable;
//!
//! let workable = Workable::builder()
//!     .keys(InMemoryKeys::new().with("acme", "78e3be68d98268509ea304a506ed6362d"))
//!     .callback_tokens(InMemoryKeys::new().with("acme", "token-workable-generated"))
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/workable/assessments")
//!     .with_body(r#"{"test_id": 2, "job_shortcode": "7A1C2B3D4E",
//!                   "callback_url": "https://acme.workable.com/assessments/callbacks/5512093",
//!                   "candidate": {"first_name": "Marisol", "last_name": "Quenby",
//!                                 "email": "marisol.quenby@example.com"}}"#);
//! let operation = workable.route(&request)?;
//! let InboundEvent::OrderReceived(order) = workable.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "2");
//! assert_eq!(order.candidate.primary_email(), Some("marisol.quenby@example.com"));
//! assert!(order.callback_url.is_some());
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::WorkableBuilder;
pub use crate::provider::Workable;
pub use crate::translate::TestIdFormat;

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
                "create_assessment_accepted.json",
                "assessment_callback_completed.json",
            )
            .with_packages("list_tests_ok.json"),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(Workable::builder().build()?))
}

/// The per-customer secret the durable server keeps for Workable: the token
/// Workable issued for result callbacks.
pub const CALLBACK_TOKEN: &str = "callback_token";

/// How `ats-server` serves Workable and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[],
    base_url: false,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::Issued,
        secrets: &[ats_core::registry::Setting::secret(
            CALLBACK_TOKEN,
            "the token Workable issued for the customer's result callbacks",
        )],
        endpoint: "",
        instructions: "In Workable, add the assessment partner with this base URL and API key; the key is shown once.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = Workable::builder()
        .key_directory(parts.issued_keys())
        .callback_token_store(parts.connection_secret(CALLBACK_TOKEN)?)
        .callback_policy(parts.callback_policy(&builder::DEFAULT_CALLBACK_HOSTS));
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

/// The configuration `fixtures/workable/` was recorded against: made-up
/// tenants and credentials, and (where a signature or a timestamp depends
/// on it) a fixed clock.
pub mod recorded {
    use crate::Workable;
    use crate::builder::DEFAULT_CALLBACK_HOSTS;
    use ats_core::auth::InMemoryKeys;
    use ats_core::{AtsProvider, Error, RetryConfig, UrlPolicy};

    /// The token the vendor issued to the customer `acme` (Workable → vendor).
    pub const INBOUND_TOKEN: &str = "wk_in_acme_5f2b9c1e7d4a";
    /// The token Workable generated for `acme`'s integration (vendor → Workable).
    pub const CALLBACK_TOKEN: &str = "wk_cb_acme_0d9e8f7a6b5c";

    /// The adapter as recorded, sending its outbound calls to `server`.
    pub fn adapter(_server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        let workable = Workable::builder()
            .keys(InMemoryKeys::new().with("acme", INBOUND_TOKEN))
            .callback_tokens(InMemoryKeys::new().with("acme", CALLBACK_TOKEN))
            .callback_policy(
                UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS).allow_insecure("127.0.0.1"),
            )
            .retry(RetryConfig::fast(2))
            .build()?;
        Ok(Box::new(workable))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[INBOUND_TOKEN, CALLBACK_TOKEN];
}
