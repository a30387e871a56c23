//! The Ashby adapter against the shared conformance suite and its recorded
//! fixtures (`fixtures/ashby/`).

use ats_ashby::recorded;

#[tokio::test]
async fn ashby_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("ashby"),
        recorded::adapter,
    )
    .secrets(recorded::SECRETS.iter().copied())
    .run()
    .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 150, "only {} checks ran", report.passed());
}
