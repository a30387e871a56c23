//! The activity log: one row per inbound call and per outbound attempt.
//!
//! Bodies are kept only when the runtime is configured to, and always pass
//! through [`redact`] first: credentials, tokens and signatures never reach
//! the table.

use std::time::Duration;

use ats_core::{InboundEvent, VendorReply};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::StoreError;
use crate::script::{Param, Script};
use crate::store::{Store, duration_ms, from_ms, opt_string, placeholders};

/// Which way an exchange went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// The provider called the vendor.
    Inbound,
    /// The vendor called the provider.
    Outbound,
}

impl Flow {
    fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

/// One exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// The row id (0 before it is stored).
    #[serde(default)]
    pub id: i64,
    /// When it started.
    pub at: DateTime<Utc>,
    /// Which way.
    pub direction: Flow,
    /// The adapter's name.
    pub provider: String,
    /// The tenant, when known.
    pub tenant: Option<String>,
    /// The provider's name for the call (`send_test`, `submit_result`…).
    pub operation: String,
    /// The order it concerns (vendor assessment id, else provider order id).
    pub order_id: Option<String>,
    /// The provider's candidate id, when known.
    pub candidate_id: Option<String>,
    /// `true` when it succeeded.
    pub ok: bool,
    /// The error kind (`unauthenticated`, `provider_rejected`…) on failure.
    pub error_kind: Option<String>,
    /// What happened, in one line: the provider's own message on failure.
    pub message: Option<String>,
    /// The HTTP status answered (inbound) or received (outbound).
    pub http_status: Option<u16>,
    /// The attempt number (outbound).
    pub attempt: Option<u32>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The body, redacted, when bodies are kept.
    pub body: Option<String>,
}

impl Activity {
    /// An exchange that started at `at`, with nothing else filled in.
    pub fn new(
        at: DateTime<Utc>,
        direction: Flow,
        provider: impl Into<String>,
        operation: impl Into<String>,
    ) -> Self {
        Self {
            id: 0,
            at,
            direction,
            provider: provider.into(),
            tenant: None,
            operation: operation.into(),
            order_id: None,
            candidate_id: None,
            ok: true,
            error_kind: None,
            message: None,
            http_status: None,
            attempt: None,
            duration_ms: 0,
            body: None,
        }
    }

    /// Fills [`order_id`](Self::order_id) and
    /// [`candidate_id`](Self::candidate_id) from what the exchange concerns:
    /// an order is named by the vendor's assessment id once the vendor has
    /// accepted it (`reply`), else by the provider's order id; a
    /// cancellation or a status query by the order it names. Other events
    /// name no order and leave both empty.
    pub fn set_ids(&mut self, event: &InboundEvent, reply: Option<&VendorReply>) {
        let (order, candidate) = match event {
            InboundEvent::OrderReceived(o) => {
                let vendor = match reply {
                    Some(VendorReply::Accepted(a)) => Some(a.vendor_assessment_id.clone()),
                    _ => None,
                };
                (
                    vendor.or_else(|| o.provider_order_id.clone()),
                    o.candidate.id.clone(),
                )
            }
            InboundEvent::OrderCancelled(c) => (Some(c.order.display_id().to_owned()), None),
            InboundEvent::StatusRequested(q) => (Some(q.order.display_id().to_owned()), None),
            _ => (None, None),
        };
        self.order_id = order;
        self.candidate_id = candidate;
    }
}

/// Which activity to read.
#[derive(Clone, Debug, Default)]
pub struct ActivityQuery {
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this order id.
    pub order_id: Option<String>,
    /// Only this provider.
    pub provider: Option<String>,
    /// Only failures.
    pub errors_only: bool,
    /// Only from this time on.
    pub since: Option<DateTime<Utc>>,
    /// At most this many, newest first (default 100).
    pub limit: Option<u32>,
}

/// Field names whose values never reach the log.
const SENSITIVE: [&str; 12] = [
    "signature",
    "token",
    "secret",
    "password",
    "authorization",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "client_secret",
    "secretkey",
    "credentials",
];

fn is_sensitive(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '_'], "");
    SENSITIVE
        .iter()
        .any(|s| k == s.replace('_', "") || k.ends_with(&s.replace('_', "")))
}

/// A body as the log may keep it: JSON with every credential-like field
/// (`signature`, `token`, `secret`, `password`, `api_key`, …, at any depth)
/// replaced by `"***"`. A body that is not JSON is not kept at all (its
/// length is noted instead), since its secrets cannot be found.
pub fn redact(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            redact_value(&mut value);
            value.to_string()
        }
        Err(_) if body.is_empty() => String::new(),
        Err(_) => format!("<{} bytes, not JSON: not kept>", body.len()),
    }
}

fn redact_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_sensitive(k) && !v.is_null() {
                    *v = Value::String("***".into());
                } else {
                    redact_value(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

fn activity_from_row(row: &AnyRow) -> Result<Activity, StoreError> {
    Ok(Activity {
        id: row.try_get("id")?,
        at: from_ms(row.try_get("at")?),
        direction: if row.try_get::<String, _>("direction")? == "inbound" {
            Flow::Inbound
        } else {
            Flow::Outbound
        },
        provider: row.try_get("provider")?,
        tenant: opt_string(row, "tenant")?,
        operation: row.try_get("operation")?,
        order_id: opt_string(row, "order_id")?,
        candidate_id: opt_string(row, "candidate_id")?,
        ok: row.try_get::<String, _>("outcome")? == "ok",
        error_kind: opt_string(row, "error_kind")?,
        message: opt_string(row, "message")?,
        http_status: row
            .try_get::<Option<i64>, _>("http_status")?
            .and_then(|s| u16::try_from(s).ok()),
        attempt: row
            .try_get::<Option<i64>, _>("attempt")?
            .and_then(|a| u32::try_from(a).ok()),
        duration_ms: u64::try_from(row.try_get::<i64, _>("duration_ms")?).unwrap_or_default(),
        body: opt_string(row, "body")?,
    })
}

impl Store {
    /// Appends an exchange to the log. Returns its id.
    pub async fn record_activity(&self, a: &Activity) -> Result<i64, StoreError> {
        let mut conn = self.inner.pool.acquire().await?;
        insert_activity(&mut conn, a).await
    }

    /// Reads the log, newest first.
    pub async fn activity(&self, q: &ActivityQuery) -> Result<Vec<Activity>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, direction, provider, tenant, operation, order_id, candidate_id, outcome, \
             error_kind, message, http_status, attempt, duration_ms, body FROM activity \
             WHERE ($1 = '' OR tenant = $1) AND ($2 = '' OR order_id = $2) \
             AND ($3 = '' OR provider = $3) AND ($4 = 0 OR outcome = 'error') AND at >= $5 \
             ORDER BY at DESC, id DESC LIMIT $6",
        )
        .bind(q.tenant.clone().unwrap_or_default())
        .bind(q.order_id.clone().unwrap_or_default())
        .bind(q.provider.clone().unwrap_or_default())
        .bind(i64::from(q.errors_only))
        .bind(q.since.map(|t| t.timestamp_millis()).unwrap_or(i64::MIN))
        .bind(i64::from(q.limit.unwrap_or(100)))
        .fetch_all(&self.inner.pool)
        .await?;
        rows.iter().map(activity_from_row).collect()
    }

    /// Deletes log rows older than `age` (the retention setting). Returns
    /// how many went. Expired delivery ids are
    /// [`prune_deliveries`](Store::prune_deliveries)'.
    pub async fn prune_activity(&self, age: Duration) -> Result<u64, StoreError> {
        let before = self.now_ms().saturating_sub(duration_ms(age));
        let n = sqlx::query("DELETE FROM activity WHERE at < $1")
            .bind(before)
            .execute(&self.inner.pool)
            .await?
            .rows_affected();
        Ok(n)
    }
}

/// Writes one log row on `conn` (a pooled connection or an open
/// transaction, so that a row can be committed with the change it logs).
pub(crate) async fn insert_activity(
    conn: &mut sqlx::AnyConnection,
    a: &Activity,
) -> Result<i64, StoreError> {
    let mut script = Script::default();
    let (sql, params) = activity_statement(&[a], true);
    script.push(sql, params);
    script
        .run(conn)
        .await?
        .first()
        .ok_or_else(|| StoreError::Database("the activity row was not returned".into()))?
        .try_get("id")
        .map_err(StoreError::from)
}

/// The statement appending `logs` (`returning`: with `RETURNING id`).
pub(crate) fn activity_statement(logs: &[&Activity], returning: bool) -> (String, Vec<Param>) {
    let sql = format!(
        "INSERT INTO activity (at, direction, provider, tenant, operation, order_id, candidate_id, \
         outcome, error_kind, message, http_status, attempt, duration_ms, body) VALUES {}{}",
        placeholders(logs.len(), 14),
        if returning { " RETURNING id" } else { "" }
    );
    let mut params = Vec::with_capacity(logs.len() * 14);
    for a in logs {
        params.extend([
            a.at.timestamp_millis().into(),
            a.direction.as_str().into(),
            a.provider.as_str().into(),
            a.tenant.clone().into(),
            a.operation.as_str().into(),
            a.order_id.clone().into(),
            a.candidate_id.clone().into(),
            if a.ok { "ok" } else { "error" }.into(),
            a.error_kind.clone().into(),
            a.message.clone().into(),
            a.http_status.map(i64::from).into(),
            a.attempt.map(i64::from).into(),
            i64::try_from(a.duration_ms).unwrap_or(i64::MAX).into(),
            a.body.clone().into(),
        ]);
    }
    (sql, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_ids_names_the_order_and_candidate_an_event_concerns() {
        use ats_core::{Acceptance, Cancellation, OrderRef, RawJson, StatusQuery};
        let ids = |event: &InboundEvent, reply: Option<&VendorReply>| {
            let mut a = Activity::new(Utc::now(), Flow::Inbound, "kombo", "op");
            a.order_id = Some("stale".into());
            a.candidate_id = Some("stale".into());
            a.set_ids(event, reply);
            (a.order_id, a.candidate_id)
        };
        let own = |s: &str| Some(s.to_owned());
        let order: InboundEvent = serde_json::from_value(serde_json::json!({
            "type": "order_received", "provider": "kombo", "provider_order_id": "ord-1",
            "package_id": "p", "candidate": {"id": "cand-1", "emails": []},
            "received_at": "2026-12-07T08:00:00Z", "raw": {}
        }))
        .unwrap();
        let accepted = VendorReply::Accepted(Acceptance::new("asm-1"));
        // accepted: the vendor's id; otherwise the provider's
        assert_eq!(ids(&order, Some(&accepted)), (own("asm-1"), own("cand-1")));
        assert_eq!(ids(&order, None), (own("ord-1"), own("cand-1")));
        let rejected = VendorReply::Rejected(ats_core::Rejection::new(
            ats_core::RejectReason::Other,
            "no",
        ));
        assert_eq!(ids(&order, Some(&rejected)), (own("ord-1"), own("cand-1")));
        let cancelled = InboundEvent::OrderCancelled(Cancellation {
            provider: "kombo".into(),
            tenant: None,
            order: OrderRef::vendor("asm-2"),
            reason: None,
            received_at: Utc::now(),
            raw: RawJson::null(),
        });
        assert_eq!(ids(&cancelled, None), (own("asm-2"), None));
        let status = InboundEvent::StatusRequested(StatusQuery {
            provider: "kombo".into(),
            tenant: None,
            order: OrderRef::provider("ord-3"),
        });
        assert_eq!(ids(&status, None), (own("ord-3"), None));
        let packages: InboundEvent = serde_json::from_value(serde_json::json!({
            "type": "packages_requested", "provider": "kombo"
        }))
        .unwrap();
        assert_eq!(ids(&packages, None), (None, None));
    }

    #[test]
    fn redaction_reaches_every_depth_and_spelling() {
        let body = br#"{"signature":"abc","token":"t","data":{"api_key":"k","X-Api-Key":"k2",
            "accessToken":"a","name":"Maya","items":[{"client_secret":"s","ok":1}]},"refresh_token":null}"#;
        let out = redact(body);
        for leaked in ["abc", "\"t\"", "\"k\"", "k2", "\"a\"", "\"s\""] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert!(out.contains("Maya"));
        assert!(out.contains("\"ok\":1"));
        assert!(out.contains("\"refresh_token\":null"));
    }

    #[test]
    fn non_json_bodies_are_not_kept() {
        assert_eq!(redact(b"a=b&token=x"), "<11 bytes, not JSON: not kept>");
        assert_eq!(redact(b""), "");
    }
}
