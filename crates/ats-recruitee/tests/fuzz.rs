//! Structure-aware fuzzing of the Recruitee adapter from its recorded
//! fixtures (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or different run.

use ats_recruitee::recorded;

#[test]
fn recruitee_survives_mutated_fixtures() {
    let report = ats_testkit::fuzz::Target::new(
        ats_testkit::fixtures_dir().join("recruitee"),
        recorded::adapter,
    )
    .run();
    println!("{report}");
    report.assert_ok();
}
