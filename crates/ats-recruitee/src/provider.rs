//! [`Recruitee`]: the [`AtsProvider`] implementation.

use std::sync::Arc;

use async_trait::async_trait;
use ats_core::auth::KeyDirectory;
use ats_core::client::HttpClient;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentResult, AtsProvider, Capabilities, Delivery, Error, InboundAuth, InboundEvent,
    InboundRequest, InboundResponse, Operation, OrderDelivery, OrderHandle, OutboundCall,
    PackageDelivery, PreparedRequest, RejectReason, ResultDelivery, Secret, TenantId, VendorError,
    VendorReply,
};
use http::header::{HeaderValue, WWW_AUTHENTICATE};
use http::{Method, StatusCode};
use url::Url;

use crate::translate::{self, PROVIDER, PartnerKind};
use crate::wire::ErrorBody;
use crate::{auth, client};

/// `GET {partner.urls.tests}`: Recruitee lists the tests (or background /
/// reference check packages) a customer can pick.
pub const TESTS: &str = "tests";
/// `POST {partner.urls.send_candidate}`: Recruitee sends a candidate for a
/// test.
pub const SEND_CANDIDATE: &str = "send_candidate";
/// `PATCH /p/{codename}/reports/{report_id}`: the vendor updates the report.
pub const UPDATE_REPORT: &str = client::UPDATE_REPORT;

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        TESTS,
        "GET {partner.urls.tests}: the tests a customer can pick, answered [{name, id}]",
    ),
    Operation::inbound(
        SEND_CANDIDATE,
        "POST {partner.urls.send_candidate}: send a candidate for a test; 2xx accepts, 4xx {error} refuses",
    ),
    Operation::outbound(
        UPDATE_REPORT,
        "PATCH /p/{codename}/reports/{report_id} (RT-PARTNER-SECRET): status sent / completed / failed / canceled, score, completed_at",
    ),
];

/// Recruitee's Partners API (assessment, background check and reference
/// check integrations), vendor side.
///
/// The partner chooses its own URLs (`partner.urls`); this adapter routes
/// by the last path segment and the method, so register them as
/// `…/tests` (`GET`) and `…/send_candidate` (`POST`) under any prefix.
#[derive(Debug, Clone)]
pub struct Recruitee {
    pub(crate) keys: Arc<dyn KeyDirectory>,
    pub(crate) partner_secret: Option<Secret>,
    pub(crate) codename: Option<String>,
    pub(crate) api_base: Url,
    pub(crate) kind: PartnerKind,
    pub(crate) http: HttpClient,
}

impl Recruitee {
    /// A builder.
    pub fn builder() -> crate::RecruiteeBuilder {
        crate::RecruiteeBuilder::new()
    }
}

/// The HTTP status of a refused candidate: 409 when the candidate already
/// has the test, 422 otherwise. Never 401 or 403, which Recruitee reads as
/// an invalid token.
pub fn rejection_status(reason: RejectReason) -> StatusCode {
    match reason {
        RejectReason::AlreadyAssessed => StatusCode::CONFLICT,
        RejectReason::UnknownPackage
        | RejectReason::InvalidCandidate
        | RejectReason::QuotaExceeded
        | RejectReason::Other => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The HTTP status an error is answered with: 401 for credentials (shown
/// by Recruitee as an invalid token), 422 for a missing required field or
/// an unknown test, 400 for an unreadable body, 404 for an unknown
/// endpoint, 503 for a passing vendor failure, 500 otherwise.
pub fn error_status(error: &Error) -> StatusCode {
    let code = match error {
        Error::Unauthenticated { .. } | Error::BadSignature { .. } => 401,
        e if e.is_missing_field() => 422,
        Error::Malformed { .. } => 400,
        Error::UnknownPackage { .. } | Error::Vendor(VendorError::UnknownPackage { .. }) => 422,
        Error::UnknownOperation { .. } => 404,
        other => other.inbound_status(),
    };
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn error_response(status: StatusCode, message: String) -> InboundResponse {
    InboundResponse::json(status, &ErrorBody { error: message })
        .unwrap_or_else(|_| InboundResponse::empty(status))
}

#[async_trait]
impl AtsProvider for Recruitee {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn missing_configuration(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.partner_secret.is_none() {
            missing.push("partner_secret: reports cannot be sent to Recruitee".into());
        }
        if self.codename.is_none() {
            missing.push("codename: the report URL cannot be built".into());
        }
        missing
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::BearerToken,
            packages: PackageDelivery::Served,
            orders: OrderDelivery::Call,
            // a 4xx `{"error": …}` is shown to the user
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
            "tests" => (TESTS, Method::GET),
            "send_candidate" => (SEND_CANDIDATE, Method::POST),
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
            TESTS => Ok(InboundEvent::PackagesRequested(
                translate::packages_request(),
            )),
            SEND_CANDIDATE => Ok(InboundEvent::OrderReceived(Box::new(
                translate::send_candidate_to_order(&request.body, request.received_at)?,
            ))),
            other => Err(unknown_operation(PROVIDER, other)),
        }
    }

    async fn authenticate(
        &self,
        _operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error> {
        auth::authenticate(self.keys.as_ref(), request)
            .await
            .map(Some)
    }

    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
        match (operation, reply) {
            (TESTS, VendorReply::Packages { packages }) => {
                InboundResponse::json(StatusCode::OK, &translate::tests_from_packages(packages))
            }
            // Recruitee reads the status only; it documents no success body.
            (SEND_CANDIDATE, VendorReply::Accepted(_)) => {
                InboundResponse::json(StatusCode::OK, &serde_json::Map::new())
            }
            (SEND_CANDIDATE, VendorReply::Rejected(r)) => Ok(error_response(
                rejection_status(r.reason),
                r.message.clone(),
            )),
            (op, reply) if find_operation(OPERATIONS, op).is_some() => {
                Err(reply_mismatch(op, reply))
            }
            (op, _) => Err(unknown_operation(PROVIDER, op)),
        }
    }

    fn respond_error(&self, _operation: Option<&str>, error: &Error) -> InboundResponse {
        let status = error_status(error);
        let mut response = error_response(status, error.public_message());
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }

    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        ats_core::provider::check_call(self.name(), call)?;
        match call {
            OutboundCall::SubmitResult { order, result } => Ok(vec![client::update_report(
                order,
                result,
                &self.api_base,
                self.codename.as_deref(),
                self.kind,
            )?]),
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (Recruitee calls the tests URL)",
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
        let request = client::update_report(
            order,
            result,
            &self.api_base,
            self.codename.as_deref(),
            self.kind,
        )?;
        client::send(&self.http, self.partner_secret.as_ref(), &request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Acceptance, Package, Rejection};
    use serde_json::json;

    fn recruitee() -> Recruitee {
        Recruitee::builder().build().unwrap()
    }

    #[test]
    fn routes_by_last_segment_and_method() {
        let r = recruitee();
        let route = |m: Method, p: &str| r.route(&InboundRequest::new(m, p));
        assert_eq!(route(Method::GET, "/tests").unwrap(), TESTS);
        assert_eq!(
            route(Method::GET, "/integrations/recruitee/tests/").unwrap(),
            TESTS
        );
        assert_eq!(
            route(Method::POST, "/integrations/recruitee/send_candidate").unwrap(),
            SEND_CANDIDATE
        );
        for (m, p) in [
            (Method::POST, "/tests"),
            (Method::GET, "/send_candidate"),
            (Method::PATCH, "/reports/1"),
            (Method::GET, "/"),
        ] {
            let e = route(m.clone(), p).unwrap_err();
            assert!(matches!(e, Error::UnknownOperation { .. }), "{m} {p}: {e}");
            assert_eq!(error_status(&e), StatusCode::NOT_FOUND);
        }
    }

    #[test]
    fn renders_tests_accepted_and_rejected() {
        let r = recruitee();
        let resp = r
            .respond(
                TESTS,
                &VendorReply::Packages {
                    packages: vec![
                        Package::new("1", "JavaScript"),
                        Package::new("ruby", "Ruby"),
                    ],
                },
            )
            .unwrap();
        assert_eq!(resp.status, StatusCode::OK);
        assert_eq!(
            &resp.body[..],
            br#"[{"name":"JavaScript","id":1},{"name":"Ruby","id":"ruby"}]"#
        );
        assert_eq!(resp.headers["content-type"], "application/json");
        let resp = r
            .respond(
                SEND_CANDIDATE,
                &VendorReply::Accepted(Acceptance::new("asm_9")),
            )
            .unwrap();
        assert_eq!(resp.status, StatusCode::OK);
        assert_eq!(&resp.body[..], b"{}");
        let resp = r
            .respond(
                SEND_CANDIDATE,
                &VendorReply::Rejected(Rejection::new(
                    RejectReason::QuotaExceeded,
                    "No credits left",
                )),
            )
            .unwrap();
        assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(&resp.body[..], br#"{"error":"No credits left"}"#);
        let e = r.respond(TESTS, &VendorReply::Acknowledged).unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        let e = r.respond("nope", &VendorReply::Acknowledged).unwrap_err();
        assert!(matches!(e, Error::UnknownOperation { .. }));
    }

    #[test]
    fn rejections_never_look_like_a_bad_token() {
        for reason in [
            RejectReason::UnknownPackage,
            RejectReason::AlreadyAssessed,
            RejectReason::InvalidCandidate,
            RejectReason::QuotaExceeded,
            RejectReason::Other,
        ] {
            let s = rejection_status(reason);
            assert!(
                s.is_client_error() && s != 401 && s != 403,
                "{reason:?}: {s}"
            );
        }
        assert_eq!(rejection_status(RejectReason::AlreadyAssessed), 409);
    }

    #[test]
    fn error_rendering() {
        let r = recruitee();
        let resp = r.respond_error(
            Some(TESTS),
            &Error::unauthenticated("no Authorization header"),
        );
        assert_eq!(resp.status, StatusCode::UNAUTHORIZED);
        assert_eq!(resp.headers[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            &resp.body[..],
            br#"{"error":"authentication failed: no Authorization header"}"#
        );
        let cases = [
            (Error::missing("email"), 422),
            (
                Error::malformed(".", "expected value at line 1 column 1"),
                400,
            ),
            (Error::UnknownPackage { id: "9".into() }, 422),
            (
                Error::Vendor(VendorError::UnknownPackage { id: "9".into() }),
                422,
            ),
            (
                Error::Vendor(VendorError::Unavailable {
                    message: "db".into(),
                }),
                503,
            ),
            (Error::config("x"), 500),
        ];
        for (e, status) in cases {
            let resp = r.respond_error(Some(SEND_CANDIDATE), &e);
            assert_eq!(resp.status.as_u16(), status, "{e}");
            assert!(resp.body_json().unwrap()["error"].is_string(), "{e}");
            assert!(!resp.headers.contains_key(WWW_AUTHENTICATE));
        }
        let resp = r.respond_error(
            None,
            &Error::Vendor(VendorError::Internal {
                message: "db password".into(),
            }),
        );
        assert_eq!(resp.body_json(), Some(json!({"error": "internal error"})));
    }

    #[test]
    fn publishing_packages_is_unsupported() {
        let e = recruitee()
            .prepare(&OutboundCall::PublishPackages {
                tenant: TenantId::new("acme"),
                packages: Vec::new(),
            })
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }));
    }
}
