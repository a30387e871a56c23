//! What the result outbox and the vendor event queue share: settling a
//! claimed item, giving claims back, putting a dead item back, and
//! forgetting settled ones. The tables have the same claim columns; only
//! their names differ.

use sqlx::Executor as _;
use sqlx::Row as _;

use crate::activity::{Activity, activity_statement};
use crate::error::StoreError;
use crate::outbox::ItemState;
use crate::script::Script;
use crate::store::{Store, duration_ms};

/// One of the two queues.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Queue {
    /// Results for the providers (`outbox`).
    Outbox,
    /// Events for the vendor (`vendor_events`).
    VendorEvents,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Self::Outbox => "outbox",
            Self::VendorEvents => "vendor_events",
        }
    }
}

/// How a claimed item is settled.
pub(crate) enum Settle<'a> {
    /// Taken by the other side.
    Delivered,
    /// Failed; due again at `at` (milliseconds).
    Retry {
        at: i64,
        error: &'a str,
        http: Option<u16>,
    },
    /// Failed for good.
    Dead { error: &'a str, http: Option<u16> },
}

impl Store {
    /// Settles item `id` if `worker` still holds its claim, and appends
    /// `log` (the attempt's activity row) in the same transaction, whether
    /// or not the claim was still held. `false` when it was not.
    pub(crate) async fn settle(
        &self,
        queue: Queue,
        id: i64,
        worker: &str,
        how: Settle<'_>,
        log: Option<&Activity>,
    ) -> Result<bool, StoreError> {
        let (state, next, error, http) = match how {
            Settle::Delivered => ("delivered", None, None, None),
            Settle::Retry { at, error, http } => ("pending", Some(at), Some(error), http),
            Settle::Dead { error, http } => ("dead", None, Some(error), http),
        };
        let mut script = Script::default();
        script.push(
            format!(
                "UPDATE {} SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
                 claimed_by = NULL, lease_until = NULL, last_error = $3, last_http = $4, updated_at = $5 \
                 WHERE id = $6 AND claimed_by = $7 AND state = 'delivering' \
                 RETURNING 'settled' AS kind",
                queue.table()
            ),
            vec![
                state.into(),
                next.into(),
                error.map(str::to_owned).into(),
                http.map(i64::from).into(),
                self.now_ms().into(),
                id.into(),
                worker.into(),
            ],
        );
        if let Some(log) = log {
            let (sql, params) = activity_statement(&[log], false);
            script.push(sql, params);
        }
        let rows = script
            .run_as_transaction(&self.inner.pool, !self.pg(), true)
            .await?;
        let mut settled = 0;
        for row in &rows {
            if row.try_get::<String, _>("kind")? == "settled" {
                settled += 1;
            }
        }
        Ok(settled == 1)
    }

    /// Gives back every claim `worker` holds, due now, the attempt not
    /// counted (graceful shutdown).
    pub(crate) async fn release(&self, queue: Queue, worker: &str) -> Result<u64, StoreError> {
        let sql = format!(
            "UPDATE {} SET state = 'pending', claimed_by = NULL, lease_until = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
             next_attempt_at = $1, updated_at = $1 WHERE claimed_by = $2 AND state = 'delivering'",
            queue.table()
        );
        Ok(self
            .inner
            .pool
            .execute(sqlx::query(&sql).bind(self.now_ms()).bind(worker))
            .await?
            .rows_affected())
    }

    /// Puts a dead item back, due now, its attempts reset. `false` when it
    /// is not dead.
    pub(crate) async fn revive(&self, queue: Queue, id: i64) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE {} SET state = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 \
             WHERE id = $2 AND state = 'dead'",
            queue.table()
        );
        let n = self
            .inner
            .pool
            .execute(sqlx::query(&sql).bind(self.now_ms()).bind(id))
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Deletes the items of `queue` settled for good (delivered, or
    /// superseded before they were sent) whose last change is older than
    /// `age`. Items waiting, being delivered or dead are never deleted.
    pub(crate) async fn prune_settled(
        &self,
        queue: Queue,
        age: std::time::Duration,
    ) -> Result<u64, StoreError> {
        let before = self.now_ms().saturating_sub(duration_ms(age));
        let sql = format!(
            "DELETE FROM {} WHERE state IN ('delivered', 'superseded') AND updated_at < $1",
            queue.table()
        );
        Ok(self
            .inner
            .pool
            .execute(sqlx::query(&sql).bind(before))
            .await?
            .rows_affected())
    }

    /// How many items of `queue` are in each state.
    pub(crate) async fn counts(&self, queue: Queue) -> Result<Vec<(ItemState, u64)>, StoreError> {
        let sql = format!(
            "SELECT state, COUNT(*) AS n FROM {} GROUP BY state ORDER BY state",
            queue.table()
        );
        let rows = sqlx::query(&sql).fetch_all(&self.inner.pool).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    ItemState::parse(&r.try_get::<String, _>("state")?)?,
                    u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or_default(),
                ))
            })
            .collect()
    }
}
