//! `assessment.addCompletedToCandidate` (an inherent method, outside the
//! trait's outbound calls) against recorded exchanges in `tests/data/`:
//! the exact request bytes, and the outcome of each recorded answer.

use std::path::Path;

use ats_ashby::{Ashby, CompletedAssessment};
use ats_core::auth::InMemoryKeys;
use ats_core::{Clock, RetryConfig, TenantId};
use ats_testkit::fixture::{Exchange, Expectation};
use ats_testkit::replay;
use serde::Deserialize;
use wiremock::MockServer;

#[derive(Deserialize)]
struct Case {
    description: String,
    tenant: String,
    completed: CompletedAssessment,
    exchanges: Vec<Exchange>,
    expect: Expectation,
}

fn load(name: &str) -> Result<Case, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Replays one case; `Err` explains the first mismatch.
async fn run(name: &str) -> Result<(), String> {
    let case = load(name)?;
    let server = MockServer::start().await;
    replay::mount(&server, &case.exchanges).await?;
    let at = "2026-01-12T09:30:00Z".parse().map_err(|e| format!("{e}"))?;
    let ashby = Ashby::builder()
        .api_keys(InMemoryKeys::new().with("acme", "ashby_api_key_acme_51d2"))
        .base_url(server.uri())
        .partner_id("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
        .clock(Clock::fixed(at))
        .retry(RetryConfig::fast(2))
        .build()
        .map_err(|e| e.to_string())?;
    let outcome = ashby
        .add_completed_to_candidate(&TenantId::new(case.tenant.as_str()), &case.completed)
        .await;
    match (&outcome, &case.expect.delivery, &case.expect.error) {
        (Ok(d), Some(want), _) if d.attempts == want.attempts && d.warnings == want.warnings => {}
        (Err(e), _, Some(want)) => want.check(e)?,
        (other, _, _) => {
            return Err(format!(
                "{}: unexpected outcome {other:?}",
                case.description
            ));
        }
    }
    replay::verify(&server, &case.exchanges).await
}

#[tokio::test]
async fn adds_a_completed_assessment() {
    run("add_completed_ok").await.unwrap();
}

#[tokio::test]
async fn success_false_is_a_rejection() {
    run("add_completed_success_false").await.unwrap();
}

#[tokio::test]
async fn a_5xx_is_not_retried() {
    run("add_completed_503_not_retried").await.unwrap();
}

#[tokio::test]
async fn rate_limits_carry_the_wait() {
    run("add_completed_429").await.unwrap();
}

#[tokio::test]
async fn a_4xx_keeps_ashbys_message() {
    run("add_completed_400").await.unwrap();
}

#[tokio::test]
async fn prepared_request_matches_the_recording() {
    let case = load("add_completed_ok").unwrap();
    let ashby = Ashby::builder()
        .partner_id("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
        .build()
        .unwrap();
    let prepared = ashby.prepare_add_completed(&case.completed).unwrap();
    assert_eq!(
        prepared.url.as_str(),
        "https://api.ashbyhq.com/assessment.addCompletedToCandidate"
    );
    assert!(!prepared.idempotent);
    replay::compare_prepared(&prepared, &case.exchanges[0].request).unwrap();
}
