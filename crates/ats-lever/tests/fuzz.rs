//! Structure-aware fuzzing of the Lever adapter from its recorded fixtures
//! (`ats_testkit::fuzz`), with the configuration of `tests/conformance.rs`
//! (`tests/common`); mutated deliveries are re-signed with the connection's
//! signature token, so mutations reach the translation and the calls made
//! while receiving. `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer
//! or different run.

mod common;

use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{AtsProvider, Error, InboundRequest, Secret};
use ats_lever::translate::signed_message;
use ats_lever::wire::WebhookDelivery;

fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    Ok(Box::new(common::lever(server)?))
}

/// Replaces the value of the body's `signature` field (where there is one)
/// with the signature of the (mutated) `token + triggeredAt`, keyed with
/// the signature token of the connection named in the path.
fn resign(request: &mut InboundRequest) {
    let key = match request.path.as_str() {
        "/lever/acme/webhook" => common::SIG_ACME,
        "/lever/globex/webhook" => common::SIG_GLOBEX,
        _ => return,
    };
    let Some(message) = serde_json::from_slice::<WebhookDelivery>(&request.body)
        .ok()
        .and_then(|d| signed_message(&d))
    else {
        return;
    };
    let sig = sign(
        &Secret::new(key),
        message.as_bytes(),
        SignatureEncoding::Hex,
    );
    let text = String::from_utf8_lossy(&request.body).into_owned();
    let marker = "\"signature\":\"";
    if let Some(start) = text.find(marker).map(|i| i + marker.len())
        && let Some(len) = text[start..].find('"')
    {
        let body = format!("{}{sig}{}", &text[..start], &text[start + len..]);
        request.body = body.into_bytes().into();
    }
}

#[test]
fn lever_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("lever"), adapter)
        .resign(resign)
        .run();
    println!("{report}");
    report.assert_ok();
}
