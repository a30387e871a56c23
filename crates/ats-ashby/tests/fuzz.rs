//! Structure-aware fuzzing of the Ashby adapter from its recorded fixtures
//! (`ats_testkit::fuzz`), configured as in `tests/conformance.rs`.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` make a longer or different run.

use ats_ashby::Ashby;
use ats_ashby::wire::{CustomField, CustomFieldType};
use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, Clock, Error, RetryConfig};

const PARTNER_KEY: &str = "ashby_partner_key_acme_7f3c";
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

#[test]
fn ashby_survives_mutated_fixtures() {
    let report =
        ats_testkit::fuzz::Target::new(ats_testkit::fixtures_dir().join("ashby"), adapter).run();
    println!("{report}");
    report.assert_ok();
}
