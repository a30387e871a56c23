//! Structure-aware fuzzing of the Kombo adapter from its recorded fixtures
//! (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`; mutated
//! webhooks are re-signed with the webhook secret, so mutations reach the
//! translation. `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or
//! different run.

use ats_core::{InboundRequest, Secret};
use ats_kombo::auth::{SIGNATURE_HEADER, signature};
use ats_kombo::recorded;
use http::HeaderValue;

/// Signs the (mutated) body again, where the request was signed.
fn resign(request: &mut InboundRequest) {
    if request.headers.contains_key(SIGNATURE_HEADER)
        && let Ok(v) = HeaderValue::from_str(&signature(
            &Secret::new(recorded::WEBHOOK_SECRET),
            &request.body,
        ))
    {
        request.headers.insert(SIGNATURE_HEADER, v);
    }
}

#[test]
fn kombo_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(
        ats_testkit::fixtures_dir().join("kombo"),
        recorded::adapter,
    )
    .resign(resign)
    .run();
    println!("{report}");
    report.assert_ok();
}
