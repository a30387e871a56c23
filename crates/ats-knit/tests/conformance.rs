//! The Knit adapter against the shared conformance suite and its recorded
//! fixtures (`fixtures/knit/`).

use ats_core::{AtsProvider, Clock, Error, RetryConfig};
use ats_knit::Knit;

/// The vendor's Knit API key (Bearer token and webhook signing key).
const API_KEY: &str = "knit_test_api_key_0000000000";

fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    let at = "2026-01-12T09:30:00Z"
        .parse()
        .map_err(|e| Error::config(format!("{e}")))?;
    let knit = Knit::builder()
        .api_key(API_KEY)
        .base_url(server)
        .clock(Clock::fixed(at))
        .retry(RetryConfig::fast(2))
        .build()?;
    Ok(Box::new(knit))
}

#[tokio::test]
async fn knit_passes_the_conformance_suite() {
    let report =
        ats_testkit::conformance::Suite::new(ats_testkit::fixtures_dir().join("knit"), adapter)
            .secrets([API_KEY])
            .run()
            .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 120, "only {} checks ran", report.passed());
}
