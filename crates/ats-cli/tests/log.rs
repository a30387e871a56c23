//! `ats log` against a real SQLite database written by the store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use ats_core::{AssessmentResult, AssessmentStatus, OrderHandle, TenantId};
use ats_store::{Activity, Flow, ItemState, KeyRing, Store};
use chrono::{Duration, Utc};

/// The URL of a new SQLite file for one test.
fn new_database_url(name: &str) -> String {
    let dir = std::env::temp_dir().join("ats-cli-log-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!(
        "{name}-{}-{}.db",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    format!("sqlite://{}", file.display())
}

async fn database() -> String {
    let url = new_database_url("log");
    let store = Store::connect(&url, KeyRing::ephemeral()).await.unwrap();
    let now = Utc::now();
    let mut a = Activity::new(
        now - Duration::minutes(5),
        Flow::Inbound,
        "kombo",
        "assessment:order-received",
    );
    a.tenant = Some("acme".into());
    a.order_id = Some("asm-1".into());
    a.http_status = Some(200);
    a.duration_ms = 7;
    store.record_activity(&a).await.unwrap();
    let mut b = Activity::new(
        now - Duration::minutes(1),
        Flow::Outbound,
        "kombo",
        "submit_result",
    );
    b.tenant = Some("acme".into());
    b.order_id = Some("asm-1".into());
    b.ok = false;
    b.error_kind = Some("provider_rejected".into());
    b.message = Some("kombo answered HTTP 404: Assessment order not found.".into());
    b.http_status = Some(404);
    b.attempt = Some(3);
    store.record_activity(&b).await.unwrap();
    let mut c = Activity::new(
        now - Duration::hours(3),
        Flow::Inbound,
        "ashby",
        "assessment.list",
    );
    c.tenant = Some("globex".into());
    store.record_activity(&c).await.unwrap();
    store.close().await;
    url
}

fn ats(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_ats"))
        .args(args)
        .env_remove("ATS_DATABASE_URL")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test]
async fn filters_and_formats_the_log() {
    let url = database().await;
    let (code, out, err) = ats(&[
        "log",
        "--database",
        &url,
        "--tenant",
        "acme",
        "--errors",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["operation"], "submit_result");
    assert_eq!(rows[0]["direction"], "outbound");
    assert_eq!(rows[0]["http_status"], 404);
    assert_eq!(rows[0]["attempt"], 3);
    assert_eq!(rows[0]["error_kind"], "provider_rejected");

    let (code, out, _) = ats(&["log", "--database", &url, "--since", "1h"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("time"));
    assert!(
        lines[1].contains(" in ") && lines[1].contains("assessment:order-received"),
        "{out}"
    );
    assert!(
        lines[2].contains(" out ")
            && lines[2].ends_with(
                "provider_rejected: kombo answered HTTP 404: Assessment order not found."
            ),
        "{out}"
    );

    let (_, out, _) = ats(&["log", "--database", &url, "--order", "nope"]);
    assert!(out.ends_with("(no activity matches)\n"), "{out}");
}

#[test]
fn refuses_a_missing_database_and_a_bad_since() {
    let (code, _, err) = ats(&["log", "--database", "sqlite:///nonexistent/ats.db"]);
    assert_eq!(code, 2);
    assert!(err.contains("no database at /nonexistent/ats.db"), "{err}");
    // a database that is not a service's: named as such, by both commands
    let url = new_database_url("not-a-service");
    let file = url.trim_start_matches("sqlite://");
    std::fs::write(file, b"").unwrap();
    for command in ["log", "outbox"] {
        let (code, _, err) = ats(&[command, "--database", &url]);
        assert_eq!(code, 2, "{command}");
        assert_eq!(err.lines().count(), 1, "{command}: {err}");
        assert!(
            err.starts_with(&format!(
                "error: {url} is not the database of a running runtime or gateway: "
            )) && err.contains("no such table"),
            "{command}: {err}"
        );
    }
    let (code, _, err) = ats(&[
        "log",
        "--database",
        "sqlite::memory:",
        "--since",
        "yesterday",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--since `yesterday`"), "{err}");
}

/// A PostgreSQL server that refuses the connection: said so in one line,
/// after the CLI's 5 s, with the password redacted.
#[test]
fn names_why_a_database_cannot_be_reached() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("postgres://ats:s3cret@127.0.0.1:{port}/ats");
    let (code, _, err) = ats(&["outbox", "--database", &url]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: database error: cannot connect to postgres://ats:***@127.0.0.1:{port}/ats (tried for 5 s): "
        )) && err.to_lowercase().contains("refused"),
        "{err}"
    );
}

#[test]
fn keygen_prints_a_key_ring_entry() {
    let (code, out, _) = ats(&["keygen", "--id", "7"]);
    assert_eq!(code, 0);
    let ring = KeyRing::parse(out.trim()).unwrap();
    assert_eq!(ring.primary_id(), 7);
}

/// A store with three results for Kombo orders: one delivered, one dead
/// (the provider's 422), one pending a retry after a 503.
async fn outbox_database() -> (String, [i64; 3]) {
    let url = new_database_url("outbox");
    let store = Store::connect(&url, KeyRing::ephemeral()).await.unwrap();
    let lease = std::time::Duration::from_secs(60);
    let mut ids = [0; 3];
    for (n, order) in ["ord-1", "ord-2", "ord-3"].into_iter().enumerate() {
        let handle = OrderHandle {
            provider: "kombo".into(),
            tenant: Some(TenantId::new("acme")),
            provider_order_id: Some(order.into()),
            vendor_assessment_id: Some(format!("asm-{}", n + 1)),
            package_id: None,
            candidate_id: None,
            callback_url: None,
            context: serde_json::Map::new(),
        };
        let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
        result.report_url = Some("https://vendor.example/r/1".parse().unwrap());
        ids[n] = store.enqueue_result(&handle, &result).await.unwrap();
        let claimed = store.claim_result("w", lease).await.unwrap().unwrap();
        assert_eq!(claimed.item.id, ids[n]);
        let settled = match n {
            0 => store.mark_delivered(ids[n], "w", None).await,
            1 => {
                store
                    .mark_dead(
                        ids[n],
                        "w",
                        "kombo answered HTTP 422: Order is closed.",
                        Some(422),
                        None,
                    )
                    .await
            }
            _ => {
                let later = Utc::now() + Duration::minutes(10);
                store
                    .retry_result_at(
                        ids[n],
                        "w",
                        later,
                        "kombo answered HTTP 503",
                        Some(503),
                        None,
                    )
                    .await
            }
        };
        assert!(settled.unwrap());
    }
    store.close().await;
    (url, ids)
}

#[tokio::test]
async fn outbox_lists_items_and_retries_a_dead_one() {
    let (url, [delivered, dead, pending]) = outbox_database().await;
    let (code, out, err) = ats(&["outbox", "--database", &url]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "outbox: 1 pending, 0 delivering, 1 delivered, 1 dead, 0 superseded"
    );
    assert_eq!(lines.len(), 5, "{out}");
    let cells = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let header = cells(lines[1]);
    assert_eq!(
        header,
        [
            "id", "enqueued", "provider", "tenant", "order", "result", "state", "tries", "due",
            "http", "last", "error"
        ]
    );
    // oldest first; the enqueued time takes two cells (date and time)
    let row = |i: usize| cells(lines[i + 2]);
    assert_eq!(row(0)[0], delivered.to_string());
    assert_eq!(
        row(0)[3..],
        [
            "kombo",
            "acme",
            "asm-1",
            "completed",
            "delivered",
            "1",
            "-",
            "-",
            "-"
        ]
    );
    assert_eq!(
        row(1)[3..],
        [
            "kombo",
            "acme",
            "asm-2",
            "completed",
            "dead",
            "1",
            "-",
            "422",
            "kombo",
            "answered",
            "HTTP",
            "422:",
            "Order",
            "is",
            "closed."
        ]
    );
    // a pending item shows when it is due
    assert_eq!(
        row(2)[3..9],
        ["kombo", "acme", "asm-3", "completed", "pending", "1"]
    );
    assert_eq!(row(2)[11..], ["503", "kombo", "answered", "HTTP", "503"]);

    let (code, out, _) = ats(&["outbox", "--database", &url, "--state", "dead", "--json"]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], dead);
    assert_eq!(rows[0]["order"], "asm-2");
    assert_eq!(rows[0]["provider"], "kombo");
    assert_eq!(rows[0]["state"], "dead");
    assert_eq!(rows[0]["last_http_status"], 422);
    assert_eq!(rows[0]["result"]["status"], "completed");

    // the dead item goes back in the queue; the others are refused by name
    let (code, out, err) = ats(&[
        "outbox",
        "--database",
        &url,
        "--retry",
        &dead.to_string(),
        "--retry",
        &delivered.to_string(),
        "--retry",
        "999",
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        out,
        format!("item {dead}: back in the queue, due now (the service's workers send it)\n")
    );
    assert_eq!(
        err,
        format!(
            "error: item {delivered} is delivered, not dead: only a dead item is retried; \
             no outbox item 999\n"
        )
    );
    let store = Store::connect(&url, KeyRing::ephemeral()).await.unwrap();
    let item = store.outbox_item(dead).await.unwrap().unwrap();
    assert_eq!((item.state, item.attempts), (ItemState::Pending, 0));
    assert_eq!(
        store.outbox_item(pending).await.unwrap().unwrap().state,
        ItemState::Pending
    );
    store.close().await;

    let (code, _, err) = ats(&["outbox", "--database", &url, "--state", "lost"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: --state `lost`: expected pending, delivering, delivered, dead or superseded\n"
    );
}

#[tokio::test]
async fn outbox_events_lists_the_gateways_events_and_retries_a_dead_one() {
    let url = new_database_url("events");
    let store = Store::connect(&url, KeyRing::ephemeral()).await.unwrap();
    let payload = serde_json::json!({"type": "order_received"});
    let mut ids = Vec::new();
    for (event_id, order) in [("evt_1", "v:asm-1"), ("evt_2", "p:ord-2")] {
        let event = ats_store::NewVendorEvent {
            event_id,
            kind: "order_received",
            provider: "kombo",
            tenant: Some("acme"),
            order_key: Some(order),
            payload: &payload,
        };
        ids.push(store.enqueue_event(&event).await.unwrap().unwrap());
    }
    let lease = std::time::Duration::from_secs(60);
    let claimed = store.claim_event("w", lease).await.unwrap().unwrap();
    assert_eq!(claimed.id, ids[0]);
    let refused = Some(("the vendor answered HTTP 400: bad event", Some(400)));
    assert!(
        store
            .settle_event(ids[0], "w", refused, None, None)
            .await
            .unwrap()
    );
    store.close().await;

    let (code, out, err) = ats(&["outbox", "--events", "--database", &url]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "events: 1 pending, 0 delivering, 0 delivered, 1 dead, 0 superseded"
    );
    let cells = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(cells(lines[1])[5], "event");
    assert_eq!(
        cells(lines[2])[3..],
        [
            "kombo",
            "acme",
            "asm-1",
            "order_received",
            "dead",
            "1",
            "-",
            "400",
            "the",
            "vendor",
            "answered",
            "HTTP",
            "400:",
            "bad",
            "event"
        ]
    );
    assert_eq!(
        cells(lines[3])[3..9],
        ["kombo", "acme", "ord-2", "order_received", "pending", "0"]
    );
    assert_eq!(lines.len(), 4, "{out}");

    let (code, out, err) = ats(&[
        "outbox",
        "--events",
        "--database",
        &url,
        "--retry",
        &ids[0].to_string(),
        "--retry",
        &ids[1].to_string(),
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        out,
        format!(
            "item {}: back in the queue, due now (the service's workers send it)\n",
            ids[0]
        )
    );
    assert_eq!(
        err,
        format!(
            "error: item {} is pending, not dead: only a dead item is retried\n",
            ids[1]
        )
    );
    let (_, _, err) = ats(&["outbox", "--events", "--database", &url, "--retry", "999"]);
    assert_eq!(err, "error: no event 999\n");
    let (code, out, _) = ats(&["outbox", "--events", "--database", &url, "--state", "dead"]);
    assert_eq!(code, 0);
    assert!(out.ends_with("(no item matches)\n"), "{out}");
}
