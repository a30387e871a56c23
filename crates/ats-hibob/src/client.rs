//! Outbound calls to Bob's API: building them ([`PreparedRequest`], pure)
//! and sending them with the company's OAuth access token.

use std::sync::Arc;

use ats_core::client::{Auth, HttpClient, ProviderMessage, ProviderReply};
use ats_core::http::url_with_segments;
use ats_core::{Error, PreparedRequest, TenantId};
use http::{Method, StatusCode};
use url::Url;

use crate::oauth::TokenManager;
use crate::wire::{ErrorBody, UpdateAssessment};

/// `GET /hiring/assessments/{assessmentRequestId}` ("Get assessment details").
pub const GET_ASSESSMENT: &str = "getAssessmentDetails";
/// `PATCH /hiring/assessments/{assessmentRequestId}` ("Update assessment status").
pub const UPDATE_ASSESSMENT: &str = "updateAssessmentStatus";

/// The default API base (`https://api.hibob.com/v1`).
pub const DEFAULT_BASE_URL: &str = "https://api.hibob.com/v1";

/// Reads the assessment's context after `assessment.triggered`.
pub fn get_assessment(base: &Url, id: &str) -> Result<PreparedRequest, Error> {
    let url = url_with_segments(base, &["hiring", "assessments", id])?;
    Ok(PreparedRequest::new(GET_ASSESSMENT, Method::GET, url)
        .header("accept", "application/json")?
        .idempotent(true))
}

/// Reports a status or result. A PATCH that sets the same fields again
/// leaves Bob as it was, so it is idempotent and may be retried.
pub fn update_assessment(
    base: &Url,
    id: &str,
    body: &UpdateAssessment,
) -> Result<PreparedRequest, Error> {
    let url = url_with_segments(base, &["hiring", "assessments", id])?;
    Ok(PreparedRequest::new(UPDATE_ASSESSMENT, Method::PATCH, url)
        .json(body)?
        .idempotent(true))
}

/// Reads Bob's error body, keeping its message and code (the shape is
/// unconfirmed: `message`, `error`, `code`, else the body's start).
pub fn decode_error(status: StatusCode, body: &[u8]) -> ProviderMessage {
    let generic = ProviderMessage::generic(status, body);
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => ProviderMessage {
            code: e
                .code
                .or_else(|| e.error.as_ref().and_then(|v| v.as_str()).map(str::to_owned))
                .or(generic.code),
            message: e
                .message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or(generic.message),
        },
        Err(_) => generic,
    }
}

/// An answer, with the HTTP requests it took (token calls included).
#[derive(Debug)]
pub struct Sent {
    /// Bob's answer.
    pub reply: ProviderReply,
    /// HTTP requests made, token-endpoint calls included.
    pub attempts: u32,
}

/// Sends `request` with the company's access token; after a `401` the
/// token is refreshed once and the request sent again.
pub(crate) async fn send(
    http: &HttpClient,
    tokens: &Arc<TokenManager>,
    tenant: &TenantId,
    request: &PreparedRequest,
) -> Result<Sent, Error> {
    let first = tokens.access_token(tenant).await?;
    let mut attempts = first.token_calls;
    match http
        .send(request, &Auth::Bearer(first.token.clone()), decode_error)
        .await
    {
        Ok(reply) => Ok(Sent {
            attempts: attempts + reply.attempts,
            reply,
        }),
        Err(Error::ProviderRejected { status: 401, .. }) => {
            tracing::info!(
                provider = crate::translate::PROVIDER,
                %tenant,
                operation = %request.operation,
                "access token refused; refreshing once"
            );
            attempts += 1;
            let fresh = tokens.refresh(tenant, &first.token).await?;
            attempts += fresh.token_calls;
            let reply = http
                .send(request, &Auth::Bearer(fresh.token), decode_error)
                .await?;
            Ok(Sent {
                attempts: attempts + reply.attempts,
                reply,
            })
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse(DEFAULT_BASE_URL).unwrap()
    }

    #[test]
    fn requests_are_built_to_the_byte() {
        let get = get_assessment(&base(), "41872").unwrap();
        assert_eq!(get.method, Method::GET);
        assert_eq!(
            get.url.as_str(),
            "https://api.hibob.com/v1/hiring/assessments/41872"
        );
        assert!(get.body.is_empty());
        let body = UpdateAssessment {
            status: "completed".into(),
            provider_assessment_id: Some("asm_1".into()),
            score: None,
            verdict: None,
            result_url: None,
            comments: None,
        };
        let patch = update_assessment(&base(), "41872", &body).unwrap();
        assert_eq!(patch.method, Method::PATCH);
        assert_eq!(
            patch.url.as_str(),
            "https://api.hibob.com/v1/hiring/assessments/41872"
        );
        assert_eq!(
            &patch.body[..],
            br#"{"status":"completed","providerAssessmentId":"asm_1"}"#
        );
        assert!(patch.idempotent);
    }

    #[test]
    fn ids_are_escaped_as_one_segment() {
        let get = get_assessment(&base(), "4 2").unwrap();
        assert_eq!(
            get.url.as_str(),
            "https://api.hibob.com/v1/hiring/assessments/4%202"
        );
    }

    #[test]
    fn error_bodies_keep_the_message_and_code() {
        let m = decode_error(
            StatusCode::BAD_REQUEST,
            br#"{"message":"status is not supported","code":"INVALID_STATUS"}"#,
        );
        assert_eq!(m.message, "status is not supported");
        assert_eq!(m.code.as_deref(), Some("INVALID_STATUS"));
        let m = decode_error(StatusCode::BAD_GATEWAY, b"upstream down");
        assert!(m.message.contains("upstream down"), "{m:?}");
    }
}
