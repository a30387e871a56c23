//! `ats demo`: every registered provider against one vendor, through the
//! durable runtime on SQLite, from recorded traffic.
//!
//! For each provider, an in-process stand-in answers the provider's API as
//! recorded (`fixtures/<provider>/`), and the runtime (intake, vendor,
//! stored answer, activity log; then the outbox) handles:
//!
//! 1. the provider's order (the recorded request: signed, or with the
//!    customer's key), which the vendor accepts; the answer must be the
//!    recorded one, byte for byte, and any API reads the adapter makes must
//!    be the recorded ones;
//! 2. a completed result the vendor reports, delivered by an outbox worker;
//!    every request that reaches the stand-in must be the recorded one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ats_core::registry::{DemoFixtures, Registration};
use ats_core::{
    AssessmentOrder, AssessmentResult, AtsProvider, Cancellation, OrderDecision, OutboundCall,
    Package, PackagesRequest, StatusQuery, Vendor, VendorError, async_trait,
};
use ats_server::{Attempt, Runtime};
use ats_store::{ActivityQuery, KeyRing, Store};
use ats_testkit::fixture::{Fixture, FixtureFile};
use ats_testkit::replay;
use ats_testkit::vendor::ScriptedVendor;
use wiremock::MockServer;

use crate::registry;

/// Runs the demo for every registered provider (or only `only`); the stores
/// go in `dir` (a new temporary folder when `None`). `Ok(false)` when a
/// provider's exchanges differed from the recording.
pub fn run(only: &[String], dir: Option<PathBuf>) -> Result<bool, String> {
    let chosen: Vec<Registration> = if only.is_empty() {
        registry::registrations()
    } else {
        only.iter()
            .map(|n| registry::registration(n))
            .collect::<Result<_, _>>()?
    };
    let dir = match dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("ats-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let line = |out: &mut std::io::StdoutLock<'_>, text: String| {
        writeln!(out, "{text}").map_err(|e| e.to_string())
    };
    line(
        &mut out,
        format!(
            "ats demo: {} providers, one vendor, the durable runtime on SQLite (stores in {})\n",
            chosen.len(),
            dir.display()
        ),
    )?;
    let started = Instant::now();
    let mut good = 0;
    for registration in &chosen {
        let Some(demo) = registration.demo else {
            line(
                &mut out,
                format!("{:<11} (no demo fixtures registered)\n", registration.name),
            )?;
            continue;
        };
        match runtime.block_on(play(registration, demo, &dir)) {
            Ok(lines) => {
                good += 1;
                for l in lines {
                    line(&mut out, l)?;
                }
            }
            Err(lines) => {
                for l in lines {
                    line(&mut out, l)?;
                }
            }
        }
        line(&mut out, String::new())?;
    }
    line(
        &mut out,
        format!(
            "{good} of {} providers: each order answered as recorded and each result delivered byte for byte ({:.1} s).\n\
             The activity log of each: ats log --database sqlite://{}/<provider>.db",
            chosen.len(),
            started.elapsed().as_secs_f64(),
            dir.display()
        ),
    )?;
    Ok(good == chosen.len())
}

/// Plays one provider; the transcript lines, as `Err` when something
/// differed from the recording.
async fn play(
    registration: &Registration,
    demo: DemoFixtures,
    dir: &Path,
) -> Result<Vec<String>, Vec<String>> {
    let name = registration.name;
    let mut lines = vec![name.to_owned()];
    let fail = |mut lines: Vec<String>, why: String| {
        lines.push(format!("  ✗ {why}"));
        lines
    };
    let folder = ats_testkit::fixtures_dir().join(name);
    let server = MockServer::start().await;
    let read = |file: &str| -> Result<Fixture, String> {
        FixtureFile::read(folder.join(file))
            .and_then(|f| f.parse(&server.uri()))
            .map_err(|e| e.to_string())
    };
    let (order, result) = match (read(demo.order), read(demo.result)) {
        (Ok(o), Ok(r)) => (o, r),
        (Err(e), _) | (_, Err(e)) => return Err(fail(lines, e)),
    };
    let adapter: Arc<dyn AtsProvider> = match (registration.recorded)(&server.uri()) {
        Ok(a) => Arc::from(a),
        Err(e) => return Err(fail(lines, format!("building the adapter: {e}"))),
    };
    let Some(reply) = order.reply.clone() else {
        return Err(fail(
            lines,
            format!("{}: no vendor reply recorded", demo.order),
        ));
    };
    let vendor = Arc::new(Seen {
        inner: ScriptedVendor::new(reply),
        order: Mutex::new(None),
    });
    let db = dir.join(format!("{name}.db"));
    let _ = std::fs::remove_file(&db);
    let store =
        match Store::connect(&format!("sqlite://{}", db.display()), KeyRing::ephemeral()).await {
            Ok(s) => s,
            Err(e) => return Err(fail(lines, format!("the store: {e}"))),
        };
    // served where the recording was made (its first path segment)
    let Some(recorded) = order.request.as_ref() else {
        return Err(fail(lines, format!("{}: no request recorded", demo.order)));
    };
    let prefix = format!(
        "/{}",
        recorded
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
    );
    let runtime = match Runtime::builder()
        .with_store(store.clone())
        .with_shared_vendor(vendor.clone())
        .with_adapter_at(&prefix, adapter)
        .build()
    {
        Ok(r) => r,
        Err(e) => return Err(fail(lines, format!("the runtime: {e}"))),
    };

    // 1. the order
    if let Err(e) = replay::mount(&server, &order.exchanges).await {
        return Err(fail(lines, e));
    }
    let mut request = match order.inbound_request() {
        Ok(r) => r,
        Err(e) => return Err(fail(lines, e)),
    };
    // an order that names where its result goes (a callback URL on the
    // provider's host) is pointed at the stand-in, which plays that host
    let callback = match &result.call {
        Some(OutboundCall::SubmitResult { order, .. }) => order.callback_url.clone(),
        _ => None,
    };
    if let Some(callback) = &callback
        && let Some(body) = point_at(&request.body, callback)
    {
        request.body = body.into();
        lines.push(format!(
            "    (its callback URL now points at the stand-in playing {name}: {callback})"
        ));
    }
    lines.push(format!("  ← {} {}", request.method, request.path));
    let Some(response) = runtime.handle(request).await else {
        return Err(fail(lines, "no adapter took the request".into()));
    };
    for r in server.received_requests().await.unwrap_or_default() {
        lines.push(format!(
            "    → {} {} (the adapter reads the provider's API)",
            r.method,
            r.url.path()
        ));
    }
    let seen = vendor
        .order
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match seen {
        Some(o) => lines.push(format!("    vendor: {}", describe_order(&o))),
        None => return Err(fail(lines, "the vendor was not asked for the order".into())),
    }
    lines.push(format!(
        "  → {} {}",
        response.status.as_u16(),
        excerpt(&response.body)
    ));
    if let Some(want) = &order.response
        && let Err(e) = want.check(&response)
    {
        return Err(fail(
            lines,
            format!("the answer differs from the recording: {e}"),
        ));
    }
    if let Err(e) = replay::verify(&server, &order.exchanges).await {
        return Err(fail(
            lines,
            format!("the API reads differ from the recording: {e}"),
        ));
    }

    // 2. the result, through the outbox
    server.reset().await;
    if let Err(e) = replay::mount(&server, &result.exchanges).await {
        return Err(fail(lines, e));
    }
    let Some(OutboundCall::SubmitResult {
        order: handle,
        result: outcome,
    }) = &result.call
    else {
        return Err(fail(
            lines,
            format!("{}: not a submit_result call", demo.result),
        ));
    };
    if let Err(e) = runtime.report(handle, outcome).await {
        return Err(fail(lines, format!("report: {e}")));
    }
    let attempt = tokio::time::timeout(Duration::from_secs(30), runtime.deliver_next("demo")).await;
    let delivered = matches!(attempt, Ok(Ok(Some(Attempt::Delivered))));
    let received = server.received_requests().await.unwrap_or_default();
    lines.push(format!(
        "  ⇢ the vendor reports `{}` for {}; an outbox worker delivers it",
        outcome.status.as_str(),
        handle
            .vendor_assessment_id
            .as_deref()
            .unwrap_or("the order")
    ));
    for r in &received {
        lines.push(format!("    → {} {}", r.method, r.url.path()));
    }
    if !delivered {
        return Err(fail(
            lines,
            format!("the result was not delivered: {attempt:?}"),
        ));
    }
    if let Err(e) = replay::verify(&server, &result.exchanges).await {
        return Err(fail(
            lines,
            format!("the write differs from the recording: {e}"),
        ));
    }
    let logged = store
        .activity(&ActivityQuery::default())
        .await
        .map(|l| l.len())
        .unwrap_or_default();
    lines.push(format!(
        "  ✓ answered and delivered as recorded; {logged} rows in the activity log"
    ));
    store.close().await;
    Ok(lines)
}

/// `body` with the URL whose path is `callback`'s path replaced by
/// `callback`; `None` when there is no such URL.
pub(crate) fn point_at(body: &[u8], callback: &url::Url) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let path = callback.path();
    let at = text.find(&format!("{path}\""))?;
    let start = text[..at].rfind('"')? + 1;
    let original = &text[start..at + path.len()];
    if !original.starts_with("http") {
        return None;
    }
    Some(text.replacen(original, callback.as_str(), 1).into_bytes())
}

fn describe_order(o: &AssessmentOrder) -> String {
    let who = [
        o.candidate.first_name.as_deref(),
        o.candidate.last_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let id = o
        .provider_order_id
        .as_deref()
        .map(|id| format!("order {id}, "))
        .unwrap_or_default();
    format!(
        "{id}{} for package {} (tenant {})",
        if who.is_empty() { "a candidate" } else { &who },
        o.package_id,
        o.tenant.as_ref().map_or("-", |t| t.as_str())
    )
}

/// The scripted vendor, remembering the order it was asked about.
struct Seen {
    inner: ScriptedVendor,
    order: Mutex<Option<AssessmentOrder>>,
}

#[async_trait]
impl Vendor for Seen {
    async fn packages(&self, request: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        self.inner.packages(request).await
    }

    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        *self.order.lock().unwrap_or_else(PoisonError::into_inner) = Some(order.clone());
        self.inner.order(order).await
    }

    async fn cancel(&self, cancellation: &Cancellation) -> Result<(), VendorError> {
        self.inner.cancel(cancellation).await
    }

    async fn status(&self, query: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        self.inner.status(query).await
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 72 {
        format!("{}…", text.chars().take(72).collect::<String>())
    } else {
        text
    }
}
