//! The runtime end to end, over HTTP on loopback: a Kombo stand-in
//! (wiremock) receives the results, the vendor counts its calls, the store
//! is a SQLite file (or PostgreSQL where a test says so).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use ats_core::{AssessmentResult, AssessmentStatus, Score};
use ats_server::{Attempt, Runtime};
use ats_store::{ActivityQuery, ItemState, OutboxFilter, Store};
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_copies_of_one_order_reach_the_vendor_once() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::from_millis(150));
    let runtime = kombo_runtime(&store, &mock, vendor.clone());
    let base = serve(runtime).await;
    let body = kombo_order("Hx4pLq9TzW2mRv7cYb3nKs6D");
    let client = reqwest::Client::new();
    let mut calls = Vec::new();
    for _ in 0..10 {
        let request = signed_kombo(&client, &base, &body);
        calls.push(tokio::spawn(async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.bytes().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for c in calls {
        answers.push(c.await.unwrap());
    }
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 1);
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 200);
    // the accepted order's handle is stored, ready for reporting
    let order = store
        .order_by_vendor_id(Some("kombo"), "asm-Hx4pLq9TzW2mRv7cYb3nKs6D")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        order.handle.provider_order_id.as_deref(),
        Some("Hx4pLq9TzW2mRv7cYb3nKs6D")
    );
    assert_eq!(
        order.handle.tenant.as_ref().map(|t| t.as_str()),
        Some("greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H")
    );
    let log = store.activity(&ActivityQuery::default()).await.unwrap();
    assert_eq!(log.len(), 10);
    assert_eq!(
        log.iter()
            .filter(|a| a.message.as_deref() == Some("repeated call: the first answer was returned"))
            .count(),
        9
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_after_a_restart_gets_the_first_answer() {
    let mock = MockServer::start().await;
    let (store, url) = sqlite_store_at().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let body = kombo_order("order-restart");
    {
        let base = serve(kombo_runtime(&store, &mock, vendor.clone())).await;
        let r = signed_kombo(&reqwest::Client::new(), &base, &body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    store.close().await;
    let reopened = Store::connect(&url, ring()).await.unwrap();
    let base = serve(kombo_runtime(&reopened, &mock, vendor.clone())).await;
    let r = signed_kombo(&reqwest::Client::new(), &base, &body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_failure_lets_the_redelivery_through() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    vendor.fail_next.store(1, Ordering::SeqCst);
    let base = serve(kombo_runtime(&store, &mock, vendor.clone())).await;
    let body = kombo_order("order-flaky");
    let client = reqwest::Client::new();
    let first = signed_kombo(&client, &base, &body).send().await.unwrap();
    assert_eq!(first.status(), 503);
    let second = signed_kombo(&client, &base, &body).send().await.unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 2);
    let errors = store
        .activity(&ActivityQuery {
            errors_only: true,
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].error_kind.as_deref(), Some("vendor"));
    assert_eq!(errors[0].http_status, Some(503));
}

/// A vendor that gives two orders one assessment id: the second order is
/// refused (the provider's internal error, logged with what went wrong), so
/// that a result reported for it can never be written to the first; the
/// first order keeps its handle, and a redelivery of the second is asked
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_order_given_the_same_assessment_id_is_refused() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO).giving_every_order("asm-reused");
    let base = serve(kombo_runtime(&store, &mock, vendor.clone())).await;
    let client = reqwest::Client::new();
    let send = |order: &str| signed_kombo(&client, &base, &kombo_order(order)).send();
    let first = send("order-first").await.unwrap();
    assert_eq!(first.status(), 200);
    for _ in 0..2 {
        let second = send("order-second").await.unwrap();
        assert_eq!(second.status(), 500);
        let body = second.text().await.unwrap();
        // the reason stays in the log, not in the provider's answer
        assert!(!body.contains("asm-reused"), "{body}");
    }
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 3);
    let order = store
        .order_by_vendor_id(Some("kombo"), "asm-reused")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        order.handle.provider_order_id.as_deref(),
        Some("order-first")
    );
    let orders = store
        .orders(&ats_store::OrderFilter::default())
        .await
        .unwrap();
    assert_eq!(orders.len(), 1);
    let errors = store
        .activity(&ActivityQuery {
            errors_only: true,
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(errors.len(), 2);
    for e in &errors {
        assert_eq!(e.error_kind.as_deref(), Some("vendor"));
        assert_eq!(e.http_status, Some(500));
        assert_eq!(e.order_id.as_deref(), Some("asm-reused"));
        assert_eq!(
            e.message.as_deref(),
            Some(
                "vendor internal error: the vendor assessment id `asm-reused` \
                 already names another order of provider `kombo` and tenant \
                 `greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H`, not provider order `order-second`; \
                 each order needs its own assessment id, or the results of one would be \
                 written to the other"
            )
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_calls_are_answered_the_providers_way_and_logged() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let base = serve(kombo_runtime(&store, &mock, vendor.clone())).await;
    let client = reqwest::Client::new();
    let body = kombo_order("order-x");
    // wrong signature
    let r = client
        .post(format!("{base}/kombo/webhooks"))
        .header("content-type", "application/json")
        .header("x-kombo-signature", "AAAA")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // too large: 413 before parsing, in Kombo's error shape
    // (declared by Content-Length: refused before a byte of the body is read)
    let answer = raw_request(
        &base,
        "POST /kombo/webhooks HTTP/1.1\r\nHost: test\r\nContent-Length: 3000000\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // no adapter at this path, nor at one that only begins like an
    // adapter's prefix
    for path in ["/nope", "/kombox/webhooks"] {
        let r = client
            .post(format!("{base}{path}"))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"error":"no adapter is served at this path"}"#
        );
    }
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 0);
    // both refusals are logged (newest first); the unknown path is no
    // provider's call
    let log = store.activity(&ActivityQuery::default()).await.unwrap();
    let rows: Vec<_> = log.iter().map(outcome).collect();
    assert_eq!(
        rows,
        vec![
            (
                "kombo",
                "unknown",
                false,
                Some("malformed"),
                Some(413),
                Some("malformed payload at `body`: larger than the 1048576-byte limit"),
            ),
            (
                "kombo",
                "assessment:order-received",
                false,
                Some("bad_signature"),
                Some(401),
                Some("webhook signature rejected: signature does not match"),
            ),
        ]
    );
    // health probes
    let r = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), r#"{"status":"ready"}"#);
}

#[tokio::test]
async fn a_body_over_the_limit_without_a_length_is_refused_once_read_that_far_and_logged() {
    use tower::ServiceExt as _;
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let router = ats_server::router(kombo_runtime(&store, &mock, vendor.clone()));
    // no Content-Length: the limit is found while reading
    let body = vec![b' '; (1 << 20) + 1];
    let request = axum::http::Request::post("/kombo/webhooks")
        .body(axum::body::Body::from(body))
        .unwrap();
    assert!(request.headers().get("content-length").is_none());
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 413);
    let answer = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&answer).unwrap(),
        json!({"error": "malformed payload at `body`: larger than the 1048576-byte limit"})
    );
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 0);
    let log = store.activity(&ActivityQuery::default()).await.unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (
            log[0].provider.as_str(),
            log[0].http_status,
            log[0].error_kind.as_deref()
        ),
        ("kombo", Some(413), Some("malformed"))
    );
}

/// Sends `request` as raw bytes and reads the answer's head.
async fn raw_request(base: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn with_report(status: AssessmentStatus) -> AssessmentResult {
    let mut r = AssessmentResult::with_status(status);
    r.report_url = Some("https://reports.example.com/r/1".parse().unwrap());
    r
}

fn completed() -> AssessmentResult {
    let mut r = with_report(AssessmentStatus::Completed);
    r.score = Some(Score::out_of(78.0, 100.0));
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_retries_honours_retry_after_and_dead_letters() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let runtime = kombo_runtime(&store, &mock, CountingVendor::new(Duration::ZERO));
    let handle = kombo_handle("ord-1", "asm-1");
    let id = runtime.report(&handle, &completed()).await.unwrap();

    // 429 with Retry-After: 120 → due again in two minutes, not before
    Mock::given(method("PUT"))
        .and(path("/assessment/orders/ord-1/result"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .up_to_n_times(1)
        .mount(&mock)
        .await;
    let before = chrono::Utc::now();
    let attempt = runtime.deliver_next("w").await.unwrap().unwrap();
    let Attempt::Retry(delay) = attempt else {
        panic!("{attempt:?}")
    };
    assert_eq!(delay, Duration::from_secs(120));
    let item = store.outbox_item(id).await.unwrap().unwrap();
    assert_eq!(item.state, ItemState::Pending);
    assert_eq!(item.last_http_status, Some(429));
    let wait = (item.next_attempt_at - before).num_seconds();
    assert!((119..=121).contains(&wait), "{wait}");
    assert_eq!(
        runtime.deliver_next("w").await.unwrap(),
        None,
        "not due yet"
    );

    // 5xx → retried; 4xx → dead with Kombo's own message
    sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(store.pool())
        .await
        .unwrap();
    Mock::given(method("PUT"))
        .and(path("/assessment/orders/ord-1/result"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&mock)
        .await;
    assert!(matches!(
        runtime.deliver_next("w").await.unwrap(),
        Some(Attempt::Retry(_))
    ));
    sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(store.pool())
        .await
        .unwrap();
    Mock::given(method("PUT"))
        .and(path("/assessment/orders/ord-1/result"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "status": "error", "error": {"message": "Assessment order not found."}
        })))
        .up_to_n_times(1)
        .mount(&mock)
        .await;
    assert_eq!(
        runtime.deliver_next("w").await.unwrap(),
        Some(Attempt::Dead)
    );
    let dead = store.outbox_item(id).await.unwrap().unwrap();
    assert_eq!(dead.state, ItemState::Dead);
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.last_http_status, Some(404));
    assert!(
        dead.last_error
            .as_deref()
            .unwrap()
            .contains("Assessment order not found."),
        "{dead:?}"
    );

    // retried by hand, it goes through, with the exact body Kombo expects
    Mock::given(method("PUT"))
        .and(path("/assessment/orders/ord-1/result"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "success", "data": {}, "warnings": []})),
        )
        .mount(&mock)
        .await;
    assert!(store.retry_dead(id).await.unwrap());
    assert_eq!(
        runtime.deliver_next("w").await.unwrap(),
        Some(Attempt::Delivered)
    );
    let requests = mock.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4);
    let body: serde_json::Value = serde_json::from_slice(&requests[3].body).unwrap();
    assert_eq!(body["status"], "COMPLETED");
    assert_eq!(body["score"], json!(78));
    assert_eq!(body["max_score"], json!(100));
    assert_eq!(body["result_url"], "https://reports.example.com/r/1");
    assert_eq!(
        requests[3].headers.get("x-integration-id").unwrap(),
        "greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H"
    );
    let log = store
        .activity(&ActivityQuery {
            order_id: Some("asm-1".into()),
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    let attempts: Vec<(Option<u32>, bool, Option<u16>)> = log
        .iter()
        .rev()
        .map(|a| (a.attempt, a.ok, a.http_status))
        .collect();
    assert_eq!(
        attempts,
        vec![
            (Some(1), false, Some(429)),
            (Some(2), false, Some(503)),
            (Some(3), false, Some(404)),
            (Some(1), true, None)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_deliver_in_order_and_skip_superseded_statuses() {
    let mock = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "success", "data": {}}))
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&mock)
        .await;
    let store = sqlite_store().await;
    let runtime = kombo_runtime(&store, &mock, CountingVendor::new(Duration::ZERO));
    let handle = kombo_handle("ord-7", "asm-7");
    runtime.start();
    runtime
        .report(&handle, &with_report(AssessmentStatus::Expired))
        .await
        .unwrap();
    // while the first is on the wire, two more: only the last goes
    tokio::time::sleep(Duration::from_millis(100)).await;
    runtime
        .report(&handle, &with_report(AssessmentStatus::Error))
        .await
        .unwrap();
    runtime.report(&handle, &completed()).await.unwrap();
    wait_until(|| async {
        store
            .outbox_items(&OutboxFilter::default())
            .await
            .unwrap()
            .iter()
            .all(|i| matches!(i.state, ItemState::Delivered | ItemState::Superseded))
    })
    .await;
    runtime.shutdown(Duration::from_secs(5)).await;
    let statuses: Vec<String> = mock
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, vec!["CANCELLED", "COMPLETED"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_for_finds_the_order_accepted_through_the_intake() {
    let mock = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/assessment/orders/ord-intake/result"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": {}})),
        )
        .expect(1)
        .mount(&mock)
        .await;
    let store = sqlite_store().await;
    let runtime = kombo_runtime(&store, &mock, CountingVendor::new(Duration::ZERO));
    let base = serve(runtime.clone()).await;
    let r = signed_kombo(&reqwest::Client::new(), &base, &kombo_order("ord-intake"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let e = runtime
        .report_for("asm-nope", &completed())
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "unknown order `asm-nope`");
    runtime
        .report_for("asm-ord-intake", &completed())
        .await
        .unwrap();
    assert_eq!(
        runtime.deliver_next("w").await.unwrap(),
        Some(Attempt::Delivered)
    );
    let order = store
        .order_by_vendor_id(None, "asm-ord-intake")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status, "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_provider_cannot_take_is_refused_or_skipped_without_naming_it() {
    // nothing may reach Kombo: the stand-in fails the test on any request
    let mock = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&mock)
        .await;
    let store = sqlite_store().await;
    let runtime = kombo_runtime(&store, &mock, CountingVendor::new(Duration::ZERO));
    let base = serve(runtime.clone()).await;
    let r = signed_kombo(&reqwest::Client::new(), &base, &kombo_order("ord-rules"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // a completed result without its report URL: refused now, nothing queued
    let e = runtime
        .report_for(
            "asm-ord-rules",
            &AssessmentResult::with_status(AssessmentStatus::Completed),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "not queued: kombo cannot take this result without a report_url (Kombo requires a result_url with every result)"
    );
    assert!(!e.is_retryable());
    assert!(
        store
            .outbox_items(&OutboxFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    // a status Kombo has no place for: queued, settled without a call, the
    // reason in the activity log
    let id = runtime
        .report_for(
            "asm-ord-rules",
            &AssessmentResult::with_status(AssessmentStatus::InProgress),
        )
        .await
        .unwrap();
    assert_eq!(
        runtime.deliver_next("w").await.unwrap(),
        Some(Attempt::Delivered)
    );
    let item = store.outbox_item(id).await.unwrap().unwrap();
    assert_eq!(item.state, ItemState::Delivered);
    let log = store.activity(&ActivityQuery::default()).await.unwrap();
    let write = log.iter().find(|a| a.operation == "submit_result").unwrap();
    assert!(write.ok);
    assert_eq!(
        write.message.as_deref(),
        Some(
            "warnings: not sent: Kombo takes final results only (COMPLETED, CANCELLED), and `in_progress` is not final"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runtimes_on_postgres_deliver_a_thousand_results_once_each() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let mock = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": {}})),
        )
        .mount(&mock)
        .await;
    let a = Store::connect(&url, ring()).await.unwrap();
    let b = Store::connect(&url, ring()).await.unwrap();
    let ra = kombo_runtime_named(&a, &mock, CountingVendor::new(Duration::ZERO), "a");
    let rb = kombo_runtime_named(&b, &mock, CountingVendor::new(Duration::ZERO), "b");
    let n = 1000;
    for i in 0..n {
        ra.report(
            &kombo_handle(&format!("o{i}"), &format!("v{i}")),
            &completed(),
        )
        .await
        .unwrap();
    }
    ra.start();
    rb.start();
    wait_until(|| async {
        a.outbox_counts().await.unwrap() == vec![(ItemState::Delivered, n as u64)]
    })
    .await;
    ra.shutdown(Duration::from_secs(5)).await;
    rb.shutdown(Duration::from_secs(5)).await;
    let requests = mock.received_requests().await.unwrap();
    assert_eq!(requests.len(), n);
    let mut paths: Vec<String> = requests.iter().map(|r| r.url.path().to_owned()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), n, "every result exactly once");
    // both instances took part
    let log = a
        .activity(&ActivityQuery {
            limit: Some(2000),
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), n);
    assert!(log.iter().all(|l| l.ok && l.attempt == Some(1)));
}

/// Waits (at most 30 s) until `check` holds.
async fn wait_until<F, Fut>(check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_log_tracing_or_debug_output() {
    // every event and span of the process at the most verbose level,
    // written as an operator's log would be (span fields included)
    let traced = Traced::default();
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(traced.clone())
        .with_ansi(false)
        .try_init();
    let mock = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&mock)
        .await;
    let store = sqlite_store().await;
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter(kombo(&mock))
        .with_keep_bodies(true)
        .build()
        .unwrap();
    let base = serve(runtime.clone()).await;
    // a body that carries credential-like fields of its own
    let mut body: serde_json::Value = serde_json::from_str(&kombo_order("ord-secret")).unwrap();
    body["data"]["access_token"] = json!("leaked-access-token");
    body["data"]["candidate"]["api_key"] = json!("leaked-api-key");
    let body = body.to_string();
    let request = signed_kombo(&reqwest::Client::new(), &base, &body);
    let signature = request
        .try_clone()
        .unwrap()
        .build()
        .unwrap()
        .headers()
        .get("x-kombo-signature")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(request.send().await.unwrap().status(), 200);
    runtime
        .report(&kombo_handle("ord-secret", "asm-ord-secret"), &completed())
        .await
        .unwrap();
    assert!(matches!(
        runtime.deliver_next("w").await.unwrap(),
        Some(Attempt::Retry(_))
    ));
    // the outbound call carried the API key; nothing of it was kept
    let sent = mock.received_requests().await.unwrap();
    assert_eq!(
        sent[0].headers.get("authorization").unwrap(),
        "Bearer kombo-api-key"
    );
    let log = store.activity(&ActivityQuery::default()).await.unwrap();
    assert_eq!(log.len(), 2);
    let dump = serde_json::to_string(&log).unwrap();
    assert!(dump.contains("Mira"), "bodies are kept: {dump}");
    let traces = traced.text();
    // the tracing output is really captured: the request's span and the
    // failed delivery are in it
    assert!(traces.contains("ord-secret"), "{traces}");
    assert!(traces.contains("503"), "{traces}");
    for secret in [
        signature.as_str(),
        KOMBO_SECRET,
        "kombo-api-key",
        "leaked-access-token",
        "leaked-api-key",
    ] {
        assert!(!dump.contains(secret), "{secret} in the activity log");
        assert!(!traces.contains(secret), "{secret} in the tracing output");
        let debug = format!("{runtime:?} {store:?}");
        assert!(!debug.contains(secret), "{secret} in Debug output");
    }
    assert!(!format!("{runtime:?}").contains(&RING[2..12]));
}

/// A tracing writer that keeps everything written to it.
#[derive(Clone, Default)]
struct Traced(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Traced {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Traced {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Traced {
    type Writer = Traced;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_adapter_may_be_served_at_several_paths_but_two_may_not_share_a_name() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let shared: std::sync::Arc<dyn ats_core::AtsProvider> = std::sync::Arc::new(kombo(&mock));
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter_at("/kombo", shared.clone())
        .with_adapter_at("/webhooks", shared)
        .build()
        .unwrap();
    let mut mounts = runtime.mounts();
    mounts.sort();
    assert_eq!(
        mounts,
        [
            ("/kombo".to_owned(), "kombo"),
            ("/webhooks".to_owned(), "kombo")
        ]
    );
    let twice = Runtime::builder()
        .with_store(store)
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter_at("/kombo", std::sync::Arc::new(kombo(&mock)))
        .with_adapter_at("/other", std::sync::Arc::new(kombo(&mock)))
        .build()
        .unwrap_err();
    assert!(
        twice
            .to_string()
            .contains("adapter `kombo` is configured twice"),
        "{twice}"
    );
}

/// A retryable failure is retried until `max_attempts` attempts were made,
/// and the last of them leaves the item dead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_is_dead_after_max_attempts_retryable_failures() {
    let mock = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&mock)
        .await;
    let store = sqlite_store().await;
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter(kombo(&mock))
        .with_max_attempts(2)
        .build()
        .unwrap();
    let id = runtime
        .report(&kombo_handle("ord-max", "asm-max"), &completed())
        .await
        .unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        outcomes.push(runtime.deliver_next("w").await.unwrap().map(|a| match a {
            Attempt::Retry(_) => "retry",
            Attempt::Dead => "dead",
            other => panic!("{other:?}"),
        }));
        sqlx::query("UPDATE outbox SET next_attempt_at = 0")
            .execute(store.pool())
            .await
            .unwrap();
    }
    assert_eq!(outcomes, [Some("retry"), Some("dead")]);
    let item = store.outbox_item(id).await.unwrap().unwrap();
    assert_eq!((item.state, item.attempts), (ItemState::Dead, 2));
    assert_eq!(runtime.deliver_next("w").await.unwrap(), None);
    assert_eq!(mock.received_requests().await.unwrap().len(), 2);
}

/// A body of exactly the limit is read and handled; one byte more is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_of_exactly_the_limit_is_accepted() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let body = kombo_order("ord-limit");
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(vendor.clone())
        .with_adapter(kombo(&mock))
        .with_body_limit(body.len())
        .build()
        .unwrap();
    let base = serve(runtime).await;
    let client = reqwest::Client::new();
    let r = signed_kombo(&client, &base, &body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 1);
    let longer = format!("{body} ");
    let r = signed_kombo(&client, &base, &longer).send().await.unwrap();
    assert_eq!(r.status(), 413);
}

/// Each setting that would make the runtime useless is refused alone, and
/// both `Debug` outputs name the configuration without any secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_refuses_a_zero_limit_or_attempts_and_debug_shows_the_setup() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let builder = || {
        Runtime::builder()
            .with_store(store.clone())
            .with_vendor(CountingVendor::new(Duration::ZERO))
            .with_adapter(kombo(&mock))
    };
    for zero in [builder().with_body_limit(0), builder().with_max_attempts(0)] {
        let e = zero.build().unwrap_err().to_string();
        assert!(
            e.contains("body_limit and max_attempts must be positive"),
            "{e}"
        );
    }
    let b = builder().with_max_attempts(3);
    let text = format!("{b:?}");
    assert!(
        text.starts_with("RuntimeBuilder { config: RuntimeConfig { workers: 4,")
            && text.contains("max_attempts: 3,")
            && text.ends_with(", .. }"),
        "{text}"
    );
    let runtime = b.build().unwrap();
    let text = format!("{runtime:?}");
    assert!(
        text.starts_with("Runtime { store: ")
            && text.contains(r#"mounts: [("/kombo", "kombo")]"#)
            && text.contains("max_attempts: 3,"),
        "{text}"
    );
    assert!(
        !text.contains("kombo-api-key") && !text.contains(KOMBO_SECRET),
        "{text}"
    );
}

/// What makes two calls the same call: an order by the provider's order id
/// (whatever else its delivery carries), an error report by the request
/// itself. Different orders and different reports each reach the vendor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_the_same_by_order_id_or_by_request() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let acme = ats_core::TenantId::new("acme");
    store
        .add_key(
            "greenhouse",
            &acme,
            &ats_core::Secret::new("gh_test_key_acme"),
        )
        .await
        .unwrap();
    let keys = std::sync::Arc::new(store.issued_keys("greenhouse"));
    let greenhouse = ats_greenhouse::Greenhouse::builder()
        .key_stores(keys.clone(), keys)
        .build()
        .unwrap();
    let vendor = CountingVendor::new(Duration::ZERO);
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(vendor.clone())
        .with_adapter(kombo(&mock))
        .with_adapter(greenhouse)
        .build()
        .unwrap();
    let base = serve(runtime).await;
    let client = reqwest::Client::new();

    // two orders, then the first again in a new delivery (another event id)
    for body in [
        kombo_order("ord-a"),
        kombo_order("ord-b"),
        kombo_order("ord-a").replace("evt-ord-a", "evt-ord-a-again"),
    ] {
        let r = signed_kombo(&client, &base, &body).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 2);

    // an error report, the same report again, and another one
    let report = |errors: &str| {
        client
            .post(format!("{base}/greenhouse/response_error"))
            .basic_auth("gh_test_key_acme", Some(""))
            .header("content-type", "application/json")
            .body(
                json!({
                    "api_call": "test_status",
                    "errors": [errors],
                    "partner_test_id": "12345",
                    "partner_interview_id": "asm_7Q2K9"
                })
                .to_string(),
            )
            .send()
    };
    for errors in [
        "profile url missing",
        "profile url missing",
        "score missing",
    ] {
        let r = report(errors).await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    assert_eq!(vendor.reports.load(Ordering::SeqCst), 2);
}

/// Two runtimes (instances) on one store: what one holds, the other waits
/// for only as long as its own `intake_wait`, then answers the provider's
/// way so that it retries; what one gives up (its vendor failed), the other
/// takes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instances_claim_is_waited_for_then_refused_and_a_released_one_is_taken() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let runtime = |vendor: CountingVendor, instance: &str, wait: Duration| {
        Runtime::builder()
            .with_store(store.clone())
            .with_vendor(vendor)
            .with_adapter(kombo(&mock))
            .with_config(ats_server::RuntimeConfig {
                intake_wait: wait,
                ..Default::default()
            })
            .with_instance(instance)
            .build()
            .unwrap()
    };
    let slow = CountingVendor::new(Duration::from_millis(1500));
    let a = serve(runtime(slow.clone(), "a", Duration::from_secs(30))).await;
    let quick = CountingVendor::new(Duration::ZERO);
    let b = serve(runtime(quick.clone(), "b", Duration::from_millis(200))).await;
    let client = reqwest::Client::new();

    // a holds the call for 1.5 s; b gives up after its 200 ms
    let body = kombo_order("ord-held");
    let first = tokio::spawn(signed_kombo(&client, &a, &body).send());
    while slow.orders.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let copy = signed_kombo(&client, &b, &body).send().await.unwrap();
    assert_eq!(copy.status(), 503);
    assert_eq!(first.await.unwrap().unwrap().status(), 200);
    assert_eq!(quick.orders.load(Ordering::SeqCst), 0);

    // a's vendor fails: its claim is given back, and b answers the copy
    slow.fail_next.store(1, Ordering::SeqCst);
    let body = kombo_order("ord-released");
    let failed = signed_kombo(&client, &a, &body).send().await.unwrap();
    assert_eq!(failed.status(), 503);
    let copy = signed_kombo(&client, &b, &body).send().await.unwrap();
    assert_eq!(copy.status(), 200);
    assert_eq!(quick.orders.load(Ordering::SeqCst), 1);
}

/// A cancellation through the intake marks the stored order cancelled
/// (Ashby's `assessment.cancel`, with the vendor's id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_marks_the_order_cancelled() {
    let store = sqlite_store().await;
    let acme = ats_core::TenantId::new("acme");
    store
        .add_key(
            "ashby",
            &acme,
            &ats_core::Secret::new("ashby_partner_key_acme_7f3c"),
        )
        .await
        .unwrap();
    let id = "c8b7a6d5-4e3f-4a1b-9c2d-8e7f6a5b4c3d";
    let handle: ats_core::OrderHandle = serde_json::from_value(json!({
        "provider": "ashby", "tenant": "acme", "vendor_assessment_id": id
    }))
    .unwrap();
    store.save_order(&handle).await.unwrap();
    let ashby = ats_ashby::Ashby::builder()
        .key_directory(std::sync::Arc::new(store.issued_keys("ashby")))
        .build()
        .unwrap();
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter(ashby)
        .build()
        .unwrap();
    let base = serve(runtime).await;
    let r = reqwest::Client::new()
        .post(format!("{base}/ashby/assessment.cancel"))
        .basic_auth("ashby_partner_key_acme_7f3c", Some(""))
        .header("content-type", "application/json")
        .body(json!({"assessment_id": id}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let order = store
        .order_by_vendor_id(Some("ashby"), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status, "cancelled");
}

/// `shutdown` stops the workers: a delivery still running after the grace
/// period is abandoned and its claim given back, so the result is due
/// again for the next start (not lost, not stuck as "delivering").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_back_a_claim_still_held_after_the_grace() {
    let mock = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&mock)
        .await;
    let store = sqlite_store().await;
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter(kombo(&mock))
        .with_workers(1)
        .with_poll_interval(Duration::from_millis(20))
        .build()
        .unwrap();
    let id = runtime
        .report(&kombo_handle("ord-stop", "asm-stop"), &completed())
        .await
        .unwrap();
    runtime.start();
    wait_until(|| async {
        store.outbox_item(id).await.unwrap().unwrap().state == ItemState::Delivering
    })
    .await;
    runtime.shutdown(Duration::from_millis(100)).await;
    let item = store.outbox_item(id).await.unwrap().unwrap();
    assert_eq!(item.state, ItemState::Pending, "{item:?}");
    assert_eq!(mock.received_requests().await.unwrap().len(), 1);
}

/// Started, the runtime prunes at once (then hourly): log rows and
/// delivered results older than the retention go, newer ones stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_runtime_prunes_the_log_and_the_outbox_to_its_retention() {
    let mock = MockServer::start().await;
    let (store, url) = sqlite_store_at().await;
    let now = chrono::Utc::now();
    for (age, operation) in [(40, "old"), (1, "recent")] {
        let at = now - chrono::Duration::days(age);
        let row = ats_store::Activity::new(at, ats_store::Flow::Inbound, "kombo", operation);
        store.record_activity(&row).await.unwrap();
        // a result delivered at that time (the store's clock set back)
        let then = Store::builder()
            .with_url(&url)
            .with_key_ring(ring())
            .with_clock(ats_core::Clock::fixed(at))
            .build()
            .await
            .unwrap();
        let handle = kombo_handle(&format!("ord-{operation}"), &format!("asm-{operation}"));
        let id = then.enqueue_result(&handle, &completed()).await.unwrap();
        let claim = then
            .claim_result("w", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(claim.map(|c| c.item.id), Some(id));
        assert!(then.mark_delivered(id, "w", None).await.unwrap());
    }
    let outbox = || async {
        let items = store.outbox_items(&OutboxFilter::default()).await.unwrap();
        items.len()
    };
    assert_eq!(outbox().await, 2);
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter(kombo(&mock))
        .with_retention(Duration::from_secs(30 * 86_400))
        .build()
        .unwrap();
    runtime.start();
    let operations = || async {
        let log = store.activity(&ActivityQuery::default()).await.unwrap();
        log.into_iter().map(|a| a.operation).collect::<Vec<_>>()
    };
    wait_until(|| async { operations().await == ["recent"] && outbox().await == 1 }).await;
    let left = store.outbox_items(&OutboxFilter::default()).await.unwrap();
    assert_eq!(left[0].state, ItemState::Delivered);
    let recent = store
        .order_by_vendor_id(Some("kombo"), "asm-recent")
        .await
        .unwrap();
    assert_eq!(recent.map(|o| o.id), Some(left[0].order_id));
    runtime.shutdown(Duration::from_secs(5)).await;
}
