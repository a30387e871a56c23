//! Greenhouse Assessment Partner API adapter, vendor side.
//!
//! Greenhouse calls four endpoints the vendor hosts (`list_tests`,
//! `send_test`, `test_status`, `response_error`) with HTTP Basic auth, the
//! API key the vendor issued to the customer as user name. When a test
//! changes, the vendor `PATCH`es the URL it got with `send_test`; Greenhouse
//! then calls `test_status`. Wire facts and sources: `docs/providers/greenhouse.md`.
//!
//! ```
//! use ats_core::auth::InMemoryKeys;
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//! use ats_greenhouse::Greenhouse;
//!
//! let greenhouse = Greenhouse::builder()
//!     .keys(InMemoryKeys::new().with("acme", "0d031d8227eafa61dc375a6c2e067e24"))
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/greenhouse/send_test")
//!     .with_body(r#"{"partner_test_id": "12345",
//!                   "candidate": {"first_name": "Maya", "last_name": "Lindqvist",
//!                                 "email": "maya@example.com"},
//!                   "url": "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/555"}"#);
//! let operation = greenhouse.route(&request)?;
//! let InboundEvent::OrderReceived(order) = greenhouse.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "12345");
//! assert_eq!(order.candidate.primary_email(), Some("maya@example.com"));
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::GreenhouseBuilder;
pub use crate::provider::Greenhouse;

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
                "send_test_accepted.json",
                "patch_completed_test_ok.json",
            )
            .with_packages("list_tests_ok.json")
            .with_rejection("send_test_unknown_package.json")
            .with_status("test_status_complete.json"),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(Greenhouse::builder().build()?))
}

/// How `ats-server` serves Greenhouse and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[],
    base_url: false,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::Issued,
        secrets: &[],
        endpoint: "",
        instructions: "In Greenhouse, add the assessment partner with this base URL and API key; the key is shown once.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = Greenhouse::builder()
        .key_stores(parts.issued_keys(), parts.issued_key_secrets())
        .callback_policy(parts.callback_policy(&builder::DEFAULT_CALLBACK_HOSTS));
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

/// The configuration `fixtures/greenhouse/` was recorded against: made-up
/// tenants and credentials, and (where a signature or a timestamp depends
/// on it) a fixed clock.
pub mod recorded {
    use crate::Greenhouse;
    use crate::builder::DEFAULT_CALLBACK_HOSTS;
    use ats_core::auth::InMemoryKeys;
    use ats_core::{AtsProvider, Error, RetryConfig, UrlPolicy};

    /// A made-up credential or value of the recorded configuration.
    pub const KEY: &str = "gh_test_key_acme";

    /// The adapter as recorded, sending its outbound calls to `server`.
    pub fn adapter(_server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        let greenhouse = Greenhouse::builder()
            .keys(InMemoryKeys::new().with("acme", KEY))
            .callback_policy(
                UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS).allow_insecure("127.0.0.1"),
            )
            .retry(RetryConfig::fast(2))
            .build()?;
        Ok(Box::new(greenhouse))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[KEY];
}
