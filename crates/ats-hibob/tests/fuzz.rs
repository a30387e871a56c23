//! Structure-aware fuzzing of the HiBob adapter from its recorded fixtures
//! (`ats_testkit::fuzz`), with the configuration of `tests/conformance.rs`;
//! mutated deliveries are signed again with the webhook secret, so
//! mutations reach the translation and the calls made while receiving.

mod common;

use ats_core::{AtsProvider, Error, InboundRequest, Secret};
use http::HeaderValue;

fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    Ok(Box::new(common::hibob(server)?))
}

/// Replaces `Bob-Signature` (where there is one) with the signature of the
/// (mutated) body.
fn resign(request: &mut InboundRequest) {
    if !request
        .headers
        .contains_key(ats_hibob::auth::SIGNATURE_HEADER)
    {
        return;
    }
    let sig = ats_hibob::auth::signature(&Secret::new(common::WEBHOOK_SECRET), &request.body);
    if let Ok(value) = HeaderValue::from_str(&sig) {
        request
            .headers
            .insert(ats_hibob::auth::SIGNATURE_HEADER, value);
    }
}

#[test]
fn hibob_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("hibob"), adapter)
        .resign(resign)
        .run();
    println!("{report}");
    report.assert_ok();
}
