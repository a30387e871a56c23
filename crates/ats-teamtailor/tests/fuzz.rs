//! Structure-aware fuzzing of the Teamtailor adapter from its recorded
//! fixtures (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or different run.

use ats_core::UrlPolicy;
use ats_teamtailor::builder::DEFAULT_CALLBACK_HOSTS;
use ats_teamtailor::recorded;

fn policy() -> UrlPolicy {
    UrlPolicy::https_hosts(DEFAULT_CALLBACK_HOSTS).allow_insecure("127.0.0.1")
}

#[test]
fn teamtailor_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(
        ats_testkit::fixtures_dir().join("teamtailor"),
        recorded::adapter,
    )
    .callback_policy(policy())
    .run();
    println!("{report}");
    report.assert_ok();
}
