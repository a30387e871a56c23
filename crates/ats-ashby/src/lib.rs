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
    CompletedAssessment, start_to_order, start_value_to_order, update_body, update_request,
};
