//! Knit adapter, vendor side: partner-model ATSs (Ashby, Greenhouse) relayed
//! by Knit's unified API.
//!
//! The vendor obtains a secret key and base URL from Knit for each customer
//! integration ([`Knit::create_assessment_secrets`]) and hands them to the
//! ATS. The ATS then calls Knit, and Knit turns each call into a webhook:
//! `record.new` for a started assessment, `record.deleted` for a cancelled
//! one, signed with `X-Knit-Signature` and naming the integration in
//! `X-Knit-Integration-Id`. The ATS's own request travels in `originData`
//! and is read with the ATS's adapter (`ats-ashby`, `ats-greenhouse`), so an
//! order looks the same whether it came directly or through Knit. Results go
//! back through Knit's passthrough to the ATS's own call (Ashby's
//! `assessment.update`). Wire facts and sources: `docs/providers/knit.md`.
//!
//! ```
//! use ats_core::signature::{SignatureEncoding, sign};
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest, Secret};
//! use ats_knit::{Knit, auth};
//!
//! let key = Secret::new("knit_api_key_demo");
//! let knit = Knit::builder().api_key(key.clone()).build()?;
//!
//! let body = r#"{"eventType":"record.new","eventData":{"candidateAssessment":{
//!     "id":"ats_ass_1","assessmentPackage":{"id":"rust-senior"},
//!     "candidate":{"firstName":"Ines","emails":[{"email":"ines@example.com","type":"PRIMARY"}]}}}}"#;
//! let signature = sign(&key, body.as_bytes(), SignatureEncoding::Base64UrlNoPad);
//! let request = InboundRequest::new(http::Method::POST, "/webhooks/knit")
//!     .with_header("x-knit-signature", &signature)?
//!     .with_header("x-knit-integration-id", "int_acme")?
//!     .with_body(body);
//!
//! // `knit.receive(&request).await` does these three steps
//! let tenant = auth::authenticate(&[key], &request)?;
//! let operation = knit.route(&request)?;
//! let InboundEvent::OrderReceived(order) = knit.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "rust-senior");
//! assert_eq!(order.provider_order_id.as_deref(), Some("ats_ass_1"));
//! assert_eq!(order.tenant, tenant);
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::KnitBuilder;
pub use crate::client::AssessmentSecrets;
pub use crate::provider::Knit;

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
                "record_new_ashby.json",
                "passthrough_ashby_completed.json",
            )
            .with_rejection("record_new_unknown_package.json")
            .with_cancellation("record_deleted_minimal.json")
            .with_tenant("int_8Hq2LmXc4VbN7sRt1KpZ0w")
            .with_settings(&[("base_url", "{api}"), ("api_key", "{secret}")]),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(Knit::builder().build()?))
}

/// How `ats-server` serves Knit and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[ats_core::registry::Setting::secret(
        "api_key",
        "the vendor's Knit API key, which also signs Knit's webhooks",
    )],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::None,
        secrets: &[],
        endpoint: "/webhooks",
        instructions: "Point Knit's assessment webhooks at the endpoint URL; the tenant is the Knit integration id.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = Knit::builder();
    if let Some(k) = parts.setting("api_key") {
        b = b.api_key(k.clone());
    }
    if let Some(url) = parts.base_url() {
        b = b.base_url(url);
    }
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

/// The configuration `fixtures/knit/` was recorded against: made-up
/// tenants and credentials, and (where a signature or a timestamp depends
/// on it) a fixed clock.
pub mod recorded {
    use crate::Knit;
    use ats_core::{AtsProvider, Clock, Error, RetryConfig};

    /// The vendor's Knit API key (Bearer token and webhook signing key).
    pub const API_KEY: &str = "knit_test_api_key_0000000000";

    /// The adapter as recorded, sending its outbound calls to `server`.
    pub fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        let at = "2026-01-12T09:30:00Z"
            .parse()
            .map_err(|e| Error::config(format!("{e}")))?;
        let knit = Knit::builder()
            .api_key(API_KEY)
            .base_url(server)
            .clock(Clock::fixed(at))
            .retry(RetryConfig::fast(2))
            .build()?;
        Ok(Box::new(knit))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[API_KEY];
}
