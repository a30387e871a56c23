//! Structure-aware fuzzing of the StackOne adapter from its recorded
//! fixtures (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`;
//! mutated webhooks are re-signed with the signing secret, so mutations
//! reach the translation and the calls made while receiving.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or different run.

use std::sync::Arc;

use ats_core::auth::InMemoryKeys;
use ats_core::signature::sign;
use ats_core::{AtsProvider, Clock, Error, InboundRequest, RetryConfig, Secret};
use ats_stackone::auth::{SIGNATURE_ENCODING, SIGNATURE_HEADER};
use ats_stackone::{InMemoryPackageIds, StackOne};
use http::HeaderValue;

const API_KEY: &str = "v1.eu1.EXAMPLEKEYdoNotUse";
const SIGNING_SECRET: &str = "whsec_example_do_not_use";
const ROTATING_SECRET: &str = "whsec_rotating_out_2025";
const WEBHOOK_TOKEN: &str = "tok_webhook_3a7e55";
const ACME_KEY: &str = "pk_acme_5f2c9e1d";
const GLOBEX_KEY: &str = "pk_globex_81d0aa3e";

fn stackone(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    let published = InMemoryPackageIds::new()
        .with("acc_4Wd1Kz8Qr2", "bg-standard-uk", "bgp_6Nn7Oo8Pp9")
        .with("acc_4Wd1Kz8Qr2", "bg-basic-dbs", "bgp_1Cc2Dd3Ee4");
    let adapter = StackOne::builder()
        .base_url(server)
        .api_key(API_KEY)
        .signing_secrets([SIGNING_SECRET, ROTATING_SECRET])
        .webhook_token(WEBHOOK_TOKEN)
        .package_endpoint_keys(
            InMemoryKeys::new()
                .with("acc_7Qm2xT9kLp", ACME_KEY)
                .with("acc_4Wd1Kz8Qr2", GLOBEX_KEY),
        )
        .package_ids(Arc::new(published))
        .retry(RetryConfig::fast(2))
        .clock(Clock::fixed(
            "2026-01-01T00:00:00Z"
                .parse()
                .map_err(|e| Error::config(format!("{e}")))?,
        ))
        .build()?;
    Ok(Box::new(adapter))
}

/// Signs the (mutated) body again, where the request was signed.
fn resign(request: &mut InboundRequest) {
    let sig = sign(
        &Secret::new(SIGNING_SECRET),
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
    let report =
        ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("stackone"), stackone)
            .resign(resign)
            .run();
    println!("{report}");
    report.assert_ok();
}
