//! [`Knit`]: the [`AtsProvider`] implementation.
//!
//! ## Webhooks
//!
//! Every webhook is a `POST` to the URL the vendor registered for the ATS
//! category in Knit's dashboard; any path is accepted and the body's
//! `eventType` says what it is. `receive` verifies the signature before it
//! reads the body.
//!
//! | `eventType` | operation | event |
//! |---|---|---|
//! | `record.new` | `record.new` | `OrderReceived` (or `Ignored` for another `syncDataType`) |
//! | `record.deleted` | `record.deleted` | `OrderCancelled` by Knit's id (or `Ignored`) |
//! | anything else (`record.modified`, `sync.events.processed`…) | `other_event` | `Ignored` |
//!
//! Knit counts a delivery as consumed on HTTP 200 only and retries anything
//! else for days, so every vendor reply (accepted, rejected, acknowledged)
//! is answered `200 {"success": true}`. A rejection cannot reach the ATS
//! through the webhook answer: write it back as a `cancelled` result with
//! the message as `status_reason`. Errors are answered with their status
//! (401 bad or missing signature, 400 malformed, 503 when the vendor is
//! temporarily unavailable, so Knit retries) and
//! `{"success": false, "error": {"msg": …}}`.

use async_trait::async_trait;
use ats_core::client::HttpClient;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentResult, AtsProvider, BareTranslation, Capabilities, Clock, Delivery, Error, Inbound,
    InboundAuth, InboundEvent, InboundRequest, InboundResponse, Operation, OrderDelivery,
    OrderHandle, OutboundCall, PackageDelivery, PreparedRequest, ResultDelivery, Secret, TenantId,
    TransportInput, Unresolved, VendorReply,
};
use http::{Method, StatusCode};
use url::Url;

use crate::client::{AssessmentSecrets, PASSTHROUGH};
use crate::translate::{self, PROVIDER};
use crate::wire::{ErrorMessage, WebhookAck};
use crate::{auth, client};

/// `record.new`: an ATS started an assessment (Ashby `assessment.start`,
/// Greenhouse `send_test`).
pub const RECORD_NEW: &str = "record.new";
/// `record.deleted`: an assessment became inactive (Ashby `assessment.cancel`).
pub const RECORD_DELETED: &str = "record.deleted";
/// Any other `eventType`, acknowledged and ignored.
pub const OTHER_EVENT: &str = "other_event";

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        RECORD_NEW,
        "webhook: an assessment order (ats_assessments), originData preferred",
    ),
    Operation::inbound(
        RECORD_DELETED,
        "webhook: an assessment is cancelled, by Knit's assessment id",
    ),
    Operation::inbound(
        OTHER_EVENT,
        "webhook: any other eventType; signature checked, acknowledged, ignored",
    ),
    Operation::outbound(
        PASSTHROUGH,
        "POST /passthrough: the ATS's own result call (Ashby assessment.update)",
    ),
];

/// Knit's unified API, relaying partner-model ATSs, vendor side.
///
/// Besides the trait, [`Knit::create_assessment_secrets`] obtains the
/// credentials the ATS needs to call Knit for one integration.
#[derive(Debug, Clone)]
pub struct Knit {
    pub(crate) api_key: Option<Secret>,
    pub(crate) signing_keys: Vec<Secret>,
    pub(crate) base_url: Url,
    pub(crate) secrets_path: Option<String>,
    pub(crate) http: HttpClient,
    pub(crate) clock: Clock,
}

impl Knit {
    /// A builder.
    pub fn builder() -> crate::KnitBuilder {
        crate::KnitBuilder::new()
    }

    /// Builds Create ATS Assessment Secrets for an integration (pure,
    /// without credentials).
    pub fn prepare_assessment_secrets(&self, tenant: &TenantId) -> Result<PreparedRequest, Error> {
        let path = self.secrets_path.as_deref().ok_or_else(|| {
            Error::config(
                "the path of Knit's Create ATS Assessment Secrets call is not publicly \
                 documented; set it with KnitBuilder::assessment_secrets_path",
            )
        })?;
        client::prepare_assessment_secrets(&self.base_url, path, tenant)
    }

    /// Calls Create ATS Assessment Secrets for an integration: the returned
    /// `secret_key` and `base_url` are what the ATS (Ashby, Greenhouse) is
    /// given as the partner API key and base URL. Each call may mint a new
    /// key, so it is not retried after an ambiguous failure; store the
    /// answer.
    pub async fn create_assessment_secrets(
        &self,
        tenant: &TenantId,
    ) -> Result<AssessmentSecrets, Error> {
        let request = self.prepare_assessment_secrets(tenant)?;
        let reply = client::send(&self.http, self.api_key.as_ref(), &request).await?;
        client::read_assessment_secrets(&reply)
    }

    fn prepare_result(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<PreparedRequest, Error> {
        let body = translate::passthrough_update(order, result, self.clock.now())?;
        let tenant = order
            .tenant
            .as_ref()
            .ok_or_else(|| Error::config("the order has no tenant (Knit integration id)"))?;
        client::prepare_passthrough(&self.base_url, tenant, &body)
    }
}

fn ack(status: StatusCode, error: Option<String>) -> InboundResponse {
    let body = WebhookAck {
        success: error.is_none(),
        error: error.map(|msg| ErrorMessage { msg: Some(msg) }),
    };
    InboundResponse::json(status, &body).unwrap_or_else(|_| InboundResponse::empty(status))
}

#[async_trait]
impl AtsProvider for Knit {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn missing_configuration(&self) -> Vec<String> {
        if self.api_key.is_none() {
            vec!["api_key: Knit's webhooks cannot be verified and results cannot be sent".into()]
        } else {
            Vec::new()
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::HeaderSignature {
                header: auth::SIGNATURE_HEADER,
            },
            packages: PackageDelivery::Configured,
            orders: OrderDelivery::Webhook,
            reject_with_message: false,
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
        if request.method != Method::POST {
            return Err(unknown_operation(
                PROVIDER,
                format!("{} {} (webhooks are POST)", request.method, request.path),
            ));
        }
        match translate::event_type(&request.body)?.as_deref() {
            Some(RECORD_NEW) => Ok(RECORD_NEW),
            Some(RECORD_DELETED) => Ok(RECORD_DELETED),
            Some(other) if !other.trim().is_empty() => Ok(OTHER_EVENT),
            _ => Err(unknown_operation(
                PROVIDER,
                format!("{} {} without an eventType", request.method, request.path),
            )),
        }
    }

    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error> {
        match operation {
            RECORD_NEW => translate::record_new(
                &request.body,
                Some(auth::required_integration_id(request)?),
                request.received_at,
            ),
            RECORD_DELETED => translate::record_deleted(
                &request.body,
                Some(auth::required_integration_id(request)?),
                request.received_at,
            ),
            OTHER_EVENT => translate::other_event(&request.body, auth::integration_id(request)),
            other => Err(unknown_operation(PROVIDER, other)),
        }
    }

    /// As [`translate`](AtsProvider::translate), except that an order or a
    /// cancellation without the `X-Knit-Integration-Id` header (a body
    /// copied from Knit's documentation) is translated with no tenant, and
    /// the header is named in [`BareTranslation::unresolved`].
    fn translate_bare(
        &self,
        operation: &str,
        request: &InboundRequest,
    ) -> Result<BareTranslation, Error> {
        let tenant = auth::integration_id(request);
        let unresolved = match (operation, &tenant) {
            (RECORD_NEW | RECORD_DELETED, None) => vec![Unresolved {
                field: "tenant",
                from: TransportInput::Header(auth::INTEGRATION_HEADER_NAME),
            }],
            _ => Vec::new(),
        };
        let event = match operation {
            RECORD_NEW => translate::record_new(&request.body, tenant, request.received_at)?,
            RECORD_DELETED => {
                translate::record_deleted(&request.body, tenant, request.received_at)?
            }
            other => self.translate(other, request)?,
        };
        Ok(BareTranslation { event, unresolved })
    }

    async fn authenticate(
        &self,
        _operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error> {
        auth::authenticate(&self.signing_keys, request)
    }

    /// Verifies the signature first (it covers the raw body, whatever it
    /// holds), then routes and translates.
    async fn receive(&self, request: &InboundRequest) -> Result<Inbound, Error> {
        let tenant = auth::authenticate(&self.signing_keys, request)?;
        let operation = self.route(request)?;
        let mut event = self.translate(operation, request)?;
        if let Some(tenant) = tenant {
            event.set_tenant(tenant);
        }
        Ok(Inbound {
            operation: operation.to_owned(),
            event,
        })
    }

    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
        match (operation, reply) {
            (
                RECORD_NEW,
                VendorReply::Accepted(_) | VendorReply::Rejected(_) | VendorReply::Acknowledged,
            )
            | (RECORD_DELETED | OTHER_EVENT, VendorReply::Acknowledged) => {
                Ok(ack(StatusCode::OK, None))
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
        ack(status, Some(error.public_message()))
    }

    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        ats_core::provider::check_call(self.name(), call)?;
        match call {
            OutboundCall::SubmitResult { order, result } => {
                Ok(vec![self.prepare_result(order, result)?])
            }
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (Knit documents no package API for assessments)",
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
        let request = self.prepare_result(order, result)?;
        let reply = client::send(&self.http, self.api_key.as_ref(), &request).await?;
        client::check_ashby_passthrough(&reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Acceptance, RejectReason, Rejection};
    use serde_json::json;

    fn knit() -> Knit {
        Knit::builder().build().unwrap()
    }

    fn req(method: Method, body: &str) -> InboundRequest {
        InboundRequest::new(method, "/hooks/knit").with_body(body.to_owned())
    }

    #[test]
    fn a_bare_body_is_translated_without_its_integration_header() {
        let k = knit();
        let body = r#"{"eventType":"record.new","eventData":{"candidateAssessment":{"id":"ats_ass_1","assessmentPackage":{"id":"p"},"candidate":{"emails":[{"email":"a@example.com","type":"PRIMARY"}]}}}}"#;
        // translate refuses it: a real delivery always carries the header
        assert!(matches!(
            k.translate(RECORD_NEW, &req(Method::POST, body)),
            Err(Error::Malformed { ref path, .. }) if path == "headers.x-knit-integration-id"
        ));
        let bare = k
            .translate_bare(RECORD_NEW, &req(Method::POST, body))
            .unwrap();
        assert_eq!(bare.event.tenant(), None);
        assert_eq!(bare.event.kind(), "order_received");
        assert_eq!(
            bare.unresolved,
            [Unresolved {
                field: "tenant",
                from: TransportInput::Header("X-Knit-Integration-Id"),
            }]
        );
        // with the header nothing is unresolved
        let with = req(Method::POST, body)
            .with_header("x-knit-integration-id", "int_1")
            .unwrap();
        let bare = k.translate_bare(RECORD_NEW, &with).unwrap();
        assert_eq!(bare.event.tenant().map(TenantId::as_str), Some("int_1"));
        assert!(bare.unresolved.is_empty());
        // other problems still fail
        assert!(
            k.translate_bare(RECORD_NEW, &req(Method::POST, "{"))
                .is_err()
        );
    }

    #[test]
    fn routes_by_event_type() {
        let k = knit();
        assert_eq!(
            k.route(&req(Method::POST, r#"{"eventType":"record.new"}"#))
                .unwrap(),
            RECORD_NEW
        );
        assert_eq!(
            k.route(&req(Method::POST, r#"{"eventType":"record.deleted"}"#))
                .unwrap(),
            RECORD_DELETED
        );
        assert_eq!(
            k.route(&req(Method::POST, r#"{"eventType":"record.modified"}"#))
                .unwrap(),
            OTHER_EVENT
        );
        assert!(matches!(
            k.route(&req(Method::POST, r#"{"eventType":""}"#)),
            Err(Error::UnknownOperation { .. })
        ));
        assert!(matches!(
            k.route(&req(Method::POST, "{}")),
            Err(Error::UnknownOperation { .. })
        ));
        assert!(matches!(
            k.route(&req(Method::POST, "")),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            k.route(&req(Method::GET, r#"{"eventType":"record.new"}"#)),
            Err(Error::UnknownOperation { .. })
        ));
    }

    #[test]
    fn every_reply_is_a_200_and_errors_keep_their_status() {
        let k = knit();
        for (op, reply) in [
            (RECORD_NEW, VendorReply::Accepted(Acceptance::new("v1"))),
            (
                RECORD_NEW,
                VendorReply::Rejected(Rejection::new(RejectReason::QuotaExceeded, "no")),
            ),
            (RECORD_NEW, VendorReply::Acknowledged),
            (RECORD_DELETED, VendorReply::Acknowledged),
            (OTHER_EVENT, VendorReply::Acknowledged),
        ] {
            let r = k.respond(op, &reply).unwrap();
            assert_eq!(
                (r.status.as_u16(), r.body_json().unwrap()),
                (200, json!({"success": true}))
            );
        }
        assert!(matches!(
            k.respond(RECORD_DELETED, &VendorReply::Accepted(Acceptance::new("v"))),
            Err(Error::Config { .. })
        ));
        let r = k.respond_error(Some(RECORD_NEW), &Error::bad_signature("no signature"));
        assert_eq!(r.status, 401);
        assert_eq!(
            r.body_json().unwrap(),
            json!({"success": false, "error": {"msg": "webhook signature rejected: no signature"}})
        );
        let r = k.respond_error(
            Some(RECORD_NEW),
            &Error::Vendor(ats_core::VendorError::Unavailable {
                message: "db".into(),
            }),
        );
        assert_eq!(r.status, 503);
    }

    #[test]
    fn secrets_need_a_configured_path() {
        let e = knit()
            .prepare_assessment_secrets(&TenantId::new("int_1"))
            .unwrap_err();
        assert!(e.to_string().contains("assessment_secrets_path"), "{e}");
    }
}
