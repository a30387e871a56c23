//! StackOne unified ATS API adapter (assessments and background checks),
//! vendor side.
//!
//! StackOne sits in front of many ATSs. For assessments it calls a packages
//! endpoint the vendor hosts (shaped like its own `GET
//! /unified/ats/assessments/packages`), sends orders as signed webhooks
//! (`ats_assessments.created`) that carry little more than ids, and takes
//! results with `PATCH /unified/ats/assessments/orders/{id}/result`. For
//! background checks the vendor pushes its packages into StackOne
//! (`publish_packages`), orders arrive as `background_check_order.created`
//! and results go to `PATCH /unified/ats/background_checks/orders/{id}/result`.
//! Wire facts, sources and the choices made where StackOne is silent:
//! `docs/providers/stackone.md`.
//!
//! Background checks are core [`Package`](ats_core::Package)s of kind
//! `background_check`; their orders are ordinary
//! [`AssessmentOrder`](ats_core::AssessmentOrder)s whose `context` records
//! the order type, so [`AtsProvider::submit_result`](ats_core::AtsProvider::submit_result)
//! picks the right result endpoint.
//!
//! ```
//! use ats_core::signature::sign;
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest, Secret};
//! use ats_stackone::StackOne;
//!
//! let stackone = StackOne::builder()
//!     .api_key("v1.eu1.EXAMPLEKEYdoNotUse")
//!     .signing_secret("whsec_example_do_not_use")
//!     .build()?;
//!
//! let body = r#"{"event":"ats_assessments.created","account_id":"acc_7Qm2xT9kLp",
//!               "record_id":"asr_5Hc8Wd3Ne1",
//!               "data":{"candidate_id":"cnd_2Rb6Yf0Zq4","application_id":"app_9Kt1Mv7Xs3",
//!                       "package":{"id":"pkg_backend_rust_60"}}}"#;
//! let signature = sign(
//!     &Secret::new("whsec_example_do_not_use"),
//!     body.as_bytes(),
//!     ats_stackone::auth::SIGNATURE_ENCODING,
//! );
//! let request = InboundRequest::new(http::Method::POST, "/webhooks/stackone")
//!     .with_header("x-stackone-signature", &signature)?
//!     .with_body(body);
//!
//! // `receive` would verify the signature and fetch the candidate,
//! // application and job; `translate` shows what the delivery itself says.
//! let operation = stackone.route(&request)?;
//! let InboundEvent::OrderReceived(order) = stackone.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.tenant.as_ref().map(|t| t.as_str()), Some("acc_7Qm2xT9kLp"));
//! assert_eq!(order.provider_order_id.as_deref(), Some("asr_5Hc8Wd3Ne1"));
//! assert_eq!(order.package_id, "pkg_backend_rust_60");
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod packages;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::StackOneBuilder;
pub use crate::packages::{InMemoryPackageIds, PackageIdStore};
pub use crate::provider::StackOne;
pub use crate::translate::OrderType;

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
                "ats_assessments_created_accepted.json",
                "ats_update_assessments_result_completed.json",
            )
            .with_packages("list_packages_basic.json")
            .with_rejection("ats_assessments_created_unknown_package.json")
            .with_tenant("acc_7Qm2xT9kLp")
            .with_settings(&[
                ("base_url", "{api}"),
                ("api_key", "{secret}"),
                ("signing_secret", "{secret}"),
            ]),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(StackOne::builder().build()?))
}

/// How `ats-server` serves StackOne and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[
        ats_core::registry::Setting::secret("api_key", "the vendor's StackOne API key"),
        ats_core::registry::Setting::secret(
            "signing_secret",
            "the secret StackOne signs its webhooks with",
        ),
    ],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::Issued,
        secrets: &[],
        endpoint: "/webhooks",
        instructions: "Subscribe StackOne's assessment webhooks to the endpoint URL; StackOne reads the package list at /stackone/assessments/packages under the same base, with the key.",
    },
    // the package-id map is a store of StackOne's own kind
    build: None,
};

/// The configuration `fixtures/stackone/` was recorded against: made-up
/// tenants and credentials, and (where a signature or a timestamp depends
/// on it) a fixed clock.
pub mod recorded {
    use crate::{InMemoryPackageIds, StackOne};
    use ats_core::auth::InMemoryKeys;
    use ats_core::{AtsProvider, Clock, Error, RetryConfig};
    use std::sync::Arc;

    /// A made-up credential or value of the recorded configuration.
    pub const API_KEY: &str = "v1.eu1.EXAMPLEKEYdoNotUse";
    /// A made-up credential or value of the recorded configuration.
    pub const SIGNING_SECRET: &str = "whsec_example_do_not_use";
    /// A made-up credential or value of the recorded configuration.
    pub const ROTATING_SECRET: &str = "whsec_rotating_out_2025";
    /// A made-up credential or value of the recorded configuration.
    pub const WEBHOOK_TOKEN: &str = "tok_webhook_3a7e55";
    /// A made-up credential or value of the recorded configuration.
    pub const ACME_KEY: &str = "pk_acme_5f2c9e1d";
    /// A made-up credential or value of the recorded configuration.
    pub const GLOBEX_KEY: &str = "pk_globex_81d0aa3e";

    /// The adapter as recorded, sending its outbound calls to `server`.
    pub fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        // Background checks already published for one account; the fixtures'
        // other accounts have none yet.
        let published = InMemoryPackageIds::new()
            .with("acc_4Wd1Kz8Qr2", "bg-standard-uk", "bgp_6Nn7Oo8Pp9")
            .with("acc_4Wd1Kz8Qr2", "bg-basic-dbs", "bgp_1Cc2Dd3Ee4");
        let adapter = StackOne::builder()
            .base_url(server)
            .api_key(API_KEY)
            .signing_secrets([SIGNING_SECRET, ROTATING_SECRET])
            .webhook_token(WEBHOOK_TOKEN)
            .package_endpoint_keys(
                InMemoryKeys::new()
                    .with("acc_7Qm2xT9kLp", ACME_KEY)
                    .with("acc_4Wd1Kz8Qr2", GLOBEX_KEY),
            )
            .package_ids(Arc::new(published))
            .retry(RetryConfig::fast(2))
            .clock(Clock::fixed(
                "2026-01-01T00:00:00Z"
                    .parse()
                    .map_err(|e| Error::config(format!("{e}")))?,
            ))
            .build()?;
        Ok(Box::new(adapter))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[
        API_KEY,
        SIGNING_SECRET,
        ROTATING_SECRET,
        WEBHOOK_TOKEN,
        ACME_KEY,
        GLOBEX_KEY,
    ];
}
