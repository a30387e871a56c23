//! Structure-aware fuzzing of the Workable adapter from its recorded
//! fixtures (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or different run.

use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, Error, RetryConfig, UrlPolicy};
use ats_workable::Workable;
use ats_workable::builder::DEFAULT_CALLBACK_HOSTS;

const INBOUND_TOKEN: &str = "wk_in_acme_5f2b9c1e7d4a";
const CALLBACK_TOKEN: &str = "wk_cb_acme_0d9e8f7a6b5c";

fn policy() -> UrlPolicy {
    UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS).allow_insecure("127.0.0.1")
}

fn adapter(_server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    let workable = Workable::builder()
        .keys(InMemoryKeys::new().with("acme", INBOUND_TOKEN))
        .callback_tokens(InMemoryKeys::new().with("acme", CALLBACK_TOKEN))
        .callback_policy(policy())
        .retry(RetryConfig::fast(2))
        .build()?;
    Ok(Box::new(workable))
}

#[test]
fn workable_survives_mutated_fixtures() {
    let report =
        ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("workable"), adapter)
            .callback_policy(policy())
            .run();
    println!("{report}");
    report.assert_ok();
}
