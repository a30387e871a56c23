//! The HiBob adapter against the shared conformance suite and its recorded
//! fixtures (`fixtures/hibob/`).

mod common;

use ats_core::{AtsProvider, Error};

fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    Ok(Box::new(common::hibob(server)?))
}

#[tokio::test]
async fn hibob_passes_the_conformance_suite() {
    let report =
        ats_testkit::conformance::Suite::new(ats_testkit::fixtures_dir().join("hibob"), adapter)
            .secrets(common::SECRETS.iter().copied())
            .run()
            .await;
    println!("{report}");
    report.assert_ok();
}
