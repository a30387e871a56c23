//! The Teamtailor adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/teamtailor/`).

use ats_teamtailor::recorded;

#[tokio::test]
async fn teamtailor_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("teamtailor"),
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
