//! The Greenhouse adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/greenhouse/`).

use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, Error, RetryConfig, UrlPolicy};
use ats_greenhouse::Greenhouse;
use ats_greenhouse::builder::DEFAULT_CALLBACK_HOSTS;

const KEY: &str = "gh_test_key_acme";

fn adapter(_server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    let greenhouse = Greenhouse::builder()
        .keys(InMemoryKeys::new().with("acme", KEY))
        .callback_policy(UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS).allow_insecure("127.0.0.1"))
        .retry(RetryConfig::fast(2))
        .build()?;
    Ok(Box::new(greenhouse))
}

#[tokio::test]
async fn greenhouse_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("greenhouse"),
        adapter,
    )
    .secrets([KEY])
    .run()
    .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 100, "only {} checks ran", report.passed());
}
