//! [`Gateway`]: the runtime with a [`WebhookVendor`], the event workers and
//! the REST API, built from a [`GatewayConfig`].

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ats_core::{AssessmentResult, AssessmentStatus, OrderDelivery, TenantId};
use ats_server::{Runtime, stock_adapters_with};
use ats_store::{Activity, Flow, KeyRing, LeverConnections, Store, VendorEvent};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::vendor::{Sent, WebhookVendor, rejection_of};

/// The provider name under which the REST API key is issued.
pub(crate) const API_KEYS: &str = "gateway-api";
/// The settings under which rejection pages are kept (provider and kind).
pub(crate) const REJECTIONS: &str = "rejection";
/// How long a Lever connection may go without a refresh before the
/// gateway refreshes it (Lever forgets refresh tokens unused for 90 days).
const LEVER_IDLE: Duration = Duration::from_secs(30 * 24 * 3600);
/// Attempts before a vendor event is dead.
const MAX_EVENT_ATTEMPTS: u32 = 12;

/// A named worker task.
type Worker = (String, JoinHandle<()>);

/// The gateway: adapters, runtime, vendor events, REST API.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) runtime: Runtime,
    pub(crate) vendor: WebhookVendor,
    pub(crate) public_url: String,
    pub(crate) lever_connections: Option<LeverConnections>,
    pub(crate) lever: Option<Arc<ats_lever::Lever>>,
    stop: watch::Sender<bool>,
    workers: Arc<Mutex<Vec<Worker>>>,
    instance: String,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("runtime", &self.runtime)
            .field("vendor", &self.vendor)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Connects the store (migrations applied), builds the configured
    /// adapters and registers the REST API key.
    pub async fn from_config(config: &GatewayConfig) -> Result<Self, GatewayError> {
        let keys = KeyRing::parse(config.encryption_key.expose())
            .map_err(|e| GatewayError::Config(format!("encryption_key: {e}")))?;
        let store = Store::connect(&config.database_url, keys).await?;
        store
            .add_key(API_KEYS, &TenantId::new("vendor"), &config.api_key)
            .await?;
        let stock =
            stock_adapters_with(&store, &config.settings, &config.instance, &config.stock).await?;
        let adapters = stock.adapters;
        // a provider configured without its account's credentials would
        // fail every call it gets: refuse to start instead
        let missing: Vec<String> = adapters
            .iter()
            .flat_map(|a| {
                a.missing_configuration()
                    .into_iter()
                    .map(move |m| format!("[providers.{}] {m}", a.name()))
            })
            .collect();
        if !missing.is_empty() {
            return Err(GatewayError::Config(missing.join("; ")));
        }
        let sync_providers: BTreeSet<String> = adapters
            .iter()
            .filter(|a| a.capabilities().orders == OrderDelivery::Call)
            .map(|a| a.name().to_owned())
            .collect();
        let answer_first: BTreeSet<String> = adapters
            .iter()
            .filter(|a| {
                let c = a.capabilities();
                c.orders == OrderDelivery::Webhook && c.reject_with_message
            })
            .map(|a| a.name().to_owned())
            .collect();
        let vendor = WebhookVendor::new(
            config.vendor_url.clone(),
            &config.vendor_signing_secret,
            config.vendor_deadline,
            store.clone(),
            sync_providers,
            answer_first,
        )?;
        let mut builder = Runtime::builder()
            .with_store(store)
            .with_vendor(vendor.clone())
            .with_adapters(adapters)
            .with_instance(config.instance.clone())
            .with_keep_bodies(config.keep_bodies);
        if let Some(w) = config.workers {
            builder = builder.with_workers(w);
        }
        if let Some(b) = config.body_limit {
            builder = builder.with_body_limit(b);
        }
        if let Some(t) = config.header_timeout {
            builder = builder.with_header_timeout(t);
        }
        if let Some(n) = config.max_connections {
            builder = builder.with_max_connections(n);
        }
        if let Some(t) = config.body_timeout {
            builder = builder.with_body_timeout(t);
        }
        if let Some(r) = config.retention {
            builder = builder.with_retention(r);
        }
        let (stop, _) = watch::channel(false);
        Ok(Self {
            runtime: builder.build()?,
            vendor,
            public_url: config.public_url.clone(),
            lever_connections: stock.lever_connections,
            lever: stock.lever,
            stop,
            workers: Arc::default(),
            instance: config.instance.clone(),
        })
    }

    /// The runtime (store, adapters, outbox).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The store.
    pub fn store(&self) -> &Store {
        self.runtime.store()
    }

    /// How adapter `provider` is served and connected, when this gateway
    /// serves it.
    pub fn served(&self, provider: &str) -> Option<ats_core::registry::Served> {
        self.runtime.adapter(provider)?;
        ats_server::registrations()
            .into_iter()
            .find(|r| r.name == provider)
            .and_then(|r| r.served)
    }

    /// Every route: the providers' endpoints, `/healthz`, `/readyz`, the
    /// REST API under `/api/v1` and `/openapi.json`.
    pub fn router(&self) -> axum::Router {
        ats_server::router(self.runtime.clone()).merge(crate::api::router(self.clone()))
    }

    /// Starts the result outbox workers and two vendor event workers.
    pub fn start(&self) {
        self.runtime.start();
        let mut workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        if !workers.is_empty() {
            return;
        }
        for n in 0..2 {
            let name = format!("{}-e{n}", self.instance);
            let this = self.clone();
            let worker = name.clone();
            workers.push((name, tokio::spawn(async move { this.work(&worker).await })));
        }
        if let Some(lever) = self.lever.clone() {
            let this = self.clone();
            workers.push((
                format!("{}-lever-idle", self.instance),
                tokio::spawn(async move { this.keep_lever_alive(&lever).await }),
            ));
        }
    }

    /// Stops the workers (each finishes what it is sending; claims still
    /// held after `grace` go back to the queue).
    pub async fn shutdown(&self, grace: Duration) {
        let _ = self.stop.send(true);
        self.vendor.inner.wake.notify_waiters();
        let workers: Vec<_> = self
            .workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for (name, mut handle) in workers {
            if tokio::time::timeout(grace, &mut handle).await.is_err() {
                handle.abort();
            }
            if let Err(e) = self.store().release_event_claims(&name).await {
                tracing::error!(error = %e, "event claims not given back; they expire with their lease");
            }
        }
        self.runtime.shutdown(grace).await;
    }

    /// Serves until `shutdown` completes, then stops gracefully.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        self.start();
        let limits = self.runtime.config().connection_limits();
        ats_server::serve_router(listener, self.router(), limits, shutdown).await;
        self.shutdown(Duration::from_secs(30)).await;
        Ok(())
    }

    async fn work(&self, worker: &str) {
        let mut stop = self.stop.subscribe();
        while !*stop.borrow() {
            match self
                .store()
                .claim_event(worker, Duration::from_secs(120))
                .await
            {
                Ok(Some(event)) => {
                    self.deliver(worker, event).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the event queue; will try again"),
            }
            tokio::select! {
                _ = self.vendor.queued(Duration::from_millis(250)) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        }
    }

    /// Once a day (the first time a minute after start), refreshes the
    /// Lever connections whose tokens were not refreshed for 30 days: an
    /// unused refresh token dies after 90, and the customer would have to
    /// connect again.
    async fn keep_lever_alive(&self, lever: &ats_lever::Lever) {
        let mut stop = self.stop.subscribe();
        let mut wait = Duration::from_secs(60);
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            wait = Duration::from_secs(24 * 3600);
            match lever.refresh_idle(LEVER_IDLE).await {
                Ok(outcomes) => {
                    for (tenant, outcome) in outcomes {
                        match outcome {
                            ats_lever::IdleRefresh::NotIdle { .. } => {}
                            ats_lever::IdleRefresh::Refreshed { .. } => {
                                tracing::info!(%tenant, "Lever connection refreshed (it was idle)");
                            }
                            other => {
                                tracing::warn!(%tenant, outcome = ?other, "an idle Lever connection could not be refreshed")
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "idle Lever connections were not checked"),
            }
        }
    }

    /// Delivers one claimed event and settles it.
    async fn deliver(&self, worker: &str, event: VendorEvent) {
        let started = Instant::now();
        let mut log = Activity::new(
            chrono::Utc::now(),
            Flow::Outbound,
            "vendor",
            format!("event:{}", event.kind),
        );
        log.tenant = event.tenant.clone();
        log.order_id = event
            .order_key
            .as_deref()
            .map(|k| k.get(2..).unwrap_or(k).to_owned());
        // the event as sent names its candidate (orders only)
        log.candidate_id = event
            .payload
            .pointer("/candidate/id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        log.attempt = Some(event.attempts);
        let sent = self
            .vendor
            .post(&event.event_id, &event.payload, Duration::from_secs(30))
            .await;
        log.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let settled = match sent {
            Sent::Ok(answer) => {
                if let Some(message) = rejection_of(&event, &answer) {
                    log.message = Some(format!("rejected: {message}"));
                    self.report_rejection(&event, message).await;
                }
                self.store()
                    .settle_event(event.id, worker, None, None, Some(&log))
                    .await
            }
            Sent::Failed(message, status) => {
                log.ok = false;
                log.error_kind = Some("vendor".into());
                log.http_status = status;
                log.message = Some(message.clone());
                let retry_at = (event.attempts < MAX_EVENT_ATTEMPTS).then(|| {
                    let delay = ats_server::backoff(
                        event.attempts,
                        Duration::from_secs(2),
                        Duration::from_secs(3600),
                        None,
                    );
                    chrono::Utc::now()
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
                });
                self.store()
                    .settle_event(
                        event.id,
                        worker,
                        Some((&message, status)),
                        retry_at,
                        Some(&log),
                    )
                    .await
            }
        };
        // the log row went with the settlement; if that failed, on its own
        if let Err(e) = settled {
            tracing::error!(event = event.id, error = %e, "could not settle a vendor event");
            if let Err(e) = self.store().record_activity(&log).await {
                tracing::error!(error = %e, "could not write the activity log");
            }
        }
    }

    /// The vendor refused an order the gateway had acknowledged: tell the
    /// provider the way it can hear it (a cancelled result with the reason).
    async fn report_rejection(&self, event: &VendorEvent, message: String) {
        let Some(id) = event
            .order_key
            .as_deref()
            .and_then(|k| k.strip_prefix("v:"))
        else {
            return;
        };
        let mut result = AssessmentResult::with_status(AssessmentStatus::Cancelled);
        // the vendor's message, behind a link of its own: some providers
        // (Kombo) take a cancellation only with a report URL, and every
        // ATS shows the link to the recruiter
        let token = ats_store::random_token();
        let tenant = TenantId::new(event.tenant.clone().unwrap_or_default());
        match self
            .store()
            .put_setting(REJECTIONS, &tenant, REJECTIONS, &token, &message)
            .await
        {
            Ok(()) => {
                result.report_url =
                    url::Url::parse(&format!("{}/rejections/{token}", self.public_url)).ok();
            }
            Err(e) => {
                tracing::error!(order = id, error = %e, "the rejection page could not be stored");
            }
        }
        result.status_reason = Some(message);
        if let Err(e) = self.runtime.report_for(id, &result).await {
            tracing::error!(order = id, error = %e, "the vendor's rejection could not be reported");
        }
    }
}
