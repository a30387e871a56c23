//! Retry policy for outbound calls: which failures are retried, and how long
//! to wait between attempts (exponential backoff with jitter, capped, and
//! the provider's `Retry-After` when it sends one).

use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// How outbound calls are retried.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryConfig {
    /// Retries after the first attempt (0 = try once).
    pub max_retries: usize,
    /// The first backoff.
    pub initial_backoff: Duration,
    /// The largest backoff between two attempts.
    pub max_backoff: Duration,
    /// Growth factor of the backoff.
    pub base: f64,
    /// The longest `Retry-After` honoured by waiting; a longer one ends the
    /// call with [`crate::Error::RateLimited`] carrying the wait, so the
    /// caller's queue can schedule it instead of holding a task.
    pub max_retry_after: Duration,
    /// Timeout of one attempt.
    pub request_timeout: Duration,
    /// The largest answer body read from the provider, in bytes. A 2xx
    /// answer that is larger is refused unread beyond this size (an
    /// [`crate::Error::Malformed`] at `answer`, not retried: the same call
    /// would get the same answer, and a write it answers has already
    /// happened). An error answer is read only as far as its message needs
    /// ([`crate::client::ERROR_ANSWER_BYTES`], or this size when smaller).
    /// [`DEFAULT_MAX_RESPONSE_BYTES`] by default.
    pub max_response_bytes: usize,
}

/// The default [`RetryConfig::max_response_bytes`]: 16 MiB, well above any
/// answer a provider sends (a page of orders, a candidate with its
/// applications) and small enough that a runaway answer cannot exhaust
/// memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            base: 2.0,
            max_retry_after: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl RetryConfig {
    /// A config that never retries (tests, and callers with their own queue).
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            max_retry_after: Duration::ZERO,
            ..Self::default()
        }
    }

    /// A config with short waits, for tests against a local mock server.
    pub fn fast(max_retries: usize) -> Self {
        Self {
            max_retries,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_retry_after: Duration::from_millis(0),
            request_timeout: Duration::from_secs(5),
            base: 2.0,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Exponential backoff with full jitter: attempt `n` waits a random time in
/// `[0, min(max, initial * base^n)]`.
#[derive(Debug)]
pub struct Backoff {
    config: RetryConfig,
    attempt: u32,
}

impl Backoff {
    /// A fresh backoff.
    pub fn new(config: &RetryConfig) -> Self {
        Self {
            config: config.clone(),
            attempt: 0,
        }
    }

    /// The upper bound of the next wait, before jitter.
    pub fn ceiling(&self) -> Duration {
        let factor = self.config.base.powi(self.attempt as i32);
        let secs = self.config.initial_backoff.as_secs_f64() * factor;
        let max = self.config.max_backoff.as_secs_f64();
        Duration::from_secs_f64(if secs.is_finite() { secs.min(max) } else { max })
    }

    /// The next wait, jittered, and advances.
    pub fn next_wait(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Whether a response status is worth retrying: 429, 408 and the transient
/// server errors (500, 502, 503, 504).
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// The provider's `Retry-After`, in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn backoff_grows_and_is_capped() {
        let cfg = RetryConfig {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            base: 2.0,
            ..RetryConfig::default()
        };
        let mut b = Backoff::new(&cfg);
        let mut ceilings = Vec::new();
        for _ in 0..4 {
            ceilings.push(b.ceiling());
            let w = b.next_wait();
            assert!(w <= *ceilings.last().unwrap());
        }
        assert_eq!(
            ceilings,
            [100, 200, 350, 350].map(Duration::from_millis).to_vec()
        );
    }

    #[test]
    fn backoff_survives_huge_attempt_counts() {
        let mut b = Backoff::new(&RetryConfig::default());
        for _ in 0..10_000 {
            b.next_wait();
        }
        assert_eq!(b.ceiling(), RetryConfig::default().max_backoff);
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 422, 501] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(s).unwrap()),
                "{s}"
            );
        }
    }

    #[test]
    fn parses_retry_after() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
