//! [`StoreError`]: what can go wrong reading or writing durable state.

use ats_core::{Error, OrderHandle, VendorError};

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
    /// The write would make one order stand for another: the vendor's
    /// assessment id already names a different order (another provider
    /// order id) of the same provider and tenant, so a result reported for
    /// either would be written to the first. Nothing was written. Not
    /// retryable: the vendor must give each order its own id.
    #[error("order conflict: {0}")]
    Conflict(String),
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
            // every NOT NULL column is written from a value that cannot be
            // missing, except an order's status, which the order upsert
            // leaves NULL on purpose when the order would be another's
            // (see `outbox::orders_statement`)
            sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::NotNullViolation => {
                Self::Conflict("an order's vendor assessment id already names another order".into())
            }
            other => Self::Database(other.to_string()),
        }
    }
}

impl StoreError {
    /// A [`Conflict`](Self::Conflict) from writing `handle`'s order, said
    /// with its ids; any other error as it is.
    pub(crate) fn for_order(self, handle: Option<&OrderHandle>) -> Self {
        match (self, handle) {
            (Self::Conflict(_), Some(h)) => {
                let id = |v: &Option<String>| v.as_deref().unwrap_or("").to_owned();
                Self::Conflict(format!(
                    "the vendor assessment id `{}` already names another order of provider `{}` \
                     and tenant `{}`, not provider order `{}`; each order needs its own \
                     assessment id, or the results of one would be written to the other",
                    id(&h.vendor_assessment_id),
                    h.provider,
                    h.tenant
                        .as_ref()
                        .map(ats_core::TenantId::as_str)
                        .unwrap_or(""),
                    id(&h.provider_order_id),
                ))
            }
            (other, _) => other,
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
/// answered 503 and retries); an order conflict is the vendor's own mistake
/// (an internal error: its acceptance cannot be kept); anything else is a
/// configuration error.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        if let StoreError::Conflict(message) = e {
            // the vendor's answer is what cannot be kept
            return Error::Vendor(VendorError::Internal { message });
        }
        if e.is_retryable() {
            Error::Vendor(VendorError::Unavailable {
                message: e.to_string(),
            })
        } else {
            Error::config(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a database failure is passing; at the adapters' boundary it is
    /// the vendor unavailable (the provider retries), an order conflict is
    /// the vendor's own mistake, anything else a configuration error.
    #[test]
    fn only_database_failures_are_retried() {
        let cases = [
            (
                StoreError::Database("gone".into()),
                true,
                "vendor temporarily unavailable: database error: gone",
            ),
            (
                StoreError::Conflict("same id".into()),
                false,
                "vendor internal error: same id",
            ),
            (
                StoreError::Config("no key".into()),
                false,
                "configuration error: store configuration error: no key",
            ),
            (
                StoreError::NotFound("row".into()),
                false,
                "configuration error: not found: row",
            ),
        ];
        for (store_error, retryable, said) in cases {
            assert_eq!(store_error.is_retryable(), retryable, "{store_error:?}");
            let error = Error::from(store_error);
            assert_eq!(error.is_retryable(), retryable);
            assert_eq!(error.to_string(), said);
        }
    }
}
