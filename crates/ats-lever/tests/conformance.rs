//! The Lever adapter against the shared conformance suite and its recorded
//! fixtures (`fixtures/lever/`).

mod common;

use ats_core::{AtsProvider, Error};

fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    Ok(Box::new(common::lever(server)?))
}

#[tokio::test]
async fn lever_passes_the_conformance_suite() {
    let report =
        ats_testkit::conformance::Suite::new(ats_testkit::fixtures_dir().join("lever"), adapter)
            .secrets(common::SECRETS.iter().copied())
            .run()
            .await;
    println!("{report}");
    report.assert_ok();
    assert!(
        report.passed() >= 300,
        "only {} checks ran",
        report.passed()
    );
}
