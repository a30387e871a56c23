//! Structure-aware fuzzing of the StackOne adapter from its recorded
//! fixtures (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`;
//! mutated webhooks are re-signed with the signing secret, so mutations
//! reach the translation and the calls made while receiving.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or different run.

use ats_stackone::recorded;

use ats_core::signature::sign;
use ats_core::{InboundRequest, Secret};
use ats_stackone::auth::{SIGNATURE_ENCODING, SIGNATURE_HEADER};
use http::HeaderValue;

/// Signs the (mutated) body again, where the request was signed.
fn resign(request: &mut InboundRequest) {
    let sig = sign(
        &Secret::new(recorded::SIGNING_SECRET),
        &request.body,
        SIGNATURE_ENCODING,
    );
    if request.headers.contains_key(SIGNATURE_HEADER)
        && let Ok(v) = HeaderValue::from_str(&sig)
    {
        request.headers.insert(SIGNATURE_HEADER, v);
    }
}

#[test]
fn stackone_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(
        ats_testkit::fixtures_dir().join("stackone"),
        recorded::adapter,
    )
    .resign(resign)
    .run();
    println!("{report}");
    report.assert_ok();
}
