//! Test kit for ATS adapters: recorded HTTP fixtures, `wiremock` replay, the
//! conformance suite every adapter must pass, and vendors for tests.
//!
//! ```no_run
//! # async fn demo() {
//! use ats_core::{AtsProvider, Error};
//!
//! // Builds the adapter under test, pointed at the mock provider `server`
//! // and configured with the credentials the fixtures use.
//! fn my_adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
//!     # Err(Error::config(format!("no adapter for {server}")))
//! }
//!
//! let report = ats_testkit::conformance::run("fixtures/my-ats", my_adapter).await;
//! report.assert_ok();
//! # }
//! ```
//!
//! The fixture format is described in `docs/fixtures.md`.

pub mod conformance;
pub mod fixture;
pub mod fuzz;
pub mod replay;
pub mod vendor;

pub use crate::fixture::{Fixture, FixtureError, FixtureFile};
pub use crate::vendor::{MemoryVendor, ScriptedVendor};

/// The fixtures directory: `ATS_FIXTURES_DIR` when set (another copy of
/// the recordings, e.g. next to an installed `ats`), else the workspace's
/// `fixtures/`.
pub fn fixtures_dir() -> std::path::PathBuf {
    match std::env::var_os("ATS_FIXTURES_DIR") {
        Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"),
    }
}
