//! [`Teamtailor`]: the [`AtsProvider`] implementation.

use std::sync::Arc;

use async_trait::async_trait;
use ats_core::auth::KeyDirectory;
use ats_core::client::HttpClient;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentResult, AtsProvider, Capabilities, Delivery, Error, InboundAuth, InboundEvent,
    InboundRequest, InboundResponse, Operation, OrderDelivery, OrderHandle, OutboundCall,
    PackageDelivery, PreparedRequest, RejectReason, ResultDelivery, Secret, TenantId, UrlPolicy,
    VendorError, VendorReply,
};
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http::{Method, StatusCode};
use url::Url;

use crate::translate::{self, PROVIDER};
use crate::{auth, client};

/// `GET {BASE_URL}/config`: Teamtailor asks for the form a recruiter fills
/// in when setting up a trigger (the vendor's tests).
pub const CONFIG: &str = "config";
/// `POST {BASE_URL}/webhook`: a trigger ran; Teamtailor sends the
/// `partner-event` (candidate, picked test, partner result to update).
pub const WEBHOOK: &str = "webhook";
/// `PUT {update-url}`: the vendor updates the partner result.
pub const UPDATE_PARTNER_RESULT: &str = client::UPDATE_PARTNER_RESULT;

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        CONFIG,
        "GET /config: the trigger form, one select field `test` listing the vendor's tests",
    ),
    Operation::inbound(
        WEBHOOK,
        "POST /webhook: partner-event with webhook-data, partner-result (update-url) and candidate",
    ),
    Operation::outbound(
        UPDATE_PARTNER_RESULT,
        "PUT <update-url>: partner result status (sent, pending, completed, failed), score, details",
    ),
];

/// Teamtailor's Partner API integration, vendor side.
///
/// Routes by the last path segment and the method (`GET …/config`,
/// `POST …/webhook`), so the endpoints can live under any base URL the
/// vendor registers with Teamtailor.
#[derive(Debug, Clone)]
pub struct Teamtailor {
    pub(crate) keys: Arc<dyn KeyDirectory>,
    pub(crate) api_key: Option<Secret>,
    pub(crate) webhook_secrets: Vec<Secret>,
    pub(crate) tolerance_secs: i64,
    pub(crate) base_url: Url,
    pub(crate) callback_policy: UrlPolicy,
    pub(crate) http: HttpClient,
}

impl Teamtailor {
    /// A builder.
    pub fn builder() -> crate::TeamtailorBuilder {
        crate::TeamtailorBuilder::new()
    }
}

/// The HTTP status of a refused order (Teamtailor shows the plain-text body
/// of any answer ≥ 400 on the partner result).
pub fn rejection_status(reason: RejectReason) -> StatusCode {
    match reason {
        RejectReason::AlreadyAssessed => StatusCode::CONFLICT,
        RejectReason::UnknownPackage
        | RejectReason::InvalidCandidate
        | RejectReason::QuotaExceeded
        | RejectReason::Other => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The HTTP status an error is answered with: 401 for credentials, 422 for
/// a missing required field, an unknown test or an untrusted `update-url`,
/// 400 for an unreadable body, 404 for an unknown endpoint, 503 for a
/// passing vendor failure, 500 otherwise.
pub fn error_status(error: &Error) -> StatusCode {
    let code = match error {
        Error::Unauthenticated { .. } | Error::BadSignature { .. } => 401,
        e if e.is_missing_field() => 422,
        Error::Malformed { .. } => 400,
        Error::UntrustedUrl { .. }
        | Error::UnknownPackage { .. }
        | Error::Vendor(VendorError::UnknownPackage { .. }) => 422,
        Error::UnknownOperation { .. } => 404,
        other => other.inbound_status(),
    };
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A plain-text answer: what Teamtailor shows on the partner result.
fn text_response(status: StatusCode, message: &str) -> InboundResponse {
    let mut response = InboundResponse::empty(status);
    response.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.body = message.to_owned().into();
    response
}

#[async_trait]
impl AtsProvider for Teamtailor {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::BearerToken,
            packages: PackageDelivery::Served,
            orders: OrderDelivery::Call,
            // Teamtailor renders a plain-text answer ≥ 400 on the result.
            reject_with_message: true,
            cancellation: false,
            status_queries: false,
            results: ResultDelivery::Push,
            open_orders: false,
            oauth: false,
        }
    }

    fn operations(&self) -> &'static [Operation] {
        OPERATIONS
    }

    fn route(&self, request: &InboundRequest) -> Result<&'static str, Error> {
        let (op, expected) = match request.last_path_segment() {
            "config" => (CONFIG, Method::GET),
            "webhook" => (WEBHOOK, Method::POST),
            _ => {
                return Err(unknown_operation(
                    PROVIDER,
                    format!("{} {}", request.method, request.path),
                ));
            }
        };
        if request.method != expected {
            return Err(unknown_operation(
                PROVIDER,
                format!("{} {} (expected {expected})", request.method, request.path),
            ));
        }
        Ok(op)
    }

    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error> {
        match operation {
            CONFIG => Ok(InboundEvent::PackagesRequested(
                translate::packages_request(),
            )),
            WEBHOOK => Ok(InboundEvent::OrderReceived(Box::new(
                translate::webhook_to_order(
                    &request.body,
                    request.received_at,
                    &self.callback_policy,
                )?,
            ))),
            other => Err(unknown_operation(PROVIDER, other)),
        }
    }

    async fn authenticate(
        &self,
        operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error> {
        let tenant = auth::authenticate(self.keys.as_ref(), request).await?;
        if operation == WEBHOOK && !self.webhook_secrets.is_empty() {
            let event_id = serde_json::from_slice::<serde_json::Value>(&request.body)
                .ok()
                .and_then(|v| match v.pointer("/partner-event/id") {
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                })
                .ok_or_else(|| Error::bad_signature("no partner-event id to check"))?;
            auth::verify_signature(
                &self.webhook_secrets,
                request.header(auth::SIGNATURE_HEADER),
                &event_id,
                request.received_at,
                self.tolerance_secs,
            )?;
        }
        Ok(Some(tenant))
    }

    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
        match (operation, reply) {
            (CONFIG, VendorReply::Packages { packages }) => {
                InboundResponse::json(StatusCode::OK, &translate::config_response(packages))
            }
            (WEBHOOK, VendorReply::Accepted(_)) => {
                InboundResponse::json(StatusCode::OK, &translate::accepted_response())
            }
            (WEBHOOK, VendorReply::Rejected(r)) => {
                Ok(text_response(rejection_status(r.reason), &r.message))
            }
            (op, reply) if find_operation(OPERATIONS, op).is_some() => {
                Err(reply_mismatch(op, reply))
            }
            (op, _) => Err(unknown_operation(PROVIDER, op)),
        }
    }

    fn respond_error(&self, _operation: Option<&str>, error: &Error) -> InboundResponse {
        let status = error_status(error);
        let mut response = text_response(status, &error.public_message());
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }

    fn missing_configuration(&self) -> Vec<String> {
        match &self.api_key {
            Some(_) => Vec::new(),
            None => vec![
                "api_key: the Teamtailor partner API key is not set; results cannot be written"
                    .to_owned(),
            ],
        }
    }

    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        ats_core::provider::check_call(self.name(), call)?;
        match call {
            OutboundCall::SubmitResult { order, result } => {
                Ok(vec![client::update_partner_result(
                    order,
                    result,
                    &self.callback_policy,
                    &self.base_url,
                )?])
            }
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (Teamtailor calls GET /config)",
            )),
            _ => Err(Error::unsupported(PROVIDER, "this outbound call")),
        }
    }

    async fn submit_result(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<Delivery, Error> {
        ats_core::provider::check_submission(self.name(), order, result)?;
        let request =
            client::update_partner_result(order, result, &self.callback_policy, &self.base_url)?;
        client::send(&self.http, self.api_key.as_ref(), &request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Acceptance, Package, Rejection};

    fn teamtailor() -> Teamtailor {
        Teamtailor::builder().build().unwrap()
    }

    #[test]
    fn routes_by_last_segment_and_method() {
        let t = teamtailor();
        let r = |m: Method, p: &str| t.route(&InboundRequest::new(m, p));
        assert_eq!(r(Method::GET, "/config").unwrap(), CONFIG);
        assert_eq!(
            r(Method::GET, "/teamtailor/config?job_id=1&stage_id=2").unwrap(),
            CONFIG
        );
        assert_eq!(r(Method::POST, "/teamtailor/webhook/").unwrap(), WEBHOOK);
        for (m, p) in [
            (Method::POST, "/config"),
            (Method::GET, "/webhook"),
            (Method::GET, "/activation"),
            (Method::GET, "/"),
        ] {
            let e = r(m.clone(), p).unwrap_err();
            assert!(matches!(e, Error::UnknownOperation { .. }), "{m} {p}: {e}");
            assert_eq!(error_status(&e), StatusCode::NOT_FOUND);
        }
    }

    #[test]
    fn renders_config_accepted_and_rejected() {
        let t = teamtailor();
        let r = t
            .respond(
                CONFIG,
                &VendorReply::Packages {
                    packages: vec![Package::new("2", "Accounting Test")],
                },
            )
            .unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            &r.body[..],
            br#"{"config":{"fields":[{"id":"test","label":"Test","placeholder":"Select test","type":"select","options":[{"id":"2","label":"Accounting Test"}]}]}}"#
        );
        let r = t
            .respond(WEBHOOK, &VendorReply::Accepted(Acceptance::new("asm_9")))
            .unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            &r.body[..],
            br#"{"partner_result_attributes":{"status":"sent"}}"#
        );
        assert_eq!(r.headers["content-type"], "application/json");
        let r = t
            .respond(
                WEBHOOK,
                &VendorReply::Rejected(Rejection::new(
                    RejectReason::AlreadyAssessed,
                    "Already invited.",
                )),
            )
            .unwrap();
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(&r.body[..], b"Already invited.");
        assert_eq!(r.headers["content-type"], "text/plain; charset=utf-8");
        let e = t.respond(CONFIG, &VendorReply::Acknowledged).unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        let e = t.respond("nope", &VendorReply::Acknowledged).unwrap_err();
        assert!(matches!(e, Error::UnknownOperation { .. }));
    }

    #[test]
    fn rejection_statuses() {
        assert_eq!(rejection_status(RejectReason::UnknownPackage), 422);
        assert_eq!(rejection_status(RejectReason::AlreadyAssessed), 409);
        assert_eq!(rejection_status(RejectReason::InvalidCandidate), 422);
        assert_eq!(rejection_status(RejectReason::QuotaExceeded), 422);
        assert_eq!(rejection_status(RejectReason::Other), 422);
    }

    #[test]
    fn error_rendering() {
        let t = teamtailor();
        let r = t.respond_error(
            Some(CONFIG),
            &Error::unauthenticated("no Authorization header"),
        );
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            &r.body[..],
            b"authentication failed: no Authorization header"
        );
        let cases = [
            (Error::missing("partner-event.candidate.email"), 422),
            (
                Error::malformed(".", "expected value at line 1 column 1"),
                400,
            ),
            (Error::UnknownPackage { id: "9".into() }, 422),
            (
                Error::Vendor(VendorError::Unavailable {
                    message: "db".into(),
                }),
                503,
            ),
            (
                Error::Vendor(VendorError::Internal {
                    message: "secret".into(),
                }),
                500,
            ),
        ];
        for (e, status) in cases {
            let r = t.respond_error(Some(WEBHOOK), &e);
            assert_eq!(r.status.as_u16(), status, "{e}");
            assert!(!r.headers.contains_key(WWW_AUTHENTICATE));
        }
        let r = t.respond_error(
            None,
            &Error::Vendor(VendorError::Internal {
                message: "db password".into(),
            }),
        );
        assert_eq!(&r.body[..], b"internal error");
    }

    #[tokio::test]
    async fn a_configured_secret_makes_the_signature_required() {
        use ats_core::auth::InMemoryKeys;
        use ats_core::signature::{SignatureEncoding, sign};
        let t = Teamtailor::builder()
            .keys(InMemoryKeys::new().with("acme", "tt_pk_acme_3c9e1f7a2b"))
            .webhook_secret("tt_whsec_test")
            .build()
            .unwrap();
        let at = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let base = InboundRequest::new(Method::POST, "/webhook")
            .with_header("authorization", "Bearer tt_pk_acme_3c9e1f7a2b")
            .unwrap()
            .with_body(r#"{"partner-event":{"id":"ev-1"}}"#)
            .received_at(at);
        let e = t.authenticate(WEBHOOK, &base).await.unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }), "{e}");
        let mac = sign(
            &Secret::new("tt_whsec_test"),
            b"1767225600.ev-1",
            SignatureEncoding::Hex,
        );
        let signed = base
            .clone()
            .with_header("teamtailor-signature", &format!("t=1767225600,v1={mac}"))
            .unwrap();
        assert_eq!(
            t.authenticate(WEBHOOK, &signed).await.unwrap(),
            Some(TenantId::new("acme"))
        );
        // config is not signed
        let config = InboundRequest::new(Method::GET, "/config")
            .with_header("authorization", "Bearer tt_pk_acme_3c9e1f7a2b")
            .unwrap();
        assert!(t.authenticate(CONFIG, &config).await.is_ok());
        let junk = signed.with_body("not json");
        let e = t.authenticate(WEBHOOK, &junk).await.unwrap_err();
        assert!(matches!(e, Error::BadSignature { .. }), "{e}");
    }

    #[test]
    fn publishing_packages_is_unsupported() {
        let e = teamtailor()
            .prepare(&OutboundCall::PublishPackages {
                tenant: TenantId::new("acme"),
                packages: Vec::new(),
            })
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }));
    }
}
