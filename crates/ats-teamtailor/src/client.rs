//! Outbound calls: `PUT {update-url}` with the partner result's new state,
//! a JSON:API document (`Content-Type: application/vnd.api+json`), the
//! partner API key as `Authorization: Bearer` and the required
//! `X-Api-Version` header.
//!
//! The URL comes from the webhook, so it is checked against the callback
//! policy before anything is sent (and already when the order arrives): the
//! key must never reach a host that is not Teamtailor's. Without an
//! `update-url`, the URL is the API base + `partner/v1/partner-results/{id}`.

use ats_core::client::{Auth, HttpClient, ProviderMessage};
use ats_core::http::url_with_segments;
use ats_core::{
    AssessmentResult, Delivery, Error, OrderHandle, PreparedRequest, Secret, UrlPolicy,
};
use http::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::translate::{self, context};

/// The name of the results call.
pub const UPDATE_PARTNER_RESULT: &str = "update_partner_result";

/// The `X-Api-Version` Teamtailor's partner docs name as current.
pub const API_VERSION: &str = "20180828";

/// The JSON:API media type of the request body.
pub const JSON_API: &str = "application/vnd.api+json";

/// Builds the `PUT` for an order and a result (no credentials). A `PUT`
/// carries the new state, so repeating it is harmless and it is retried.
pub fn update_partner_result(
    order: &OrderHandle,
    result: &AssessmentResult,
    policy: &UrlPolicy,
    base_url: &Url,
) -> Result<PreparedRequest, Error> {
    let id = order
        .context
        .get(context::PARTNER_RESULT_ID)
        .and_then(Value::as_str)
        .or(order.provider_order_id.as_deref())
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            Error::config("the order has no Teamtailor partner result id (partner-result.id)")
        })?;
    let url = match &order.callback_url {
        Some(url) => {
            policy.check(url)?;
            url.clone()
        }
        None => url_with_segments(base_url, &["partner", "v1", "partner-results", id])?,
    };
    let body = translate::update_document(id, order.context.get(context::JOB_ID), result)?;
    PreparedRequest::new(UPDATE_PARTNER_RESULT, Method::PUT, url)
        .json(&body)?
        .header("content-type", JSON_API)?
        .header("x-api-version", API_VERSION)
        .map(|r| r.idempotent(true))
}

/// Sends a prepared request with the partner API key.
pub async fn send(
    http: &HttpClient,
    api_key: Option<&Secret>,
    request: &PreparedRequest,
) -> Result<Delivery, Error> {
    let key = api_key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Error::config("no Teamtailor partner API key (api_key) configured"))?;
    let reply = http
        .send(request, &Auth::Bearer(key.clone()), decode_error)
        .await?;
    Ok(Delivery {
        attempts: reply.attempts,
        warnings: Vec::new(),
    })
}

/// Reads an error answer from Teamtailor's API.
///
/// The partner docs show no error body. Teamtailor's API follows JSON:API,
/// whose error documents are `{"errors": [{"status", "code", "title",
/// "detail", "source": {"pointer"}}]}`: each error becomes `detail` (else
/// `title`), prefixed with the pointer's last part when there is one, joined
/// with `; `; the first `code` is kept. Anything else falls back to the
/// generic reading (`message`, `error`, the start of the body).
pub fn decode_error(status: StatusCode, body: &[u8]) -> ProviderMessage {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return ProviderMessage::generic(status, body);
    };
    let Some(errors) = v.get("errors").and_then(Value::as_array) else {
        return ProviderMessage::generic(status, body);
    };
    let text = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
    let messages: Vec<String> = errors
        .iter()
        .filter_map(|e| {
            let message = text(e, "detail").or_else(|| text(e, "title"))?;
            let field = e
                .pointer("/source/pointer")
                .and_then(Value::as_str)
                .and_then(|p| p.rsplit('/').next())
                .filter(|f| !f.is_empty() && !message.starts_with(*f));
            Some(match field {
                Some(f) => format!("{f} {message}"),
                None => message,
            })
        })
        .collect();
    if messages.is_empty() {
        return ProviderMessage::generic(status, body);
    }
    ProviderMessage {
        code: errors.iter().find_map(|e| text(e, "code")),
        message: messages.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{AssessmentStatus, TenantId};
    use serde_json::Map;

    fn handle(url: Option<&str>) -> OrderHandle {
        let mut context = Map::new();
        context.insert("partner_result_id".into(), Value::from("pr-1"));
        context.insert("job_id".into(), Value::from(12345));
        OrderHandle {
            provider: "teamtailor".into(),
            tenant: Some(TenantId::new("acme")),
            provider_order_id: Some("pr-1".into()),
            vendor_assessment_id: Some("asm_1".into()),
            package_id: Some("1".into()),
            candidate_id: None,
            callback_url: url.map(|u| Url::parse(u).unwrap()),
            context,
        }
    }

    fn policy() -> UrlPolicy {
        UrlPolicy::https_hosts(crate::builder::DEFAULT_CALLBACK_HOSTS)
    }

    fn base() -> Url {
        Url::parse(crate::builder::DEFAULT_BASE_URL).unwrap()
    }

    #[test]
    fn builds_an_idempotent_json_api_put() {
        let r = update_partner_result(
            &handle(Some(
                "https://api.na.teamtailor.com/partner/v1/partner-results/pr-1",
            )),
            &AssessmentResult::with_status(AssessmentStatus::InProgress),
            &policy(),
            &base(),
        )
        .unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(
            r.url.as_str(),
            "https://api.na.teamtailor.com/partner/v1/partner-results/pr-1"
        );
        assert_eq!(
            &r.body[..],
            br#"{"data":{"type":"partner-results","id":"pr-1","attributes":{"status":"pending","job-id":12345}}}"#
        );
        assert_eq!(r.headers["content-type"], "application/vnd.api+json");
        assert_eq!(r.headers["x-api-version"], "20180828");
        assert!(!r.headers.contains_key("authorization"));
        assert!(r.idempotent);
        assert_eq!(r.operation, "update_partner_result");
    }

    #[test]
    fn without_update_url_the_api_base_is_used_with_the_id_as_one_segment() {
        let mut h = handle(None);
        h.context
            .insert("partner_result_id".into(), Value::from("a/b?c"));
        let r = update_partner_result(
            &h,
            &AssessmentResult::with_status(AssessmentStatus::Invited),
            &policy(),
            &base(),
        )
        .unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.teamtailor.com/partner/v1/partner-results/a%2Fb%3Fc"
        );
        h.context
            .insert("partner_result_id".into(), Value::from(".."));
        let e = update_partner_result(
            &h,
            &AssessmentResult::with_status(AssessmentStatus::Invited),
            &policy(),
            &base(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }), "{e}");
    }

    #[test]
    fn refuses_untrusted_urls_and_orders_without_id() {
        let e = update_partner_result(
            &handle(Some(
                "https://attacker.example/partner/v1/partner-results/pr-1",
            )),
            &AssessmentResult::with_status(AssessmentStatus::Completed),
            &policy(),
            &base(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::UntrustedUrl { .. }), "{e}");
        let mut h = handle(None);
        h.context.clear();
        h.provider_order_id = None;
        let e = update_partner_result(
            &h,
            &AssessmentResult::with_status(AssessmentStatus::Invited),
            &policy(),
            &base(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }

    #[tokio::test]
    async fn a_missing_key_is_a_config_error() {
        let http = HttpClient::new("teamtailor", ats_core::RetryConfig::none()).unwrap();
        let request = update_partner_result(
            &handle(None),
            &AssessmentResult::with_status(AssessmentStatus::Invited),
            &policy(),
            &base(),
        )
        .unwrap();
        for key in [None, Some(Secret::new(""))] {
            let e = send(&http, key.as_ref(), &request).await.unwrap_err();
            assert_eq!(
                e.to_string(),
                "configuration error: no Teamtailor partner API key (api_key) configured"
            );
        }
    }

    #[test]
    fn decodes_json_api_errors() {
        let d = |b: &str| decode_error(StatusCode::UNPROCESSABLE_ENTITY, b.as_bytes());
        assert_eq!(
            d(
                r#"{"errors":[{"status":"422","code":"invalid","title":"Invalid","detail":"must be less than or equal to 100","source":{"pointer":"/data/attributes/assessment"}}]}"#
            ),
            ProviderMessage {
                code: Some("invalid".into()),
                message: "assessment must be less than or equal to 100".into()
            }
        );
        assert_eq!(
            d(r#"{"errors":[{"title":"Record not found"},{"detail":"status is invalid","source":{"pointer":"/data/attributes/status"}}]}"#).message,
            "Record not found; status is invalid"
        );
        assert_eq!(d(r#"{"errors":[{}]}"#).message, "{}");
        assert_eq!(d(r#"{"message":"Unauthorized"}"#).message, "Unauthorized");
        assert_eq!(d("").message, "Unprocessable Entity");
    }
}
