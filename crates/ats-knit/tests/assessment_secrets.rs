//! Create ATS Assessment Secrets (an inherent method, outside the trait's
//! outbound calls) against a wiremock server: the exact request, and how
//! each answer is read.

use ats_core::{Error, RetryConfig, TenantId};
use ats_knit::Knit;
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

const API_KEY: &str = "knit_test_api_key_0000000000";
const INTEGRATION: &str = "int_8Hq2LmXc4VbN7sRt1KpZ0w";
/// The path is configured: Knit's public documentation does not give it.
const PATH: &str = "/ats/assessment-secrets";

fn knit(server: &MockServer) -> Result<Knit, Error> {
    Knit::builder()
        .api_key(API_KEY)
        .base_url(server.uri())
        .assessment_secrets_path(PATH)
        .retry(RetryConfig::fast(2))
        .build()
}

fn expected_request() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .and(header("x-knit-integration-id", INTEGRATION))
        .and(header("content-type", "application/json"))
        .and(body_string("{}"))
}

#[tokio::test]
async fn returns_the_secret_key_and_base_url() {
    let server = MockServer::start().await;
    expected_request()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": {
                "secretKey": "ats_sk_5f1c9e2a7b3d4c6e8f0a1b2c3d4e5f60",
                "baseUrl": "https://workflows.getknit.dev/webhook/ashby/int_8Hq2LmXc4VbN7sRt1KpZ0w"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let secrets = knit(&server)
        .unwrap()
        .create_assessment_secrets(&TenantId::new(INTEGRATION))
        .await
        .unwrap();
    assert_eq!(
        secrets.secret_key.expose(),
        "ats_sk_5f1c9e2a7b3d4c6e8f0a1b2c3d4e5f60"
    );
    assert_eq!(
        secrets.base_url.as_str(),
        "https://workflows.getknit.dev/webhook/ashby/int_8Hq2LmXc4VbN7sRt1KpZ0w"
    );
    assert!(!format!("{secrets:?}").contains("ats_sk_"));
    let endpoints = secrets.greenhouse_endpoints().unwrap();
    assert_eq!(
        endpoints[0].as_str(),
        "https://workflows.getknit.dev/webhook/ashby/int_8Hq2LmXc4VbN7sRt1KpZ0w/list_tests"
    );
}

#[tokio::test]
async fn knits_error_envelope_is_a_rejection_with_its_message() {
    let server = MockServer::start().await;
    expected_request()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": false,
            "error": {"msg": "No Ashby integration found for this integration id"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let e = knit(&server)
        .unwrap()
        .create_assessment_secrets(&TenantId::new(INTEGRATION))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "knit answered HTTP 200: No Ashby integration found for this integration id"
    );
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn a_5xx_is_not_retried_since_each_call_may_mint_a_key() {
    let server = MockServer::start().await;
    expected_request()
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "success": false, "error": {"msg": "Internal error"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let e = knit(&server)
        .unwrap()
        .create_assessment_secrets(&TenantId::new(INTEGRATION))
        .await
        .unwrap_err();
    match e {
        Error::ProviderRejected {
            status, message, ..
        } => assert_eq!((status, message.as_str()), (500, "Internal error")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_answer_without_the_key_is_malformed() {
    let server = MockServer::start().await;
    expected_request()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "data": {"baseUrl": "https://workflows.getknit.dev/webhook/ashby/x"}
        })))
        .mount(&server)
        .await;
    let e = knit(&server)
        .unwrap()
        .create_assessment_secrets(&TenantId::new(INTEGRATION))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Malformed { ref path, .. } if path == "data.secretKey"),
        "{e}"
    );
}

#[tokio::test]
async fn without_an_api_key_nothing_is_sent() {
    let server = MockServer::start().await;
    let knit = Knit::builder()
        .base_url(server.uri())
        .assessment_secrets_path(PATH)
        .build()
        .unwrap();
    let e = knit
        .create_assessment_secrets(&TenantId::new(INTEGRATION))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "configuration error: no Knit API key configured"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
