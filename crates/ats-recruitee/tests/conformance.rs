//! The Recruitee adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/recruitee/`).

use ats_recruitee::recorded;

#[tokio::test]
async fn recruitee_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("recruitee"),
        recorded::adapter,
    )
    .secrets(recorded::SECRETS.iter().copied())
    .run()
    .await;
    println!("{report}");
    report.assert_ok();
    assert!(
        report.passed() >= 140,
        "only {} checks ran",
        report.passed()
    );
}
