//! Outbound calls: the result and status write-back
//! `PATCH {base}/orders/{orderId}/results`, sent with a customer-level
//! access token (see [`crate::oauth`]).

use ats_core::client::{Auth, HttpClient, ProviderMessage};
use ats_core::http::url_with_segments;
use ats_core::{AssessmentResult, Error, OrderHandle, PreparedRequest, Secret};
use http::Method;
use url::Url;

use crate::translate::{self, CONTEXT_ORDER_ID};

/// The provider's name for the result write ("updates package result").
pub const UPDATE_RESULTS: &str = "orders.results.update";

/// SmartRecruiters' Assessment API (2021) base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.smartrecruiters.com/assessment-api/v202010";

/// SmartRecruiters' OAuth token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://api.smartrecruiters.com/identity/oauth/token";

/// SmartRecruiters' order id of a handle: its provider order id, else the
/// one kept in the order's context.
pub fn order_id(order: &OrderHandle) -> Result<&str, Error> {
    order
        .provider_order_id
        .as_deref()
        .or_else(|| order.context.get(CONTEXT_ORDER_ID).and_then(|v| v.as_str()))
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            Error::config("the order has no SmartRecruiters order id (`orderId` of the order)")
        })
}

/// Builds the result write for an order (pure; no credentials).
///
/// Sending it twice leaves the order as sending it once (the same status and
/// result replace themselves), so it is marked idempotent and retried after
/// an ambiguous failure. That `PATCH` replaces rather than appends is
/// **unconfirmed**.
pub fn update_results(
    base: &Url,
    order: &OrderHandle,
    result: &AssessmentResult,
) -> Result<PreparedRequest, Error> {
    let id = order_id(order)?;
    let url = url_with_segments(base, &["orders", id, "results"])?;
    let body = translate::result_update(result)?;
    Ok(PreparedRequest::new(UPDATE_RESULTS, Method::PATCH, url)
        .json(&body)?
        .idempotent(true))
}

/// Sends a prepared write with a Bearer token.
pub async fn send(
    http: &HttpClient,
    token: Secret,
    request: &PreparedRequest,
) -> Result<u32, Error> {
    http.send(request, &Auth::Bearer(token), ProviderMessage::generic)
        .await
        .map(|reply| reply.attempts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{AssessmentStatus, Score, TenantId};
    use serde_json::Value;

    fn handle(id: Option<&str>) -> OrderHandle {
        OrderHandle {
            provider: "smartrecruiters".into(),
            tenant: Some(TenantId::new("acme")),
            provider_order_id: id.map(str::to_owned),
            vendor_assessment_id: Some("asm_1".into()),
            package_id: Some("pkg-7".into()),
            candidate_id: None,
            callback_url: None,
            context: Default::default(),
        }
    }

    #[test]
    fn exact_request() {
        let base = Url::parse(DEFAULT_BASE_URL).unwrap();
        let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
        result.score = Some(Score::out_of(81.0, 100.0));
        let r = update_results(&base, &handle(Some("ord-1")), &result).unwrap();
        assert_eq!(r.method, Method::PATCH);
        assert_eq!(
            r.url.as_str(),
            "https://api.smartrecruiters.com/assessment-api/v202010/orders/ord-1/results"
        );
        assert_eq!(
            std::str::from_utf8(&r.body).unwrap(),
            r#"{"status":"COMPLETED","score":"81/100"}"#
        );
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(r.idempotent);
    }

    #[test]
    fn ids_stay_in_their_segment() {
        let base = Url::parse(DEFAULT_BASE_URL).unwrap();
        let result = AssessmentResult::with_status(AssessmentStatus::InProgress);
        let r = update_results(&base, &handle(Some("a/b?c")), &result).unwrap();
        assert_eq!(
            r.url.path(),
            "/assessment-api/v202010/orders/a%2Fb%3Fc/results"
        );
        assert!(update_results(&base, &handle(Some("..")), &result).is_err());
    }

    #[test]
    fn order_id_from_context() {
        let mut h = handle(None);
        assert!(order_id(&h).is_err());
        h.context
            .insert(CONTEXT_ORDER_ID.into(), Value::String("ord-9".into()));
        assert_eq!(order_id(&h).unwrap(), "ord-9");
    }
}
