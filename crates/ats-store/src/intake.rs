//! The intake: each inbound call that must be answered once (an order, a
//! cancellation) gets a row keyed by provider, tenant and a de-duplication
//! key before the vendor is asked. The first answer is kept and returned to
//! every copy of the call — concurrent ones, later redeliveries, after a
//! restart, on another instance. The primary key, not a check-then-insert,
//! decides who answers.

use std::collections::HashSet;
use std::time::Duration;

use ats_core::{OrderHandle, OrderRef, TenantId};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::activity::{Activity, activity_statement};
use crate::error::StoreError;
use crate::outbox::{order_ids, orders_statement};
use crate::script::{Param, Script};
use crate::store::{Store, duration_ms, placeholders};

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
        let inserted = match &self.inner.group {
            Some(group) => group.claim(key, operation, until, now).await?,
            None => {
                let mut conn = self.inner.pool.acquire().await?;
                let claim = NewClaim {
                    key,
                    operation,
                    until,
                    now,
                };
                insert_claim(&mut conn, claim).await?
            }
        };
        if inserted {
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
    ///
    /// An accepted order whose vendor assessment id already names another
    /// order of the same provider and tenant (another provider order id) is
    /// [`StoreError::Conflict`]: nothing is written and the claim stays
    /// open, so that no result of one order is ever written to the other.
    pub async fn answer_intake(
        &self,
        key: &IntakeKey,
        answer: &StoredAnswer,
        change: OrderChange<'_>,
        log: Option<&Activity>,
    ) -> Result<Option<i64>, StoreError> {
        let now = self.now_ms();
        let accepted = match change {
            OrderChange::Accepted(handle) => Some(handle),
            _ => None,
        };
        let written = match &self.inner.group {
            Some(group) => group.answer(key, answer, change, log, now).await,
            None => self.answer_alone(key, answer, change, log, now).await,
        };
        written.map_err(|e| e.for_order(accepted))
    }

    async fn answer_alone(
        &self,
        key: &IntakeKey,
        answer: &StoredAnswer,
        change: OrderChange<'_>,
        log: Option<&Activity>,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.inner.pool.begin().await?;
        let answer = NewAnswer {
            key,
            answer,
            change,
            log,
            now,
        };
        let order = write_answer(&mut tx, answer).await?;
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

    /// Forgets calls first received more than `age` ago (providers stop
    /// redelivering after days: Knit after 4): those answered, and those
    /// never answered whose claim has lapsed (the process asking the vendor
    /// died, and no copy came again to take the claim over). A claim still
    /// held stays. Returns how many rows went.
    pub async fn prune_intake(&self, age: Duration) -> Result<u64, StoreError> {
        let now = self.now_ms();
        let before = now.saturating_sub(duration_ms(age));
        Ok(sqlx::query(
            "DELETE FROM intake WHERE created_at < $1              AND (state = 'answered' OR lease_until < $2)",
        )
        .bind(before)
        .bind(now)
        .execute(&self.inner.pool)
        .await?
        .rows_affected())
    }
}

/// A claim to write ([`claims_statement`]).
pub(crate) struct NewClaim<'a> {
    pub(crate) key: &'a IntakeKey,
    pub(crate) operation: &'a str,
    pub(crate) until: i64,
    pub(crate) now: i64,
}

/// The fast path of a claim: the row inserted, or `false` when it exists.
pub(crate) async fn insert_claim(
    conn: &mut AnyConnection,
    claim: NewClaim<'_>,
) -> Result<bool, StoreError> {
    let claims = [claim];
    let mut script = Script::default();
    let (sql, params) = claims_statement(&claims);
    script.push(sql, params);
    let rows = script.run(conn).await?;
    Ok(claimed(&claims, &rows)?.first() == Some(&true))
}

/// The statement inserting the claims' rows (those whose key is free);
/// its rows ([`claimed`]) are of kind `claim`.
pub(crate) fn claims_statement(claims: &[NewClaim<'_>]) -> (String, Vec<Param>) {
    let sql = format!(
        "INSERT INTO intake (provider, tenant, dedup_key, operation, state, lease_until, created_at) \
         VALUES {} ON CONFLICT DO NOTHING RETURNING 'claim' AS kind, provider, tenant, dedup_key",
        placeholders(claims.len(), 7)
    );
    // rows in key order: two instances inserting the same keys lock them
    // in the same order, so their batches cannot deadlock (PostgreSQL)
    let mut sorted: Vec<&NewClaim<'_>> = claims.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.key.provider, &a.key.tenant, &a.key.dedup_key).cmp(&(
            &b.key.provider,
            &b.key.tenant,
            &b.key.dedup_key,
        ))
    });
    let mut params = Vec::with_capacity(claims.len() * 7);
    for c in sorted {
        params.extend([
            c.key.provider.as_str().into(),
            c.key.tenant.as_str().into(),
            c.key.dedup_key.as_str().into(),
            c.operation.into(),
            "open".into(),
            c.until.into(),
            c.now.into(),
        ]);
    }
    (sql, params)
}

/// For each claim, whether its row was inserted by it, from the rows of
/// its [`claims_statement`]. Of two claims of one key, only the first can
/// be.
pub(crate) fn claimed(claims: &[NewClaim<'_>], rows: &[AnyRow]) -> Result<Vec<bool>, StoreError> {
    let mut inserted = HashSet::new();
    for row in rows {
        if row.try_get::<String, _>("kind")? == "claim" {
            inserted.insert(IntakeKey {
                provider: row.try_get("provider")?,
                tenant: row.try_get("tenant")?,
                dedup_key: row.try_get("dedup_key")?,
            });
        }
    }
    // `remove` leaves nothing for a later copy of the same key
    Ok(claims.iter().map(|c| inserted.remove(c.key)).collect())
}

/// An answer to write ([`answers_script`]).
pub(crate) struct NewAnswer<'a> {
    pub(crate) key: &'a IntakeKey,
    pub(crate) answer: &'a StoredAnswer,
    pub(crate) change: OrderChange<'a>,
    pub(crate) log: Option<&'a Activity>,
    pub(crate) now: i64,
}

/// The statements of [`Store::answer_intake`], inside the caller's
/// transaction.
pub(crate) async fn write_answer(
    conn: &mut AnyConnection,
    answer: NewAnswer<'_>,
) -> Result<Option<i64>, StoreError> {
    let answers = [answer];
    let mut script = Script::default();
    answers_script(&answers, &mut script)?;
    let rows = script.run(conn).await?;
    Ok(answered(&answers, &rows)?.into_iter().next().flatten())
}

/// Appends the statements writing `answers` to `script`, one per table
/// whatever their number: the intake rows marked answered, the accepted
/// orders saved, the log rows appended (cancellations, rare, one statement
/// each; their rows are of kind `cancel`).
pub(crate) fn answers_script(
    answers: &[NewAnswer<'_>],
    script: &mut Script,
) -> Result<(), StoreError> {
    if answers.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "WITH v (provider, tenant, dedup_key, status, headers, body, answered_at) AS (VALUES {}) \
         UPDATE intake SET state = 'answered', status = v.status, headers = v.headers, \
         body = v.body, answered_at = v.answered_at FROM v \
         WHERE intake.provider = v.provider AND intake.tenant = v.tenant \
         AND intake.dedup_key = v.dedup_key",
        placeholders(answers.len(), 7)
    );
    let mut params = Vec::with_capacity(answers.len() * 7);
    for a in answers {
        params.extend([
            a.key.provider.as_str().into(),
            a.key.tenant.as_str().into(),
            a.key.dedup_key.as_str().into(),
            i64::from(a.answer.status).into(),
            serde_json::to_string(&a.answer.headers)?.into(),
            a.answer.body.clone().into(),
            a.now.into(),
        ]);
    }
    script.push(sql, params);
    let accepted = accepted_orders(answers);
    if !accepted.is_empty() {
        let (sql, params) = orders_statement(&accepted)?;
        script.push(sql, params);
    }
    for (i, a) in answers.iter().enumerate() {
        if let OrderChange::Cancelled(order) = a.change {
            // by either id the provider names; a finished order stays so
            script.push(
                "UPDATE orders SET status = 'cancelled', updated_at = $1 \
                 WHERE provider = $2 AND tenant = $3 \
                 AND ((vendor_assessment_id = $4 AND $4 <> '') OR (provider_order_id = $5 AND $5 <> '')) \
                 AND status NOT IN ('completed', 'cancelled') \
                 RETURNING 'cancel' AS kind, id, CAST($6 AS BIGINT) AS answer"
                    .to_owned(),
                vec![
                    a.now.into(),
                    a.key.provider.as_str().into(),
                    a.key.tenant.as_str().into(),
                    order.vendor_assessment_id.as_deref().unwrap_or("").into(),
                    order.provider_order_id.as_deref().unwrap_or("").into(),
                    i64::try_from(i).unwrap_or(i64::MAX).into(),
                ],
            );
        }
    }
    let logs: Vec<&Activity> = answers.iter().filter_map(|a| a.log).collect();
    if !logs.is_empty() {
        let (sql, params) = activity_statement(&logs, false);
        script.push(sql, params);
    }
    Ok(())
}

/// Each answer's changed order, from the rows of its [`answers_script`].
pub(crate) fn answered(
    answers: &[NewAnswer<'_>],
    rows: &[AnyRow],
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut changed = vec![None; answers.len()];
    let accepted = accepted_orders(answers);
    let mut ids = order_ids(&accepted, rows)?.into_iter();
    for (i, a) in answers.iter().enumerate() {
        if matches!(a.change, OrderChange::Accepted(_)) {
            changed[i] = ids.next();
        }
    }
    for row in rows {
        if row.try_get::<String, _>("kind")? == "cancel" {
            let i = usize::try_from(row.try_get::<i64, _>("answer")?).unwrap_or(usize::MAX);
            if let Some(slot) = changed.get_mut(i) {
                *slot = Some(row.try_get("id")?);
            }
        }
    }
    Ok(changed)
}

fn accepted_orders<'a>(answers: &[NewAnswer<'a>]) -> Vec<(&'a OrderHandle, &'static str, i64)> {
    answers
        .iter()
        .filter_map(|a| match a.change {
            OrderChange::Accepted(handle) => Some((handle, "invited", a.now)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn claims_are_inserted_in_key_order() {
        let keys: Vec<IntakeKey> = ["b", "a", "c", "a"]
            .iter()
            .map(|k| IntakeKey::new("kombo", None, format!("order:{k}")))
            .collect();
        let claims: Vec<NewClaim<'_>> = keys
            .iter()
            .map(|key| NewClaim {
                key,
                operation: "order",
                until: 1,
                now: 0,
            })
            .collect();
        let (sql, params) = claims_statement(&claims);
        assert!(
            sql.contains("VALUES ($1, $2, $3, $4, $5, $6, $7), ($8"),
            "{sql}"
        );
        let dedup: Vec<String> = params
            .chunks(7)
            .map(|row| match &row[2] {
                Param::Text(Some(k)) => k.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(dedup, ["order:a", "order:a", "order:b", "order:c"]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn pruning_forgets_answered_calls_only() {
        let store = Store::in_memory().await.unwrap();
        let key = |n: u8| IntakeKey::new("kombo", None, format!("order:{n}"));
        let lease = Duration::from_secs(60);
        for n in 0..3 {
            assert_eq!(
                store.claim_intake(&key(n), "order", lease).await.unwrap(),
                Claim::Owner
            );
        }
        let answer = StoredAnswer {
            status: 200,
            headers: vec![],
            body: b"{}".to_vec(),
        };
        for n in 0..2 {
            store
                .answer_intake(&key(n), &answer, OrderChange::None, None)
                .await
                .unwrap();
        }
        // nothing is older than an hour
        assert_eq!(
            store.prune_intake(Duration::from_secs(3600)).await.unwrap(),
            0
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(store.prune_intake(Duration::ZERO).await.unwrap(), 2);
        assert_eq!(store.prune_intake(Duration::ZERO).await.unwrap(), 0);
        // the open claim stays; the answered calls are new again
        assert_eq!(
            store.claim_intake(&key(2), "order", lease).await.unwrap(),
            Claim::Busy
        );
        assert_eq!(
            store.claim_intake(&key(0), "order", lease).await.unwrap(),
            Claim::Owner
        );
    }
}
