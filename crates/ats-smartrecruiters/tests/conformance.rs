//! The SmartRecruiters adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/smartrecruiters/`).

use ats_smartrecruiters::recorded;

#[tokio::test]
async fn smartrecruiters_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("smartrecruiters"),
        recorded::adapter,
    )
    .secrets(recorded::SECRETS.iter().copied())
    .run()
    .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 100, "only {} checks ran", report.passed());
}
