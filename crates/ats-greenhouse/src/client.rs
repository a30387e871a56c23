//! Outbound calls: `PATCH <url from send_test>` ("Mark Test as Completed"),
//! sent with the same Basic credentials Greenhouse uses towards the vendor.

use ats_core::auth::SecretStore;
use ats_core::client::{Auth, HttpClient, ProviderMessage};
use ats_core::{Delivery, Error, OrderHandle, PreparedRequest, TenantId, UrlPolicy};
use http::Method;

/// The provider's name for the completion call.
pub const PATCH_COMPLETED_TEST: &str = "patch_completed_test";

/// Builds the completion `PATCH` for an order: no body, no parameters.
///
/// The URL comes from the `send_test` payload, so it is checked against the
/// callback policy before anything is sent.
pub fn patch_completed_test(
    order: &OrderHandle,
    policy: &UrlPolicy,
) -> Result<PreparedRequest, Error> {
    let url = order.callback_url.clone().ok_or_else(|| {
        Error::config("the order has no callback URL (send_test carried no `url`); Greenhouse will poll test_status instead")
    })?;
    policy.check(&url)?;
    // Notifying twice is harmless: Greenhouse reacts by calling test_status.
    Ok(PreparedRequest::new(PATCH_COMPLETED_TEST, Method::PATCH, url).idempotent(true))
}

/// Sends a prepared request with the tenant's API key.
pub async fn send(
    http: &HttpClient,
    secrets: &dyn SecretStore,
    tenant: Option<&TenantId>,
    request: &PreparedRequest,
) -> Result<Delivery, Error> {
    let tenant = tenant.ok_or_else(|| Error::config("the order has no tenant"))?;
    let key = secrets
        .secret_for(tenant)
        .await?
        .ok_or_else(|| Error::config(format!("no Greenhouse API key for tenant `{tenant}`")))?;
    let reply = http
        .send(
            request,
            &Auth::api_key_as_username(key),
            ProviderMessage::generic,
        )
        .await?;
    Ok(Delivery {
        attempts: reply.attempts,
        warnings: Vec::new(),
    })
}
