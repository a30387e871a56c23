//! The [`Vendor`] trait: the assessment vendor's side of every inbound call.

use async_trait::async_trait;

use crate::event::{Cancellation, ErrorReport, OrderDecision, PackagesRequest, StatusQuery};
use crate::model::{AssessmentOrder, AssessmentResult, Package};

/// A failure in the vendor's own code while answering a provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VendorError {
    /// The order (by the id the provider used) is not known to the vendor.
    #[error("unknown order `{id}`")]
    UnknownOrder {
        /// The id as the provider sent it.
        id: String,
    },
    /// The package is not offered to this tenant.
    #[error("unknown package `{id}`")]
    UnknownPackage {
        /// The id as the provider sent it.
        id: String,
    },
    /// A passing failure (database down, dependency timing out): the provider
    /// should retry.
    #[error("vendor temporarily unavailable: {message}")]
    Unavailable {
        /// What failed (kept in logs, not shown to the provider).
        message: String,
    },
    /// A permanent failure in the vendor's code.
    #[error("vendor internal error: {message}")]
    Internal {
        /// What failed (kept in logs, not shown to the provider).
        message: String,
    },
}

impl VendorError {
    /// Whether the provider retrying the same call can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// What an assessment vendor implements once, for every provider.
///
/// An adapter turns each inbound call into one of these methods (see
/// [`crate::serve::handle`]) and renders the answer in the provider's format,
/// so the same implementation serves every ATS and unified API.
///
/// Implementations should be idempotent: providers retry deliveries, and the
/// same order can arrive twice (answer with the same acceptance).
#[async_trait]
pub trait Vendor: Send + Sync {
    /// The packages the tenant may order.
    async fn packages(&self, request: &PackagesRequest) -> Result<Vec<Package>, VendorError>;

    /// Decide on an order: accept it (and invite the candidate) or reject it
    /// with a message the recruiter can read.
    ///
    /// An acceptance names the assessment with an id of the vendor's own,
    /// one per order: not blank, without control characters (an acceptance
    /// with such an id is refused by [`crate::serve::ask`]), and never the
    /// id of another order (the durable runtime refuses that too: the
    /// results of one would be written to the other).
    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError>;

    /// Stop an assessment. Cancelling an already-final assessment is not an
    /// error; an order the vendor does not know may be answered
    /// [`VendorError::UnknownOrder`], which [`crate::serve::handle`]
    /// acknowledges like a successful cancellation (there is nothing to stop).
    async fn cancel(&self, cancellation: &Cancellation) -> Result<(), VendorError>;

    /// Where an assessment stands, with its result once there is one.
    async fn status(&self, query: &StatusQuery) -> Result<AssessmentResult, VendorError>;

    /// The provider rejected one of the vendor's answers. The default logs
    /// it and acknowledges.
    async fn error_reported(&self, report: &ErrorReport) -> Result<(), VendorError> {
        tracing::warn!(
            provider = %report.provider,
            operation = %report.operation,
            errors = ?report.errors,
            "provider reported an invalid answer"
        );
        Ok(())
    }
}
