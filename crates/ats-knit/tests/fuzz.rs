//! Structure-aware fuzzing of the Knit adapter from its recorded fixtures
//! (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`; mutated
//! webhooks are re-signed with the API key, so mutations reach the
//! translation. `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or
//! different run.

use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{AtsProvider, Clock, Error, InboundRequest, RetryConfig, Secret};
use ats_knit::Knit;
use ats_knit::auth::SIGNATURE_HEADER;
use http::HeaderValue;

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

/// Signs the (mutated) body again, where the request was signed.
fn resign(request: &mut InboundRequest) {
    let sig = sign(
        &Secret::new(API_KEY),
        &request.body,
        SignatureEncoding::Base64UrlNoPad,
    );
    if request.headers.contains_key(SIGNATURE_HEADER)
        && let Ok(v) = HeaderValue::from_str(&sig)
    {
        request.headers.insert(SIGNATURE_HEADER, v);
    }
}

#[test]
fn knit_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("knit"), adapter)
        .resign(resign)
        .run();
    println!("{report}");
    report.assert_ok();
}
