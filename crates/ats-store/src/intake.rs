//! The intake: each inbound call that must be answered once (an order, a
//! cancellation) gets a row keyed by provider, tenant and a de-duplication
//! key before the vendor is asked. The first answer is kept and returned to
//! every copy of the call — concurrent ones, later redeliveries, after a
//! restart, on another instance. The primary key, not a check-then-insert,
//! decides who answers.

use std::time::Duration;

use ats_core::{OrderHandle, OrderRef, TenantId};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::activity::{Activity, insert_activity};
use crate::error::StoreError;
use crate::outbox::upsert_order;
use crate::store::{Store, duration_ms};

/// Identifies one inbound call across copies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IntakeKey {
    /// The adapter's name.
    pub provider: String,
    /// The tenant (`""` when unknown).
    pub tenant: String,
    /// What makes copies the same call: `order:<provider order id>`, or a
    /// digest of the request for calls that carry no id.
    pub dedup_key: String,
}

impl IntakeKey {
    /// A key.
    pub fn new(provider: &str, tenant: Option<&TenantId>, dedup_key: impl Into<String>) -> Self {
        Self {
            provider: provider.to_owned(),
            tenant: tenant.map(|t| t.as_str().to_owned()).unwrap_or_default(),
            dedup_key: dedup_key.into(),
        }
    }
}

/// What answering a call does to an order ([`Store::answer_intake`]).
#[derive(Clone, Copy, Debug)]
pub enum OrderChange<'a> {
    /// Nothing.
    None,
    /// The vendor accepted this order: saved as `invited`.
    Accepted(&'a OrderHandle),
    /// The provider cancelled the order it names (by the vendor's
    /// assessment id or its own order id, for the call's provider and
    /// tenant): marked `cancelled` unless it was completed already.
    Cancelled(&'a OrderRef),
}

/// The answer given to a call, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAnswer {
    /// HTTP status.
    pub status: u16,
    /// Response headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
}

/// What [`Store::claim_intake`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The caller is the first (or takes over an abandoned claim): ask the
    /// vendor, then [`Store::answer_intake`] or [`Store::release_intake`].
    Owner,
    /// Already answered: send this again.
    Answered(StoredAnswer),
    /// Another copy is being answered right now: wait and claim again.
    Busy,
}

impl Store {
    /// Claims `key` for answering. A claim not answered within `lease` (its
    /// owner crashed) can be taken over.
    pub async fn claim_intake(
        &self,
        key: &IntakeKey,
        operation: &str,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let now = self.now_ms();
        let until = now.saturating_add(duration_ms(lease));
        let inserted = sqlx::query(
            "INSERT INTO intake (provider, tenant, dedup_key, operation, state, lease_until, created_at) \
             VALUES ($1, $2, $3, $4, 'open', $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&key.provider)
        .bind(&key.tenant)
        .bind(&key.dedup_key)
        .bind(operation)
        .bind(until)
        .bind(now)
        .execute(&self.inner.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Claim::Owner);
        }
        let row = sqlx::query(
            "SELECT state, lease_until, status, headers, body FROM intake \
             WHERE provider = $1 AND tenant = $2 AND dedup_key = $3",
        )
        .bind(&key.provider)
        .bind(&key.tenant)
        .bind(&key.dedup_key)
        .fetch_optional(&self.inner.pool)
        .await?;
        let Some(row) = row else {
            // released between the insert and the read: try once more
            return Ok(Claim::Busy);
        };
        let state: String = row.try_get("state")?;
        if state == "answered" {
            let status: i64 = row.try_get::<Option<i64>, _>("status")?.unwrap_or(200);
            let headers: Option<String> = row.try_get("headers")?;
            let headers = match headers {
                Some(h) => serde_json::from_str(&h)?,
                None => Vec::new(),
            };
            return Ok(Claim::Answered(StoredAnswer {
                status: u16::try_from(status).unwrap_or(200),
                headers,
                body: row
                    .try_get::<Option<Vec<u8>>, _>("body")?
                    .unwrap_or_default(),
            }));
        }
        let lease_until: i64 = row.try_get("lease_until")?;
        if lease_until >= now {
            return Ok(Claim::Busy);
        }
        // the owner is gone: take over, unless someone else just did
        let taken = sqlx::query(
            "UPDATE intake SET lease_until = $1 \
             WHERE provider = $2 AND tenant = $3 AND dedup_key = $4 AND state = 'open' AND lease_until = $5",
        )
        .bind(until)
        .bind(&key.provider)
        .bind(&key.tenant)
        .bind(&key.dedup_key)
        .bind(lease_until)
        .execute(&self.inner.pool)
        .await?
        .rows_affected();
        Ok(if taken == 1 {
            Claim::Owner
        } else {
            Claim::Busy
        })
    }

    /// Stores the answer to a claimed call and, in the same transaction,
    /// what it did to an order (`change`: an accepted order's handle is
    /// saved, so that it can always be reported on; a cancelled order is
    /// marked so) and `log`, the call's activity row (one commit for the
    /// answer and its record). Returns the row id of the order changed.
    pub async fn answer_intake(
        &self,
        key: &IntakeKey,
        answer: &StoredAnswer,
        change: OrderChange<'_>,
        log: Option<&Activity>,
    ) -> Result<Option<i64>, StoreError> {
        let now = self.now_ms();
        let headers = serde_json::to_string(&answer.headers)?;
        let mut tx = self.inner.pool.begin().await?;
        sqlx::query(
            "UPDATE intake SET state = 'answered', status = $1, headers = $2, body = $3, answered_at = $4 \
             WHERE provider = $5 AND tenant = $6 AND dedup_key = $7",
        )
        .bind(i64::from(answer.status))
        .bind(headers)
        .bind(answer.body.clone())
        .bind(now)
        .bind(&key.provider)
        .bind(&key.tenant)
        .bind(&key.dedup_key)
        .execute(&mut *tx)
        .await?;
        let order = match change {
            OrderChange::None => None,
            OrderChange::Accepted(handle) => {
                Some(upsert_order(&mut tx, handle, "invited", now).await?)
            }
            OrderChange::Cancelled(order) => {
                // by either id the provider names; a finished order stays so
                let rows = sqlx::query(
                    "UPDATE orders SET status = 'cancelled', updated_at = $1 \
                     WHERE provider = $2 AND tenant = $3 \
                     AND ((vendor_assessment_id = $4 AND $4 <> '') OR (provider_order_id = $5 AND $5 <> '')) \
                     AND status NOT IN ('completed', 'cancelled') RETURNING id",
                )
                .bind(now)
                .bind(&key.provider)
                .bind(&key.tenant)
                .bind(order.vendor_assessment_id.as_deref().unwrap_or(""))
                .bind(order.provider_order_id.as_deref().unwrap_or(""))
                .fetch_all(&mut *tx)
                .await?;
                rows.first().map(|r| r.try_get("id")).transpose()?
            }
        };
        if let Some(log) = log {
            insert_activity(&mut tx, log).await?;
        }
        tx.commit().await?;
        Ok(order)
    }

    /// Gives up a claim without an answer (the vendor failed): the next
    /// copy of the call is answered afresh.
    pub async fn release_intake(&self, key: &IntakeKey) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM intake WHERE provider = $1 AND tenant = $2 AND dedup_key = $3 AND state = 'open'",
        )
        .bind(&key.provider)
        .bind(&key.tenant)
        .bind(&key.dedup_key)
        .execute(&self.inner.pool)
        .await?;
        Ok(())
    }

    /// Forgets answered calls older than `age` (providers stop redelivering
    /// after days: Knit after 4). Returns how many rows went.
    pub async fn prune_intake(&self, age: Duration) -> Result<u64, StoreError> {
        let before = self.now_ms().saturating_sub(duration_ms(age));
        Ok(
            sqlx::query("DELETE FROM intake WHERE state = 'answered' AND created_at < $1")
                .bind(before)
                .execute(&self.inner.pool)
                .await?
                .rows_affected(),
        )
    }
}
