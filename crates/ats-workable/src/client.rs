//! Outbound calls: `PUT {callback_url}` with a status change or the results,
//! authenticated with the token Workable generated for the customer's
//! integration (`Authorization: Bearer`).
//!
//! The URL comes from the create request, so it is checked against the
//! callback policy before anything is sent: the token must never reach a
//! host that is not Workable's.

use ats_core::auth::SecretStore;
use ats_core::client::{Auth, HttpClient, ProviderMessage};
use ats_core::{
    AssessmentResult, Delivery, Error, OrderHandle, PreparedRequest, TenantId, UrlPolicy,
};
use http::{Method, StatusCode};
use serde_json::Value;

use crate::translate;

/// The name of the results call.
pub const ASSESSMENT_CALLBACK: &str = "assessment_callback";

/// Builds the callback `PUT` for an order and a result (JSON body, no
/// credentials). A `PUT` carries the whole state, so it is safe to retry.
pub fn assessment_callback(
    order: &OrderHandle,
    result: &AssessmentResult,
    policy: &UrlPolicy,
) -> Result<PreparedRequest, Error> {
    let url = order.callback_url.clone().ok_or_else(|| {
        Error::config("the order has no callback URL (Workable sends `callback_url` when creating the assessment)")
    })?;
    policy.check(&url)?;
    let body = translate::callback_body(result)?;
    PreparedRequest::new(ASSESSMENT_CALLBACK, Method::PUT, url)
        .json(&body)
        .map(|r| r.idempotent(true))
}

/// Sends a prepared request with the tenant's callback token.
pub async fn send(
    http: &HttpClient,
    tokens: &dyn SecretStore,
    tenant: Option<&TenantId>,
    request: &PreparedRequest,
) -> Result<Delivery, Error> {
    let tenant = tenant.ok_or_else(|| Error::config("the order has no tenant"))?;
    let token = tokens
        .secret_for(tenant)
        .await?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::config(format!("no Workable callback token for tenant `{tenant}`"))
        })?;
    let reply = http
        .send(request, &Auth::Bearer(token), decode_error)
        .await?;
    Ok(Delivery {
        attempts: reply.attempts,
        warnings: Vec::new(),
    })
}

/// Reads an error answer from Workable.
///
/// Workable documents no error body for the callback. This reads the shapes
/// its API and Rails applications use: `{"error": "..."}`,
/// `{"message": "..."}`, `{"error": {"message", "code"}}`,
/// `{"errors": ["..."]}` and `{"errors": {"field": ["..."]}}` (joined as
/// `field message`), plus `error_description` and a string `code`; anything
/// else falls back to the start of the body or the status reason.
pub fn decode_error(status: StatusCode, body: &[u8]) -> ProviderMessage {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return ProviderMessage::generic(status, body);
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let field_errors = v.get("errors").and_then(Value::as_object).map(|fields| {
        fields
            .iter()
            .flat_map(|(field, messages)| {
                let list: Vec<String> = match messages {
                    Value::Array(items) => items
                        .iter()
                        .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned))
                        .collect(),
                    Value::String(m) => vec![m.clone()],
                    other => vec![other.to_string()],
                };
                list.into_iter().map(move |m| format!("{field} {m}"))
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
    let message = text(v.get("error"))
        .or_else(|| text(v.get("message")))
        .or_else(|| text(v.pointer("/error/message")))
        .or_else(|| text(v.get("error_description")))
        .or(field_errors.filter(|m| !m.is_empty()));
    match message {
        Some(message) => ProviderMessage {
            code: text(v.get("code")).or_else(|| text(v.pointer("/error/code"))),
            message,
        },
        None => ProviderMessage::generic(status, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{AssessmentStatus, auth::InMemoryKeys};
    use url::Url;

    fn handle(url: &str) -> OrderHandle {
        OrderHandle {
            provider: "workable".into(),
            tenant: Some(TenantId::new("acme")),
            provider_order_id: None,
            vendor_assessment_id: Some("asm_1".into()),
            package_id: Some("1".into()),
            candidate_id: None,
            callback_url: Some(Url::parse(url).unwrap()),
            context: Default::default(),
        }
    }

    fn policy() -> UrlPolicy {
        UrlPolicy::https_hosts(crate::builder::DEFAULT_CALLBACK_HOSTS)
    }

    #[test]
    fn builds_an_idempotent_json_put() {
        let r = assessment_callback(
            &handle("https://acme.workable.com/assessments/cb/77?sig=x"),
            &AssessmentResult::with_status(AssessmentStatus::Invited),
            &policy(),
        )
        .unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(
            r.url.as_str(),
            "https://acme.workable.com/assessments/cb/77?sig=x"
        );
        assert_eq!(&r.body[..], br#"{"status":"pending"}"#);
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(r.idempotent);
        assert_eq!(r.operation, "assessment_callback");
    }

    #[test]
    fn refuses_untrusted_or_missing_urls_before_anything_else() {
        let e = assessment_callback(
            &handle("https://attacker.example/collect"),
            &AssessmentResult::with_status(AssessmentStatus::Completed),
            &policy(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::UntrustedUrl { .. }), "{e}");
        let mut h = handle("https://acme.workable.com/cb/1");
        h.callback_url = None;
        let e = assessment_callback(
            &h,
            &AssessmentResult::with_status(AssessmentStatus::Invited),
            &policy(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }

    #[tokio::test]
    async fn a_tenant_without_token_is_a_config_error() {
        let http = HttpClient::new("workable", ats_core::RetryConfig::none()).unwrap();
        let request = assessment_callback(
            &handle("https://acme.workable.com/cb/1"),
            &AssessmentResult::with_status(AssessmentStatus::Invited),
            &policy(),
        )
        .unwrap();
        let tokens = InMemoryKeys::new()
            .with("globex", "wk_cb_globex")
            .with("empty", "");
        for tenant in ["acme", "empty"] {
            let e = send(&http, &tokens, Some(&TenantId::new(tenant)), &request)
                .await
                .unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("configuration error: no Workable callback token for tenant `{tenant}`")
            );
        }
        let e = send(&http, &tokens, None, &request).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: the order has no tenant"
        );
    }

    #[test]
    fn decodes_workable_and_rails_error_shapes() {
        let d = |b: &str| decode_error(StatusCode::UNPROCESSABLE_ENTITY, b.as_bytes());
        assert_eq!(d(r#"{"error":"Not authorized"}"#).message, "Not authorized");
        assert_eq!(
            d(r#"{"message":"Assessment not found","code":"not_found"}"#),
            ProviderMessage {
                code: Some("not_found".into()),
                message: "Assessment not found".into()
            }
        );
        assert_eq!(
            d(r#"{"error":{"code":"E1","message":"bad score"}}"#),
            ProviderMessage {
                code: Some("E1".into()),
                message: "bad score".into()
            }
        );
        assert_eq!(
            d(r#"{"errors":{"score":["is not a number"],"status":"is invalid"}}"#).message,
            "score is not a number; status is invalid"
        );
        assert_eq!(d(r#"{"errors":["a","b"]}"#).message, "a; b");
        assert_eq!(
            d(r#"{"error_description":"token expired"}"#).message,
            "token expired"
        );
        assert_eq!(d("<html>oops</html>").message, "<html>oops</html>");
        assert_eq!(d("").message, "Unprocessable Entity");
        assert_eq!(d(r#"{"errors":{}}"#).message, r#"{"errors":{}}"#);
    }
}
