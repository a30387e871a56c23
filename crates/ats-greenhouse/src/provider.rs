//! [`Greenhouse`]: the [`AtsProvider`] implementation.

use std::sync::Arc;

use async_trait::async_trait;
use ats_core::auth::{KeyDirectory, SecretStore};
use ats_core::client::HttpClient;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentResult, AtsProvider, Capabilities, Delivery, Error, InboundAuth, InboundEvent,
    InboundRequest, InboundResponse, Operation, OrderDelivery, OrderHandle, OutboundCall,
    PackageDelivery, PreparedRequest, RejectReason, ResultDelivery, TenantId, UrlPolicy,
    VendorReply,
};
use http::{Method, StatusCode};

use crate::translate::{self, PROVIDER};
use crate::wire::{ErrorBody, ResponseErrorAck, SendTestResponse};
use crate::{auth, client};

/// `list_tests`: Greenhouse asks which tests the organization can send.
pub const LIST_TESTS: &str = "list_tests";
/// `send_test`: Greenhouse sends a test to a candidate.
pub const SEND_TEST: &str = "send_test";
/// `test_status`: Greenhouse asks where a sent test stands.
pub const TEST_STATUS: &str = "test_status";
/// `response_error`: Greenhouse reports a malformed answer of the vendor's.
pub const RESPONSE_ERROR: &str = "response_error";

const OPERATIONS: &[Operation] = &[
    Operation::inbound(LIST_TESTS, "GET: list the tests the organization can send"),
    Operation::inbound(SEND_TEST, "POST: send a test to a candidate"),
    Operation::inbound(
        TEST_STATUS,
        "GET ?partner_interview_id=: status and result of a sent test",
    ),
    Operation::inbound(
        RESPONSE_ERROR,
        "POST: Greenhouse reports a malformed vendor response",
    ),
    Operation::outbound(
        client::PATCH_COMPLETED_TEST,
        "PATCH <url from send_test>: tell Greenhouse the test changed; it then calls test_status",
    ),
];

/// The Greenhouse Assessment Partner API, vendor side.
///
/// Routes by the last path segment, so the four endpoints can live under any
/// prefix (`/greenhouse/acme/send_test`). `response_error` is also accepted
/// as `response_errors` and `request_errors` (the name in Greenhouse's
/// example URL).
#[derive(Debug, Clone)]
pub struct Greenhouse {
    pub(crate) keys: Arc<dyn KeyDirectory>,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) callback_policy: UrlPolicy,
    pub(crate) http: HttpClient,
}

impl Greenhouse {
    /// A builder.
    pub fn builder() -> crate::GreenhouseBuilder {
        crate::GreenhouseBuilder::new()
    }
}

fn error_response(status: StatusCode, message: String) -> InboundResponse {
    InboundResponse::json(status, &ErrorBody { error: message })
        .unwrap_or_else(|_| InboundResponse::empty(status))
}

#[async_trait]
impl AtsProvider for Greenhouse {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::BasicApiKey,
            packages: PackageDelivery::Served,
            orders: OrderDelivery::Call,
            reject_with_message: false,
            cancellation: false,
            status_queries: true,
            results: ResultDelivery::Notify,
            open_orders: false,
            oauth: false,
        }
    }

    fn operations(&self) -> &'static [Operation] {
        OPERATIONS
    }

    fn route(&self, request: &InboundRequest) -> Result<&'static str, Error> {
        let op = match request.last_path_segment() {
            "list_tests" => LIST_TESTS,
            "send_test" => SEND_TEST,
            "test_status" => TEST_STATUS,
            "response_error" | "response_errors" | "request_errors" => RESPONSE_ERROR,
            _ => {
                return Err(unknown_operation(
                    PROVIDER,
                    format!("{} {}", request.method, request.path),
                ));
            }
        };
        let expected = if matches!(op, LIST_TESTS | TEST_STATUS) {
            Method::GET
        } else {
            Method::POST
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
            SEND_TEST => Ok(InboundEvent::OrderReceived(Box::new(
                translate::send_test_to_order(&request.body, request.received_at)?,
            ))),
            TEST_STATUS => Ok(InboundEvent::StatusRequested(translate::test_status_query(
                request.query_param("partner_interview_id").as_deref(),
            )?)),
            RESPONSE_ERROR => Ok(InboundEvent::ErrorReported(
                translate::response_error_report(&request.body)?,
            )),
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
            (LIST_TESTS, VendorReply::Packages { packages }) => {
                InboundResponse::json(StatusCode::OK, &translate::tests_from_packages(packages))
            }
            (SEND_TEST, VendorReply::Accepted(a)) => InboundResponse::json(
                StatusCode::OK,
                &SendTestResponse {
                    partner_interview_id: a.vendor_assessment_id.clone(),
                },
            ),
            (SEND_TEST, VendorReply::Rejected(r)) => {
                let status = match r.reason {
                    RejectReason::UnknownPackage => StatusCode::NOT_FOUND,
                    RejectReason::AlreadyAssessed => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                Ok(error_response(status, r.message.clone()))
            }
            (TEST_STATUS, VendorReply::Status(result)) => {
                InboundResponse::json(StatusCode::OK, &translate::status_response(result)?)
            }
            (RESPONSE_ERROR, VendorReply::Acknowledged) => {
                InboundResponse::json(StatusCode::OK, &ResponseErrorAck { status: 200 })
            }
            (op, reply) if find_operation(OPERATIONS, op).is_some() => {
                Err(reply_mismatch(op, reply))
            }
            (op, _) => Err(unknown_operation(PROVIDER, op)),
        }
    }

    fn respond_error(&self, _operation: Option<&str>, error: &Error) -> InboundResponse {
        let status = StatusCode::from_u16(error.inbound_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        error_response(status, error.public_message())
    }

    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        ats_core::provider::check_call(self.name(), call)?;
        match call {
            OutboundCall::SubmitResult { order, .. } => Ok(vec![client::patch_completed_test(
                order,
                &self.callback_policy,
            )?]),
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (Greenhouse calls list_tests)",
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
        let request = client::patch_completed_test(order, &self.callback_policy)?;
        client::send(
            &self.http,
            self.secrets.as_ref(),
            order.tenant.as_ref(),
            &request,
        )
        .await
    }
}
