//! [`Runtime`]: the adapters, the vendor and the store, put together. It
//! answers inbound calls through the durable intake, takes results into the
//! outbox, runs the workers that deliver them, and logs every exchange.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ats_core::{
    AssessmentResult, AtsProvider, Error, ErrorKind, InboundEvent, InboundRequest, InboundResponse,
    OrderHandle, OutboundCall, Vendor, VendorError, VendorReply, serve,
};
use ats_store::{
    Activity, Claim, Flow, IntakeKey, OrderChange, Store, StoreError, StoredAnswer, redact,
};
use http::{HeaderName, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::error::RuntimeError;
use crate::router::ConnectionLimits;

/// The default largest inbound body: 1 MiB. Providers' real payloads are a
/// few kilobytes; a larger body is refused (413) before it is parsed.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// How the runtime behaves; every field has a documented default.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Outbox workers in this process (default 4).
    pub workers: usize,
    /// How long a claimed outbox item stays claimed before another worker
    /// may take it (default 120 s: longer than any delivery with its own
    /// retries).
    pub lease: Duration,
    /// How often idle workers look for due items (default 250 ms; results
    /// reported in this process wake them at once).
    pub poll_interval: Duration,
    /// Attempts before an item is dead (default 12).
    pub max_attempts: u32,
    /// The first retry's delay (default 2 s); doubled each attempt, with
    /// jitter, up to [`max_backoff`](Self::max_backoff).
    pub base_backoff: Duration,
    /// The longest delay between attempts (default 1 h).
    pub max_backoff: Duration,
    /// The largest inbound body (default [`DEFAULT_BODY_LIMIT`]).
    pub body_limit: usize,
    /// How long a client may take to send a request's headers before its
    /// connection is closed, and how long a kept-alive connection may stay
    /// idle (default 75 s; [`ConnectionLimits::header_timeout`]).
    pub header_timeout: Duration,
    /// The most connections [`serve`](crate::serve) holds at once (default
    /// 512; more wait in the listener's backlog).
    pub max_connections: usize,
    /// How long a client may take to send a provider call's body once its
    /// headers arrived: a slower one is answered 408, in the provider's
    /// error shape (default 30 s).
    pub body_timeout: Duration,
    /// Whether the activity log keeps bodies (redacted; default `false`).
    pub keep_bodies: bool,
    /// How long activity rows are kept, and results and vendor events
    /// once delivered (default 30 days). Orders, with their last result,
    /// and items not yet delivered or dead stay.
    pub retention: Duration,
    /// How long answered calls are remembered for redeliveries (default 7
    /// days: providers redeliver for up to 4).
    pub intake_retention: Duration,
    /// How long a copy of a call waits for the copy being answered
    /// (default 20 s), and the lease of an intake claim.
    pub intake_wait: Duration,
    /// This instance's name in claims and leases (default: a random one).
    pub instance: String,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            lease: Duration::from_secs(120),
            poll_interval: Duration::from_millis(250),
            max_attempts: 12,
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            body_limit: DEFAULT_BODY_LIMIT,
            header_timeout: ConnectionLimits::default().header_timeout,
            max_connections: ConnectionLimits::default().max_connections,
            body_timeout: Duration::from_secs(30),
            keep_bodies: false,
            retention: Duration::from_secs(30 * 86_400),
            intake_retention: Duration::from_secs(7 * 86_400),
            intake_wait: Duration::from_secs(20),
            instance: format!("ats-{:08x}", fastrand::u32(..)),
        }
    }
}

impl RuntimeConfig {
    /// The header timeout and connection limit [`serve`](crate::serve)
    /// holds connections to, for [`serve_router`](crate::serve_router).
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: self.header_timeout,
            max_connections: self.max_connections,
        }
    }
}

/// An adapter and the path prefix it is served under.
#[derive(Clone)]
pub(crate) struct Mount {
    pub(crate) prefix: String,
    pub(crate) adapter: Arc<dyn AtsProvider>,
}

/// The vendor runtime. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) vendor: Arc<dyn Vendor>,
    pub(crate) mounts: Vec<Mount>,
    pub(crate) adapters: BTreeMap<String, Arc<dyn AtsProvider>>,
    pub(crate) config: RuntimeConfig,
    pub(crate) outbox_wake: Notify,
    pub(crate) intake_wake: Notify,
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) workers: Mutex<Vec<(String, JoinHandle<()>)>>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("store", &self.inner.store)
            .field(
                "mounts",
                &self
                    .inner
                    .mounts
                    .iter()
                    .map(|m| (&m.prefix, m.adapter.name()))
                    .collect::<Vec<_>>(),
            )
            .field("config", &self.inner.config)
            .finish()
    }
}

/// Builds a [`Runtime`]; checks the configuration at [`build`](Self::build).
pub struct RuntimeBuilder {
    store: Option<Store>,
    vendor: Option<Arc<dyn Vendor>>,
    mounts: Vec<Mount>,
    config: RuntimeConfig,
}

impl fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RuntimeBuilder {
    /// The store (required).
    pub fn with_store(mut self, store: Store) -> Self {
        self.store = Some(store);
        self
    }

    /// The vendor (required).
    pub fn with_vendor(mut self, vendor: impl Vendor + 'static) -> Self {
        self.vendor = Some(Arc::new(vendor));
        self
    }

    /// The vendor, shared.
    pub fn with_shared_vendor(mut self, vendor: Arc<dyn Vendor>) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Serves `adapter` under `/{its name}` (Greenhouse at `/greenhouse/…`,
    /// Lever's per-connection webhooks at `/lever/{tenant}/webhook`).
    pub fn with_adapter(self, adapter: impl AtsProvider + 'static) -> Self {
        self.with_shared_adapter(Arc::new(adapter))
    }

    /// [`with_adapter`](Self::with_adapter) for an adapter already shared.
    pub fn with_shared_adapter(self, adapter: Arc<dyn AtsProvider>) -> Self {
        let prefix = format!("/{}", adapter.name());
        self.with_adapter_at(prefix, adapter)
    }

    /// Serves each adapter under `/{its name}`.
    pub fn with_adapters(self, adapters: impl IntoIterator<Item = Arc<dyn AtsProvider>>) -> Self {
        adapters
            .into_iter()
            .fold(self, |b, a| b.with_shared_adapter(a))
    }

    /// Serves `adapter` under another path prefix (the same adapter may be
    /// served under several).
    pub fn with_adapter_at(
        mut self,
        prefix: impl Into<String>,
        adapter: Arc<dyn AtsProvider>,
    ) -> Self {
        let prefix = prefix.into();
        let prefix = format!("/{}", prefix.trim_matches('/'));
        self.mounts.push(Mount { prefix, adapter });
        self
    }

    /// Every setting at once.
    pub fn with_config(mut self, config: RuntimeConfig) -> Self {
        self.config = config;
        self
    }

    /// Outbox workers in this process.
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.config.workers = workers;
        self
    }

    /// Attempts before an outbox item is dead.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.config.max_attempts = attempts;
        self
    }

    /// The retry delays: the first, and the longest.
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.config.base_backoff = base;
        self.config.max_backoff = max;
        self
    }

    /// How often idle workers look for due items.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.config.poll_interval = interval;
        self
    }

    /// How long a claimed outbox item stays claimed.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.config.lease = lease;
        self
    }

    /// The largest inbound body.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = bytes;
        self
    }

    /// How long a client may take to send a request's headers (the
    /// connection is closed after that). Used by [`serve`](crate::serve).
    pub fn with_header_timeout(mut self, timeout: Duration) -> Self {
        self.config.header_timeout = timeout;
        self
    }

    /// The most connections served at once; more wait in the listener's
    /// backlog until one closes. Used by [`serve`](crate::serve).
    pub fn with_max_connections(mut self, connections: usize) -> Self {
        self.config.max_connections = connections;
        self
    }

    /// How long a client may take to send a provider call's body once its
    /// headers arrived (answered 408 after that).
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_timeout = timeout;
        self
    }

    /// Whether the activity log keeps (redacted) bodies.
    pub fn with_keep_bodies(mut self, keep: bool) -> Self {
        self.config.keep_bodies = keep;
        self
    }

    /// How long activity rows are kept, and results and vendor events
    /// once delivered.
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.config.retention = retention;
        self
    }

    /// This instance's name in claims and leases.
    pub fn with_instance(mut self, name: impl Into<String>) -> Self {
        self.config.instance = name.into();
        self
    }

    /// Checks the configuration and builds the runtime (workers are not
    /// started: see [`Runtime::start`]).
    pub fn build(self) -> Result<Runtime, RuntimeError> {
        let store = self
            .store
            .ok_or_else(|| RuntimeError::Config("no store (with_store)".into()))?;
        let vendor = self
            .vendor
            .ok_or_else(|| RuntimeError::Config("no vendor (with_vendor)".into()))?;
        if self.mounts.is_empty() {
            return Err(RuntimeError::Config("no adapter (with_adapter)".into()));
        }
        let mut adapters = BTreeMap::new();
        for m in &self.mounts {
            if ["/healthz", "/readyz", "/"].contains(&m.prefix.as_str()) {
                return Err(RuntimeError::Config(format!(
                    "`{}` cannot be an adapter's path",
                    m.prefix
                )));
            }
            for missing in m.adapter.missing_configuration() {
                tracing::warn!(provider = m.adapter.name(), "not configured: {missing}");
            }
            // one adapter may be served at several paths; two adapters may
            // not share a name (results are routed by it)
            if adapters
                .insert(m.adapter.name().to_owned(), m.adapter.clone())
                .is_some_and(|earlier| !Arc::ptr_eq(&earlier, &m.adapter))
            {
                return Err(RuntimeError::Config(format!(
                    "adapter `{}` is configured twice",
                    m.adapter.name()
                )));
            }
        }
        let mut prefixes: Vec<&str> = self.mounts.iter().map(|m| m.prefix.as_str()).collect();
        prefixes.sort_unstable();
        if prefixes.windows(2).any(|w| w[0] == w[1]) {
            return Err(RuntimeError::Config("two adapters share a path".into()));
        }
        if self.config.body_limit == 0 || self.config.max_attempts == 0 {
            return Err(RuntimeError::Config(
                "body_limit and max_attempts must be positive".into(),
            ));
        }
        if self.config.header_timeout.is_zero()
            || self.config.body_timeout.is_zero()
            || self.config.max_connections == 0
        {
            return Err(RuntimeError::Config(
                "header_timeout, body_timeout and max_connections must be positive".into(),
            ));
        }
        let (stop, _) = watch::channel(false);
        let mut mounts = self.mounts;
        // longest prefix first, so `/a/b` wins over `/a`
        mounts.sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
        Ok(Runtime {
            inner: Arc::new(Inner {
                store,
                vendor,
                mounts,
                adapters,
                config: self.config,
                outbox_wake: Notify::new(),
                intake_wake: Notify::new(),
                stop,
                workers: Mutex::new(Vec::new()),
            }),
        })
    }
}

/// What makes copies of a call the same call, for the calls that must be
/// answered once.
fn dedup_key(event: &InboundEvent, request: &InboundRequest) -> Option<String> {
    let digest = || {
        let mut h = Sha256::new();
        h.update(request.method.as_str().as_bytes());
        h.update([0]);
        h.update(request.path.as_bytes());
        h.update([0]);
        h.update(request.query.as_deref().unwrap_or("").as_bytes());
        h.update([0]);
        h.update(&request.body);
        hex::encode(h.finalize())
    };
    match event {
        InboundEvent::OrderReceived(order) => Some(match &order.provider_order_id {
            Some(id) => format!("order:{id}"),
            None => format!("request:{}", digest()),
        }),
        InboundEvent::OrderCancelled(_) | InboundEvent::ErrorReported(_) => {
            Some(format!("request:{}", digest()))
        }
        _ => None,
    }
}

fn stored(response: &InboundResponse) -> StoredAnswer {
    StoredAnswer {
        status: response.status.as_u16(),
        headers: response
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: response.body.to_vec(),
    }
}

fn replayed(answer: StoredAnswer) -> InboundResponse {
    let mut response =
        InboundResponse::empty(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK));
    for (k, v) in answer.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            response.headers.append(k, v);
        }
    }
    response.body = answer.body.into();
    response
}

fn unavailable(message: impl Into<String>) -> Error {
    Error::Vendor(VendorError::Unavailable {
        message: message.into(),
    })
}

impl Runtime {
    /// A builder.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder {
            store: None,
            vendor: None,
            mounts: Vec::new(),
            config: RuntimeConfig::default(),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The settings in force.
    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.config
    }

    /// The adapter called `name`.
    pub fn adapter(&self, name: &str) -> Option<&Arc<dyn AtsProvider>> {
        self.inner.adapters.get(name)
    }

    /// Each adapter's path prefix, as served.
    pub fn mounts(&self) -> Vec<(String, &'static str)> {
        self.inner
            .mounts
            .iter()
            .map(|m| (m.prefix.clone(), m.adapter.name()))
            .collect()
    }

    pub(crate) fn mount_for(&self, path: &str) -> Option<&Mount> {
        self.inner.mounts.iter().find(|m| {
            path == m.prefix
                || (path.starts_with(&m.prefix)
                    && path.as_bytes().get(m.prefix.len()) == Some(&b'/'))
        })
    }

    /// Stores a status or result for delivery to the provider, with the
    /// order's new status, and returns at once; the workers deliver it.
    /// Returns the outbox item's id.
    pub async fn report(
        &self,
        handle: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<i64, RuntimeError> {
        let Some(adapter) = self.inner.adapters.get(&handle.provider) else {
            return Err(RuntimeError::Config(format!(
                "no adapter named `{}` is configured for this order",
                handle.provider
            )));
        };
        // what the provider can never take is refused now, not dead later:
        // a result lacking what it requires, or one no provider may be sent
        // (a link that is not http or https, too many sections)
        let call = OutboundCall::SubmitResult {
            order: Box::new(handle.clone()),
            result: Box::new(result.clone()),
        };
        if let Err(e) = adapter.prepare(&call)
            && matches!(e.kind(), ErrorKind::IncompleteResult | ErrorKind::Malformed)
        {
            return Err(RuntimeError::Refused(e));
        }
        let id = self.inner.store.enqueue_result(handle, result).await?;
        self.inner.outbox_wake.notify_one();
        Ok(id)
    }

    /// [`report`](Self::report) for the order the vendor accepted as
    /// `vendor_assessment_id` (its handle was saved at acceptance).
    pub async fn report_for(
        &self,
        vendor_assessment_id: &str,
        result: &AssessmentResult,
    ) -> Result<i64, RuntimeError> {
        let order = self
            .inner
            .store
            .order_by_vendor_id(None, vendor_assessment_id)
            .await?
            .ok_or_else(|| RuntimeError::UnknownOrder(vendor_assessment_id.to_owned()))?;
        self.report(&order.handle, result).await
    }

    /// Answers one inbound call for the adapter mounted at its path:
    /// authenticate, translate, de-duplicate through the intake, ask the
    /// vendor, store the answer (and an accepted order's handle), log.
    /// Always returns the provider's kind of response.
    pub async fn handle(&self, request: InboundRequest) -> Option<InboundResponse> {
        let adapter = self.mount_for(&request.path)?.adapter.clone();
        Some(self.handle_with(adapter.as_ref(), &request).await)
    }

    async fn handle_with(
        &self,
        provider: &dyn AtsProvider,
        request: &InboundRequest,
    ) -> InboundResponse {
        let started = Instant::now();
        let mut log = Activity::new(request.received_at, Flow::Inbound, provider.name(), "");
        if self.inner.config.keep_bodies {
            log.body = Some(redact(&request.body));
        }
        let inbound = match provider.receive(request).await {
            Ok(inbound) => inbound,
            Err(error) => {
                let operation = provider.route(request).ok();
                log.operation = operation.unwrap_or("unknown").to_owned();
                let response = provider.respond_error(operation, &error);
                return self
                    .logged(log, started, response, Some(&error), None)
                    .await;
            }
        };
        log.operation = inbound.operation.clone();
        log.tenant = inbound.event.tenant().map(|t| t.as_str().to_owned());
        if let Err(error) = serve::admit(provider, &inbound.event) {
            provider.forget_delivery(request);
            let response = provider.respond_error(Some(&inbound.operation), &error);
            return self
                .logged(log, started, response, Some(&error), None)
                .await;
        }
        let key = dedup_key(&inbound.event, request)
            .map(|k| IntakeKey::new(provider.name(), inbound.event.tenant(), k));
        if let Some(key) = &key {
            match self.claim(key, &inbound.operation).await {
                Ok(None) => {}
                Ok(Some(answer)) => {
                    log.set_ids(&inbound.event, None);
                    log.message = Some("repeated call: the first answer was returned".into());
                    return self
                        .logged(log, started, replayed(answer), None, None)
                        .await;
                }
                Err(error) => {
                    let response = provider.respond_error(Some(&inbound.operation), &error);
                    return self
                        .logged(log, started, response, Some(&error), None)
                        .await;
                }
            }
        }
        let outcome = match serve::ask(self.inner.vendor.as_ref(), &inbound.event).await {
            Ok(reply) => provider
                .respond_to(&inbound, &reply)
                .map(|response| (reply, response)),
            Err(e) => Err(e),
        };
        let (reply, response) = match outcome {
            Ok(done) => done,
            Err(error) => {
                provider.forget_delivery(request);
                if let Some(key) = &key {
                    self.release(key).await;
                }
                log.set_ids(&inbound.event, None);
                let response = provider.respond_error(Some(&inbound.operation), &error);
                return self
                    .logged(log, started, response, Some(&error), None)
                    .await;
            }
        };
        log.set_ids(&inbound.event, Some(&reply));
        if let Some(key) = &key {
            let accepted = match (&inbound.event, &reply) {
                (InboundEvent::OrderReceived(o), VendorReply::Accepted(a)) => {
                    Some(o.handle(Some(&a.vendor_assessment_id)))
                }
                _ => None,
            };
            let change = match (&accepted, &inbound.event) {
                (Some(handle), _) => OrderChange::Accepted(handle),
                (None, InboundEvent::OrderCancelled(c)) => OrderChange::Cancelled(&c.order),
                _ => OrderChange::None,
            };
            // the answer, the accepted order and the call's log row: one
            // commit
            let mut done = log.clone();
            finish(&mut done, started, &response, None, Some(&reply));
            if let Err(e) = self
                .inner
                .store
                .answer_intake(key, &stored(&response), change, Some(&done))
                .await
            {
                // not recorded: the provider must ask again rather than
                // take an answer that would be forgotten
                provider.forget_delivery(request);
                self.release(key).await;
                let error = Error::from(e);
                let response = provider.respond_error(Some(&inbound.operation), &error);
                return self
                    .logged(log, started, response, Some(&error), None)
                    .await;
            }
            self.inner.intake_wake.notify_waiters();
            trace_inbound(&done, &response);
            return response;
        }
        self.logged(log, started, response, None, Some(&reply))
            .await
    }

    /// Claims the intake row; `Some(answer)` when a copy was answered
    /// before. Waits while another copy is being answered.
    async fn claim(&self, key: &IntakeKey, operation: &str) -> Result<Option<StoredAnswer>, Error> {
        let deadline = Instant::now() + self.inner.config.intake_wait;
        loop {
            let notified = self.inner.intake_wake.notified();
            match self
                .inner
                .store
                .claim_intake(key, operation, self.inner.config.intake_wait)
                .await
            {
                Ok(Claim::Owner) => return Ok(None),
                Ok(Claim::Answered(answer)) => return Ok(Some(answer)),
                // (`<=` would differ only at the deadline's exact instant:
                // an equivalent mutant)
                Ok(Claim::Busy) if Instant::now() < deadline => {
                    // woken by an answer in this process, or poll for
                    // another instance's
                    let _ = tokio::time::timeout(Duration::from_millis(25), notified).await;
                }
                Ok(Claim::Busy) => {
                    return Err(unavailable("a copy of this call is still being answered"));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn release(&self, key: &IntakeKey) {
        if let Err(e) = self.inner.store.release_intake(key).await {
            tracing::error!(error = %e, "could not release an intake claim; it expires with its lease");
        }
        self.inner.intake_wake.notify_waiters();
    }

    async fn logged(
        &self,
        mut log: Activity,
        started: Instant,
        response: InboundResponse,
        error: Option<&Error>,
        reply: Option<&VendorReply>,
    ) -> InboundResponse {
        finish(&mut log, started, &response, error, reply);
        trace_inbound(&log, &response);
        self.record(&log).await;
        response
    }

    /// Answers a call refused before its body was read (a body over the
    /// limit) with `status`, in the provider's error shape when an adapter
    /// is served at `path`, and logs it like any other inbound call.
    pub(crate) async fn refuse_unread(
        &self,
        method: &http::Method,
        path: &str,
        status: http::StatusCode,
        error: &Error,
    ) -> InboundResponse {
        let started = Instant::now();
        let Some(adapter) = self.mount_for(path).map(|m| m.adapter.clone()) else {
            return InboundResponse::empty(status);
        };
        // routed on the method and path alone: an operation named in the
        // body stays unknown
        let operation = adapter
            .route(&InboundRequest::new(method.clone(), path))
            .ok();
        let log = Activity::new(
            chrono::Utc::now(),
            Flow::Inbound,
            adapter.name(),
            operation.unwrap_or("unknown"),
        );
        let mut response = adapter.respond_error(operation, error);
        response.status = status;
        self.logged(log, started, response, Some(error), None).await
    }

    pub(crate) async fn record(&self, log: &Activity) {
        if let Err(e) = self.inner.store.record_activity(log).await {
            tracing::error!(error = %e, "could not write the activity log");
        }
    }

    /// Starts the outbox workers and the pruner (once; later calls do
    /// nothing).
    pub fn start(&self) {
        let mut workers = self
            .inner
            .workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !workers.is_empty() {
            return;
        }
        for n in 0..self.inner.config.workers {
            let name = format!("{}-w{n}", self.inner.config.instance);
            let this = self.clone();
            let worker = name.clone();
            workers.push((name, tokio::spawn(async move { this.work(&worker).await })));
        }
        let this = self.clone();
        workers.push((
            String::new(),
            tokio::spawn(async move { this.prune().await }),
        ));
    }

    /// Stops the workers: each finishes the delivery it is making; claims
    /// still held after `grace` are given back to the queue, due at once.
    pub async fn shutdown(&self, grace: Duration) {
        let _ = self.inner.stop.send(true);
        self.inner.outbox_wake.notify_waiters();
        let workers: Vec<(String, JoinHandle<()>)> = self
            .inner
            .workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for (name, mut handle) in workers {
            if tokio::time::timeout(grace, &mut handle).await.is_err() {
                handle.abort();
            }
            if !name.is_empty() {
                match self.inner.store.release_claims(&name).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::warn!(worker = %name, released = n, "claims given back at shutdown")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "claims not given back; they expire with their lease")
                    }
                }
            }
        }
    }

    pub(crate) fn stopping(&self) -> bool {
        *self.inner.stop.borrow()
    }

    async fn prune(&self) {
        let mut stop = self.inner.stop.subscribe();
        loop {
            let store = &self.inner.store;
            let c = &self.inner.config;
            let result: Result<(), StoreError> = async {
                store.prune_activity(c.retention).await?;
                store.prune_outbox(c.retention).await?;
                store.prune_events(c.retention).await?;
                store.prune_intake(c.intake_retention).await?;
                store.prune_deliveries().await?;
                Ok(())
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "pruning old rows failed; will try again");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}

/// The snake_case name of an error's kind (`provider_rejected`).
/// Completes an inbound call's log row with its outcome.
fn finish(
    log: &mut Activity,
    started: Instant,
    response: &InboundResponse,
    error: Option<&Error>,
    reply: Option<&VendorReply>,
) {
    log.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    log.http_status = Some(response.status.as_u16());
    if let Some(error) = error {
        log.ok = false;
        log.error_kind = Some(kind_name(error));
        log.message = Some(error.to_string());
    } else if let Some(reply) = reply {
        log.message
            .get_or_insert_with(|| format!("answered `{}`", reply.kind()));
    }
}

fn trace_inbound(log: &Activity, response: &InboundResponse) {
    tracing::info!(
        provider = %log.provider,
        operation = %log.operation,
        tenant = log.tenant.as_deref().unwrap_or("-"),
        order = log.order_id.as_deref().unwrap_or("-"),
        status = response.status.as_u16(),
        ok = log.ok,
        "inbound call"
    );
}

pub(crate) fn kind_name(error: &Error) -> String {
    serde_json::to_value(error.kind())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "error".to_owned())
}
