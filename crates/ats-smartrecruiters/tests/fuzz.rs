//! Structure-aware fuzzing of the SmartRecruiters adapter from its recorded
//! fixtures (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or different run.

use ats_smartrecruiters::recorded;

#[test]
fn smartrecruiters_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(
        ats_testkit::fixtures_dir().join("smartrecruiters"),
        recorded::adapter,
    )
    .run();
    println!("{report}");
    report.assert_ok();
}
