//! The gateway in process, against a stand-in vendor service (axum) that
//! verifies each event's Standard Webhooks signature, and a stand-in ATS
//! (wiremock).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ats_core::Secret;
use ats_core::signature::{SignatureEncoding, sign};
use ats_gateway::{Gateway, GatewayConfig};
use ats_store::ActivityQuery;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SIGNING_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const API_KEY: &str = "api-key-for-tests";
const KOMBO_SECRET: &str = "kombo-webhook-secret";

const ACCEPT: u8 = 0;
const DOWN: u8 = 1;
const SLOW: u8 = 2;
const REJECT: u8 = 3;
/// Answers 200 with JSON that is not a reply.
const NONSENSE: u8 = 4;
/// Answers 200 with a reply padded past the most the gateway reads.
const HUGE: u8 = 5;

#[derive(Clone, Default)]
struct StandIn {
    mode: Arc<AtomicU8>,
    /// (webhook-id, body) of every verified event.
    events: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn vendor(
    State(s): State<StandIn>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let webhook = standardwebhooks::Webhook::new(SIGNING_SECRET).unwrap();
    if webhook.verify(&body, &headers).is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let event: Value = serde_json::from_slice(&body).unwrap();
    let id = headers["webhook-id"].to_str().unwrap().to_owned();
    s.events.lock().unwrap().push((id, event.clone()));
    match s.mode.load(Ordering::SeqCst) {
        DOWN => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        SLOW => tokio::time::sleep(Duration::from_secs(3)).await,
        REJECT => {
            return axum::Json(json!({"type": "rejected", "reason": "quota_exceeded", "message": "Plan limit reached."}))
                .into_response();
        }
        NONSENSE => return axum::Json(json!({"type": "maybe"})).into_response(),
        HUGE => {
            return axum::Json(json!({
                "type": "accepted",
                "vendor_assessment_id": "rs-huge",
                "padding": "x".repeat(ats_gateway::MAX_VENDOR_ANSWER_BYTES),
            }))
            .into_response();
        }
        _ => {}
    }
    let reply = match event["type"].as_str().unwrap() {
        "order_received" => json!({
            "type": "accepted",
            "vendor_assessment_id": event["gateway"]["vendor_assessment_id"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("rs-{}", event["candidate"]["id"].as_str().unwrap_or("x"))),
            "candidate_url": "https://quiz.example.com/take/1"
        }),
        "packages_requested" => {
            json!({"type": "packages", "packages": [{"id": "pkg-rust-senior", "name": "Rust"}]})
        }
        _ => json!({"type": "acknowledged"}),
    };
    axum::Json(reply).into_response()
}

async fn start_vendor() -> (StandIn, String) {
    let s = StandIn::default();
    let app = axum::Router::new()
        .route("/events", axum::routing::post(vendor))
        .with_state(s.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (s, url)
}

fn secret_file(dir: &std::path::Path, name: &str, value: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, value).unwrap();
    format!("file:{}", p.display())
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ats-gateway-tests-{}-{}",
        std::process::id(),
        fastrand_u64()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fastrand_u64() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

fn config_text(dir: &std::path::Path, vendor_url: &str, ats: &str, signing: &str) -> String {
    format!(
        r#"
database_url = "sqlite://{db}"
encryption_key = "{key}"
public_url = "https://ats.vendor.example"

[vendor]
url = "{vendor_url}"
signing_secret = "{signing}"
deadline_ms = 1000

[api]
key = "{api}"

[providers.ashby]
base_url = "{ats}"

[providers.kombo]
base_url = "{ats}"
api_key = "{kombo_key}"
webhook_secret = "{kombo_secret}"
"#,
        db = dir.join("gw.db").display(),
        key = secret_file(dir, "key", "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        signing = signing,
        api = secret_file(dir, "api", API_KEY),
        kombo_key = secret_file(dir, "kombo-key", "kombo-api-key"),
        kombo_secret = secret_file(dir, "kombo-secret", KOMBO_SECRET),
    )
}

struct Setup {
    gateway: Gateway,
    base: String,
    standin: StandIn,
    ats: MockServer,
}

/// The gateway of `config`, served on a free port (its base URL).
async fn serve(config: &GatewayConfig) -> (Gateway, String) {
    let gateway = Gateway::from_config(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = gateway.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (gateway, base)
}

async fn setup() -> Setup {
    let ats = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": {}})),
        )
        .mount(&ats)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "results": {}})),
        )
        .mount(&ats)
        .await;
    let (standin, vendor_url) = start_vendor().await;
    let d = dir();
    let signing = secret_file(&d, "signing", SIGNING_SECRET);
    let config = GatewayConfig::parse(&config_text(&d, &vendor_url, &ats.uri(), &signing)).unwrap();
    let (gateway, base) = serve(&config).await;
    Setup {
        gateway,
        base,
        standin,
        ats,
    }
}

fn kombo_body(order: &str) -> String {
    json!({
        "id": format!("evt-{order}"), "type": "assessment:order-received",
        "data": {"id": order, "package_id": "pkg-rust-senior", "status": "OPEN",
            "integration_id": "int-1",
            "candidate": {"remote_id": "c1", "email": "mira@example.com", "first_name": "Mira", "last_name": "Okafor"},
            "job": {"remote_id": "j1", "name": "Rust", "hiring_team": []}}
    })
    .to_string()
}

async fn kombo_order(base: &str, order: &str) -> reqwest::Response {
    kombo_post(base, kombo_body(order)).await
}

/// POSTs `body` to the gateway's Kombo webhook, signed.
async fn kombo_post(base: &str, body: String) -> reqwest::Response {
    let sig = sign(
        &Secret::new(KOMBO_SECRET),
        body.as_bytes(),
        SignatureEncoding::Base64UrlNoPad,
    );
    reqwest::Client::new()
        .post(format!("{base}/kombo/webhooks"))
        .header("x-kombo-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn ashby_start(s: &Setup, candidate: &str) -> reqwest::Response {
    let created: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/connections", s.base))
        .bearer_auth(API_KEY)
        .body(json!({"provider": "ashby", "tenant": "acme", "api_key": "customer-key"}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = created["issued_key"].as_str().unwrap().to_owned();
    reqwest::Client::new()
        .post(format!("{}/ashby/assessment.start", s.base))
        .basic_auth(key, Some(""))
        .body(
            json!({
                "assessment_type_id": "pkg-rust-senior",
                "candidate": {"ashby_id": candidate, "first_name": "Mira", "last_name": "Okafor",
                    "email": "mira@example.com", "ashby_profile_url": "https://app.ashbyhq.com/candidates/c-1"}
            })
            .to_string(),
        )
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap()
}

/// The activity rows of the gateway's calls to the vendor, oldest first.
/// Reports `body` as a result for the order the vendor knows as `id`,
/// through the REST API with its key.
async fn report(s: &Setup, id: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/orders/{id}/result", s.base))
        .bearer_auth(API_KEY)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn vendor_calls(s: &Setup) -> Vec<ats_store::Activity> {
    let mut log = s
        .gateway
        .store()
        .activity(&ActivityQuery {
            provider: Some("vendor".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    log.sort_by_key(|a| a.id);
    log
}

async fn wait_until<F: Fn() -> bool>(what: &str, check: F) {
    for _ in 0..400 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synchronous_order_waits_for_the_vendor_and_a_slow_vendor_gets_the_providers_error() {
    let s = setup().await;
    let r = ashby_start(&s, "c-1").await;
    assert_eq!(r.status(), 200);
    let mut body: Value = r.json().await.unwrap();
    // the vendor's candidate link goes back in Ashby's update_request, stamped
    // with the gateway's clock
    let update = body["results"]
        .as_object_mut()
        .unwrap()
        .remove("update_request")
        .unwrap();
    assert!(update["timestamp"].is_u64(), "{update}");
    assert_eq!(
        update["metadata"],
        json!([{"identifier": "candidate_url", "label": "Assessment link", "type": "url",
                "value": "https://quiz.example.com/take/1"}])
    );
    assert_eq!(
        body,
        json!({"success": true, "results": {"assessment_id": "rs-c-1"}})
    );
    let events = s.standin.events.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1["type"], "order_received");
    assert_eq!(events[0].1["gateway"]["answer"], "sync");
    assert_eq!(
        events[0].1["candidate"]["emails"][0]["address"],
        "mira@example.com"
    );
    assert!(events[0].0.starts_with("evt_"));

    // slower than the deadline: Ashby gets its error shape, 503, and may retry
    s.standin.mode.store(SLOW, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let r = ashby_start(&s, "c-2").await;
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "the deadline holds"
    );
    assert_eq!(r.status(), 503);
    // down: the same
    s.standin.mode.store(DOWN, Ordering::SeqCst);
    let r = ashby_start(&s, "c-3").await;
    assert_eq!(r.status(), 503);
    // the same call again, the vendor back: answered now (nothing was kept
    // of the failed attempt)
    s.standin.mode.store(ACCEPT, Ordering::SeqCst);
    let r = ashby_start(&s, "c-3").await;
    assert_eq!(r.status(), 200);
    let orders = s.gateway.store().orders(&Default::default()).await.unwrap();
    assert_eq!(orders.len(), 2);
    // an answer that is not a reply: the provider's error, and a failure in the log
    s.standin.mode.store(NONSENSE, Ordering::SeqCst);
    let r = ashby_start(&s, "c-4").await;
    assert_eq!(r.status(), 500);
    s.standin.mode.store(REJECT, Ordering::SeqCst);
    let r = ashby_start(&s, "c-5").await;
    assert_eq!(r.status(), 422);

    // every call to the vendor is logged with the order and candidate it
    // concerns (the vendor's id once it accepted), its outcome and status
    let log = vendor_calls(&s).await;
    let rows: Vec<_> = log
        .iter()
        .map(|a| {
            (
                a.operation.as_str(),
                a.order_id.as_deref(),
                a.candidate_id.as_deref(),
                a.attempt,
                a.ok,
                a.error_kind.as_deref(),
                a.http_status,
            )
        })
        .collect();
    let (ask, vendor) = ("event:order_received", Some("vendor"));
    assert_eq!(
        rows,
        vec![
            (ask, Some("rs-c-1"), Some("c-1"), Some(1), true, None, None),
            (ask, None, Some("c-2"), Some(1), false, vendor, None),
            (ask, None, Some("c-3"), Some(1), false, vendor, Some(503)),
            (ask, Some("rs-c-3"), Some("c-3"), Some(1), true, None, None),
            (ask, None, Some("c-4"), Some(1), false, vendor, None),
            (ask, None, Some("c-5"), Some(1), true, None, None),
        ]
    );
    let messages: Vec<_> = log.iter().map(|a| a.message.as_deref()).collect();
    assert_eq!(messages[0], None);
    assert!(
        messages[2].is_some_and(|m| m.contains("the vendor answered HTTP 503")),
        "{messages:?}"
    );
    assert!(
        messages[4].is_some_and(|m| m.contains("is not a reply")),
        "{messages:?}"
    );
    assert_eq!(messages[5], Some("rejected: Plan limit reached."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_answer_larger_than_the_gateway_reads_is_refused() {
    let s = setup().await;
    s.standin.mode.store(HUGE, Ordering::SeqCst);
    let r = ashby_start(&s, "c-9").await;
    // the vendor's mistake: Ashby gets its internal error, nothing is kept
    assert_eq!(r.status(), 500);
    assert!(
        s.gateway
            .store()
            .orders(&Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    let log = vendor_calls(&s).await;
    let rows: Vec<_> = log
        .iter()
        .map(|a| {
            (
                a.ok,
                a.error_kind.as_deref(),
                a.http_status,
                a.message.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![(
            false,
            Some("vendor"),
            Some(200),
            Some(
                "vendor internal error: the vendor's answer (HTTP 200) is larger than \
                 4194304 bytes, the most the gateway reads"
            )
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_event_answered_past_the_limit_is_sent_again_later() {
    let s = setup().await;
    s.standin.mode.store(HUGE, Ordering::SeqCst);
    let r = kombo_order(&s.base, "ord-huge").await;
    assert_eq!(r.status(), 200, "Kombo gets its acknowledgement");
    s.gateway.start();
    let failed = || async {
        s.gateway
            .store()
            .vendor_events(None, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.attempts >= 1 && e.last_error.is_some())
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let event = loop {
        if let Some(e) = failed().await {
            break e;
        }
        assert!(std::time::Instant::now() < deadline, "no failed attempt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    s.gateway.shutdown(Duration::from_secs(5)).await;
    // not taken as an answer: pending again, with why and the status
    assert_eq!(event.state, ats_store::ItemState::Pending);
    assert_eq!(
        (event.last_error.as_deref(), event.last_http_status),
        (
            Some(
                "the vendor's answer (HTTP 200) is larger than 4194304 bytes, \
                 the most the gateway reads"
            ),
            Some(200)
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_order_is_acknowledged_while_the_vendor_is_down_and_forwarded_later() {
    let s = setup().await;
    s.standin.mode.store(DOWN, Ordering::SeqCst);
    let r = kombo_order(&s.base, "ord-down").await;
    assert_eq!(r.status(), 200, "Kombo gets its acknowledgement");
    let orders = s.gateway.store().orders(&Default::default()).await.unwrap();
    assert_eq!(orders.len(), 1);
    let minted = orders[0].handle.vendor_assessment_id.clone().unwrap();
    assert!(minted.starts_with("gw_"));
    let asynchronous = |s: &Setup| {
        s.standin
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.1["gateway"]["answer"] == "async")
            .cloned()
            .collect::<Vec<_>>()
    };
    // it was offered at once (Kombo can show a rejection), then queued
    assert_eq!(s.standin.events.lock().unwrap().len(), 1);
    s.gateway.start();
    wait_until("a failed attempt", || !asynchronous(&s).is_empty()).await;
    // back up: make the retry due now and let it go through
    s.standin.mode.store(ACCEPT, Ordering::SeqCst);
    sqlx_due_now(&s).await;
    wait_until("the forwarded order", || asynchronous(&s).len() >= 2).await;
    let events = asynchronous(&s);
    assert_eq!(
        events[0].0, events[1].0,
        "the same webhook-id on every attempt"
    );
    assert_eq!(events[1].1["gateway"]["vendor_assessment_id"], minted);
    assert_eq!(events[1].1["provider_order_id"], "ord-down");
    s.gateway.shutdown(Duration::from_secs(5)).await;
    // each call to the vendor is logged with its order and candidate: the
    // offer by the provider's id, the queued attempts by the minted one
    let log = vendor_calls(&s).await;
    let rows: Vec<_> = log
        .iter()
        .map(|a| {
            (
                a.order_id.as_deref(),
                a.candidate_id.as_deref(),
                a.attempt,
                a.ok,
                a.http_status,
            )
        })
        .collect();
    let minted = Some(minted.as_str());
    assert_eq!(
        rows,
        vec![
            (Some("ord-down"), Some("c1"), Some(1), false, Some(503)),
            (minted, Some("c1"), Some(1), false, Some(503)),
            (minted, Some("c1"), Some(2), true, None),
        ]
    );
}

async fn sqlx_due_now(s: &Setup) {
    for _ in 0..100 {
        let n = ats_store_update(s).await;
        if n > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn ats_store_update(s: &Setup) -> u64 {
    use sqlx::Executor;
    s.gateway
        .store()
        .pool()
        .execute(
            "UPDATE vendor_events SET next_attempt_at = 0 WHERE state = 'pending' AND attempts > 0",
        )
        .await
        .unwrap()
        .rows_affected()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_rejecting_a_kombo_order_is_shown_to_the_recruiter() {
    let s = setup().await;
    s.standin.mode.store(REJECT, Ordering::SeqCst);
    let r = kombo_order(&s.base, "ord-rej").await;
    assert_eq!(
        r.status(),
        422,
        "Kombo's rejection, with the vendor's message"
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("Plan limit reached."), "{body}");
    assert!(
        s.gateway
            .store()
            .orders(&Default::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_bad_keys_and_unknown_orders_as_problems() {
    let s = setup().await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/api/v1/orders", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["status"], 401);
    assert_eq!(
        p["type"],
        "https://ats-connect.dev/problems/unauthenticated"
    );
    let r = http
        .get(format!("{}/api/v1/orders", s.base))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = report(&s, "nope", r#"{"status":"completed"}"#).await;
    assert_eq!(r.status(), 404);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["detail"], "no order `nope`");
    let r = report(&s, "nope", r#"{"status":"finished"}"#).await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("status"), "{p}");
    // an order whose provider is no longer configured: asking again cannot
    // help, so it is an internal error, not "unavailable"
    let ghost: ats_core::OrderHandle = serde_json::from_value(json!({
        "provider": "ghost", "tenant": "t1", "vendor_assessment_id": "asm-ghost",
        "provider_order_id": "po-ghost"
    }))
    .unwrap();
    s.gateway.store().save_order(&ghost).await.unwrap();
    let r = report(&s, "asm-ghost", r#"{"status":"completed"}"#).await;
    assert_eq!(r.status(), 500);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://ats-connect.dev/problems/internal");
    assert_eq!(
        p["detail"],
        "runtime configuration error: no adapter named `ghost` is configured for this order"
    );
    // a query or a path that does not parse is a problem too, not plain text
    for (method, path, status, detail) in [
        (
            "GET",
            "/api/v1/activity?limit=-1",
            422,
            "Failed to deserialize query string: limit: invalid digit found in string",
        ),
        (
            "GET",
            "/api/v1/orders?limit=many",
            422,
            "Failed to deserialize query string: limit: invalid digit found in string",
        ),
        (
            "POST",
            "/api/v1/outbox/abc/retry",
            404,
            "no outbox item `abc`",
        ),
        ("POST", "/api/v1/events/1e3/retry", 404, "no event `1e3`"),
        (
            "POST",
            "/api/v1/outbox/42/retry",
            404,
            "no outbox item `42`",
        ),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = http
            .request(method, format!("{}{path}", s.base))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["detail"], detail, "{path}");
    }
    // a body over the API's limit (axum's default, 2 MiB) too
    let r = report(&s, "nope", vec![b' '; 3 << 20]).await;
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://ats-connect.dev/problems/body-too-large");
    // the OpenAPI document is served, without a key, and is the committed one
    let doc = http
        .get(format!("{}/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let committed = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json"),
    )
    .expect("docs/openapi.json (regenerate: cargo run -p ats-cli -- openapi > docs/openapi.json)");
    assert_eq!(
        doc.trim_end(),
        committed.trim_end(),
        "docs/openapi.json is out of date"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_reported_twice_go_out_in_order_and_the_order_shows_its_history() {
    let s = setup().await;
    assert_eq!(kombo_order(&s.base, "ord-2x").await.status(), 200);
    let orders = s.gateway.store().orders(&Default::default()).await.unwrap();
    let id = orders[0].handle.vendor_assessment_id.clone().unwrap();
    let http = reqwest::Client::new();
    // a completed result Kombo can never take (no report URL) is refused
    // at once, not queued to die later
    let refused = report(
        &s,
        &id,
        r#"{"status":"completed","score":{"value":3,"max":4}}"#,
    )
    .await;
    assert_eq!(refused.status(), 422);
    let p: Value = refused.json().await.unwrap();
    assert_eq!(
        p["type"],
        "https://ats-connect.dev/problems/result-incomplete"
    );
    assert_eq!(
        p["detail"],
        "kombo cannot take this result without a report_url (Kombo requires a result_url with every result)"
    );
    // and so is a link a recruiter could not safely open
    let refused = report(
        &s,
        &id,
        r#"{"status":"completed","report_url":"javascript:alert(document.cookie)"}"#,
    )
    .await;
    assert_eq!(refused.status(), 422);
    let p: Value = refused.json().await.unwrap();
    assert_eq!(p["type"], "https://ats-connect.dev/problems/result-invalid");
    assert_eq!(
        p["detail"],
        "malformed payload at `report_url`: a link must be an http or https URL, not `javascript:`"
    );
    for body in [
        r#"{"status":"expired","report_url":"https://quiz.example.com/r/1"}"#,
        r#"{"status":"completed","score":{"value":3,"max":4},"report_url":"https://quiz.example.com/r/1"}"#,
    ] {
        let r = report(&s, &id, body).await;
        assert_eq!(r.status(), 202);
    }
    s.gateway.start();
    for _ in 0..400 {
        if !s.ats.received_requests().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = s.ats.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1, "the superseded status is not sent");
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body["status"], "COMPLETED");
    let view: Value = http
        .get(format!("{}/api/v1/orders/{id}", s.base))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "completed");
    assert_eq!(view["deliveries"].as_array().unwrap().len(), 2);
    assert_eq!(view["deliveries"][0]["state"], "superseded");
    assert_eq!(view["deliveries"][1]["state"], "delivered");
    // the order was decided synchronously: no queued event, one logged call
    assert_eq!(view["events"], json!([]));
    let log: Value = http
        .get(format!("{}/api/v1/activity?provider=vendor", s.base))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let calls: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["operation"].as_str().unwrap())
        .collect();
    assert_eq!(calls, vec!["event:order_received"]);
    s.gateway.shutdown(Duration::from_secs(5)).await;
}

/// Only a dead result or event is queued again by the API (202); anything
/// else is a conflict (409). An order's view shows its own deliveries only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_dead_items_are_retried_and_an_order_shows_its_own_deliveries() {
    use sqlx::Executor;
    let s = setup().await;
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    // two candidates: the stand-in vendor names its assessment after one
    for (order, candidate) in [("ord-r1", "c1"), ("ord-r2", "c2")] {
        let body = kombo_body(order).replace(
            r#""remote_id":"c1""#,
            &format!(r#""remote_id":"{candidate}""#),
        );
        assert!(body.contains(candidate));
        assert_eq!(kombo_post(&s.base, body).await.status(), 200);
        let known = s
            .gateway
            .store()
            .order_by_provider_id("kombo", None, order)
            .await
            .unwrap()
            .unwrap();
        let id = known.handle.vendor_assessment_id.unwrap();
        let r = report(
            &s,
            &id,
            r#"{"status":"expired","report_url":"https://quiz.example.com/r/1"}"#,
        )
        .await;
        assert_eq!(r.status(), 202);
        ids.push(id);
    }
    // the workers are not started: both results wait in the outbox
    let items = s
        .gateway
        .store()
        .outbox_items(&Default::default())
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    let view: Value = http
        .get(format!("{}/api/v1/orders/{}", s.base, ids[0]))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deliveries = view["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1, "{view}");
    let mine = items
        .iter()
        .find(|i| i.order_id == deliveries[0]["order_id"].as_i64().unwrap())
        .unwrap();
    assert_eq!(deliveries[0]["id"], mine.id);

    let retry = async |path: String| {
        let r = http
            .post(format!("{}{path}", s.base))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap())
    };
    // and an event to the vendor
    let event = s
        .gateway
        .store()
        .enqueue_event(&ats_store::NewVendorEvent {
            event_id: "evt_retry_1",
            kind: "order_cancelled",
            provider: "kombo",
            tenant: Some("int-1"),
            order_key: None,
            payload: &json!({"type": "order_cancelled"}),
        })
        .await
        .unwrap()
        .unwrap();
    for (id, table, path, name) in [
        (mine.id, "outbox", "outbox", "outbox item"),
        (event, "vendor_events", "events", "event"),
    ] {
        let url = format!("/api/v1/{path}/{id}/retry");
        let (status, problem) = retry(url.clone()).await;
        assert_eq!(
            (status, &problem["type"]),
            (409, &json!("https://ats-connect.dev/problems/not-dead"))
        );
        assert_eq!(problem["detail"], format!("{name} {id} is not dead"));
        s.gateway
            .store()
            .pool()
            .execute(format!("UPDATE {table} SET state = 'dead' WHERE id = {id}").as_str())
            .await
            .unwrap();
        assert_eq!(retry(url.clone()).await, (202, json!({"id": id})));
        assert_eq!(retry(url).await.0, 409, "{name} {id} is pending again");
    }
    let again = s
        .gateway
        .store()
        .outbox_item(mine.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.state, ats_store::ItemState::Pending);
}

/// Workable's callback token may be given at the top level of a connection
/// request (or under `secrets`); it is stored sealed for the tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workable_connection_keeps_its_callback_token() {
    let (_standin, vendor_url) = start_vendor().await;
    let d = dir();
    let signing = secret_file(&d, "signing", SIGNING_SECRET);
    let text = format!(
        "{}\n[providers.workable]\n",
        config_text(&d, &vendor_url, "https://unused.example", &signing)
    );
    let config = GatewayConfig::parse(&text).unwrap();
    let (gateway, base) = serve(&config).await;
    let http = reqwest::Client::new();
    for (tenant, body) in [
        ("acme", json!({"callback_token": " wk-cb-acme "})),
        (
            "globex",
            json!({"secrets": {"callback_token": "wk-cb-globex"}}),
        ),
    ] {
        let mut body = body;
        body["provider"] = json!("workable");
        body["tenant"] = json!(tenant);
        let r = http
            .post(format!("{base}/api/v1/connections"))
            .bearer_auth(API_KEY)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{tenant}");
        let created: Value = r.json().await.unwrap();
        assert!(
            created["issued_key"]
                .as_str()
                .is_some_and(|k| !k.is_empty())
        );
    }
    for (tenant, token) in [("acme", "wk-cb-acme"), ("globex", "wk-cb-globex")] {
        let stored = gateway
            .store()
            .secret(
                "workable",
                &ats_core::TenantId::new(tenant),
                "callback_token",
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.expose(), token);
    }
    let missing = http
        .post(format!("{base}/api/v1/connections"))
        .bearer_auth(API_KEY)
        .body(
            json!({"provider": "workable", "tenant": "initech", "callback_token": "  "})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 422);
}

#[test]
fn configuration_mistakes_are_named() {
    let d = dir();
    let ok = config_text(
        &d,
        "http://127.0.0.1:9/events",
        "http://127.0.0.1:9",
        &secret_file(&d, "s", SIGNING_SECRET),
    );
    let config = GatewayConfig::parse(&ok).unwrap();
    let described = config.describe();
    assert!(
        described.contains("provider      kombo       https://ats.vendor.example/kombo/…"),
        "{described}"
    );
    for secret in [
        SIGNING_SECRET,
        API_KEY,
        KOMBO_SECRET,
        "kombo-api-key",
        "AAECAwQF",
    ] {
        assert!(!described.contains(secret), "{secret} printed");
        assert!(!format!("{config:?}").contains(secret), "{secret} in Debug");
    }
    let cases = [
        (
            ok.replace(&secret_file(&d, "s", SIGNING_SECRET), SIGNING_SECRET),
            "vendor.signing_secret: secrets are not written in the file",
        ),
        (
            ok.replace(
                &secret_file(&d, "s", SIGNING_SECRET),
                "${ATS_TEST_UNSET_VARIABLE}",
            ),
            "environment variable ATS_TEST_UNSET_VARIABLE is not set",
        ),
        (
            ok.replace(
                &secret_file(&d, "s", SIGNING_SECRET),
                &secret_file(&d, "bad", "not base64 !"),
            ),
            "vendor.signing_secret: expected `whsec_`",
        ),
        (
            ok.replace("[providers.ashby]", "[providers.taleo]"),
            "[providers.taleo]: unknown provider",
        ),
        (
            ok.replace("deadline_ms = 1000", "deadline_ms = 1000\ncolour = 1"),
            "unknown field `colour`",
        ),
        // a provider section takes what its adapter declares, nothing else
        (
            ok.replace(
                "[providers.ashby]",
                "[providers.ashby]\nwebhook_secret = \"${HOME}\"",
            ),
            "[providers.ashby]: unknown key `webhook_secret`; ashby takes base_url",
        ),
        (
            ok.replace(
                "[providers.ashby]",
                "[providers.greenhouse]\napi_key = \"${HOME}\"",
            ),
            "[providers.greenhouse]: unknown key `api_key`; greenhouse takes no keys",
        ),
        // a secret setting is never written in the file
        (
            ok.replace(
                "[providers.ashby]",
                "[providers.knit]\napi_key = \"knit-key\"",
            ),
            "providers.knit.api_key: secrets are not written in the file",
        ),
    ];
    for (text, expected) in cases {
        let e = GatewayConfig::parse(&text).unwrap_err().to_string();
        assert!(e.contains(expected), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_and_packages_refuse_what_they_cannot_use() {
    let s = setup().await;
    let http = reqwest::Client::new();
    let post = |body: Value| {
        http.post(format!("{}/api/v1/connections", s.base))
            .bearer_auth(API_KEY)
            .body(body.to_string())
            .send()
    };
    // a provider the gateway does not serve
    let r = post(json!({"provider": "workable", "tenant": "acme"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["detail"], "no provider `workable`");
    // Ashby needs the customer's own key for results
    let r = post(json!({"provider": "ashby", "tenant": "acme"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        p["detail"],
        "api_key: required for ashby (the customer's Ashby API key, for assessment.update)"
    );
    // a tenant that cannot stand in a path
    let r = post(json!({"provider": "kombo", "tenant": "a/b"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // Kombo: the webhook URL to paste, no key
    let created: Value = post(json!({"provider": "kombo", "tenant": "int-1"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        created["endpoint_url"],
        "https://ats.vendor.example/kombo/webhooks"
    );
    assert_eq!(created["issued_key"], Value::Null);

    // packages for a push-model provider are published to it at once
    let r = http
        .put(format!(
            "{}/api/v1/connections/kombo/int-1/packages",
            s.base
        ))
        .bearer_auth(API_KEY)
        .body(r#"[{"id": "pkg-rust-senior", "name": "Rust (senior)", "kind": "coding"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let sent = s.ats.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method.as_str(), "PUT");
    assert_eq!(sent[0].url.path(), "/assessment/packages");
    assert_eq!(sent[0].headers["x-integration-id"], "int-1");
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body["packages"][0]["id"], "pkg-rust-senior");
    // a body that is not a package list
    let r = http
        .put(format!("{}/api/v1/packages", s.base))
        .bearer_auth(API_KEY)
        .body(r#"{"id": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // a list with a package no provider could order, for every tenant or
    // one connection: refused, nothing published
    for path in [
        "/api/v1/packages",
        "/api/v1/connections/kombo/int-1/packages",
    ] {
        let r = http
            .put(format!("{}{path}", s.base))
            .bearer_auth(API_KEY)
            .body(r#"[{"id": "pkg-a", "name": "A"}, {"id": " ", "name": "B"}]"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{path}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(
            p["detail"], "malformed payload at `packages[1].id`: is blank",
            "{path}"
        );
    }
    assert_eq!(s.ats.received_requests().await.unwrap().len(), 1);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_connects_lever_through_oauth_once_per_authorization() {
    use wiremock::matchers::{body_string_contains, path};
    let lever = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "lvr-at-acme-1", "refresh_token": "lvr-rt-acme-1",
            "token_type": "Bearer", "expires_in": 3600,
            "scope": "offline_access opportunities:read:admin notes:write:admin"
        })))
        .expect(1)
        .mount(&lever)
        .await;
    let (_standin, vendor_url) = start_vendor().await;
    let d = dir();
    let signing = secret_file(&d, "signing", SIGNING_SECRET);
    let text = format!(
        "{}\n[providers.lever]\nbase_url = \"{uri}/v1\"\noauth_base_url = \"{uri}\"\nclient_id = \"lever-client-7\"\nclient_secret = \"{secret}\"\n",
        config_text(&d, &vendor_url, &lever.uri(), &signing),
        uri = lever.uri(),
        secret = secret_file(&d, "lever-secret", "lever-client-secret"),
    );
    let config = GatewayConfig::parse(&text).unwrap();
    assert!(
        config
            .describe()
            .contains("OAuth redirect URI https://ats.vendor.example/oauth/lever/callback"),
        "{}",
        config.describe()
    );
    let (gateway, base) = serve(&config).await;
    let http = reqwest::Client::new();
    // the connection: signature tokens, trigger stages, the notes' author
    let created = http
        .post(format!("{base}/api/v1/connections"))
        .bearer_auth(API_KEY)
        .body(
            json!({
                "provider": "lever",
                "tenant": "acme",
                "signature_tokens": ["lever-sig-1", "lever-sig-2"],
                "trigger_stages": {"stage-tech": "pkg-rust"},
                "perform_as": "user-42"
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        created["endpoint_url"],
        "https://ats.vendor.example/lever/acme/webhook"
    );
    use ats_lever::ConnectionStore as _;
    let stored = ats_store::LeverConnections::load(gateway.store())
        .await
        .unwrap()
        .connection(&ats_core::TenantId::new("acme"));
    assert_eq!(
        stored,
        Some(
            ats_lever::LeverConnection::new()
                .signature_token("lever-sig-1")
                .signature_token("lever-sig-2")
                .trigger_stage("stage-tech", "pkg-rust")
                .perform_as("user-42")
        )
    );
    let authorize = |tenant: &'static str| {
        http.post(format!(
            "{base}/api/v1/connections/lever/{tenant}/authorize"
        ))
        .bearer_auth(API_KEY)
        .send()
    };

    // the vendor's service asks where to send acme's Lever admin
    let answer = authorize("acme").await.unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(
        answer["callback_url"],
        "https://ats.vendor.example/oauth/lever/callback"
    );
    let url = url::Url::parse(answer["authorization_url"].as_str().unwrap()).unwrap();
    assert_eq!(url.path(), "/authorize");
    let query: std::collections::BTreeMap<String, String> =
        url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "lever-client-7");
    assert_eq!(query["response_type"], "code");
    assert_eq!(
        query["redirect_uri"],
        "https://ats.vendor.example/oauth/lever/callback"
    );
    assert!(query["scope"].split(' ').any(|s| s == "offline_access"));
    let state = query["state"].clone();
    assert!(state.len() >= 16, "{state}");
    // the link for the administrator redirects to that consent page
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let connect = answer["connect_url"].as_str().unwrap();
    assert_eq!(
        connect,
        format!("https://ats.vendor.example/oauth/lever/connect?state={state}")
    );
    let local_connect = connect.replace("https://ats.vendor.example", &base);
    let redirect = no_redirects.get(&local_connect).send().await.unwrap();
    assert_eq!(redirect.status(), 303);
    assert_eq!(
        redirect.headers()["location"],
        answer["authorization_url"].as_str().unwrap()
    );
    let forged = no_redirects
        .get(format!("{base}/oauth/lever/connect?state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 410);
    // the pending state is kept as a digest only, bound to the tenant
    let pending = gateway
        .store()
        .settings("lever", "oauth_state")
        .await
        .unwrap();
    let acme = ats_core::TenantId::new("acme");
    assert_eq!(pending.len(), 1);
    assert!(pending[&acme].keys().all(|k| k.len() == 64 && *k != state));
    // an API call without the key cannot start a connection
    let unauthenticated = http
        .post(format!("{base}/api/v1/connections/lever/acme/authorize"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let callback = |query: String| {
        http.get(format!("{base}/oauth/lever/callback?{query}"))
            .send()
    };
    // a forged state is refused before Lever is asked
    let forged = callback("code=stolen&state=forged-state".into())
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert!(
        forged
            .text()
            .await
            .unwrap()
            .contains("unknown or was already used")
    );
    // Lever's real redirect: the code is exchanged, the tokens are stored
    let done = callback(format!("code=lever-code-1&state={state}"))
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(
        done.text().await.unwrap(),
        "Lever is connected for `acme`. You can close this window."
    );
    let exchange = &lever.received_requests().await.unwrap()[0];
    let form: std::collections::BTreeMap<String, String> =
        url::form_urlencoded::parse(&exchange.body)
            .into_owned()
            .collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "lever-code-1");
    assert_eq!(
        form["redirect_uri"],
        "https://ats.vendor.example/oauth/lever/callback"
    );
    let tokens = ats_lever::TokenStore::load(&gateway.store().lever_tokens("test"), &acme)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tokens.access_token.expose(), "lvr-at-acme-1");
    assert_eq!(tokens.refresh_token.unwrap().expose(), "lvr-rt-acme-1");
    // the same redirect again (a reload, a replay) does nothing
    let again = callback(format!("code=lever-code-1&state={state}"))
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    // and the administrator's link is spent with it
    let spent = no_redirects.get(&local_connect).send().await.unwrap();
    assert_eq!(spent.status(), 410);

    // globex's admin declines: nothing is stored
    let answer: Value = authorize("globex").await.unwrap().json().await.unwrap();
    let url = url::Url::parse(answer["authorization_url"].as_str().unwrap()).unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let declined = callback(format!(
        "error=access_denied&error_description=User+declined&state={state}"
    ))
    .await
    .unwrap();
    assert_eq!(declined.status(), 400);
    assert!(
        declined
            .text()
            .await
            .unwrap()
            .contains("did not grant access")
    );
    let globex = ats_core::TenantId::new("globex");
    assert!(
        ats_lever::TokenStore::load(&gateway.store().lever_tokens("test"), &globex)
            .await
            .unwrap()
            .is_none()
    );
    // an authorization older than its 15 minutes is refused
    let old = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(b"an-old-state"))
    };
    gateway
        .store()
        .put_setting("lever", &globex, "oauth_state", &old, "1767225600000")
        .await
        .unwrap();
    let expired = callback("code=c&state=an-old-state".into()).await.unwrap();
    assert_eq!(expired.status(), 400);
    assert!(expired.text().await.unwrap().contains("expired"));

    // each callback is in the activity log, with its tenant when known
    let log = gateway
        .store()
        .activity(&ats_store::ActivityQuery {
            provider: Some("lever".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let seen: Vec<_> = log
        .iter()
        .rev()
        .map(|a| {
            (
                a.operation.as_str(),
                a.tenant.as_deref(),
                a.http_status,
                a.ok,
                a.error_kind.as_deref(),
            )
        })
        .collect();
    let failed = Some("oauth");
    assert_eq!(
        seen,
        [
            ("oauth.callback", None, Some(400), false, failed),
            ("oauth.callback", Some("acme"), Some(200), true, None),
            ("oauth.callback", None, Some(400), false, failed),
            ("oauth.callback", Some("globex"), Some(400), false, failed),
            ("oauth.callback", Some("globex"), Some(400), false, failed),
        ]
    );
    let dump = serde_json::to_string(&log).unwrap();
    for secret in [
        "lvr-at-acme-1",
        "lvr-rt-acme-1",
        "lever-client-secret",
        "lever-code-1",
    ] {
        assert!(!dump.contains(secret), "{secret} in the activity log");
    }

    // disconnecting removes the tokens
    let gone = http
        .delete(format!("{base}/api/v1/connections/lever/acme"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    assert!(
        ats_lever::TokenStore::load(&gateway.store().lever_tokens("test"), &acme)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_order_the_vendor_rejects_is_cancelled_with_a_page_that_says_why() {
    let s = setup().await;
    // the vendor is down when Kombo delivers: acknowledged and queued
    s.standin.mode.store(DOWN, Ordering::SeqCst);
    assert_eq!(kombo_order(&s.base, "ord-late-rej").await.status(), 200);
    // when the queued event reaches it, the vendor rejects the order
    s.standin.mode.store(REJECT, Ordering::SeqCst);
    s.gateway.start();
    let put = || async {
        s.ats
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.method.as_str() == "PUT")
    };
    let mut sent = None;
    for _ in 0..400 {
        sent = put().await;
        if sent.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let sent = sent.expect("the cancellation reached Kombo");
    assert_eq!(sent.url.path(), "/assessment/orders/ord-late-rej/result");
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["status"], "CANCELLED");
    assert_eq!(
        body["attributes"],
        json!([{"type": "TEXT", "label": "Status reason", "value": "Plan limit reached."}])
    );
    let link = body["result_url"].as_str().unwrap();
    let token = link
        .strip_prefix("https://ats.vendor.example/rejections/")
        .unwrap_or_else(|| panic!("{link}"));
    assert_eq!(token.len(), 22);
    // the link shows the vendor's message to the recruiter
    let page = reqwest::get(format!("{}/rejections/{token}", s.base))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.text().await.unwrap(),
        "The assessment was not started.\n\nPlan limit reached.\n"
    );
    let unknown = reqwest::get(format!("{}/rejections/not-a-token", s.base))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    // delivered, not dead
    let orders = s.gateway.store().orders(&Default::default()).await.unwrap();
    assert_eq!(orders[0].status, "cancelled");
    s.gateway.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recruitee_is_served_with_a_key_the_gateway_issued_and_reports_with_the_partner_secret() {
    use wiremock::matchers::path;
    let recruitee = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(
            "/api/p/acme-assess/reports/5f0c2a7e-3b1d-4c8e-9a42-61d0b7e9c3f5",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&recruitee)
        .await;
    let (_standin, vendor_url) = start_vendor().await;
    let d = dir();
    let signing = secret_file(&d, "signing", SIGNING_SECRET);
    let text = format!(
        "{}\n[providers.recruitee]\nbase_url = \"{uri}/api\"\ncodename = \"acme-assess\"\npartner_secret = \"{secret}\"\n",
        config_text(&d, &vendor_url, &recruitee.uri(), &signing),
        uri = recruitee.uri(),
        secret = secret_file(&d, "recruitee-secret", "rc_partner_secret_e2e"),
    );
    let (gateway, base) = serve(&GatewayConfig::parse(&text).unwrap()).await;
    gateway.start();
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{base}/api/v1/connections"))
        .bearer_auth(API_KEY)
        .json(&json!({"provider": "recruitee", "tenant": "acme"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        created["endpoint_url"],
        "https://ats.vendor.example/recruitee"
    );
    let key = created["issued_key"].as_str().unwrap();
    // Recruitee sends a candidate with the customer's key
    let order = json!({"first_name": "Ilse", "last_name": "Vermeulen",
        "email": "ilse.vermeulen@example.com", "candidate_id": 48213, "company_id": 7731,
        "report_id": "5f0c2a7e-3b1d-4c8e-9a42-61d0b7e9c3f5", "test_id": "pkg-rust-senior",
        "test_name": "Rust"});
    let sent = http
        .post(format!("{base}/recruitee/send_candidate"))
        .bearer_auth(key)
        .json(&order)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert_eq!(sent.text().await.unwrap(), "{}");
    let wrong = http
        .post(format!("{base}/recruitee/send_candidate"))
        .bearer_auth("not-issued")
        .json(&order)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // the vendor's result goes back with the partner secret
    let orders: Value = http
        .get(format!("{base}/api/v1/orders?provider=recruitee"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = orders[0]["handle"]["vendor_assessment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reported = http
        .post(format!("{base}/api/v1/orders/{id}/result"))
        .bearer_auth(API_KEY)
        .json(
            &json!({"status": "completed", "score": {"value": 84, "max": 100},
            "report_url": "https://quiz.example.com/r/1", "completed_at": "2026-12-01T10:00:00Z"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 202, "{}", reported.text().await.unwrap());
    let mut patched = None;
    for _ in 0..200 {
        if let Some(r) = recruitee
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .next()
        {
            patched = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let patched = patched.expect("the report reached Recruitee");
    assert_eq!(
        patched.headers["rt-partner-secret"],
        "rc_partner_secret_e2e"
    );
    let body: Value = serde_json::from_slice(&patched.body).unwrap();
    assert_eq!(body["status"], "completed");
    gateway.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teamtailor_is_served_with_the_key_teamtailor_minted_for_the_customer() {
    let (_standin, vendor_url) = start_vendor().await;
    let d = dir();
    let signing = secret_file(&d, "signing", SIGNING_SECRET);
    let text = format!(
        "{}\n[providers.teamtailor]\napi_key = \"{key}\"\n",
        config_text(&d, &vendor_url, "http://127.0.0.1:9", &signing),
        key = secret_file(&d, "tt-key", "tt_partner_api_key_e2e"),
    );
    let (gateway, base) = serve(&GatewayConfig::parse(&text).unwrap()).await;
    gateway.start();
    let http = reqwest::Client::new();
    let connect = |body: Value| {
        http.post(format!("{base}/api/v1/connections"))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
    };
    // the key is Teamtailor's: a connection without it is refused
    let r = connect(json!({"provider": "teamtailor", "tenant": "acme"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        p["detail"],
        "key: required for teamtailor (the key teamtailor minted for the customer)"
    );
    let r = connect(
        json!({"provider": "teamtailor", "tenant": "acme", "key": "tt_pk_acme_3c9e1f7a2b6d"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(
        created["endpoint_url"],
        "https://ats.vendor.example/teamtailor"
    );
    assert_eq!(created["issued_key"], Value::Null, "nothing is issued");
    // Teamtailor posts the trigger's webhook with the customer's key
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures/teamtailor/webhook_accepted.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let body = fixture["request"]["body"].clone();
    let post = |key: &'static str| {
        http.post(format!("{base}/teamtailor/webhook"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let sent = post("tt_pk_acme_3c9e1f7a2b6d").await.unwrap();
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
    assert_eq!(post("tt_pk_other").await.unwrap().status(), 401);
    let orders: Value = http
        .get(format!("{base}/api/v1/orders?provider=teamtailor"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders[0]["tenant"], "acme");
    assert_eq!(
        orders[0]["provider_order_id"],
        "7c2f0d4e-5b1a-4e8f-9a63-2d5e8b1c4f70"
    );
    // disconnected: the key no longer opens anything
    let deleted = http
        .delete(format!("{base}/api/v1/connections/teamtailor/acme"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(post("tt_pk_acme_3c9e1f7a2b6d").await.unwrap().status(), 401);
    gateway.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hibob_company_connects_through_the_same_oauth_routes() {
    use wiremock::matchers::{body_string_contains, path};
    let bob = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=bob-code-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "bob-at-1", "refresh_token": "bob-rt-1",
            "token_type": "Bearer", "expires_in": 3600
        })))
        .expect(1)
        .mount(&bob)
        .await;
    let (_standin, vendor_url) = start_vendor().await;
    let d = dir();
    let signing = secret_file(&d, "signing", SIGNING_SECRET);
    let text = format!(
        "{}\n[providers.hibob]\nbase_url = \"{uri}/v1\"\nauthorize_url = \"{uri}/authorize\"\ntoken_url = \"{uri}/oauth/token\"\nclient_id = \"bob-client-3\"\nclient_secret = \"{secret}\"\nwebhook_secret = \"{hook}\"\n",
        config_text(&d, &vendor_url, &bob.uri(), &signing),
        uri = bob.uri(),
        secret = secret_file(&d, "bob-secret", "bob-client-secret"),
        hook = secret_file(&d, "bob-hook", "bob-webhook-secret"),
    );
    let config = GatewayConfig::parse(&text).unwrap();
    assert!(
        config
            .describe()
            .contains("OAuth redirect URI https://ats.vendor.example/oauth/hibob/callback"),
        "{}",
        config.describe()
    );
    let (gateway, base) = serve(&config).await;
    let http = reqwest::Client::new();
    let answer: Value = http
        .post(format!("{base}/api/v1/connections/hibob/4711/authorize"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["callback_url"],
        "https://ats.vendor.example/oauth/hibob/callback"
    );
    let url = url::Url::parse(answer["authorization_url"].as_str().unwrap()).unwrap();
    assert_eq!(url.path(), "/authorize");
    let query: std::collections::BTreeMap<String, String> =
        url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "bob-client-3");
    assert_eq!(query["scope"], "hiring.integrations:write");
    assert_eq!(
        query["redirect_uri"],
        "https://ats.vendor.example/oauth/hibob/callback"
    );
    let state = query["state"].clone();
    // a provider without OAuth has no such route
    let none = http
        .post(format!("{base}/api/v1/connections/ashby/acme/authorize"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
    // nor a callback or a connect page; a connect link without its state
    // is no page either
    for page in [
        "/oauth/ashby/callback?code=c&state=s",
        "/oauth/ashby/connect?state=s",
        "/oauth/hibob/connect",
    ] {
        let r = http.get(format!("{base}{page}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{page}");
    }
    // Bob's redirect: the code is exchanged, the tokens stored for the company
    let done = http
        .get(format!(
            "{base}/oauth/hibob/callback?code=bob-code-1&state={state}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(
        done.text().await.unwrap(),
        "Bob is connected for `4711`. You can close this window."
    );
    let company = ats_core::TenantId::new("4711");
    let tokens =
        ats_core::oauth::TokenStore::load(&gateway.store().oauth_tokens("hibob", "test"), &company)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(tokens.access_token.expose(), "bob-at-1");
    // the state worked once
    let again = http
        .get(format!(
            "{base}/oauth/hibob/callback?code=bob-code-1&state={state}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    let log = gateway
        .store()
        .activity(&ats_store::ActivityQuery::default())
        .await
        .unwrap();
    let callbacks: Vec<_> = log
        .iter()
        .filter(|a| a.provider == "hibob" && a.operation == "oauth.callback")
        .map(|a| a.ok)
        .collect();
    assert_eq!(callbacks, [false, true], "newest first");
    assert!(
        log.iter().all(|a| a.provider != "ashby"),
        "a provider without OAuth logs no callback"
    );
    for a in &log {
        let row = format!("{a:?}");
        assert!(
            !row.contains("bob-at-1") && !row.contains("bob-code-1"),
            "{row}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_without_its_account_credentials_stops_the_start() {
    let d = dir();
    let signing = secret_file(&d, "signing", SIGNING_SECRET);
    let full = config_text(
        &d,
        "http://127.0.0.1:9/events",
        "http://127.0.0.1:9",
        &signing,
    );
    // Kombo configured without its API key and webhook secret
    let kombo_key = format!(
        "api_key = \"{}\"\n",
        secret_file(&d, "kombo-key", "kombo-api-key")
    );
    let kombo_secret = format!(
        "webhook_secret = \"{}\"\n",
        secret_file(&d, "kombo-secret", KOMBO_SECRET)
    );
    assert!(full.contains(&kombo_key) && full.contains(&kombo_secret));
    let text = full.replace(&kombo_key, "").replace(&kombo_secret, "");
    let e = Gateway::from_config(&GatewayConfig::parse(&text).unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[providers.kombo] api_key: results, packages and open orders cannot be sent"),
        "{e}"
    );
    assert!(
        e.contains("[providers.kombo] webhook_secret: Kombo's webhooks cannot be verified"),
        "{e}"
    );
    // Recruitee without its partner secret
    let text = format!("{full}\n[providers.recruitee]\ncodename = \"acme-assess\"\n");
    let e = Gateway::from_config(&GatewayConfig::parse(&text).unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("[providers.recruitee] partner_secret"), "{e}");
    assert!(!e.contains("codename"), "{e}");
}

/// Reads until the server closes the connection or `within` passes: what
/// was read, and whether the connection was closed.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let mut read = Vec::new();
    let closed = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => read.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&read).into_owned(), closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ats_serve_closes_slow_connections_as_configured() {
    use tokio::io::AsyncWriteExt;
    let d = dir();
    let signing = secret_file(&d, "signing", SIGNING_SECRET);
    let base_text = config_text(
        &d,
        "http://127.0.0.1:9/events",
        "http://127.0.0.1:9",
        &signing,
    );
    // zero is refused at start, naming the settings
    let zero = format!("{base_text}\n[runtime]\nheader_timeout_ms = 0\n");
    let e = Gateway::from_config(&GatewayConfig::parse(&zero).unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("header_timeout, body_timeout and max_connections must be positive"),
        "{e}"
    );
    let text = format!(
        "{base_text}\n[runtime]\nheader_timeout_ms = 300\nbody_timeout_ms = 400\nmax_connections = 8\n"
    );
    let config = GatewayConfig::parse(&text).unwrap();
    assert_eq!(
        (
            config.header_timeout,
            config.body_timeout,
            config.max_connections
        ),
        (
            Some(Duration::from_millis(300)),
            Some(Duration::from_millis(400)),
            Some(8)
        )
    );
    let gateway = Gateway::from_config(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn({
        let gateway = gateway.clone();
        async move {
            gateway
                .serve(listener, async move {
                    let _ = stopped.await;
                })
                .await
        }
    });

    // half a head: closed after the header timeout
    let mut partial = tokio::net::TcpStream::connect(&addr).await.unwrap();
    partial
        .write_all(b"GET /api/v1/orders HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (_, closed) = read_until_closed(&mut partial, Duration::from_secs(5)).await;
    assert!(closed && started.elapsed() >= Duration::from_millis(250));

    // a Kombo webhook whose body stops: 408 in Kombo's shape
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"POST /kombo/webhooks HTTP/1.1\r\nHost: test\r\nContent-Length: 50\r\n\r\n{")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.ends_with(r#"{"error":"malformed payload at `body`: not received within 0.4 s"}"#),
        "{answer}"
    );

    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(40), served)
        .await
        .expect("serve returns after the shutdown")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
}
