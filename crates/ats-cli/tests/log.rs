//! `ats log` against a real SQLite database written by the store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use ats_store::{Activity, Flow, KeyRing, Store};
use chrono::{Duration, Utc};

async fn database() -> String {
    let dir = std::env::temp_dir().join("ats-cli-log-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!(
        "{}-{}.db",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let url = format!("sqlite://{}", file.display());
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

#[test]
fn keygen_prints_a_key_ring_entry() {
    let (code, out, _) = ats(&["keygen", "--id", "7"]);
    assert_eq!(code, 0);
    let ring = KeyRing::parse(out.trim()).unwrap();
    assert_eq!(ring.primary_id(), 7);
}
