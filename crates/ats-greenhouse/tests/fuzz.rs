//! Structure-aware fuzzing of the Greenhouse adapter from its recorded
//! fixtures (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or different run.

use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, Error, RetryConfig, UrlPolicy};
use ats_greenhouse::Greenhouse;
use ats_greenhouse::builder::DEFAULT_CALLBACK_HOSTS;

const KEY: &str = "gh_test_key_acme";

fn policy() -> UrlPolicy {
    UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS).allow_insecure("127.0.0.1")
}

fn adapter(_server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    let greenhouse = Greenhouse::builder()
        .keys(InMemoryKeys::new().with("acme", KEY))
        .callback_policy(policy())
        .retry(RetryConfig::fast(2))
        .build()?;
    Ok(Box::new(greenhouse))
}

#[test]
fn greenhouse_survives_mutated_fixtures() {
    let report =
        ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("greenhouse"), adapter)
            .callback_policy(policy())
            .run();
    println!("{report}");
    report.assert_ok();
}
