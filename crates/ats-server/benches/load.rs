//! Load generator for the vendor runtime, on loopback only, bounded in
//! count and time. In one run it measures:
//!
//! * **inbound**: a bare axum handler answering a constant 200 (the
//!   baseline), the same handler making one SQLite write per call through
//!   the store (the yardstick of a durable call), and the runtime's router
//!   with the Kombo adapter on a
//!   SQLite file, receiving signed `assessment:order-received` webhooks, each
//!   for a new order (durable intake, vendor, stored answer, activity log),
//!   once with the intake's group commit off (one or two commits per call)
//!   and once with it on (the default), at concurrency 1, 16 and 64;
//! * **outbox**: results delivered per second to a loopback Kombo stand-in
//!   with 1, 16 and 64 workers (results enqueued first, then the workers
//!   started and timed until the store counts them all delivered);
//! * **memory**: `VmRSS` / `VmHWM` before and after queueing 100,000 results
//!   in SQLite, and after draining a slice of them.
//!
//! `cargo bench -p ats-server --bench load`; prints Markdown tables.
//!
//! Counts can be changed with `ATS_LOAD_REQUESTS` (per inbound level,
//! default 2,000), `ATS_LOAD_RESULTS` (per outbox level, default 2,000),
//! `ATS_LOAD_QUEUE` (default 100,000) and `ATS_LOAD_DRAIN` (default 5,000);
//! `ATS_LOAD_PARTS=inbound,outbox,memory` (the default) runs some parts only;
//! `ATS_LOAD_LEVELS` and `ATS_LOAD_WORKERS` (e.g. `1,16`) replace the
//! inbound concurrency levels and the outbox worker counts;
//! `ATS_LOAD_POSTGRES_URL` adds the runtime on that PostgreSQL database
//! (in fresh schemas, dropped at the end) to the inbound part;
//! `ATS_LOAD_ACCEPT=serve_router` serves every target with the accept loop
//! of `ats_server::serve` (header timeout, HTTP/1.1 only) instead of
//! `axum::serve`.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{
    Acceptance, AssessmentOrder, AssessmentResult, AssessmentStatus, Cancellation, OrderDecision,
    OrderHandle, Package, PackagesRequest, RetryConfig, Score, Secret, StatusQuery, Vendor,
    VendorError, async_trait,
};
use ats_kombo::Kombo;
use ats_server::Runtime;
use ats_store::{ItemState, KeyRing, OutboxFilter, Store};
use axum::Router;
use axum::routing::{post, put};
use serde_json::json;
use tokio::task::JoinHandle;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

mod common;

use common::{BoxError, TempDir, serve};

const SECRET: &str = "kombo-webhook-secret-for-load";
const TENANT: &str = "greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H";
const LEVELS: [usize; 3] = [1, 16, 64];
const WORKER_LEVELS: [usize; 3] = [1, 16, 64];
/// Longest wait for one outbox level to drain.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);
/// Longest time spent draining a slice of the big queue.
const DEEP_DRAIN_LIMIT: Duration = Duration::from_secs(60);
/// Longest time spent filling the big queue.
const ENQUEUE_LIMIT: Duration = Duration::from_secs(180);
/// Concurrent `report` calls when filling a queue.
const ENQUEUERS: usize = 32;

fn main() -> Result<(), BoxError> {
    // the runtime's own warnings and errors (busy database, failed
    // deliveries) show on stderr, and are counted for the tables
    tracing_subscriber::registry()
        .with(LevelFilter::WARN)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(CountLevels)
        .try_init()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

static WARNINGS: AtomicUsize = AtomicUsize::new(0);
static ERRORS: AtomicUsize = AtomicUsize::new(0);

/// Counts the warnings and errors logged (by the runtime, the store, sqlx).
struct CountLevels;

impl<S: tracing::Subscriber> Layer<S> for CountLevels {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        match *event.metadata().level() {
            tracing::Level::ERROR => ERRORS.fetch_add(1, Ordering::Relaxed),
            tracing::Level::WARN => WARNINGS.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }
}

/// Warnings and errors logged so far.
fn logged() -> (usize, usize) {
    (
        WARNINGS.load(Ordering::Relaxed),
        ERRORS.load(Ordering::Relaxed),
    )
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

async fn run() -> Result<(), BoxError> {
    let requests = setting("ATS_LOAD_REQUESTS", 2_000);
    let results = setting("ATS_LOAD_RESULTS", 2_000);
    let queue = setting("ATS_LOAD_QUEUE", 100_000);
    let drain = setting("ATS_LOAD_DRAIN", 5_000).min(queue);
    let dir = TempDir::new("ats-load")?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load_before = loadavg();
    eprintln!(
        "load: {cores} cores, load average {load_before}, files in {}",
        dir.0.display()
    );
    let started = Instant::now();

    let parts = std::env::var("ATS_LOAD_PARTS").unwrap_or_else(|_| "inbound,outbox,memory".into());
    let part = |name: &str| parts.split(',').any(|p| p.trim() == name);

    // memory first, so that its high-water mark is not the earlier parts'
    let mut log = Vec::new();
    let mut since = logged();
    let mut note = |part: &'static str| {
        let now = logged();
        log.push((part, now.0 - since.0, now.1 - since.1));
        since = now;
    };
    let memory = if part("memory") {
        let m = memory_part(&dir, queue, drain).await?;
        note("memory");
        Some(m)
    } else {
        None
    };
    let inbound = if part("inbound") {
        let i = inbound_part(&dir, requests).await?;
        note("inbound");
        i
    } else {
        Vec::new()
    };
    let outbox = if part("outbox") {
        let o = outbox_part(&dir, results).await?;
        note("outbox");
        o
    } else {
        Vec::new()
    };

    let mut out = String::new();
    writeln!(
        out,
        "\n## ats-server load ({cores} cores, tokio multi-thread, loopback)\n"
    )?;
    writeln!(
        out,
        "Run took {:.0} s; load average (1, 5, 15 min) before: {load_before}, after: {}.",
        started.elapsed().as_secs_f64(),
        loadavg()
    )?;
    if !inbound.is_empty() {
        write_inbound(&mut out, requests, &inbound)?;
    }
    if !outbox.is_empty() {
        write_outbox(&mut out, results, &outbox)?;
    }
    if let Some(m) = &memory {
        write_memory(&mut out, m)?;
    }
    writeln!(
        out,
        "\n### Warnings and errors logged by the runtime, the store and sqlx\n"
    )?;
    writeln!(out, "| part | warnings | errors |")?;
    writeln!(out, "|---|---:|---:|")?;
    for (part, warnings, errors) in &log {
        writeln!(out, "| {part} | {warnings} | {errors} |")?;
    }
    println!("{out}");
    Ok(())
}

fn write_inbound(
    out: &mut String,
    requests: usize,
    inbound: &[Rows],
) -> Result<(), std::fmt::Error> {
    writeln!(
        out,
        "\n### Inbound HTTP path ({requests} requests per row)\n"
    )?;
    writeln!(
        out,
        "| target | concurrency | requests/s | p50 ms | p99 ms | / bare | / 1 write | errors |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|")?;
    let percent = |r: Option<f64>| r.map_or("–".to_owned(), |r| format!("{:.1} %", r * 100.0));
    for Rows {
        bare,
        write,
        single,
        full,
        postgres,
    } in inbound
    {
        let runtimes = [single, full].into_iter().chain(postgres).map(|row| {
            (
                row,
                Some(row.rate() / bare.rate()),
                Some(row.rate() / write.rate()),
            )
        });
        let yardsticks = [
            (bare, None, None),
            (write, Some(write.rate() / bare.rate()), None),
        ];
        for (row, of_bare, of_write) in yardsticks.into_iter().chain(runtimes) {
            writeln!(
                out,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} |",
                row.target,
                row.concurrency,
                row.rate(),
                row.percentile(0.50),
                row.percentile(0.99),
                percent(of_bare),
                percent(of_write),
                row.errors,
            )?;
        }
    }
    Ok(())
}

fn write_outbox(
    out: &mut String,
    results: usize,
    outbox: &[OutboxLevel],
) -> Result<(), std::fmt::Error> {
    writeln!(out, "\n### Outbox ({results} results per row, SQLite)\n")?;
    writeln!(
        out,
        "| workers | enqueue results/s | delivered | drain s | delivered results/s | dead |"
    )?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|")?;
    for o in outbox {
        writeln!(
            out,
            "| {} | {:.0} | {} | {:.2} | {:.0} | {} |",
            o.workers,
            o.enqueued as f64 / o.enqueue.as_secs_f64(),
            o.delivered,
            o.drain.as_secs_f64(),
            o.delivered as f64 / o.drain.as_secs_f64(),
            o.dead,
        )?;
    }
    Ok(())
}

fn write_memory(out: &mut String, m: &Memory) -> Result<(), std::fmt::Error> {
    writeln!(
        out,
        "\n### Memory with {} results queued (SQLite, 16 workers for the drain)\n",
        m.queued
    )?;
    writeln!(out, "| point | VmRSS MiB | VmHWM MiB | note |")?;
    writeln!(out, "|---|---:|---:|---|")?;
    let mib = |k: u64| k as f64 / 1024.0;
    writeln!(
        out,
        "| before enqueuing | {:.1} | {:.1} | high-water mark reset: {} |",
        mib(m.before.rss),
        mib(m.before.hwm),
        if m.reset { "yes" } else { "no" }
    )?;
    writeln!(
        out,
        "| after enqueuing {} | {:.1} | {:.1} | {:.1} s, {:.0} results/s, {} concurrent reports |",
        m.queued,
        mib(m.queued_mem.rss),
        mib(m.queued_mem.hwm),
        m.enqueue.as_secs_f64(),
        m.queued as f64 / m.enqueue.as_secs_f64(),
        ENQUEUERS
    )?;
    writeln!(
        out,
        "| after draining {} | {:.1} | {:.1} | {:.1} s, {:.0} results/s with the queue deep |",
        m.drained,
        mib(m.drained_mem.rss),
        mib(m.drained_mem.hwm),
        m.drain.as_secs_f64(),
        m.drained as f64 / m.drain.as_secs_f64()
    )?;
    Ok(())
}

// ---------------------------------------------------------------- inbound

struct Level {
    target: &'static str,
    concurrency: usize,
    elapsed: Duration,
    /// Sorted, in milliseconds.
    latencies: Vec<f64>,
    errors: usize,
}

impl Level {
    fn rate(&self) -> f64 {
        common::rate(self.latencies.len(), self.elapsed)
    }

    /// Nearest-rank percentile `q` (0–1) of the latencies, in milliseconds.
    fn percentile(&self, q: f64) -> f64 {
        common::percentile(&self.latencies, q)
    }
}

/// Signed Kombo `assessment:order-received` deliveries for new orders.
struct Orders(AtomicUsize);

impl Orders {
    fn take(&self, n: usize) -> Vec<(String, String)> {
        (0..n)
            .map(|_| {
                let id = format!("ord-{:08}", self.0.fetch_add(1, Ordering::Relaxed));
                let body = order_body(&id);
                let signature = sign(
                    &Secret::new(SECRET),
                    body.as_bytes(),
                    SignatureEncoding::Base64UrlNoPad,
                );
                (body, signature)
            })
            .collect()
    }
}

fn order_body(id: &str) -> String {
    json!({
        "id": format!("evt-{id}"),
        "type": "assessment:order-received",
        "data": {
            "id": id,
            "package_id": "pkg-rust-senior",
            "status": "OPEN",
            "integration_id": TENANT,
            "candidate": {
                "remote_id": "cand-40213",
                "email": "mira.okafor@example.com",
                "first_name": "Mira",
                "last_name": "Okafor",
                "phone": null
            },
            "application": {"remote_id": "app-88120"},
            "job": {"remote_id": "job-5521", "name": "Backend Engineer (Rust)", "hiring_team": []}
        }
    })
    .to_string()
}

/// Accepts every order at once as `asm-<provider order id>`.
struct InstantVendor;

#[async_trait]
impl Vendor for InstantVendor {
    async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        Ok(vec![Package::new("pkg-rust-senior", "Rust (senior)")])
    }
    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        Ok(OrderDecision::Accepted(Acceptance::new(format!(
            "asm-{}",
            order.provider_order_id.as_deref().unwrap_or("none")
        ))))
    }
    async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> {
        Ok(())
    }
    async fn status(&self, q: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        Err(VendorError::UnknownOrder {
            id: q.order.display_id().to_owned(),
        })
    }
}

fn kombo(base: &str) -> Result<Kombo, BoxError> {
    Ok(Kombo::builder()
        .api_key("kombo-api-key")
        .webhook_secret(SECRET)
        .base_url(base)
        .retry(RetryConfig::none())
        .build()?)
}

/// A PostgreSQL store in a new schema of the database at `base`, and the
/// schema's name.
async fn postgres(base: &str, group_commit: bool) -> Result<(Store, String), BoxError> {
    let schema = format!(
        "load_{}_{}",
        std::process::id(),
        if group_commit { "grouped" } else { "single" }
    );
    let setup = Store::builder()
        .with_url(base)
        .with_key_ring(KeyRing::ephemeral())
        .with_migrations(false)
        .build()
        .await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(setup.pool())
        .await?;
    setup.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let store = Store::builder()
        .with_url(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
        .with_key_ring(KeyRing::ephemeral())
        .with_group_commit(group_commit)
        .build()
        .await?;
    Ok((store, schema))
}

/// The levels named in `var` (comma-separated), or `default`.
fn levels(var: &str, default: [usize; 3]) -> Result<Vec<usize>, BoxError> {
    match std::env::var(var) {
        Ok(list) => Ok(list
            .split(',')
            .map(|n| n.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()?),
        Err(_) => Ok(default.to_vec()),
    }
}

async fn sqlite(dir: &TempDir, name: &str) -> Result<Store, BoxError> {
    sqlite_with(dir, name, true).await
}

/// A SQLite file store with the defaults (`group_commit`: the intake's
/// group commit, on by default).
async fn sqlite_with(dir: &TempDir, name: &str, group_commit: bool) -> Result<Store, BoxError> {
    let url = format!("sqlite://{}", dir.0.join(format!("{name}.db")).display());
    let mut b = Store::builder()
        .with_url(&url)
        .with_key_ring(KeyRing::ephemeral())
        .with_group_commit(group_commit);
    if let Ok(n) = std::env::var("ATS_LOAD_POOL") {
        b = b.with_max_connections(n.parse()?);
    }
    Ok(b.build().await?)
}

/// Sends `deliveries` to `url` from `concurrency` tasks; times each call.
async fn drive(
    client: &reqwest::Client,
    url: &str,
    deliveries: Vec<(String, String)>,
    concurrency: usize,
    target: &'static str,
) -> Level {
    let deliveries = Arc::new(deliveries);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            let (deliveries, next) = (deliveries.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(deliveries.len() / concurrency + 1);
                let mut errors = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((body, signature)) = deliveries.get(i) else {
                        break;
                    };
                    let t = Instant::now();
                    let sent = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-kombo-signature", signature)
                        .body(body.clone())
                        .send()
                        .await;
                    let ok = match sent {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if ok {
                        latencies.push(t.elapsed().as_secs_f64() * 1e3);
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(deliveries.len());
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((l, e)) => {
                latencies.extend(l);
                errors += e;
            }
            Err(e) => {
                eprintln!("load: a client task failed: {e}");
                errors += 1;
            }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_by(f64::total_cmp);
    Level {
        target,
        concurrency,
        elapsed,
        latencies,
        errors,
    }
}

/// One inbound level's rows: the bare handler, the handler that makes one
/// durable write, the runtime with the intake's commits per call, and with
/// them grouped.
struct Rows {
    bare: Level,
    write: Level,
    single: Level,
    full: Level,
    /// With `ATS_LOAD_POSTGRES_URL`: the runtime on PostgreSQL, commits per
    /// call and grouped.
    postgres: Vec<Level>,
}

async fn inbound_part(dir: &TempDir, requests: usize) -> Result<Vec<Rows>, BoxError> {
    let bare = serve(Router::new().route("/kombo/webhooks", post(|| async { "ok" }))).await?;
    // the fairer yardstick: axum with one SQLite write per call (the body,
    // upserted under a new name), through the same store and pool settings
    let written = sqlite(dir, "one-write").await?;
    let calls = Arc::new(AtomicUsize::new(0));
    let one_write = {
        let (store, calls) = (written.clone(), calls.clone());
        serve(Router::new().route(
            "/kombo/webhooks",
            post(move |body: axum::body::Bytes| {
                let (store, calls) = (store.clone(), calls.clone());
                async move {
                    let n = calls.fetch_add(1, Ordering::Relaxed);
                    match store
                        .put_setting(
                            "bench",
                            &ats_core::TenantId::new(TENANT),
                            "call",
                            &n.to_string(),
                            &String::from_utf8_lossy(&body),
                        )
                        .await
                    {
                        Ok(()) => axum::http::StatusCode::OK,
                        Err(_) => axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    }
                }
            }),
        ))
        .await?
    };
    let provider = serve(provider_stand_in()).await?;
    // the runtime's router with the Kombo adapter and an instant vendor
    let runtime = |store: &Store| -> Result<Router, BoxError> {
        Ok(ats_server::router(
            Runtime::builder()
                .with_store(store.clone())
                .with_vendor(InstantVendor)
                .with_adapter(kombo(&provider.base)?)
                .build()?,
        ))
    };
    let single_store = sqlite_with(dir, "inbound-single", false).await?;
    let single = serve(runtime(&single_store)?).await?;
    let store = sqlite(dir, "inbound").await?;
    let full = serve(runtime(&store)?).await?;
    // with ATS_LOAD_POSTGRES_URL: the runtime on PostgreSQL too, each store
    // in a fresh schema (dropped at the end), commits per call and grouped
    let mut pg_stores = Vec::new();
    let mut pg_servers = Vec::new();
    if let Ok(base) = std::env::var("ATS_LOAD_POSTGRES_URL") {
        for (grouped, target) in [
            (false, "runtime + PostgreSQL, commit per call"),
            (true, "runtime + PostgreSQL, group commit"),
        ] {
            let (store, schema) = postgres(&base, grouped).await?;
            pg_servers.push((target, serve(runtime(&store)?).await?));
            pg_stores.push((store, schema));
        }
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?;
    let orders = Orders(AtomicUsize::new(0));
    let mut rows = Vec::new();
    for c in levels("ATS_LOAD_LEVELS", LEVELS)? {
        let mut levels = Vec::new();
        let targets = [
            ("bare axum", &bare.base),
            ("axum + 1 write", &one_write.base),
            ("runtime, commit per call", &single.base),
            ("runtime + SQLite", &full.base),
        ];
        let pg = pg_servers
            .iter()
            .map(|(target, server)| (*target, &server.base));
        for (target, base) in targets.into_iter().chain(pg) {
            let url = format!("{base}/kombo/webhooks");
            // opens the connections, warms the caches; not counted
            let _ = drive(&client, &url, orders.take((2 * c).max(50)), c, target).await;
            let level = drive(&client, &url, orders.take(requests), c, target).await;
            eprintln!(
                "load: inbound {target:<24} c={c:<2} {:>7.0} req/s p50 {:.2} ms p99 {:.2} ms errors {}",
                level.rate(),
                level.percentile(0.5),
                level.percentile(0.99),
                level.errors
            );
            levels.push(level);
        }
        let postgres = levels.split_off(4);
        let full = levels.pop().ok_or("no runtime level")?;
        let single = levels.pop().ok_or("no commit-per-call level")?;
        let write = levels.pop().ok_or("no one-write level")?;
        let bare = levels.pop().ok_or("no bare level")?;
        rows.push(Rows {
            bare,
            write,
            single,
            full,
            postgres,
        });
    }
    drop(pg_servers);
    for (store, schema) in pg_stores {
        let dropped = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(store.pool())
            .await;
        if let Err(e) = dropped {
            eprintln!("load: could not drop schema {schema}: {e}");
        }
        store.close().await;
    }
    drop(full);
    drop(single);
    drop(one_write);
    store.close().await;
    single_store.close().await;
    written.close().await;
    Ok(rows)
}

// ----------------------------------------------------------------- outbox

/// Kombo's result endpoint, answering success at once (and remembering
/// nothing).
fn provider_stand_in() -> Router {
    Router::new().route(
        "/assessment/orders/{id}/result",
        put(|| async { axum::Json(json!({"status": "success", "data": {}})) }),
    )
}

fn handle(order: usize) -> Result<OrderHandle, BoxError> {
    Ok(serde_json::from_value(json!({
        "provider": "kombo",
        "tenant": TENANT,
        "provider_order_id": format!("ord-{order:08}"),
        "vendor_assessment_id": format!("asm-{order:08}"),
        "package_id": "pkg-rust-senior",
        "candidate_id": "cand-40213"
    }))?)
}

fn completed() -> Result<AssessmentResult, BoxError> {
    let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
    r.score = Some(Score::out_of(78.0, 100.0));
    // Kombo requires one
    r.report_url = Some("https://reports.example.com/r/1".parse()?);
    Ok(r)
}

/// Reports results for orders `0..n` from [`ENQUEUERS`] tasks, each for a
/// different order; stops early at `deadline`. Returns how many were stored.
async fn enqueue(runtime: &Runtime, n: usize, deadline: Instant) -> Result<usize, BoxError> {
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<JoinHandle<Result<(), BoxError>>> = (0..ENQUEUERS)
        .map(|_| {
            let (runtime, next, done) = (runtime.clone(), next.clone(), done.clone());
            tokio::spawn(async move {
                let result = completed()?;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || Instant::now() >= deadline {
                        return Ok(());
                    }
                    runtime.report(&handle(i)?, &result).await?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed))
}

fn count(counts: &[(ItemState, u64)], state: ItemState) -> u64 {
    counts
        .iter()
        .filter(|(s, _)| *s == state)
        .map(|(_, n)| *n)
        .sum()
}

/// The error of one dead item, if any.
async fn dead_error(store: &Store) -> Result<Option<String>, BoxError> {
    let filter = OutboxFilter {
        state: Some(ItemState::Dead),
        limit: Some(1),
        ..OutboxFilter::default()
    };
    Ok(store
        .outbox_items(&filter)
        .await?
        .into_iter()
        .next()
        .map(|i| i.last_error.unwrap_or_default()))
}

/// Waits until `target` items are delivered, or dead, or `limit` passes.
/// Returns (delivered, dead, elapsed since `started`).
async fn wait_delivered(
    store: &Store,
    target: u64,
    started: Instant,
    every: Duration,
    limit: Duration,
) -> Result<(u64, u64, Duration), BoxError> {
    loop {
        let counts = store.outbox_counts().await?;
        let elapsed = started.elapsed();
        let delivered = count(&counts, ItemState::Delivered);
        let dead = count(&counts, ItemState::Dead);
        if delivered + dead >= target || elapsed >= limit {
            return Ok((delivered, dead, elapsed));
        }
        tokio::time::sleep(every).await;
    }
}

struct OutboxLevel {
    workers: usize,
    enqueued: usize,
    enqueue: Duration,
    delivered: u64,
    dead: u64,
    drain: Duration,
}

async fn outbox_part(dir: &TempDir, results: usize) -> Result<Vec<OutboxLevel>, BoxError> {
    let provider = serve(provider_stand_in()).await?;
    let mut rows = Vec::new();
    for workers in levels("ATS_LOAD_WORKERS", WORKER_LEVELS)? {
        let store = sqlite(dir, &format!("outbox-{workers}")).await?;
        let runtime = Runtime::builder()
            .with_store(store.clone())
            .with_vendor(InstantVendor)
            .with_adapter(kombo(&provider.base)?)
            .with_workers(workers)
            .build()?;
        let t = Instant::now();
        let enqueued = enqueue(&runtime, results, t + ENQUEUE_LIMIT).await?;
        let enqueue_time = t.elapsed();
        let started = Instant::now();
        runtime.start();
        let (delivered, dead, drain) = wait_delivered(
            &store,
            enqueued as u64,
            started,
            Duration::from_millis(10),
            DRAIN_LIMIT,
        )
        .await?;
        runtime.shutdown(Duration::from_secs(10)).await;
        if let Some(e) = dead_error(&store).await? {
            eprintln!("load: a dead result: {e}");
        }
        store.close().await;
        eprintln!(
            "load: outbox {workers:>2} workers: {delivered}/{enqueued} delivered in {:.2} s ({:.0}/s), {dead} dead",
            drain.as_secs_f64(),
            delivered as f64 / drain.as_secs_f64()
        );
        rows.push(OutboxLevel {
            workers,
            enqueued,
            enqueue: enqueue_time,
            delivered,
            dead,
            drain,
        });
    }
    Ok(rows)
}

// ----------------------------------------------------------------- memory

#[derive(Clone, Copy, Default)]
struct Mem {
    /// KiB.
    rss: u64,
    /// KiB.
    hwm: u64,
}

fn mem() -> Mem {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return Mem::default();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Mem {
        rss: field("VmRSS:"),
        hwm: field("VmHWM:"),
    }
}

struct Memory {
    reset: bool,
    before: Mem,
    queued: usize,
    enqueue: Duration,
    queued_mem: Mem,
    drained: u64,
    drain: Duration,
    drained_mem: Mem,
}

async fn memory_part(dir: &TempDir, queue: usize, drain: usize) -> Result<Memory, BoxError> {
    let provider = serve(provider_stand_in()).await?;
    let store = sqlite(dir, "queue").await?;
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(InstantVendor)
        .with_adapter(kombo(&provider.base)?)
        .with_workers(16)
        .build()?;
    // "5" resets the peak (VmHWM) to the current RSS (Linux ≥ 4.0)
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = mem();
    eprintln!("load: queueing {queue} results…");
    let t = Instant::now();
    let queued = enqueue(&runtime, queue, t + ENQUEUE_LIMIT).await?;
    let enqueue_time = t.elapsed();
    let queued_mem = mem();
    eprintln!(
        "load: {queued} queued in {:.1} s; draining {drain}…",
        enqueue_time.as_secs_f64()
    );
    let started = Instant::now();
    runtime.start();
    let (delivered, dead, drain_time) = wait_delivered(
        &store,
        drain.min(queued) as u64,
        started,
        Duration::from_millis(100),
        DEEP_DRAIN_LIMIT,
    )
    .await?;
    runtime.shutdown(Duration::from_secs(10)).await;
    let drained_mem = mem();
    if dead > 0 {
        eprintln!("load: {dead} results went dead while draining the deep queue");
    }
    store.close().await;
    Ok(Memory {
        reset,
        before,
        queued,
        enqueue: enqueue_time,
        queued_mem,
        drained: delivered,
        drain: drain_time,
        drained_mem,
    })
}

/// The first three fields of `/proc/loadavg`: other work on the machine
/// skews every figure.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
