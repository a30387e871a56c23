//! [`Ashby`]: the [`AtsProvider`] implementation.
//!
//! ## Answers
//!
//! | call | vendor reply | HTTP | body |
//! |---|---|---|---|
//! | `assessment.list` | packages | 200 | `{"success": true, "results": [{assessment_type_id, name, description}]}` |
//! | `assessment.start` | accepted | 200 | `{"success": true, "results": {"assessment_id": …}}` |
//! | `assessment.start` | rejected, `already_assessed` | 409 | `{"message": …}` |
//! | `assessment.start` | rejected, any other reason | 422 | `{"message": …}`, shown to the Ashby user |
//! | `assessment.cancel` | acknowledged | 200 | `{"success": true, "results": {"assessment_id": …}}`, the id of the cancelled assessment |
//! | `assessment.customField.list` | acknowledged | 200 | `{"success": true, "fields": [the configured fields]}` |
//!
//! Errors: `assessment.start` errors are `{"message": …}` (the only error
//! body Ashby documents for it, and shows); the other calls answer with
//! Ashby's own error envelope `{"success": false, "errors": [code],
//! "errorInfo": {"code", "message"}}`. The HTTP status is the error's
//! ([`Error::inbound_status`]): 401 for credentials, 400 for malformed
//! bodies, 404 for unknown calls and orders, 422 for unknown packages.
//!
//! Ashby's cancel schema reuses the start answer, whose `results` holds the
//! `assessment_id`. [`respond_to`](AtsProvider::respond_to), which
//! [`ats_core::serve::handle`] and the conformance suite call, echoes the id
//! of the received `assessment.cancel`. [`respond`](AtsProvider::respond)
//! alone (what `ats render` runs, with no request at hand) has no id to
//! echo and renders the envelope's required `success` only:
//! `{"success": true}`.

use std::sync::Arc;

use async_trait::async_trait;
use ats_core::auth::{KeyDirectory, SecretStore};
use ats_core::client::HttpClient;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentResult, AtsProvider, Capabilities, Clock, Delivery, Error, Inbound, InboundAuth,
    InboundEvent, InboundRequest, InboundResponse, Operation, OrderDelivery, OrderHandle,
    OutboundCall, PackageDelivery, PreparedRequest, RejectReason, ResultDelivery, TenantId,
    VendorError, VendorReply,
};
use http::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::translate::{self, CompletedAssessment, PROVIDER};
use crate::wire::{
    Acknowledgement, CustomField, CustomFieldList, ErrorEnvelope, ErrorInfo, MessageBody,
    StartResults, Success,
};
use crate::{auth, client};

/// `assessment.list`: Ashby asks which assessments the customer can order.
pub const ASSESSMENT_LIST: &str = "assessment.list";
/// `assessment.start`: Ashby starts an assessment for a candidate.
pub const ASSESSMENT_START: &str = "assessment.start";
/// `assessment.cancel`: Ashby cancels a started assessment.
pub const ASSESSMENT_CANCEL: &str = "assessment.cancel";
/// `assessment.customField.list`: Ashby asks which custom fields to collect.
pub const CUSTOM_FIELD_LIST: &str = "assessment.customField.list";

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        ASSESSMENT_LIST,
        "POST: list the assessment types the customer can order",
    ),
    Operation::inbound(
        ASSESSMENT_START,
        "POST: start an assessment; answered with the vendor's assessment_id, 409 or 422",
    ),
    Operation::inbound(
        ASSESSMENT_CANCEL,
        "POST {assessment_id}: cancel a started assessment",
    ),
    Operation::inbound(
        CUSTOM_FIELD_LIST,
        "POST: the custom fields Ashby collects for assessment.start (optional)",
    ),
    Operation::outbound(
        client::ASSESSMENT_UPDATE,
        "POST https://api.ashbyhq.com/assessment.update: status, result, cancellation",
    ),
];

/// The Ashby Assessments Partner API, vendor side.
///
/// Routes by the last path segment, so the partner endpoints can live under
/// any prefix (`/ashby/acme/assessment.start`); every call is a `POST`.
///
/// Besides the trait, [`Ashby::add_completed_to_candidate`] sends
/// `assessment.addCompletedToCandidate` for results that did not start from
/// Ashby.
#[derive(Debug, Clone)]
pub struct Ashby {
    pub(crate) keys: Arc<dyn KeyDirectory>,
    pub(crate) api_keys: Arc<dyn SecretStore>,
    pub(crate) base_url: Url,
    pub(crate) custom_fields: Vec<CustomField>,
    pub(crate) partner_id: Option<String>,
    pub(crate) http: HttpClient,
    pub(crate) clock: Clock,
}

impl Ashby {
    /// A builder.
    pub fn builder() -> crate::AshbyBuilder {
        crate::AshbyBuilder::new()
    }

    /// The custom fields `assessment.customField.list` answers with.
    pub fn custom_fields(&self) -> &[CustomField] {
        &self.custom_fields
    }

    /// Builds `assessment.addCompletedToCandidate` (pure, without
    /// credentials), with the configured partner id and the clock's time as
    /// the fallback timestamp.
    pub fn prepare_add_completed(
        &self,
        completed: &CompletedAssessment,
    ) -> Result<PreparedRequest, Error> {
        let partner_id = self.partner_id.as_deref().ok_or_else(|| {
            Error::config(
                "assessment.addCompletedToCandidate needs the partner id (builder `partner_id`)",
            )
        })?;
        let body = translate::add_completed_body(partner_id, completed, self.clock.now())?;
        client::prepare_add_completed(&self.base_url, &body)
    }

    /// Adds a completed assessment that did not start with `assessment.start`
    /// to an Ashby candidate, with the tenant's Ashby API key. Not retried
    /// after an ambiguous failure (it is not idempotent).
    pub async fn add_completed_to_candidate(
        &self,
        tenant: &TenantId,
        completed: &CompletedAssessment,
    ) -> Result<Delivery, Error> {
        let request = self.prepare_add_completed(completed)?;
        client::send(&self.http, self.api_keys.as_ref(), Some(tenant), &request).await
    }
}

/// The code written in Ashby's error envelope for an error.
pub fn error_code(error: &Error) -> &'static str {
    match error {
        Error::Unauthenticated { .. } | Error::BadSignature { .. } => "unauthenticated",
        Error::Malformed { .. } => "invalid_input",
        Error::UnknownOperation { .. } => "unknown_operation",
        Error::UnknownPackage { .. } | Error::Vendor(VendorError::UnknownPackage { .. }) => {
            "unknown_assessment_type"
        }
        Error::UnknownOrder { .. } | Error::Vendor(VendorError::UnknownOrder { .. }) => {
            "assessment_not_found"
        }
        e if e.is_retryable() => "temporarily_unavailable",
        _ => "internal_error",
    }
}

fn message_response(status: StatusCode, message: String) -> InboundResponse {
    InboundResponse::json(status, &MessageBody { message })
        .unwrap_or_else(|_| InboundResponse::empty(status))
}

fn envelope_response(status: StatusCode, error: &Error) -> InboundResponse {
    let code = error_code(error);
    let body = ErrorEnvelope {
        success: false,
        errors: Some(vec![Value::String(code.to_owned())]),
        error_info: Some(ErrorInfo {
            code: Some(code.to_owned()),
            message: Some(error.public_message()),
            request_id: None,
            meta: None,
        }),
    };
    InboundResponse::json(status, &body).unwrap_or_else(|_| InboundResponse::empty(status))
}

/// The `assessment.cancel` answer for the cancelled assessment `id`: the
/// start answer's shape, `{"success": true, "results": {"assessment_id": id}}`.
pub fn cancel_answer(assessment_id: &str) -> Result<InboundResponse, Error> {
    InboundResponse::json(
        StatusCode::OK,
        &Success {
            success: true,
            results: StartResults {
                assessment_id: assessment_id.to_owned(),
                update_request: None,
            },
        },
    )
}

fn default_rejection(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::UnknownPackage => "This assessment is not available for your account.",
        RejectReason::AlreadyAssessed => {
            "The candidate is already taking this assessment for this application."
        }
        RejectReason::InvalidCandidate => {
            "The candidate's details are not sufficient to send this assessment."
        }
        RejectReason::QuotaExceeded => "Your plan does not allow more assessments right now.",
        RejectReason::Other => "The assessment could not be started.",
    }
}

#[async_trait]
impl AtsProvider for Ashby {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::BasicApiKey,
            packages: PackageDelivery::Served,
            orders: OrderDelivery::Call,
            reject_with_message: true,
            cancellation: true,
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
        let op = match request.last_path_segment() {
            ASSESSMENT_LIST => ASSESSMENT_LIST,
            ASSESSMENT_START => ASSESSMENT_START,
            ASSESSMENT_CANCEL => ASSESSMENT_CANCEL,
            CUSTOM_FIELD_LIST => CUSTOM_FIELD_LIST,
            _ => {
                return Err(unknown_operation(
                    PROVIDER,
                    format!("{} {}", request.method, request.path),
                ));
            }
        };
        if request.method != Method::POST {
            return Err(unknown_operation(
                PROVIDER,
                format!("{} {} (expected POST)", request.method, request.path),
            ));
        }
        Ok(op)
    }

    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error> {
        match operation {
            ASSESSMENT_LIST => {
                translate::empty_request(&request.body)?;
                Ok(InboundEvent::PackagesRequested(
                    translate::packages_request(),
                ))
            }
            ASSESSMENT_START => Ok(InboundEvent::OrderReceived(Box::new(
                translate::start_to_order(&request.body, request.received_at)?,
            ))),
            ASSESSMENT_CANCEL => Ok(InboundEvent::OrderCancelled(
                translate::cancel_to_cancellation(&request.body, request.received_at)?,
            )),
            CUSTOM_FIELD_LIST => {
                translate::empty_request(&request.body)?;
                Ok(InboundEvent::Ignored(translate::custom_fields_requested(
                    CUSTOM_FIELD_LIST,
                )))
            }
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
            (ASSESSMENT_LIST, VendorReply::Packages { packages }) => InboundResponse::json(
                StatusCode::OK,
                &Success {
                    success: true,
                    results: translate::assessment_types(packages),
                },
            ),
            (ASSESSMENT_START, VendorReply::Accepted(a)) => InboundResponse::json(
                StatusCode::OK,
                &Success {
                    success: true,
                    results: StartResults {
                        assessment_id: a.vendor_assessment_id.clone(),
                        update_request: translate::start_update(a, self.clock.now())?,
                    },
                },
            ),
            (ASSESSMENT_START, VendorReply::Rejected(r)) => {
                let status = match r.reason {
                    RejectReason::AlreadyAssessed => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let message = if r.message.trim().is_empty() {
                    default_rejection(r.reason).to_owned()
                } else {
                    r.message.clone()
                };
                Ok(message_response(status, message))
            }
            (ASSESSMENT_CANCEL, VendorReply::Acknowledged) => {
                InboundResponse::json(StatusCode::OK, &Acknowledgement { success: true })
            }
            (CUSTOM_FIELD_LIST, VendorReply::Acknowledged) => InboundResponse::json(
                StatusCode::OK,
                &CustomFieldList {
                    success: true,
                    fields: self.custom_fields.clone(),
                },
            ),
            (op, reply) if find_operation(OPERATIONS, op).is_some() => {
                Err(reply_mismatch(op, reply))
            }
            (op, _) => Err(unknown_operation(PROVIDER, op)),
        }
    }

    /// As [`respond`](Self::respond), except that an acknowledged
    /// `assessment.cancel` echoes the cancelled assessment's id
    /// ([`cancel_answer`]), as Ashby's schema asks.
    fn respond_to(&self, inbound: &Inbound, reply: &VendorReply) -> Result<InboundResponse, Error> {
        match (inbound.operation.as_str(), &inbound.event, reply) {
            (ASSESSMENT_CANCEL, InboundEvent::OrderCancelled(c), VendorReply::Acknowledged) => {
                match c.order.vendor_assessment_id.as_deref() {
                    Some(id) if !id.trim().is_empty() => cancel_answer(id),
                    _ => self.respond(&inbound.operation, reply),
                }
            }
            _ => self.respond(&inbound.operation, reply),
        }
    }

    fn respond_error(&self, operation: Option<&str>, error: &Error) -> InboundResponse {
        let status = StatusCode::from_u16(error.inbound_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if operation == Some(ASSESSMENT_START) {
            message_response(status, error.public_message())
        } else {
            envelope_response(status, error)
        }
    }

    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        ats_core::provider::check_call(self.name(), call)?;
        match call {
            OutboundCall::SubmitResult { order, result } => {
                let body = translate::update_request(order, result, self.clock.now())?;
                Ok(vec![client::prepare_update(&self.base_url, &body)?])
            }
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (Ashby calls assessment.list)",
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
        let body = translate::update_request(order, result, self.clock.now())?;
        let request = client::prepare_update(&self.base_url, &body)?;
        client::send(
            &self.http,
            self.api_keys.as_ref(),
            order.tenant.as_ref(),
            &request,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Acceptance, Package, Rejection};
    use serde_json::json;

    fn ashby() -> Ashby {
        Ashby::builder().build().unwrap()
    }

    fn req(method: Method, path: &str) -> InboundRequest {
        InboundRequest::new(method, path)
    }

    #[test]
    fn routes_by_last_segment_and_post_only() {
        let a = ashby();
        assert_eq!(
            a.route(&req(Method::POST, "/x/y/assessment.start"))
                .unwrap(),
            ASSESSMENT_START
        );
        assert_eq!(
            a.route(&req(Method::POST, "/assessment.customField.list/"))
                .unwrap(),
            CUSTOM_FIELD_LIST
        );
        assert_eq!(
            a.route(&req(Method::POST, "/ashby/assessment.list"))
                .unwrap(),
            ASSESSMENT_LIST
        );
        assert!(a.route(&req(Method::GET, "/assessment.list")).is_err());
        assert!(a.route(&req(Method::POST, "/assessment.update")).is_err());
    }

    #[test]
    fn renders_each_answer() {
        let a = Ashby::builder()
            .custom_fields(vec![CustomField::new(
                "team",
                "Team",
                crate::wire::CustomFieldType::String,
            )])
            .build()
            .unwrap();
        let body = |r: InboundResponse| (r.status.as_u16(), r.body_json().unwrap());
        let r = a
            .respond(
                ASSESSMENT_LIST,
                &VendorReply::Packages {
                    packages: vec![Package::new("p1", "Rust")],
                },
            )
            .unwrap();
        assert_eq!(
            body(r),
            (
                200,
                json!({"success": true, "results": [{"assessment_type_id": "p1", "name": "Rust", "description": ""}]})
            )
        );
        let r = a
            .respond(
                ASSESSMENT_START,
                &VendorReply::Accepted(Acceptance::new("asm_1")),
            )
            .unwrap();
        assert_eq!(
            body(r),
            (
                200,
                json!({"success": true, "results": {"assessment_id": "asm_1"}})
            )
        );
        let r = a
            .respond(
                ASSESSMENT_START,
                &VendorReply::Rejected(Rejection::new(RejectReason::AlreadyAssessed, "dup")),
            )
            .unwrap();
        assert_eq!(body(r), (409, json!({"message": "dup"})));
        let r = a
            .respond(
                ASSESSMENT_START,
                &VendorReply::Rejected(Rejection::new(RejectReason::QuotaExceeded, " ")),
            )
            .unwrap();
        assert_eq!(
            body(r),
            (
                422,
                json!({"message": "Your plan does not allow more assessments right now."})
            )
        );
        let r = a
            .respond(ASSESSMENT_CANCEL, &VendorReply::Acknowledged)
            .unwrap();
        assert_eq!(body(r), (200, json!({"success": true})));
        let r = a
            .respond(CUSTOM_FIELD_LIST, &VendorReply::Acknowledged)
            .unwrap();
        assert_eq!(
            body(r),
            (
                200,
                json!({"success": true, "fields": [{"id": "team", "name": "Team", "type": "String"}]})
            )
        );
        let r = ashby()
            .respond(CUSTOM_FIELD_LIST, &VendorReply::Acknowledged)
            .unwrap();
        assert_eq!(body(r), (200, json!({"success": true, "fields": []})));
        assert!(matches!(
            a.respond(ASSESSMENT_START, &VendorReply::Acknowledged),
            Err(Error::Config { .. })
        ));
        assert!(matches!(
            a.respond("assessment.update", &VendorReply::Acknowledged),
            Err(Error::Config { .. })
        ));
        assert!(matches!(
            a.respond("assessment.info", &VendorReply::Acknowledged),
            Err(Error::UnknownOperation { .. })
        ));
    }

    fn received(a: &Ashby, path: &str, body: &str) -> Inbound {
        let request = req(Method::POST, path).with_body(body.to_owned());
        let operation = a.route(&request).unwrap();
        Inbound {
            operation: operation.to_owned(),
            event: a.translate(operation, &request).unwrap(),
        }
    }

    #[test]
    fn the_cancel_answer_echoes_the_cancelled_assessment_id() {
        let a = ashby();
        let body = |r: InboundResponse| (r.status.as_u16(), r.body_json().unwrap());
        let cancel = received(
            &a,
            "/ashby/assessment.cancel",
            r#"{"assessment_id":"c8b7a6d5-4e3f"}"#,
        );
        let r = a.respond_to(&cancel, &VendorReply::Acknowledged).unwrap();
        assert_eq!(
            body(r),
            (
                200,
                json!({"success": true, "results": {"assessment_id": "c8b7a6d5-4e3f"}})
            )
        );
        // without the request, only `success`
        let r = a
            .respond(ASSESSMENT_CANCEL, &VendorReply::Acknowledged)
            .unwrap();
        assert_eq!(body(r), (200, json!({"success": true})));
        // a cancellation that names no vendor id falls back to the same
        let mut no_id = cancel.clone();
        if let InboundEvent::OrderCancelled(c) = &mut no_id.event {
            c.order = ats_core::OrderRef::provider("p-1");
        }
        let r = a.respond_to(&no_id, &VendorReply::Acknowledged).unwrap();
        assert_eq!(body(r), (200, json!({"success": true})));
        // a reply that does not answer a cancel is still refused
        assert!(matches!(
            a.respond_to(&cancel, &VendorReply::Accepted(Acceptance::new("x"))),
            Err(Error::Config { .. })
        ));
        // other calls render as `respond` does
        let list = received(&a, "/ashby/assessment.list", "{}");
        let reply = VendorReply::Packages {
            packages: vec![Package::new("p1", "Rust")],
        };
        assert_eq!(
            a.respond_to(&list, &reply).unwrap().body,
            a.respond(ASSESSMENT_LIST, &reply).unwrap().body
        );
    }

    #[test]
    fn errors_use_the_message_body_for_start_and_the_envelope_otherwise() {
        let a = ashby();
        let e = Error::Vendor(VendorError::UnknownOrder { id: "asm_1".into() });
        let r = a.respond_error(Some(ASSESSMENT_CANCEL), &e);
        assert_eq!(r.status, 404);
        assert_eq!(
            r.body_json().unwrap(),
            json!({"success": false, "errors": ["assessment_not_found"],
                   "errorInfo": {"code": "assessment_not_found", "message": "unknown order `asm_1`"}})
        );
        let e = Error::Vendor(VendorError::UnknownPackage { id: "p9".into() });
        let r = a.respond_error(Some(ASSESSMENT_START), &e);
        assert_eq!(r.status, 422);
        assert_eq!(
            r.body_json().unwrap(),
            json!({"message": "unknown package `p9`"})
        );
        let e = Error::Vendor(VendorError::Internal {
            message: "db down".into(),
        });
        let r = a.respond_error(Some(ASSESSMENT_START), &e);
        assert_eq!(
            (r.status.as_u16(), r.body_json().unwrap()),
            (500, json!({"message": "internal error"}))
        );
        assert_eq!(error_code(&Error::missing("x")), "invalid_input");
        assert_eq!(
            error_code(&Error::Vendor(VendorError::Unavailable {
                message: "m".into()
            })),
            "temporarily_unavailable"
        );
    }

    #[test]
    fn publishing_packages_is_unsupported() {
        let call = OutboundCall::PublishPackages {
            tenant: TenantId::new("acme"),
            packages: vec![],
        };
        assert!(matches!(
            ashby().prepare(&call),
            Err(Error::Unsupported { .. })
        ));
    }

    #[test]
    fn add_completed_needs_a_partner_id() {
        let c = CompletedAssessment {
            candidate_id: "c".into(),
            assessment_type_id: "t".into(),
            assessment_id: "a".into(),
            assessment_name: "n".into(),
            result: AssessmentResult::with_status(ats_core::AssessmentStatus::Completed),
        };
        let e = ashby().prepare_add_completed(&c).unwrap_err();
        assert!(e.to_string().contains("partner id"), "{e}");
    }
}
