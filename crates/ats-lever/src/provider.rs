//! [`Lever`]: the [`AtsProvider`] implementation.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use ats_core::Clock;
use ats_core::client::HttpClient;
use ats_core::codec::decode_json;
use ats_core::http::parse_base_url;
use ats_core::provider::{find_operation, reply_mismatch, unknown_operation};
use ats_core::replay::ReplayGuard;
use ats_core::{
    AssessmentOrder, AssessmentResult, AtsProvider, Capabilities, Delivery, Error, Inbound,
    InboundAuth, InboundEvent, InboundRequest, InboundResponse, Operation, OrderDelivery,
    OrderHandle, OutboundCall, PackageDelivery, PreparedRequest, ResultDelivery, Secret, TenantId,
    VendorReply,
};
use http::{Method, StatusCode};
use url::Url;

use crate::auth;
use crate::builder::{ConnectionStore, LeverConnection, WebhookPath};
use crate::client::{self, Sent};
use crate::oauth::{self, AuthorizationRequest, IdleRefresh, OAuthError, TokenManager, TokenSet};
use crate::translate::{
    self, CANDIDATE_ARCHIVE_CHANGE, CANDIDATE_STAGE_CHANGE, CTX_STAGE_ID, NoteScore, PROVIDER,
};
use crate::wire::{
    CreateNote, DataEnvelope, ErrorBody, ListPage, Note, Opportunity, Posting, Stage, WebhookAnswer,
};

const OPERATIONS: &[Operation] = &[
    Operation::inbound(
        translate::CANDIDATE_STAGE_CHANGE,
        "webhook: an opportunity changed stage; a move into a trigger stage is an order (details fetched from the API)",
    ),
    Operation::inbound(
        translate::CANDIDATE_ARCHIVE_CHANGE,
        "webhook: an opportunity was archived (cancels its order) or unarchived (ignored)",
    ),
    Operation::inbound(
        translate::CANDIDATE_DELETED,
        "webhook: an opportunity was deleted (cancels its order)",
    ),
    Operation::inbound(
        translate::CANDIDATE_HIRED,
        "webhook: a candidate was hired; also the settings page's test delivery (ignored)",
    ),
    Operation::inbound(
        translate::APPLICATION_CREATED,
        "webhook: an application was created (ignored)",
    ),
    Operation::inbound(
        translate::INTERVIEW_CREATED,
        "webhook (beta): an interview was created (ignored)",
    ),
    Operation::inbound(
        translate::INTERVIEW_UPDATED,
        "webhook (beta): an interview was updated (ignored)",
    ),
    Operation::inbound(
        translate::INTERVIEW_DELETED,
        "webhook (beta): an interview was deleted (ignored)",
    ),
    Operation::inbound(
        translate::CONTACT_CREATED,
        "webhook: a contact was created (ignored)",
    ),
    Operation::inbound(
        translate::CONTACT_UPDATED,
        "webhook: a contact was updated (ignored)",
    ),
    Operation::outbound(
        client::ADD_TAGS,
        "POST /opportunities/:id/addTags: the new status tag (and grade tag)",
    ),
    Operation::outbound(
        client::REMOVE_TAGS,
        "POST /opportunities/:id/removeTags: the vendor's other status tags; for a graded result, its earlier grade tags (after GET /opportunities/:id)",
    ),
    Operation::outbound(
        client::CREATE_NOTE,
        "POST /opportunities/:id/notes: the result summary (final statuses)",
    ),
];

/// Lever (OAuth 2.0, webhooks, notes and tags), vendor side.
///
/// * **Inbound**: `POST <webhook path>` (default `/lever/{tenant}/webhook`),
///   routed by the body's `event`. `receive` verifies the signature, the
///   freshness and (last) that the delivery's `token` is new; for a stage
///   change into a trigger stage it fetches the opportunity and its posting
///   and checks the opportunity is still in that stage, not anonymized or
///   archived, and has an e-mail address (else the delivery is `Ignored`
///   with the reason). Archive and delete events are confirmed against the
///   opportunity before they cancel. When the vendor then fails on the
///   delivery, `forget_delivery` (called by `ats_core::serve::handle`)
///   forgets its token, so Lever's redelivery is accepted.
/// * **Outbound**: `submit_result` adds the status tag (and grade tag),
///   removes the vendor's other status tags (and, for a graded result, the
///   grade tags of earlier results, read from the opportunity), and for
///   final statuses posts a note with the result.
/// * **OAuth**: [`Lever::authorization_url`],
///   [`Lever::complete_authorization`], and access tokens per tenant in a
///   [`TokenStore`](crate::oauth::TokenStore), refreshed single-flight.
#[derive(Debug, Clone)]
pub struct Lever {
    pub(crate) api_base: Url,
    pub(crate) connections: Arc<dyn ConnectionStore>,
    pub(crate) tokens: Arc<TokenManager>,
    pub(crate) http: HttpClient,
    pub(crate) regions: Arc<Regions>,
    pub(crate) webhook_path: WebhookPath,
    pub(crate) tag_prefix: String,
    pub(crate) notify_followers: bool,
    pub(crate) note_secret: bool,
    pub(crate) note_score: NoteScore,
    pub(crate) clock: Clock,
    pub(crate) max_age: Duration,
    pub(crate) max_future_skew: Duration,
    pub(crate) replay: Arc<ReplayGuard>,
}

/// The API bases learned per tenant from Lever's redirects to another
/// region, while the adapter runs (durably: see
/// [`ConnectionStore::remember_api_base`]).
#[derive(Debug, Default)]
pub(crate) struct Regions {
    learned: RwLock<HashMap<TenantId, Url>>,
    /// Origins trusted for redirects besides Lever's hosts (tests only).
    pub(crate) extra_trusted: Vec<url::Origin>,
}

impl Lever {
    /// The API base `tenant`'s calls go to: the region learned from a
    /// redirect, else the connection's `api_base` (when it is a Lever host
    /// or the adapter's own API origin), else the adapter's API base.
    pub fn api_base_for(&self, tenant: &TenantId) -> Url {
        if let Some(url) = self
            .regions
            .learned
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
        {
            return url.clone();
        }
        let configured = self
            .connections
            .connection(tenant)
            .and_then(|c| c.api_base)
            .filter(|text| !text.trim().is_empty());
        if let Some(text) = configured {
            match parse_base_url("API base URL", &text) {
                Ok(url) if self.trusted(&self.api_base, &url) => return url,
                _ => tracing::warn!(
                    provider = PROVIDER,
                    %tenant,
                    "the connection's API base is not a Lever host; the adapter's is used"
                ),
            }
        }
        self.api_base.clone()
    }

    fn trusted(&self, from: &Url, to: &Url) -> bool {
        client::trusted_redirect(from, to) || self.regions.extra_trusted.contains(&to.origin())
    }

    /// Sends a request built on the adapter's API base to `tenant`'s
    /// region, following Lever's redirects to its own hosts; a redirect
    /// that reveals another region's base is remembered for the tenant.
    async fn send(&self, tenant: &TenantId, request: &PreparedRequest) -> Result<Sent, Error> {
        let base = self.api_base_for(tenant);
        let moved;
        let request = match client::rebase(&request.url, &self.api_base, &base) {
            Some(url) if url != request.url => {
                let mut r = request.clone();
                r.url = url;
                moved = r;
                &moved
            }
            _ => request,
        };
        let trust = |from: &Url, to: &Url| self.trusted(from, to);
        let sent = client::send(&self.http, &self.tokens, tenant, request, &trust).await?;
        if sent.answered != request.url
            && let Some(region) = client::learned_base(&base, &request.url, &sent.answered)
            && region != base
        {
            tracing::info!(
                provider = PROVIDER,
                %tenant,
                api_base = %region,
                "Lever serves this account from another region; later calls go there"
            );
            self.regions
                .learned
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(tenant.clone(), region.clone());
            self.connections.remember_api_base(tenant, &region);
        }
        Ok(sent)
    }

    /// A builder.
    pub fn builder() -> crate::LeverBuilder {
        crate::LeverBuilder::new()
    }

    /// The webhook path to register with Lever for `tenant` (prefix it with
    /// the vendor's `https://` host).
    pub fn webhook_path_for(&self, tenant: &TenantId) -> String {
        self.webhook_path.for_tenant(tenant)
    }

    /// An authorization URL with a fresh random `state`: send the
    /// customer's Super Admin there and keep the state for
    /// [`Lever::complete_authorization`].
    pub fn authorization_url(&self) -> Result<AuthorizationRequest, OAuthError> {
        let state = oauth::random_state();
        let url = self.tokens.authorization_url(&state)?;
        Ok(AuthorizationRequest {
            url,
            state: Secret::new(state),
        })
    }

    /// The authorization URL for a `state` the caller generated.
    pub fn authorization_url_with_state(&self, state: &str) -> Result<Url, OAuthError> {
        self.tokens.authorization_url(state)
    }

    /// Handles Lever's redirect back to the app: checks `state` (constant
    /// time), refuses an `error` redirect, exchanges the code and stores
    /// the tokens for `tenant`.
    pub async fn complete_authorization(
        &self,
        tenant: &TenantId,
        callback_query: &str,
        expected_state: &Secret,
    ) -> Result<TokenSet, OAuthError> {
        let code = oauth::parse_callback(callback_query, expected_state)?;
        self.tokens.exchange_code(tenant, &code).await
    }

    /// Exchanges an authorization code (already checked against its state)
    /// and stores the tokens for `tenant`.
    pub async fn exchange_code(
        &self,
        tenant: &TenantId,
        code: &str,
    ) -> Result<TokenSet, OAuthError> {
        self.tokens.exchange_code(tenant, code).await
    }

    /// A valid access token for `tenant`, refreshed first if it expires
    /// within the refresh margin.
    pub async fn access_token(&self, tenant: &TenantId) -> Result<Secret, OAuthError> {
        Ok(self.tokens.access_token(tenant).await?.token)
    }

    /// Refreshes the tokens of every connection (as listed by the
    /// [`ConnectionStore`]) that has not been refreshed for `older_than`,
    /// one tenant after the other, and says what happened to each.
    ///
    /// Lever refresh tokens expire after 90 days unused: a connection that
    /// sees no traffic must be refreshed before then. Call this from a
    /// scheduler, e.g. daily with `older_than` of 30 days. The last
    /// refresh is read from the stored access token's expiry, so a tenant
    /// is refreshed at most one token lifetime (an hour) later than
    /// `older_than` says. Refreshes are single-flight with every other
    /// caller of the tenant's tokens, and rotate the refresh token like any
    /// other. Fails only when the store cannot list its tenants (use
    /// [`refresh_idle_tenants`](Self::refresh_idle_tenants) then).
    pub async fn refresh_idle(
        &self,
        older_than: Duration,
    ) -> Result<Vec<(TenantId, IdleRefresh)>, Error> {
        let tenants = self.connections.tenants().ok_or_else(|| {
            Error::config(
                "the Lever connection store cannot list its tenants; pass them to refresh_idle_tenants",
            )
        })?;
        Ok(self.refresh_idle_tenants(tenants, older_than).await)
    }

    /// [`refresh_idle`](Self::refresh_idle) for the given tenants.
    pub async fn refresh_idle_tenants(
        &self,
        tenants: impl IntoIterator<Item = TenantId>,
        older_than: Duration,
    ) -> Vec<(TenantId, IdleRefresh)> {
        let mut outcomes = Vec::new();
        for tenant in tenants {
            let outcome = self.tokens.refresh_if_idle(&tenant, older_than).await;
            outcomes.push((tenant, outcome));
        }
        outcomes
    }

    /// Forgets `tenant`'s tokens. Lever has no revocation endpoint: delete
    /// the webhooks created for the connection first, and ask the customer
    /// to remove the app in Lever's settings.
    pub async fn disconnect(&self, tenant: &TenantId) -> Result<(), Error> {
        self.tokens.store().remove(tenant).await
    }

    /// Every pipeline stage of the tenant's account (`GET /stages`, all
    /// pages), to pick trigger stages from.
    pub async fn list_stages(&self, tenant: &TenantId) -> Result<Vec<Stage>, Error> {
        let mut stages = Vec::new();
        self.pages(
            tenant,
            |offset| client::list_stages(&self.api_base, offset),
            |page: Vec<Stage>| {
                stages.extend(page);
                false
            },
        )
        .await?;
        Ok(stages)
    }

    /// Reads a list page by page until `visit` says it has seen enough
    /// (then `true`) or the last page was read (`false`), with the HTTP
    /// requests it took. Lists an
    /// assessment reads hold tens of items; the bound of 100 pages only
    /// stops a misbehaving server from paging forever.
    async fn pages<T: serde::de::DeserializeOwned>(
        &self,
        tenant: &TenantId,
        request: impl Fn(Option<&str>) -> Result<PreparedRequest, Error>,
        mut visit: impl FnMut(Vec<T>) -> bool,
    ) -> Result<(bool, u32), Error> {
        let mut offset: Option<String> = None;
        let mut operation = String::new();
        let mut attempts = 0;
        for _ in 0..100 {
            let request = request(offset.as_deref())?;
            let sent = self.send(tenant, &request).await?;
            attempts += sent.attempts;
            let page: ListPage<T> = sent.reply.json()?;
            if visit(page.data) {
                return Ok((true, attempts));
            }
            match (page.has_next, page.next) {
                (Some(true), Some(next))
                    if !next.is_empty() && offset.as_deref() != Some(&next) =>
                {
                    offset = Some(next);
                }
                _ => return Ok((false, attempts)),
            }
            operation = format!("{} {}", request.method, request.url.path());
        }
        Err(Error::ProviderRejected {
            provider: PROVIDER.to_owned(),
            status: 200,
            code: None,
            message: format!("{operation} did not stop paging after 100 pages"),
        })
    }

    /// Whether the opportunity already has a note holding exactly `value`
    /// (the note an earlier, interrupted delivery of the same result
    /// wrote), with the HTTP requests the look-up took.
    async fn note_written(
        &self,
        tenant: &TenantId,
        opportunity: &str,
        value: &str,
    ) -> Result<(bool, u32), Error> {
        self.pages(
            tenant,
            |offset| client::list_notes(&self.api_base, opportunity, offset),
            |page: Vec<Note>| page.iter().any(|n| n.holds(value)),
        )
        .await
    }

    /// For a graded result: reads the opportunity's tags and removes the
    /// prefix's grade tags other than the new one (an earlier result's),
    /// with the HTTP requests it took. Nothing is sent for a result without
    /// a grade.
    async fn remove_stale_grades(
        &self,
        tenant: &TenantId,
        order: &OrderHandle,
        result: &AssessmentResult,
        perform_as: Option<&str>,
    ) -> Result<u32, Error> {
        if result.grade.as_deref().is_none_or(|g| g.trim().is_empty()) {
            return Ok(0);
        }
        let opportunity = translate::target_opportunity(order)?;
        let read = client::get_opportunity_tags(&self.api_base, &opportunity)?;
        let sent = self.send(tenant, &read).await?;
        let mut attempts = sent.attempts;
        let current = decode_fetched::<Opportunity>("opportunity", &sent)?.tags;
        let stale = translate::stale_grade_tags(&self.tag_prefix, result, &current);
        if !stale.is_empty() {
            let remove = client::remove_tags(&self.api_base, &opportunity, perform_as, stale)?;
            attempts += self.send(tenant, &remove).await?.attempts;
        }
        Ok(attempts)
    }

    /// The tenant and `token` of a delivery whose signature and freshness
    /// verify for the connection its path names; `None` for anything else.
    fn verified_token(&self, request: &InboundRequest) -> Option<(TenantId, String)> {
        let tenant = self.webhook_path.tenant(&request.path)?;
        let connection = self.connections.connection(&tenant)?;
        let delivery = translate::decode_delivery(&request.body).ok()?;
        auth::verify_delivery(
            &tenant,
            &connection,
            &delivery,
            request,
            self.max_age,
            self.max_future_skew,
        )
        .ok()?;
        let token = delivery.envelope.token.filter(|t| !t.is_empty())?;
        Some((tenant, token))
    }

    fn connection(&self, tenant: Option<&TenantId>) -> Option<LeverConnection> {
        tenant.and_then(|t| self.connections.connection(t))
    }

    /// `GET /opportunities/:id`; `None` when Lever answers 404.
    async fn fetch_opportunity(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<Opportunity>, Error> {
        let request = client::get_opportunity(&self.api_base, id)?;
        match self.send(tenant, &request).await {
            Ok(sent) => Ok(Some(decode_fetched::<Opportunity>("opportunity", &sent)?)),
            Err(Error::ProviderRejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /postings/:id`; `None` when Lever answers 404.
    async fn fetch_posting(&self, tenant: &TenantId, id: &str) -> Result<Option<Posting>, Error> {
        let request = client::get_posting(&self.api_base, id)?;
        match self.send(tenant, &request).await {
            Ok(sent) => Ok(Some(decode_fetched::<Posting>("posting", &sent)?)),
            Err(Error::ProviderRejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Confirms an order against Lever's API and completes it, or says why
    /// it must be ignored.
    async fn enrich(
        &self,
        tenant: &TenantId,
        mut order: Box<AssessmentOrder>,
    ) -> Result<InboundEvent, Error> {
        let opportunity_id = order.provider_order_id.clone().unwrap_or_default();
        let stage = order
            .context
            .get(CTX_STAGE_ID)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(opportunity) = self.fetch_opportunity(tenant, &opportunity_id).await? else {
            return Ok(translate::ignored_delivery(
                CANDIDATE_STAGE_CHANGE,
                "the opportunity no longer exists",
                &order.raw,
            ));
        };
        if let Some(reason) = translate::order_blocker(&opportunity, &stage) {
            return Ok(translate::ignored_delivery(
                CANDIDATE_STAGE_CHANGE,
                &reason,
                &order.raw,
            ));
        }
        let posting = match translate::posting_id(&opportunity) {
            Some(id) => self.fetch_posting(tenant, id).await?,
            None => None,
        };
        translate::enrich_order(&mut order, &opportunity, posting.as_ref());
        Ok(InboundEvent::OrderReceived(order))
    }

    /// Confirms a cancellation against the opportunity: it goes ahead when
    /// the opportunity is gone (404) or, for an archive event, archived; for
    /// a delete event, when Lever marks it deleted.
    async fn confirm_cancellation(
        &self,
        tenant: &TenantId,
        operation: &'static str,
        event: InboundEvent,
    ) -> Result<InboundEvent, Error> {
        let InboundEvent::OrderCancelled(cancellation) = &event else {
            return Ok(event);
        };
        let id = cancellation
            .order
            .provider_order_id
            .clone()
            .unwrap_or_default();
        let Some(opportunity) = self.fetch_opportunity(tenant, &id).await? else {
            return Ok(event);
        };
        let confirmed = match operation {
            CANDIDATE_ARCHIVE_CHANGE => translate::is_archived(&opportunity),
            _ => opportunity.deleted_at.is_some(),
        };
        let reason = if operation == CANDIDATE_ARCHIVE_CHANGE {
            "the opportunity is not archived"
        } else {
            "the opportunity still exists"
        };
        if confirmed {
            Ok(event)
        } else {
            Ok(translate::ignored_delivery(
                operation,
                reason,
                &cancellation.raw,
            ))
        }
    }

    fn requests_for(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
        perform_as: Option<&str>,
    ) -> Result<Vec<PreparedRequest>, Error> {
        let opportunity = translate::target_opportunity(order)?;
        let mut requests = vec![
            client::add_tags(
                &self.api_base,
                &opportunity,
                perform_as,
                translate::tags_to_add(&self.tag_prefix, result),
            )?,
            client::remove_tags(
                &self.api_base,
                &opportunity,
                perform_as,
                translate::tags_to_remove(&self.tag_prefix, result.status),
            )?,
        ];
        if let Some(value) = translate::note_text(&self.tag_prefix, order, result) {
            let note = CreateNote {
                value,
                secret: self.note_secret.then_some(true),
                score: self.note_score.score_for(result),
                notify_followers: self.notify_followers.then_some(true),
                created_at: translate::note_created_at(result, self.clock.now()),
            };
            requests.push(client::create_note(
                &self.api_base,
                &opportunity,
                perform_as,
                &note,
            )?);
        }
        Ok(requests)
    }
}

/// Decodes `{"data": T}` from an enrichment call; a malformed answer names
/// the object and the field (`opportunity.data.emails`).
fn decode_fetched<T: serde::de::DeserializeOwned>(what: &str, sent: &Sent) -> Result<T, Error> {
    decode_json::<DataEnvelope<T>>(&sent.reply.body)
        .map(|e| e.data)
        .map_err(|e| match e {
            Error::Malformed { path, message } => Error::malformed(
                if path == "." {
                    what.to_owned()
                } else {
                    format!("{what}.{path}")
                },
                message,
            ),
            other => other,
        })
}

fn error_response(status: StatusCode, message: String) -> InboundResponse {
    InboundResponse::json(status, &ErrorBody { error: message })
        .unwrap_or_else(|_| InboundResponse::empty(status))
}

fn answer(status: &str) -> WebhookAnswer {
    WebhookAnswer {
        status: status.to_owned(),
        assessment_id: None,
        reason: None,
        message: None,
    }
}

#[async_trait]
impl AtsProvider for Lever {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn oauth(&self) -> Option<&ats_core::oauth::TokenManager> {
        Some(&self.tokens)
    }

    fn missing_configuration(&self) -> Vec<String> {
        if self.tokens.has_app() {
            Vec::new()
        } else {
            vec!["oauth_app (client id, client secret, redirect URI): customers cannot connect Lever, and tokens cannot be refreshed".into()]
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            inbound_auth: InboundAuth::BodySignature { field: "signature" },
            packages: PackageDelivery::Configured,
            orders: OrderDelivery::Webhook,
            reject_with_message: false,
            cancellation: true,
            status_queries: false,
            results: ResultDelivery::NoteAndTags,
            open_orders: false,
            oauth: true,
        }
    }

    fn operations(&self) -> &'static [Operation] {
        OPERATIONS
    }

    fn route(&self, request: &InboundRequest) -> Result<&'static str, Error> {
        if request.method != Method::POST || self.webhook_path.tenant(&request.path).is_none() {
            return Err(unknown_operation(
                PROVIDER,
                format!("{} {}", request.method, request.path),
            ));
        }
        let delivery: crate::wire::WebhookDelivery = decode_json(&request.body)?;
        let event = ats_core::codec::required(delivery.event.as_deref(), "event")?;
        translate::EVENTS
            .iter()
            .copied()
            .find(|e| *e == event)
            .ok_or_else(|| unknown_operation(PROVIDER, format!("webhook event `{event}`")))
    }

    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error> {
        if find_operation(OPERATIONS, operation)
            .is_none_or(|o| o.direction != ats_core::Direction::Inbound)
        {
            return Err(unknown_operation(PROVIDER, operation));
        }
        let tenant = self.webhook_path.tenant(&request.path);
        let connection = self.connection(tenant.as_ref());
        translate::webhook_to_event(
            operation,
            &request.body,
            connection.as_ref().map(|c| &c.stages),
        )
    }

    async fn authenticate(
        &self,
        _operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error> {
        let tenant = self
            .webhook_path
            .tenant(&request.path)
            .ok_or_else(|| Error::unauthenticated("the webhook path names no connection"))?;
        let connection = self
            .connections
            .connection(&tenant)
            .ok_or_else(|| Error::unauthenticated(format!("no Lever connection `{tenant}`")))?;
        let delivery = translate::decode_delivery(&request.body)?;
        auth::verify_delivery(
            &tenant,
            &connection,
            &delivery,
            request,
            self.max_age,
            self.max_future_skew,
        )?;
        Ok(Some(tenant))
    }

    async fn receive(&self, request: &InboundRequest) -> Result<Inbound, Error> {
        let operation = self.route(request)?;
        let tenant = self
            .authenticate(operation, request)
            .await?
            .ok_or_else(|| Error::unauthenticated("no tenant"))?;
        // A repeat is refused before any API look-up; the token is
        // recorded only once the delivery was handled (below).
        let delivery = translate::decode_delivery(&request.body)?;
        let token = delivery.envelope.token.as_deref().unwrap_or_default();
        self.replay
            .check_unseen(token, delivery.sent_at, request.received_at)
            .await?;
        let mut event = self.translate(operation, request)?;
        event = match event {
            InboundEvent::OrderReceived(order) => self.enrich(&tenant, order).await?,
            cancelled @ InboundEvent::OrderCancelled(_) => {
                self.confirm_cancellation(&tenant, operation, cancelled)
                    .await?
            }
            other => other,
        };
        // Only now is the token recorded: a delivery that failed above (a
        // Lever API outage) can be retried by Lever with the same token.
        self.replay
            .check_recorded(token, delivery.sent_at, request.received_at)
            .await?;
        event.set_tenant(tenant);
        Ok(Inbound {
            operation: operation.to_owned(),
            event,
        })
    }

    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
        let Some(op) = find_operation(OPERATIONS, operation)
            .filter(|o| o.direction == ats_core::Direction::Inbound)
        else {
            return Err(unknown_operation(PROVIDER, operation));
        };
        let body = match reply {
            VendorReply::Acknowledged => answer("acknowledged"),
            VendorReply::Accepted(a) if op.name == CANDIDATE_STAGE_CHANGE => WebhookAnswer {
                assessment_id: Some(a.vendor_assessment_id.clone()),
                ..answer("accepted")
            },
            // Lever has nowhere to show a refusal: the delivery is
            // acknowledged (a retry would not change the answer) and the
            // reason is shown in Lever's webhook delivery history.
            VendorReply::Rejected(r) if op.name == CANDIDATE_STAGE_CHANGE => WebhookAnswer {
                reason: serde_json::to_value(r.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned)),
                message: Some(r.message.clone()),
                ..answer("rejected")
            },
            other => return Err(reply_mismatch(operation, other)),
        };
        InboundResponse::json(StatusCode::OK, &body)
    }

    /// The vendor could not handle a delivery `receive` accepted (it failed,
    /// or its answer could not be rendered): the delivery's `token` is
    /// forgotten by the replay guard, so Lever's redelivery of it is
    /// accepted instead of refused as a replay.
    ///
    /// Only the token of a delivery that still verifies (signature against
    /// the connection its path names, freshness) is forgotten; any other
    /// request (no connection, an unreadable body, no token, a bad
    /// signature) leaves the guard as it is.
    fn forget_delivery(&self, request: &InboundRequest) {
        if let Some((tenant, token)) = self.verified_token(request) {
            self.replay.forget(&token);
            tracing::debug!(
                provider = PROVIDER,
                %tenant,
                "delivery not handled; Lever may deliver it again"
            );
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
                let connection = self.connection(order.tenant.as_ref());
                let perform_as = connection.as_ref().and_then(|c| c.perform_as.as_deref());
                self.requests_for(order, result, perform_as)
            }
            OutboundCall::PublishPackages { .. } => Err(Error::unsupported(
                PROVIDER,
                "publishing packages (Lever has no package API: map trigger stages to packages per connection)",
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
            .ok_or_else(|| Error::config("the order has no tenant"))?;
        let connection = self.connections.connection(tenant);
        let perform_as = connection.as_ref().and_then(|c| c.perform_as.as_deref());
        // Tags first (safe to repeat), the note last: a failure before the
        // note leaves nothing that a retry of the whole call would duplicate.
        // The note itself is posted only if no note holds its text yet: a
        // delivery interrupted after Lever stored the note (a crash, a lost
        // answer) is repeated without a second note.
        let requests = self.requests_for(order, result, perform_as)?;
        let mut attempts = 0;
        let mut warnings = Vec::new();
        for request in &requests {
            if request.operation == client::CREATE_NOTE {
                let opportunity = translate::target_opportunity(order)?;
                let value = decode_json::<CreateNote>(&request.body)?.value;
                let (written, calls) = self.note_written(tenant, &opportunity, &value).await?;
                attempts += calls;
                if written {
                    warnings.push(
                        "the note was already on the opportunity (an earlier attempt wrote it); not posted again"
                            .to_owned(),
                    );
                    continue;
                }
            }
            let sent = self.send(tenant, request).await?;
            attempts += sent.attempts;
            if request.operation == client::REMOVE_TAGS {
                attempts += self
                    .remove_stale_grades(tenant, order, result, perform_as)
                    .await?;
            }
        }
        Ok(Delivery { attempts, warnings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{InMemoryConnections, LeverBuilder};
    use ats_core::AssessmentStatus;
    use serde_json::json;

    const OPP: &str = "6513270e-269e-4d37-b2a7-4de452e6b438";
    const USER: &str = "7f150524-34b9-45df-9e77-69b10f4205b4";

    fn lever() -> Lever {
        LeverBuilder::new()
            .connections(
                InMemoryConnections::new()
                    .with("acme", LeverConnection::new().perform_as(USER))
                    .with("globex", LeverConnection::new()),
            )
            .tag_prefix("Acme assessment")
            .build()
            .unwrap()
    }

    fn submit(tenant: &str, result: AssessmentResult) -> OutboundCall {
        OutboundCall::SubmitResult {
            order: Box::new(
                serde_json::from_value(json!({
                    "provider": "lever", "tenant": tenant, "provider_order_id": OPP,
                    "vendor_assessment_id": "asm_7Q2K9", "context": {"opportunity_id": OPP}
                }))
                .unwrap(),
            ),
            result: Box::new(result),
        }
    }

    /// `(operation, method, url, body, idempotent)` of each prepared request.
    fn summary(requests: &[PreparedRequest]) -> Vec<(String, String, String, String, bool)> {
        requests
            .iter()
            .map(|r| {
                (
                    r.operation.clone(),
                    r.method.to_string(),
                    r.url.to_string(),
                    String::from_utf8_lossy(&r.body).into_owned(),
                    r.idempotent,
                )
            })
            .collect()
    }

    #[test]
    fn prepare_builds_the_whole_write_in_order() {
        let lever = lever();
        let base = format!("https://api.lever.co/v1/opportunities/{OPP}");
        let others = r#"["Acme assessment: in progress","Acme assessment: completed","Acme assessment: cancelled","Acme assessment: expired","Acme assessment: error"]"#;
        let invited = lever
            .prepare(&submit(
                "acme",
                AssessmentResult::with_status(AssessmentStatus::Invited),
            ))
            .unwrap();
        assert_eq!(
            summary(&invited),
            [
                (
                    "addTags".to_owned(),
                    "POST".to_owned(),
                    format!("{base}/addTags?perform_as={USER}"),
                    r#"{"tags":["Acme assessment: invited"]}"#.to_owned(),
                    true
                ),
                (
                    "removeTags".to_owned(),
                    "POST".to_owned(),
                    format!("{base}/removeTags?perform_as={USER}"),
                    format!(r#"{{"tags":{others}}}"#),
                    true
                ),
            ]
        );

        // a final status adds the note, last and not idempotent; a
        // connection without `perform_as` writes without it
        let mut completed = AssessmentResult::with_status(AssessmentStatus::Completed);
        completed.grade = Some("B".into());
        let requests = lever.prepare(&submit("globex", completed)).unwrap();
        let got = summary(&requests);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(
            got[0],
            (
                "addTags".to_owned(),
                "POST".to_owned(),
                format!("{base}/addTags"),
                r#"{"tags":["Acme assessment: completed","Acme assessment: grade B"]}"#.to_owned(),
                true
            )
        );
        assert_eq!(got[1].0, "removeTags");
        assert_eq!(got[1].2, format!("{base}/removeTags"));
        assert_eq!(
            got[2],
            (
                "createNote".to_owned(),
                "POST".to_owned(),
                format!("{base}/notes"),
                r#"{"value":"Acme assessment: completed\nGrade: B\nRef: asm_7Q2K9"}"#.to_owned(),
                false
            )
        );
    }

    mod regions {
        use super::*;
        use crate::oauth::{InMemoryTokenStore, OAuthApp, TokenSet};
        use ats_core::{Clock, RetryConfig};
        use wiremock::matchers::{header, method, path, query_param};
        use wiremock::{Mock, MockServer, ResponseTemplate};

        const STAGES: &str = r#"{"data":[{"id":"36f675cc-81e7-4ef5-a8e2-5d940ed90475","text":"Skills Assessment"}],"hasNext":false}"#;

        fn regional(us: &MockServer, connections: Arc<InMemoryConnections>) -> Lever {
            let now: chrono::DateTime<chrono::Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
            LeverBuilder::new()
                .oauth_app(OAuthApp::new(
                    "id",
                    "secret",
                    "https://assess.example.com/cb",
                ))
                .api_base_url(format!("{}/v1", us.uri()))
                .token_url(format!("{}/oauth/token", us.uri()))
                .connection_store(connections)
                .tokens(InMemoryTokenStore::new().with(
                    "acme",
                    TokenSet::new(
                        "at-acme",
                        "rt-acme",
                        "2026-01-01T11:00:00Z".parse().unwrap(),
                    ),
                ))
                .retry(RetryConfig::fast(1))
                .clock(Clock::fixed(now))
                .build()
                .unwrap()
        }

        /// Lever's host for the account's region answers with the bearer
        /// token the first host never saw used there.
        async fn eu_serves_stages(eu: &MockServer, times: u64) {
            Mock::given(method("GET"))
                .and(path("/v1/stages"))
                .and(query_param("limit", "100"))
                .and(header("authorization", "Bearer at-acme"))
                .respond_with(ResponseTemplate::new(200).set_body_string(STAGES))
                .expect(times)
                .mount(eu)
                .await;
        }

        #[tokio::test]
        async fn follows_a_redirect_to_the_region_with_the_token_and_remembers_it() {
            let (us, eu) = (MockServer::start().await, MockServer::start().await);
            Mock::given(method("GET"))
                .and(path("/v1/stages"))
                .respond_with(
                    ResponseTemplate::new(301)
                        .insert_header("location", format!("{}/v1/stages?limit=100", eu.uri())),
                )
                .expect(1)
                .mount(&us)
                .await;
            eu_serves_stages(&eu, 2).await;
            let connections =
                Arc::new(InMemoryConnections::new().with("acme", LeverConnection::new()));
            let mut lever = regional(&us, Arc::clone(&connections));
            lever.regions = Arc::new(Regions {
                extra_trusted: vec![Url::parse(&eu.uri()).unwrap().origin()],
                ..Regions::default()
            });
            let acme = TenantId::new("acme");
            let first = lever.list_stages(&acme).await.unwrap();
            assert_eq!(first.len(), 1);
            assert_eq!(first[0].text.as_deref(), Some("Skills Assessment"));
            let eu_base = format!("{}/v1", eu.uri());
            assert_eq!(lever.api_base_for(&acme).as_str(), eu_base);
            assert_eq!(
                connections.connection(&acme).unwrap().api_base.as_deref(),
                Some(eu_base.as_str())
            );
            // the second call goes straight to the region (the first host
            // expects exactly one request)
            lever.list_stages(&acme).await.unwrap();

            // after a restart, the stored connection's base is used at once
            let mut restarted = regional(&us, Arc::clone(&connections));
            restarted.regions = Arc::new(Regions {
                extra_trusted: vec![Url::parse(&eu.uri()).unwrap().origin()],
                ..Regions::default()
            });
            assert_eq!(restarted.api_base_for(&acme).as_str(), eu_base);
        }

        #[tokio::test]
        async fn never_follows_a_redirect_to_another_host() {
            let (us, elsewhere) = (MockServer::start().await, MockServer::start().await);
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(307).insert_header(
                    "location",
                    format!("{}/v1/stages?limit=100", elsewhere.uri()),
                ))
                .expect(1)
                .mount(&us)
                .await;
            eu_serves_stages(&elsewhere, 0).await;
            let connections =
                Arc::new(InMemoryConnections::new().with("acme", LeverConnection::new()));
            let lever = regional(&us, Arc::clone(&connections));
            let acme = TenantId::new("acme");
            let e = lever.list_stages(&acme).await.unwrap_err();
            assert!(matches!(e, Error::UntrustedUrl { .. }), "{e:?}");
            assert_eq!(
                e.to_string(),
                format!(
                    "refusing to call {0}/v1/stages: lever redirected {1}/v1/stages there, which is not a trusted host; not followed",
                    elsewhere.uri(),
                    us.uri()
                )
            );
            assert_eq!(
                lever.api_base_for(&acme).as_str(),
                format!("{}/v1", us.uri())
            );
            assert_eq!(connections.connection(&acme).unwrap().api_base, None);
        }

        #[test]
        fn a_stored_base_off_levers_hosts_is_ignored() {
            let connections = Arc::new(InMemoryConnections::new().with(
                "acme",
                LeverConnection::new().api_base("https://api.example.com/v1"),
            ));
            let lever = LeverBuilder::new()
                .connection_store(connections.clone())
                .build()
                .unwrap();
            let acme = TenantId::new("acme");
            assert_eq!(
                lever.api_base_for(&acme).as_str(),
                "https://api.lever.co/v1"
            );
            connections.insert(
                acme.clone(),
                LeverConnection::new().api_base("https://api.eu.lever.co/v1"),
            );
            assert_eq!(
                lever.api_base_for(&acme).as_str(),
                "https://api.eu.lever.co/v1"
            );
        }
    }

    #[test]
    fn notes_carry_the_configured_score_secrecy_and_completion_date() {
        let now: chrono::DateTime<chrono::Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let lever = LeverBuilder::new()
            .connections(InMemoryConnections::new().with("globex", LeverConnection::new()))
            .tag_prefix("Acme assessment")
            .note_score(NoteScore::pass_fail(3, 2).grade("A", 4))
            .note_secret(true)
            .clock(ats_core::Clock::fixed(now))
            .build()
            .unwrap();
        let note = |result: AssessmentResult| {
            let requests = lever.prepare(&submit("globex", result)).unwrap();
            let last = requests.last().unwrap();
            assert_eq!(last.operation, "createNote");
            String::from_utf8_lossy(&last.body).into_owned()
        };
        let mut passed = AssessmentResult::with_status(AssessmentStatus::Completed);
        passed.passed = Some(true);
        passed.completed_at = Some("2025-12-31T16:00:00Z".parse().unwrap());
        assert_eq!(
            note(passed.clone()),
            r#"{"value":"Acme assessment: completed\nResult: passed\nFinished: 2025-12-31T16:00:00Z\nRef: asm_7Q2K9","secret":true,"score":3,"createdAt":1767196800000}"#
        );
        // the grade rule wins over pass/fail; a completion four minutes ago
        // is too recent to date the note with
        let mut graded = passed.clone();
        graded.passed = Some(false);
        graded.grade = Some("A".into());
        graded.completed_at = Some("2026-01-01T09:56:00Z".parse().unwrap());
        assert_eq!(
            note(graded),
            r#"{"value":"Acme assessment: completed\nGrade: A\nResult: not passed\nFinished: 2026-01-01T09:56:00Z\nRef: asm_7Q2K9","secret":true,"score":4}"#
        );
        let mut failed = passed.clone();
        failed.passed = Some(false);
        failed.grade = Some("C".into());
        failed.completed_at = Some("2026-01-01T09:55:00Z".parse().unwrap());
        assert_eq!(
            note(failed),
            r#"{"value":"Acme assessment: completed\nGrade: C\nResult: not passed\nFinished: 2026-01-01T09:55:00Z\nRef: asm_7Q2K9","secret":true,"score":2,"createdAt":1767261300000}"#
        );
        // only completed results are scored; a future time is never sent
        let mut expired = AssessmentResult::with_status(AssessmentStatus::Expired);
        expired.passed = Some(false);
        expired.completed_at = Some("2026-01-02T00:00:00Z".parse().unwrap());
        assert_eq!(
            note(expired),
            r#"{"value":"Acme assessment: expired\nResult: not passed\nFinished: 2026-01-02T00:00:00Z\nRef: asm_7Q2K9","secret":true}"#
        );
        // the default: no score, not secret
        let plain = LeverBuilder::new()
            .clock(ats_core::Clock::fixed(now))
            .tag_prefix("Acme assessment")
            .build()
            .unwrap();
        let requests = plain.prepare(&submit("globex", passed)).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&requests[2].body),
            r#"{"value":"Acme assessment: completed\nResult: passed\nFinished: 2025-12-31T16:00:00Z\nRef: asm_7Q2K9","createdAt":1767196800000}"#
        );
        let e = LeverBuilder::new()
            .note_score(NoteScore::pass_fail(5, 1))
            .build()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: Lever note scores are 1 to 4, not 5"
        );
    }

    #[test]
    fn forget_delivery_ignores_requests_it_cannot_verify() {
        let lever = lever();
        lever
            .replay
            .check("tok", chrono::Utc::now(), chrono::Utc::now())
            .unwrap();
        for body in [&b""[..], b"{", b"null", br#"{"token":"tok"}"#, b"\xff"] {
            let request = InboundRequest::new(Method::POST, "/lever/acme/webhook").with_body(body);
            lever.forget_delivery(&request);
        }
        lever.forget_delivery(&InboundRequest::new(Method::GET, "/"));
        assert_eq!(lever.replay.remembered(), 1);
    }
}
