//! The errors an adapter returns, and what a caller can do about each.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::vendor::VendorError;

/// Everything that can go wrong between a provider and the vendor.
///
/// Each variant carries what a caller needs to act on it: the field path of a
/// malformed payload, the provider's own status and message, how long to wait
/// before retrying. [`Error::is_retryable`] says whether trying the same call
/// again later can succeed. No variant ever carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The inbound request carries no credential, or one that belongs to no
    /// tenant.
    #[error("authentication failed: {reason}")]
    Unauthenticated {
        /// What was wrong (never the credential itself).
        reason: String,
    },

    /// A webhook's signature is missing, does not match, is stale or was
    /// already seen.
    #[error("webhook signature rejected: {reason}")]
    BadSignature {
        /// What was wrong.
        reason: String,
    },

    /// The payload cannot be read: not JSON, wrong shape, a required field
    /// missing or of the wrong type.
    #[error("malformed payload at `{path}`: {message}")]
    Malformed {
        /// Where in the payload, as a dotted path (`candidate.email`, `.` for
        /// the whole body).
        path: String,
        /// What is wrong there.
        message: String,
    },

    /// The request is not one of the provider's operations.
    #[error("not a {provider} operation: {what}")]
    UnknownOperation {
        /// The adapter's name.
        provider: String,
        /// The method and path, or the operation name, that did not match.
        what: String,
    },

    /// The order names a package the vendor does not offer.
    #[error("unknown package `{id}`")]
    UnknownPackage {
        /// The package id as sent.
        id: String,
    },

    /// The call refers to an order the vendor does not know.
    #[error("unknown order `{id}`")]
    UnknownOrder {
        /// The order id as sent.
        id: String,
    },

    /// The provider answered an outbound call with an error status.
    #[error("{provider} answered HTTP {status}{}: {message}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    ProviderRejected {
        /// The adapter's name.
        provider: String,
        /// The HTTP status.
        status: u16,
        /// The provider's machine-readable error code, where it sends one.
        code: Option<String>,
        /// The provider's own message (or the start of the body).
        message: String,
    },

    /// The provider is rate limiting the vendor.
    #[error("rate limited by {provider}{}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The adapter's name.
        provider: String,
        /// How long the provider asked to wait, when it said.
        retry_after: Option<Duration>,
    },

    /// The call did not get an answer: connection refused, timeout, TLS.
    #[error("transport error calling {provider}: {message}")]
    Transport {
        /// The adapter's name.
        provider: String,
        /// What failed.
        message: String,
    },

    /// The provider has no such capability (e.g. pushing packages to a
    /// provider that pulls them).
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// The adapter's name.
        provider: String,
        /// What was asked.
        operation: String,
    },

    /// A result lacks what the provider needs to take it (a completed
    /// Ashby assessment without a report URL): refused before anything is
    /// sent. Complete the result and report it again; vendor code need not
    /// know which provider asks for what.
    #[error("{provider} cannot take this result without {missing}")]
    IncompleteResult {
        /// The adapter's name.
        provider: String,
        /// What the result must carry (a core field), and why.
        missing: String,
    },

    /// A URL from a payload points somewhere the adapter will not call.
    #[error("refusing to call {url}: {reason}")]
    UntrustedUrl {
        /// The URL (without credentials or query).
        url: String,
        /// Why it was refused.
        reason: String,
    },

    /// The adapter is not configured for this (missing credential for a
    /// tenant, bad base URL).
    #[error("configuration error: {message}")]
    Config {
        /// What is missing or wrong.
        message: String,
    },

    /// The vendor's own code failed while answering.
    #[error(transparent)]
    Vendor(#[from] VendorError),
}

const MISSING: &str = "required field is missing or empty";

/// The kind of an [`Error`], without its details: for fixtures, metrics and
/// matching in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ErrorKind {
    Unauthenticated,
    BadSignature,
    Malformed,
    UnknownOperation,
    UnknownPackage,
    UnknownOrder,
    ProviderRejected,
    RateLimited,
    Transport,
    Unsupported,
    UntrustedUrl,
    IncompleteResult,
    Config,
    Vendor,
}

impl Error {
    /// A malformed-payload error at `path`.
    pub fn malformed(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A required field is absent or empty.
    pub fn missing(path: impl Into<String>) -> Self {
        Self::malformed(path, MISSING)
    }

    /// Whether this is a malformed payload that lacks a required field
    /// (made by [`Error::missing`], or serde's "missing field"), as opposed
    /// to one that cannot be read or has a value of the wrong type. Some
    /// providers answer the two differently (422 and 400).
    pub fn is_missing_field(&self) -> bool {
        matches!(self, Self::Malformed { message, .. }
            if message == MISSING || message.starts_with("missing field `"))
    }

    /// An authentication failure.
    pub fn unauthenticated(reason: impl Into<String>) -> Self {
        Self::Unauthenticated {
            reason: reason.into(),
        }
    }

    /// A signature failure.
    pub fn bad_signature(reason: impl Into<String>) -> Self {
        Self::BadSignature {
            reason: reason.into(),
        }
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::Config {
            message: message.into(),
        }
    }

    /// An unsupported operation.
    pub fn unsupported(provider: &str, operation: impl Into<String>) -> Self {
        Self::Unsupported {
            provider: provider.to_owned(),
            operation: operation.into(),
        }
    }

    /// A result `provider` cannot take without `missing` (a core field,
    /// and why the provider needs it).
    pub fn incomplete_result(provider: &str, missing: impl Into<String>) -> Self {
        Self::IncompleteResult {
            provider: provider.to_owned(),
            missing: missing.into(),
        }
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Unauthenticated { .. } => ErrorKind::Unauthenticated,
            Self::BadSignature { .. } => ErrorKind::BadSignature,
            Self::Malformed { .. } => ErrorKind::Malformed,
            Self::UnknownOperation { .. } => ErrorKind::UnknownOperation,
            Self::UnknownPackage { .. } => ErrorKind::UnknownPackage,
            Self::UnknownOrder { .. } => ErrorKind::UnknownOrder,
            Self::ProviderRejected { .. } => ErrorKind::ProviderRejected,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Transport { .. } => ErrorKind::Transport,
            Self::Unsupported { .. } => ErrorKind::Unsupported,
            Self::UntrustedUrl { .. } => ErrorKind::UntrustedUrl,
            Self::IncompleteResult { .. } => ErrorKind::IncompleteResult,
            Self::Config { .. } => ErrorKind::Config,
            Self::Vendor(_) => ErrorKind::Vendor,
        }
    }

    /// Whether the same call can succeed if tried again later, unchanged.
    ///
    /// Rate limits, transport failures, provider 5xx and 408 answers and
    /// retryable vendor errors are; bad credentials, bad payloads and other
    /// 4xx answers are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } => true,
            Self::ProviderRejected { status, .. } => *status >= 500 || *status == 408,
            Self::Vendor(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// How long to wait before retrying, when the provider said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status this error stands for when answering an inbound call:
    /// 401 for credentials and signatures, 400 for malformed payloads, 404 for
    /// unknown operations and orders, 422 for unknown packages, 503 for
    /// retryable vendor failures, 500 otherwise. Adapters use it where their
    /// provider documents nothing more specific.
    pub fn inbound_status(&self) -> u16 {
        match self {
            Self::Unauthenticated { .. } | Self::BadSignature { .. } => 401,
            Self::Malformed { .. } => 400,
            Self::UnknownOperation { .. } | Self::UnknownOrder { .. } => 404,
            Self::UnknownPackage { .. } => 422,
            Self::Vendor(VendorError::UnknownOrder { .. }) => 404,
            Self::Vendor(VendorError::UnknownPackage { .. }) => 422,
            e if e.is_retryable() => 503,
            _ => 500,
        }
    }

    /// The message to show the provider when answering an inbound call. It
    /// never reveals internal details of vendor failures.
    pub fn public_message(&self) -> String {
        match self {
            Self::Vendor(VendorError::Internal { .. }) => "internal error".to_owned(),
            Self::Vendor(VendorError::Unavailable { .. }) => {
                "temporarily unavailable, retry later".to_owned()
            }
            Self::Transport { .. }
            | Self::ProviderRejected { .. }
            | Self::RateLimited { .. }
            | Self::Config { .. } => "internal error".to_owned(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_classification() {
        let p = |status| Error::ProviderRejected {
            provider: "x".into(),
            status,
            code: None,
            message: "m".into(),
        };
        assert!(p(503).is_retryable());
        assert!(p(408).is_retryable());
        assert!(!p(400).is_retryable());
        assert!(!p(401).is_retryable());
        assert!(
            Error::RateLimited {
                provider: "x".into(),
                retry_after: None
            }
            .is_retryable()
        );
        assert!(!Error::missing("a.b").is_retryable());
        assert!(
            Error::Vendor(VendorError::Unavailable {
                message: "db".into()
            })
            .is_retryable()
        );
    }

    #[test]
    fn display_includes_path_status_and_code() {
        assert_eq!(
            Error::missing("candidate.email").to_string(),
            "malformed payload at `candidate.email`: required field is missing or empty"
        );
        let e = Error::ProviderRejected {
            provider: "myats".into(),
            status: 422,
            code: Some("INVALID".into()),
            message: "bad".into(),
        };
        assert_eq!(e.to_string(), "myats answered HTTP 422 (INVALID): bad");
        let r = Error::RateLimited {
            provider: "otherats".into(),
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(r.to_string(), "rate limited by otherats, retry after 7s");
        assert_eq!(r.retry_after(), Some(Duration::from_secs(7)));
    }

    #[test]
    fn inbound_statuses() {
        assert_eq!(Error::unauthenticated("x").inbound_status(), 401);
        assert_eq!(Error::bad_signature("x").inbound_status(), 401);
        assert_eq!(Error::missing("x").inbound_status(), 400);
        assert_eq!(Error::UnknownOrder { id: "1".into() }.inbound_status(), 404);
        assert_eq!(
            Error::Vendor(VendorError::Internal {
                message: "secret db detail".into()
            })
            .inbound_status(),
            500
        );
    }

    #[test]
    fn missing_fields_are_told_apart() {
        assert!(Error::missing("a").is_missing_field());
        assert!(Error::malformed("a", "missing field `email`").is_missing_field());
        assert!(!Error::malformed("a", "invalid type: integer `1`").is_missing_field());
        assert!(!Error::unauthenticated("x").is_missing_field());
    }

    #[test]
    fn public_message_hides_vendor_internals() {
        let e = Error::Vendor(VendorError::Internal {
            message: "db password wrong".into(),
        });
        assert_eq!(e.public_message(), "internal error");
    }
}
