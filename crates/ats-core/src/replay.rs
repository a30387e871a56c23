//! Replay defence for signed webhooks: refuse deliveries that are too old,
//! too far in the future, or already seen.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::Error;

/// Remembers delivery ids for a time window and refuses repeats and stale
/// deliveries.
///
/// The window bounds memory: an id older than the window is forgotten, and a
/// delivery older than the window is refused as stale, so a forgotten id can
/// never be replayed. This in-memory guard protects one process; a fleet of
/// servers needs a shared store behind the same checks.
#[derive(Debug)]
pub struct ReplayGuard {
    window: Duration,
    seen: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl ReplayGuard {
    /// A guard that accepts deliveries at most `window` old (and at most
    /// `window` ahead of this clock).
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Records delivery `id`, sent at `sent_at`, as received at `now`.
    ///
    /// Errors with [`Error::BadSignature`] when the delivery is stale, from
    /// the future beyond the window, or a repeat.
    pub fn check(&self, id: &str, sent_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Error> {
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
        if now.signed_duration_since(sent_at) > window {
            return Err(Error::bad_signature(format!(
                "delivery is stale (sent {sent_at}, window {}s)",
                self.window.as_secs()
            )));
        }
        if sent_at.signed_duration_since(now) > window {
            return Err(Error::bad_signature(format!(
                "delivery timestamp {sent_at} is in the future"
            )));
        }
        let mut seen = match self.seen.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        seen.retain(|_, at| now.signed_duration_since(*at) <= window);
        if seen.contains_key(id) {
            return Err(Error::bad_signature(
                "delivery was already received (replay)",
            ));
        }
        seen.insert(id.to_owned(), sent_at);
        Ok(())
    }

    /// Forgets delivery `id`, so a redelivery is let through: for a
    /// delivery that was authenticated but could not be handled (the
    /// vendor was unavailable), which the provider will send again.
    pub fn forget(&self, id: &str) {
        match self.seen.lock() {
            Ok(mut guard) => guard.remove(id),
            Err(poisoned) => poisoned.into_inner().remove(id),
        };
    }

    /// How many ids are remembered now.
    pub fn remembered(&self) -> usize {
        match self.seen.lock() {
            Ok(guard) => guard.len(),
            Err(poisoned) => poisoned.into_inner().len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn refuses_repeats_within_window() {
        let g = ReplayGuard::new(Duration::from_secs(300));
        g.check("a", t(0), t(1)).unwrap();
        let e = g.check("a", t(0), t(2)).unwrap_err();
        assert!(e.to_string().contains("replay"), "{e}");
        g.check("b", t(0), t(2)).unwrap();
    }

    #[test]
    fn refuses_stale_and_future() {
        let g = ReplayGuard::new(Duration::from_secs(300));
        assert!(
            g.check("old", t(0), t(301))
                .unwrap_err()
                .to_string()
                .contains("stale")
        );
        assert!(
            g.check("new", t(400), t(0))
                .unwrap_err()
                .to_string()
                .contains("future")
        );
        g.check("edge", t(0), t(300)).unwrap();
    }

    #[test]
    fn a_forgotten_delivery_may_come_again() {
        let g = ReplayGuard::new(Duration::from_secs(300));
        g.check("a", t(0), t(1)).unwrap();
        g.forget("a");
        g.check("a", t(0), t(2)).unwrap();
        assert!(g.check("a", t(0), t(3)).is_err());
    }

    #[test]
    fn forgets_ids_outside_window() {
        let g = ReplayGuard::new(Duration::from_secs(10));
        g.check("a", t(0), t(0)).unwrap();
        g.check("b", t(100), t(100)).unwrap();
        assert_eq!(g.remembered(), 1);
    }
}
