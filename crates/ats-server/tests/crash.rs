//! A worker process killed (`SIGKILL`) in the middle of a delivery: after a
//! restart the result still reaches the provider.
//!
//! The parent test runs this same test binary again as a child process
//! (the ignored `crash_child` test), lets it claim the result and start the
//! `PUT`, kills it, then starts a runtime of its own on the same database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use ats_core::{AssessmentResult, AssessmentStatus};
use ats_store::{ItemState, OutboxFilter, Store};
use common::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DB: &str = "ATS_CRASH_DB";
const MOCK: &str = "ATS_CRASH_MOCK";

fn result() -> AssessmentResult {
    let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
    r.report_url = Some("https://reports.example.com/r/crash".parse().unwrap());
    r.completed_at = Some("2026-12-01T10:00:00Z".parse().unwrap());
    r
}

async fn wait_for<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cut_by_sigkill_is_completed_after_restart() {
    let mock = MockServer::start().await;
    // the first PUT hangs long enough for the child to be killed mid-way
    Mock::given(method("PUT"))
        .and(path("/assessment/orders/ord-crash/result"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "success", "data": {}}))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&mock)
        .await;
    let (store, url) = sqlite_store_at().await;
    let id = store
        .enqueue_result(&kombo_handle("ord-crash", "asm-crash"), &result())
        .await
        .unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--ignored", "--nocapture"])
        .env(DB, &url)
        .env(MOCK, mock.uri())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the child's PUT", || async {
        !mock.received_requests().await.unwrap().is_empty()
    })
    .await;
    let claimed = store.outbox_item(id).await.unwrap().unwrap();
    assert_eq!(claimed.state, ItemState::Delivering);
    child.kill().unwrap(); // SIGKILL: no shutdown code runs
    child.wait().unwrap();

    // the provider answers quickly now
    Mock::given(method("PUT"))
        .and(path("/assessment/orders/ord-crash/result"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": {}})),
        )
        .with_priority(1)
        .mount(&mock)
        .await;
    let restarted = Store::connect(&url, ring()).await.unwrap();
    let runtime = kombo_runtime_named(
        &restarted,
        &mock,
        CountingVendor::new(Duration::ZERO),
        "restarted",
    );
    runtime.start();
    wait_for("the redelivery", || async {
        restarted
            .outbox_items(&OutboxFilter::default())
            .await
            .unwrap()
            .iter()
            .all(|i| i.state == ItemState::Delivered)
    })
    .await;
    runtime.shutdown(Duration::from_secs(5)).await;
    let item = restarted.outbox_item(id).await.unwrap().unwrap();
    assert_eq!(item.attempts, 2);
    // Kombo's PUT replaces the result: the repeat is harmless, and the
    // two bodies are the same bytes
    let requests = mock.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    let body: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(body["status"], "COMPLETED");
    assert_eq!(body["completed_at"], "2026-12-01T10:00:00.000Z");
}

/// The child process of the crash test: delivers from the database it is
/// given, with a short lease, until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_delivery_cut_by_sigkill_is_completed_after_restart as its child process"]
async fn crash_child() {
    let (Ok(url), Ok(mock_uri)) = (std::env::var(DB), std::env::var(MOCK)) else {
        return;
    };
    let store = Store::connect(&url, ring()).await.unwrap();
    let kombo = ats_kombo::Kombo::builder()
        .api_key("kombo-api-key")
        .base_url(mock_uri)
        .retry(ats_core::RetryConfig {
            request_timeout: Duration::from_secs(120),
            ..ats_core::RetryConfig::none()
        })
        .build()
        .unwrap();
    let runtime = ats_server::Runtime::builder()
        .with_store(store)
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter(kombo)
        .with_instance("child")
        .with_lease(Duration::from_secs(1))
        .build()
        .unwrap();
    runtime.start();
    tokio::time::sleep(Duration::from_secs(600)).await;
}
