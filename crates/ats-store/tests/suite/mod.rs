//! The store suite: every back end runs these same checks against a real
//! database (`sqlite.rs`: a temporary file; `postgres.rs`: a fresh schema
//! on the server named by `ATS_TEST_POSTGRES_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use ats_core::auth::{KeyDirectory, SecretStore};
use ats_core::oauth::{TokenSet, TokenStore};
use ats_core::replay::DeliveryLog;
use ats_core::{AssessmentResult, AssessmentStatus, OrderHandle, OrderRef, Secret, TenantId};
use ats_lever::{ConnectionStore, LeverConnection};
use ats_stackone::PackageIdStore;
use ats_store::{
    Activity, ActivityQuery, Claim, Flow, IntakeKey, ItemState, KeyRing, LeverConnections,
    OrderChange, OutboxFilter, StackOnePackageIds, Store, StoredAnswer,
};
use chrono::Utc;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub const K1: &str = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const K2: &str = "2:HxwdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

/// One database, opened as often as a test likes (a restart, a second
/// instance, a rotated key ring).
pub struct Db {
    pub url: String,
}

impl Db {
    pub async fn open(&self, ring: &str) -> Store {
        Store::connect(&self.url, KeyRing::parse(ring).unwrap())
            .await
            .unwrap()
    }

    /// The store with its clock stopped at `at` (retention tests).
    pub async fn open_at(&self, at: chrono::DateTime<Utc>) -> Store {
        Store::builder()
            .with_url(&self.url)
            .with_key_ring(KeyRing::parse(K1).unwrap())
            .with_clock(ats_core::Clock::fixed(at))
            .build()
            .await
            .unwrap()
    }

    /// The store with the intake's group commit on or off.
    pub async fn open_grouped(&self, ring: &str, group_commit: bool) -> Store {
        Store::builder()
            .with_url(&self.url)
            .with_key_ring(KeyRing::parse(ring).unwrap())
            .with_group_commit(group_commit)
            .build()
            .await
            .unwrap()
    }
}

/// A fixed time for tests that set the store's clock.
fn new_year() -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn handle(provider: &str, tenant: &str, vendor_id: &str) -> OrderHandle {
    serde_json::from_value(serde_json::json!({
        "provider": provider, "tenant": tenant, "vendor_assessment_id": vendor_id,
        "provider_order_id": format!("po-{vendor_id}"), "candidate_id": "c-1",
        "callback_url": "https://ats.example.com/cb/1", "context": {"k": "v"}
    }))
    .unwrap()
}

fn result(status: AssessmentStatus) -> AssessmentResult {
    AssessmentResult::with_status(status)
}

const LEASE: Duration = Duration::from_secs(60);

pub async fn issued_keys_are_digests_looked_up_by_digest(db: &Db) {
    let store = db.open(K1).await;
    let acme = TenantId::new("acme");
    let key = store.issue_key("greenhouse", &acme).await.unwrap();
    assert!(key.expose().starts_with("ats_"));
    assert_eq!(key.expose().len(), 4 + 43);
    let keys = store.issued_keys("greenhouse");
    assert_eq!(keys.tenant_for_key(&key).await.unwrap(), Some(acme.clone()));
    // the key of one provider does not open another's
    assert_eq!(
        store
            .issued_keys("ashby")
            .tenant_for_key(&key)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        keys.tenant_for_key(&Secret::new("ats_wrong"))
            .await
            .unwrap(),
        None
    );
    // the row holds the SHA-256 digest, and no copy of the key in clear
    let row = sqlx::query("SELECT key_hash, tenant FROM issued_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let stored: Vec<u8> = row.try_get("key_hash").unwrap();
    assert_eq!(stored, Sha256::digest(key.expose().as_bytes()).to_vec());
    assert_no_plaintext(&store, key.expose()).await;
    // the sealed copy serves providers that send the same key back
    assert_eq!(keys.secret_for(&acme).await.unwrap(), Some(key.clone()));
    // a new key replaces the old one
    store
        .add_key("greenhouse", &acme, &Secret::new("k-second"))
        .await
        .unwrap();
    assert_eq!(keys.tenant_for_key(&key).await.unwrap(), None);
    assert_eq!(
        keys.tenant_for_key(&Secret::new("k-second")).await.unwrap(),
        Some(acme.clone())
    );
    // a key already issued to another tenant is refused
    let e = store
        .add_key(
            "greenhouse",
            &TenantId::new("globex"),
            &Secret::new("k-second"),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already issued"), "{e}");
    assert_eq!(store.revoke_keys("greenhouse", &acme).await.unwrap(), 1);
    assert_eq!(
        keys.tenant_for_key(&Secret::new("k-second")).await.unwrap(),
        None
    );
    assert_eq!(keys.secret_for(&acme).await.unwrap(), None);
}

/// No table holds `needle` in clear.
async fn assert_no_plaintext(store: &Store, needle: &str) {
    for (table, column) in [("secrets", "sealed"), ("issued_keys", "key_hash")] {
        let rows = sqlx::query(&format!("SELECT {column} AS v FROM {table}"))
            .fetch_all(store.pool())
            .await
            .unwrap();
        for row in rows {
            let bytes: Vec<u8> = row.try_get("v").unwrap();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in clear in {table}"
            );
        }
    }
    for (table, column) in [
        ("settings", "value"),
        ("activity", "body"),
        ("activity", "message"),
    ] {
        let rows = sqlx::query(&format!("SELECT {column} AS v FROM {table}"))
            .fetch_all(store.pool())
            .await
            .unwrap();
        for row in rows {
            let text: Option<String> = row.try_get("v").unwrap();
            assert!(
                !text.unwrap_or_default().contains(needle),
                "{needle} in clear in {table}.{column}"
            );
        }
    }
}

pub async fn secrets_are_sealed_versioned_and_rotate(db: &Db) {
    let store = db.open(K1).await;
    let acme = TenantId::new("acme");
    store
        .put_secret("ashby", &acme, "api_key", &Secret::new("ashby-live-123"))
        .await
        .unwrap();
    assert_no_plaintext(&store, "ashby-live-123").await;
    let secrets = store.secrets("ashby", "api_key");
    assert_eq!(
        secrets.secret_for(&acme).await.unwrap(),
        Some(Secret::new("ashby-live-123"))
    );
    assert_eq!(
        secrets.secret_for(&TenantId::new("nobody")).await.unwrap(),
        None
    );
    // compare-and-swap on the version
    let v = store
        .secret_versioned("ashby", &acme, "api_key")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.version, 1);
    assert!(
        store
            .swap_secret("ashby", &acme, "api_key", Some(1), &Secret::new("v2"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .swap_secret("ashby", &acme, "api_key", Some(1), &Secret::new("v2-lost"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .swap_secret("ashby", &acme, "api_key", None, &Secret::new("v2-lost"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.secret("ashby", &acme, "api_key").await.unwrap(),
        Some(Secret::new("v2"))
    );
    // a ring without the key cannot open it, and says so
    let stranger = db.open(K2).await;
    let e = stranger
        .secret("ashby", &acme, "api_key")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("key 1"), "{e}");
    // rotation: new key first, old key still opens, reseal moves everything
    let rotated = db.open(&format!("{K2},{K1}")).await;
    assert_eq!(
        rotated.secret("ashby", &acme, "api_key").await.unwrap(),
        Some(Secret::new("v2"))
    );
    assert_eq!(rotated.reseal_secrets().await.unwrap(), 1);
    assert_eq!(rotated.reseal_secrets().await.unwrap(), 0);
    let only_new = db.open(K2).await;
    assert_eq!(
        only_new.secret("ashby", &acme, "api_key").await.unwrap(),
        Some(Secret::new("v2"))
    );
    // a sealed value moved to another row does not open
    sqlx::query(
        "INSERT INTO secrets (provider, tenant, name, sealed, key_id, version, updated_at) \
         SELECT provider, 'globex', name, sealed, key_id, version, updated_at FROM secrets \
         WHERE tenant = 'acme'",
    )
    .execute(only_new.pool())
    .await
    .unwrap();
    assert!(
        only_new
            .secret("ashby", &TenantId::new("globex"), "api_key")
            .await
            .is_err()
    );
    assert!(
        only_new
            .delete_secret("ashby", &acme, "api_key")
            .await
            .unwrap()
    );
}

fn key(n: &str) -> IntakeKey {
    IntakeKey::new("kombo", Some(&TenantId::new("acme")), format!("order:{n}"))
}

fn answer(body: &str) -> StoredAnswer {
    StoredAnswer {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

pub async fn intake_answers_each_call_once(db: &Db) {
    let store = db.open(K1).await;
    assert_eq!(
        store.claim_intake(&key("1"), "op", LEASE).await.unwrap(),
        Claim::Owner
    );
    assert_eq!(
        store.claim_intake(&key("1"), "op", LEASE).await.unwrap(),
        Claim::Busy
    );
    let h = handle("kombo", "acme", "inv-1");
    let order_id = store
        .answer_intake(
            &key("1"),
            &answer("{\"ok\":1}"),
            OrderChange::Accepted(&h),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    // after a restart, the same answer, byte for byte
    let again = db.open(K1).await;
    assert_eq!(
        again.claim_intake(&key("1"), "op", LEASE).await.unwrap(),
        Claim::Answered(answer("{\"ok\":1}"))
    );
    // the accepted order's handle was saved with the answer
    let order = again
        .order_by_vendor_id(Some("kombo"), "inv-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.id, order_id);
    assert_eq!(order.handle, h);
    assert_eq!(order.status, "invited");
    // an id no order has is no order (not a clash between providers)
    assert_eq!(
        again.order_by_vendor_id(None, "inv-unknown").await.unwrap(),
        None
    );
    // and by the provider's id, for its tenant or any
    for tenant in [Some("acme"), None] {
        let found = again
            .order_by_provider_id("kombo", tenant, "po-inv-1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, order_id);
    }
    // a cancellation that names the order (by either id) marks it, in the
    // answer's commit; one for another tenant or an unknown id marks none
    let cancel = |n: &str, r: OrderRef| {
        let store = again.clone();
        let k = key(n);
        async move {
            assert_eq!(
                store.claim_intake(&k, "cancel", LEASE).await.unwrap(),
                Claim::Owner
            );
            store
                .answer_intake(&k, &answer("{}"), OrderChange::Cancelled(&r), None)
                .await
                .unwrap()
        }
    };
    assert_eq!(cancel("c1", OrderRef::provider("po-unknown")).await, None);
    assert_eq!(
        cancel("c2", OrderRef::provider("po-inv-1")).await,
        Some(order_id)
    );
    let order = again.order(order_id).await.unwrap().unwrap();
    assert_eq!(order.status, "cancelled");
    // once cancelled, not again (the first cancellation's row stands)
    assert_eq!(cancel("c3", OrderRef::vendor("inv-1")).await, None);
    // a completed order stays completed
    again
        .enqueue_result(
            &handle("kombo", "acme", "inv-9"),
            &result(AssessmentStatus::Completed),
        )
        .await
        .unwrap();
    assert_eq!(cancel("c5", OrderRef::vendor("inv-9")).await, None);
    let done = again
        .order_by_vendor_id(Some("kombo"), "inv-9")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, "completed");
    let other = IntakeKey::new("kombo", Some(&TenantId::new("globex")), "order:c4");
    assert_eq!(
        again.claim_intake(&other, "cancel", LEASE).await.unwrap(),
        Claim::Owner
    );
    assert_eq!(
        again
            .answer_intake(
                &other,
                &answer("{}"),
                OrderChange::Cancelled(&OrderRef::vendor("inv-1")),
                None
            )
            .await
            .unwrap(),
        None,
        "another tenant's cancellation"
    );
    for (provider, tenant, id) in [
        ("kombo", Some("other"), "po-inv-1"),
        ("ashby", None, "po-inv-1"),
        ("kombo", None, "po-inv-2"),
    ] {
        assert!(
            again
                .order_by_provider_id(provider, tenant, id)
                .await
                .unwrap()
                .is_none(),
            "{provider} {tenant:?} {id}"
        );
    }
    // a released claim is answered afresh
    assert_eq!(
        store.claim_intake(&key("2"), "op", LEASE).await.unwrap(),
        Claim::Owner
    );
    store.release_intake(&key("2")).await.unwrap();
    assert_eq!(
        store.claim_intake(&key("2"), "op", LEASE).await.unwrap(),
        Claim::Owner
    );
    // an abandoned claim (its lease ran out) is taken over once
    assert_eq!(
        store
            .claim_intake(&key("3"), "op", Duration::ZERO)
            .await
            .unwrap(),
        Claim::Owner
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        store.claim_intake(&key("3"), "op", LEASE).await.unwrap(),
        Claim::Owner
    );
    assert_eq!(
        store.claim_intake(&key("3"), "op", LEASE).await.unwrap(),
        Claim::Busy
    );
    // the tenant is part of the key
    let other = IntakeKey::new("kombo", Some(&TenantId::new("globex")), "order:1");
    assert_eq!(
        store.claim_intake(&other, "op", LEASE).await.unwrap(),
        Claim::Owner
    );
}

pub async fn ten_concurrent_claims_make_one_owner(db: &Db) {
    let a = db.open(K1).await;
    let b = db.open(K1).await;
    let mut tasks = Vec::new();
    for i in 0..10 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.claim_intake(&key("same"), "op", LEASE).await.unwrap()
        }));
    }
    let mut owners = 0;
    for t in tasks {
        if t.await.unwrap() == Claim::Owner {
            owners += 1;
        }
    }
    assert_eq!(owners, 1);
}

/// Many calls at once, each claimed (with copies), answered with an order
/// (one refused), a cancellation among them: the same rows whether the
/// intake's writes are grouped or not.
pub async fn grouped_and_single_intake_writes_keep_the_same_rows(db: &Db) {
    for grouped in [true, false] {
        let store = db.open_grouped(K1, grouped).await;
        let tenant = if grouped { "grouped" } else { "single" };
        let key =
            |n: usize| IntakeKey::new("kombo", Some(&TenantId::new(tenant)), format!("order:{n}"));
        let mut calls = Vec::new();
        for n in 0..24 {
            for copy in 0..3 {
                let (s, k) = (store.clone(), key(n));
                calls.push(tokio::spawn(async move {
                    let claim = s.claim_intake(&k, "order", LEASE).await.unwrap();
                    if claim != Claim::Owner {
                        return (n, copy, claim, None);
                    }
                    // the fifth names no order id: refused, its claim released
                    let mut h = handle("kombo", tenant, &format!("inv-{n}"));
                    if n == 5 {
                        h.vendor_assessment_id = None;
                        h.provider_order_id = None;
                    }
                    let mut log = Activity::new(Utc::now(), Flow::Inbound, "kombo", "order");
                    log.tenant = Some(tenant.to_owned());
                    log.order_id = Some(format!("po-inv-{n}"));
                    let body = format!("{{\"n\":{n}}}");
                    let r = s
                        .answer_intake(&k, &answer(&body), OrderChange::Accepted(&h), Some(&log))
                        .await;
                    if r.is_err() {
                        s.release_intake(&k).await.unwrap();
                    }
                    (n, copy, claim, Some(r.is_ok()))
                }));
            }
        }
        let mut owners = vec![0; 24];
        for call in calls {
            let (n, _, claim, answered) = call.await.unwrap();
            match claim {
                Claim::Owner => {
                    owners[n] += 1;
                    assert_eq!(answered, Some(n != 5), "order {n}");
                }
                Claim::Busy | Claim::Answered(_) => {}
            }
        }
        assert_eq!(owners, vec![1; 24], "grouped: {grouped}");
        // a cancellation of order 3, by the provider's id, in the same way
        let c = key(100);
        assert_eq!(
            store.claim_intake(&c, "cancel", LEASE).await.unwrap(),
            Claim::Owner
        );
        let cancelled = store
            .answer_intake(
                &c,
                &answer("{}"),
                OrderChange::Cancelled(&OrderRef::provider("po-inv-3")),
                None,
            )
            .await
            .unwrap();
        assert!(cancelled.is_some());

        let intake: Vec<(String, String, Option<Vec<u8>>)> = sqlx::query(
            "SELECT dedup_key, state, body FROM intake WHERE tenant = $1 ORDER BY dedup_key",
        )
        .bind(tenant)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
        let mut want: Vec<(String, String, Option<Vec<u8>>)> = (0..24)
            .filter(|n| *n != 5)
            .map(|n| {
                (
                    format!("order:{n}"),
                    "answered".to_owned(),
                    Some(format!("{{\"n\":{n}}}").into_bytes()),
                )
            })
            .chain([(
                "order:100".to_owned(),
                "answered".to_owned(),
                Some(b"{}".to_vec()),
            )])
            .collect();
        want.sort();
        assert_eq!(intake, want, "grouped: {grouped}");
        let orders: Vec<(String, String)> = sqlx::query(
            "SELECT vendor_assessment_id, status FROM orders WHERE tenant = $1 ORDER BY vendor_assessment_id",
        )
        .bind(tenant)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        let mut want: Vec<(String, String)> = (0..24)
            .filter(|n| *n != 5)
            .map(|n| {
                (
                    format!("inv-{n}"),
                    if n == 3 { "cancelled" } else { "invited" }.to_owned(),
                )
            })
            .collect();
        want.sort();
        assert_eq!(orders, want, "grouped: {grouped}");
        let logged: Vec<String> =
            sqlx::query("SELECT order_id FROM activity WHERE tenant = $1 ORDER BY order_id")
                .bind(tenant)
                .fetch_all(store.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
        let mut want: Vec<String> = (0..24)
            .filter(|n| *n != 5)
            .map(|n| format!("po-inv-{n}"))
            .collect();
        want.sort();
        assert_eq!(logged, want, "grouped: {grouped}");
        let stats = store.group_commit_stats();
        if grouped {
            let stats = stats.unwrap();
            // every claim (72 and the cancellation's) and every answer
            // written (23 and the cancellation's) went through the writer;
            // the refused answer was written by none
            assert_eq!(stats.operations, 72 + 23 + 2, "{stats:?}");
            assert!(stats.commits <= stats.operations, "{stats:?}");
            assert!(stats.batches_split <= 1, "{stats:?}");
        } else {
            assert_eq!(stats, None);
        }
    }
}

/// Two instances with grouped writes claim the same 40 calls at once, in
/// opposite orders: one owner per call, and no batch fails (claims are
/// written in key order, so the instances' batches cannot deadlock).
pub async fn two_grouped_instances_claim_the_same_calls_once(db: &Db) {
    let a = db.open_grouped(K1, true).await;
    let b = db.open_grouped(K1, true).await;
    let mut calls = Vec::new();
    for n in 0..40 {
        for (store, n) in [(a.clone(), n), (b.clone(), 39 - n)] {
            calls.push(tokio::spawn(async move {
                let k = key(&format!("both-{n}"));
                (n, store.claim_intake(&k, "order", LEASE).await.unwrap())
            }));
        }
    }
    let mut owners = vec![0; 40];
    for call in calls {
        if let (n, Claim::Owner) = call.await.unwrap() {
            owners[n] += 1;
        }
    }
    assert_eq!(owners, vec![1; 40]);
    for store in [&a, &b] {
        let stats = store.group_commit_stats().unwrap();
        assert_eq!(
            (stats.operations, stats.batches_split),
            (40, 0),
            "{stats:?}"
        );
    }
}

pub async fn outbox_supersedes_orders_and_retries(db: &Db) {
    let store = db.open(K1).await;
    let h1 = handle("kombo", "acme", "inv-1");
    let h2 = handle("kombo", "acme", "inv-2");
    // three statuses for one order before any delivery: only the last goes
    store
        .enqueue_result(&h1, &result(AssessmentStatus::Invited))
        .await
        .unwrap();
    store
        .enqueue_result(&h1, &result(AssessmentStatus::InProgress))
        .await
        .unwrap();
    let last = store
        .enqueue_result(&h1, &result(AssessmentStatus::Completed))
        .await
        .unwrap();
    let c = store.claim_result("w1", LEASE).await.unwrap().unwrap();
    assert_eq!(c.item.id, last);
    assert_eq!(c.item.attempts, 1);
    assert_eq!(c.item.state, ItemState::Delivering);
    assert_eq!(c.handle, h1);
    assert_eq!(c.item.result.status, AssessmentStatus::Completed);
    let superseded = store
        .outbox_items(&OutboxFilter {
            state: Some(ItemState::Superseded),
            ..OutboxFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(superseded.len(), 2);
    // per-order order: while inv-1's item is out, its next one waits
    let next = store
        .enqueue_result(&h1, &result(AssessmentStatus::Cancelled))
        .await
        .unwrap();
    assert!(store.claim_result("w2", LEASE).await.unwrap().is_none());
    // another order is not held up
    let other = store
        .enqueue_result(&h2, &result(AssessmentStatus::Invited))
        .await
        .unwrap();
    let c2 = store.claim_result("w2", LEASE).await.unwrap().unwrap();
    assert_eq!(c2.item.id, other);
    // only the holder of a claim settles it; each attempt's log row is
    // written with the settlement, held or not
    let attempt = |worker: &str, n: u32| {
        let mut log = Activity::new(Utc::now(), Flow::Outbound, "kombo", "submit_result");
        log.tenant = Some("acme".into());
        log.order_id = Some(format!("settle-{worker}"));
        log.attempt = Some(n);
        log.http_status = Some(200);
        log
    };
    assert!(
        !store
            .mark_delivered(last, "w2", Some(&attempt("w2", 1)))
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_delivered(last, "w1", Some(&attempt("w1", 2)))
            .await
            .unwrap()
    );
    for (worker, n) in [("w2", 1), ("w1", 2)] {
        let rows = store
            .activity(&ActivityQuery {
                order_id: Some(format!("settle-{worker}")),
                ..ActivityQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{worker}");
        let row = &rows[0];
        assert_eq!(
            (
                row.operation.as_str(),
                row.attempt,
                row.http_status,
                row.tenant.as_deref()
            ),
            ("submit_result", Some(n), Some(200), Some("acme")),
            "{worker}"
        );
    }
    let c3 = store.claim_result("w1", LEASE).await.unwrap().unwrap();
    assert_eq!(c3.item.id, next);
    // a retry waits for its time
    let later = Utc::now() + chrono::Duration::hours(1);
    assert!(
        store
            .retry_result_at(next, "w1", later, "HTTP 503: down", Some(503), None)
            .await
            .unwrap()
    );
    let item = store.outbox_item(next).await.unwrap().unwrap();
    assert_eq!(item.state, ItemState::Pending);
    assert_eq!(item.last_error.as_deref(), Some("HTTP 503: down"));
    assert_eq!(item.last_http_status, Some(503));
    assert_eq!(
        item.next_attempt_at.timestamp_millis(),
        later.timestamp_millis()
    );
    assert!(store.claim_result("w1", LEASE).await.unwrap().is_none());
    // dead with the provider's message, then retried by hand
    assert!(
        store
            .mark_dead(other, "w2", "HTTP 422: unknown order", Some(422), None)
            .await
            .unwrap()
    );
    let dead = store.outbox_item(other).await.unwrap().unwrap();
    assert_eq!(dead.state, ItemState::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("HTTP 422: unknown order"));
    assert!(store.retry_dead(other).await.unwrap());
    assert!(!store.retry_dead(other).await.unwrap());
    let again = store.claim_result("w3", LEASE).await.unwrap().unwrap();
    assert_eq!(again.item.id, other);
    assert_eq!(again.item.attempts, 1);
    // a claim given back on shutdown is due at once, its attempt not counted
    assert_eq!(store.release_claims("w3").await.unwrap(), 1);
    let back = store.outbox_item(other).await.unwrap().unwrap();
    assert_eq!((back.state, back.attempts), (ItemState::Pending, 0));
    let counts = store.outbox_counts().await.unwrap();
    assert!(counts.contains(&(ItemState::Pending, 2)), "{counts:?}");
    assert!(counts.contains(&(ItemState::Delivered, 1)), "{counts:?}");
    assert!(counts.contains(&(ItemState::Superseded, 2)), "{counts:?}");
    // the order's status follows the last report
    let order = store
        .order_by_vendor_id(None, "inv-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status, "cancelled");
}

pub async fn an_expired_claim_is_claimed_again(db: &Db) {
    let store = db.open(K1).await;
    let h = handle("ashby", "acme", "inv-9");
    let id = store
        .enqueue_result(&h, &result(AssessmentStatus::Completed))
        .await
        .unwrap();
    let first = store
        .claim_result("crashed", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.item.id, id);
    tokio::time::sleep(Duration::from_millis(5)).await;
    // after a restart the lease has run out: another worker takes it
    let restarted = db.open(K1).await;
    let second = restarted.claim_result("new", LEASE).await.unwrap().unwrap();
    assert_eq!(second.item.id, id);
    assert_eq!(second.item.attempts, 2);
    assert!(!restarted.mark_delivered(id, "crashed", None).await.unwrap());
    assert!(restarted.mark_delivered(id, "new", None).await.unwrap());
}

pub async fn two_instances_never_claim_the_same_item(db: &Db) {
    let a = db.open(K1).await;
    let b = db.open(K1).await;
    let n = 200;
    for i in 0..n {
        a.enqueue_result(
            &handle("kombo", "acme", &format!("inv-{i}")),
            &result(AssessmentStatus::Completed),
        )
        .await
        .unwrap();
    }
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for w in 0..8 {
        let s = if w % 2 == 0 { a.clone() } else { b.clone() };
        let seen = seen.clone();
        tasks.push(tokio::spawn(async move {
            let worker = format!("w{w}");
            while let Some(c) = s.claim_result(&worker, LEASE).await.unwrap() {
                seen.lock().unwrap().push(c.item.id);
                assert!(s.mark_delivered(c.item.id, &worker, None).await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let seen = seen.lock().unwrap();
    let unique: HashSet<&i64> = seen.iter().collect();
    assert_eq!(seen.len(), n);
    assert_eq!(unique.len(), n);
}

pub async fn activity_is_recorded_and_queried(db: &Db) {
    let store = db.open(K1).await;
    let now = Utc::now();
    let mut inbound = Activity::new(now, Flow::Inbound, "kombo", "assessment:order-received");
    inbound.tenant = Some("acme".into());
    inbound.order_id = Some("inv-1".into());
    inbound.http_status = Some(200);
    inbound.duration_ms = 12;
    inbound.body = Some(ats_store::redact(br#"{"id":"o1","signature":"s3cr3t"}"#));
    let first = store.record_activity(&inbound).await.unwrap();
    let mut failed = Activity::new(
        now + chrono::Duration::milliseconds(5),
        Flow::Outbound,
        "kombo",
        "submit_result",
    );
    failed.tenant = Some("acme".into());
    failed.order_id = Some("inv-1".into());
    failed.ok = false;
    failed.error_kind = Some("provider_rejected".into());
    failed.message = Some("kombo answered HTTP 422: order closed".into());
    failed.http_status = Some(422);
    failed.attempt = Some(2);
    store.record_activity(&failed).await.unwrap();
    let mut old = Activity::new(
        now - chrono::Duration::days(40),
        Flow::Inbound,
        "ashby",
        "assessment.list",
    );
    old.tenant = Some("globex".into());
    store.record_activity(&old).await.unwrap();

    let all = store.activity(&ActivityQuery::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].operation, "submit_result", "newest first");
    let acme = store
        .activity(&ActivityQuery {
            tenant: Some("acme".into()),
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(acme.len(), 2);
    let got = &acme[1];
    assert_eq!(got.id, first);
    assert_eq!(got.at.timestamp_millis(), now.timestamp_millis());
    assert_eq!(got.direction, Flow::Inbound);
    assert_eq!(got.http_status, Some(200));
    assert_eq!(got.duration_ms, 12);
    assert_eq!(
        got.body.as_deref(),
        Some(r#"{"id":"o1","signature":"***"}"#)
    );
    let errors = store
        .activity(&ActivityQuery {
            errors_only: true,
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0], {
        let mut f = failed.clone();
        f.id = errors[0].id;
        f.at = chrono::DateTime::from_timestamp_millis(failed.at.timestamp_millis()).unwrap();
        f
    });
    let recent = store
        .activity(&ActivityQuery {
            since: Some(now - chrono::Duration::hours(1)),
            order_id: Some("inv-1".into()),
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(
        store
            .prune_activity(Duration::from_secs(30 * 86_400))
            .await
            .unwrap(),
        1
    );
    // the old row is gone, the recent ones stay, and nothing is left to prune
    assert_eq!(
        store
            .prune_activity(Duration::from_secs(30 * 86_400))
            .await
            .unwrap(),
        0
    );
    let left = store.activity(&ActivityQuery::default()).await.unwrap();
    let left: Vec<_> = left.iter().map(|a| (a.id, a.operation.as_str())).collect();
    assert_eq!(
        left,
        [
            (all[0].id, "submit_result"),
            (first, "assessment:order-received")
        ]
    );
    assert_no_plaintext(&store, "s3cr3t").await;
}

pub async fn deliveries_are_remembered_once(db: &Db) {
    let a = db.open(K1).await;
    let b = db.open(K1).await;
    let until = Utc::now() + chrono::Duration::minutes(5);
    assert!(!b.delivery_seen("lever", "d1").await.unwrap());
    assert!(a.remember_delivery("lever", "d1", until).await.unwrap());
    assert!(b.delivery_seen("lever", "d1").await.unwrap());
    assert!(!b.delivery_seen("kombo", "d1").await.unwrap());
    assert!(!b.remember_delivery("lever", "d1", until).await.unwrap());
    assert!(b.remember_delivery("kombo", "d1", until).await.unwrap());
    a.forget_delivery("lever", "d1").await.unwrap();
    assert!(b.remember_delivery("lever", "d1", until).await.unwrap());
    // an expired id may come again (the signature's freshness check refuses it anyway)
    let past = Utc::now() - chrono::Duration::seconds(1);
    assert!(a.remember_delivery("lever", "d2", past).await.unwrap());
    assert!(!a.delivery_seen("lever", "d2").await.unwrap(), "expired");
    assert!(a.remember_delivery("lever", "d2", until).await.unwrap());
    assert_eq!(a.prune_deliveries().await.unwrap(), 0);
    // expired ids are pruned, counted, and may then come again
    assert!(a.remember_delivery("lever", "d3", past).await.unwrap());
    assert!(a.remember_delivery("kombo", "d3", past).await.unwrap());
    assert_eq!(a.prune_deliveries().await.unwrap(), 2);
    assert_eq!(a.prune_deliveries().await.unwrap(), 0);
    assert!(b.remember_delivery("lever", "d3", until).await.unwrap());
    assert!(b.delivery_seen("lever", "d2").await.unwrap(), "not expired");
    assert_eq!(
        format!("{:?}", a.delivery_log("lever")),
        r#"StoreDeliveries { provider: "lever", .. }"#
    );
}

/// The replay guard's view of the store ([`DeliveryLog`]): what one
/// instance remembers, another sees; forgetting (in the background) lets
/// the id through again.
pub async fn the_delivery_log_is_shared_by_instances(db: &Db) {
    let (a, b) = (db.open(K1).await, db.open(K1).await);
    let (mine, theirs) = (a.delivery_log("lever"), b.delivery_log("lever"));
    let until = Utc::now() + chrono::Duration::minutes(5);
    assert!(!theirs.seen("evt-1").await.unwrap());
    assert!(mine.remember("evt-1", until).await.unwrap());
    assert!(theirs.seen("evt-1").await.unwrap());
    assert!(!theirs.remember("evt-1", until).await.unwrap(), "a replay");
    assert!(!b.delivery_log("kombo").seen("evt-1").await.unwrap());
    mine.forget("evt-1");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while theirs.seen("evt-1").await.unwrap() {
        assert!(std::time::Instant::now() < deadline, "never forgotten");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(theirs.remember("evt-1", until).await.unwrap());
}

pub async fn single_use_settings_are_taken_once(db: &Db) {
    let a = db.open(K1).await;
    let b = db.open(K1).await;
    let acme = TenantId::new("acme");
    a.put_setting("lever", &acme, "oauth_state", "digest-1", "1767225600000")
        .await
        .unwrap();
    a.put_setting("lever", &acme, "oauth_state", "digest-2", "1767225600001")
        .await
        .unwrap();
    // ten instances race for one state: exactly one gets it, with its tenant
    let takers: Vec<_> = (0..10)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { s.take_setting("lever", "oauth_state", "digest-1").await })
        })
        .collect();
    let mut taken = Vec::new();
    for t in takers {
        taken.extend(t.await.unwrap().unwrap());
    }
    assert_eq!(taken, [(acme.clone(), "1767225600000".to_owned())]);
    assert_eq!(
        b.take_setting("lever", "oauth_state", "digest-1")
            .await
            .unwrap(),
        None
    );
    // the other value, another kind and another provider are untouched
    assert_eq!(
        b.take_setting("kombo", "oauth_state", "digest-2")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        b.take_setting("lever", "connection", "digest-2")
            .await
            .unwrap(),
        None
    );
    let left = a.settings("lever", "oauth_state").await.unwrap();
    assert_eq!(left[&acme]["digest-2"], "1767225600001");
    // found (not taken) by name, whatever the tenant
    assert_eq!(
        b.find_setting("lever", "oauth_state", "digest-2")
            .await
            .unwrap(),
        Some((acme.clone(), "1767225600001".to_owned()))
    );
    assert_eq!(
        b.find_setting("lever", "oauth_state", "digest-1")
            .await
            .unwrap(),
        None
    );
    assert!(
        b.take_setting("lever", "oauth_state", "digest-2")
            .await
            .unwrap()
            .is_some()
    );
    let token = ats_store::random_token();
    assert_eq!(token.len(), 22);
    assert_ne!(token, ats_store::random_token());
}

pub async fn adapter_stores_survive_a_restart(db: &Db) {
    let store = db.open(K1).await;
    let acme = TenantId::new("acme");
    // Lever tokens: sealed, whole
    let tokens = store.lever_tokens("instance-a");
    let set = TokenSet {
        access_token: Secret::new("at-1"),
        refresh_token: Some(Secret::new("rt-1")),
        expires_at: Some(chrono::DateTime::from_timestamp_millis(1_800_000_000_000).unwrap()),
        scope: Some("offline_access notes:write:admin".into()),
    };
    tokens.save(&acme, set.clone()).await.unwrap();
    assert_no_plaintext(&store, "rt-1").await;
    let restarted = db.open(K1).await;
    let b = restarted.lever_tokens("instance-b");
    assert_eq!(b.load(&acme).await.unwrap(), Some(set));
    // one refresh lease at a time
    assert!(tokens.lock_refresh(&acme, LEASE).await.unwrap());
    assert!(!b.lock_refresh(&acme, LEASE).await.unwrap());
    tokens.unlock_refresh(&acme).await.unwrap();
    assert!(b.lock_refresh(&acme, LEASE).await.unwrap());
    b.remove(&acme).await.unwrap();
    assert_eq!(tokens.load(&acme).await.unwrap(), None);

    // Lever connections
    let connections = LeverConnections::load(&store).await.unwrap();
    let c = LeverConnection::new()
        .signature_token("sig-token-1")
        .trigger_stage("stage-1", "rust-senior")
        .perform_as("user-9");
    connections.put(&acme, c.clone()).await.unwrap();
    assert_no_plaintext(&store, "sig-token-1").await;
    let reloaded = LeverConnections::load(&restarted).await.unwrap();
    assert_eq!(reloaded.connection(&acme), Some(c.clone()));
    assert_eq!(reloaded.tenants(), Some(vec![acme.clone()]));
    // its Debug names the tenants, not their tokens
    assert_eq!(
        format!("{reloaded:?}"),
        r#"LeverConnections { tenants: [TenantId("acme")] }"#
    );
    // the region Lever redirected the tenant to survives a restart
    connections
        .put_api_base(&acme, "https://api.eu.lever.co/v1")
        .await
        .unwrap();
    reloaded.reload().await.unwrap();
    assert_eq!(
        reloaded.connection(&acme),
        Some(c.clone().api_base("https://api.eu.lever.co/v1"))
    );
    // through the adapter's hook as well (written in the background)
    connections.remember_api_base(&acme, &url::Url::parse("https://api.lever.co/v1").unwrap());
    for _ in 0..100 {
        reloaded.reload().await.unwrap();
        if reloaded
            .connection(&acme)
            .and_then(|c| c.api_base)
            .as_deref()
            == Some("https://api.lever.co/v1")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        reloaded
            .connection(&acme)
            .and_then(|c| c.api_base)
            .as_deref(),
        Some("https://api.lever.co/v1")
    );
    connections.remove(&acme).await.unwrap();
    reloaded.reload().await.unwrap();
    assert_eq!(reloaded.connection(&acme), None);

    // StackOne package ids, written through
    let ids = StackOnePackageIds::load(&store).await.unwrap();
    ids.record(&acme, "bg-basic", "so-1").unwrap();
    ids.record(&acme, "bg-plus", "so-2").unwrap();
    ids.forget(&acme, "bg-basic").unwrap();
    ids.flush().await.unwrap();
    let again = StackOnePackageIds::load(&restarted).await.unwrap();
    assert_eq!(
        again
            .published(&acme)
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![("bg-plus".to_owned(), "so-2".to_owned())]
    );
    assert_eq!(
        format!("{again:?}"),
        r#"StackOnePackageIds { tenants: [TenantId("acme")] }"#
    );
    assert_eq!(
        again.vendor_package_id(&acme, "so-2").unwrap().as_deref(),
        Some("bg-plus")
    );
}

pub async fn oauth_tokens_of_any_provider_are_sealed_whole_and_leased(db: &Db) {
    let store = db.open(K1).await;
    let company = TenantId::new("900123");
    let hibob = store.oauth_tokens("hibob", "instance-a");
    let set = TokenSet {
        access_token: Secret::new("bob-at-1"),
        refresh_token: Some(Secret::new("bob-rt-1")),
        expires_at: Some(chrono::DateTime::from_timestamp_millis(1_800_000_000_000).unwrap()),
        scope: Some("hiring.integrations:write".into()),
    };
    hibob.save(&company, set.clone()).await.unwrap();
    assert_no_plaintext(&store, "bob-rt-1").await;
    assert_no_plaintext(&store, "bob-at-1").await;
    // one sealed row per tenant and provider, in the format Lever's rows had
    let row = store
        .secret("hibob", &company, ats_store::OAUTH_TOKENS)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(row.expose()).unwrap(),
        serde_json::json!({
            "access_token": "bob-at-1",
            "refresh_token": "bob-rt-1",
            "expires_at": 1_800_000_000_000_i64,
            "scope": "hiring.integrations:write",
        })
    );
    // another provider's tokens of the same tenant are another row
    let lever = store.lever_tokens("instance-a");
    assert_eq!(lever.load(&company).await.unwrap(), None);
    // survives a restart, read by another instance
    let restarted = db.open(K1).await;
    let b = restarted.oauth_tokens("hibob", "instance-b");
    assert_eq!(b.load(&company).await.unwrap(), Some(set.clone()));
    // replaced as one unit: a set without refresh token or expiry drops them
    let bare = TokenSet {
        access_token: Secret::new("bob-at-2"),
        refresh_token: None,
        expires_at: None,
        scope: None,
    };
    b.save(&company, bare.clone()).await.unwrap();
    assert_eq!(hibob.load(&company).await.unwrap(), Some(bare));
    // one refresh lease at a time per provider and tenant
    assert!(hibob.lock_refresh(&company, LEASE).await.unwrap());
    assert!(!b.lock_refresh(&company, LEASE).await.unwrap());
    assert!(
        !restarted
            .oauth_tokens("hibob", "instance-c")
            .lock_refresh(&company, LEASE)
            .await
            .unwrap()
    );
    lever.save(&company, set.clone()).await.unwrap();
    assert!(lever.lock_refresh(&company, LEASE).await.unwrap());
    hibob.unlock_refresh(&company).await.unwrap();
    assert!(b.lock_refresh(&company, LEASE).await.unwrap());
    b.unlock_refresh(&company).await.unwrap();
    // a row written the way Lever's always were still loads, through either name
    let old = TenantId::new("acme");
    store
        .put_secret(
            "lever",
            &old,
            ats_store::LEVER_TOKENS,
            &Secret::new(r#"{"access_token":"at-old","refresh_token":"rt-old","expires_at":1800000000000,"scope":null}"#),
        )
        .await
        .unwrap();
    let loaded = restarted
        .oauth_tokens("lever", "x")
        .load(&old)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        loaded,
        TokenSet {
            access_token: Secret::new("at-old"),
            refresh_token: Some(Secret::new("rt-old")),
            expires_at: chrono::DateTime::from_timestamp_millis(1_800_000_000_000),
            scope: None,
        }
    );
    assert_eq!(
        restarted.lever_tokens("y").load(&old).await.unwrap(),
        Some(loaded)
    );
    // a row without an access token is refused, naming the provider
    store
        .put_secret(
            "hibob",
            &old,
            ats_store::OAUTH_TOKENS,
            &Secret::new(r#"{"refresh_token":"rt"}"#),
        )
        .await
        .unwrap();
    let e = hibob.load(&old).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("stored hibob OAuth tokens lack access_token"),
        "{e}"
    );
    // removed for one provider only
    hibob.remove(&company).await.unwrap();
    assert_eq!(b.load(&company).await.unwrap(), None);
    assert_eq!(lever.load(&company).await.unwrap(), Some(set));
}

pub async fn readiness_and_debug_hide_secrets(db: &Db) {
    let store = db.open(K1).await;
    store.ready().await.unwrap();
    let debug = format!("{store:?}");
    assert!(!debug.contains("AAECAwQF"), "{debug}");
    let tokens = store.lever_tokens("i");
    assert!(!format!("{tokens:?}").contains("AAEC"));
    let tokens = store.oauth_tokens("hibob", "i");
    assert_eq!(
        format!("{tokens:?}"),
        r#"OAuthTokens { provider: "hibob", holder: "i", .. }"#
    );
}

pub async fn vendor_events_go_out_once_in_order(db: &Db) {
    let store = db.open(K1).await;
    let payload = serde_json::json!({"type": "order_received", "n": 1});
    let event = |id: &'static str, order: Option<&'static str>| ats_store::NewVendorEvent {
        event_id: id,
        kind: "order_received",
        provider: "kombo",
        tenant: Some("acme"),
        order_key: order,
        payload: &payload,
    };
    let first = store
        .enqueue_event(&event("evt_1", Some("o1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .enqueue_event(&event("evt_1", Some("o1")))
            .await
            .unwrap(),
        None
    );
    let second = store
        .enqueue_event(&event("evt_2", Some("o1")))
        .await
        .unwrap()
        .unwrap();
    let other = store
        .enqueue_event(&event("evt_3", None))
        .await
        .unwrap()
        .unwrap();
    let c = store.claim_event("w", LEASE).await.unwrap().unwrap();
    assert_eq!((c.id, c.event_id.as_str(), c.attempts), (first, "evt_1", 1));
    assert_eq!(c.payload, payload);
    // o1's second event waits for its first; the unrelated one does not
    let c2 = store.claim_event("w", LEASE).await.unwrap().unwrap();
    assert_eq!(c2.id, other);
    assert!(store.claim_event("w", LEASE).await.unwrap().is_none());
    let later = Utc::now() + chrono::Duration::minutes(5);
    assert!(
        store
            .settle_event(first, "w", Some(("HTTP 503", Some(503))), Some(later), None)
            .await
            .unwrap()
    );
    assert!(
        store.claim_event("w", LEASE).await.unwrap().is_none(),
        "o1 waits for its retry"
    );
    sqlx::query("UPDATE vendor_events SET next_attempt_at = 0 WHERE id = $1")
        .bind(first)
        .execute(store.pool())
        .await
        .unwrap();
    let again = store.claim_event("w", LEASE).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (first, 2));
    assert!(
        !store
            .settle_event(first, "someone-else", None, None, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .settle_event(first, "w", None, None, None)
            .await
            .unwrap()
    );
    let next = store.claim_event("w", LEASE).await.unwrap().unwrap();
    assert_eq!(next.id, second);
    assert!(
        store
            .settle_event(second, "w", Some(("HTTP 400: no", Some(400))), None, None)
            .await
            .unwrap()
    );
    let dead = store.vendor_event(second).await.unwrap().unwrap();
    assert_eq!(dead.state, ItemState::Dead);
    assert_eq!(dead.last_http_status, Some(400));
    // listed by state across orders, newest first, and counted
    let ids =
        |events: Vec<ats_store::VendorEvent>| events.into_iter().map(|e| e.id).collect::<Vec<_>>();
    let in_state = async |state, limit| ids(store.vendor_events_in(state, limit).await.unwrap());
    assert_eq!(in_state(Some(ItemState::Dead), 10).await, vec![second]);
    assert_eq!(in_state(Some(ItemState::Delivering), 10).await, vec![other]);
    assert_eq!(
        in_state(Some(ItemState::Pending), 10).await,
        Vec::<i64>::new()
    );
    assert_eq!(in_state(None, 10).await, vec![other, second, first]);
    assert_eq!(in_state(None, 2).await, vec![other, second]);
    assert_eq!(
        store.vendor_event_counts().await.unwrap(),
        vec![
            (ItemState::Dead, 1),
            (ItemState::Delivered, 1),
            (ItemState::Delivering, 1)
        ]
    );
    assert!(store.retry_dead_event(second).await.unwrap());
    assert!(!store.retry_dead_event(second).await.unwrap());
    assert_eq!(in_state(Some(ItemState::Dead), 10).await, Vec::<i64>::new());
    assert_eq!(
        store.release_event_claims("w").await.unwrap(),
        1,
        "evt_3 is still claimed"
    );
    assert_eq!(store.release_event_claims("w").await.unwrap(), 0);
    let o1: Vec<String> = store
        .vendor_events(Some("o1"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(o1, vec!["evt_1", "evt_2"]);
}

pub async fn orders_are_listed_with_their_last_result(db: &Db) {
    let store = db.open(K1).await;
    store
        .save_order(&handle("kombo", "acme", "inv-1"))
        .await
        .unwrap();
    store
        .save_order(&handle("ashby", "globex", "inv-2"))
        .await
        .unwrap();
    let mut done = result(AssessmentStatus::Completed);
    done.summary = Some("solid".into());
    store
        .enqueue_result(&handle("kombo", "acme", "inv-1"), &done)
        .await
        .unwrap();
    let all = store
        .orders(&ats_store::OrderFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].handle.vendor_assessment_id.as_deref(), Some("inv-2"));
    assert_eq!(all[0].last_result, None);
    let completed = store
        .orders(&ats_store::OrderFilter {
            status: Some("completed".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].last_result, Some(done));
    let globex = store
        .orders(&ats_store::OrderFilter {
            tenant: Some("globex".into()),
            provider: Some("ashby".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(globex.len(), 1);
}

/// A vendor that gives two orders one assessment id: the second order is
/// refused wherever it would be written (an intake answer, grouped or not,
/// a saved order, a result), so that one order's result never goes to the
/// other; the first order keeps its handle.
pub async fn a_vendor_assessment_id_names_one_order(db: &Db) {
    for grouped in [true, false] {
        let store = db.open_grouped(K1, grouped).await;
        let tenant = if grouped { "grouped" } else { "single" };
        let key = |n: &str| IntakeKey::new("kombo", Some(&TenantId::new(tenant)), n.to_owned());
        let vendor_id = format!("inv-{tenant}");
        let first = handle("kombo", tenant, &vendor_id);
        let mut second = first.clone();
        second.provider_order_id = Some("po-other".into());
        second.candidate_id = Some("c-2".into());
        let want = format!(
            "order conflict: the vendor assessment id `{vendor_id}` already names another order of \
             provider `kombo` and tenant `{tenant}`, not provider order `po-other`; each order \
             needs its own assessment id, or the results of one would be written to the other"
        );
        assert_eq!(
            store.claim_intake(&key("a"), "order", LEASE).await.unwrap(),
            Claim::Owner
        );
        let order_id = store
            .answer_intake(
                &key("a"),
                &answer("{}"),
                OrderChange::Accepted(&first),
                None,
            )
            .await
            .unwrap()
            .unwrap();
        // the second order, alone and in a batch beside one that is fine
        let third = handle("kombo", tenant, &format!("{vendor_id}-3"));
        for k in ["b", "c"] {
            assert_eq!(
                store.claim_intake(&key(k), "order", LEASE).await.unwrap(),
                Claim::Owner
            );
        }
        let (kb, kc, empty) = (key("b"), key("c"), answer("{}"));
        let (refused, fine) = tokio::join!(
            store.answer_intake(&kb, &empty, OrderChange::Accepted(&second), None),
            store.answer_intake(&kc, &empty, OrderChange::Accepted(&third), None),
        );
        let e = refused.unwrap_err();
        assert!(matches!(e, ats_store::StoreError::Conflict(_)), "{e:?}");
        assert!(!e.is_retryable());
        assert_eq!(e.to_string(), want);
        assert!(fine.unwrap().is_some());
        // its claim is still open: nothing was answered
        assert_eq!(
            store.claim_intake(&key("b"), "order", LEASE).await.unwrap(),
            Claim::Busy
        );
        assert_eq!(
            store.save_order(&second).await.unwrap_err().to_string(),
            want
        );
        let done = result(AssessmentStatus::Completed);
        assert_eq!(
            store
                .enqueue_result(&second, &done)
                .await
                .unwrap_err()
                .to_string(),
            want
        );
        // nothing queued, the first order as it was
        assert!(
            store
                .outbox_items(&OutboxFilter {
                    order_id: Some(order_id),
                    ..OutboxFilter::default()
                })
                .await
                .unwrap()
                .is_empty()
        );
        let order = store
            .order_by_vendor_id(Some("kombo"), &vendor_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (order.id, &order.handle, order.status.as_str()),
            (order_id, &first, "invited")
        );
        // the same order again, or a handle with no provider order id, is
        // that order; another provider or tenant has orders of its own
        assert_eq!(store.save_order(&first).await.unwrap(), order_id);
        let mut by_vendor_id = first.clone();
        by_vendor_id.provider_order_id = None;
        store.enqueue_result(&by_vendor_id, &done).await.unwrap();
        let order = store
            .order_by_vendor_id(Some("kombo"), &vendor_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (order.id, &order.handle, order.status.as_str()),
            (order_id, &first, "completed")
        );
        let mut elsewhere = second.clone();
        elsewhere.tenant = Some(TenantId::new(format!("{tenant}-2")));
        assert_ne!(store.save_order(&elsewhere).await.unwrap(), order_id);
        elsewhere.provider = "ashby".into();
        assert_ne!(store.save_order(&elsewhere).await.unwrap(), order_id);
    }
    // an id that names orders of two tenants (of one provider, and of two)
    // is found by no lookup that cannot tell them apart, which says why
    let store = db.open(K1).await;
    let lookup = |provider: Option<&'static str>| {
        let store = store.clone();
        async move {
            store
                .order_by_vendor_id(provider, "inv-grouped")
                .await
                .unwrap_err()
                .to_string()
        }
    };
    assert_eq!(
        lookup(Some("kombo")).await,
        "store configuration error: assessment id `inv-grouped` names orders of `kombo` tenant \
         `grouped` and `kombo` tenant `grouped-2`: give each order its own assessment id, or \
         report with the order's handle"
    );
    assert_eq!(
        lookup(None).await,
        "store configuration error: assessment id `inv-grouped` names orders of `kombo` tenant \
         `grouped` and `kombo` tenant `grouped-2`: give each order its own assessment id, or \
         report with the order's handle"
    );
    let store_two = store.clone();
    let mut ashby = handle("ashby", "solo", "inv-two");
    ashby.provider_order_id = Some("po-a".into());
    store_two.save_order(&ashby).await.unwrap();
    let mut kombo = handle("kombo", "solo", "inv-two");
    kombo.provider_order_id = Some("po-k".into());
    store_two.save_order(&kombo).await.unwrap();
    assert_eq!(
        store_two
            .order_by_vendor_id(None, "inv-two")
            .await
            .unwrap_err()
            .to_string(),
        "store configuration error: assessment id `inv-two` names orders of `ashby` tenant `solo` \
         and `kombo` tenant `solo`: name the provider, or give each order its own assessment id"
    );
    assert_eq!(
        store_two
            .order_by_vendor_id(Some("kombo"), "inv-two")
            .await
            .unwrap()
            .unwrap()
            .handle,
        kombo
    );
}

/// Delivered and superseded results and delivered events go once they are
/// older than the retention; waiting, claimed and dead ones never do, and
/// an order keeps its last result.
pub async fn settled_items_are_pruned_after_the_retention(db: &Db) {
    let day = chrono::Duration::days(1);
    let t0 = new_year();
    let at = |t: chrono::DateTime<Utc>| db.open_at(t);
    let store = at(t0).await;
    let (h1, h2, h3) = (
        handle("kombo", "acme", "prune-1"),
        handle("kombo", "acme", "prune-2"),
        handle("kombo", "acme", "prune-3"),
    );
    // o1: one result superseded, the next delivered
    let superseded = store
        .enqueue_result(&h1, &result(AssessmentStatus::Invited))
        .await
        .unwrap();
    let delivered = store
        .enqueue_result(&h1, &result(AssessmentStatus::Completed))
        .await
        .unwrap();
    let c = store.claim_result("w", LEASE).await.unwrap().unwrap();
    assert_eq!(c.item.id, delivered);
    assert!(store.mark_delivered(delivered, "w", None).await.unwrap());
    // o2: dead; o3: claimed; then o3's next result waits behind it
    let dead = store
        .enqueue_result(&h2, &result(AssessmentStatus::Completed))
        .await
        .unwrap();
    let c = store.claim_result("w", LEASE).await.unwrap().unwrap();
    assert_eq!(c.item.id, dead);
    assert!(
        store
            .mark_dead(dead, "w", "HTTP 422", Some(422), None)
            .await
            .unwrap()
    );
    let claimed = store
        .enqueue_result(&h3, &result(AssessmentStatus::Invited))
        .await
        .unwrap();
    let c = store.claim_result("w", LEASE).await.unwrap().unwrap();
    assert_eq!(c.item.id, claimed);
    let waiting = store
        .enqueue_result(&h3, &result(AssessmentStatus::Completed))
        .await
        .unwrap();
    // events: one delivered, one dead, one waiting
    let payload = serde_json::json!({"type": "order_received"});
    let event = |id: &'static str| ats_store::NewVendorEvent {
        event_id: id,
        kind: "order_received",
        provider: "kombo",
        tenant: Some("acme"),
        order_key: None,
        payload: &payload,
    };
    let mut events = Vec::new();
    for id in ["evt_p1", "evt_p2", "evt_p3"] {
        events.push(store.enqueue_event(&event(id)).await.unwrap().unwrap());
    }
    for (id, error) in [
        (events[0], None),
        (events[1], Some(("HTTP 400", Some(400)))),
    ] {
        let c = store.claim_event("w", LEASE).await.unwrap().unwrap();
        assert_eq!(c.id, id);
        assert!(
            store
                .settle_event(id, "w", error, None, None)
                .await
                .unwrap()
        );
    }

    // within the retention: nothing goes
    let month = Duration::from_secs(30 * 86_400);
    let later = at(t0 + day * 29).await;
    assert_eq!(later.prune_outbox(month).await.unwrap(), 0);
    assert_eq!(later.prune_events(month).await.unwrap(), 0);
    // past it: the settled ones go, once
    let later = at(t0 + day * 31).await;
    assert_eq!(later.prune_outbox(month).await.unwrap(), 2);
    assert_eq!(later.prune_events(month).await.unwrap(), 1);
    assert_eq!(later.prune_outbox(month).await.unwrap(), 0);
    assert_eq!(later.prune_events(month).await.unwrap(), 0);
    let mut left: Vec<_> = later
        .outbox_items(&OutboxFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|i| (i.id, i.state))
        .collect();
    left.sort_unstable_by_key(|(id, _)| *id);
    assert_eq!(
        left,
        [
            (dead, ItemState::Dead),
            (claimed, ItemState::Delivering),
            (waiting, ItemState::Pending)
        ]
    );
    assert!(later.outbox_item(superseded).await.unwrap().is_none());
    let mut events_left: Vec<_> = later
        .vendor_events(None, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| (e.id, e.state))
        .collect();
    events_left.sort_unstable_by_key(|(id, _)| *id);
    assert_eq!(
        events_left,
        [
            (events[1], ItemState::Dead),
            (events[2], ItemState::Pending)
        ]
    );
    // the order keeps its last result
    let order = later
        .order_by_vendor_id(Some("kombo"), "prune-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        order.last_result.map(|r| r.status),
        Some(AssessmentStatus::Completed)
    );
}

/// Calls answered, and calls whose claim lapsed unanswered, are forgotten
/// once older than the intake's retention; a claim still held stays, and a
/// forgotten call is a new call again.
pub async fn old_calls_are_forgotten_after_the_intake_retention(db: &Db) {
    let t0 = new_year();
    let at = |t: chrono::DateTime<Utc>| db.open_at(t);
    let day = chrono::Duration::days(1);
    let week = Duration::from_secs(7 * 86_400);
    let first = at(t0).await;
    // answered
    assert_eq!(
        first.claim_intake(&key("p1"), "op", LEASE).await.unwrap(),
        Claim::Owner
    );
    first
        .answer_intake(&key("p1"), &answer("{}"), OrderChange::None, None)
        .await
        .unwrap();
    // claimed, never answered (its process died)
    assert_eq!(
        first.claim_intake(&key("p2"), "op", LEASE).await.unwrap(),
        Claim::Owner
    );
    // a claim taken over eight days later, by a copy that came again: held
    let later = at(t0 + day * 8).await;
    assert_eq!(
        first.claim_intake(&key("p3"), "op", LEASE).await.unwrap(),
        Claim::Owner
    );
    sqlx::query("UPDATE intake SET lease_until = $1 WHERE dedup_key = 'order:p3'")
        .bind((t0 + day * 8).timestamp_millis() + 60_000)
        .execute(later.pool())
        .await
        .unwrap();
    assert_eq!(at(t0 + day * 6).await.prune_intake(week).await.unwrap(), 0);
    assert_eq!(later.prune_intake(week).await.unwrap(), 2);
    assert_eq!(later.prune_intake(week).await.unwrap(), 0);
    let left: Vec<String> = sqlx::query("SELECT dedup_key FROM intake ORDER BY dedup_key")
        .fetch_all(later.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("dedup_key"))
        .collect();
    assert_eq!(left, ["order:p3"]);
    // the forgotten answered call is a new call again
    assert_eq!(
        later.claim_intake(&key("p1"), "op", LEASE).await.unwrap(),
        Claim::Owner
    );
}

/// Runs every check on one back end, each on a fresh database from `fresh`.
#[macro_export]
macro_rules! store_suite {
    ($fresh:path) => {
        store_suite!(@tests $fresh,
            issued_keys_are_digests_looked_up_by_digest,
            secrets_are_sealed_versioned_and_rotate,
            intake_answers_each_call_once,
            ten_concurrent_claims_make_one_owner,
            grouped_and_single_intake_writes_keep_the_same_rows,
            two_grouped_instances_claim_the_same_calls_once,
            outbox_supersedes_orders_and_retries,
            an_expired_claim_is_claimed_again,
            two_instances_never_claim_the_same_item,
            activity_is_recorded_and_queried,
            deliveries_are_remembered_once,
            the_delivery_log_is_shared_by_instances,
            single_use_settings_are_taken_once,
            adapter_stores_survive_a_restart,
            oauth_tokens_of_any_provider_are_sealed_whole_and_leased,
            readiness_and_debug_hide_secrets,
            vendor_events_go_out_once_in_order,
            orders_are_listed_with_their_last_result,
            a_vendor_assessment_id_names_one_order,
            settled_items_are_pruned_after_the_retention,
            old_calls_are_forgotten_after_the_intake_retention
        );
    };
    (@tests $fresh:path, $($name:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(db) = $fresh().await else { return };
                suite::$name(&db).await;
            }
        )+
    };
}
