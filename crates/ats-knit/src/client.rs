//! Outbound calls to Knit's API (`https://api.getknit.dev/v1.0`):
//! `POST /passthrough` (a call to the customer's ATS, made by Knit with the
//! customer's credentials) and Create ATS Assessment Secrets. Every call
//! carries `Authorization: Bearer <Knit API key>` and
//! `X-Knit-Integration-Id: <tenant>`.
//!
//! Knit answers `{"success": true, "data": …}` or `{"success": false,
//! "error": {"msg": …}}`; `success: false` is an error whatever the HTTP
//! status. A passthrough answer wraps the ATS's own response in
//! `data.response` (`statusCode`, `headers`, `body` as text), which is
//! checked too: Ashby reports failures as `{"success": false, …}` with HTTP
//! 200.

use ats_core::client::{Auth, HttpClient, ProviderMessage, ProviderReply};
use ats_core::http::{join_url, parse_base_url};
use ats_core::{Delivery, Error, PreparedRequest, Secret, TenantId};
use http::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::auth::INTEGRATION_HEADER;
use crate::translate::PROVIDER;
use crate::wire::{AssessmentSecretsData, Envelope, PassthroughData, PassthroughRequest};

/// Knit's name for the passthrough call.
pub const PASSTHROUGH: &str = "passthrough";
/// The name of the call that creates the ATS's credentials for Knit.
pub const CREATE_ASSESSMENT_SECRETS: &str = "create_ats_assessment_secrets";
/// Knit's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.getknit.dev/v1.0";

/// The secrets an ATS needs to call Knit for one integration: the key it
/// presents as the partner API key, and the base URL it calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssessmentSecrets {
    /// `secretKey`: the ATS's API key towards Knit.
    pub secret_key: Secret,
    /// `baseUrl`: where the ATS sends its partner calls.
    pub base_url: Url,
}

impl AssessmentSecrets {
    /// The four URLs to give Greenhouse (`list_tests`, `send_test`,
    /// `test_status`, `response_error`), joined onto `base_url` without a
    /// doubled slash.
    pub fn greenhouse_endpoints(&self) -> Result<[Url; 4], Error> {
        Ok([
            join_url(&self.base_url, "list_tests")?,
            join_url(&self.base_url, "send_test")?,
            join_url(&self.base_url, "test_status")?,
            join_url(&self.base_url, "response_error")?,
        ])
    }
}

fn with_tenant(request: PreparedRequest, tenant: &TenantId) -> Result<PreparedRequest, Error> {
    if tenant.as_str().trim().is_empty() {
        return Err(Error::config("empty Knit integration id"));
    }
    request.header(INTEGRATION_HEADER, tenant.as_str())
}

/// Builds `POST <base>/passthrough` for a tenant. Marked idempotent: the
/// calls this adapter passes through (Ashby's `assessment.update`) have the
/// same effect when repeated.
pub fn prepare_passthrough(
    base_url: &Url,
    tenant: &TenantId,
    body: &PassthroughRequest,
) -> Result<PreparedRequest, Error> {
    let request = PreparedRequest::new(PASSTHROUGH, Method::POST, join_url(base_url, PASSTHROUGH)?)
        .json(body)?
        .idempotent(true);
    with_tenant(request, tenant)
}

/// Builds Create ATS Assessment Secrets: `POST <base>/<path>` with `{}`.
/// Not idempotent (each call may mint a new key).
pub fn prepare_assessment_secrets(
    base_url: &Url,
    path: &str,
    tenant: &TenantId,
) -> Result<PreparedRequest, Error> {
    let request = PreparedRequest::new(
        CREATE_ASSESSMENT_SECRETS,
        Method::POST,
        join_url(base_url, path)?,
    )
    .json(&serde_json::json!({}))?
    .idempotent(false);
    with_tenant(request, tenant)
}

/// Sends a request with the Knit API key as Bearer token.
pub async fn send(
    http: &HttpClient,
    api_key: Option<&Secret>,
    request: &PreparedRequest,
) -> Result<ProviderReply, Error> {
    let key = api_key.ok_or_else(|| Error::config("no Knit API key configured"))?;
    http.send(request, &Auth::Bearer(key.clone()), error_message)
        .await
}

/// Reads Knit's error envelope (`error.msg`) from an error answer; for a
/// passthrough answer without it, the ATS's message inside
/// `data.response.body`; else the body read generically.
pub fn error_message(status: StatusCode, body: &[u8]) -> ProviderMessage {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(msg) = value
        .as_ref()
        .and_then(|v| v.pointer("/error/msg"))
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
    {
        return ProviderMessage {
            code: None,
            message: msg.to_owned(),
        };
    }
    if let Some(inner) = value.as_ref().and_then(upstream_body) {
        let m = ats_ashby::client::error_message(status, &inner);
        return ProviderMessage {
            code: m.code,
            message: format!("from the ATS: {}", m.message),
        };
    }
    ProviderMessage::generic(status, body)
}

/// `data.response.body` of a passthrough answer, as bytes.
fn upstream_body(value: &Value) -> Option<Vec<u8>> {
    match value.pointer("/data/response/body")? {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Null => None,
        other => serde_json::to_vec(other).ok(),
    }
}

/// Knit's `success: false` on a 2xx answer, as an error.
fn knit_failure(reply: &ProviderReply) -> Option<Error> {
    let value: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let success = value.as_ref().and_then(|v| v.get("success"));
    if success == Some(&Value::Bool(true)) {
        return None;
    }
    let message = match success {
        Some(Value::Bool(false)) => error_message(reply.status, &reply.body).message,
        _ => format!(
            "unexpected answer without `success`: {:?}",
            String::from_utf8_lossy(&reply.body)
                .trim()
                .chars()
                .take(200)
                .collect::<String>()
        ),
    };
    Some(Error::ProviderRejected {
        provider: PROVIDER.to_owned(),
        status: reply.status.as_u16(),
        code: None,
        message,
    })
}

/// Checks a passthrough answer that carries Ashby's response.
///
/// * Knit's `success: false` → [`Error::ProviderRejected`] with `error.msg`.
/// * `data.response.statusCode` ≥ 400 → [`Error::ProviderRejected`] with that
///   status (retryable for 5xx/408) and Ashby's message, or
///   [`Error::RateLimited`] for 429.
/// * Ashby's body without `"success": true` → [`Error::ProviderRejected`]
///   with Ashby's code and message.
/// * No `data.response` at all: delivered, with a warning that Ashby's
///   outcome is unknown.
pub fn check_ashby_passthrough(reply: &ProviderReply) -> Result<Delivery, Error> {
    if let Some(e) = knit_failure(reply) {
        return Err(e);
    }
    let envelope: Envelope<PassthroughData> =
        serde_json::from_slice(&reply.body).map_err(|e| Error::ProviderRejected {
            provider: PROVIDER.to_owned(),
            status: reply.status.as_u16(),
            code: None,
            message: format!("unreadable passthrough answer: {e}"),
        })?;
    let Some(response) = envelope.data.and_then(|d| d.response) else {
        return Ok(Delivery {
            attempts: reply.attempts,
            warnings: vec![
                "Knit's answer carries no response from the ATS; the update's outcome is unknown"
                    .to_owned(),
            ],
        });
    };
    let body = response.body_bytes();
    if let Some(status) = response.status_code.filter(|s| *s >= 400) {
        if status == 429 {
            return Err(Error::RateLimited {
                provider: PROVIDER.to_owned(),
                retry_after: None,
            });
        }
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        let m = ats_ashby::client::error_message(code, &body);
        return Err(Error::ProviderRejected {
            provider: PROVIDER.to_owned(),
            status,
            code: m.code,
            message: format!("Ashby answered through Knit: {}", m.message),
        });
    }
    if let Some(m) = ats_ashby::client::failure(&body) {
        return Err(Error::ProviderRejected {
            provider: PROVIDER.to_owned(),
            status: response.status_code.unwrap_or(reply.status.as_u16()),
            code: m.code,
            message: format!("Ashby answered through Knit: {}", m.message),
        });
    }
    Ok(Delivery {
        attempts: reply.attempts,
        warnings: Vec::new(),
    })
}

/// Reads the Create ATS Assessment Secrets answer: `data.secretKey` and
/// `data.baseUrl`, both required; the base URL must be an absolute http(s)
/// URL without credentials.
pub fn read_assessment_secrets(reply: &ProviderReply) -> Result<AssessmentSecrets, Error> {
    if let Some(e) = knit_failure(reply) {
        return Err(e);
    }
    let envelope: Envelope<AssessmentSecretsData> = reply.json()?;
    let data = envelope.data.ok_or_else(|| Error::missing("data"))?;
    let key = data
        .secret_key
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| Error::missing("data.secretKey"))?;
    let base = data
        .base_url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| Error::missing("data.baseUrl"))?;
    // the same rule as a configured base URL: absolute, http(s), no
    // credentials in it
    let base_url = parse_base_url("baseUrl", &base).map_err(|e| match e {
        Error::Config { message } => Error::malformed("data.baseUrl", message),
        other => other,
    })?;
    Ok(AssessmentSecrets {
        secret_key: Secret::new(key),
        base_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn reply(status: u16, body: &str) -> ProviderReply {
        ProviderReply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.to_owned().into(),
            attempts: 1,
        }
    }

    #[test]
    fn knit_error_envelope_is_read() {
        let m = error_message(
            StatusCode::UNAUTHORIZED,
            br#"{"success":false,"error":{"msg":"Invalid API key"}}"#,
        );
        assert_eq!((m.code, m.message.as_str()), (None, "Invalid API key"));
        let m = error_message(
            StatusCode::BAD_REQUEST,
            br#"{"success":true,"data":{"response":{"body":"{\"success\":false,\"errorInfo\":{\"code\":\"invalid_input\",\"message\":\"bad\"}}"}}}"#,
        );
        assert_eq!(m.code.as_deref(), Some("invalid_input"));
        assert_eq!(m.message, "from the ATS: bad");
        assert_eq!(
            error_message(StatusCode::BAD_GATEWAY, b"oops").message,
            "oops"
        );
    }

    #[test]
    fn passthrough_answers_are_checked_inside_out() {
        let ok = reply(
            200,
            r#"{"success":true,"data":{"response":{"statusCode":200,"body":"{\"success\":true}"}}}"#,
        );
        assert_eq!(check_ashby_passthrough(&ok).unwrap().attempts, 1);
        let knit_false = reply(
            200,
            r#"{"success":false,"error":{"msg":"Integration not found"}}"#,
        );
        let e = check_ashby_passthrough(&knit_false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "knit answered HTTP 200: Integration not found"
        );
        let ashby_false = reply(
            200,
            r#"{"success":true,"data":{"response":{"statusCode":200,"body":"{\"success\":false,\"errorInfo\":{\"code\":\"invalid_input\",\"message\":\"bad id\"}}"}}}"#,
        );
        let e = check_ashby_passthrough(&ashby_false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "knit answered HTTP 200 (invalid_input): Ashby answered through Knit: bad id"
        );
        assert!(!e.is_retryable());
        let ashby_503 = reply(
            200,
            r#"{"success":true,"data":{"response":{"statusCode":503,"body":"upstream"}}}"#,
        );
        let e = check_ashby_passthrough(&ashby_503).unwrap_err();
        assert!(e.is_retryable(), "{e}");
        let ashby_429 = reply(
            200,
            r#"{"success":true,"data":{"response":{"statusCode":429,"body":""}}}"#,
        );
        assert!(matches!(
            check_ashby_passthrough(&ashby_429),
            Err(Error::RateLimited { .. })
        ));
        let text_status = reply(
            200,
            r#"{"success":true,"data":{"response":{"statusCode":"502","body":"Bad Gateway"}}}"#,
        );
        let e = check_ashby_passthrough(&text_status).unwrap_err();
        assert_eq!(
            e.to_string(),
            "knit answered HTTP 502: Ashby answered through Knit: Bad Gateway"
        );
        // the body may also arrive as JSON rather than text
        let object = reply(
            200,
            r#"{"success":true,"data":{"response":{"body":{"success":true}}}}"#,
        );
        check_ashby_passthrough(&object).unwrap();
        let none = reply(200, r#"{"success":true,"data":{}}"#);
        assert_eq!(check_ashby_passthrough(&none).unwrap().warnings.len(), 1);
        assert!(check_ashby_passthrough(&reply(200, "<html>")).is_err());
    }

    #[test]
    fn secrets_are_read_from_data() {
        let s = read_assessment_secrets(&reply(
            200,
            r#"{"success":true,"data":{"secretKey":"sk_1","baseUrl":"https://workflows.getknit.dev/webhook/greenhouse/int_1"}}"#,
        ))
        .unwrap();
        assert_eq!(s.secret_key.expose(), "sk_1");
        assert!(!format!("{s:?}").contains("sk_1"));
        let urls = s.greenhouse_endpoints().unwrap();
        assert_eq!(
            urls[1].as_str(),
            "https://workflows.getknit.dev/webhook/greenhouse/int_1/send_test"
        );
        let e = read_assessment_secrets(&reply(
            200,
            r#"{"success":true,"data":{"baseUrl":"https://x.example"}}"#,
        ))
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "data.secretKey"),
            "{e}"
        );
        for base in ["nope", "ftp://x.example/hook", "https://u:p@x.example/hook"] {
            let e = read_assessment_secrets(&reply(
                200,
                &format!(r#"{{"success":true,"data":{{"secretKey":"k","baseUrl":"{base}"}}}}"#),
            ))
            .unwrap_err();
            assert!(
                matches!(e, Error::Malformed { ref path, .. } if path == "data.baseUrl"),
                "{base}: {e}"
            );
        }
        let e = read_assessment_secrets(&reply(
            200,
            r#"{"success":true,"data":{"secretKey":"k","baseUrl":"ftp://x.example"}}"#,
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `data.baseUrl`: invalid baseUrl `ftp://x.example`: not http(s)"
        );
    }
}
