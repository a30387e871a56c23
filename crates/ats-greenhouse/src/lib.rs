//! Greenhouse Assessment Partner API adapter, vendor side.
//!
//! Greenhouse calls four endpoints the vendor hosts (`list_tests`,
//! `send_test`, `test_status`, `response_error`) with HTTP Basic auth, the
//! API key the vendor issued to the customer as user name. When a test
//! changes, the vendor `PATCH`es the URL it got with `send_test`; Greenhouse
//! then calls `test_status`. Wire facts and sources: `docs/providers/greenhouse.md`.
//!
//! ```
//! use ats_core::auth::InMemoryKeys;
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//! use ats_greenhouse::Greenhouse;
//!
//! let greenhouse = Greenhouse::builder()
//!     .keys(InMemoryKeys::new().with("acme", "0d031d8227eafa61dc375a6c2e067e24"))
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/greenhouse/send_test")
//!     .with_body(r#"{"partner_test_id": "12345",
//!                   "candidate": {"first_name": "Maya", "last_name": "Lindqvist",
//!                                 "email": "maya@example.com"},
//!                   "url": "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/555"}"#);
//! let operation = greenhouse.route(&request)?;
//! let InboundEvent::OrderReceived(order) = greenhouse.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "12345");
//! assert_eq!(order.candidate.primary_email(), Some("maya@example.com"));
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::GreenhouseBuilder;
pub use crate::provider::Greenhouse;
