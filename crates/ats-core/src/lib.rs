//! The unified assessment model and the [`AtsProvider`] trait.
//!
//! An assessment vendor writes one [`Vendor`] implementation: list packages,
//! decide on orders, cancel, report status. Each adapter crate implements
//! [`AtsProvider`] for one ATS or unified API and translates that provider's
//! wire format to and from the types here. [`serve::handle`] connects the two
//! for an inbound call; [`AtsProvider::submit_result`] writes results back.
//!
//! ```
//! use ats_core::{
//!     Acceptance, AssessmentOrder, AssessmentResult, Cancellation, OrderDecision, Package,
//!     PackageKind, PackagesRequest, StatusQuery, Vendor, VendorError,
//! };
//!
//! struct Quizzly;
//!
//! #[async_trait::async_trait]
//! impl Vendor for Quizzly {
//!     async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
//!         Ok(vec![Package::new("rust-senior", "Rust (senior)").with_kind(PackageKind::Coding)])
//!     }
//!     async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
//!         // invite order.candidate.primary_email() here, persist order.handle(..)
//!         Ok(OrderDecision::Accepted(Acceptance::new(format!("inv-{}", order.package_id))))
//!     }
//!     async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> {
//!         Ok(())
//!     }
//!     async fn status(&self, q: &StatusQuery) -> Result<AssessmentResult, VendorError> {
//!         Err(VendorError::UnknownOrder { id: q.order.display_id().to_owned() })
//!     }
//! }
//! ```
//!
//! No provider is named in this crate: everything provider-specific lives in
//! the adapter crates.

pub mod auth;
pub mod callback;
pub mod client;
pub mod clock;
pub mod codec;
pub mod error;
pub mod event;
pub mod http;
pub mod model;
pub mod oauth;
pub mod provider;
pub mod registry;
pub mod replay;
pub mod retry;
pub mod secret;
pub mod serve;
pub mod signature;
pub mod vendor;

pub use crate::callback::UrlPolicy;
pub use crate::clock::Clock;
pub use crate::error::{Error, ErrorKind};
pub use crate::event::{
    Acceptance, Cancellation, ErrorReport, Ignored, Inbound, InboundEvent, OrderDecision, OrderRef,
    PackagesRequest, RejectReason, Rejection, StatusQuery, VendorReply,
};
pub use crate::http::{InboundRequest, InboundResponse, PreparedRequest};
pub use crate::model::{
    Application, AssessmentOrder, AssessmentResult, AssessmentStatus, Attachment, AttachmentSource,
    Attribute, AttributeValue, Candidate, Email, Job, Location, OrderHandle, OrderedPackage,
    Package, PackageKind, Person, Phone, RawJson, Score, Section, TenantId,
};
pub use crate::provider::{
    AtsProvider, BareTranslation, Capabilities, Delivery, Direction, InboundAuth, Operation,
    OrderDelivery, OutboundCall, PackageDelivery, ResultDelivery, TransportInput, Unresolved,
};
pub use crate::retry::RetryConfig;
pub use crate::secret::Secret;
pub use crate::vendor::{Vendor, VendorError};

/// Re-exported so adapters and vendors use the same versions.
pub use async_trait::async_trait;
/// Re-exported so adapters and vendors use the same versions.
pub use bytes;
/// Re-exported so adapters and vendors use the same versions.
pub use http as http_types;
