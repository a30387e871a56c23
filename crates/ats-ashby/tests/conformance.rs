//! The Ashby adapter against the shared conformance suite and its recorded
//! fixtures (`fixtures/ashby/`).

use ats_ashby::Ashby;
use ats_ashby::wire::{CustomField, CustomFieldType};
use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, Clock, Error, RetryConfig};

/// The key the vendor issued to the customer `acme` (Ashby presents it).
const PARTNER_KEY: &str = "ashby_partner_key_acme_7f3c";
/// `acme`'s own Ashby API key (the vendor presents it).
const API_KEY: &str = "ashby_api_key_acme_51d2";

fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
    let ashby = Ashby::builder()
        .keys(InMemoryKeys::new().with("acme", PARTNER_KEY))
        .api_keys(InMemoryKeys::new().with("acme", API_KEY))
        .base_url(server)
        .custom_fields(vec![
            CustomField::new("department", "Department", CustomFieldType::ValueSelect)
                .with_choice("eng", "Engineering")
                .with_choice("data", "Data & Analytics")
                .required(true),
            CustomField::new("seniority", "Seniority", CustomFieldType::ValueSelect)
                .with_choice("junior", "Junior")
                .with_choice("senior", "Senior"),
        ])
        .clock(Clock::fixed(
            "2026-01-12T09:30:00Z"
                .parse()
                .map_err(|e| Error::config(format!("{e}")))?,
        ))
        .retry(RetryConfig::fast(2))
        .build()?;
    Ok(Box::new(ashby))
}

#[tokio::test]
async fn ashby_passes_the_conformance_suite() {
    let report =
        ats_testkit::conformance::Suite::new(ats_testkit::fixtures_dir().join("ashby"), adapter)
            .secrets([PARTNER_KEY, API_KEY])
            .run()
            .await;
    println!("{report}");
    report.assert_ok();
    assert!(report.passed() > 150, "only {} checks ran", report.passed());
}
