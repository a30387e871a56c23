//! Lever adapter, vendor side: OAuth 2.0, signed webhooks, notes and tags.
//!
//! Lever has no assessment-partner API. A vendor connects to a customer's
//! Lever account with OAuth 2.0 ([`oauth`]), is told by a webhook when an
//! opportunity (a candidacy) moves into a stage the customer picked for the
//! assessment, fetches the candidate's details through Lever's API, and
//! writes the outcome back as tags (`<prefix>: completed`, `<prefix>: grade
//! B`) and a note with the result. Wire facts and sources:
//! `docs/providers/lever.md`.
//!
//! Deliveries carry no account id: each customer connection gets its own
//! webhook URL, whose path names the tenant (default
//! `/lever/{tenant}/webhook`, see [`LeverBuilder::webhook_path`]).
//!
//! ```
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//! use ats_lever::{InMemoryConnections, Lever, LeverConnection};
//!
//! let lever = Lever::builder()
//!     .connections(InMemoryConnections::new().with(
//!         "acme",
//!         LeverConnection::new()
//!             .signature_token("eb975729fae923d5a4fd12aabfe228f219e9cb0eb53f1694")
//!             .trigger_stage("36f675cc-81e7-4ef5-a8e2-5d940ed90475", "rust-senior"),
//!     ))
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/lever/acme/webhook").with_body(
//!     r#"{"triggeredAt": 1767261600123, "event": "candidateStageChange",
//!         "data": {"opportunityId": "6513270e-269e-4d37-b2a7-4de452e6b438",
//!                  "contactId": "d23f0824-128b-4f33-8c5c-7fd0a6a3a450",
//!                  "toStageId": "36f675cc-81e7-4ef5-a8e2-5d940ed90475",
//!                  "fromStageId": "9531985d-5d9d-49f8-9818-e811892f902b"},
//!         "signature": "fbcee82498f877b3bdce0171011daeaaf8ece355be5db8431d020f05dc2e2c29",
//!         "token": "7ccf25ec84d8dbc74254770f58904dba41ecccc3fc1626e5"}"#,
//! );
//! let operation = lever.route(&request)?;
//! assert_eq!(operation, "candidateStageChange");
//! // Pure translation: the order carries ids only; `receive` verifies the
//! // signature and fetches the candidate and the job from Lever's API.
//! let InboundEvent::OrderReceived(order) = lever.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "rust-senior");
//! assert_eq!(
//!     order.provider_order_id.as_deref(),
//!     Some("6513270e-269e-4d37-b2a7-4de452e6b438")
//! );
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod oauth;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::{ConnectionStore, InMemoryConnections, LeverBuilder, LeverConnection};
pub use crate::oauth::{
    InMemoryTokenStore, LeverEnvironment, OAuthApp, OAuthError, TokenSet, TokenStore,
};
pub use crate::provider::Lever;
