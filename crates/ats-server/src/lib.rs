//! The vendor runtime: everything between the calls. Put the adapters, a
//! [`Vendor`](ats_core::Vendor) and an [`ats_store::Store`] together and get
//!
//! * a durable **intake**: every authenticated order is recorded before the
//!   provider gets its answer; copies of a call (redeliveries, retries,
//!   concurrent duplicates, on any instance, after restarts) get the first
//!   answer and never reach the vendor twice;
//! * an **outbox** for results: [`Runtime::report`] returns once the result
//!   is stored; workers deliver it with backoff and jitter, honour
//!   `Retry-After`, dead-letter permanent refusals with the provider's
//!   message, keep each order's statuses in order and skip superseded ones;
//! * an **activity log** of every exchange, queryable with `ats log`;
//! * an axum [`router`] serving every adapter at `/{provider}/…`, with
//!   `/healthz`, `/readyz`, a body limit and graceful shutdown ([`serve`]).
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use ats_server::ats_core::{self, AtsProvider, Acceptance, AssessmentOrder, AssessmentResult,
//!     Cancellation, OrderDecision, Package, PackagesRequest, StatusQuery, Vendor, VendorError};
//! use ats_server::ats_store::{KeyRing, Store};
//! use ats_server::Runtime;
//!
//! struct MyVendor;
//!
//! #[ats_core::async_trait]
//! impl Vendor for MyVendor {
//!     async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
//!         Ok(vec![Package::new("rust", "Rust")])
//!     }
//!     async fn order(&self, o: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
//!         Ok(OrderDecision::Accepted(Acceptance::new(format!("inv-{}", o.package_id))))
//!     }
//!     async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> { Ok(()) }
//!     async fn status(&self, q: &StatusQuery) -> Result<AssessmentResult, VendorError> {
//!         Err(VendorError::UnknownOrder { id: q.order.display_id().into() })
//!     }
//! }
//!
//! async fn run(adapter: Arc<dyn AtsProvider>) -> Result<(), Box<dyn std::error::Error>> {
//!     let store = Store::builder()
//!         .with_url("sqlite://ats.db")
//!         .with_key_ring(KeyRing::from_env("ATS_ENCRYPTION_KEY")?)
//!         .build()
//!         .await?;
//!     let runtime = Runtime::builder()
//!         .with_store(store)
//!         .with_vendor(MyVendor)
//!         .with_shared_adapter(adapter) // served at /{adapter name}/…
//!         .build()?;
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//!     ats_server::serve(listener, runtime, ats_server::shutdown_signal()).await?;
//!     Ok(())
//! }
//! ```

mod error;
mod outbox;
mod router;
mod runtime;
mod stock;

pub use crate::error::RuntimeError;
pub use crate::outbox::{Attempt, backoff};
pub use crate::router::{ConnectionLimits, router, serve, serve_router, shutdown_signal};
pub use crate::runtime::{DEFAULT_BODY_LIMIT, Runtime, RuntimeBuilder, RuntimeConfig};
pub use crate::stock::{
    ProviderSettings, StockAdapters, StockOptions, registrations, secret_names, stock_adapters,
    stock_adapters_with, stock_names,
};

/// Re-exported: the model and traits the runtime is built from.
pub use ats_core;
/// Re-exported: the store the runtime keeps its state in.
pub use ats_store;
