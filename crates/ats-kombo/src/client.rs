//! Outbound calls to Kombo's assessment API: building them
//! ([`PreparedRequest`], pure) and sending them with the API key.
//!
//! Every call carries `Authorization: Bearer <Kombo API key>` (added at send
//! time), `X-Integration-Id: <tenant>` and `Accept: application/json`;
//! calls with a body add `Content-Type: application/json`. Both writes are
//! `PUT`s that replace what was there, so they are idempotent and retried
//! on 408/5xx and after `Retry-After` on 429.

use ats_core::client::{Auth, HttpClient, ProviderMessage, ProviderReply};
use ats_core::http::{join_url, url_with_segments};
use ats_core::{AssessmentResult, Error, OrderHandle, Package, PreparedRequest, Secret, TenantId};
use chrono::{DateTime, SecondsFormat, Utc};
use http::{Method, StatusCode};
use url::Url;

use crate::translate;
use crate::wire::ErrorEnvelope;

/// Set packages: `PUT /assessment/packages`.
pub const SET_PACKAGES: &str = "set_packages";
/// Update order result: `PUT /assessment/orders/{assessment_order_id}/result`.
pub const UPDATE_ORDER_RESULT: &str = "update_order_result";
/// Get orders: `GET /assessment/orders` (replaces the deprecated
/// `GET /assessment/orders/open`).
pub const GET_ORDERS: &str = "get_orders";
/// Get packages: `GET /assessment/packages` (diagnostics).
pub const GET_PACKAGES: &str = "get_packages";

/// The header naming the integration (the tenant) on every call.
pub const INTEGRATION_HEADER: &str = "x-integration-id";

/// Kombo's default page size for Get orders.
pub const DEFAULT_PAGE_SIZE: u16 = 100;
/// Kombo's largest page size for Get orders.
pub const MAX_PAGE_SIZE: u16 = 250;

fn common(request: PreparedRequest, tenant: &TenantId) -> Result<PreparedRequest, Error> {
    if tenant.as_str().trim().is_empty() {
        return Err(Error::config("the tenant (Kombo integration id) is empty"));
    }
    request
        .header(INTEGRATION_HEADER, tenant.as_str())?
        .header("accept", "application/json")
}

/// Builds Set packages for a tenant's complete package list (see
/// [`translate::set_packages_body`]).
pub fn set_packages(
    base: &Url,
    tenant: &TenantId,
    packages: &[Package],
) -> Result<PreparedRequest, Error> {
    let body = translate::set_packages_body(packages)?;
    let url = join_url(base, "assessment/packages")?;
    common(PreparedRequest::new(SET_PACKAGES, Method::PUT, url), tenant)?.json(&body)
}

/// Builds Update order result for an order, written at `now` (see
/// [`translate::result_body`]). The order's provider order id (Kombo's
/// `data.id`) is percent-encoded into the path; its tenant is the
/// integration.
pub fn update_order_result(
    base: &Url,
    order: &OrderHandle,
    result: &AssessmentResult,
    now: DateTime<Utc>,
) -> Result<PreparedRequest, Error> {
    let body = translate::result_body(result, now)?;
    let tenant = order
        .tenant
        .as_ref()
        .ok_or_else(|| Error::config("the order has no tenant (Kombo integration id)"))?;
    let order_id = order
        .provider_order_id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| Error::config("the order has no Kombo order id (provider_order_id)"))?;
    let url = url_with_segments(base, &["assessment", "orders", order_id, "result"])?;
    common(
        PreparedRequest::new(UPDATE_ORDER_RESULT, Method::PUT, url),
        tenant,
    )?
    .json(&body)
}

/// Builds one page of Get orders for the tenant's open orders:
/// `statuses=OPEN&page_size=N`, then `created_after` and `cursor` when
/// given.
pub fn get_orders(
    base: &Url,
    tenant: &TenantId,
    page_size: u16,
    created_after: Option<DateTime<Utc>>,
    cursor: Option<&str>,
) -> Result<PreparedRequest, Error> {
    let mut url = join_url(base, "assessment/orders")?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("statuses", "OPEN");
        q.append_pair("page_size", &page_size.clamp(1, MAX_PAGE_SIZE).to_string());
        if let Some(at) = created_after {
            q.append_pair(
                "created_after",
                &at.to_rfc3339_opts(SecondsFormat::Millis, true),
            );
        }
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
    }
    common(PreparedRequest::new(GET_ORDERS, Method::GET, url), tenant)
}

/// Builds Get packages (diagnostics: what Kombo has for the tenant).
pub fn get_packages(base: &Url, tenant: &TenantId) -> Result<PreparedRequest, Error> {
    let url = join_url(base, "assessment/packages")?;
    common(PreparedRequest::new(GET_PACKAGES, Method::GET, url), tenant)
}

/// Reads Kombo's error envelope: `error.code` becomes the code, and the
/// message is `error.message` (else `error.title`) followed by
/// `(log: <error.log_url>)` when Kombo gives the log link, which is what
/// Kombo's support asks for. Bodies of another shape (a load balancer's
/// 503 page) fall back to [`ProviderMessage::generic`].
pub fn error_message(status: StatusCode, body: &[u8]) -> ProviderMessage {
    let nb = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
    if let Ok(ErrorEnvelope { error: Some(e), .. }) = serde_json::from_slice::<ErrorEnvelope>(body)
    {
        let code = nb(e.code);
        if let Some(mut message) = nb(e.message).or_else(|| nb(e.title)).or_else(|| {
            code.as_ref()
                .map(|_| status.canonical_reason().unwrap_or("error").to_owned())
        }) {
            if let Some(url) = nb(e.log_url) {
                message.push_str(&format!(" (log: {url})"));
            }
            return ProviderMessage { code, message };
        }
    }
    ProviderMessage::generic(status, body)
}

/// Sends a prepared request with the Kombo API key.
pub async fn send(
    http: &HttpClient,
    api_key: Option<&Secret>,
    request: &PreparedRequest,
) -> Result<ProviderReply, Error> {
    let key = api_key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Error::config("no Kombo API key configured"))?;
    http.send(request, &Auth::Bearer(key.clone()), error_message)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::AssessmentStatus;

    fn base() -> Url {
        Url::parse("https://api.kombo.dev/v1").unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-08-05T14:32:10Z".parse().unwrap()
    }

    #[test]
    fn update_order_result_path_and_headers() {
        let mut order = OrderHandle {
            provider: "kombo".into(),
            tenant: Some(TenantId::new("greenhouse:8mQz")),
            provider_order_id: Some("Hx4p/Lq 9".into()),
            vendor_assessment_id: None,
            package_id: None,
            candidate_id: None,
            callback_url: None,
            context: Default::default(),
        };
        let mut result = AssessmentResult::with_status(AssessmentStatus::Cancelled);
        result.report_url = Some(Url::parse("https://r.example.com/1").unwrap());
        let r = update_order_result(&base(), &order, &result, now()).unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(
            r.url.as_str(),
            "https://api.kombo.dev/v1/assessment/orders/Hx4p%2FLq%209/result"
        );
        assert_eq!(r.headers["x-integration-id"], "greenhouse:8mQz");
        assert_eq!(r.headers["accept"], "application/json");
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(r.idempotent);
        assert_eq!(
            &r.body[..],
            br#"{"status":"CANCELLED","result_url":"https://r.example.com/1","completed_at":"2026-08-05T14:32:10.000Z"}"#
        );
        order.tenant = None;
        assert!(matches!(
            update_order_result(&base(), &order, &result, now()),
            Err(Error::Config { .. })
        ));
    }

    #[test]
    fn get_orders_query() {
        let t = TenantId::new("lever:1");
        let r = get_orders(&base(), &t, 100, None, None).unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.kombo.dev/v1/assessment/orders?statuses=OPEN&page_size=100"
        );
        assert!(r.body.is_empty());
        assert!(r.headers.get("content-type").is_none());
        let r = get_orders(
            &base(),
            &t,
            1000,
            Some("2026-08-01T00:00:00Z".parse().unwrap()),
            Some("eyJwYWdlIjoyfQ=="),
        )
        .unwrap();
        assert_eq!(
            r.url.query(),
            Some(
                "statuses=OPEN&page_size=250&created_after=2026-08-01T00%3A00%3A00.000Z&cursor=eyJwYWdlIjoyfQ%3D%3D"
            )
        );
    }

    #[test]
    fn reads_kombo_errors() {
        let m = error_message(
            StatusCode::BAD_REQUEST,
            br#"{"status":"error","error":{"code":"PLATFORM.INPUT_INVALID","title":"Input invalid","message":"Body: status is invalid.","log_url":"https://app.kombo.dev/env/logs?interactionId=1"}}"#,
        );
        assert_eq!(m.code.as_deref(), Some("PLATFORM.INPUT_INVALID"));
        assert_eq!(
            m.message,
            "Body: status is invalid. (log: https://app.kombo.dev/env/logs?interactionId=1)"
        );
        let m = error_message(
            StatusCode::NOT_FOUND,
            br#"{"status":"error","error":{"code":null,"title":null,"message":"Not found","log_url":null}}"#,
        );
        assert_eq!((m.code, m.message.as_str()), (None, "Not found"));
        let m = error_message(StatusCode::SERVICE_UNAVAILABLE, b"<html>503</html>");
        assert_eq!(m.message, "<html>503</html>");
        let m = error_message(StatusCode::BAD_GATEWAY, b"");
        assert_eq!(m.message, "Bad Gateway");
    }

    #[test]
    fn empty_tenant_is_refused() {
        assert!(get_packages(&base(), &TenantId::new(" ")).is_err());
        let r = get_packages(&base(), &TenantId::new("workday:1")).unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.kombo.dev/v1/assessment/packages"
        );
    }
}
