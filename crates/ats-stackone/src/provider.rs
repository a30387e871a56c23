//! [`StackOne`]: the [`AtsProvider`] implementation.

use std::sync::Arc;

use async_trait::async_trait;
use ats_core::auth::KeyDirectory;
use ats_core::client::HttpClient;
use ats_core::codec::decode_json;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentOrder, AssessmentResult, AtsProvider, Capabilities, Clock, Delivery, Error, Inbound,
    InboundAuth, InboundEvent, InboundRequest, InboundResponse, Operation, OrderDelivery,
    OrderHandle, OutboundCall, Package, PackageDelivery, PreparedRequest, ResultDelivery, Secret,
    TenantId, VendorReply,
};
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth;
use crate::client::{self, GET_APPLICATION, GET_CANDIDATE, GET_JOB};
use crate::packages::{PackageIdStore, Step, plan};
use crate::translate::{self, OrderType, PROVIDER};
use crate::wire::{ApplicationRecord, CandidateRecord, CreateResult, ErrorResponse, JobRecord};

/// The packages endpoint the vendor hosts, shaped like StackOne's
/// `GET /unified/ats/assessments/packages` (StackOne's operation id).
pub const LIST_ASSESSMENTS_PACKAGES: &str = "ats_list_assessments_packages";
/// Webhook: an assessment was ordered.
pub const ASSESSMENTS_CREATED: &str = "ats_assessments.created";
/// Webhook: a background check was ordered.
pub const BACKGROUND_CHECK_ORDER_CREATED: &str = "background_check_order.created";
/// Any other webhook event (`ats_assessments.updated`, `account.created`…):
/// acknowledged, nothing to do.
pub const OTHER_EVENT: &str = "other_event";

/// The path suffix that routes a `GET` to the packages endpoint.
pub const PACKAGES_PATH_SUFFIX: &str = "/assessments/packages";

/// The key of [`AssessmentOrder::extras`] keeping StackOne's package id of a
/// background-check order once it was translated back to the vendor's id.
pub const STACKONE_PACKAGE_ID: &str = "stackone_package_id";

/// Every operation, both directions.
pub const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        LIST_ASSESSMENTS_PACKAGES,
        "GET <vendor URL>/assessments/packages: StackOne lists the vendor's assessment packages",
    ),
    Operation::inbound(
        ASSESSMENTS_CREATED,
        "webhook: an assessment order; details fetched from candidates/applications/jobs",
    ),
    Operation::inbound(
        BACKGROUND_CHECK_ORDER_CREATED,
        "webhook: a background-check order; details fetched like assessments",
    ),
    Operation::inbound(
        OTHER_EVENT,
        "webhook: any other event (updates, deletions, account events), acknowledged",
    ),
    Operation::outbound(
        client::UPDATE_ASSESSMENTS_RESULT,
        "PATCH /unified/ats/assessments/orders/{id}/result: an assessment's status or result",
    ),
    Operation::outbound(
        client::UPDATE_BACKGROUND_CHECK_RESULT,
        "PATCH /unified/ats/background_checks/orders/{id}/result: a background check's status or result",
    ),
    Operation::outbound(
        client::CREATE_BACKGROUND_CHECK_PACKAGE,
        "POST /unified/ats/background_checks/packages: publish a new background-check package",
    ),
    Operation::outbound(
        client::UPDATE_BACKGROUND_CHECK_PACKAGE,
        "PATCH /unified/ats/background_checks/packages/{id}: update a published package",
    ),
    Operation::outbound(
        client::DELETE_BACKGROUND_CHECK_PACKAGE,
        "DELETE /unified/ats/background_checks/packages/{id}: withdraw a published package",
    ),
];

/// StackOne's unified ATS API (assessments and background checks), vendor
/// side.
///
/// Routing: a `GET` whose path ends in `/assessments/packages` is the
/// packages endpoint; a `POST` to any path is a webhook, routed by its
/// `event`. Webhook signatures are checked before the body is read.
#[derive(Debug, Clone)]
pub struct StackOne {
    pub(crate) api_key: Option<Secret>,
    pub(crate) signing_secrets: Vec<Secret>,
    pub(crate) webhook_token: Option<Secret>,
    pub(crate) keys: Arc<dyn KeyDirectory>,
    pub(crate) package_ids: Arc<dyn PackageIdStore>,
    pub(crate) base_url: Url,
    pub(crate) http: HttpClient,
    pub(crate) clock: Clock,
}

impl StackOne {
    /// A builder.
    pub fn builder() -> crate::StackOneBuilder {
        crate::StackOneBuilder::new()
    }

    /// Fetches one record (`{"data": …}`) of the tenant's account.
    async fn fetch<T: DeserializeOwned>(
        &self,
        tenant: &TenantId,
        operation: &'static str,
        id: &str,
    ) -> Result<T, Error> {
        let request = client::get_record(&self.base_url, tenant, operation, id)?;
        let reply = client::send(&self.http, self.api_key.as_ref(), &request).await?;
        translate::record::<T>(&reply.body).map_err(|e| unreadable(reply.status, operation, &e))
    }

    /// Fetches the application, candidate and job an order refers to and
    /// merges them in; translates a background-check package id back to the
    /// vendor's.
    async fn enrich(&self, order: &mut AssessmentOrder) -> Result<(), Error> {
        let tenant = order
            .tenant
            .clone()
            .ok_or_else(|| Error::missing("account_id"))?;
        if let Some(id) = order.application.as_ref().and_then(|a| a.id.clone()) {
            let record: ApplicationRecord = self.fetch(&tenant, GET_APPLICATION, &id).await?;
            translate::apply_application(order, &record);
        }
        if let Some(id) = order.candidate.id.clone() {
            let record: CandidateRecord = self.fetch(&tenant, GET_CANDIDATE, &id).await?;
            translate::apply_candidate(order, &record);
        }
        if let Some(id) = order.job.as_ref().and_then(|j| j.id.clone()) {
            let record: JobRecord = self.fetch(&tenant, GET_JOB, &id).await?;
            translate::apply_job(order, &record);
        }
        if OrderType::from_context(&order.context)? == OrderType::BackgroundCheck
            && let Some(vendor_id) = self
                .package_ids
                .vendor_package_id(&tenant, &order.package_id)?
        {
            let stackone_id = std::mem::replace(&mut order.package_id, vendor_id);
            order.extras.insert(
                STACKONE_PACKAGE_ID.to_owned(),
                serde_json::Value::String(stackone_id),
            );
        }
        Ok(())
    }

    fn result_request(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<PreparedRequest, Error> {
        let tenant = order
            .tenant
            .as_ref()
            .ok_or_else(|| Error::config("the order has no tenant (StackOne account id)"))?;
        let order_id = order
            .provider_order_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| Error::config("the order has no StackOne order id"))?;
        let order_type = OrderType::from_context(&order.context)?;
        let body = translate::result_update(result, order.candidate_id.as_deref())?;
        client::update_result(&self.base_url, tenant, order_id, order_type, &body)
    }

    fn publication(&self, tenant: &TenantId, packages: &[Package]) -> Result<Vec<Step>, Error> {
        plan(packages, &self.package_ids.published(tenant)?)
    }
}

fn unreadable(status: StatusCode, operation: &str, e: &Error) -> Error {
    Error::ProviderRejected {
        provider: PROVIDER.to_owned(),
        status: status.as_u16(),
        code: Some("unreadable_response".to_owned()),
        message: format!("cannot read the answer to {operation}: {e}"),
    }
}

fn is_packages_path(path: &str) -> bool {
    path.trim_end_matches('/').ends_with(PACKAGES_PATH_SUFFIX)
}

#[async_trait]
impl AtsProvider for StackOne {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn missing_configuration(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.api_key.is_none() {
            missing.push("api_key: orders cannot be completed from StackOne's API, and results cannot be sent".into());
        }
        if self.signing_secrets.is_empty() {
            missing.push(
                "signing_secret: StackOne's webhooks cannot be verified, so every order is refused"
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
            packages: PackageDelivery::Served,
            orders: OrderDelivery::Webhook,
            reject_with_message: false,
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

    /// The packages endpoint is called with the key the vendor issued, which
    /// is reported as [`InboundAuth::BasicApiKey`] (it is equally accepted
    /// as a Bearer token or as `?token=` in the URL, see [`crate::auth`]);
    /// the webhooks carry their signature in `x-stackone-signature`, as
    /// [`capabilities`](AtsProvider::capabilities) says.
    fn inbound_auth(&self, operation: &str) -> InboundAuth {
        match operation {
            LIST_ASSESSMENTS_PACKAGES => InboundAuth::BasicApiKey,
            _ => self.capabilities().inbound_auth,
        }
    }

    fn route(&self, request: &InboundRequest) -> Result<&'static str, Error> {
        if request.method == Method::GET && is_packages_path(&request.path) {
            return Ok(LIST_ASSESSMENTS_PACKAGES);
        }
        if request.method == Method::POST {
            return Ok(match translate::event_name(&request.body)?.as_str() {
                ASSESSMENTS_CREATED => ASSESSMENTS_CREATED,
                BACKGROUND_CHECK_ORDER_CREATED => BACKGROUND_CHECK_ORDER_CREATED,
                _ => OTHER_EVENT,
            });
        }
        Err(unknown_operation(
            PROVIDER,
            format!("{} {}", request.method, request.path),
        ))
    }

    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error> {
        let order = |order_type| {
            translate::webhook_to_order(&request.body, order_type, request.received_at)
                .map(|o| InboundEvent::OrderReceived(Box::new(o)))
        };
        match operation {
            LIST_ASSESSMENTS_PACKAGES => Ok(InboundEvent::PackagesRequested(
                translate::packages_request(),
            )),
            ASSESSMENTS_CREATED => order(OrderType::Assessment),
            BACKGROUND_CHECK_ORDER_CREATED => order(OrderType::BackgroundCheck),
            OTHER_EVENT => Ok(InboundEvent::Ignored(translate::ignored_event(
                &request.body,
            )?)),
            other => Err(unknown_operation(PROVIDER, other)),
        }
    }

    async fn authenticate(
        &self,
        operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error> {
        match operation {
            LIST_ASSESSMENTS_PACKAGES => {
                auth::authenticate_packages_request(self.keys.as_ref(), request)
                    .await
                    .map(Some)
            }
            ASSESSMENTS_CREATED | BACKGROUND_CHECK_ORDER_CREATED | OTHER_EVENT => {
                auth::verify_webhook(&self.signing_secrets, self.webhook_token.as_ref(), request)
                    .map(|()| None)
            }
            other => Err(unknown_operation(PROVIDER, other)),
        }
    }

    /// Webhooks: the signature first, then routing, translation and the
    /// detail fetches (application, then candidate, then job, each by the
    /// ids known so far). The packages endpoint: routing, the key, then
    /// translation.
    async fn receive(&self, request: &InboundRequest) -> Result<Inbound, Error> {
        let (operation, tenant) = if request.method == Method::POST {
            auth::verify_webhook(&self.signing_secrets, self.webhook_token.as_ref(), request)?;
            (self.route(request)?, None)
        } else {
            let operation = self.route(request)?;
            (operation, self.authenticate(operation, request).await?)
        };
        let mut event = self.translate(operation, request)?;
        if let Some(tenant) = tenant {
            event.set_tenant(tenant);
        }
        if let InboundEvent::OrderReceived(order) = &mut event {
            self.enrich(order).await?;
        }
        Ok(Inbound {
            operation: operation.to_owned(),
            event,
        })
    }

    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
        let ok = |body| InboundResponse::json(StatusCode::OK, body);
        match (operation, reply) {
            (LIST_ASSESSMENTS_PACKAGES, VendorReply::Packages { packages }) => {
                InboundResponse::json(StatusCode::OK, &translate::packages_page(packages))
            }
            (ASSESSMENTS_CREATED | BACKGROUND_CHECK_ORDER_CREATED, VendorReply::Accepted(_)) => {
                ok(&translate::accepted_ack())
            }
            (ASSESSMENTS_CREATED | BACKGROUND_CHECK_ORDER_CREATED, VendorReply::Rejected(r)) => {
                ok(&translate::rejected_ack(r))
            }
            (
                ASSESSMENTS_CREATED | BACKGROUND_CHECK_ORDER_CREATED | OTHER_EVENT,
                VendorReply::Acknowledged,
            ) => ok(&translate::acknowledged_ack()),
            (op, reply) if find_operation(OPERATIONS, op).is_some() => {
                Err(reply_mismatch(op, reply))
            }
            (op, _) => Err(unknown_operation(PROVIDER, op)),
        }
    }

    fn respond_error(&self, _operation: Option<&str>, error: &Error) -> InboundResponse {
        let status = StatusCode::from_u16(error.inbound_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorResponse {
            status_code: status.as_u16(),
            message: error.public_message(),
            timestamp: translate::iso_millis(self.clock.now()),
        };
        InboundResponse::json(status, &body).unwrap_or_else(|_| InboundResponse::empty(status))
    }

    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        ats_core::provider::check_call(self.name(), call)?;
        match call {
            OutboundCall::SubmitResult { order, result } => {
                Ok(vec![self.result_request(order, result)?])
            }
            OutboundCall::PublishPackages { tenant, packages } => self
                .publication(tenant, packages)?
                .iter()
                .map(|step| client::package_step(&self.base_url, tenant, step))
                .collect(),
            _ => Err(Error::unsupported(PROVIDER, "this outbound call")),
        }
    }

    async fn submit_result(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<Delivery, Error> {
        ats_core::provider::check_submission(self.name(), order, result)?;
        let request = self.result_request(order, result)?;
        let reply = client::send(&self.http, self.api_key.as_ref(), &request).await?;
        Ok(Delivery {
            attempts: reply.attempts,
            warnings: Vec::new(),
        })
    }

    /// Makes the tenant's background-check packages in StackOne equal to the
    /// packages of kind `background_check` in `packages` (see
    /// [`crate::packages`]): creates, then updates, then deletes, recording
    /// each StackOne id as it is learnt. A failure stops the publication and
    /// is returned; what was done so far is recorded, so publishing again
    /// carries on. A `DELETE` answered 404 counts as done (the package is
    /// already gone).
    async fn publish_packages(
        &self,
        tenant: &TenantId,
        packages: &[Package],
    ) -> Result<Delivery, Error> {
        let steps = self.publication(tenant, packages)?;
        let mut attempts = 0;
        for step in &steps {
            let request = client::package_step(&self.base_url, tenant, step)?;
            let reply = match client::send(&self.http, self.api_key.as_ref(), &request).await {
                Ok(reply) => reply,
                Err(Error::ProviderRejected { status: 404, .. })
                    if matches!(step, Step::Delete { .. }) =>
                {
                    attempts += 1;
                    if let Step::Delete {
                        vendor_package_id, ..
                    } = step
                    {
                        self.package_ids.forget(tenant, vendor_package_id)?;
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            attempts += reply.attempts;
            match step {
                Step::Create {
                    vendor_package_id, ..
                } => {
                    let created: CreateResult = decode_json(&reply.body).map_err(|e| {
                        unreadable(reply.status, client::CREATE_BACKGROUND_CHECK_PACKAGE, &e)
                    })?;
                    let id = created
                        .data
                        .and_then(|d| d.id)
                        .filter(|id| !id.trim().is_empty())
                        .ok_or_else(|| {
                            unreadable(
                                reply.status,
                                client::CREATE_BACKGROUND_CHECK_PACKAGE,
                                &Error::missing("data.id"),
                            )
                        })?;
                    self.package_ids.record(tenant, vendor_package_id, &id)?;
                }
                Step::Update { .. } => {}
                Step::Delete {
                    vendor_package_id, ..
                } => self.package_ids.forget(tenant, vendor_package_id)?,
            }
        }
        Ok(Delivery {
            attempts,
            warnings: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Acceptance, RejectReason, Rejection};
    use serde_json::json;

    fn adapter() -> StackOne {
        StackOne::builder()
            .clock(Clock::fixed("2026-01-01T00:00:00Z".parse().unwrap()))
            .build()
            .unwrap()
    }

    fn post(body: &str) -> InboundRequest {
        InboundRequest::new(Method::POST, "/hooks/stackone").with_body(body.to_owned())
    }

    #[test]
    fn routes_by_method_path_and_event() {
        let s = adapter();
        let get = |p: &str| InboundRequest::new(Method::GET, p);
        assert_eq!(
            s.route(&get("/stackone/assessments/packages")).unwrap(),
            LIST_ASSESSMENTS_PACKAGES
        );
        assert_eq!(
            s.route(&get("/x/ats/assessments/packages/?token=k"))
                .unwrap(),
            LIST_ASSESSMENTS_PACKAGES
        );
        assert!(matches!(
            s.route(&get("/stackone/packages")),
            Err(Error::UnknownOperation { .. })
        ));
        assert_eq!(
            s.route(&post(r#"{"event":"ats_assessments.created"}"#))
                .unwrap(),
            ASSESSMENTS_CREATED
        );
        assert_eq!(
            s.route(&post(r#"{"event":"background_check_order.created"}"#))
                .unwrap(),
            BACKGROUND_CHECK_ORDER_CREATED
        );
        assert_eq!(
            s.route(&post(r#"{"event":"ats_assessments.deleted"}"#))
                .unwrap(),
            OTHER_EVENT
        );
        assert!(matches!(s.route(&post("")), Err(Error::Malformed { .. })));
        let put = InboundRequest::new(Method::PUT, "/stackone/assessments/packages");
        assert!(matches!(s.route(&put), Err(Error::UnknownOperation { .. })));
    }

    #[test]
    fn webhook_answers() {
        let s = adapter();
        let body = |r: InboundResponse| String::from_utf8(r.body.to_vec()).unwrap();
        let accepted = s
            .respond(
                ASSESSMENTS_CREATED,
                &VendorReply::Accepted(Acceptance::new("a1")),
            )
            .unwrap();
        assert_eq!(
            (accepted.status, body(accepted)),
            (StatusCode::OK, r#"{"status":"accepted"}"#.to_owned())
        );
        let rejected = s
            .respond(
                BACKGROUND_CHECK_ORDER_CREATED,
                &VendorReply::Rejected(Rejection::new(
                    RejectReason::UnknownPackage,
                    "No such package.",
                )),
            )
            .unwrap();
        assert_eq!(rejected.status, StatusCode::OK);
        assert_eq!(
            body(rejected),
            r#"{"status":"rejected","reason":"unknown_package","message":"No such package."}"#
        );
        let ack = s.respond(OTHER_EVENT, &VendorReply::Acknowledged).unwrap();
        assert_eq!(body(ack), r#"{"status":"acknowledged"}"#);
        assert!(matches!(
            s.respond(LIST_ASSESSMENTS_PACKAGES, &VendorReply::Acknowledged),
            Err(Error::Config { .. })
        ));
        assert!(matches!(
            s.respond("nope", &VendorReply::Acknowledged),
            Err(Error::UnknownOperation { .. })
        ));
    }

    #[test]
    fn errors_are_answered_in_stackones_shape() {
        let s = adapter();
        let r = s.respond_error(None, &Error::bad_signature("no signature"));
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.body_json().unwrap(),
            json!({"statusCode": 401, "message": "webhook signature rejected: no signature", "timestamp": "2026-01-01T00:00:00.000Z"})
        );
        let r = s.respond_error(
            Some(ASSESSMENTS_CREATED),
            &Error::Vendor(ats_core::VendorError::Unavailable {
                message: "db down".into(),
            }),
        );
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            r.body_json().unwrap()["message"],
            "temporarily unavailable, retry later"
        );
    }

    #[test]
    fn prepare_needs_tenant_and_order_id() {
        let s = adapter();
        let handle = |tenant: Option<&str>, id: Option<&str>| OrderHandle {
            provider: PROVIDER.into(),
            tenant: tenant.map(TenantId::new),
            provider_order_id: id.map(str::to_owned),
            vendor_assessment_id: None,
            package_id: None,
            candidate_id: None,
            callback_url: None,
            context: serde_json::Map::new(),
        };
        let result = AssessmentResult::with_status(ats_core::AssessmentStatus::Invited);
        let call = |h: OrderHandle| OutboundCall::SubmitResult {
            order: Box::new(h),
            result: Box::new(result.clone()),
        };
        let e = s.prepare(&call(handle(None, Some("o")))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: the order has no tenant (StackOne account id)"
        );
        let e = s.prepare(&call(handle(Some("a"), Some(" ")))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: the order has no StackOne order id"
        );
        let r = s
            .prepare(&call(handle(Some("acc_1"), Some("asr_1"))))
            .unwrap();
        assert_eq!(
            r[0].url.as_str(),
            "https://api.stackone.com/unified/ats/assessments/orders/asr_1/result"
        );
        assert_eq!(
            &r[0].body[..],
            br#"{"result":{"value":"initiated","source_value":"invited"}}"#
        );
    }

    #[test]
    fn each_inbound_operation_names_its_scheme() {
        let s = adapter();
        assert_eq!(
            s.inbound_auth(LIST_ASSESSMENTS_PACKAGES),
            InboundAuth::BasicApiKey
        );
        for op in [
            ASSESSMENTS_CREATED,
            BACKGROUND_CHECK_ORDER_CREATED,
            OTHER_EVENT,
        ] {
            assert_eq!(
                s.inbound_auth(op),
                InboundAuth::HeaderSignature {
                    header: "x-stackone-signature"
                },
                "{op}"
            );
        }
    }

    #[test]
    fn capabilities_describe_webhooks_and_pushed_results() {
        let c = adapter().capabilities();
        assert_eq!(c.inbound_auth.header(), Some("x-stackone-signature"));
        assert_eq!(c.orders, OrderDelivery::Webhook);
        assert_eq!(c.results, ResultDelivery::Push);
        assert!(!c.reject_with_message && !c.cancellation && !c.status_queries);
    }
}
