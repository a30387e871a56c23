//! The outbox workers: claim a due result, write it back through its
//! adapter, and settle the item (delivered, retried later, or dead).

use std::time::{Duration, Instant};

use ats_core::Error;
use ats_store::{Activity, ClaimedItem, Flow};
use chrono::Utc;

use crate::runtime::{Runtime, kind_name};

/// What became of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The provider took the result.
    Delivered,
    /// It failed in a way that may pass: tried again after the delay.
    Retry(Duration),
    /// It failed for good: the item is dead.
    Dead,
    /// The claim was lost meanwhile (its lease ran out): another worker has it.
    Lost,
}

/// The delay before attempt `attempts + 1`: `base · 2^(attempts-1)`, at
/// most `max`, with "equal jitter" (half fixed, half random) so that
/// instances that failed together do not retry together. A provider's
/// `Retry-After` wins when it asks for longer.
pub fn backoff(
    attempts: u32,
    base: Duration,
    max: Duration,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = base.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
    let capped = exp.min(max);
    let half = capped / 2;
    let jittered = half + half.mul_f64(fastrand::f64());
    // (`>=` would pick the same duration when the two are equal: an
    // equivalent mutant)
    match retry_after {
        Some(wait) if wait > jittered => wait,
        _ => jittered,
    }
}

fn http_status(error: &Error) -> Option<u16> {
    match error {
        Error::ProviderRejected { status, .. } => Some(*status),
        Error::RateLimited { .. } => Some(429),
        _ => None,
    }
}

impl Runtime {
    pub(crate) async fn work(&self, worker: &str) {
        let mut stop = self.inner.stop.subscribe();
        while !self.stopping() {
            let notified = self.inner.outbox_wake.notified();
            match self
                .inner
                .store
                .claim_result(worker, self.inner.config.lease)
                .await
            {
                Ok(Some(item)) => {
                    self.deliver(worker, item).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(worker, error = %e, "cannot read the outbox; will try again")
                }
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(self.inner.config.poll_interval) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        }
    }

    /// Claims and delivers one due item with `worker`'s name; `None` when
    /// nothing is due. The workers do this in a loop; tests and tools can
    /// call it directly.
    pub async fn deliver_next(&self, worker: &str) -> Result<Option<Attempt>, crate::RuntimeError> {
        match self
            .inner
            .store
            .claim_result(worker, self.inner.config.lease)
            .await?
        {
            Some(item) => Ok(Some(self.deliver(worker, item).await)),
            None => Ok(None),
        }
    }

    async fn deliver(&self, worker: &str, claimed: ClaimedItem) -> Attempt {
        let ClaimedItem { item, handle } = claimed;
        let store = &self.inner.store;
        let config = &self.inner.config;
        let mut log = Activity::new(
            Utc::now(),
            Flow::Outbound,
            handle.provider.clone(),
            "submit_result",
        );
        log.tenant = handle.tenant.as_ref().map(|t| t.as_str().to_owned());
        log.order_id = handle
            .vendor_assessment_id
            .clone()
            .or_else(|| handle.provider_order_id.clone());
        log.candidate_id = handle.candidate_id.clone();
        log.attempt = Some(item.attempts);
        if config.keep_bodies {
            log.body = serde_json::to_vec(&item.result)
                .ok()
                .map(|b| ats_store::redact(&b));
        }
        let started = Instant::now();
        let outcome = match self.adapter(&handle.provider) {
            Some(adapter) => adapter.submit_result(&handle, &item.result).await,
            None => Err(Error::config(format!(
                "no adapter named `{}` is configured",
                handle.provider
            ))),
        };
        log.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let settled = match &outcome {
            Ok(delivery) => {
                if !delivery.warnings.is_empty() {
                    log.message = Some(format!("warnings: {}", delivery.warnings.join("; ")));
                }
                store
                    .mark_delivered(item.id, worker, Some(&log))
                    .await
                    .map(|ok| {
                        if ok {
                            Attempt::Delivered
                        } else {
                            Attempt::Lost
                        }
                    })
            }
            Err(error) => {
                log.ok = false;
                log.error_kind = Some(kind_name(error));
                log.message = Some(error.to_string());
                log.http_status = http_status(error);
                let message = error.to_string();
                if error.is_retryable() && item.attempts < config.max_attempts {
                    let delay = backoff(
                        item.attempts,
                        config.base_backoff,
                        config.max_backoff,
                        error.retry_after(),
                    );
                    let at = Utc::now()
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                    store
                        .retry_result_at(
                            item.id,
                            worker,
                            at,
                            &message,
                            http_status(error),
                            Some(&log),
                        )
                        .await
                        .map(|ok| {
                            if ok {
                                Attempt::Retry(delay)
                            } else {
                                Attempt::Lost
                            }
                        })
                } else {
                    store
                        .mark_dead(item.id, worker, &message, http_status(error), Some(&log))
                        .await
                        .map(|ok| if ok { Attempt::Dead } else { Attempt::Lost })
                }
            }
        };
        // the log row went with the settlement; if that failed, on its own
        if settled.is_err() {
            self.record(&log).await;
        }
        match settled {
            Ok(attempt) => {
                tracing::info!(item = item.id, provider = %handle.provider, attempt = item.attempts, outcome = ?attempt, "result delivery");
                attempt
            }
            Err(e) => {
                // the claim's lease runs out and the item is delivered again
                tracing::error!(item = item.id, error = %e, "could not settle an outbox item");
                Attempt::Lost
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(60);
        for attempts in 1..10u32 {
            let full = base.saturating_mul(1 << (attempts - 1)).min(max);
            for _ in 0..50 {
                let d = backoff(attempts, base, max, None);
                assert!(d >= full / 2 && d <= full, "{attempts}: {d:?} vs {full:?}");
            }
        }
        assert_eq!(
            backoff(1, base, max, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
        // a Retry-After longer than our longest delay is still honoured
        assert_eq!(
            backoff(1, base, max, Some(Duration::from_secs(600))),
            Duration::from_secs(600)
        );
        // a short Retry-After does not shorten our own delay
        assert!(backoff(5, base, max, Some(Duration::from_millis(1))) >= Duration::from_secs(16));
        // no overflow for absurd attempt counts
        assert!(backoff(u32::MAX, base, max, None) <= max);
    }
}
