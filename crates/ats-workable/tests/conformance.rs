//! The Workable adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/workable/`).

use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, Error, RetryConfig, UrlPolicy};
use ats_workable::Workable;
use ats_workable::builder::DEFAULT_CALLBACK_HOSTS;

/// The token the vendor issued to the customer `acme` (Workable → vendor).
const INBOUND_TOKEN: &str = "wk_in_acme_5f2b9c1e7d4a";
/// The token Workable generated for `acme`'s integration (vendor → Workable).
const CALLBACK_TOKEN: &str = "wk_cb_acme_0d9e8f7a6b5c";

fn adapter(_server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    let workable = Workable::builder()
        .keys(InMemoryKeys::new().with("acme", INBOUND_TOKEN))
        .callback_tokens(InMemoryKeys::new().with("acme", CALLBACK_TOKEN))
        .callback_policy(UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS).allow_insecure("127.0.0.1"))
        .retry(RetryConfig::fast(2))
        .build()?;
    Ok(Box::new(workable))
}

#[tokio::test]
async fn workable_passes_the_conformance_suite() {
    let report =
        ats_testkit::conformance::Suite::new(ats_testkit::fixtures_dir().join("workable"), adapter)
            .secrets([INBOUND_TOKEN, CALLBACK_TOKEN])
            .run()
            .await;
    println!("{report}");
    report.assert_ok();
    assert!(
        report.passed() >= 150,
        "only {} checks ran",
        report.passed()
    );
}
