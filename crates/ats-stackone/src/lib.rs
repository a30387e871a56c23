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
