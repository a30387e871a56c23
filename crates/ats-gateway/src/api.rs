//! The REST API the vendor's service calls: report results, read orders and
//! their delivery history, set packages, manage connections, read the
//! activity log, retry dead deliveries. Bearer key; errors as RFC 9457
//! problem details; described by the OpenAPI document at `/openapi.json`.

use std::collections::BTreeMap;
use std::sync::Arc;

use ats_core::codec::decode_json;
use ats_core::registry::ConnectionKey;
use ats_core::{AssessmentResult, AtsProvider, ErrorKind, PackageDelivery, Secret, TenantId};
use ats_server::RuntimeError;
use ats_store::{
    Activity, ActivityQuery, Flow, OrderFilter, OrderRecord, OutboxFilter, StoreError, order_key,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::gateway::{API_KEYS, Gateway, REJECTIONS};
use crate::vendor::PACKAGES;

/// An error, as RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened in this case.
    pub detail: String,
}

impl Problem {
    fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://ats-connect.dev/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                e.to_string(),
            )
        } else {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        }
    }
}

fn not_found(what: &str, id: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no {what} `{id}`"),
    )
}

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-body", detail)
}

/// A query string that does not fit the endpoint's parameters, as a problem
/// like any other (axum's own rejection is plain text).
fn bad_query(rejection: QueryRejection) -> Problem {
    invalid(rejection.body_text())
}

/// A body that could not be read (over the size limit, or broken off), as
/// a problem like any other.
fn unread_body(rejection: BytesRejection) -> Problem {
    let status = rejection.status();
    let kind = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "body-too-large"
    } else {
        "invalid-body"
    };
    Problem::new(status, kind, rejection.body_text())
}

/// A numeric id from the path: text that is not one names nothing.
fn numeric_id(what: &str, id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| not_found(what, id))
}

type ApiResult<T> = Result<T, Problem>;

async fn authenticate(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let token = match ats_core::auth::bearer_token(&headers) {
        Ok(t) => t,
        Err(e) => {
            return Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", e.to_string())
                .into_response();
        }
    };
    match gw.store().tenant_for_key(API_KEYS, &token).await {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) => Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "unknown API key",
        )
        .into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The REST API's routes, behind the Bearer key, and `/openapi.json`.
pub fn router(gw: Gateway) -> Router {
    let api = Router::new()
        .route("/api/v1/orders", get(list_orders))
        .route("/api/v1/orders/{id}", get(get_order))
        .route("/api/v1/orders/{id}/result", post(report_result))
        .route("/api/v1/packages", put(set_default_packages))
        .route("/api/v1/connections", post(create_connection))
        .route(
            "/api/v1/connections/{provider}/{tenant}",
            axum::routing::delete(delete_connection),
        )
        .route(
            "/api/v1/connections/{provider}/{tenant}/packages",
            put(set_packages),
        )
        .route(
            "/api/v1/connections/{provider}/{tenant}/authorize",
            post(authorize_oauth),
        )
        .route("/api/v1/activity", get(activity))
        .route("/api/v1/outbox/{id}/retry", post(retry_outbox))
        .route("/api/v1/events/{id}/retry", post(retry_event))
        .route_layer(middleware::from_fn_with_state(gw.clone(), authenticate));
    api.route("/openapi.json", get(openapi))
        .route("/oauth/{provider}/callback", get(oauth_callback))
        .route("/oauth/{provider}/connect", get(oauth_connect))
        .route("/rejections/{token}", get(rejection_page))
        .with_state(gw)
}

/// The OpenAPI document of the REST API.
#[derive(OpenApi)]
#[openapi(
    info(title = "ats-connect gateway", description = "The vendor's REST API of the self-hosted assessment gateway."),
    paths(list_orders, get_order, report_result, set_default_packages, set_packages, create_connection, delete_connection, authorize_oauth, activity, retry_outbox, retry_event),
    components(schemas(Problem, Reported, OrderView, ConnectionRequest, ConnectionCreated, OAuthAuthorization, Retried)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document as pretty JSON (what `docs/openapi.json` holds).
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}

/// A result accepted for delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reported {
    /// The outbox item that delivers it.
    pub outbox_item_id: i64,
    /// The order's status now.
    pub status: String,
}

/// An order, its deliveries and its events.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// The vendor's assessment id.
    pub vendor_assessment_id: Option<String>,
    /// The adapter it came through.
    pub provider: String,
    /// The customer connection.
    pub tenant: Option<String>,
    /// The provider's order id.
    pub provider_order_id: Option<String>,
    /// The last status reported (`invited` at acceptance).
    pub status: String,
    /// The handle results are written back with (core `OrderHandle`).
    #[schema(value_type = Object)]
    pub handle: Value,
    /// When it was accepted (RFC 3339).
    pub created_at: String,
    /// The last result reported.
    #[schema(value_type = Object)]
    pub last_result: Option<Value>,
    /// Each result written back: state, attempts, last error.
    #[schema(value_type = Vec<Object>)]
    pub deliveries: Vec<Value>,
    /// The events sent to the vendor about it.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

fn summary(o: &OrderRecord) -> OrderView {
    OrderView {
        vendor_assessment_id: o.handle.vendor_assessment_id.clone(),
        provider: o.handle.provider.clone(),
        tenant: o.handle.tenant.as_ref().map(|t| t.as_str().to_owned()),
        provider_order_id: o.handle.provider_order_id.clone(),
        status: o.status.clone(),
        handle: serde_json::to_value(&o.handle).unwrap_or_default(),
        created_at: o.created_at.to_rfc3339(),
        last_result: o
            .last_result
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok()),
        deliveries: Vec::new(),
        events: Vec::new(),
    }
}

async fn find_order(gw: &Gateway, id: &str) -> ApiResult<OrderRecord> {
    gw.store()
        .order_by_vendor_id(None, id)
        .await?
        .ok_or_else(|| not_found("order", id))
}

/// Filters of `GET /api/v1/orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Only this provider.
    provider: Option<String>,
    /// Only this tenant.
    tenant: Option<String>,
    /// Only this status (`invited`, `completed`…).
    status: Option<String>,
    /// At most this many (default 100).
    limit: Option<u32>,
}

/// Lists orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", params(OrdersQuery),
    responses((status = 200, body = Vec<OrderView>), (status = 401, body = Problem)))]
async fn list_orders(
    State(gw): State<Gateway>,
    q: Result<Query<OrdersQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q.map_err(bad_query)?;
    let orders = gw
        .store()
        .orders(&OrderFilter {
            provider: q.provider,
            tenant: q.tenant,
            status: q.status,
            limit: q.limit,
        })
        .await?;
    let views: Vec<OrderView> = orders.iter().map(summary).collect();
    Ok(axum::Json(views).into_response())
}

/// An order with its delivery history.
#[utoipa::path(get, path = "/api/v1/orders/{id}",
    params(("id" = String, Path, description = "the vendor's assessment id")),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
async fn get_order(State(gw): State<Gateway>, Path(id): Path<String>) -> ApiResult<Response> {
    let order = find_order(&gw, &id).await?;
    let mut view = summary(&order);
    let items = gw
        .store()
        .outbox_items(&OutboxFilter {
            order_id: Some(order.id),
            ..OutboxFilter::default()
        })
        .await?;
    view.deliveries = items
        .iter()
        .rev()
        .filter_map(|i| serde_json::to_value(i).ok())
        .collect();
    let key = order_key(&order.handle).ok();
    if let Some(key) = key {
        view.events = gw
            .store()
            .vendor_events(Some(&key), 100)
            .await?
            .iter()
            .filter_map(|e| serde_json::to_value(e).ok())
            .collect();
    }
    Ok(axum::Json(view).into_response())
}

/// Reports a status or result for an order: stored, then delivered to the
/// provider by the outbox (202). A result the order's provider can never
/// take as it is is refused at once: 422 `result-incomplete` when it lacks
/// what the provider requires (a completed result without the report URL),
/// 422 `result-invalid` when it holds what no provider may be sent (a link
/// that is not http or https, more items than a result may hold), each
/// saying which field;
/// a status the provider has no place for is accepted and skipped, with a
/// warning in the activity log.
#[utoipa::path(post, path = "/api/v1/orders/{id}/result",
    params(("id" = String, Path, description = "the vendor's assessment id")),
    request_body(content = Object, description = "a core AssessmentResult: {\"status\": \"completed\", \"score\": {\"value\": 81, \"max\": 100}, \"report_url\": …}"),
    responses((status = 202, body = Reported), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 500, body = Problem, description = "the order can never be delivered as it is (its provider is not configured)"),
        (status = 503, body = Problem, description = "the database is unreachable: report again later")))]
async fn report_result(
    State(gw): State<Gateway>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(unread_body)?;
    let result: AssessmentResult = decode_json(&body).map_err(|e| invalid(e.to_string()))?;
    let order = find_order(&gw, &id).await?;
    let item = gw
        .runtime
        .report(&order.handle, &result)
        .await
        .map_err(|e| match e {
            RuntimeError::Refused(e) if e.kind() == ErrorKind::IncompleteResult => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "result-incomplete",
                e.to_string(),
            ),
            RuntimeError::Refused(e) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "result-invalid",
                e.to_string(),
            ),
            RuntimeError::Store(e) => Problem::from(e),
            // passing failures only: asking again cannot mend the others
            // (the order's provider no longer configured)
            e if e.is_retryable() => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                e.to_string(),
            ),
            e => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        })?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Reported {
            outbox_item_id: item,
            status: result.status.as_str().to_owned(),
        }),
    )
        .into_response())
}

fn packages_of(body: &[u8]) -> ApiResult<Vec<ats_core::Package>> {
    let packages: Vec<ats_core::Package> = decode_json(body).map_err(|e| invalid(e.to_string()))?;
    // a package a provider would list but could never order is refused
    // here, not at the provider's next request
    ats_core::codec::check_packages(&packages).map_err(|e| invalid(e.to_string()))?;
    Ok(packages)
}

/// Sets the catalogue every tenant is offered unless it has its own.
#[utoipa::path(put, path = "/api/v1/packages",
    request_body(content = Vec<Object>, description = "core Packages: [{\"id\", \"name\", \"description\", \"kind\"}]"),
    responses((status = 204), (status = 422, body = Problem)))]
async fn set_default_packages(
    State(gw): State<Gateway>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(unread_body)?;
    let packages = packages_of(&body)?;
    let text = serde_json::to_string(&packages).map_err(|e| invalid(e.to_string()))?;
    gw.store()
        .put_setting("*", &TenantId::new("*"), PACKAGES, "list", &text)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sets one connection's packages: served to providers that ask for them,
/// published to providers that take them pushed.
#[utoipa::path(put, path = "/api/v1/connections/{provider}/{tenant}/packages",
    params(("provider" = String, Path), ("tenant" = String, Path)),
    request_body(content = Vec<Object>, description = "core Packages"),
    responses((status = 204), (status = 404, body = Problem), (status = 502, body = Problem)))]
async fn set_packages(
    State(gw): State<Gateway>,
    Path((provider, tenant)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(unread_body)?;
    let adapter = gw
        .runtime
        .adapter(&provider)
        .cloned()
        .ok_or_else(|| not_found("provider", &provider))?;
    let packages = packages_of(&body)?;
    let text = serde_json::to_string(&packages).map_err(|e| invalid(e.to_string()))?;
    let tenant = TenantId::new(tenant);
    gw.store()
        .put_setting(&provider, &tenant, PACKAGES, "list", &text)
        .await?;
    if adapter.capabilities().packages == PackageDelivery::Pushed {
        adapter
            .publish_packages(&tenant, &packages)
            .await
            .map_err(|e| {
                Problem::new(StatusCode::BAD_GATEWAY, "provider-refused", e.to_string())
            })?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A new customer connection.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConnectionRequest {
    /// The adapter (`greenhouse`, `ashby`, `kombo`…).
    pub provider: String,
    /// The tenant: your name for the customer (partner APIs), or the
    /// aggregator's integration / account id (Kombo, StackOne, Knit).
    pub tenant: String,
    /// The customer's own API key for the provider (Ashby).
    pub api_key: Option<String>,
    /// The token the provider issued for result callbacks (Workable).
    pub callback_token: Option<String>,
    /// The key the provider minted for the customer, for providers that
    /// present a key the vendor did not issue (Teamtailor).
    pub key: Option<String>,
    /// Any other per-customer secret an adapter declares, by name
    /// (`api_key` and `callback_token` may also be given here).
    pub secrets: Option<BTreeMap<String, String>>,
    /// Lever: the webhooks' signature tokens.
    pub signature_tokens: Option<Vec<String>>,
    /// Lever: trigger stage id → package id.
    pub trigger_stages: Option<BTreeMap<String, String>>,
    /// Lever: the user notes are written as.
    pub perform_as: Option<String>,
}

/// What the customer enters in their ATS.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionCreated {
    /// The adapter.
    pub provider: String,
    /// The tenant.
    pub tenant: String,
    /// The URL the provider calls.
    pub endpoint_url: String,
    /// The key issued to the customer (shown once), for providers that
    /// authenticate with one.
    pub issued_key: Option<String>,
    /// What to do with them.
    pub instructions: String,
}

/// Creates (or replaces) a customer connection.
#[utoipa::path(post, path = "/api/v1/connections", request_body = ConnectionRequest,
    responses((status = 201, body = ConnectionCreated), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_connection(
    State(gw): State<Gateway>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(unread_body)?;
    let r: ConnectionRequest = decode_json(&body).map_err(|e| invalid(e.to_string()))?;
    if gw.runtime.adapter(&r.provider).is_none() {
        return Err(not_found("provider", &r.provider));
    }
    if r.tenant.trim().is_empty() || r.tenant.contains('/') {
        return Err(invalid("tenant: must be non-empty and contain no `/`"));
    }
    let tenant = TenantId::new(r.tenant.clone());
    let store = gw.store();
    let base = &gw.public_url;
    let Some(served) = gw.served(&r.provider) else {
        return Err(not_found("provider", &r.provider));
    };
    let given = |name: &str| {
        r.secrets
            .as_ref()
            .and_then(|m| m.get(name))
            .or(match name {
                "api_key" => r.api_key.as_ref(),
                "callback_token" => r.callback_token.as_ref(),
                _ => None,
            })
            .filter(|s| !s.trim().is_empty())
            .map(|s| Secret::new(s.trim()))
    };
    let (endpoint_url, issued_key, instructions) = match r.provider.as_str() {
        "lever" => {
            let Some(connections) = &gw.lever_connections else {
                return Err(not_found("provider", "lever"));
            };
            let c = lever_connection(&r);
            if c.signature_tokens.is_empty() {
                return Err(invalid("signature_tokens: required for lever"));
            }
            connections.put(&tenant, c).await?;
            (
                format!("{base}/lever/{}/webhook", r.tenant),
                None,
                "Add the webhook URL for candidateStageChange, candidateArchiveChange and candidateDeleted in Lever, and connect Lever through OAuth.".to_owned(),
            )
        }
        provider => {
            let shape = served.connection;
            let mut secrets = Vec::new();
            for s in shape.secrets {
                let value = given(s.name).ok_or_else(|| {
                    invalid(format!("{}: required for {provider} ({})", s.name, s.doc))
                })?;
                secrets.push((s.name, value));
            }
            let minted = match shape.key {
                ConnectionKey::Given => Some(
                    r.key
                        .as_deref()
                        .filter(|k| !k.trim().is_empty())
                        .map(|k| Secret::new(k.trim()))
                        .ok_or_else(|| {
                            invalid(format!(
                                "key: required for {provider} (the key {provider} minted for the customer)"
                            ))
                        })?,
                ),
                ConnectionKey::Issued | ConnectionKey::None => None,
            };
            for (name, value) in &secrets {
                store.put_secret(provider, &tenant, name, value).await?;
            }
            let key = match (shape.key, minted) {
                (ConnectionKey::Issued, _) => Some(
                    store
                        .issue_key(provider, &tenant)
                        .await?
                        .expose()
                        .to_owned(),
                ),
                (ConnectionKey::Given, Some(key)) => {
                    store.add_key(provider, &tenant, &key).await?;
                    None
                }
                _ => None,
            };
            (
                format!("{base}/{provider}{}", shape.endpoint),
                key,
                shape.instructions.to_owned(),
            )
        }
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(ConnectionCreated {
            provider: r.provider.clone(),
            tenant: r.tenant.clone(),
            endpoint_url,
            issued_key,
            instructions,
        }),
    )
        .into_response())
}

/// The page behind the report URL of an order the vendor rejected after
/// the provider was answered: the vendor's message, for the recruiter. The
/// token in the path is the only credential (random, 128 bits).
async fn rejection_page(State(gw): State<Gateway>, Path(token): Path<String>) -> Response {
    let text = |status: StatusCode, body: String| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
            .into_response()
    };
    match gw
        .store()
        .find_setting(REJECTIONS, REJECTIONS, &token)
        .await
    {
        Ok(Some((_, message))) => text(
            StatusCode::OK,
            format!("The assessment was not started.\n\n{message}\n"),
        ),
        Ok(None) => text(StatusCode::NOT_FOUND, "No such page.\n".into()),
        Err(e) => {
            tracing::error!(error = %e, "could not read a rejection page");
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                "This page cannot be shown right now.\n".into(),
            )
        }
    }
}

/// The setting kind of pending OAuth states (named by their digest).
const OAUTH_STATE: &str = "oauth_state";
/// How long an authorization URL can be used.
const OAUTH_STATE_TTL: chrono::Duration = chrono::Duration::minutes(15);

/// Where to send a customer's administrator to connect a provider whose
/// customers grant the vendor's app access through OAuth 2.0 (Lever, HiBob).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OAuthAuthorization {
    /// A link on the gateway that redirects to the provider's consent
    /// page: the one to e-mail or show the customer's administrator.
    pub connect_url: String,
    /// The provider's consent page, with a one-time `state` bound to the
    /// tenant.
    pub authorization_url: String,
    /// When the URL stops working (RFC 3339).
    pub expires_at: String,
    /// Where the provider sends the administrator back (the app's redirect
    /// URI).
    pub callback_url: String,
}

/// The gateway's callback for `provider`'s OAuth redirect: the default
/// redirect URI of its app, under the gateway's public URL.
pub fn oauth_callback_path(provider: &str) -> String {
    format!("/oauth/{provider}/callback")
}

fn oauth_connect_path(provider: &str) -> String {
    format!("/oauth/{provider}/connect")
}

/// The adapter called `provider` when its customers connect through OAuth.
fn oauth_adapter(gw: &Gateway, provider: &str) -> Option<Arc<dyn AtsProvider>> {
    gw.runtime
        .adapter(provider)
        .filter(|a| a.oauth().is_some())
        .cloned()
}

/// Starts connecting a customer's account with a provider that uses
/// OAuth 2.0 (Lever, HiBob): returns the URL to send the customer's
/// administrator to. When they grant access, the provider redirects to the
/// gateway's callback, which exchanges the code and stores the tokens
/// (sealed) for `tenant`. The URL works once, for 15 minutes.
#[utoipa::path(post, path = "/api/v1/connections/{provider}/{tenant}/authorize",
    params(("provider" = String, Path), ("tenant" = String, Path)),
    responses((status = 200, body = OAuthAuthorization), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn authorize_oauth(
    State(gw): State<Gateway>,
    Path((provider, tenant)): Path<(String, String)>,
) -> ApiResult<Response> {
    let adapter =
        oauth_adapter(&gw, &provider).ok_or_else(|| not_found("OAuth provider", &provider))?;
    let Some(tokens) = adapter.oauth() else {
        return Err(not_found("OAuth provider", &provider));
    };
    if tenant.trim().is_empty() {
        return Err(invalid("tenant: must be non-empty"));
    }
    let request = tokens.authorization_request().map_err(|e| {
        invalid(format!(
            "{provider}: {e} (set client_id and client_secret in [providers.{provider}])"
        ))
    })?;
    let expires_at = chrono::Utc::now() + OAUTH_STATE_TTL;
    gw.store()
        .put_setting(
            &provider,
            &TenantId::new(tenant),
            OAUTH_STATE,
            &state_digest(request.state.expose()),
            &expires_at.timestamp_millis().to_string(),
        )
        .await?;
    let connect_url = url::Url::parse_with_params(
        &format!("{}{}", gw.public_url, oauth_connect_path(&provider)),
        [("state", request.state.expose())],
    )
    .map_err(|e| invalid(format!("public_url: {e}")))?;
    Ok(axum::Json(OAuthAuthorization {
        connect_url: connect_url.to_string(),
        authorization_url: request.url.to_string(),
        expires_at: expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        callback_url: format!("{}{}", gw.public_url, oauth_callback_path(&provider)),
    })
    .into_response())
}

/// `GET /oauth/{provider}/connect?state=…`: while the authorization is
/// pending, a redirect to the provider's consent page for it; otherwise a
/// page saying to start again.
async fn oauth_connect(
    State(gw): State<Gateway>,
    Path(provider): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let page = |status: StatusCode, text: &str| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text.to_owned(),
        )
            .into_response()
    };
    let (Some(adapter), Some(state)) = (oauth_adapter(&gw, &provider), q.get("state")) else {
        return page(StatusCode::NOT_FOUND, "No such page.\n");
    };
    let Some(tokens) = adapter.oauth() else {
        return page(StatusCode::NOT_FOUND, "No such page.\n");
    };
    let pending = gw
        .store()
        .find_setting(&provider, OAUTH_STATE, &state_digest(state))
        .await;
    let live = match pending {
        Ok(Some((_, expires))) => expires
            .parse::<i64>()
            .is_ok_and(|ms| ms >= chrono::Utc::now().timestamp_millis()),
        Ok(None) => false,
        Err(e) => {
            tracing::error!(%provider, error = %e, "could not read a pending authorization");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "This link cannot be used right now. Try again in a minute.\n",
            );
        }
    };
    if !live {
        return page(
            StatusCode::GONE,
            "This link was used or has expired. Ask for a new one.\n",
        );
    }
    match tokens.authorization_url(state) {
        Ok(url) => axum::response::Redirect::to(url.as_str()).into_response(),
        Err(e) => page(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    }
}

/// A pending state is stored by digest: the database never holds a
/// `state` that would complete someone's authorization.
fn state_digest(state: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// The provider's redirect back (`?code&state` or
/// `?error&error_description&state`), in the administrator's browser: a
/// short plain-text page either way, and a row in the activity log.
async fn oauth_callback(
    State(gw): State<Gateway>,
    Path(provider): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let outcome = complete_oauth(&gw, &provider, &query).await;
    let (status, tenant, text) = match outcome {
        Ok((display, tenant)) => (
            StatusCode::OK,
            Some(tenant.clone()),
            format!("{display} is connected for `{tenant}`. You can close this window."),
        ),
        Err((status, tenant, text)) => (status, tenant, text),
    };
    if status != StatusCode::NOT_FOUND {
        let mut log = Activity::new(
            chrono::Utc::now(),
            Flow::Inbound,
            provider.as_str(),
            "oauth.callback",
        );
        log.tenant = tenant.map(|t| t.as_str().to_owned());
        log.http_status = Some(status.as_u16());
        log.ok = status.is_success();
        log.message = Some(text.clone());
        if !log.ok {
            log.error_kind = Some("oauth".into());
        }
        if let Err(e) = gw.store().record_activity(&log).await {
            tracing::error!(error = %e, "could not write the activity log");
        }
    }
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

type CallbackError = (StatusCode, Option<TenantId>, String);

async fn complete_oauth(
    gw: &Gateway,
    provider: &str,
    query: &str,
) -> Result<(&'static str, TenantId), CallbackError> {
    let fail =
        |status, tenant: Option<&TenantId>, text: &str| (status, tenant.cloned(), text.to_owned());
    let adapter = oauth_adapter(gw, provider);
    let Some(tokens) = adapter.as_deref().and_then(|a| a.oauth()) else {
        return Err(fail(
            StatusCode::NOT_FOUND,
            None,
            "No such provider is connected through OAuth here.",
        ));
    };
    let name = tokens.config().provider.display;
    let state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .filter(|s| !s.is_empty());
    let Some(state) = state else {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            None,
            &format!("This is not a {name} authorization response: it has no state."),
        ));
    };
    let (tenant, expires) = match gw
        .store()
        .take_setting(provider, OAUTH_STATE, &state_digest(&state))
        .await
    {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                None,
                &format!(
                    "This authorization is unknown or was already used. Start connecting {name} again."
                ),
            ));
        }
        Err(e) => {
            tracing::error!(%provider, error = %e, "could not read a pending authorization");
            return Err(fail(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                &format!(
                    "The authorization could not be checked right now. Start connecting {name} again."
                ),
            ));
        }
    };
    // expired from the millisecond after its deadline (`<=` here would
    // differ only at that one millisecond: an equivalent mutant)
    let expired = expires
        .parse::<i64>()
        .map_or(true, |ms| ms < chrono::Utc::now().timestamp_millis());
    if expired {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            Some(&tenant),
            &format!("This authorization expired. Start connecting {name} again."),
        ));
    }
    match tokens
        .complete_authorization(&tenant, query, &Secret::new(state))
        .await
    {
        Ok(_) => Ok((name, tenant)),
        Err(e @ ats_core::oauth::OAuthError::AuthorizationDenied { .. }) => Err(fail(
            StatusCode::BAD_REQUEST,
            Some(&tenant),
            &format!("{name} did not grant access: {e}"),
        )),
        Err(e) => {
            tracing::warn!(%provider, %tenant, error = %e, "authorization failed");
            Err(fail(
                StatusCode::BAD_GATEWAY,
                Some(&tenant),
                &format!("{name} could not be connected: {e}. Start connecting {name} again."),
            ))
        }
    }
}

fn lever_connection(r: &ConnectionRequest) -> ats_lever::LeverConnection {
    let mut c = ats_lever::LeverConnection::new();
    for t in r.signature_tokens.iter().flatten() {
        c = c.signature_token(t.clone());
    }
    for (stage, package) in r.trigger_stages.iter().flatten() {
        c = c.trigger_stage(stage.clone(), package.clone());
    }
    if let Some(user) = &r.perform_as {
        c = c.perform_as(user.clone());
    }
    c
}

/// Removes a connection: issued keys, stored credentials, Lever tokens.
#[utoipa::path(delete, path = "/api/v1/connections/{provider}/{tenant}",
    params(("provider" = String, Path), ("tenant" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_connection(
    State(gw): State<Gateway>,
    Path((provider, tenant)): Path<(String, String)>,
) -> ApiResult<Response> {
    if gw.runtime.adapter(&provider).is_none() {
        return Err(not_found("provider", &provider));
    }
    let tenant = TenantId::new(tenant);
    let store = gw.store();
    store.revoke_keys(&provider, &tenant).await?;
    for secret in gw
        .served(&provider)
        .iter()
        .flat_map(|s| s.connection.secrets)
    {
        store.delete_secret(&provider, &tenant, secret.name).await?;
    }
    if let (true, Some(c)) = (provider == "lever", &gw.lever_connections) {
        c.remove(&tenant).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Filters of `GET /api/v1/activity`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityParams {
    /// Only this tenant.
    tenant: Option<String>,
    /// Only this order.
    order: Option<String>,
    /// Only this provider.
    provider: Option<String>,
    /// Only failures.
    errors: Option<bool>,
    /// Only since this time (RFC 3339).
    since: Option<String>,
    /// At most this many (default 100).
    limit: Option<u32>,
}

/// The activity log, newest first.
#[utoipa::path(get, path = "/api/v1/activity", params(ActivityParams),
    responses((status = 200, body = Vec<Object>), (status = 422, body = Problem)))]
async fn activity(
    State(gw): State<Gateway>,
    q: Result<Query<ActivityParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q.map_err(bad_query)?;
    let since = q
        .since
        .as_deref()
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| invalid("since: expected an RFC 3339 time"))
        })
        .transpose()?;
    let rows = gw
        .store()
        .activity(&ActivityQuery {
            tenant: q.tenant,
            order_id: q.order,
            provider: q.provider,
            errors_only: q.errors.unwrap_or(false),
            since,
            limit: q.limit,
        })
        .await?;
    Ok(axum::Json(rows).into_response())
}

/// A dead item queued again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    /// Its id.
    pub id: i64,
}

/// Queues a dead result delivery again.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", params(("id" = i64, Path)),
    responses((status = 202, body = Retried), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn retry_outbox(State(gw): State<Gateway>, Path(id): Path<String>) -> ApiResult<Response> {
    let id = numeric_id("outbox item", &id)?;
    if gw.store().outbox_item(id).await?.is_none() {
        return Err(not_found("outbox item", &id.to_string()));
    }
    if !gw.store().retry_dead(id).await? {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "not-dead",
            format!("outbox item {id} is not dead"),
        ));
    }
    Ok((StatusCode::ACCEPTED, axum::Json(Retried { id })).into_response())
}

/// Queues a dead vendor event again.
#[utoipa::path(post, path = "/api/v1/events/{id}/retry", params(("id" = i64, Path)),
    responses((status = 202, body = Retried), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn retry_event(State(gw): State<Gateway>, Path(id): Path<String>) -> ApiResult<Response> {
    let id = numeric_id("event", &id)?;
    if gw.store().vendor_event(id).await?.is_none() {
        return Err(not_found("event", &id.to_string()));
    }
    if !gw.store().retry_dead_event(id).await? {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "not-dead",
            format!("event {id} is not dead"),
        ));
    }
    Ok((StatusCode::ACCEPTED, axum::Json(Retried { id })).into_response())
}
