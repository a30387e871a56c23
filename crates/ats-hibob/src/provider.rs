//! [`HiBob`]: the [`AtsProvider`] implementation.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use ats_core::client::HttpClient;
use ats_core::codec::decode_json_with_raw;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::replay::ReplayGuard;
use ats_core::{
    AssessmentResult, AssessmentStatus, AtsProvider, Capabilities, Delivery, Direction, Error,
    Ignored, Inbound, InboundAuth, InboundEvent, InboundRequest, InboundResponse, Operation,
    OrderDelivery, OrderHandle, OutboundCall, PackageDelivery, PreparedRequest, ResultDelivery,
    Secret, TenantId, VendorReply,
};
use http::{Method, StatusCode};
use serde_json::json;
use url::Url;

use crate::oauth::{self, AuthorizationRequest, OAuthError, TokenManager, TokenSet};
use crate::translate::{self, ASSESSMENT_CANCELLED, ASSESSMENT_TRIGGERED, PROVIDER};
use crate::wire::AssessmentDetails;
use crate::{auth, client};

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        ASSESSMENT_TRIGGERED,
        "webhook: a recruiter ordered an assessment (ids only; details fetched with GET /hiring/assessments/{id})",
    ),
    Operation::inbound(
        ASSESSMENT_CANCELLED,
        "webhook: the assessment was cancelled in Bob; send no further updates",
    ),
    Operation::outbound(
        client::UPDATE_ASSESSMENT,
        "PATCH /hiring/assessments/{assessmentRequestId}: status (required) and results; 204, applied asynchronously",
    ),
];

/// The reason a repeated delivery is acknowledged without being handled.
pub const DUPLICATE: &str = "duplicate delivery (Bob delivers at least once)";

/// Bob Hiring's Assessments API (Marketplace partner, OAuth 2.0), vendor
/// side.
///
/// * **Inbound**: Bob posts every event of every installing company to
///   one webhook URL (any path), signed with `Bob-Signature`; the body's
///   `type` routes it and its `companyId` names the tenant. `receive`
///   verifies the signature before anything else, drops a repeat of a
///   delivery already handled (Bob delivers at least once; the key is the
///   event type and `assessmentRequestId`), and for `assessment.triggered`
///   reads the assessment's context from Bob's API. When the vendor then
///   fails on the delivery, `forget_delivery` forgets it, so Bob's retry is
///   handled.
/// * **Outbound**: `submit_result` sends one idempotent `PATCH`.
/// * **OAuth**: tokens per company in a [`TokenStore`](crate::oauth::TokenStore),
///   refreshed single-flight.
#[derive(Clone)]
pub struct HiBob {
    pub(crate) base_url: Url,
    pub(crate) tokens: Arc<TokenManager>,
    pub(crate) http: HttpClient,
    pub(crate) webhook_secrets: Vec<Secret>,
    pub(crate) statuses: HashMap<AssessmentStatus, String>,
    pub(crate) replay: Arc<ReplayGuard>,
}

impl fmt::Debug for HiBob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HiBob")
            .field("base_url", &self.base_url.as_str())
            .field("tokens", &self.tokens)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .field("statuses", &self.statuses)
            .finish_non_exhaustive()
    }
}

impl HiBob {
    /// A builder.
    pub fn builder() -> crate::HiBobBuilder {
        crate::HiBobBuilder::new()
    }

    /// The API base URL this adapter calls.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// An authorization URL with a fresh random `state`, for an
    /// installation that starts at the vendor (Bob's Marketplace flow is
    /// the mandatory one).
    pub fn authorization_url(&self) -> Result<AuthorizationRequest, OAuthError> {
        let state = oauth::random_state();
        let url = self.tokens.authorization_url(&state)?;
        Ok(AuthorizationRequest {
            url,
            state: Secret::new(state),
        })
    }

    /// Handles Bob's redirect back to the app for a flow that started at
    /// the vendor: checks `state` (constant time), refuses an `error`
    /// redirect, exchanges the code and stores the tokens for `company`.
    pub async fn complete_authorization(
        &self,
        company: &TenantId,
        callback_query: &str,
        expected_state: &Secret,
    ) -> Result<TokenSet, OAuthError> {
        let code = oauth::parse_callback(callback_query, expected_state)?;
        self.tokens.exchange_code(company, &code).await
    }

    /// Exchanges an authorization code from Bob's redirect and stores the
    /// tokens for `company`.
    pub async fn exchange_code(
        &self,
        company: &TenantId,
        code: &str,
    ) -> Result<TokenSet, OAuthError> {
        self.tokens.exchange_code(company, code).await
    }

    /// A valid access token for `company`, refreshed first if it expires
    /// within the refresh margin.
    pub async fn access_token(&self, company: &TenantId) -> Result<Secret, OAuthError> {
        Ok(self.tokens.access_token(company).await?.token)
    }

    /// Refreshes the tokens of each of `companies` not refreshed for
    /// `older_than` (from the stored access token's expiry), one after
    /// the other, and says what happened to each: for connections that see
    /// no traffic, should Bob expire unused refresh tokens (*unconfirmed*).
    pub async fn refresh_idle_tenants(
        &self,
        companies: impl IntoIterator<Item = TenantId>,
        older_than: std::time::Duration,
    ) -> Vec<(TenantId, oauth::IdleRefresh)> {
        let mut outcomes = Vec::new();
        for company in companies {
            let outcome = self.tokens.refresh_if_idle(&company, older_than).await;
            outcomes.push((company, outcome));
        }
        outcomes
    }

    /// Forgets `company`'s tokens (the app was uninstalled).
    pub async fn disconnect(&self, company: &TenantId) -> Result<(), Error> {
        self.tokens.store().remove(company).await
    }

    /// The signature check, then the delivery's company, event and
    /// assessment id, with the key it is deduplicated under.
    fn verified(&self, request: &InboundRequest) -> Result<(TenantId, String), Error> {
        auth::verify(&self.webhook_secrets, request)?;
        let delivery = translate::decode_delivery(&request.body)?;
        let kind = translate::event_type(&delivery)?.to_owned();
        let company = translate::company(&delivery)?;
        let id = translate::assessment_request_id(&delivery)?;
        let key = translate::delivery_key(&kind, &company, &id);
        Ok((company, key))
    }

    /// Refuses a delivery for a company that has not installed the app (no
    /// tokens stored): it is signed with the app's secret, but names a
    /// company this vendor has no connection with.
    async fn connected(&self, company: &TenantId) -> Result<(), Error> {
        match self.tokens.store().load(company).await? {
            Some(_) => Ok(()),
            None => Err(Error::unauthenticated(format!(
                "Bob company `{company}` has not installed the app"
            ))),
        }
    }

    fn requests_for(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<Vec<PreparedRequest>, Error> {
        let id = translate::target_assessment(order)?;
        let body = translate::update_body(order, result, &self.statuses)?;
        Ok(vec![client::update_assessment(&self.base_url, &id, &body)?])
    }
}

#[async_trait]
impl AtsProvider for HiBob {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn provider_signature(
        &self,
        secret: &ats_core::Secret,
        body: &[u8],
    ) -> Option<(&'static str, String)> {
        Some((auth::SIGNATURE_HEADER, auth::signature(secret, body)))
    }

    fn oauth(&self) -> Option<&ats_core::oauth::TokenManager> {
        Some(&self.tokens)
    }

    fn missing_configuration(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if !self.tokens.has_app() {
            missing.push("oauth_app (client id, client secret, redirect URI): companies cannot install the app, and tokens cannot be refreshed".to_owned());
        }
        if self.webhook_secrets.is_empty() {
            missing.push(
                "webhook_secret: Bob's webhooks cannot be verified and are all refused".to_owned(),
            );
        }
        missing
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
            oauth: true,
        }
    }

    fn operations(&self) -> &'static [Operation] {
        OPERATIONS
    }

    fn route(&self, request: &InboundRequest) -> Result<&'static str, Error> {
        if request.method != Method::POST {
            return Err(unknown_operation(
                PROVIDER,
                format!("{} {}", request.method, request.path),
            ));
        }
        let delivery = translate::decode_delivery(&request.body)?;
        let kind = translate::event_type(&delivery)?;
        translate::EVENTS
            .iter()
            .copied()
            .find(|e| *e == kind)
            .ok_or_else(|| unknown_operation(PROVIDER, format!("webhook event `{kind}`")))
    }

    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error> {
        if find_operation(OPERATIONS, operation).is_none_or(|o| o.direction != Direction::Inbound) {
            return Err(unknown_operation(PROVIDER, operation));
        }
        translate::webhook_to_event(operation, &request.body, request.received_at)
    }

    async fn authenticate(
        &self,
        _operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error> {
        auth::verify(&self.webhook_secrets, request)?;
        let delivery = translate::decode_delivery(&request.body)?;
        let company = translate::company(&delivery)?;
        self.connected(&company).await?;
        Ok(Some(company))
    }

    async fn receive(&self, request: &InboundRequest) -> Result<Inbound, Error> {
        // the signature first, before the body is parsed
        auth::verify(&self.webhook_secrets, request)?;
        let operation = self.route(request)?;
        let (company, key) = self.verified(request)?;
        self.connected(&company).await?;
        let now = request.received_at;
        if self.replay.check_unseen(&key, now, now).await.is_err() {
            return Ok(Inbound {
                operation: operation.to_owned(),
                event: InboundEvent::Ignored(Ignored {
                    provider: PROVIDER.to_owned(),
                    tenant: Some(company),
                    event_type: operation.to_owned(),
                    reason: DUPLICATE.to_owned(),
                }),
            });
        }
        let mut event = self.translate(operation, request)?;
        if let InboundEvent::OrderReceived(order) = event {
            let id = translate::target_assessment(&order.handle(None))?;
            let read = client::get_assessment(&self.base_url, &id)?;
            let sent = client::send(&self.http, &self.tokens, &company, &read).await?;
            // An answer the order cannot be made from is Bob's fault, not
            // the delivery's: a provider error (Bob delivers it again).
            let unusable = |e: Error| Error::ProviderRejected {
                provider: PROVIDER.to_owned(),
                status: sent.reply.status.as_u16(),
                code: None,
                message: format!("the assessment details cannot be used: {e}"),
            };
            let (details, raw): (AssessmentDetails, _) =
                decode_json_with_raw(&sent.reply.body).map_err(unusable)?;
            let order = translate::enrich_order(*order, &details, raw).map_err(unusable)?;
            event = InboundEvent::OrderReceived(Box::new(order));
        }
        // recorded only once handled: a delivery that failed above (a Bob
        // API outage) is handled when Bob delivers it again
        if self.replay.check_recorded(&key, now, now).await.is_err() {
            event = InboundEvent::Ignored(Ignored {
                provider: PROVIDER.to_owned(),
                tenant: None,
                event_type: operation.to_owned(),
                reason: DUPLICATE.to_owned(),
            });
        }
        event.set_tenant(company);
        Ok(Inbound {
            operation: operation.to_owned(),
            event,
        })
    }

    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
        if find_operation(OPERATIONS, operation).is_none_or(|o| o.direction != Direction::Inbound) {
            return Err(unknown_operation(PROVIDER, operation));
        }
        match reply {
            VendorReply::Acknowledged => Ok(InboundResponse::empty(StatusCode::OK)),
            VendorReply::Accepted(_) if operation == ASSESSMENT_TRIGGERED => {
                Ok(InboundResponse::empty(StatusCode::OK))
            }
            // Bob has no way to show a refusal on the webhook: the delivery
            // is acknowledged (a retry would not change the answer)
            VendorReply::Rejected(_) if operation == ASSESSMENT_TRIGGERED => {
                Ok(InboundResponse::empty(StatusCode::OK))
            }
            other => Err(reply_mismatch(operation, other)),
        }
    }

    /// The vendor could not handle a delivery `receive` accepted: it is
    /// forgotten, so Bob's retry is handled rather than dropped as a
    /// repeat. Only a delivery whose signature verifies is forgotten.
    fn forget_delivery(&self, request: &InboundRequest) {
        if let Ok((company, key)) = self.verified(request) {
            self.replay.forget(&key);
            tracing::debug!(
                provider = PROVIDER,
                %company,
                "delivery not handled; Bob may deliver it again"
            );
        }
    }

    fn respond_error(&self, _operation: Option<&str>, error: &Error) -> InboundResponse {
        let status = StatusCode::from_u16(error.inbound_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        InboundResponse::json(status, &json!({"error": error.public_message()}))
            .unwrap_or_else(|_| InboundResponse::empty(status))
    }

    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        ats_core::provider::check_call(self.name(), call)?;
        match call {
            OutboundCall::SubmitResult { order, result } => self.requests_for(order, result),
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (Bob's package registration endpoints are not implemented: their paths are unconfirmed)",
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
        let tenant = order
            .tenant
            .as_ref()
            .ok_or_else(|| Error::config("the order has no tenant (Bob company)"))?;
        let mut attempts = 0;
        for request in self.requests_for(order, result)? {
            attempts += client::send(&self.http, &self.tokens, tenant, &request)
                .await?
                .attempts;
        }
        Ok(Delivery {
            attempts,
            warnings: Vec::new(),
        })
    }
}
