//! [`RuntimeError`].

use ats_store::StoreError;

/// A failure of the runtime's own API (not of a provider call, which is
/// answered the provider's way).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The runtime is configured wrongly.
    #[error("runtime configuration error: {0}")]
    Config(String),
    /// The order's provider cannot take this result as it is (a completed
    /// result without the report URL the provider requires; a link that is
    /// not http or https; more items than a result may hold): nothing was
    /// queued. The adapter's error says what is missing or wrong.
    #[error("not queued: {0}")]
    Refused(ats_core::Error),
    /// No order is known by this id.
    #[error("unknown order `{0}`")]
    UnknownOrder(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Serving failed (binding the port, the connection loop).
    #[error("server error: {0}")]
    Serve(String),
}

impl RuntimeError {
    /// Whether trying again later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_retryable())
    }
}
