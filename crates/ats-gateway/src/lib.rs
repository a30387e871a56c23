//! A self-hosted unified assessment gateway, for vendors written in any
//! language: `ats serve --config ats.toml`.
//!
//! Providers call the gateway (every configured adapter, at its default
//! path); the gateway sends the vendor's service each core event as JSON,
//! signed per the Standard Webhooks specification (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature`), and renders the service's
//! answer the provider's way. The service reports results through a REST
//! API (`/api/v1`, Bearer key, RFC 9457 problems, OpenAPI at
//! `/openapi.json`), and the durable runtime delivers them.
//!
//! ```no_run
//! use ats_gateway::{Gateway, GatewayConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = GatewayConfig::from_file("ats.toml".as_ref())?;
//! println!("{}", config.describe());
//! let gateway = Gateway::from_config(&config).await?;
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! gateway.serve(listener, ats_server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```
//!
//! `docs/gateway.md` is the vendor's guide: events, answers, the API with
//! curl examples, signature checks in Python, Node and Go.

mod api;
mod config;
mod error;
mod gateway;
mod vendor;

pub use crate::api::{
    ApiDoc, ConnectionCreated, ConnectionRequest, OrderView, Problem, Reported, openapi_json,
};
pub use crate::config::GatewayConfig;
pub use crate::error::GatewayError;
pub use crate::gateway::Gateway;
pub use crate::vendor::{Answer, MAX_VENDOR_ANSWER_BYTES, WebhookVendor, event_body};
