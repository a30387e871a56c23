//! Recruitee Partners API adapter, vendor side.
//!
//! A vendor registers itself with Recruitee as a partner (`POST /partner`,
//! `kind` `assessment`, `background_check` or `reference_check`) and names
//! two URLs it hosts: `partner.urls.tests` (Recruitee asks which tests a
//! customer can pick) and `partner.urls.send_candidate` (Recruitee sends a
//! candidate, with the `report_id` of the report it created). Both calls
//! carry `Authorization: Bearer` with a token the vendor issued to the
//! customer. The vendor updates the report with
//! `PATCH /p/{codename}/reports/{report_id}`, authenticated with the
//! partner's secret (`RT-PARTNER-SECRET`). Wire facts, sources and what is
//! unconfirmed: `docs/providers/recruitee.md`.
//!
//! ```
//! use ats_core::auth::InMemoryKeys;
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//! use ats_recruitee::Recruitee;
//!
//! let recruitee = Recruitee::builder()
//!     .keys(InMemoryKeys::new().with("acme", "rc_tok_acme_3b7e9d1f5a2c"))
//!     .codename("acme-assess")
//!     .partner_secret("SFVSHA1VFeYC1Wtd65wWhH8Rgh3l4588")
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/recruitee/send_candidate")
//!     .with_body(r#"{"first_name": "Ilse", "last_name": "Vermeulen",
//!                   "email": "ilse.vermeulen@example.com",
//!                   "candidate_id": 48213, "company_id": 7731,
//!                   "report_id": "5f0c2a7e-3b1d-4c8e-9a42-61d0b7e9c3f5",
//!                   "test_id": "2", "test_name": "Ruby"}"#);
//! let operation = recruitee.route(&request)?;
//! let InboundEvent::OrderReceived(order) = recruitee.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "2");
//! assert_eq!(order.provider_order_id.as_deref(), Some("5f0c2a7e-3b1d-4c8e-9a42-61d0b7e9c3f5"));
//! assert_eq!(order.candidate.primary_email(), Some("ilse.vermeulen@example.com"));
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::RecruiteeBuilder;
pub use crate::provider::Recruitee;
pub use crate::translate::PartnerKind;

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
                "send_candidate_accepted.json",
                "update_report_completed.json",
            )
            .with_packages("tests_ok.json")
            .with_rejection("send_candidate_unknown_test.json")
            .with_settings(&[
                ("base_url", "{api}/api"),
                ("partner_secret", "{secret}"),
                ("codename", "acme-assess"),
            ]),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(Recruitee::builder().build()?))
}

/// How `ats-server` serves Recruitee and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[
        ats_core::registry::Setting::secret(
            "partner_secret",
            "the secret Recruitee issued when the partner was registered, sent with every report",
        ),
        ats_core::registry::Setting::plain("codename", "the partner's codename, in the report URL"),
    ],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::Issued,
        secrets: &[],
        endpoint: "",
        instructions: "In Recruitee, connect the partner with this key; Recruitee calls the partner's registered URLs under the endpoint URL. The key is shown once.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = Recruitee::builder().key_directory(parts.issued_keys());
    if let Some(secret) = parts.setting("partner_secret") {
        b = b.partner_secret(secret.clone());
    }
    if let Some(codename) = parts.setting("codename") {
        b = b.codename(codename.expose());
    }
    if let Some(url) = parts.base_url() {
        b = b.base_url(url);
    }
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

/// The configuration `fixtures/recruitee/` was recorded against: made-up
/// tenants and credentials, the partner's Partners API on the stand-in
/// server under `/api`.
pub mod recorded {
    use crate::Recruitee;
    use ats_core::auth::InMemoryKeys;
    use ats_core::{AtsProvider, Error, RetryConfig};

    /// The token the vendor issued to the customer `acme` (Recruitee → vendor).
    pub const TOKEN: &str = "rc_tok_acme_3b7e9d1f5a2c";
    /// The partner secret (vendor → Recruitee).
    pub const PARTNER_SECRET: &str = "rc_secret_demo_8c1f4b2a9e7d";
    /// The partner's codename.
    pub const CODENAME: &str = "acme-assess";

    /// The adapter as recorded, sending its outbound calls to `server`.
    pub fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        let recruitee = Recruitee::builder()
            .keys(InMemoryKeys::new().with("acme", TOKEN))
            .partner_secret(PARTNER_SECRET)
            .codename(CODENAME)
            .api_base(format!("{}/api", server.trim_end_matches('/')))
            .retry(RetryConfig::fast(2))
            .build()?;
        Ok(Box::new(recruitee))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[TOKEN, PARTNER_SECRET];
}
