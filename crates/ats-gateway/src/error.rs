//! [`GatewayError`].

use ats_server::RuntimeError;
use ats_store::StoreError;

/// A failure starting or running the gateway.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The configuration is wrong (the message names the setting).
    #[error("{0}")]
    Config(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The runtime failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// Serving failed.
    #[error("server error: {0}")]
    Serve(String),
}
