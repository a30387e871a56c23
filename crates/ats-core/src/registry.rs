//! How an adapter crate registers itself with the tools around it (the `ats`
//! command, `ats replay`, `ats demo`, the conformance suite): one
//! [`Registration`] per adapter, returned by the crate's `registration()`.
//!
//! ```
//! use ats_core::registry::Registration;
//! use ats_core::{AtsProvider, Error};
//!
//! fn translation_only() -> Result<Box<dyn AtsProvider>, Error> {
//!     Err(Error::config("an example without an adapter"))
//! }
//! fn recorded(_server: &str) -> Result<Box<dyn AtsProvider>, Error> {
//!     translation_only()
//! }
//!
//! let entry = Registration {
//!     name: "example",
//!     translation_only,
//!     recorded,
//!     recorded_secrets: &["example-key"],
//!     demo: None,
//! };
//! assert_eq!(entry.name, "example");
//! assert!((entry.recorded)("http://127.0.0.1:1").is_err());
//! ```

use crate::{AtsProvider, Error};

/// What the tools need to know of one adapter.
#[derive(Clone, Copy, Debug)]
pub struct Registration {
    /// The adapter's name ([`AtsProvider::name`]), also the name of its
    /// folder under `fixtures/`.
    pub name: &'static str,
    /// The adapter with no credentials: enough to translate a payload and
    /// render an answer (`ats inspect`, `ats render`).
    pub translation_only: fn() -> Result<Box<dyn AtsProvider>, Error>,
    /// The adapter configured exactly as its recorded fixtures expect
    /// (tenants, keys, secrets, a fixed clock), sending its outbound calls
    /// to `server` (a stand-in of the provider). Every key in it is made up.
    pub recorded: fn(&str) -> Result<Box<dyn AtsProvider>, Error>,
    /// Every credential in the recorded configuration: none of them may
    /// appear in logs, errors or `Debug` output.
    pub recorded_secrets: &'static [&'static str],
    /// The two fixtures `ats demo` plays for this adapter.
    pub demo: Option<DemoFixtures>,
}

/// What `ats demo` plays for an adapter, as fixture file names in the
/// adapter's fixture folder: an order the vendor accepts and the completed
/// result that goes back, and where the provider has them, its package
/// list, a rejected order and a cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoFixtures {
    /// An inbound fixture whose event is an order the vendor accepts.
    pub order: &'static str,
    /// An outbound fixture whose call reports a completed result.
    pub result: &'static str,
    /// The package list: an inbound fixture where the provider asks for
    /// it, an outbound one (`publish_packages`) where the vendor pushes it.
    pub packages: Option<&'static str>,
    /// An inbound fixture whose order the vendor rejects.
    pub rejection: Option<&'static str>,
    /// An inbound fixture that cancels an order.
    pub cancellation: Option<&'static str>,
}

impl DemoFixtures {
    /// An order and its result; nothing else.
    pub const fn new(order: &'static str, result: &'static str) -> Self {
        Self {
            order,
            result,
            packages: None,
            rejection: None,
            cancellation: None,
        }
    }

    /// With the package list.
    pub const fn with_packages(mut self, fixture: &'static str) -> Self {
        self.packages = Some(fixture);
        self
    }

    /// With a rejected order.
    pub const fn with_rejection(mut self, fixture: &'static str) -> Self {
        self.rejection = Some(fixture);
        self
    }

    /// With a cancellation.
    pub const fn with_cancellation(mut self, fixture: &'static str) -> Self {
        self.cancellation = Some(fixture);
        self
    }
}
