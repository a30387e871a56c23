//! Replay defence for signed webhooks: refuse deliveries that are too old,
//! too far in the future, or already seen.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Error;

/// Where delivery ids are remembered beyond one process: a database shared
/// by every instance, so that a delivery accepted by one is refused as a
/// replay by all, also after a restart.
#[async_trait]
pub trait DeliveryLog: Send + Sync + fmt::Debug {
    /// Records delivery `id` until `until`. `Ok(false)` when it is already
    /// recorded and not expired: a replay. Must be atomic (two instances
    /// recording the same id at once: one gets `true`).
    async fn remember(&self, id: &str, until: DateTime<Utc>) -> Result<bool, Error>;

    /// Forgets delivery `id`, so its redelivery is let through. It may
    /// complete in the background.
    fn forget(&self, id: &str);

    /// Whether `id` is recorded and not expired, without recording it.
    async fn seen(&self, id: &str) -> Result<bool, Error>;
}

/// Remembers delivery ids for a time window and refuses repeats and stale
/// deliveries.
///
/// The window bounds memory: an id older than the window is forgotten, and a
/// delivery older than the window is refused as stale, so a forgotten id can
/// never be replayed. This in-memory guard protects one process; a fleet of
/// servers needs a shared store behind the same checks.
///
/// Give it a [`DeliveryLog`] ([`with_log`](Self::with_log)) and call
/// [`check_recorded`](Self::check_recorded) to protect every process that
/// shares the log.
#[derive(Debug)]
pub struct ReplayGuard {
    window: Duration,
    seen: Mutex<HashMap<String, DateTime<Utc>>>,
    log: Option<Arc<dyn DeliveryLog>>,
}

impl ReplayGuard {
    /// A guard that accepts deliveries at most `window` old (and at most
    /// `window` ahead of this clock).
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            seen: Mutex::new(HashMap::new()),
            log: None,
        }
    }

    /// Also records every delivery in `log`, shared with other processes.
    pub fn with_log(mut self, log: Arc<dyn DeliveryLog>) -> Self {
        self.log = Some(log);
        self
    }

    /// Refuses a stale, future or already received delivery *without*
    /// recording it: for a check before costly work (API look-ups), with
    /// [`check_recorded`](Self::check_recorded) once the work succeeded.
    pub async fn check_unseen(
        &self,
        id: &str,
        sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.fresh(sent_at, now)?;
        let seen_here = match self.seen.lock() {
            Ok(guard) => guard.contains_key(id),
            Err(poisoned) => poisoned.into_inner().contains_key(id),
        };
        let seen = seen_here
            || match &self.log {
                Some(log) => log.seen(id).await?,
                None => false,
            };
        if seen {
            return Err(Error::bad_signature(
                "delivery was already received (replay)",
            ));
        }
        Ok(())
    }

    fn fresh(&self, sent_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Error> {
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
        Ok(())
    }

    /// [`check`](Self::check), then records the delivery in the shared
    /// [`DeliveryLog`] when there is one: a delivery another process
    /// already accepted is a replay too. When the log cannot be reached
    /// the delivery is refused with that (retryable) error and forgotten
    /// here, so the provider's redelivery is judged afresh.
    pub async fn check_recorded(
        &self,
        id: &str,
        sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.check(id, sent_at, now)?;
        let Some(log) = &self.log else {
            return Ok(());
        };
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
        let until = sent_at.checked_add_signed(window).unwrap_or(sent_at);
        match log.remember(id, until).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::bad_signature(
                "delivery was already received (replay)",
            )),
            Err(e) => {
                self.forget_here(id);
                Err(e)
            }
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
        self.fresh(sent_at, now)?;
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
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
        self.forget_here(id);
        if let Some(log) = &self.log {
            log.forget(id);
        }
    }

    fn forget_here(&self, id: &str) {
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

    /// A log shared by "processes": a set behind a mutex.
    #[derive(Debug, Default)]
    struct SharedLog(
        Mutex<std::collections::HashSet<String>>,
        std::sync::atomic::AtomicBool,
    );

    #[async_trait]
    impl DeliveryLog for SharedLog {
        async fn remember(&self, id: &str, _: DateTime<Utc>) -> Result<bool, Error> {
            if self.1.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(Error::Transport {
                    provider: "db".into(),
                    message: "down".into(),
                });
            }
            Ok(self.0.lock().unwrap().insert(id.to_owned()))
        }
        fn forget(&self, id: &str) {
            self.0.lock().unwrap().remove(id);
        }
        async fn seen(&self, id: &str) -> Result<bool, Error> {
            Ok(self.0.lock().unwrap().contains(id))
        }
    }

    #[tokio::test]
    async fn a_shared_log_refuses_what_another_process_accepted() {
        let log = Arc::new(SharedLog::default());
        let a = ReplayGuard::new(Duration::from_secs(300)).with_log(log.clone());
        let b = ReplayGuard::new(Duration::from_secs(300)).with_log(log.clone());
        b.check_unseen("d1", t(0), t(1)).await.unwrap();
        a.check_recorded("d1", t(0), t(1)).await.unwrap();
        let e = b.check_unseen("d1", t(0), t(2)).await.unwrap_err();
        assert!(e.to_string().contains("replay"), "{e}");
        assert!(
            a.check_unseen("d1", t(0), t(2)).await.is_err(),
            "seen here too"
        );
        let e = b.check_recorded("d1", t(0), t(2)).await.unwrap_err();
        assert!(e.to_string().contains("replay"), "{e}");
        // forgetting in one process forgets everywhere
        a.forget("d1");
        b.forget("d1");
        b.check_recorded("d1", t(0), t(3)).await.unwrap();
        // stale deliveries are refused before the log is asked
        assert!(b.check_recorded("old", t(0), t(400)).await.is_err());
        assert!(!log.0.lock().unwrap().contains("old"));
        // the log down: refused (retryable), and not remembered here either
        log.1.store(true, std::sync::atomic::Ordering::SeqCst);
        let e = a.check_recorded("d2", t(0), t(1)).await.unwrap_err();
        assert!(e.is_retryable(), "{e}");
        log.1.store(false, std::sync::atomic::Ordering::SeqCst);
        a.check_recorded("d2", t(0), t(2)).await.unwrap();
    }

    #[test]
    fn forgets_ids_outside_window() {
        let g = ReplayGuard::new(Duration::from_secs(10));
        g.check("a", t(0), t(0)).unwrap();
        g.check("b", t(100), t(100)).unwrap();
        assert_eq!(g.remembered(), 1);
    }
}
