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
