//! Structure-aware fuzzing of the Kombo adapter from its recorded fixtures
//! (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`; mutated
//! webhooks are re-signed with the webhook secret, so mutations reach the
//! translation. `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or
//! different run.

use ats_core::{AtsProvider, Clock, Error, InboundRequest, RetryConfig, Secret};
use ats_kombo::Kombo;
use ats_kombo::auth::{SIGNATURE_HEADER, signature};
use http::HeaderValue;

const API_KEY: &str = "kombo_test_api_key";
const WEBHOOK_SECRET: &str = "kombo_test_webhook_secret";
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

/// Signs the (mutated) body again, where the request was signed.
fn resign(request: &mut InboundRequest) {
    if request.headers.contains_key(SIGNATURE_HEADER)
        && let Ok(v) =
            HeaderValue::from_str(&signature(&Secret::new(WEBHOOK_SECRET), &request.body))
    {
        request.headers.insert(SIGNATURE_HEADER, v);
    }
}

#[test]
fn kombo_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("kombo"), adapter)
        .resign(resign)
        .run();
    println!("{report}");
    report.assert_ok();
}
