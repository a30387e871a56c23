//! The Workable adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/workable/`).

use ats_workable::recorded;

#[tokio::test]
async fn workable_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("workable"),
        recorded::adapter,
    )
    .secrets(recorded::SECRETS.iter().copied())
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
