//! A complete vendor service: every shipped adapter mounted, state in a
//! SQLite file, results written back through the durable outbox.
//!
//! ```text
//! export ATS_ENCRYPTION_KEY=$(cargo run -q -p ats-cli -- keygen)   # keep it: it opens the secrets
//! cargo run -p ats-examples --example vendor_server
//! ```
//!
//! It serves every adapter under `/{name}/…` (`/greenhouse/…`,
//! `/ashby/…`, `/kombo/…`, …; Lever's per-connection webhooks at
//! `/lever/{tenant}/webhook`), `/healthz` and `/readyz` on port 8080, prints
//! a Greenhouse key issued to tenant `acme`, and reports every accepted
//! assessment as completed a few seconds later.
//! `ats log --database sqlite://vendor.db` shows what came in and went out,
//! `ats outbox --database sqlite://vendor.db` the results written back.

use std::time::Duration;

use ats_core::{
    Acceptance, AssessmentOrder, AssessmentResult, AssessmentStatus, Cancellation, OrderDecision,
    Package, PackagesRequest, Score, StatusQuery, TenantId, Vendor, VendorError,
};
use ats_server::{ProviderSettings, Runtime, stock_adapters};
use ats_store::{KeyRing, Store};
use tokio::sync::mpsc;

/// The vendor's own code: a two-test catalogue; accepted assessments are
/// handed to the "grader" through a channel.
struct Catalogue(mpsc::UnboundedSender<String>);

#[ats_core::async_trait]
impl Vendor for Catalogue {
    async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        Ok(vec![
            Package::new("rust-senior", "Rust (senior)"),
            Package::new("sql", "SQL basics"),
        ])
    }
    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        let id = format!(
            "asm-{}",
            order
                .provider_order_id
                .as_deref()
                .unwrap_or(&order.package_id)
        );
        let _ = self.0.send(id.clone());
        Ok(OrderDecision::Accepted(Acceptance::new(id)))
    }
    async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> {
        Ok(())
    }
    async fn status(&self, q: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        Err(VendorError::UnknownOrder {
            id: q.order.display_id().to_owned(),
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys = KeyRing::from_env("ATS_ENCRYPTION_KEY").unwrap_or_else(|e| {
        eprintln!("{e}\nusing a throw-away key: secrets stored now will not open after a restart");
        KeyRing::ephemeral()
    });
    // --- the whole service: store, adapters, runtime, server ---
    let store = Store::builder()
        .with_url("sqlite://vendor.db")
        .with_key_ring(keys)
        .build()
        .await?;
    let adapters = stock_adapters(&store, &ProviderSettings::from_env(), "vendor-1").await?;
    let (graded, mut to_grade) = mpsc::unbounded_channel();
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(Catalogue(graded))
        .with_adapters(adapters)
        .build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    let server = tokio::spawn(ats_server::serve(
        listener,
        runtime.clone(),
        ats_server::shutdown_signal(),
    ));
    // ---

    let key = store
        .issue_key("greenhouse", &TenantId::new("acme"))
        .await?;
    println!(
        "serving on http://127.0.0.1:8080; Greenhouse key for tenant acme: {}",
        key.expose()
    );
    // the "grader": completes each accepted assessment 3 seconds later
    let mut server = server;
    loop {
        tokio::select! {
            done = &mut server => return Ok(done??),
            Some(id) = to_grade.recv() => {
                let runtime = runtime.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
                    result.score = Some(Score::out_of(81.0, 100.0));
                    result.report_url =
                        format!("https://vendor.example.com/reports/{id}").parse().ok();
                    match runtime.report_for(&id, &result).await {
                        Ok(item) => println!("{id}: result queued for delivery (outbox item {item})"),
                        Err(e) => eprintln!("{id}: {e}"),
                    }
                });
            }
        }
    }
}
