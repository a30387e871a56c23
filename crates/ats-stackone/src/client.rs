//! Outbound calls to StackOne's unified ATS API.
//!
//! Every call goes to `<base>/unified/ats/…` with HTTP Basic (the API key as
//! user name, empty password), `x-account-id: <linked account id>` (the
//! tenant) and `accept: application/json`. Ids taken from payloads are
//! percent-encoded as single path segments, so they cannot change the path.
//!
//! Retries (by [`HttpClient`]): `GET`s, the result `PATCH`es, the package
//! `PATCH` and `DELETE` are idempotent and retried on 408/5xx; the package
//! `POST` is not (a retry could create a duplicate) except after a 429,
//! which StackOne answers before doing anything. 429 honours `Retry-After`
//! (seconds).

use ats_core::client::{Auth, HttpClient, ProviderMessage, ProviderReply};
use ats_core::http::url_with_segments;
use ats_core::{Error, PreparedRequest, Secret, TenantId};
use http::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::auth::ACCOUNT_HEADER;
use crate::packages::Step;
use crate::translate::OrderType;
use crate::wire::{ErrorBody, ResultUpdate};

/// `GET /unified/ats/candidates/{id}`.
pub const GET_CANDIDATE: &str = "ats_get_candidate";
/// `GET /unified/ats/applications/{id}`.
pub const GET_APPLICATION: &str = "ats_get_application";
/// `GET /unified/ats/jobs/{id}`.
pub const GET_JOB: &str = "ats_get_job";
/// `PATCH /unified/ats/assessments/orders/{id}/result`.
pub const UPDATE_ASSESSMENTS_RESULT: &str = "ats_update_assessments_result";
/// `PATCH /unified/ats/background_checks/orders/{id}/result`.
pub const UPDATE_BACKGROUND_CHECK_RESULT: &str = "ats_update_background_check_result";
/// `POST /unified/ats/background_checks/packages`.
pub const CREATE_BACKGROUND_CHECK_PACKAGE: &str = "ats_create_background_check_package";
/// `PATCH /unified/ats/background_checks/packages/{id}`.
pub const UPDATE_BACKGROUND_CHECK_PACKAGE: &str = "ats_update_background_check_package";
/// `DELETE /unified/ats/background_checks/packages/{id}`.
pub const DELETE_BACKGROUND_CHECK_PACKAGE: &str = "ats_delete_background_check_package";

/// StackOne's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.stackone.com";

fn request(
    operation: &str,
    method: Method,
    url: Url,
    tenant: &TenantId,
) -> Result<PreparedRequest, Error> {
    PreparedRequest::new(operation, method, url)
        .header("accept", "application/json")?
        .header(ACCOUNT_HEADER, tenant.as_str())
}

fn with_body<T: Serialize>(request: PreparedRequest, body: &T) -> Result<PreparedRequest, Error> {
    request.json(body)
}

/// `GET` of one candidate, application or job.
pub fn get_record(
    base: &Url,
    tenant: &TenantId,
    operation: &'static str,
    id: &str,
) -> Result<PreparedRequest, Error> {
    let collection = match operation {
        GET_CANDIDATE => "candidates",
        GET_APPLICATION => "applications",
        GET_JOB => "jobs",
        other => return Err(Error::config(format!("`{other}` is not a record read"))),
    };
    let url = url_with_segments(base, &["unified", "ats", collection, id])?;
    request(operation, Method::GET, url, tenant)
}

/// The result update for an order: the assessments or the background-checks
/// endpoint, by order type. Idempotent (it overwrites the result).
pub fn update_result(
    base: &Url,
    tenant: &TenantId,
    order_id: &str,
    order_type: OrderType,
    body: &ResultUpdate,
) -> Result<PreparedRequest, Error> {
    let (collection, operation) = match order_type {
        OrderType::Assessment => ("assessments", UPDATE_ASSESSMENTS_RESULT),
        OrderType::BackgroundCheck => ("background_checks", UPDATE_BACKGROUND_CHECK_RESULT),
    };
    let url = url_with_segments(
        base,
        &["unified", "ats", collection, "orders", order_id, "result"],
    )?;
    Ok(with_body(request(operation, Method::PATCH, url, tenant)?, body)?.idempotent(true))
}

/// The request of one publication step.
pub fn package_step(base: &Url, tenant: &TenantId, step: &Step) -> Result<PreparedRequest, Error> {
    match step {
        Step::Create { body, .. } => {
            let url =
                url_with_segments(base, &["unified", "ats", "background_checks", "packages"])?;
            with_body(
                request(CREATE_BACKGROUND_CHECK_PACKAGE, Method::POST, url, tenant)?,
                body,
            )
        }
        Step::Update {
            stackone_package_id,
            body,
            ..
        } => {
            let url = url_with_segments(
                base,
                &[
                    "unified",
                    "ats",
                    "background_checks",
                    "packages",
                    stackone_package_id,
                ],
            )?;
            Ok(with_body(
                request(UPDATE_BACKGROUND_CHECK_PACKAGE, Method::PATCH, url, tenant)?,
                body,
            )?
            .idempotent(true))
        }
        Step::Delete {
            stackone_package_id,
            ..
        } => {
            let url = url_with_segments(
                base,
                &[
                    "unified",
                    "ats",
                    "background_checks",
                    "packages",
                    stackone_package_id,
                ],
            )?;
            request(DELETE_BACKGROUND_CHECK_PACKAGE, Method::DELETE, url, tenant)
        }
    }
}

/// Sends a prepared request with the API key.
pub async fn send(
    http: &HttpClient,
    api_key: Option<&Secret>,
    request: &PreparedRequest,
) -> Result<ProviderReply, Error> {
    let key = api_key.ok_or_else(|| Error::config("no StackOne API key configured"))?;
    http.send(
        request,
        &Auth::api_key_as_username(key.clone()),
        decode_error,
    )
    .await
}

/// Reads StackOne's error body (`{statusCode, message, timestamp,
/// provider_errors?}`): the message (a list of validation messages is
/// joined with `; `), followed by what the underlying ATS answered when
/// `provider_errors` says; `errorCode` as the code where sent. Anything else
/// falls back to [`ProviderMessage::generic`].
pub fn decode_error(status: StatusCode, body: &[u8]) -> ProviderMessage {
    let Ok(e) = serde_json::from_slice::<ErrorBody>(body) else {
        return ProviderMessage::generic(status, body);
    };
    let message = match &e.message {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("; "),
        _ => return ProviderMessage::generic(status, body),
    };
    let detail = e
        .provider_errors
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find_map(|p| {
            let text = match p.raw.as_ref()? {
                Value::String(s) => s.clone(),
                Value::Object(o) => ["message", "error", "detail"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_else(|| Value::Object(o.clone()).to_string()),
                other => other.to_string(),
            };
            let text: String = text.chars().take(300).collect();
            Some(match &p.status {
                Some(s) => format!("underlying provider answered {s}: {text}"),
                None => format!("underlying provider: {text}"),
            })
        });
    ProviderMessage {
        code: e.error_code.filter(|c| !c.trim().is_empty()),
        message: match detail {
            Some(d) => format!("{message} ({d})"),
            None => message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://api.stackone.com").unwrap()
    }

    #[test]
    fn ids_are_single_encoded_segments() {
        let u = url_with_segments(&base(), &["unified", "ats", "candidates", "a/b?c"]).unwrap();
        assert_eq!(
            u.as_str(),
            "https://api.stackone.com/unified/ats/candidates/a%2Fb%3Fc"
        );
        let with_path = Url::parse("http://127.0.0.1:9/proxy/").unwrap();
        assert_eq!(
            url_with_segments(&with_path, &["unified", "x"])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/proxy/unified/x"
        );
        assert!(url_with_segments(&base(), &["unified", ".."]).is_err());
        assert!(url_with_segments(&base(), &["unified", ""]).is_err());
    }

    #[test]
    fn result_update_request() {
        let body = ResultUpdate::default();
        let t = TenantId::new("acc_1");
        let r = update_result(&base(), &t, "asr_1", OrderType::Assessment, &body).unwrap();
        assert_eq!(r.operation, UPDATE_ASSESSMENTS_RESULT);
        assert_eq!(r.method, Method::PATCH);
        assert_eq!(r.url.path(), "/unified/ats/assessments/orders/asr_1/result");
        assert_eq!(r.headers["x-account-id"], "acc_1");
        assert_eq!(r.headers["accept"], "application/json");
        assert_eq!(r.headers["content-type"], "application/json");
        assert_eq!(&r.body[..], b"{}");
        assert!(r.idempotent);
        let r = update_result(&base(), &t, "bco_1", OrderType::BackgroundCheck, &body).unwrap();
        assert_eq!(r.operation, UPDATE_BACKGROUND_CHECK_RESULT);
        assert_eq!(
            r.url.path(),
            "/unified/ats/background_checks/orders/bco_1/result"
        );
        assert!(
            update_result(
                &base(),
                &TenantId::new("a\nb"),
                "x",
                OrderType::Assessment,
                &body
            )
            .is_err()
        );
    }

    #[test]
    fn package_requests_and_idempotency() {
        let t = TenantId::new("acc_1");
        let create = package_step(
            &base(),
            &t,
            &Step::Create {
                vendor_package_id: "v".into(),
                body: Default::default(),
            },
        )
        .unwrap();
        assert_eq!(
            (create.method.clone(), create.url.path()),
            (Method::POST, "/unified/ats/background_checks/packages")
        );
        assert!(!create.idempotent);
        let update = package_step(
            &base(),
            &t,
            &Step::Update {
                vendor_package_id: "v".into(),
                stackone_package_id: "bgp_1".into(),
                body: Default::default(),
            },
        )
        .unwrap();
        assert_eq!(
            update.url.path(),
            "/unified/ats/background_checks/packages/bgp_1"
        );
        assert!(update.idempotent);
        let delete = package_step(
            &base(),
            &t,
            &Step::Delete {
                vendor_package_id: "v".into(),
                stackone_package_id: "bgp_1".into(),
            },
        )
        .unwrap();
        assert_eq!(delete.method, Method::DELETE);
        assert!(delete.body.is_empty() && delete.idempotent);
        assert!(delete.headers.get("content-type").is_none());
    }

    #[test]
    fn record_reads() {
        let t = TenantId::new("acc_1");
        let r = get_record(&base(), &t, GET_JOB, "job_1").unwrap();
        assert_eq!(
            (r.method.clone(), r.url.path()),
            (Method::GET, "/unified/ats/jobs/job_1")
        );
        assert!(r.body.is_empty());
        assert!(get_record(&base(), &t, "nope", "1").is_err());
    }

    #[test]
    fn error_bodies() {
        let d = |s: u16, b: &str| decode_error(StatusCode::from_u16(s).unwrap(), b.as_bytes());
        let m = d(
            422,
            r#"{"statusCode":422,"message":"Unprocessable Entity","timestamp":"2026-03-02T10:15:30.000Z","provider_errors":[{"status":422,"url":"https://ats.example.com/x","raw":{"error":"score must be numeric"},"headers":{}}]}"#,
        );
        assert_eq!(
            m.message,
            "Unprocessable Entity (underlying provider answered 422: score must be numeric)"
        );
        assert_eq!(m.code, None);
        let m = d(
            400,
            r#"{"statusCode":400,"message":["score.value must be a string","result.value must be one of …"],"timestamp":"t","errorCode":"VALIDATION"}"#,
        );
        assert_eq!(
            m.message,
            "score.value must be a string; result.value must be one of …"
        );
        assert_eq!(m.code.as_deref(), Some("VALIDATION"));
        let m = d(
            502,
            r#"{"statusCode":502,"message":"Bad Gateway","provider_errors":[{"raw":"upstream timeout"}]}"#,
        );
        assert_eq!(
            m.message,
            "Bad Gateway (underlying provider: upstream timeout)"
        );
        assert_eq!(d(503, "Service Unavailable").message, "Service Unavailable");
        assert_eq!(d(500, "").message, "Internal Server Error");
        assert_eq!(d(404, r#"{"error":"x"}"#).message, "x");
    }
}
