//! [`Workable`]: the [`AtsProvider`] implementation.

use std::sync::Arc;

use async_trait::async_trait;
use ats_core::auth::{KeyDirectory, SecretStore};
use ats_core::client::HttpClient;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentResult, AssessmentStatus, AtsProvider, AttachmentSource, Capabilities, Delivery,
    Error, InboundAuth, InboundEvent, InboundRequest, InboundResponse, Operation, OrderDelivery,
    OrderHandle, OutboundCall, PackageDelivery, PreparedRequest, RejectReason, ResultDelivery,
    TenantId, UrlPolicy, VendorError, VendorReply,
};
use http::header::{HeaderValue, WWW_AUTHENTICATE};
use http::{Method, StatusCode};

use crate::translate::{self, PROVIDER, TestIdFormat};
use crate::wire::{CreateAssessmentResponse, ErrorBody, SharedLinkResponse};
use crate::{auth, client};

/// `GET {BASE_URL}/tests`: Workable lists the tests a recruiter can pick.
pub const LIST_TESTS: &str = "list_tests";
/// `POST {BASE_URL}/assessments`: Workable asks for a candidate to be invited.
pub const CREATE_ASSESSMENT: &str = "create_assessment";
/// `GET {BASE_URL}/assessments/{id}/shared-link`: Workable asks for the
/// candidate's link to an assessment.
pub const SHARED_LINK: &str = "shared_link";
/// `PUT {callback_url}`: the vendor reports a status change or the results.
pub const ASSESSMENT_CALLBACK: &str = client::ASSESSMENT_CALLBACK;

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        LIST_TESTS,
        "GET /tests: list the tests a recruiter can pick",
    ),
    Operation::inbound(
        CREATE_ASSESSMENT,
        "POST /assessments: invite a candidate; answered 201 with the vendor's assessment_id",
    ),
    Operation::inbound(
        SHARED_LINK,
        "GET /assessments/{id}/shared-link: the candidate's link to the assessment, answered {url}",
    ),
    Operation::outbound(
        ASSESSMENT_CALLBACK,
        "PUT <callback_url from the create request>: status (pending, completed, rejected, expired) and results",
    ),
];

/// Workable's "Assessment Providers" integration, vendor side.
///
/// Routes by the last path segment and the method (`GET …/tests`,
/// `POST …/assessments`), so the endpoints can live under any base URL the
/// customer enters in Workable (`/integrations/workable/tests`).
#[derive(Debug, Clone)]
pub struct Workable {
    pub(crate) keys: Arc<dyn KeyDirectory>,
    pub(crate) callback_tokens: Arc<dyn SecretStore>,
    pub(crate) callback_policy: UrlPolicy,
    pub(crate) test_ids: TestIdFormat,
    pub(crate) http: HttpClient,
}

impl Workable {
    /// A builder.
    pub fn builder() -> crate::WorkableBuilder {
        crate::WorkableBuilder::new()
    }
}

/// The HTTP status of a refused order.
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
/// a missing required field, an unknown test or an untrusted callback URL,
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

fn error_response(status: StatusCode, message: String) -> InboundResponse {
    let body = ErrorBody {
        status: status.as_u16(),
        message,
    };
    InboundResponse::json(status, &body).unwrap_or_else(|_| InboundResponse::empty(status))
}

#[async_trait]
impl AtsProvider for Workable {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::BearerToken,
            packages: PackageDelivery::Served,
            orders: OrderDelivery::Call,
            // Workable does not say what it shows of a refusal.
            reject_with_message: false,
            cancellation: false,
            // only for the candidate's link (`shared_link`)
            status_queries: true,
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
            "tests" => (LIST_TESTS, Method::GET),
            "assessments" => (CREATE_ASSESSMENT, Method::POST),
            "shared-link" if translate::shared_link_id(&request.path).is_some() => {
                (SHARED_LINK, Method::GET)
            }
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
            LIST_TESTS => Ok(InboundEvent::PackagesRequested(
                translate::packages_request(),
            )),
            CREATE_ASSESSMENT => Ok(InboundEvent::OrderReceived(Box::new(
                translate::create_assessment_to_order(
                    &request.body,
                    request.received_at,
                    &self.callback_policy,
                )?,
            ))),
            SHARED_LINK => Ok(InboundEvent::StatusRequested(translate::shared_link_query(
                &request.path,
            )?)),
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
            (LIST_TESTS, VendorReply::Packages { packages }) => InboundResponse::json(
                StatusCode::OK,
                &translate::tests_response(packages, self.test_ids),
            ),
            (CREATE_ASSESSMENT, VendorReply::Accepted(a)) => {
                if a.vendor_assessment_id.trim().is_empty() {
                    return Err(Error::config(
                        "an accepted Workable assessment needs a non-empty vendor_assessment_id",
                    ));
                }
                InboundResponse::json(
                    StatusCode::CREATED,
                    &CreateAssessmentResponse {
                        assessment_id: a.vendor_assessment_id.clone(),
                    },
                )
            }
            (CREATE_ASSESSMENT, VendorReply::Rejected(r)) => Ok(error_response(
                rejection_status(r.reason),
                r.message.clone(),
            )),
            (SHARED_LINK, VendorReply::Status(result)) => match &result.candidate_url {
                Some(url) => InboundResponse::json(
                    StatusCode::OK,
                    &SharedLinkResponse {
                        url: url.to_string(),
                    },
                ),
                None => Ok(error_response(
                    StatusCode::NOT_FOUND,
                    "no candidate link is known for this assessment".to_owned(),
                )),
            },
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
            OutboundCall::SubmitResult { order, result } => Ok(vec![client::assessment_callback(
                order,
                result,
                &self.callback_policy,
            )?]),
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (Workable calls GET /tests)",
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
        let request = client::assessment_callback(order, result, &self.callback_policy)?;
        if result.status == AssessmentStatus::Completed {
            for a in &result.attachments {
                if matches!(a.source, AttachmentSource::Inline { .. }) {
                    tracing::warn!(
                        provider = PROVIDER,
                        attachment = %a.name,
                        "Workable takes attachments by URL only; inline attachment left out"
                    );
                }
            }
        }
        client::send(
            &self.http,
            self.callback_tokens.as_ref(),
            order.tenant.as_ref(),
            &request,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Acceptance, Package, Rejection, StatusQuery};
    use serde_json::json;

    fn workable() -> Workable {
        Workable::builder().build().unwrap()
    }

    #[test]
    fn routes_by_last_segment_and_method() {
        let w = workable();
        let r = |m: Method, p: &str| w.route(&InboundRequest::new(m, p));
        assert_eq!(r(Method::GET, "/tests").unwrap(), LIST_TESTS);
        assert_eq!(
            r(Method::GET, "/integrations/workable/acme/tests/").unwrap(),
            LIST_TESTS
        );
        assert_eq!(
            r(Method::POST, "/v1/assessments").unwrap(),
            CREATE_ASSESSMENT
        );
        assert_eq!(
            r(Method::GET, "/v1/assessments/asm_1/shared-link").unwrap(),
            SHARED_LINK
        );
        for (m, p) in [
            (Method::POST, "/tests"),
            (Method::GET, "/assessments"),
            (Method::POST, "/assessments/asm_1/shared-link"),
            (Method::GET, "/shared-link"),
            (Method::GET, "/tests/asm_1/shared-link"),
            (Method::PUT, "/assessments/asm_1"),
            (Method::GET, "/"),
        ] {
            let e = r(m.clone(), p).unwrap_err();
            assert!(matches!(e, Error::UnknownOperation { .. }), "{m} {p}: {e}");
            assert_eq!(error_status(&e), StatusCode::NOT_FOUND);
        }
    }

    #[test]
    fn shared_link_asks_the_vendor_for_the_candidate_link() {
        let w = workable();
        let req = InboundRequest::new(Method::GET, "/v1/assessments/asm%207Q2K9/shared-link");
        assert_eq!(
            w.translate(SHARED_LINK, &req).unwrap(),
            InboundEvent::StatusRequested(StatusQuery {
                provider: "workable".into(),
                tenant: None,
                order: ats_core::OrderRef::vendor("asm 7Q2K9"),
            })
        );
        for bad in [
            "/assessments//shared-link",
            "/assessments/%20/shared-link",
            "/assessments/a%0Ab/shared-link",
            "/assessments/%ZZ/shared-link",
        ] {
            let e = w
                .translate(SHARED_LINK, &InboundRequest::new(Method::GET, bad))
                .unwrap_err();
            assert!(matches!(e, Error::Malformed { .. }), "{bad}: {e}");
        }
        let mut status =
            ats_core::AssessmentResult::with_status(ats_core::AssessmentStatus::Invited);
        let none = w
            .respond(SHARED_LINK, &VendorReply::Status(Box::new(status.clone())))
            .unwrap();
        assert_eq!(none.status, StatusCode::NOT_FOUND);
        assert_eq!(
            String::from_utf8_lossy(&none.body),
            r#"{"status":404,"message":"no candidate link is known for this assessment"}"#
        );
        status.candidate_url =
            Some(url::Url::parse("https://assess.example.com/take/9f3k").unwrap());
        let link = w
            .respond(SHARED_LINK, &VendorReply::Status(Box::new(status)))
            .unwrap();
        assert_eq!(link.status, StatusCode::OK);
        assert_eq!(
            String::from_utf8_lossy(&link.body),
            r#"{"url":"https://assess.example.com/take/9f3k"}"#
        );
    }

    #[test]
    fn renders_tests_created_and_rejected() {
        let w = workable();
        let r = w
            .respond(
                LIST_TESTS,
                &VendorReply::Packages {
                    packages: vec![Package::new("2", "Accounting Test")],
                },
            )
            .unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            &r.body[..],
            br#"{"tests":[{"id":2,"name":"Accounting Test"}]}"#
        );
        let r = w
            .respond(
                CREATE_ASSESSMENT,
                &VendorReply::Accepted(Acceptance::new("asm_9")),
            )
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(&r.body[..], br#"{"assessment_id":"asm_9"}"#);
        assert_eq!(r.headers["content-type"], "application/json");
        let r = w
            .respond(
                CREATE_ASSESSMENT,
                &VendorReply::Rejected(Rejection::new(
                    RejectReason::AlreadyAssessed,
                    "Already invited.",
                )),
            )
            .unwrap();
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(
            r.body_json(),
            Some(json!({"status": 409, "message": "Already invited."}))
        );
        let e = w
            .respond(
                CREATE_ASSESSMENT,
                &VendorReply::Accepted(Acceptance::new(" ")),
            )
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        let e = w
            .respond(LIST_TESTS, &VendorReply::Acknowledged)
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        let e = w.respond("nope", &VendorReply::Acknowledged).unwrap_err();
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
        let w = workable();
        let r = w.respond_error(
            Some(LIST_TESTS),
            &Error::unauthenticated("no Authorization header"),
        );
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            r.body_json(),
            Some(
                json!({"status": 401, "message": "authentication failed: no Authorization header"})
            )
        );
        let cases = [
            (Error::missing("candidate.email"), 422),
            (
                Error::malformed(".", "expected value at line 1 column 1"),
                400,
            ),
            (Error::malformed("candidate", "missing field `email`"), 422),
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
            (
                Error::Vendor(VendorError::Internal {
                    message: "secret".into(),
                }),
                500,
            ),
            (Error::config("x"), 500),
        ];
        for (e, status) in cases {
            let r = w.respond_error(Some(CREATE_ASSESSMENT), &e);
            assert_eq!(r.status.as_u16(), status, "{e}");
            assert_eq!(r.body_json().unwrap()["status"], json!(status));
            assert!(!r.headers.contains_key(WWW_AUTHENTICATE));
        }
        let r = w.respond_error(
            None,
            &Error::Vendor(VendorError::Internal {
                message: "db password".into(),
            }),
        );
        assert_eq!(r.body_json().unwrap()["message"], json!("internal error"));
    }

    #[test]
    fn publishing_packages_is_unsupported() {
        let e = workable()
            .prepare(&OutboundCall::PublishPackages {
                tenant: TenantId::new("acme"),
                packages: Vec::new(),
            })
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }));
    }
}
