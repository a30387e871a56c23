//! [`SmartRecruiters`]: the [`AtsProvider`] implementation.

use std::sync::Arc;

use async_trait::async_trait;
use ats_core::auth::KeyDirectory;
use ats_core::client::HttpClient;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::{
    AssessmentResult, AtsProvider, Capabilities, Clock, Delivery, Error, InboundAuth, InboundEvent,
    InboundRequest, InboundResponse, Operation, OrderDelivery, OrderHandle, OutboundCall,
    PackageDelivery, PreparedRequest, RejectReason, ResultDelivery, Secret, TenantId, VendorReply,
};
use http::{Method, StatusCode};
use url::Url;

use crate::oauth::{self, ClientCredentials, CredentialStore, TokenCache};
use crate::translate::{self, PROVIDER};
use crate::wire::{ErrorBody, OrderResponse};
use crate::{auth, client};

/// `GET /packages`: SmartRecruiters asks which packages the customer can order.
pub const LIST_PACKAGES: &str = "packages.list";
/// `POST /packages/orders`: SmartRecruiters orders a package for a candidate.
pub const ORDER_PACKAGE: &str = "packages.order";

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        LIST_PACKAGES,
        "GET /packages: the packages the customer can order",
    ),
    Operation::inbound(
        ORDER_PACKAGE,
        "POST /packages/orders: order a package for a candidate",
    ),
    Operation::outbound(
        client::UPDATE_RESULTS,
        "PATCH /orders/{orderId}/results: status and result of an order (customer-level token)",
    ),
];

/// SmartRecruiters' Assessment API (2021), vendor side.
///
/// Routes by the end of the path, so the endpoints can live under any
/// prefix (`/smartrecruiters/packages`, `/smartrecruiters/packages/orders`).
#[derive(Debug, Clone)]
pub struct SmartRecruiters {
    pub(crate) keys: Arc<dyn KeyDirectory>,
    pub(crate) credentials: Arc<dyn CredentialStore>,
    pub(crate) partner: Option<ClientCredentials>,
    pub(crate) base_url: Url,
    pub(crate) token_url: Url,
    pub(crate) http: HttpClient,
    pub(crate) tokens: TokenCache,
    pub(crate) clock: Clock,
}

impl SmartRecruiters {
    /// A builder.
    pub fn builder() -> crate::SmartRecruitersBuilder {
        crate::SmartRecruitersBuilder::new()
    }

    /// A partner-level access token (from the master credentials), for
    /// setting up a customer's integration
    /// (`POST /integration/company/{companyId}`, whose body this adapter
    /// does not build: see the provider page).
    pub async fn partner_token(&self) -> Result<Secret, Error> {
        let partner = self.partner.as_ref().ok_or_else(|| {
            Error::config("partner_credentials are not configured (SmartRecruiters' master client id and secret)")
        })?;
        oauth::access_token(
            &self.http,
            &self.tokens,
            &self.clock,
            &self.token_url,
            partner,
        )
        .await
        .map(|(token, _)| token)
    }

    async fn customer_credentials(&self, tenant: &TenantId) -> Result<ClientCredentials, Error> {
        self.credentials
            .credentials_for(tenant)
            .await?
            .ok_or_else(|| {
                Error::config(format!(
                    "no SmartRecruiters client credentials for tenant `{tenant}` (api_keys)"
                ))
            })
    }
}

fn error_response(status: StatusCode, message: String) -> InboundResponse {
    InboundResponse::json(status, &ErrorBody { message })
        .unwrap_or_else(|_| InboundResponse::empty(status))
}

#[async_trait]
impl AtsProvider for SmartRecruiters {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::BearerToken,
            packages: PackageDelivery::Served,
            orders: OrderDelivery::Call,
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

    fn missing_configuration(&self) -> Vec<String> {
        if self.partner.is_some() {
            Vec::new()
        } else {
            vec!["partner_credentials (SmartRecruiters' master client id and secret): customers cannot be connected (no partner-level token)".into()]
        }
    }

    fn route(&self, request: &InboundRequest) -> Result<&'static str, Error> {
        let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
        let (op, expected) = match segments.as_slice() {
            [.., "packages"] => (LIST_PACKAGES, Method::GET),
            [.., "packages", "orders"] => (ORDER_PACKAGE, Method::POST),
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
            LIST_PACKAGES => Ok(InboundEvent::PackagesRequested(
                translate::packages_request(),
            )),
            ORDER_PACKAGE => Ok(InboundEvent::OrderReceived(Box::new(
                translate::order_to_core(&request.body, request.received_at)?,
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
            (LIST_PACKAGES, VendorReply::Packages { packages }) => {
                InboundResponse::json(StatusCode::OK, &translate::package_list(packages))
            }
            (ORDER_PACKAGE, VendorReply::Accepted(a)) => InboundResponse::json(
                StatusCode::OK,
                &OrderResponse {
                    partner_order_id: a.vendor_assessment_id.clone(),
                    assessment_url: a.candidate_url.as_ref().map(|u| u.to_string()),
                },
            ),
            (ORDER_PACKAGE, VendorReply::Rejected(r)) => {
                let status = match r.reason {
                    RejectReason::UnknownPackage => StatusCode::NOT_FOUND,
                    RejectReason::AlreadyAssessed => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                Ok(error_response(status, r.message.clone()))
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
            OutboundCall::SubmitResult { order, result } => {
                Ok(vec![client::update_results(&self.base_url, order, result)?])
            }
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (SmartRecruiters calls GET /packages)",
            )),
            _ => Err(Error::unsupported(PROVIDER, "this outbound call")),
        }
    }

    /// Writes the result. A `401` on the write (a token revoked before it
    /// expired) drops the cached token and tries once more with a new one;
    /// `attempts` counts the write's own HTTP attempts, not the token calls.
    async fn submit_result(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<Delivery, Error> {
        ats_core::provider::check_submission(self.name(), order, result)?;
        let request = client::update_results(&self.base_url, order, result)?;
        let tenant = order
            .tenant
            .as_ref()
            .ok_or_else(|| Error::config("the order has no tenant"))?;
        let credentials = self.customer_credentials(tenant).await?;
        let (token, _) = oauth::access_token(
            &self.http,
            &self.tokens,
            &self.clock,
            &self.token_url,
            &credentials,
        )
        .await?;
        let attempts = match client::send(&self.http, token, &request).await {
            Err(Error::ProviderRejected { status: 401, .. }) => {
                self.tokens.forget(&credentials.client_id);
                let (token, _) = oauth::access_token(
                    &self.http,
                    &self.tokens,
                    &self.clock,
                    &self.token_url,
                    &credentials,
                )
                .await?;
                1 + client::send(&self.http, token, &request).await?
            }
            other => other?,
        };
        Ok(Delivery {
            attempts,
            warnings: Vec::new(),
        })
    }
}
