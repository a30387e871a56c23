//! Events for the vendor's own endpoint (the gateway): stored, then
//! delivered at least once by workers, in order per order, with leases and
//! dead letters like the result outbox.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::activity::Activity;
use crate::error::StoreError;
use crate::outbox::ItemState;
use crate::queue::{Queue, Settle};
use crate::store::{Store, duration_ms, from_ms, opt_string};

/// One event for the vendor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VendorEvent {
    /// The row id.
    pub id: i64,
    /// The event's id (`webhook-id`): the same on every attempt, so the
    /// vendor can de-duplicate.
    pub event_id: String,
    /// What happened (`order_received`, `order_cancelled`…).
    pub kind: String,
    /// The adapter it came through.
    pub provider: String,
    /// The tenant, when known.
    pub tenant: Option<String>,
    /// The order it concerns (keeps an order's events in order).
    pub order_key: Option<String>,
    /// The JSON sent.
    pub payload: Value,
    /// Where it stands.
    pub state: ItemState,
    /// Attempts made.
    pub attempts: u32,
    /// When it is (or was) due.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// The HTTP status of the last failure.
    pub last_http_status: Option<u16>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// A new event to store.
#[derive(Clone, Debug)]
pub struct NewVendorEvent<'a> {
    /// The event id (`webhook-id`).
    pub event_id: &'a str,
    /// What happened.
    pub kind: &'a str,
    /// The adapter.
    pub provider: &'a str,
    /// The tenant.
    pub tenant: Option<&'a str>,
    /// The order it concerns.
    pub order_key: Option<&'a str>,
    /// The JSON to send.
    pub payload: &'a Value,
}

const COLUMNS: &str = "id, event_id, kind, provider, tenant, order_key, payload, state, attempts, \
     next_attempt_at, last_error, last_http, created_at";

fn event_from_row(row: &AnyRow) -> Result<VendorEvent, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(VendorEvent {
        id: row.try_get("id")?,
        event_id: row.try_get("event_id")?,
        kind: row.try_get("kind")?,
        provider: row.try_get("provider")?,
        tenant: opt_string(row, "tenant")?,
        order_key: opt_string(row, "order_key")?,
        payload: serde_json::from_str(&row.try_get::<String, _>("payload")?)?,
        state: ItemState::parse(&state)?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: from_ms(row.try_get("next_attempt_at")?),
        last_error: opt_string(row, "last_error")?,
        last_http_status: row
            .try_get::<Option<i64>, _>("last_http")?
            .and_then(|s| u16::try_from(s).ok()),
        created_at: from_ms(row.try_get("created_at")?),
    })
}

impl Store {
    /// Stores an event for delivery, due now. An event id stored before is
    /// not stored again (`Ok(None)`).
    pub async fn enqueue_event(&self, e: &NewVendorEvent<'_>) -> Result<Option<i64>, StoreError> {
        let now = self.now_ms();
        let row = sqlx::query(
            "INSERT INTO vendor_events (event_id, kind, provider, tenant, order_key, payload, state, \
             attempts, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7) \
             ON CONFLICT (event_id) DO NOTHING RETURNING id",
        )
        .bind(e.event_id)
        .bind(e.kind)
        .bind(e.provider)
        .bind(e.tenant.map(str::to_owned))
        .bind(e.order_key.map(str::to_owned))
        .bind(e.payload.to_string())
        .bind(now)
        .fetch_optional(&self.inner.pool)
        .await?;
        row.map(|r| r.try_get("id").map_err(StoreError::from))
            .transpose()
    }

    /// Claims the next due event for `worker` (as [`Store::claim_result`]
    /// does for results): an order's events go out in order.
    pub async fn claim_event(
        &self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<VendorEvent>, StoreError> {
        let now = self.now_ms();
        let sql = self.sql(
            "UPDATE vendor_events SET state = 'delivering', claimed_by = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM ( \
               SELECT * FROM (SELECT o.id, o.next_attempt_at AS due FROM vendor_events o \
                 WHERE o.state = 'pending' AND o.next_attempt_at <= $3 \
                 AND NOT EXISTS (SELECT 1 FROM vendor_events p WHERE o.order_key IS NOT NULL \
                     AND p.order_key = o.order_key AND p.id < o.id \
                     AND p.state IN ('pending', 'delivering')) \
                 ORDER BY o.next_attempt_at, o.id LIMIT 1) \
               UNION ALL \
               SELECT * FROM (SELECT o.id, o.lease_until AS due FROM vendor_events o \
                 WHERE o.state = 'delivering' AND o.lease_until < $3 \
                 AND NOT EXISTS (SELECT 1 FROM vendor_events p WHERE o.order_key IS NOT NULL \
                     AND p.order_key = o.order_key AND p.id < o.id \
                     AND p.state IN ('pending', 'delivering')) \
                 ORDER BY o.lease_until, o.id LIMIT 1)) \
               ORDER BY due, id LIMIT 1) \
             RETURNING id",
            "UPDATE vendor_events SET state = 'delivering', claimed_by = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT o.id FROM vendor_events o \
               WHERE ((o.state = 'pending' AND o.next_attempt_at <= $3) \
                   OR (o.state = 'delivering' AND o.lease_until < $3)) \
               AND NOT EXISTS (SELECT 1 FROM vendor_events p WHERE o.order_key IS NOT NULL \
                   AND p.order_key = o.order_key AND p.id < o.id \
                   AND p.state IN ('pending', 'delivering')) \
               ORDER BY o.next_attempt_at, o.id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id",
        );
        let claimed = sqlx::query(sql)
            .bind(worker)
            .bind(now.saturating_add(duration_ms(lease)))
            .bind(now)
            .fetch_optional(&self.inner.pool)
            .await?;
        match claimed {
            Some(row) => self.vendor_event(row.try_get("id")?).await,
            None => Ok(None),
        }
    }

    /// Settles a claimed event: delivered (`error` `None`), retried at
    /// `retry_at`, or dead. `false` when `worker` no longer holds the claim.
    /// `log`, the attempt's activity row, is appended in the same
    /// transaction, held or not.
    pub async fn settle_event(
        &self,
        id: i64,
        worker: &str,
        error: Option<(&str, Option<u16>)>,
        retry_at: Option<DateTime<Utc>>,
        log: Option<&Activity>,
    ) -> Result<bool, StoreError> {
        let how = match (error, retry_at) {
            (None, _) => Settle::Delivered,
            (Some((error, http)), Some(at)) => Settle::Retry {
                at: at.timestamp_millis(),
                error,
                http,
            },
            (Some((error, http)), None) => Settle::Dead { error, http },
        };
        self.settle(Queue::VendorEvents, id, worker, how, log).await
    }

    /// Puts a dead event back in the queue, due now.
    pub async fn retry_dead_event(&self, id: i64) -> Result<bool, StoreError> {
        self.revive(Queue::VendorEvents, id).await
    }

    /// Gives back every event claim `worker` holds (shutdown).
    pub async fn release_event_claims(&self, worker: &str) -> Result<u64, StoreError> {
        self.release(Queue::VendorEvents, worker).await
    }

    /// One event.
    pub async fn vendor_event(&self, id: i64) -> Result<Option<VendorEvent>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM vendor_events WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.inner.pool)
        .await?;
        row.as_ref().map(event_from_row).transpose()
    }

    /// The newest events (newest first), only those in `state` when given.
    pub async fn vendor_events_in(
        &self,
        state: Option<ItemState>,
        limit: u32,
    ) -> Result<Vec<VendorEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM vendor_events WHERE ($1 = '' OR state = $1) \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(state.map(ItemState::as_str).unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.inner.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Deletes the events delivered more than `age` ago (the retention
    /// setting). Events waiting, being delivered or dead are never
    /// deleted. Returns how many went.
    pub async fn prune_events(&self, age: std::time::Duration) -> Result<u64, StoreError> {
        self.prune_settled(Queue::VendorEvents, age).await
    }

    /// How many events are in each state (for metrics and the CLI).
    pub async fn vendor_event_counts(&self) -> Result<Vec<(ItemState, u64)>, StoreError> {
        self.counts(Queue::VendorEvents).await
    }

    /// Events of one order (oldest first), or the newest events of all.
    pub async fn vendor_events(
        &self,
        order_key: Option<&str>,
        limit: u32,
    ) -> Result<Vec<VendorEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM vendor_events WHERE ($1 = '' OR order_key = $1) \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(order_key.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.inner.pool)
        .await?;
        let mut events: Vec<VendorEvent> =
            rows.iter().map(event_from_row).collect::<Result<_, _>>()?;
        events.reverse();
        Ok(events)
    }
}
