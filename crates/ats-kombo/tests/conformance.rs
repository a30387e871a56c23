//! The Kombo adapter against the shared conformance suite and its recorded
//! fixtures (`fixtures/kombo/`).

use ats_core::{AtsProvider, Clock, Error, RetryConfig};
use ats_kombo::Kombo;

const API_KEY: &str = "kombo_test_api_key";
const WEBHOOK_SECRET: &str = "kombo_test_webhook_secret";
/// Results without `completed_at` are written at this time.
const NOW: &str = "2026-01-02T10:00:00Z";

fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    let now = NOW
        .parse()
        .map_err(|e| Error::config(format!("bad test clock: {e}")))?;
    let kombo = Kombo::builder()
        .api_key(API_KEY)
        .webhook_secret("kombo_previous_webhook_secret")
        .webhook_secret(WEBHOOK_SECRET)
        .base_url(server)
        .retry(RetryConfig::fast(2))
        .clock(Clock::fixed(now))
        .build()?;
    Ok(Box::new(kombo))
}

#[tokio::test]
async fn kombo_passes_the_conformance_suite() {
    let report =
        ats_testkit::conformance::Suite::new(ats_testkit::fixtures_dir().join("kombo"), adapter)
            .secrets([API_KEY, WEBHOOK_SECRET, "kombo_previous_webhook_secret"])
            .run()
            .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 150, "only {} checks ran", report.passed());
}
