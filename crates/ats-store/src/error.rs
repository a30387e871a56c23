//! [`StoreError`]: what can go wrong reading or writing durable state.

use ats_core::{Error, VendorError};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be reached or refused a statement. Usually
    /// passing (restart, failover, lock timeout): retry later.
    #[error("database error: {0}")]
    Database(String),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The store is configured wrongly (URL, encryption keys).
    #[error("store configuration error: {0}")]
    Config(String),
    /// A sealed secret could not be opened (wrong key ring, altered row).
    #[error("secret decryption failed: {0}")]
    Crypto(String),
    /// A stored value could not be read back (a row written by a newer
    /// version, or edited by hand).
    #[error("stored value is unreadable: {0}")]
    Corrupt(String),
    /// The row asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
}

impl StoreError {
    /// Whether retrying the same operation later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Database(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound("row".into()),
            other => Self::Database(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

/// Store failures at the adapters' trait boundary: a passing database
/// failure is the vendor being temporarily unavailable (the provider is
/// answered 503 and retries); anything else is a configuration error.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            Error::Vendor(VendorError::Unavailable {
                message: e.to_string(),
            })
        } else {
            Error::config(e.to_string())
        }
    }
}
