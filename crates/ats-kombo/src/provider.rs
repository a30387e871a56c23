//! [`Kombo`]: the [`AtsProvider`] implementation.

use std::collections::HashSet;

use async_trait::async_trait;
use ats_core::client::HttpClient;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentOrder, AssessmentResult, AtsProvider, Capabilities, Clock, Delivery, Error, Inbound,
    InboundAuth, InboundEvent, InboundRequest, InboundResponse, Operation, OrderDelivery,
    OrderHandle, OutboundCall, Package, PackageDelivery, PreparedRequest, ResultDelivery, Secret,
    TenantId, VendorReply,
};
use chrono::{DateTime, Utc};
use http::{Method, StatusCode};
use url::Url;

use crate::translate::{self, PROVIDER};
use crate::wire::{ErrorBody, InlineAssessmentResponse};
use crate::{auth, client};

/// Webhook `assessment:order-received`: a recruiter ordered an assessment
/// or background check in the ATS.
pub const ORDER_RECEIVED: &str = translate::ORDER_RECEIVED;
/// Webhook `inline-assessment:order-received`: a candidate reached an
/// inline assessment step and must be sent to the vendor's platform.
pub const INLINE_ORDER_RECEIVED: &str = translate::INLINE_ORDER_RECEIVED;
/// Any other Kombo webhook (`integration-created`, `data-changed`, …):
/// verified and acknowledged, nothing to do.
pub const OTHER_EVENT: &str = "other-event";

/// What the adapter shows a recruiter when the vendor rejects an order with
/// an empty message (Kombo shows the message in the ATS).
pub const DEFAULT_REJECTION_MESSAGE: &str = "The assessment provider declined this order.";

/// Get orders pages fetched at most by one [`Kombo::open_orders_created_after`]
/// call (a guard against a cursor that never ends).
pub const MAX_PAGES: usize = 10_000;

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        ORDER_RECEIVED,
        "webhook: a new order; 2xx accepts it, 422 with a message rejects it in the ATS",
    ),
    Operation::inbound(
        INLINE_ORDER_RECEIVED,
        "webhook: a new inline order; answered with {\"assessment_url\"} for the candidate",
    ),
    Operation::inbound(
        OTHER_EVENT,
        "webhook of another type (integration-created, …): verified and acknowledged",
    ),
    Operation::outbound(
        client::SET_PACKAGES,
        "PUT /assessment/packages: replace the integration's whole package list",
    ),
    Operation::outbound(
        client::UPDATE_ORDER_RESULT,
        "PUT /assessment/orders/{id}/result: write the result back to the ATS",
    ),
];

/// Kombo's unified ATS assessment API, vendor side.
///
/// Webhooks are told apart by the body's `type`, so they may be delivered
/// to any path. Every webhook's `X-Kombo-Signature` is checked before its
/// body is parsed. The tenant is Kombo's integration id (`data.integration_id`
/// inbound, `X-Integration-Id` outbound).
///
/// Besides the trait: [`Kombo::open_orders_created_after`] and
/// [`Kombo::published_packages`].
#[derive(Debug, Clone)]
pub struct Kombo {
    pub(crate) api_key: Option<Secret>,
    pub(crate) webhook_secrets: Vec<Secret>,
    pub(crate) base_url: Url,
    pub(crate) page_size: u16,
    pub(crate) http: HttpClient,
    pub(crate) clock: Clock,
}

impl Kombo {
    /// A builder.
    pub fn builder() -> crate::KomboBuilder {
        crate::KomboBuilder::new()
    }

    /// The API base URL this adapter calls.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The tenant's open orders, optionally only those created at or after
    /// `created_after`: `GET /assessment/orders?statuses=OPEN`, every page
    /// (following `data.next` until it is null or blank). Orders are
    /// translated like the webhook's, with the tenant given here (Get
    /// orders carries no integration id) and the fetch time as
    /// `received_at`; an order listed twice across pages is returned once.
    pub async fn open_orders_created_after(
        &self,
        tenant: &TenantId,
        created_after: Option<DateTime<Utc>>,
    ) -> Result<Vec<AssessmentOrder>, Error> {
        let mut orders: Vec<AssessmentOrder> = Vec::new();
        let mut ids = HashSet::new();
        let mut cursors = HashSet::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let request = client::get_orders(
                &self.base_url,
                tenant,
                self.page_size,
                created_after,
                cursor.as_deref(),
            )?;
            let reply = client::send(&self.http, self.api_key.as_ref(), &request).await?;
            let (page, next) = translate::open_orders_page(&reply.body, tenant, self.clock.now())?;
            for order in page {
                if ids.insert(order.provider_order_id.clone()) {
                    orders.push(order);
                }
            }
            match next {
                None => return Ok(orders),
                Some(next) => {
                    if !cursors.insert(next.clone()) {
                        return Err(Error::malformed(
                            "data.next",
                            "Kombo returned a cursor it had already returned",
                        ));
                    }
                    cursor = Some(next);
                }
            }
        }
        Err(Error::malformed(
            "data.next",
            format!("still more open orders after {MAX_PAGES} pages"),
        ))
    }

    /// The packages Kombo has for the tenant (`GET /assessment/packages`,
    /// which Kombo offers for debugging). `extras` keeps Kombo's
    /// `kombo_type` and `updated_at`.
    pub async fn published_packages(&self, tenant: &TenantId) -> Result<Vec<Package>, Error> {
        let request = client::get_packages(&self.base_url, tenant)?;
        let reply = client::send(&self.http, self.api_key.as_ref(), &request).await?;
        translate::published_packages(&reply.body)
    }

    async fn write(&self, request: &PreparedRequest) -> Result<Delivery, Error> {
        let reply = client::send(&self.http, self.api_key.as_ref(), request).await?;
        Ok(Delivery {
            attempts: reply.attempts,
            warnings: translate::warnings(&reply.body),
        })
    }
}

/// The HTTP status of an error answer to a webhook: the core's choice
/// ([`Error::inbound_status`]), except that 422 becomes 400. Kombo reads a
/// 422 as the vendor's rejection; an error must instead leave the order
/// open so it can be fetched again with Get orders.
pub fn error_status(error: &Error) -> StatusCode {
    match error.inbound_status() {
        422 => StatusCode::BAD_REQUEST,
        s => StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

#[async_trait]
impl AtsProvider for Kombo {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn missing_configuration(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.api_key.is_none() {
            missing
                .push("api_key: results, packages and open orders cannot be sent to Kombo".into());
        }
        if self.webhook_secrets.is_empty() {
            missing.push(
                "webhook_secret: Kombo's webhooks cannot be verified, so every order is refused"
                    .into(),
            );
        }
        missing
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::HeaderSignature {
                header: auth::SIGNATURE_HEADER,
            },
            packages: PackageDelivery::Pushed,
            orders: OrderDelivery::Webhook,
            reject_with_message: true,
            cancellation: false,
            status_queries: false,
            results: ResultDelivery::Push,
            open_orders: true,
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
                format!(
                    "{} {} (Kombo delivers webhooks with POST)",
                    request.method, request.path
                ),
            ));
        }
        Ok(match translate::event_type(&request.body)?.as_str() {
            ORDER_RECEIVED => ORDER_RECEIVED,
            INLINE_ORDER_RECEIVED => INLINE_ORDER_RECEIVED,
            _ => OTHER_EVENT,
        })
    }

    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error> {
        match operation {
            ORDER_RECEIVED => translate::order_received(&request.body, false, request.received_at),
            INLINE_ORDER_RECEIVED => {
                translate::order_received(&request.body, true, request.received_at)
            }
            OTHER_EVENT => Ok(InboundEvent::Ignored(translate::other_event(
                &request.body,
            )?)),
            other => Err(unknown_operation(PROVIDER, other)),
        }
    }

    async fn authenticate(
        &self,
        _operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error> {
        auth::verify(&self.webhook_secrets, request)?;
        // the payload names the tenant (`data.integration_id`)
        Ok(None)
    }

    /// Verifies the signature first, on the raw bytes, so an unsigned body
    /// is never parsed; then routes and translates.
    async fn receive(&self, request: &InboundRequest) -> Result<Inbound, Error> {
        auth::verify(&self.webhook_secrets, request)?;
        let operation = self.route(request)?;
        let event = self.translate(operation, request)?;
        Ok(Inbound {
            operation: operation.to_owned(),
            event,
        })
    }

    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
        match (operation, reply) {
            (ORDER_RECEIVED, VendorReply::Accepted(_)) => {
                Ok(InboundResponse::empty(StatusCode::OK))
            }
            (INLINE_ORDER_RECEIVED, VendorReply::Accepted(a)) => match &a.candidate_url {
                Some(url) => InboundResponse::json(
                    StatusCode::OK,
                    &InlineAssessmentResponse {
                        assessment_url: url.to_string(),
                    },
                ),
                None => Err(Error::config(
                    "an inline assessment order must be accepted with the candidate's link \
                     (Acceptance::candidate_url), which Kombo passes to the ATS as assessment_url",
                )),
            },
            (ORDER_RECEIVED | INLINE_ORDER_RECEIVED, VendorReply::Rejected(r)) => {
                let message = if r.message.trim().is_empty() {
                    DEFAULT_REJECTION_MESSAGE
                } else {
                    r.message.as_str()
                };
                InboundResponse::json(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &translate::rejection_body(message),
                )
            }
            (ORDER_RECEIVED | INLINE_ORDER_RECEIVED | OTHER_EVENT, VendorReply::Acknowledged) => {
                Ok(InboundResponse::empty(StatusCode::OK))
            }
            (op, reply) if find_operation(OPERATIONS, op).is_some() => {
                Err(reply_mismatch(op, reply))
            }
            (op, _) => Err(unknown_operation(PROVIDER, op)),
        }
    }

    fn respond_error(&self, _operation: Option<&str>, error: &Error) -> InboundResponse {
        let status = error_status(error);
        InboundResponse::json(
            status,
            &ErrorBody {
                error: error.public_message(),
            },
        )
        .unwrap_or_else(|_| InboundResponse::empty(status))
    }

    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        ats_core::provider::check_call(self.name(), call)?;
        match call {
            OutboundCall::SubmitResult { result, .. } if translate::not_sent(result).is_some() => {
                Ok(Vec::new())
            }
            OutboundCall::SubmitResult { order, result } => Ok(vec![client::update_order_result(
                &self.base_url,
                order,
                result,
                self.clock.now(),
            )?]),
            OutboundCall::PublishPackages { tenant, packages } => Ok(vec![client::set_packages(
                &self.base_url,
                tenant,
                packages,
            )?]),
            _ => Err(Error::unsupported(PROVIDER, "this outbound call")),
        }
    }

    async fn submit_result(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<Delivery, Error> {
        ats_core::provider::check_submission(self.name(), order, result)?;
        if let Some(reason) = translate::not_sent(result) {
            return Ok(Delivery::skipped(reason));
        }
        let request = client::update_order_result(&self.base_url, order, result, self.clock.now())?;
        self.write(&request).await
    }

    async fn publish_packages(
        &self,
        tenant: &TenantId,
        packages: &[Package],
    ) -> Result<Delivery, Error> {
        let request = client::set_packages(&self.base_url, tenant, packages)?;
        self.write(&request).await
    }

    async fn open_orders(&self, tenant: &TenantId) -> Result<Vec<AssessmentOrder>, Error> {
        self.open_orders_created_after(tenant, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Acceptance, AssessmentStatus, RejectReason, Rejection, VendorError};

    fn kombo() -> Kombo {
        Kombo::builder().webhook_secret("s").build().unwrap()
    }

    #[tokio::test]
    async fn a_status_kombo_cannot_take_is_skipped_with_a_warning_and_nothing_is_built() {
        // an unroutable base: a request, if one were made, would fail
        let kombo = Kombo::builder()
            .webhook_secret("s")
            .api_key("k")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let order = OrderHandle {
            provider: "kombo".into(),
            tenant: Some(TenantId::new("greenhouse:8mQz")),
            provider_order_id: Some("Hx4pLq9".into()),
            vendor_assessment_id: None,
            package_id: None,
            candidate_id: None,
            callback_url: None,
            context: Default::default(),
        };
        for status in [AssessmentStatus::Invited, AssessmentStatus::InProgress] {
            let result = AssessmentResult::with_status(status);
            let d = kombo.submit_result(&order, &result).await.unwrap();
            assert_eq!(d.attempts, 0);
            assert_eq!(
                d.warnings,
                vec![format!(
                    "not sent: Kombo takes final results only (COMPLETED, CANCELLED), and `{status}` is not final"
                )]
            );
            let call = OutboundCall::SubmitResult {
                order: Box::new(order.clone()),
                result: Box::new(result),
            };
            assert!(kombo.prepare(&call).unwrap().is_empty());
        }
        // a final status without its report URL is refused, typed, unsent
        let e = kombo
            .submit_result(
                &order,
                &AssessmentResult::with_status(AssessmentStatus::Completed),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ats_core::ErrorKind::IncompleteResult, "{e}");
        assert!(e.to_string().contains("report_url"), "{e}");
    }

    #[test]
    fn inline_acceptance_renders_the_assessment_url() {
        let mut a = Acceptance::new("asm_1");
        a.candidate_url = Some(Url::parse("https://app.example.com/take/asm_1?t=4f9e").unwrap());
        let r = kombo()
            .respond(INLINE_ORDER_RECEIVED, &VendorReply::Accepted(a.clone()))
            .unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            &r.body[..],
            br#"{"assessment_url":"https://app.example.com/take/asm_1?t=4f9e"}"#
        );
        // the ordinary webhook takes no body
        let r = kombo()
            .respond(ORDER_RECEIVED, &VendorReply::Accepted(a))
            .unwrap();
        assert_eq!((r.status, r.body.len()), (StatusCode::OK, 0));
    }

    #[test]
    fn inline_acceptance_without_url_is_an_error_never_a_rejection() {
        let e = kombo()
            .respond(
                INLINE_ORDER_RECEIVED,
                &VendorReply::Accepted(Acceptance::new("asm_1")),
            )
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
        let r = kombo().respond_error(Some(INLINE_ORDER_RECEIVED), &e);
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(&r.body[..], br#"{"error":"internal error"}"#);
    }

    #[test]
    fn rejections_are_422_with_the_message() {
        let r = kombo()
            .respond(
                ORDER_RECEIVED,
                &VendorReply::Rejected(Rejection::new(
                    RejectReason::AlreadyAssessed,
                    "Already assessed in the last 6 months.",
                )),
            )
            .unwrap();
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            &r.body[..],
            br#"{"status":"error","error":{"message":"Already assessed in the last 6 months."}}"#
        );
        let r = kombo()
            .respond(
                INLINE_ORDER_RECEIVED,
                &VendorReply::Rejected(Rejection::new(RejectReason::Other, " ")),
            )
            .unwrap();
        assert_eq!(
            &r.body[..],
            br#"{"status":"error","error":{"message":"The assessment provider declined this order."}}"#
        );
    }

    #[test]
    fn errors_are_never_rendered_as_422() {
        let errors = [
            Error::UnknownPackage { id: "p".into() },
            Error::Vendor(VendorError::UnknownPackage { id: "p".into() }),
            Error::Vendor(VendorError::Unavailable {
                message: "db".into(),
            }),
            Error::Vendor(VendorError::Internal {
                message: "secret detail".into(),
            }),
            Error::missing("data.id"),
            Error::bad_signature("no signature"),
            Error::config("x"),
        ];
        let statuses: Vec<u16> = errors
            .iter()
            .map(|e| kombo().respond_error(None, e).status.as_u16())
            .collect();
        assert_eq!(statuses, [400, 400, 503, 500, 400, 401, 500]);
        let r = kombo().respond_error(None, &errors[3]);
        assert_eq!(&r.body[..], br#"{"error":"internal error"}"#);
    }

    #[test]
    fn replies_that_do_not_fit_are_refused() {
        let e = kombo()
            .respond(OTHER_EVENT, &VendorReply::Accepted(Acceptance::new("a")))
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        let e = kombo()
            .respond("nope", &VendorReply::Acknowledged)
            .unwrap_err();
        assert!(matches!(e, Error::UnknownOperation { .. }));
    }

    #[test]
    fn routes_by_type_on_any_path() {
        let k = kombo();
        let req = |m: Method, body: &str| {
            InboundRequest::new(m, "/any/path/at/all").with_body(body.to_owned())
        };
        assert_eq!(
            k.route(&req(
                Method::POST,
                r#"{"type":"assessment:order-received"}"#
            ))
            .unwrap(),
            ORDER_RECEIVED
        );
        assert_eq!(
            k.route(&req(
                Method::POST,
                r#"{"type":"inline-assessment:order-received"}"#
            ))
            .unwrap(),
            INLINE_ORDER_RECEIVED
        );
        assert_eq!(
            k.route(&req(Method::POST, r#"{"type":"sync-finished"}"#))
                .unwrap(),
            OTHER_EVENT
        );
        assert!(matches!(
            k.route(&req(Method::GET, r#"{"type":"assessment:order-received"}"#)),
            Err(Error::UnknownOperation { .. })
        ));
        assert!(matches!(
            k.route(&req(Method::POST, "")),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn missing_account_credentials_are_named() {
        let bare = Kombo::builder().build().unwrap();
        let missing = bare.missing_configuration();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(missing[0].starts_with("api_key: "), "{missing:?}");
        assert!(missing[1].starts_with("webhook_secret: "), "{missing:?}");
        let configured = Kombo::builder()
            .api_key("k")
            .webhook_secret("s")
            .build()
            .unwrap();
        assert!(configured.missing_configuration().is_empty());
    }
}
