//! The StackOne adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/stackone/`).
//!
//! StackOne calls the vendor two ways, authenticated differently: signed
//! webhooks (`x-stackone-signature`) and the packages endpoint (a key the
//! vendor issued). The adapter names each operation's scheme
//! (`AtsProvider::inbound_auth`), so the suite tampers with every accepted
//! request by the right one. The accepted packages-endpoint fixtures carry
//! the key in `Authorization`, which the suite can remove or alter; the
//! `?token=` form is covered by the crate's own tests.

use ats_stackone::recorded;

#[tokio::test]
async fn stackone_passes_the_conformance_suite() {
    let report = ats_testkit::conformance::Suite::new(
        ats_testkit::fixtures_dir().join("stackone"),
        recorded::adapter,
    )
    .secrets(recorded::SECRETS.iter().copied())
    .run()
    .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 250, "only {} checks ran", report.passed());
    // every operation's credentials were tampered with by its own scheme:
    // the packages endpoint by key, the webhooks by signature
    let tampered = |label: &str| {
        report
            .checks
            .iter()
            .filter(|c| c.name == format!("auth: {label}"))
            .count()
    };
    assert!(tampered("wrong key") >= 3, "{report}");
    assert!(tampered("altered signature") >= 6, "{report}");
}
