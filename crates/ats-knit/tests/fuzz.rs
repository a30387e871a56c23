//! Structure-aware fuzzing of the Knit adapter from its recorded fixtures
//! (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`; mutated
//! webhooks are re-signed with the API key, so mutations reach the
//! translation. `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or
//! different run.

use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{InboundRequest, Secret};
use ats_knit::auth::SIGNATURE_HEADER;
use ats_knit::recorded;
use http::HeaderValue;

/// Signs the (mutated) body again, where the request was signed.
fn resign(request: &mut InboundRequest) {
    let sig = sign(
        &Secret::new(recorded::API_KEY),
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
    let report =
        ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("knit"), recorded::adapter)
            .resign(resign)
            .run();
    println!("{report}");
    report.assert_ok();
}
