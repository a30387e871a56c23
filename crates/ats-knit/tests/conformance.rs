//! The Knit adapter against the shared conformance suite and its recorded
//! fixtures (`fixtures/knit/`).

use ats_knit::recorded;

#[tokio::test]
async fn knit_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("knit"),
        recorded::adapter,
    )
    .secrets(recorded::SECRETS.iter().copied())
    .run()
    .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 120, "only {} checks ran", report.passed());
}
