//! Outbound calls to Ashby's API: `POST <base>/assessment.update` and
//! `POST <base>/assessment.addCompletedToCandidate`, with HTTP Basic (the
//! customer's Ashby API key as user name, empty password).
//!
//! Ashby answers errors with its envelope `{"success": false, "errors": […],
//! "errorInfo": {"code", "message", "requestId"}}`, often with HTTP 200. A
//! 2xx answer is therefore only a success when its body says
//! `"success": true`; anything else becomes [`Error::ProviderRejected`]
//! carrying Ashby's code and message (and the HTTP status, 200 included).

use ats_core::auth::SecretStore;
use ats_core::client::{Auth, HttpClient, ProviderMessage};
use ats_core::http::join_url;
use ats_core::{Delivery, Error, PreparedRequest, TenantId};
use http::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::translate::PROVIDER;
use crate::wire::{AddCompletedRequest, UpdateRequest};

/// Ashby's name for the status/result call.
pub const ASSESSMENT_UPDATE: &str = "assessment.update";
/// Ashby's name for adding a completed assessment outside the start flow.
pub const ADD_COMPLETED_TO_CANDIDATE: &str = "assessment.addCompletedToCandidate";
/// Ashby's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.ashbyhq.com";

/// Builds `POST <base>/assessment.update` with a JSON body.
///
/// Marked idempotent, so it is retried after a 5xx or a timeout: the body
/// carries its own timestamp and stable identifiers, so Ashby receiving it
/// twice records the same update.
pub fn prepare_update(base_url: &Url, body: &UpdateRequest) -> Result<PreparedRequest, Error> {
    Ok(PreparedRequest::new(
        ASSESSMENT_UPDATE,
        Method::POST,
        join_url(base_url, ASSESSMENT_UPDATE)?,
    )
    .json(body)?
    .idempotent(true))
}

/// Builds `POST <base>/assessment.addCompletedToCandidate` with a JSON body.
///
/// Not idempotent (a second call could add the assessment twice), so it is
/// not retried after an ambiguous failure.
pub fn prepare_add_completed(
    base_url: &Url,
    body: &AddCompletedRequest,
) -> Result<PreparedRequest, Error> {
    Ok(PreparedRequest::new(
        ADD_COMPLETED_TO_CANDIDATE,
        Method::POST,
        join_url(base_url, ADD_COMPLETED_TO_CANDIDATE)?,
    )
    .json(body)?
    .idempotent(false))
}

/// Sends a prepared request with the tenant's Ashby API key and checks
/// Ashby's envelope.
pub async fn send(
    http: &HttpClient,
    api_keys: &dyn SecretStore,
    tenant: Option<&TenantId>,
    request: &PreparedRequest,
) -> Result<Delivery, Error> {
    let tenant = tenant.ok_or_else(|| Error::config("the order has no tenant"))?;
    let key = api_keys
        .secret_for(tenant)
        .await?
        .ok_or_else(|| Error::config(format!("no Ashby API key for tenant `{tenant}`")))?;
    let reply = http
        .send(request, &Auth::api_key_as_username(key), error_message)
        .await?;
    if let Some(ProviderMessage { code, message }) = failure(&reply.body) {
        return Err(Error::ProviderRejected {
            provider: PROVIDER.to_owned(),
            status: reply.status.as_u16(),
            code,
            message,
        });
    }
    Ok(Delivery {
        attempts: reply.attempts,
        warnings: Vec::new(),
    })
}

/// Reads Ashby's error envelope from an error answer (the
/// [`ats_core::client::ErrorDecoder`] of this adapter): the code from
/// `errorInfo.code` (else the first of `errors`), the message from
/// `errorInfo.message` (else `errors`), followed by Ashby's request id.
/// Bodies without the envelope are read generically.
pub fn error_message(status: StatusCode, body: &[u8]) -> ProviderMessage {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.get("errorInfo").is_some() || v.get("errors").is_some() => envelope_message(&v),
        _ => ProviderMessage::generic(status, body),
    }
}

/// `None` when a successful answer's body says `"success": true`; else
/// Ashby's error (an envelope with `"success": false`, or a body that is not
/// Ashby's envelope at all).
pub fn failure(body: &[u8]) -> Option<ProviderMessage> {
    let value = serde_json::from_slice::<Value>(body).ok();
    match value.as_ref().and_then(|v| v.get("success")) {
        Some(Value::Bool(true)) => None,
        Some(Value::Bool(false)) => value.as_ref().map(envelope_message),
        _ => {
            let text = String::from_utf8_lossy(body);
            let start: String = text.trim().chars().take(200).collect();
            Some(ProviderMessage {
                code: None,
                message: format!("unexpected answer without `success`: {start:?}"),
            })
        }
    }
}

fn envelope_message(v: &Value) -> ProviderMessage {
    let info = v.get("errorInfo");
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    };
    let errors: Vec<String> = v
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let code = text(info.and_then(|i| i.get("code"))).or_else(|| errors.first().cloned());
    let mut message = text(info.and_then(|i| i.get("message")))
        .or_else(|| (!errors.is_empty()).then(|| errors.join("; ")))
        .or_else(|| code.clone())
        .unwrap_or_else(|| "Ashby reported a failure without a message".to_owned());
    if let Some(id) = text(info.and_then(|i| i.get("requestId"))) {
        message.push_str(&format!(" (request id {id})"));
    }
    ProviderMessage { code, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_error_envelope() {
        let m = error_message(
            StatusCode::OK,
            br#"{"success":false,"errors":["invalid_input"],"errorInfo":{"code":"invalid_input","message":"Request payload is malformed","requestId":"01JSJ8"}}"#,
        );
        assert_eq!(m.code.as_deref(), Some("invalid_input"));
        assert_eq!(
            m.message,
            "Request payload is malformed (request id 01JSJ8)"
        );
        // the deprecated `errors` alone
        let m = error_message(
            StatusCode::OK,
            br#"{"success":false,"errors":["assessment_not_found","x"]}"#,
        );
        assert_eq!(m.code.as_deref(), Some("assessment_not_found"));
        assert_eq!(m.message, "assessment_not_found; x");
        // only a code
        let m = error_message(
            StatusCode::OK,
            br#"{"success":false,"errorInfo":{"code":"forbidden"}}"#,
        );
        assert_eq!(
            (m.code.as_deref(), m.message.as_str()),
            (Some("forbidden"), "forbidden")
        );
        // not an envelope
        let m = error_message(StatusCode::BAD_GATEWAY, b"Bad Gateway");
        assert_eq!((m.code, m.message.as_str()), (None, "Bad Gateway"));
    }

    #[test]
    fn success_is_read_from_the_body() {
        assert_eq!(failure(br#"{"success":true}"#), None);
        assert_eq!(failure(br#"{"success":true,"results":{}}"#), None);
        let m = failure(br#"{"success":false,"errorInfo":{"code":"c","message":"m"}}"#).unwrap();
        assert_eq!((m.code.as_deref(), m.message.as_str()), (Some("c"), "m"));
        let m = failure(b"<html>ok</html>").unwrap();
        assert_eq!(
            m.message,
            r#"unexpected answer without `success`: "<html>ok</html>""#
        );
        assert!(failure(b"").is_some());
        assert!(failure(br#"{"success":"true"}"#).is_some());
    }

    #[test]
    fn update_is_a_json_post_to_the_base_url() {
        let body = UpdateRequest {
            assessment_id: "a".into(),
            timestamp: 1,
            assessment_status: None,
            assessment_result: None,
            assessment_profile_url: None,
            cancelled_reason: None,
            metadata: None,
        };
        let base = Url::parse("https://api.ashbyhq.com").unwrap();
        let r = prepare_update(&base, &body).unwrap();
        assert_eq!(r.url.as_str(), "https://api.ashbyhq.com/assessment.update");
        assert_eq!(r.method, Method::POST);
        assert!(r.idempotent);
        assert_eq!(&r.body[..], br#"{"assessment_id":"a","timestamp":1}"#);
        assert_eq!(r.headers["content-type"], "application/json");
        let base = Url::parse("http://127.0.0.1:9/mock/").unwrap();
        assert_eq!(
            prepare_update(&base, &body).unwrap().url.as_str(),
            "http://127.0.0.1:9/mock/assessment.update"
        );
    }
}
