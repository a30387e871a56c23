//! [`Secret`]: a credential that never shows itself in `Debug`, `Display` or logs.

use std::fmt;

use serde::{Deserialize, Deserializer};
use subtle::ConstantTimeEq;

/// An API key, access token, signing secret or password.
///
/// `Debug` and `Display` print `***`; the value is only reachable through
/// [`Secret::expose`], so it cannot end up in an error message or a log line
/// by accident. Equality is constant-time.
///
/// `Secret` deserializes from a plain string (so configuration files can hold
/// it) but deliberately does not implement `Serialize`.
///
/// ```
/// use ats_core::Secret;
/// let key = Secret::new("gh_live_0123456789");
/// assert_eq!(format!("{key:?}"), "***");
/// assert_eq!(key.expose(), "gh_live_0123456789");
/// ```
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call this only where the value goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `true` when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time comparison with a presented credential.
    pub fn matches(&self, presented: &[u8]) -> bool {
        self.0.as_bytes().ct_eq(presented).into()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other.0.as_bytes())
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("super-secret");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Config {
            key: Secret,
        }
        let dbg = format!("{:?}", Config { key: s });
        assert!(!dbg.contains("super-secret"), "{dbg}");
    }

    #[test]
    fn compares_in_constant_time_semantics() {
        let s = Secret::new("abc");
        assert!(s.matches(b"abc"));
        assert!(!s.matches(b"abd"));
        assert!(!s.matches(b"ab"));
        assert_eq!(s, Secret::new("abc"));
        assert_ne!(s, Secret::new("abcd"));
    }

    #[test]
    fn deserializes_from_a_string() {
        let s: Secret = serde_json::from_str("\"k\"").unwrap();
        assert_eq!(s.expose(), "k");
    }
}
