//! Orders and the outbox of results to write back.
//!
//! [`Store::enqueue_result`] records a result and the order's new status in
//! one transaction. Workers [`claim`](Store::claim_result) items with a
//! lease: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never
//! take the same item; on SQLite through its single writer. An order's
//! items go out in order: an item is claimable only when no earlier item of
//! the same order is pending or being delivered, and a new result
//! supersedes the order's results still pending (they are never sent). A
//! claim whose lease runs out (its worker died) is claimed again: delivery
//! is at least once.

use std::time::Duration;

use ats_core::{AssessmentResult, OrderHandle, TenantId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::activity::Activity;
use crate::error::StoreError;
use crate::queue::{Queue, Settle};
use crate::script::{Param, Script};
use crate::store::{Store, duration_ms, from_ms, opt_string, placeholders};

/// Where an outbox item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Waiting for its time (first attempt or a retry).
    Pending,
    /// Claimed by a worker.
    Delivering,
    /// The provider took it.
    Delivered,
    /// Given up: a permanent refusal, or too many attempts. Retry by hand
    /// with [`Store::retry_dead`].
    Dead,
    /// A later result for the same order replaced it before it was sent.
    Superseded,
}

impl ItemState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivering => "delivering",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
            Self::Superseded => "superseded",
        }
    }

    /// Every state, in the order `ats outbox` lists them.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Delivering,
        Self::Delivered,
        Self::Dead,
        Self::Superseded,
    ];

    /// A state read from the database.
    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown outbox state `{s}`")))
    }
}

/// An order the vendor accepted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderRecord {
    /// The row id.
    pub id: i64,
    /// The handle results are written back with.
    pub handle: OrderHandle,
    /// The last status reported (`invited` at acceptance).
    pub status: String,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
    /// The last result reported for it.
    pub last_result: Option<AssessmentResult>,
}

/// One result to write back, and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutboxItem {
    /// The item id.
    pub id: i64,
    /// The order's row id.
    pub order_id: i64,
    /// Where it stands.
    pub state: ItemState,
    /// Attempts made (a claim counts as one).
    pub attempts: u32,
    /// When it is (or was) due.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure: the provider's own message where it sent one.
    pub last_error: Option<String>,
    /// The HTTP status of the last failure, where there was one.
    pub last_http_status: Option<u16>,
    /// The result.
    pub result: AssessmentResult,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
}

/// An item a worker claimed, with everything needed to deliver it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedItem {
    /// The item.
    pub item: OutboxItem,
    /// The order's handle.
    pub handle: OrderHandle,
}

/// The key an order is known by: the vendor's assessment id, else the
/// provider's order id.
pub fn order_key(handle: &OrderHandle) -> Result<String, StoreError> {
    match (&handle.vendor_assessment_id, &handle.provider_order_id) {
        (Some(v), _) if !v.is_empty() => Ok(format!("v:{v}")),
        (_, Some(p)) if !p.is_empty() => Ok(format!("p:{p}")),
        _ => Err(StoreError::Config(
            "an order handle needs a vendor assessment id or a provider order id".into(),
        )),
    }
}

fn tenant_str(handle: &OrderHandle) -> &str {
    handle.tenant.as_ref().map(TenantId::as_str).unwrap_or("")
}

pub(crate) async fn upsert_order(
    conn: &mut AnyConnection,
    handle: &OrderHandle,
    status: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let orders = [(handle, status, now)];
    let mut script = Script::default();
    let (sql, params) = orders_statement(&orders)?;
    script.push(sql, params);
    let rows = script.run(conn).await?;
    order_ids(&orders, &rows)?
        .first()
        .copied()
        .ok_or_else(|| StoreError::Database("the order row was not returned".into()))
}

/// The statement saving orders (handle, status, time): new ones are
/// inserted, known ones (same provider, tenant and key) get the status.
/// Its rows ([`order_ids`]) are of kind `order`.
///
/// A known key whose order has another provider order id is another order
/// given the same vendor assessment id: its status is set to NULL, which
/// the column refuses, so the statement fails
/// ([`StoreError::Conflict`]) and the transaction writes nothing. (A
/// missing or empty provider order id on either side is no clash.)
pub(crate) fn orders_statement(
    orders: &[(&OrderHandle, &str, i64)],
) -> Result<(String, Vec<Param>), StoreError> {
    let sql = format!(
        "INSERT INTO orders (provider, tenant, order_key, vendor_assessment_id, provider_order_id, \
         candidate_id, handle, status, created_at, updated_at) VALUES {} \
         ON CONFLICT (provider, tenant, order_key) DO UPDATE SET status = CASE \
         WHEN orders.provider_order_id <> '' AND excluded.provider_order_id <> '' \
         AND orders.provider_order_id <> excluded.provider_order_id THEN NULL \
         ELSE excluded.status END, \
         updated_at = excluded.updated_at \
         RETURNING 'order' AS kind, id, provider, tenant, order_key",
        placeholders(orders.len(), 10)
    );
    let mut params = Vec::with_capacity(orders.len() * 10);
    for (handle, status, now) in orders {
        params.extend([
            handle.provider.as_str().into(),
            tenant_str(handle).into(),
            order_key(handle)?.into(),
            handle.vendor_assessment_id.clone().into(),
            handle.provider_order_id.clone().into(),
            handle.candidate_id.clone().into(),
            serde_json::to_string(handle)?.into(),
            (*status).into(),
            (*now).into(),
            (*now).into(),
        ]);
    }
    Ok((sql, params))
}

/// The row ids of `orders`, in the order given, from the rows of their
/// [`orders_statement`] (rows of other kinds are ignored).
pub(crate) fn order_ids(
    orders: &[(&OrderHandle, &str, i64)],
    rows: &[AnyRow],
) -> Result<Vec<i64>, StoreError> {
    let mut ids = std::collections::HashMap::with_capacity(orders.len());
    for row in rows {
        if row.try_get::<String, _>("kind")? != "order" {
            continue;
        }
        let at: (String, String, String) = (
            row.try_get("provider")?,
            row.try_get("tenant")?,
            row.try_get("order_key")?,
        );
        ids.insert(at, row.try_get::<i64, _>("id")?);
    }
    orders
        .iter()
        .map(|(handle, _, _)| {
            let at = (
                handle.provider.clone(),
                tenant_str(handle).to_owned(),
                order_key(handle)?,
            );
            ids.get(&at).copied().ok_or_else(|| {
                StoreError::Database("an order row was not returned by its upsert".into())
            })
        })
        .collect()
}

const ITEM_COLUMNS: &str = "o.id, o.order_id, o.state, o.attempts, o.next_attempt_at, o.last_error, \
     o.last_http, o.payload, o.created_at";

fn item_from_row(row: &AnyRow) -> Result<OutboxItem, StoreError> {
    let payload: String = row.try_get("payload")?;
    Ok(OutboxItem {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        state: ItemState::parse(&row.try_get::<String, _>("state")?)?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: from_ms(row.try_get("next_attempt_at")?),
        last_error: opt_string(row, "last_error")?,
        last_http_status: row
            .try_get::<Option<i64>, _>("last_http")?
            .and_then(|s| u16::try_from(s).ok()),
        result: serde_json::from_str(&payload)?,
        created_at: from_ms(row.try_get("created_at")?),
    })
}

const ORDER_COLUMNS: &str = "id, handle, status, created_at, updated_at, last_result";

fn order_from_row(row: &AnyRow) -> Result<OrderRecord, StoreError> {
    Ok(OrderRecord {
        id: row.try_get("id")?,
        handle: serde_json::from_str(&row.try_get::<String, _>("handle")?)?,
        status: row.try_get("status")?,
        created_at: from_ms(row.try_get("created_at")?),
        updated_at: from_ms(row.try_get("updated_at")?),
        last_result: opt_string(row, "last_result")?
            .map(|r| serde_json::from_str(&r))
            .transpose()?,
    })
}

/// Which orders to list.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only this provider.
    pub provider: Option<String>,
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only orders whose last status is this (`invited`, `completed`…).
    pub status: Option<String>,
    /// At most this many, newest first (default 100).
    pub limit: Option<u32>,
}

/// Which outbox items to list.
#[derive(Clone, Debug, Default)]
pub struct OutboxFilter {
    /// Only this order (row id).
    pub order_id: Option<i64>,
    /// Only items in this state.
    pub state: Option<ItemState>,
    /// At most this many, newest first (default 100).
    pub limit: Option<u32>,
}

impl Store {
    /// Records an accepted order (e.g. one accepted outside the intake).
    /// Returns its row id; an order already known keeps its id. A handle
    /// whose vendor assessment id names another order (another provider
    /// order id) is [`StoreError::Conflict`].
    pub async fn save_order(&self, handle: &OrderHandle) -> Result<i64, StoreError> {
        let mut tx = self.inner.pool.begin().await?;
        let id = upsert_order(&mut tx, handle, "invited", self.now_ms())
            .await
            .map_err(|e| e.for_order(Some(handle)))?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores `result` for delivery and the order's new status, in one
    /// transaction; results of the order still pending are superseded.
    /// Returns the new item's id. A handle whose vendor assessment id names
    /// another order (another provider order id) is
    /// [`StoreError::Conflict`], and nothing is queued: the result would
    /// otherwise be written to the other order.
    pub async fn enqueue_result(
        &self,
        handle: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<i64, StoreError> {
        let now = self.now_ms();
        let payload = serde_json::to_string(result)?;
        let mut tx = self.inner.pool.begin().await?;
        let order_id = upsert_order(&mut tx, handle, result.status.as_str(), now)
            .await
            .map_err(|e| e.for_order(Some(handle)))?;
        sqlx::query("UPDATE orders SET last_result = $1 WHERE id = $2")
            .bind(payload.clone())
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE outbox SET state = 'superseded', updated_at = $1 \
             WHERE order_id = $2 AND state = 'pending'",
        )
        .bind(now)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "INSERT INTO outbox (order_id, status, payload, state, attempts, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4) RETURNING id",
        )
        .bind(order_id)
        .bind(result.status.as_str())
        .bind(payload)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id = row.try_get("id")?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims the next due item for `worker` for `lease`: a pending item
    /// whose time has come, or a claim whose lease ran out, and only when
    /// no earlier item of its order is still pending or being delivered.
    pub async fn claim_result(
        &self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<ClaimedItem>, StoreError> {
        let now = self.now_ms();
        let sql = self.sql(
            // two index-ordered branches (an OR here made SQLite scan the
            // whole table on every claim, under the write lock)
            "UPDATE outbox SET state = 'delivering', claimed_by = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM ( \
               SELECT * FROM (SELECT o.id, o.next_attempt_at AS due FROM outbox o \
                 WHERE o.state = 'pending' AND o.next_attempt_at <= $3 \
                 AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.order_id = o.order_id AND p.id < o.id \
                     AND p.state IN ('pending', 'delivering')) \
                 ORDER BY o.next_attempt_at, o.id LIMIT 1) \
               UNION ALL \
               SELECT * FROM (SELECT o.id, o.lease_until AS due FROM outbox o \
                 WHERE o.state = 'delivering' AND o.lease_until < $3 \
                 AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.order_id = o.order_id AND p.id < o.id \
                     AND p.state IN ('pending', 'delivering')) \
                 ORDER BY o.lease_until, o.id LIMIT 1)) \
               ORDER BY due, id LIMIT 1) \
             RETURNING id",
            "UPDATE outbox SET state = 'delivering', claimed_by = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT o.id FROM outbox o \
               WHERE ((o.state = 'pending' AND o.next_attempt_at <= $3) \
                   OR (o.state = 'delivering' AND o.lease_until < $3)) \
               AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.order_id = o.order_id AND p.id < o.id \
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
        let Some(claimed) = claimed else {
            return Ok(None);
        };
        let id: i64 = claimed.try_get("id")?;
        let row = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS}, r.handle FROM outbox o JOIN orders r ON r.id = o.order_id WHERE o.id = $1"
        ))
        .bind(id)
        .fetch_one(&self.inner.pool)
        .await?;
        Ok(Some(ClaimedItem {
            item: item_from_row(&row)?,
            handle: serde_json::from_str(&row.try_get::<String, _>("handle")?)?,
        }))
    }

    /// The item was delivered. `false` when `worker` no longer holds the
    /// claim (its lease ran out and another worker took it). `log`, the
    /// attempt's activity row, is appended in the same transaction (here
    /// and in [`retry_result_at`](Self::retry_result_at) and
    /// [`mark_dead`](Self::mark_dead)), held or not.
    pub async fn mark_delivered(
        &self,
        id: i64,
        worker: &str,
        log: Option<&Activity>,
    ) -> Result<bool, StoreError> {
        self.settle(Queue::Outbox, id, worker, Settle::Delivered, log)
            .await
    }

    /// The attempt failed but may succeed later: try again at `at`.
    pub async fn retry_result_at(
        &self,
        id: i64,
        worker: &str,
        at: DateTime<Utc>,
        error: &str,
        http_status: Option<u16>,
        log: Option<&Activity>,
    ) -> Result<bool, StoreError> {
        let how = Settle::Retry {
            at: at.timestamp_millis(),
            error,
            http: http_status,
        };
        self.settle(Queue::Outbox, id, worker, how, log).await
    }

    /// The provider refused the item for good (or it ran out of attempts):
    /// keep it, dead, with the provider's message.
    pub async fn mark_dead(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        http_status: Option<u16>,
        log: Option<&Activity>,
    ) -> Result<bool, StoreError> {
        let how = Settle::Dead {
            error,
            http: http_status,
        };
        self.settle(Queue::Outbox, id, worker, how, log).await
    }

    /// Gives back every claim `worker` holds, due now (graceful shutdown).
    pub async fn release_claims(&self, worker: &str) -> Result<u64, StoreError> {
        self.release(Queue::Outbox, worker).await
    }

    /// Puts a dead item back in the queue, due now, its attempts reset.
    /// `false` when the item is not dead.
    pub async fn retry_dead(&self, id: i64) -> Result<bool, StoreError> {
        self.revive(Queue::Outbox, id).await
    }

    /// One outbox item.
    pub async fn outbox_item(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM outbox o WHERE o.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.inner.pool)
        .await?;
        row.as_ref().map(item_from_row).transpose()
    }

    /// Outbox items, newest first.
    pub async fn outbox_items(&self, filter: &OutboxFilter) -> Result<Vec<OutboxItem>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM outbox o \
             WHERE ($1 = 0 OR o.order_id = $2) AND ($3 = '' OR o.state = $3) \
             ORDER BY o.id DESC LIMIT $4"
        ))
        .bind(i64::from(filter.order_id.is_some()))
        .bind(filter.order_id.unwrap_or_default())
        .bind(filter.state.map(ItemState::as_str).unwrap_or(""))
        .bind(i64::from(filter.limit.unwrap_or(100)))
        .fetch_all(&self.inner.pool)
        .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// Deletes the items delivered, or superseded before they were sent,
    /// more than `age` ago (the retention setting): the delivery history
    /// an order shows. The order itself, with its last result, stays;
    /// items waiting, being delivered or dead are never deleted. Returns
    /// how many went.
    pub async fn prune_outbox(&self, age: std::time::Duration) -> Result<u64, StoreError> {
        self.prune_settled(Queue::Outbox, age).await
    }

    /// How many items are in each state (for metrics and the CLI).
    pub async fn outbox_counts(&self) -> Result<Vec<(ItemState, u64)>, StoreError> {
        self.counts(Queue::Outbox).await
    }

    /// The order the vendor knows by `vendor_assessment_id` (for `provider`
    /// when given).
    pub async fn order_by_vendor_id(
        &self,
        provider: Option<&str>,
        vendor_assessment_id: &str,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders \
             WHERE vendor_assessment_id = $1 AND ($2 = '' OR provider = $2) ORDER BY id LIMIT 2"
        ))
        .bind(vendor_assessment_id)
        .bind(provider.unwrap_or(""))
        .fetch_all(&self.inner.pool)
        .await?;
        match rows.as_slice() {
            [] => Ok(None),
            [one] => order_from_row(one).map(Some),
            [first, second, ..] => {
                let (a, b) = (order_from_row(first)?, order_from_row(second)?);
                let at = |o: &OrderRecord| {
                    format!(
                        "`{}` tenant `{}`",
                        o.handle.provider,
                        o.handle.tenant.as_ref().map(TenantId::as_str).unwrap_or("")
                    )
                };
                let help = if provider.is_none() && a.handle.provider != b.handle.provider {
                    "name the provider, or give each order its own assessment id"
                } else {
                    "give each order its own assessment id, or report with the order's handle"
                };
                Err(StoreError::Config(format!(
                    "assessment id `{vendor_assessment_id}` names orders of {} and {}: {help}",
                    at(&a),
                    at(&b)
                )))
            }
        }
    }

    /// The order `provider` knows as `provider_order_id` for `tenant` (any
    /// tenant when `None`), the newest when several match: how a
    /// cancellation, which names only the provider's id, finds the
    /// vendor's assessment.
    pub async fn order_by_provider_id(
        &self,
        provider: &str,
        tenant: Option<&str>,
        provider_order_id: &str,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders \
             WHERE provider = $1 AND ($2 = '' OR tenant = $2) AND provider_order_id = $3 \
             ORDER BY id DESC LIMIT 1"
        ))
        .bind(provider)
        .bind(tenant.unwrap_or(""))
        .bind(provider_order_id)
        .fetch_optional(&self.inner.pool)
        .await?;
        row.as_ref().map(order_from_row).transpose()
    }

    /// An order by row id.
    pub async fn order(&self, id: i64) -> Result<Option<OrderRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.inner.pool)
            .await?;
        row.as_ref().map(order_from_row).transpose()
    }

    /// Orders, newest first.
    pub async fn orders(&self, filter: &OrderFilter) -> Result<Vec<OrderRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders \
             WHERE ($1 = '' OR provider = $1) AND ($2 = '' OR tenant = $2) AND ($3 = '' OR status = $3) \
             ORDER BY id DESC LIMIT $4"
        ))
        .bind(filter.provider.clone().unwrap_or_default())
        .bind(filter.tenant.clone().unwrap_or_default())
        .bind(filter.status.clone().unwrap_or_default())
        .bind(i64::from(filter.limit.unwrap_or(100)))
        .fetch_all(&self.inner.pool)
        .await?;
        rows.iter().map(order_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(vendor: Option<&str>, provider: Option<&str>) -> OrderHandle {
        OrderHandle {
            provider: "kombo".into(),
            tenant: None,
            provider_order_id: provider.map(str::to_owned),
            vendor_assessment_id: vendor.map(str::to_owned),
            package_id: None,
            candidate_id: None,
            callback_url: None,
            context: Default::default(),
        }
    }

    /// The vendor's id when it has one, else the provider's; an empty id is
    /// no id.
    #[test]
    fn order_key_prefers_the_vendors_id_and_skips_empty_ones() {
        let key = |v, p| order_key(&handle(v, p)).map_err(|e| e.to_string());
        assert_eq!(key(Some("inv-1"), Some("ord-1")), Ok("v:inv-1".into()));
        assert_eq!(key(Some(""), Some("ord-1")), Ok("p:ord-1".into()));
        assert_eq!(key(None, Some("ord-1")), Ok("p:ord-1".into()));
        assert_eq!(key(Some("inv-1"), Some("")), Ok("v:inv-1".into()));
        for (v, p) in [(None, None), (Some(""), Some("")), (None, Some(""))] {
            let e = key(v, p).unwrap_err();
            assert!(e.contains("needs a vendor assessment id"), "{e}");
        }
    }
}
