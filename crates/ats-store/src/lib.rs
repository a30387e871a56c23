//! Durable state for the adapters and the vendor runtime, on SQLite (the
//! default: one file, nothing to install) or PostgreSQL (several instances
//! sharing one database), through one [`Store`].
//!
//! * **Keys and secrets**: keys issued to customers are kept as SHA-256
//!   digests and looked up by digest ([`Store::issued_keys`] is the
//!   adapters' `KeyDirectory`); customers' API keys, OAuth tokens and
//!   signing secrets are sealed with XChaCha20-Poly1305 under a
//!   [`KeyRing`] ([`Store::secrets`] is their `SecretStore`), so a database
//!   dump alone reveals none of them.
//! * **Adapter stores**: any provider's OAuth tokens ([`OAuthTokens`], with
//!   a refresh lease across instances), Lever's connections ([`LeverConnections`]),
//!   StackOne's package ids ([`StackOnePackageIds`]), seen delivery ids.
//! * **Intake** ([`Store::claim_intake`]): each order is answered once,
//!   whatever the number of copies, instances or restarts. The writes of
//!   concurrent calls share commits ([`StoreBuilder::with_group_commit`]).
//! * **Outbox** ([`Store::enqueue_result`], [`Store::claim_result`]):
//!   results wait here until the provider has them, in order per order.
//! * **Activity log** ([`Store::record_activity`], [`Store::activity`]).
//!
//! ```
//! use ats_core::{AssessmentResult, AssessmentStatus, OrderHandle, Secret, TenantId};
//! use ats_core::auth::KeyDirectory;
//! use ats_store::Store;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Store::in_memory().await?; // or Store::connect("sqlite://ats.db", keys)
//! let acme = TenantId::new("acme");
//!
//! // a key for the customer to paste into their ATS; only its digest is kept
//! let key = store.issue_key("greenhouse", &acme).await?;
//! let keys = store.issued_keys("greenhouse");
//! assert_eq!(keys.tenant_for_key(&key).await?, Some(acme.clone()));
//!
//! // a result waits in the outbox until a worker delivers it
//! let handle: OrderHandle = serde_json::from_value(serde_json::json!({
//!     "provider": "greenhouse", "tenant": "acme", "vendor_assessment_id": "inv-1"
//! }))?;
//! let result = AssessmentResult::with_status(AssessmentStatus::Completed);
//! store.enqueue_result(&handle, &result).await?;
//! let claimed = store.claim_result("worker-1", std::time::Duration::from_secs(60)).await?;
//! assert_eq!(claimed.map(|c| c.item.result.status), Some(AssessmentStatus::Completed));
//! # Ok(()) }
//! ```

mod activity;
mod cipher;
mod error;
mod events;
mod group;
mod intake;
mod keys;
mod outbox;
mod queue;
mod script;
mod settings;
mod store;

pub use crate::activity::{Activity, ActivityQuery, Flow, redact};
pub use crate::cipher::KeyRing;
pub use crate::error::StoreError;
pub use crate::events::{NewVendorEvent, VendorEvent};
pub use crate::group::GroupCommitStats;
pub use crate::intake::{Claim, IntakeKey, OrderChange, StoredAnswer};
pub use crate::keys::{ISSUED_KEY, IssuedKeys, Secrets, Versioned, random_token};
pub use crate::outbox::{
    ClaimedItem, ItemState, OrderFilter, OrderRecord, OutboxFilter, OutboxItem, order_key,
};
pub use crate::settings::{
    LEVER_TOKENS, LeverConnections, LeverTokens, OAUTH_TOKENS, OAuthTokens, StackOnePackageIds,
    StoreDeliveries,
};
pub use crate::store::{Backend, DEFAULT_DATABASE_URL, Store, StoreBuilder, redact_url};
