//! [`handle`]: one inbound call, end to end, for any adapter and any vendor.

use crate::error::Error;
use crate::event::{Inbound, InboundEvent, VendorReply};
use crate::http::{InboundRequest, InboundResponse};
use crate::provider::AtsProvider;
use crate::vendor::Vendor;

/// What happened while handling one inbound call: the response, and what led
/// to it (for the vendor's activity log).
#[derive(Debug)]
pub struct Handled {
    /// The response to send back to the provider.
    pub response: InboundResponse,
    /// The translated call, when it got that far.
    pub inbound: Option<Inbound>,
    /// The vendor's answer, when it got that far.
    pub reply: Option<VendorReply>,
    /// The error that decided the response, if one did.
    pub error: Option<Error>,
}

/// Receives a provider's call through `provider`, asks `vendor`, and renders
/// the answer in the provider's format.
///
/// Never panics and always produces a response: authentication failures,
/// malformed payloads and vendor errors are rendered the way the provider
/// expects errors ([`AtsProvider::respond_error`]).
///
/// ```
/// # use ats_core::{serve, AtsProvider, Vendor, InboundRequest};
/// # async fn demo(provider: &dyn AtsProvider, vendor: &dyn Vendor, request: InboundRequest) {
/// let handled = serve::handle(provider, vendor, &request).await;
/// let http_response = handled.response.into_http();
/// # }
/// ```
pub async fn handle(
    provider: &dyn AtsProvider,
    vendor: &dyn Vendor,
    request: &InboundRequest,
) -> Handled {
    let inbound = match provider.receive(request).await {
        Ok(inbound) => inbound,
        Err(error) => {
            let operation = provider.route(request).ok();
            tracing::info!(provider = provider.name(), %error, "inbound call refused");
            return Handled {
                response: provider.respond_error(operation, &error),
                inbound: None,
                reply: None,
                error: Some(error),
            };
        }
    };
    let reply = match ask(vendor, &inbound.event).await {
        Ok(reply) => reply,
        Err(error) => {
            tracing::warn!(provider = provider.name(), operation = %inbound.operation, %error, "vendor failed");
            return Handled {
                response: provider.respond_error(Some(&inbound.operation), &error),
                inbound: Some(inbound),
                reply: None,
                error: Some(error),
            };
        }
    };
    match provider.respond(&inbound.operation, &reply) {
        Ok(response) => Handled {
            response,
            inbound: Some(inbound),
            reply: Some(reply),
            error: None,
        },
        Err(error) => Handled {
            response: provider.respond_error(Some(&inbound.operation), &error),
            inbound: Some(inbound),
            reply: Some(reply),
            error: Some(error),
        },
    }
}

/// Asks the vendor what the event calls for.
pub async fn ask(vendor: &dyn Vendor, event: &InboundEvent) -> Result<VendorReply, Error> {
    Ok(match event {
        InboundEvent::PackagesRequested(r) => VendorReply::Packages {
            packages: vendor.packages(r).await?,
        },
        InboundEvent::OrderReceived(order) => vendor.order(order).await?.into(),
        InboundEvent::OrderCancelled(c) => {
            vendor.cancel(c).await?;
            VendorReply::Acknowledged
        }
        InboundEvent::StatusRequested(q) => VendorReply::Status(Box::new(vendor.status(q).await?)),
        InboundEvent::ErrorReported(r) => {
            vendor.error_reported(r).await?;
            VendorReply::Acknowledged
        }
        InboundEvent::Ignored(_) => VendorReply::Acknowledged,
    })
}
