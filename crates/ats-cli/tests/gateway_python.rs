//! "Any language" for real: `ats serve` on SQLite, the Python vendor of
//! `examples/vendor-python` (standard library only), and a stand-in ATS.
//! Ashby and Kombo each send an order; the Python service verifies the
//! signed events, accepts, and later reports a completed result through the
//! REST API; the stand-in receives each provider's write-back, and it is
//! checked byte for byte against what the adapter itself would send.
//! Also how `ats serve` writes its log when not on a terminal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use common::{Running, free_port, root, wait_line};
use std::time::Duration;

use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{AssessmentResult, AtsProvider, OrderHandle, OutboundCall, Secret};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SIGNING_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const API_KEY: &str = "vendor-api-key-for-tests";
const KOMBO_SECRET: &str = "kombo-webhook-secret";
const COMPLETED_AT: &str = "2026-12-01T10:00:00Z";
/// The gateway's key ring (made up).
const ENCRYPTION_KEY: &str = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Writes an `ats serve` configuration on SQLite (listening on
/// `gateway_port`, events to `vendor_url`, then `providers`: the provider
/// and runtime sections) in a directory of its own; its path.
fn gateway_config(
    name: &str,
    gateway_port: u16,
    vendor_url: &str,
    providers: &str,
) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ats-gateway-python-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("ats.toml");
    std::fs::write(
        &config,
        format!(
            r#"
listen = "127.0.0.1:{gateway_port}"
database_url = "sqlite://{db}"
encryption_key = "${{TEST_ENCRYPTION_KEY}}"

[vendor]
url = "{vendor_url}"
signing_secret = "${{TEST_SIGNING_SECRET}}"

[api]
key = "${{TEST_API_KEY}}"
{providers}"#,
            db = dir.join("gateway.db").display(),
        ),
    )
    .unwrap();
    config
}

/// `ats serve --config <config>` with the secrets the configurations name.
fn serve_command(config: &std::path::Path) -> Command {
    let mut serve = Command::new(env!("CARGO_BIN_EXE_ats"));
    serve
        .args(["serve", "--config"])
        .arg(config)
        .env("TEST_ENCRYPTION_KEY", ENCRYPTION_KEY)
        .env("TEST_SIGNING_SECRET", SIGNING_SECRET)
        .env("TEST_API_KEY", API_KEY)
        .env("TEST_KOMBO_API_KEY", "kombo-api-key")
        .env("TEST_KOMBO_SECRET", KOMBO_SECRET);
    serve
}

/// Starts the Python vendor and `ats serve` on SQLite with `providers` (the
/// configuration's provider and runtime sections); the gateway's URL, and
/// the processes (killed when dropped).
fn start(name: &str, providers: &str) -> (String, (Running, Running)) {
    let gateway_port = free_port();
    let gateway_url = format!("http://127.0.0.1:{gateway_port}");
    let mut python = Command::new("python3")
        .arg(root().join("examples/vendor-python/vendor.py"))
        .env("ATS_VENDOR_SIGNING_SECRET", SIGNING_SECRET)
        .env("ATS_API_URL", &gateway_url)
        .env("ATS_API_KEY", API_KEY)
        .env("PORT", "0")
        .env("VENDOR_GRADING_SECONDS", "0.2")
        .env("VENDOR_COMPLETED_AT", COMPLETED_AT)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for this test");
    let vendor_port = wait_line(&mut python, "vendor listening on ");
    let python = Running(python);
    let vendor_url = format!("http://127.0.0.1:{vendor_port}/events");
    let config = gateway_config(name, gateway_port, &vendor_url, providers);
    let mut serve = serve_command(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(wait_line(&mut serve, "listening on "), gateway_url);
    (gateway_url, (python, Running(serve)))
}

fn fixture_body(path: &str) -> Value {
    let f: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("fixtures").join(path)).unwrap())
            .unwrap();
    f["request"]["body"].clone()
}

/// What the adapter sends for `result` on `handle` (method, path, body).
fn expected(adapter: &dyn AtsProvider, handle: OrderHandle, result: &AssessmentResult) -> Vec<u8> {
    let prepared = adapter
        .prepare(&OutboundCall::SubmitResult {
            order: Box::new(handle),
            result: Box::new(result.clone()),
        })
        .unwrap();
    assert_eq!(prepared.len(), 1);
    prepared[0].body.to_vec()
}

async fn wait_for_requests(mock: &MockServer, n: usize) -> Vec<wiremock::Request> {
    for _ in 0..600 {
        let got = mock.received_requests().await.unwrap();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the stand-in ATS did not receive {n} write-backs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_vendor_serves_ashby_and_kombo_through_the_gateway() {
    let ats = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/assessment.update"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "results": {}})),
        )
        .mount(&ats)
        .await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": {}})),
        )
        .mount(&ats)
        .await;

    let (gateway_url, _processes) = start(
        "first",
        &format!(
            r#"
[providers.ashby]
base_url = "{ats}"

[providers.kombo]
base_url = "{ats}"
api_key = "${{TEST_KOMBO_API_KEY}}"
webhook_secret = "${{TEST_KOMBO_SECRET}}"
"#,
            ats = ats.uri()
        ),
    );
    let http = reqwest::Client::new();

    // connections: the Ashby customer's key, a key issued for Ashby to use
    let created: Value = http
        .post(format!("{gateway_url}/api/v1/connections"))
        .bearer_auth(API_KEY)
        .json(&json!({"provider": "ashby", "tenant": "acme", "api_key": "ashby-customer-key"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issued = created["issued_key"].as_str().unwrap().to_owned();
    assert_eq!(created["endpoint_url"], format!("{gateway_url}/ashby"));

    // Ashby waits for the answer: the Python vendor mints the id
    let started: Value = http
        .post(format!("{gateway_url}/ashby/assessment.start"))
        .basic_auth(&issued, Some(""))
        .json(&fixture_body("ashby/assessment_start_accepted.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(started["success"], true, "{started}");
    let ashby_id = started["results"]["assessment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ashby_id.starts_with("py-"), "{ashby_id}");

    // Kombo's webhook: offered to the vendor at once, since Kombo can show
    // a rejection
    let body = fixture_body("kombo/order_received_accepted.json").to_string();
    let signature = sign(
        &Secret::new(KOMBO_SECRET),
        body.as_bytes(),
        SignatureEncoding::Base64UrlNoPad,
    );
    let r = http
        .post(format!("{gateway_url}/kombo/webhooks"))
        .header("content-type", "application/json")
        .header("x-kombo-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // both results arrive at the stand-in ATS
    let requests = wait_for_requests(&ats, 2).await;
    let orders: Vec<Value> = http
        .get(format!("{gateway_url}/api/v1/orders"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders.len(), 2, "{orders:?}");
    let result: AssessmentResult = serde_json::from_value(json!({
        "status": "completed", "score": {"value": 81, "max": 100}, "passed": true,
        "summary": "Strong on ownership; async needs practice.",
        "completed_at": COMPLETED_AT
    }))
    .unwrap();
    for order in &orders {
        let handle: OrderHandle = serde_json::from_value(order["handle"].clone()).unwrap();
        let id = handle.vendor_assessment_id.clone().unwrap();
        let mut result = result.clone();
        result.report_url = Some(
            format!("https://quiz.example.com/reports/{id}")
                .parse()
                .unwrap(),
        );
        let (adapter, path): (Box<dyn AtsProvider>, String) = match handle.provider.as_str() {
            "ashby" => {
                assert_eq!(id, ashby_id);
                // Ashby's body carries the time of sending: take it from
                // what was received; every other byte must match
                let sent = requests
                    .iter()
                    .find(|r| r.url.path() == "/assessment.update")
                    .unwrap();
                let ms = serde_json::from_slice::<Value>(&sent.body).unwrap()["timestamp"]
                    .as_i64()
                    .unwrap();
                let at = chrono::DateTime::from_timestamp_millis(ms).unwrap();
                (
                    Box::new(
                        ats_ashby::Ashby::builder()
                            .base_url(ats.uri())
                            .clock(ats_core::Clock::fixed(at))
                            .build()
                            .unwrap(),
                    ),
                    "/assessment.update".to_owned(),
                )
            }
            "kombo" => {
                // offered at once (Kombo can show a rejection): the vendor minted it
                assert!(id.starts_with("py-"), "{id}");
                (
                    Box::new(
                        ats_kombo::Kombo::builder()
                            .base_url(ats.uri())
                            .build()
                            .unwrap(),
                    ),
                    "/assessment/orders/Hx4pLq9TzW2mRv7cYb3nKs6D/result".to_owned(),
                )
            }
            other => panic!("unexpected provider {other}"),
        };
        let got = requests
            .iter()
            .find(|r| r.url.path() == path)
            .unwrap_or_else(|| panic!("nothing at {path}"));
        assert_eq!(
            String::from_utf8_lossy(&got.body),
            String::from_utf8_lossy(&expected(adapter.as_ref(), handle, &result)),
            "{path}"
        );
        assert_eq!(order["status"], "completed");
    }
    let ashby_auth = requests
        .iter()
        .find(|r| r.url.path() == "/assessment.update")
        .unwrap()
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        ashby_auth, "Basic YXNoYnktY3VzdG9tZXIta2V5Og==",
        "the customer's Ashby key"
    );
}

/// Creates a connection through the gateway's REST API (201 expected);
/// the gateway's answer.
async fn connect(gateway_url: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{gateway_url}/api/v1/connections"))
        .bearer_auth(API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// The key a connection's answer issued ("" when none was).
fn issued_key(created: &Value) -> String {
    created["issued_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The store of the gateway [`start`]ed as `name`, opened beside it.
async fn gateway_store(name: &str) -> ats_store::Store {
    let dir =
        std::env::temp_dir().join(format!("ats-gateway-python-{name}-{}", std::process::id()));
    ats_store::Store::connect(
        &format!("sqlite://{}", dir.join("gateway.db").display()),
        ats_store::KeyRing::parse(ENCRYPTION_KEY).unwrap(),
    )
    .await
    .unwrap()
}

/// Writes OAuth tokens for `tenant` of `provider` into the store of the
/// gateway [`start`]ed as `name`, as its OAuth callback would, expiring in
/// `expires_in`; the store, to read them back.
async fn seed_tokens(
    name: &str,
    provider: &str,
    tenant: &str,
    expires_in: chrono::Duration,
) -> ats_store::Store {
    let store = gateway_store(name).await;
    ats_core::oauth::TokenStore::save(
        &store.oauth_tokens(provider, "test"),
        &ats_core::TenantId::new(tenant),
        ats_core::oauth::TokenSet::new(
            format!("{provider}-at-1"),
            format!("{provider}-rt-1"),
            chrono::Utc::now() + expires_in,
        ),
    )
    .await
    .unwrap();
    store
}

/// Runs `ats simulate` with `args`; its exit code and transcript.
async fn simulate(args: &[&str]) -> (Option<i32>, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ats"))
            .arg("simulate")
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Runs `ats simulate` with `args`, which must succeed (exit code 0); its
/// transcript.
async fn simulate_ok(args: &[&str]) -> String {
    let (code, text) = simulate(args).await;
    assert_eq!(code, Some(0), "{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ats_simulate_plays_kombo_ashby_and_greenhouse_against_the_gateway() {
    let (kombo_port, ashby_port, greenhouse_port) = (free_port(), free_port(), free_port());
    let (gateway_url, _processes) = start(
        "simulate",
        &format!(
            r#"
[runtime]
insecure_callback_hosts = ["127.0.0.1"]

[providers.greenhouse]

[providers.ashby]
base_url = "http://127.0.0.1:{ashby_port}"

[providers.kombo]
base_url = "http://127.0.0.1:{kombo_port}"
api_key = "${{TEST_KOMBO_API_KEY}}"
webhook_secret = "${{TEST_KOMBO_SECRET}}"
"#
        ),
    );
    let issue = |provider: &'static str, extra: Value| {
        let mut body = json!({"provider": provider, "tenant": "acme"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let gateway_url = gateway_url.clone();
        async move { issued_key(&connect(&gateway_url, body).await) }
    };

    // Kombo signs its webhook; the service's first result write is refused
    // for rate and must be retried
    let kombo_target = format!("{gateway_url}/kombo/webhooks");
    let listen = format!("127.0.0.1:{kombo_port}");
    let text = simulate_ok(&[
        "kombo",
        "--target",
        &kombo_target,
        "--listen",
        &listen,
        "--secret",
        KOMBO_SECRET,
        "--write-back",
        "429",
        "--timeout",
        "60",
    ])
    .await;
    assert_eq!(
        text.matches("← PUT /assessment/orders/Hx4pLq9TzW2mRv7cYb3nKs6D/result")
            .count(),
        2,
        "refused once for rate, then taken: {text}"
    );
    assert!(
        text.contains("✓ kombo: order accepted and result received"),
        "{text}"
    );
    // the vendor's package list pushed to Kombo through the gateway's API
    let text = simulate_ok(&[
        "kombo",
        "--target",
        &kombo_target,
        "--listen",
        &listen,
        "--secret",
        KOMBO_SECRET,
        "--packages",
        "--api",
        &gateway_url,
        "--api-key",
        API_KEY,
    ])
    .await;
    assert!(
        text.contains(
            "/api/v1/connections/kombo/greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H/packages (4 packages)"
        ),
        "{text}"
    );
    assert!(text.contains("← 204"), "{text}");
    assert!(text.contains("← PUT /assessment/packages"), "{text}");
    assert!(text.contains("✓ kombo: 4 packages pushed"), "{text}");
    // without the API it cannot push
    let (code, text) = simulate(&[
        "kombo",
        "--target",
        &kombo_target,
        "--secret",
        KOMBO_SECRET,
        "--packages",
    ])
    .await;
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("--packages: the vendor pushes its list"),
        "{text}"
    );
    // a bad signature is refused, and nothing is written
    let text = simulate_ok(&[
        "kombo",
        "--target",
        &kombo_target,
        "--listen",
        &listen,
        "--secret",
        KOMBO_SECRET,
        "--bad-signature",
    ])
    .await;
    assert!(text.contains("← 401"), "{text}");

    // Ashby presents the key the service issued; three copies, one answer,
    // one write
    let key = issue("ashby", json!({"api_key": "ashby-customer-key"})).await;
    let target = format!("{gateway_url}/ashby");
    let listen = format!("127.0.0.1:{ashby_port}");
    let text = simulate_ok(&[
        "ashby",
        "--target",
        &target,
        "--listen",
        &listen,
        "--key",
        &key,
        "--duplicate",
        "3",
    ])
    .await;
    assert!(text.contains("✓ 3 copies, one answer"), "{text}");
    assert_eq!(
        text.matches("← POST /assessment.update").count(),
        1,
        "{text}"
    );
    // an order for a package the vendor does not sell is refused the way
    // Ashby shows it (422), and nothing is written
    let key = issue("ashby", json!({"api_key": "ashby-customer-key"})).await;
    let (target, listen) = (
        format!("{gateway_url}/ashby"),
        format!("127.0.0.1:{ashby_port}"),
    );
    let text = simulate_ok(&[
        "ashby", "--target", &target, "--listen", &listen, "--key", &key, "--reject",
    ])
    .await;
    assert!(
        text.contains("✓ refused the way ashby shows a rejection (422)"),
        "{text}"
    );
    // an accepted order, then Ashby's cancellation
    let text = simulate_ok(&[
        "ashby", "--target", &target, "--listen", &listen, "--key", &key, "--cancel",
    ])
    .await;
    assert!(
        text.contains("✓ ashby: order accepted, then cancelled"),
        "{text}"
    );
    // a new order (a new application), its cancellation naming the id the
    // Python vendor answered with
    let text = simulate_ok(&[
        "ashby", "--target", &target, "--listen", &listen, "--key", &key, "--cancel", "--fresh",
        "1",
    ])
    .await;
    assert!(
        text.contains(
            "a new order: id a91e3b27-64c0-4f5d-8d1b-7e2f9c3a5b61 (recorded: a91e3b27-64c0-4f5d-8d1b-7e2f9c3a5b60)"
        ),
        "{text}"
    );
    assert!(
        text.contains("the cancellation names assessment py-"),
        "{text}"
    );
    // Ashby's package list, as the Python vendor answers it
    let text = simulate_ok(&[
        "ashby",
        "--target",
        &target,
        "--key",
        &key,
        "--packages",
        "--package",
        "pkg-rust-senior",
    ])
    .await;
    assert!(text.contains("✓ ashby: 2 packages listed"), "{text}");

    // Greenhouse: the order's callback URL is pointed at the simulator
    let key = issue("greenhouse", json!({})).await;
    let target = format!("{gateway_url}/greenhouse");
    let listen = format!("127.0.0.1:{greenhouse_port}");
    let text = simulate_ok(&[
        "greenhouse",
        "--target",
        &target,
        "--listen",
        &listen,
        "--key",
        &key,
        "--package",
        "pkg-rust-senior",
    ])
    .await;
    assert!(
        text.contains("← PATCH /integrations/testing_partners/take_home_tests/8812345"),
        "{text}"
    );
    assert!(
        text.contains("asks for package pkg-rust-senior (recorded: 12345)"),
        "{text}"
    );
    // and a wrong key is refused
    let (code, text) = simulate(&[
        "greenhouse",
        "--target",
        &format!("{gateway_url}/greenhouse"),
        "--key",
        "not-issued",
    ])
    .await;
    assert_eq!(code, Some(1), "an unknown key is not accepted: {text}");
    assert!(text.contains("← 401"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ats_simulate_plays_teamtailor_smartrecruiters_and_hibob_against_the_gateway() {
    let (tt_port, sr_port, bob_port) = (free_port(), free_port(), free_port());
    let (gateway_url, _processes) = start(
        "simulate-new",
        &format!(
            r#"
[runtime]
insecure_callback_hosts = ["127.0.0.1"]

[providers.teamtailor]
base_url = "http://127.0.0.1:{tt_port}"
api_key = "${{TEST_API_KEY}}"

[providers.smartrecruiters]
base_url = "http://127.0.0.1:{sr_port}/assessment-api/v202010"
token_url = "http://127.0.0.1:{sr_port}/identity/oauth/token"
client_id = "sr-partner"
client_secret = "${{TEST_API_KEY}}"

[providers.hibob]
base_url = "http://127.0.0.1:{bob_port}/v1"
token_url = "http://127.0.0.1:{bob_port}/oauth/token"
client_id = "bob-client"
client_secret = "${{TEST_API_KEY}}"
webhook_secret = "${{TEST_KOMBO_SECRET}}"
"#
        ),
    );

    // Teamtailor: the provider key it minted is handed over, then used
    connect(
        &gateway_url,
        json!({"provider": "teamtailor", "tenant": "acme", "key": "tt-minted-key-1"}),
    )
    .await;
    let text = simulate_ok(&[
        "teamtailor",
        "--target",
        &format!("{gateway_url}/teamtailor"),
        "--listen",
        &format!("127.0.0.1:{tt_port}"),
        "--key",
        "tt-minted-key-1",
        "--package",
        "pkg-rust-senior",
    ])
    .await;
    assert!(
        text.contains("← PUT /partner/v1/partner-results/"),
        "{text}"
    );

    // SmartRecruiters: an issued key in, the company's client credentials
    // out (token, then the result)
    let created = connect(&gateway_url, json!({"provider": "smartrecruiters", "tenant": "acme",
        "secrets": {"customer_client_id": "sr-client-acme", "customer_client_secret": "sr-secret-acme"}}))
    .await;
    let key = created["issued_key"].as_str().unwrap().to_owned();
    let text = simulate_ok(&[
        "smartrecruiters",
        "--target",
        &format!("{gateway_url}/smartrecruiters"),
        "--listen",
        &format!("127.0.0.1:{sr_port}"),
        "--key",
        &key,
        "--package",
        "pkg-rust-senior",
    ])
    .await;
    assert!(text.contains("← POST /identity/oauth/token"), "{text}");
    assert!(
        text.contains("← PATCH /assessment-api/v202010/orders/"),
        "{text}"
    );

    // HiBob: signed the way Bob signs (HMAC-SHA512, base64); the company's
    // tokens are in the gateway's store as after its OAuth grant
    seed_tokens(
        "simulate-new",
        "hibob",
        "900123",
        chrono::Duration::hours(1),
    )
    .await;
    let text = simulate_ok(&[
        "hibob",
        "--target",
        &format!("{gateway_url}/hibob/webhook"),
        "--listen",
        &format!("127.0.0.1:{bob_port}"),
        "--secret",
        KOMBO_SECRET,
        "--package",
        "pkg-rust-senior",
    ])
    .await;
    assert!(
        text.contains("← GET /v1/hiring/assessments/41872"),
        "{text}"
    );
    assert!(
        text.contains("← PATCH /v1/hiring/assessments/41872"),
        "{text}"
    );
    // a signature made with another secret is refused
    let text = simulate_ok(&[
        "hibob",
        "--target",
        &format!("{gateway_url}/hibob/webhook"),
        "--secret",
        KOMBO_SECRET,
        "--bad-signature",
    ])
    .await;
    assert!(text.contains("← 401"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ats_simulate_plays_lever_with_its_reads_and_notes_against_the_gateway() {
    let lever_port = free_port();
    let (gateway_url, _processes) = start(
        "simulate-lever",
        &format!(
            r#"
[providers.lever]
base_url = "http://127.0.0.1:{lever_port}/v1"
oauth_base_url = "http://127.0.0.1:{lever_port}"
client_id = "lever-client"
client_secret = "${{TEST_API_KEY}}"
"#
        ),
    );
    // the customer's connection: the webhook's signature token and the
    // stage that orders the vendor's package
    let r = reqwest::Client::new()
        .post(format!("{gateway_url}/api/v1/connections"))
        .bearer_auth(API_KEY)
        .json(&json!({"provider": "lever", "tenant": "acme",
            "signature_tokens": ["lever-sig-acme"],
            "trigger_stages": {"36f675cc-81e7-4ef5-a8e2-5d940ed90475": "pkg-rust-senior"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let target = format!("{gateway_url}/lever/acme/webhook");
    let listen = format!("127.0.0.1:{lever_port}");
    // the customer's administrator connects Lever through the gateway's
    // OAuth routes (the simulator plays the consent and the token
    // endpoint); then a webhook signed with another token is refused
    let text = simulate_ok(&[
        "lever",
        "--target",
        &target,
        "--listen",
        &listen,
        "--secret",
        "lever-sig-acme",
        "--bad-signature",
        "--connect",
        "acme",
        "--api",
        &gateway_url,
        "--api-key",
        API_KEY,
    ])
    .await;
    assert!(
        text.contains("← 200 OK /oauth/lever/callback: Lever is connected for `acme`."),
        "{text}"
    );
    assert!(text.contains("← 401"), "{text}");
    let acme = ats_core::TenantId::new("acme");
    // the tokens the code exchange stored
    let store = gateway_store("simulate-lever").await;
    let connected = ats_core::oauth::TokenStore::load(&store.oauth_tokens("lever", "t"), &acme)
        .await
        .unwrap()
        .unwrap();
    assert!(
        connected.access_token.expose().starts_with("simulated-at-"),
        "the consent's code was exchanged and its tokens stored"
    );
    // then expired: the first read refreshes them at the simulated token
    // endpoint
    let store = seed_tokens(
        "simulate-lever",
        "lever",
        "acme",
        -chrono::Duration::minutes(1),
    )
    .await;
    let text = simulate_ok(&[
        "lever",
        "--target",
        &target,
        "--listen",
        &listen,
        "--secret",
        "lever-sig-acme",
    ])
    .await;
    assert!(text.contains("← POST /oauth/token (read)"), "{text}");
    assert!(
        text.contains("← GET /v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438 (read)"),
        "{text}"
    );
    assert!(
        text.contains("← POST /v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438/notes"),
        "{text}"
    );
    let refreshed = ats_core::oauth::TokenStore::load(&store.oauth_tokens("lever", "t"), &acme)
        .await
        .unwrap()
        .unwrap();
    assert!(
        refreshed.access_token.expose().starts_with("simulated-at-"),
        "the rotated tokens were stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ats_simulate_plays_workable_stackone_knit_and_recruitee_against_the_gateway() {
    let (wk_port, so_port, knit_port, rc_port) =
        (free_port(), free_port(), free_port(), free_port());
    // the providers' account secrets: the ones the simulator signs with
    let (stackone_secret, knit_key) = (KOMBO_SECRET, "kombo-api-key");
    let (gateway_url, _processes) = start(
        "simulate-more",
        &format!(
            r#"
[runtime]
insecure_callback_hosts = ["127.0.0.1"]

[providers.workable]

[providers.stackone]
base_url = "http://127.0.0.1:{so_port}"
api_key = "${{TEST_API_KEY}}"
signing_secret = "${{TEST_KOMBO_SECRET}}"

[providers.knit]
base_url = "http://127.0.0.1:{knit_port}"
api_key = "${{TEST_KOMBO_API_KEY}}"

[providers.recruitee]
base_url = "http://127.0.0.1:{rc_port}/api"
partner_secret = "${{TEST_API_KEY}}"
codename = "acme-assess"
"#
        ),
    );
    let issue = |body: Value| {
        let gateway_url = gateway_url.clone();
        async move { issued_key(&connect(&gateway_url, body).await) }
    };
    let play = |provider: &'static str,
                target: String,
                port: u16,
                credential: (&'static str, String)| async move {
        let listen = format!("127.0.0.1:{port}");
        simulate(&[
            provider,
            "--target",
            &target,
            "--listen",
            &listen,
            credential.0,
            &credential.1,
            "--package",
            "pkg-rust-senior",
        ])
        .await
    };

    // Workable calls with the key issued to the customer; the result goes
    // to the callback URL of the order, with Workable's token
    let key = issue(
        json!({"provider": "workable", "tenant": "acme", "callback_token": "wk-callback-token"}),
    )
    .await;
    let (code, text) = play(
        "workable",
        format!("{gateway_url}/workable"),
        wk_port,
        ("--key", key),
    )
    .await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("the order's callback URL points here"),
        "{text}"
    );

    // StackOne signs its webhook; the service reads the application,
    // candidate and job, then writes the result
    let (code, text) = play(
        "stackone",
        format!("{gateway_url}/stackone/webhooks"),
        so_port,
        ("--secret", stackone_secret.to_owned()),
    )
    .await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("(read)"), "{text}");

    // Knit signs with the vendor's Knit API key; the result goes through
    // Knit's passthrough
    let (code, text) = play(
        "knit",
        format!("{gateway_url}/knit/webhooks"),
        knit_port,
        ("--secret", knit_key.to_owned()),
    )
    .await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("← POST /passthrough"), "{text}");

    // Recruitee sends the candidate with the key issued to the customer;
    // the report is PATCHed with the partner secret
    let key = issue(json!({"provider": "recruitee", "tenant": "acme"})).await;
    let (code, text) = play(
        "recruitee",
        format!("{gateway_url}/recruitee"),
        rc_port,
        ("--key", key),
    )
    .await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("← PATCH /api/p/acme-assess/reports/"),
        "{text}"
    );
}

/// `ats serve` writes its log lines without terminal colour codes when its
/// standard error is a file (as under a service manager or `2> file`).
#[test]
fn serve_logs_plain_text_when_not_on_a_terminal() {
    let port = free_port();
    let config = gateway_config(
        "plain-log",
        port,
        "http://127.0.0.1:9/events",
        "\n[providers.greenhouse]\n",
    );
    let log = config.with_file_name("stderr.log");
    let mut serve = serve_command(&config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    wait_line(&mut serve, "listening on ");
    let _serve = Running(serve);
    // a call without credentials: refused, and logged
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"POST /greenhouse/send_test HTTP/1.1\r\nHost: gateway\r\nContent-Length: 2\r\n\
          Connection: close\r\n\r\n{}",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&log).unwrap();
        if text.contains("inbound call") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let line = text
        .lines()
        .find(|l| l.contains("inbound call"))
        .unwrap_or_else(|| panic!("no `inbound call` line in: {text}"));
    assert!(
        line.contains("provider=greenhouse operation=send_test")
            && line.contains("status=401 ok=false"),
        "{line}"
    );
    assert!(!text.contains('\u{1b}'), "colour codes in: {text:?}");
}
