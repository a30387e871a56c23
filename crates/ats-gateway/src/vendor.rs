//! [`WebhookVendor`]: the [`Vendor`] of a service written in any language,
//! reached over HTTP with events signed per the Standard Webhooks
//! specification.
//!
//! Calls a provider waits on (orders by call, inline orders, package lists,
//! status queries) are sent at once and answered within the deadline; the
//! rest (orders by webhook, cancellations, error reports) are stored,
//! acknowledged to the provider and delivered from the event queue with
//! retries. For an order delivered that way the gateway mints the
//! assessment id (`gw_…`) and sends it with the event. Webhook orders of
//! providers that can show a rejection (Kombo's 422) are first offered
//! synchronously, so that the vendor's refusal reaches the recruiter; when
//! the vendor does not answer in time they are queued like the others.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ats_core::{
    Acceptance, AssessmentOrder, AssessmentResult, AssessmentStatus, Cancellation, ErrorReport,
    InboundEvent, OrderDecision, Package, PackagesRequest, Secret, StatusQuery, TenantId, Vendor,
    VendorError, VendorReply, async_trait,
};
use ats_store::{Activity, Flow, NewVendorEvent, Store, VendorEvent};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::error::GatewayError;

/// The settings key of stored package lists.
pub(crate) const PACKAGES: &str = "packages";

/// How the vendor must answer an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The provider waits: answer in the HTTP response, within the deadline.
    Sync,
    /// Acknowledge with any 2xx; the event came from the queue.
    Async,
}

impl Answer {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Async => "async",
        }
    }
}

/// A new event id: `evt_` and 24 hex digits.
pub(crate) fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}{:016x}{:08x}",
        fastrand::u64(..),
        fastrand::u32(..)
    )
}

/// The JSON body of an event: the core event as `ats inspect` prints it,
/// plus a `gateway` object (`event_id`, `answer`, and for orders the
/// gateway minted an id for, `vendor_assessment_id`).
pub fn event_body(
    event: &InboundEvent,
    event_id: &str,
    answer: Answer,
    minted: Option<&str>,
) -> Result<Value, GatewayError> {
    let mut body = serde_json::to_value(event)
        .map_err(|e| GatewayError::Config(format!("cannot serialize an event: {e}")))?;
    let mut gateway = json!({"event_id": event_id, "answer": answer.as_str()});
    if let Some(id) = minted {
        gateway["vendor_assessment_id"] = json!(id);
    }
    if let Some(map) = body.as_object_mut() {
        map.insert("gateway".into(), gateway);
    }
    Ok(body)
}

pub(crate) struct VendorInner {
    pub(crate) client: reqwest::Client,
    pub(crate) url: url::Url,
    pub(crate) webhook: standardwebhooks::Webhook,
    pub(crate) deadline: Duration,
    pub(crate) store: Store,
    pub(crate) sync_providers: BTreeSet<String>,
    pub(crate) answer_first: BTreeSet<String>,
    pub(crate) wake: Notify,
}

/// The vendor behind the gateway: an HTTP endpoint in any language.
#[derive(Clone)]
pub struct WebhookVendor {
    pub(crate) inner: Arc<VendorInner>,
}

impl fmt::Debug for WebhookVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVendor")
            .field("url", &self.inner.url.as_str())
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

/// The largest answer body read from the vendor's event endpoint (4 MiB:
/// a catalogue of thousands of packages fits); a larger 2xx answer fails
/// the event unread beyond that. An error answer is read only as far as its
/// message ([`ats_core::client::ERROR_ANSWER_BYTES`]).
pub const MAX_VENDOR_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// What a POST to the vendor came back with.
#[derive(Debug)]
pub(crate) enum Sent {
    /// A 2xx, with its body.
    Ok(Vec<u8>),
    /// Anything else: the message and the status, if there was one.
    Failed(String, Option<u16>),
}

impl WebhookVendor {
    /// A vendor at `url`, events signed with `signing_secret` (`whsec_…`).
    /// `sync_providers` names the adapters whose orders arrive by call (the
    /// provider waits for the decision); `answer_first` the webhook
    /// providers that can show a rejection, whose orders are first offered
    /// to the vendor synchronously and queued only when it does not answer
    /// in time.
    pub fn new(
        url: url::Url,
        signing_secret: &Secret,
        deadline: Duration,
        store: Store,
        sync_providers: BTreeSet<String>,
        answer_first: BTreeSet<String>,
    ) -> Result<Self, GatewayError> {
        let webhook = standardwebhooks::Webhook::new(signing_secret.expose()).map_err(|_| {
            GatewayError::Config("the vendor signing secret must be `whsec_` + base64".into())
        })?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("ats-gateway/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GatewayError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(VendorInner {
                client,
                url,
                webhook,
                deadline,
                store,
                sync_providers,
                answer_first,
                wake: Notify::new(),
            }),
        })
    }

    /// POSTs a signed event body; never fails: the outcome says how it went.
    pub(crate) async fn post(&self, event_id: &str, body: &Value, timeout: Duration) -> Sent {
        let bytes = body.to_string().into_bytes();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = match self.inner.webhook.sign(event_id, timestamp, &bytes) {
            Ok(s) => s,
            Err(e) => return Sent::Failed(format!("cannot sign the event: {e}"), None),
        };
        let answer = self
            .inner
            .client
            .post(self.inner.url.clone())
            .timeout(timeout)
            .header("content-type", "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, event_id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                timestamp.to_string(),
            )
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(bytes)
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Sent::Failed(
                    format!(
                        "the vendor did not answer within {} ms",
                        timeout.as_millis()
                    ),
                    None,
                );
            }
            Err(e) => return Sent::Failed(format!("the vendor is unreachable: {e}"), None),
        };
        let status = response.status();
        let limit = if status.is_success() {
            MAX_VENDOR_ANSWER_BYTES
        } else {
            ats_core::client::ERROR_ANSWER_BYTES
        };
        let body = match ats_core::client::read_capped(response, limit).await {
            Ok(b) => b,
            Err(e) => return Sent::Failed(format!("the vendor's answer broke off: {e}"), None),
        };
        if status.is_success() && body.truncated {
            Sent::Failed(
                format!(
                    "the vendor's answer (HTTP {}) is larger than {MAX_VENDOR_ANSWER_BYTES} bytes, \
                     the most the gateway reads",
                    status.as_u16()
                ),
                Some(status.as_u16()),
            )
        } else if status.is_success() {
            Sent::Ok(body.bytes.to_vec())
        } else {
            let body = body.bytes;
            let text = String::from_utf8_lossy(&body);
            let text: String = text.chars().take(300).collect();
            Sent::Failed(
                format!("the vendor answered HTTP {}: {text}", status.as_u16()),
                Some(status.as_u16()),
            )
        }
    }

    /// Sends `event` and waits for the vendor's answer (within the deadline);
    /// the call is logged with the order and candidate it concerns, and as a
    /// failure when the vendor's answer is not a reply.
    async fn ask(&self, event: &InboundEvent) -> Result<VendorReply, VendorError> {
        let event_id = new_id("evt_");
        let body = event_body(event, &event_id, Answer::Sync, None).map_err(internal)?;
        let started = std::time::Instant::now();
        let sent = self.post(&event_id, &body, self.inner.deadline).await;
        let mut log = Activity::new(
            chrono::Utc::now(),
            Flow::Outbound,
            "vendor",
            format!("event:{}", event.kind()),
        );
        log.tenant = event.tenant().map(|t| t.as_str().to_owned());
        log.attempt = Some(1);
        log.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let answer = match sent {
            Sent::Ok(bytes) => {
                serde_json::from_slice::<VendorReply>(&bytes).map_err(|e| VendorError::Internal {
                    message: format!(
                        "the vendor's answer to a `{}` event is not a reply: {e}",
                        event.kind()
                    ),
                })
            }
            Sent::Failed(message, status) => {
                log.http_status = status;
                Err(match status {
                    // the vendor refused the event, or answered what cannot be read
                    Some(s) if (400..500).contains(&s) || (200..300).contains(&s) => {
                        VendorError::Internal { message }
                    }
                    _ => VendorError::Unavailable { message },
                })
            }
        };
        log.set_ids(event, answer.as_ref().ok());
        match &answer {
            Ok(VendorReply::Rejected(r)) => log.message = Some(format!("rejected: {}", r.message)),
            Ok(_) => {}
            Err(e) => {
                log.ok = false;
                log.error_kind = Some("vendor".into());
                log.message = Some(e.to_string());
            }
        }
        if let Err(e) = self.inner.store.record_activity(&log).await {
            tracing::error!(error = %e, "could not write the activity log");
        }
        answer
    }

    /// Stores `event` for delivery from the queue.
    async fn queue(&self, event: &InboundEvent, minted: Option<&str>) -> Result<(), VendorError> {
        let event_id = new_id("evt_");
        let body = event_body(event, &event_id, Answer::Async, minted).map_err(internal)?;
        let (provider, order_key) = match event {
            InboundEvent::OrderReceived(o) => (
                o.provider.clone(),
                minted
                    .map(|m| format!("v:{m}"))
                    .or_else(|| o.provider_order_id.as_ref().map(|p| format!("p:{p}"))),
            ),
            InboundEvent::OrderCancelled(c) => (c.provider.clone(), order_key_of(&c.order)),
            InboundEvent::ErrorReported(r) => {
                (r.provider.clone(), r.order.as_ref().and_then(order_key_of))
            }
            _ => (String::new(), None),
        };
        let tenant = event.tenant().map(TenantId::as_str);
        self.inner
            .store
            .enqueue_event(&NewVendorEvent {
                event_id: &event_id,
                kind: event.kind(),
                provider: &provider,
                tenant,
                order_key: order_key.as_deref(),
                payload: &body,
            })
            .await
            .map_err(|e| VendorError::Unavailable {
                message: e.to_string(),
            })?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// The packages stored for a tenant of a provider, else the default
    /// catalogue, if any was set through the API.
    async fn stored_packages(
        &self,
        r: &PackagesRequest,
    ) -> Result<Option<Vec<Package>>, VendorError> {
        let unavailable = |e: ats_store::StoreError| VendorError::Unavailable {
            message: e.to_string(),
        };
        let all = self
            .inner
            .store
            .settings("*", PACKAGES)
            .await
            .map_err(unavailable)?;
        let mine = self
            .inner
            .store
            .settings(&r.provider, PACKAGES)
            .await
            .map_err(unavailable)?;
        let text = r
            .tenant
            .as_ref()
            .and_then(|t| mine.get(t))
            .or_else(|| all.get(&TenantId::new("*")))
            .and_then(|m| m.get("list"));
        match text {
            Some(t) => serde_json::from_str(t)
                .map(Some)
                .map_err(|e| VendorError::Internal {
                    message: format!("stored packages are unreadable: {e}"),
                }),
            None => Ok(None),
        }
    }

    /// Waits until an event is queued (or `timeout`).
    pub(crate) async fn queued(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.inner.wake.notified()).await;
    }
}

fn order_key_of(r: &ats_core::OrderRef) -> Option<String> {
    r.vendor_assessment_id
        .as_ref()
        .map(|v| format!("v:{v}"))
        .or_else(|| r.provider_order_id.as_ref().map(|p| format!("p:{p}")))
}

fn internal(e: GatewayError) -> VendorError {
    VendorError::Internal {
        message: e.to_string(),
    }
}

/// Whether the provider waits for the vendor's decision on this order.
fn waits(sync_providers: &BTreeSet<String>, order: &AssessmentOrder) -> bool {
    sync_providers.contains(&order.provider)
        // the candidate takes the assessment inside the ATS: the link is
        // needed in the answer
        || order.extras.get("inline_assessment") == Some(&Value::Bool(true))
}

#[async_trait]
impl Vendor for WebhookVendor {
    async fn packages(&self, r: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        if let Some(stored) = self.stored_packages(r).await? {
            return Ok(stored);
        }
        match self
            .ask(&InboundEvent::PackagesRequested(r.clone()))
            .await?
        {
            VendorReply::Packages { packages } => Ok(packages),
            other => Err(VendorError::Internal {
                message: format!("a `{}` answer to packages_requested", other.kind()),
            }),
        }
    }

    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        let event = InboundEvent::OrderReceived(Box::new(order.clone()));
        if waits(&self.inner.sync_providers, order) {
            return match self.ask(&event).await? {
                VendorReply::Accepted(a) => Ok(OrderDecision::Accepted(a)),
                VendorReply::Rejected(r) => Ok(OrderDecision::Rejected(r)),
                other => Err(VendorError::Internal {
                    message: format!("a `{}` answer to order_received", other.kind()),
                }),
            };
        }
        if self.inner.answer_first.contains(&order.provider) {
            match self.ask(&event).await {
                Ok(VendorReply::Accepted(a)) => return Ok(OrderDecision::Accepted(a)),
                Ok(VendorReply::Rejected(r)) => return Ok(OrderDecision::Rejected(r)),
                Ok(other) => tracing::warn!(
                    reply = other.kind(),
                    "the vendor answered an order with something else; queuing it"
                ),
                Err(e) => tracing::warn!(
                    error = %e,
                    "the vendor did not decide on an order in time; queuing it"
                ),
            }
        }
        let minted = new_id("gw_");
        self.queue(&event, Some(&minted)).await?;
        Ok(OrderDecision::Accepted(Acceptance::new(minted)))
    }

    async fn cancel(&self, c: &Cancellation) -> Result<(), VendorError> {
        // the provider names its own id: add the vendor's, when the order
        // is known, so that the service need not keep a map of ids
        let mut c = c.clone();
        if let (None, Some(id)) = (&c.order.vendor_assessment_id, &c.order.provider_order_id) {
            let known = self
                .inner
                .store
                .order_by_provider_id(&c.provider, c.tenant.as_ref().map(|t| t.as_str()), id)
                .await
                .map_err(|e| VendorError::Unavailable {
                    message: e.to_string(),
                })?;
            c.order.vendor_assessment_id = known.and_then(|o| o.handle.vendor_assessment_id);
        }
        self.queue(&InboundEvent::OrderCancelled(c), None).await
    }

    async fn status(&self, q: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        if let Some(id) = &q.order.vendor_assessment_id {
            let order = self
                .inner
                .store
                .order_by_vendor_id(Some(&q.provider), id)
                .await
                .map_err(|e| VendorError::Unavailable {
                    message: e.to_string(),
                })?;
            match order {
                Some(o) => {
                    return Ok(o.last_result.unwrap_or_else(|| {
                        AssessmentResult::with_status(AssessmentStatus::Invited)
                    }));
                }
                None => return Err(VendorError::UnknownOrder { id: id.clone() }),
            }
        }
        match self.ask(&InboundEvent::StatusRequested(q.clone())).await? {
            VendorReply::Status(s) => Ok(*s),
            other => Err(VendorError::Internal {
                message: format!("a `{}` answer to status_requested", other.kind()),
            }),
        }
    }

    async fn error_reported(&self, r: &ErrorReport) -> Result<(), VendorError> {
        self.queue(&InboundEvent::ErrorReported(r.clone()), None)
            .await
    }
}

/// What the vendor's answer to a queued order event asks for.
pub(crate) fn rejection_of(event: &VendorEvent, answer: &[u8]) -> Option<String> {
    if event.kind != "order_received" {
        return None;
    }
    match serde_json::from_slice::<VendorReply>(answer) {
        Ok(VendorReply::Rejected(r)) => Some(r.message),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::OrderHandle;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A Standard Webhooks secret (`whsec_` and base64).
    const SIGNING: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const DEADLINE: Duration = Duration::from_millis(500);

    fn vendor_at(url: &str, store: &Store) -> WebhookVendor {
        WebhookVendor::new(
            url::Url::parse(url).unwrap(),
            &Secret::new(SIGNING),
            DEADLINE,
            store.clone(),
            BTreeSet::new(),
            BTreeSet::new(),
        )
        .unwrap()
    }

    fn cancellation(provider_order_id: &str) -> Cancellation {
        serde_json::from_value(json!({
            "provider": "kombo",
            "tenant": "acme",
            "order": {"provider_order_id": provider_order_id},
            "reason": "withdrawn",
            "received_at": "2026-12-07T10:00:00Z",
            "raw": null
        }))
        .unwrap()
    }

    fn error_report() -> ErrorReport {
        serde_json::from_value(json!({
            "provider": "kombo",
            "tenant": "acme",
            "operation": "submit_result",
            "errors": ["score out of range"],
            "order": {"vendor_assessment_id": "gw_1"},
            "raw": null
        }))
        .unwrap()
    }

    fn packages_request() -> PackagesRequest {
        serde_json::from_value(json!({"provider": "kombo", "tenant": "acme"})).unwrap()
    }

    /// (kind, tenant, order key, the order's ids in the payload, answer).
    type Queued = (String, Option<String>, Option<String>, Value, Value);

    async fn queued_events(store: &Store) -> Vec<Queued> {
        let events = store.vendor_events(None, 10).await.unwrap();
        events
            .into_iter()
            .map(|e| {
                (
                    e.kind,
                    e.tenant,
                    e.order_key,
                    e.payload["order"].clone(),
                    e.payload["gateway"]["answer"].clone(),
                )
            })
            .collect()
    }

    /// Cancellations and error reports are queued, not sent, each under its
    /// order's key (so that an order's events go out in order); a
    /// cancellation that names only the provider's id gets the vendor's id
    /// when the order is known. Queueing wakes a waiting worker.
    #[tokio::test(flavor = "current_thread")]
    async fn cancellations_and_error_reports_are_queued_under_their_order() {
        let server = MockServer::start().await;
        let store = Store::in_memory().await.unwrap();
        let vendor = vendor_at(&server.uri(), &store);
        let known: OrderHandle = serde_json::from_value(json!({
            "provider": "kombo",
            "tenant": "acme",
            "provider_order_id": "ord-1",
            "vendor_assessment_id": "gw_1"
        }))
        .unwrap();
        store.save_order(&known).await.unwrap();

        let waiting = vendor.queued(Duration::from_secs(60));
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut waiting)
                .await
                .is_err(),
            "a worker waits while nothing is queued"
        );
        vendor.cancel(&cancellation("ord-1")).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), &mut waiting)
            .await
            .expect("queueing wakes the worker");
        vendor.cancel(&cancellation("ord-9")).await.unwrap();
        vendor.error_reported(&error_report()).await.unwrap();

        let acme = Some("acme".to_owned());
        assert_eq!(
            queued_events(&store).await,
            vec![
                (
                    "order_cancelled".to_owned(),
                    acme.clone(),
                    Some("v:gw_1".to_owned()),
                    json!({"provider_order_id": "ord-1", "vendor_assessment_id": "gw_1"}),
                    json!("async"),
                ),
                (
                    "order_cancelled".to_owned(),
                    acme.clone(),
                    Some("p:ord-9".to_owned()),
                    json!({"provider_order_id": "ord-9"}),
                    json!("async"),
                ),
                (
                    "error_reported".to_owned(),
                    acme,
                    Some("v:gw_1".to_owned()),
                    json!({"vendor_assessment_id": "gw_1"}),
                    json!("async"),
                ),
            ]
        );
        assert!(server.received_requests().await.unwrap().is_empty());
    }

    /// A package list stored through the API answers without the vendor: the
    /// tenant's own first, else the default one; with none stored, the
    /// vendor is asked.
    #[tokio::test(flavor = "current_thread")]
    async fn packages_come_from_the_stored_lists_before_the_vendor() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "type": "packages",
                "packages": [{"id": "from-vendor", "name": "Asked"}]
            })))
            .mount(&server)
            .await;
        let store = Store::in_memory().await.unwrap();
        let vendor = vendor_at(&server.uri(), &store);
        let ids = async || -> Vec<String> {
            let packages = vendor.packages(&packages_request()).await.unwrap();
            packages.into_iter().map(|p| p.id).collect()
        };
        assert_eq!(ids().await, ["from-vendor"]);
        assert_eq!(server.received_requests().await.unwrap().len(), 1);

        let list = |id: &str| json!([{"id": id, "name": "Stored"}]).to_string();
        store
            .put_setting("*", &TenantId::new("*"), PACKAGES, "list", &list("default"))
            .await
            .unwrap();
        assert_eq!(ids().await, ["default"]);
        store
            .put_setting(
                "kombo",
                &TenantId::new("acme"),
                PACKAGES,
                "list",
                &list("acme's"),
            )
            .await
            .unwrap();
        assert_eq!(ids().await, ["acme's"]);
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "the stored lists answered"
        );
    }

    /// How a failed call to the vendor reaches the provider: a 4xx is the
    /// vendor's own mistake (internal), a 5xx, a timeout or an unreachable
    /// vendor is an outage the provider may retry (unavailable).
    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_call_says_whether_the_provider_may_retry() {
        let store = Store::in_memory().await.unwrap();
        let failure =
            async |url: &str| match vendor_at(url, &store).packages(&packages_request()).await {
                Err(VendorError::Internal { message }) => ("internal", message),
                Err(VendorError::Unavailable { message }) => ("unavailable", message),
                other => panic!("{other:?}"),
            };
        for (status, kind) in [(400, "internal"), (404, "internal"), (503, "unavailable")] {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(status).set_body_string("nope"))
                .mount(&server)
                .await;
            assert_eq!(
                failure(&server.uri()).await,
                (kind, format!("the vendor answered HTTP {status}: nope")),
            );
        }
        let slow = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
            .mount(&slow)
            .await;
        assert_eq!(
            failure(&slow.uri()).await,
            (
                "unavailable",
                "the vendor did not answer within 500 ms".to_owned()
            )
        );
        // a port nothing listens on
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let (kind, message) = failure(&format!("http://127.0.0.1:{port}/")).await;
        assert_eq!(kind, "unavailable");
        assert!(
            message.starts_with("the vendor is unreachable: "),
            "{message}"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn debug_names_the_url_and_deadline_not_the_secret() {
        let store = Store::in_memory().await.unwrap();
        let vendor = vendor_at("https://vendor.example/ats", &store);
        assert_eq!(
            format!("{vendor:?}"),
            r#"WebhookVendor { url: "https://vendor.example/ats", deadline: 500ms, .. }"#
        );
    }
}
