//! The StackOne adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/stackone/`).
//!
//! StackOne calls the vendor two ways, authenticated differently: signed
//! webhooks (`x-stackone-signature`) and the packages endpoint (a key the
//! vendor issued). The adapter names each operation's scheme
//! (`AtsProvider::inbound_auth`), so the suite tampers with every accepted
//! request by the right one. The accepted packages-endpoint fixtures carry
//! the key in `Authorization`, which the suite can remove or alter; the
//! `?token=` form is covered by the crate's own tests.

use std::sync::Arc;

use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, Clock, Error, RetryConfig};
use ats_stackone::{InMemoryPackageIds, StackOne};

const API_KEY: &str = "v1.eu1.EXAMPLEKEYdoNotUse";
const SIGNING_SECRET: &str = "whsec_example_do_not_use";
const ROTATING_SECRET: &str = "whsec_rotating_out_2025";
const WEBHOOK_TOKEN: &str = "tok_webhook_3a7e55";
const ACME_KEY: &str = "pk_acme_5f2c9e1d";
const GLOBEX_KEY: &str = "pk_globex_81d0aa3e";

fn stackone(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    // Background checks already published for one account; the fixtures'
    // other accounts have none yet.
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

#[tokio::test]
async fn stackone_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("stackone"),
        stackone,
    )
    .secrets([
        API_KEY,
        SIGNING_SECRET,
        ROTATING_SECRET,
        WEBHOOK_TOKEN,
        ACME_KEY,
        GLOBEX_KEY,
    ])
    .run()
    .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 250, "only {} checks ran", report.passed());
    // every operation's credentials were tampered with by its own scheme:
    // the packages endpoint by key, the webhooks by signature
    let tampered = |label: &str| {
        report
            .checks
            .iter()
            .filter(|c| c.name == format!("auth: {label}"))
            .count()
    };
    assert!(tampered("wrong key") >= 3, "{report}");
    assert!(tampered("altered signature") >= 6, "{report}");
}
