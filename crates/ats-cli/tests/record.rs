//! `ats record` between a provider and a service: everything forwarded and
//! answered unchanged, the fixture written with credentials and personal
//! data redacted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use ats_core::Secret;
use ats_core::signature::{SignatureEncoding, sign};
use ats_testkit::fixture::FixtureFile;
use common::{Running, free_port, root, wait_line};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recording_proxy_forwards_unchanged_and_writes_a_redacted_fixture() {
    let service = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/kombo/webhooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"received": true})))
        .mount(&service)
        .await;
    let out = std::env::temp_dir().join(format!("ats-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ats"))
        .args(["record", "--provider", "kombo", "--forward", &service.uri()])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--out"])
        .arg(&out)
        .args(["--redact", "remote_id"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_line(&mut child, "recording ");
    let _proxy = Running(child);

    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/kombo/order_received_accepted.json"))
            .unwrap(),
    )
    .unwrap();
    let body = recorded["request"]["body"].to_string();
    let signature = sign(
        &Secret::new("kombo-webhook-secret"),
        body.as_bytes(),
        SignatureEncoding::Base64UrlNoPad,
    );
    let answer = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/kombo/webhooks?token=query-secret&page=1"
        ))
        .header("content-type", "application/json")
        .header("x-kombo-signature", &signature)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), r#"{"received":true}"#);

    // the service got exactly what the provider sent
    let got = &service.received_requests().await.unwrap()[0];
    assert_eq!(got.body, body.as_bytes());
    assert_eq!(got.headers["x-kombo-signature"], signature.as_str());
    assert_eq!(got.url.query(), Some("token=query-secret&page=1"));

    // the fixture: a valid inbound fixture, nothing secret or personal in it
    let file = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a fixture was written");
    assert_eq!(
        file.file_name().unwrap().to_str().unwrap(),
        "assessment_order_received_001.json"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    for secret in [
        signature.as_str(),
        "query-secret",
        "Mira",
        "Okafor",
        "mira.okafor@example.com",
        "cand-40213",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let fixture = FixtureFile::read(&file).unwrap().parse("http://x").unwrap();
    assert_eq!(fixture.operation, "assessment:order-received");
    let request = fixture.request.as_ref().unwrap();
    assert_eq!(request.headers["x-kombo-signature"], "<redacted>");
    assert_eq!(
        request.query.as_deref(),
        Some("token=%3Credacted%3E&page=1")
    );
    let candidate = &request.body.as_ref().unwrap()["data"]["candidate"];
    assert_eq!(candidate["first_name"], "<redacted>");
    assert_eq!(candidate["email"], "redacted@example.com");
    // the event the adapter makes of the recording (from the redacted body)
    let event = serde_json::to_value(fixture.expect.event.as_ref().unwrap()).unwrap();
    assert_eq!(event["type"], "order_received");
    assert_eq!(
        event["provider_order_id"],
        recorded["request"]["body"]["data"]["id"]
    );
    assert_eq!(event["candidate"]["first_name"], "<redacted>");
    assert_eq!(fixture.response.as_ref().unwrap().status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_is_a_bad_gateway_and_nothing_is_recorded() {
    let out = std::env::temp_dir().join(format!("ats-record-down-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let port = free_port();
    let closed = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ats"))
        .args(["record", "--provider", "kombo"])
        .args(["--forward", &format!("http://127.0.0.1:{closed}")])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_line(&mut child, "recording ");
    let _proxy = Running(child);
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/kombo/webhooks"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .starts_with("the service is unreachable")
    );
    let written = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(written, 0, "no fixture for an exchange that did not happen");
}
