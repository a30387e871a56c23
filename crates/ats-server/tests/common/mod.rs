//! Shared pieces of the runtime tests: stores, a counting vendor, a Kombo
//! runtime pointed at a mock, signed deliveries.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{
    Acceptance, AssessmentOrder, AssessmentResult, Cancellation, OrderDecision, OrderHandle,
    Package, PackagesRequest, RetryConfig, Secret, StatusQuery, Vendor, VendorError, async_trait,
};
use ats_kombo::Kombo;
use ats_server::Runtime;
use ats_store::{KeyRing, Store};
use sqlx::Connection;
use wiremock::MockServer;

pub const KOMBO_SECRET: &str = "kombo-webhook-secret-for-tests";
pub const RING: &str = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub fn ring() -> KeyRing {
    KeyRing::parse(RING).unwrap()
}

fn unique() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A fresh SQLite file and its URL.
pub async fn sqlite_store_at() -> (Store, String) {
    let dir = std::env::temp_dir().join("ats-server-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!(
        "sqlite://{}",
        dir.join(format!("{}.db", unique())).display()
    );
    (Store::connect(&url, ring()).await.unwrap(), url)
}

pub async fn sqlite_store() -> Store {
    sqlite_store_at().await.0
}

/// A fresh schema on the test PostgreSQL server (see `scripts/test.sh`).
pub async fn postgres_url() -> Option<String> {
    let Ok(base) = std::env::var("ATS_TEST_POSTGRES_URL") else {
        if std::env::var("ATS_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("PostgreSQL test skipped (ATS_SKIP_POSTGRES=1)");
            return None;
        }
        panic!(
            "ATS_TEST_POSTGRES_URL is not set: run scripts/test.sh (or set ATS_SKIP_POSTGRES=1)"
        );
    };
    let schema = format!("s_{}", unique());
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

/// Accepts every order as `asm-<provider order id>`, after `delay`,
/// counting calls; fails the next `fail_next` orders as unavailable.
/// Counts error reports too.
#[derive(Clone)]
pub struct CountingVendor {
    pub orders: Arc<AtomicUsize>,
    pub reports: Arc<AtomicUsize>,
    pub fail_next: Arc<AtomicUsize>,
    delay: Duration,
    /// The assessment id every order is given (a vendor's mistake), instead
    /// of one per order.
    same_id: Option<String>,
}

impl CountingVendor {
    pub fn new(delay: Duration) -> Self {
        Self {
            orders: Arc::default(),
            reports: Arc::default(),
            fail_next: Arc::default(),
            delay,
            same_id: None,
        }
    }

    /// Gives every order the assessment id `id`.
    pub fn giving_every_order(mut self, id: &str) -> Self {
        self.same_id = Some(id.to_owned());
        self
    }
}

#[async_trait]
impl Vendor for CountingVendor {
    async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        Ok(vec![Package::new("pkg-rust-senior", "Rust (senior)")])
    }
    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        self.orders.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        if self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(VendorError::Unavailable {
                message: "database restarting".into(),
            });
        }
        let id = self.same_id.clone().unwrap_or_else(|| {
            format!(
                "asm-{}",
                order.provider_order_id.as_deref().unwrap_or("none")
            )
        });
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
    async fn error_reported(&self, _: &ats_core::ErrorReport) -> Result<(), VendorError> {
        self.reports.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

pub fn kombo(mock: &MockServer) -> Kombo {
    Kombo::builder()
        .api_key("kombo-api-key")
        .webhook_secret(KOMBO_SECRET)
        .base_url(mock.uri())
        .retry(RetryConfig::none())
        .build()
        .unwrap()
}

pub fn kombo_runtime_named(
    store: &Store,
    mock: &MockServer,
    vendor: CountingVendor,
    instance: &str,
) -> Runtime {
    Runtime::builder()
        .with_store(store.clone())
        .with_vendor(vendor)
        .with_adapter(kombo(mock))
        .with_instance(instance)
        .with_poll_interval(Duration::from_millis(20))
        .with_body_limit(1 << 20)
        .build()
        .unwrap()
}

pub fn kombo_runtime(store: &Store, mock: &MockServer, vendor: CountingVendor) -> Runtime {
    kombo_runtime_named(store, mock, vendor, "test")
}

/// Serves the runtime's router on a loopback port; returns its base URL.
pub async fn serve(runtime: Runtime) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = runtime.config().connection_limits();
    let router = ats_server::router(runtime);
    tokio::spawn(ats_server::serve_router(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

/// A Kombo `assessment:order-received` body for order `id`.
pub fn kombo_order(id: &str) -> String {
    serde_json::json!({
        "id": format!("evt-{id}"),
        "type": "assessment:order-received",
        "data": {
            "id": id,
            "package_id": "pkg-rust-senior",
            "status": "OPEN",
            "integration_id": "greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H",
            "candidate": {
                "remote_id": "cand-40213",
                "email": "mira.okafor@example.com",
                "first_name": "Mira",
                "last_name": "Okafor",
                "phone": null
            },
            "application": {"remote_id": "app-88120"},
            "job": {"remote_id": "job-5521", "name": "Backend Engineer (Rust)", "hiring_team": []}
        }
    })
    .to_string()
}

pub fn signed_kombo(client: &reqwest::Client, base: &str, body: &str) -> reqwest::RequestBuilder {
    let signature = sign(
        &Secret::new(KOMBO_SECRET),
        body.as_bytes(),
        SignatureEncoding::Base64UrlNoPad,
    );
    client
        .post(format!("{base}/kombo/webhooks"))
        .header("content-type", "application/json")
        .header("x-kombo-signature", signature)
        .body(body.to_owned())
}

pub fn kombo_handle(order_id: &str, vendor_id: &str) -> OrderHandle {
    serde_json::from_value(serde_json::json!({
        "provider": "kombo",
        "tenant": "greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H",
        "provider_order_id": order_id,
        "vendor_assessment_id": vendor_id,
        "package_id": "pkg-rust-senior",
        "candidate_id": "cand-40213"
    }))
    .unwrap()
}

/// What a log row says of a call's outcome: provider, operation, ok, error
/// kind, HTTP status and message, for comparing rows whole.
pub fn outcome(
    a: &ats_store::Activity,
) -> (&str, &str, bool, Option<&str>, Option<u16>, Option<&str>) {
    (
        a.provider.as_str(),
        a.operation.as_str(),
        a.ok,
        a.error_kind.as_deref(),
        a.http_status,
        a.message.as_deref(),
    )
}
