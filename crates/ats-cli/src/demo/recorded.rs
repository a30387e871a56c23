//! `ats demo --recorded`: every registered provider against one vendor, through the
//! durable runtime on SQLite, from recorded traffic.
//!
//! For each provider, an in-process stand-in answers the provider's API as
//! recorded (`fixtures/<provider>/`, the fixtures its registration names),
//! and the runtime (authentication, durable intake, the vendor, the stored
//! answer, the activity log; then the outbox) plays:
//!
//! * the package list, where the provider asks for it (or the vendor
//!   pushes it);
//! * an order the vendor accepts, with any reads of the provider's API the
//!   adapter makes;
//! * an order the vendor rejects, and how the provider is told;
//! * a cancellation, where the provider sends one;
//! * the completed result the vendor reports, delivered by an outbox worker.
//!
//! Every answer and every request to the stand-in must equal the recording
//! byte for byte. One table, then one line: all passed (exit 0) or which
//! failed (exit 1).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ats_core::registry::{DemoFixtures, Registration};
use ats_core::{
    AssessmentOrder, AssessmentResult, AtsProvider, Cancellation, Direction, OrderDecision,
    OutboundCall, Package, PackagesRequest, StatusQuery, Vendor, VendorError, VendorReply,
    async_trait,
};
use ats_server::{Attempt, Runtime};
use ats_store::{KeyRing, Store};
use ats_testkit::fixture::{Fixture, FixtureFile};
use ats_testkit::replay;
use ats_testkit::vendor::ScriptedVendor;
use wiremock::MockServer;

/// Runs the demo for every registered provider (or only `only`); the stores
/// go in `dir` (a new temporary folder when `None`); `verbose` prints every
/// exchange. `Ok(false)` when a provider's exchanges differed from the
/// recording.
pub fn run(only: &[String], dir: Option<PathBuf>, verbose: bool) -> Result<bool, String> {
    let (chosen, dir, runtime) = super::setup(only, dir)?;
    let mut out = std::io::stdout().lock();
    let mut say = |text: String| writeln!(out, "{text}").map_err(|e| e.to_string());
    say(format!(
        "ats demo: {} providers, one vendor, the durable runtime on SQLite (stores in {})\n",
        chosen.len(),
        dir.display()
    ))?;
    let w = super::provider_column(chosen.iter().map(|r| r.name));
    say(format!(
        "{:<w$} {:<17} {:<15} {:<22} {:<13} {:<15} {:>7}",
        "provider", "packages", "order", "rejection", "cancellation", "result", "time"
    ))?;
    let started = Instant::now();
    let mut failed = Vec::new();
    let mut transcripts = Vec::new();
    for registration in &chosen {
        let Some(demo) = registration.demo else {
            say(format!(
                "{:<w$} (no demo fixtures registered)",
                registration.name
            ))?;
            continue;
        };
        let mut play = Play::new(registration.name, &dir, verbose);
        let row = runtime.block_on(play.run(registration, demo));
        say(format!(
            "{:<w$} {:<17} {:<15} {:<22} {:<13} {:<15} {:>5} ms",
            registration.name,
            row.packages,
            row.order,
            row.rejection,
            row.cancellation,
            row.result,
            row.millis
        ))?;
        if !play.problems.is_empty() {
            failed.push(registration.name);
        }
        transcripts.push((registration.name, play.lines, play.problems));
    }
    for (name, lines, problems) in &transcripts {
        if lines.is_empty() && problems.is_empty() {
            continue;
        }
        say(format!("\n{name}"))?;
        for l in lines {
            say(format!("  {l}"))?;
        }
        for p in problems {
            say(format!("  ✗ {p}"))?;
        }
    }
    let took = started.elapsed().as_secs_f64();
    if failed.is_empty() {
        say(format!(
            "\nall {} providers passed: every answer, API read and result write as recorded, byte for byte ({took:.1} s).\n\
             Activity logs: ats log --database sqlite://{}/<provider>.db",
            chosen.len(),
            dir.display()
        ))?;
    } else {
        say(format!(
            "\n{} of {} providers failed: {} ({took:.1} s)",
            failed.len(),
            chosen.len(),
            failed.join(", ")
        ))?;
    }
    Ok(failed.is_empty())
}

/// One row of the table.
#[derive(Debug)]
struct Row {
    packages: String,
    order: String,
    rejection: String,
    cancellation: String,
    result: String,
    millis: u128,
}

/// One provider's run: its transcript and what differed.
struct Play {
    name: &'static str,
    dir: PathBuf,
    verbose: bool,
    lines: Vec<String>,
    problems: Vec<String>,
}

const NONE: &str = "–";

impl Play {
    fn new(name: &'static str, dir: &Path, verbose: bool) -> Self {
        Self {
            name,
            dir: dir.to_owned(),
            verbose,
            lines: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn note(&mut self, line: String) {
        if self.verbose {
            self.lines.push(line);
        }
    }

    /// `ok` when the step passed, else `✗` (its problem recorded).
    fn cell(&mut self, step: &str, outcome: Result<String, String>) -> String {
        match outcome {
            Ok(cell) => cell,
            Err(problem) => {
                self.problems.push(format!("{step}: {problem}"));
                "✗".into()
            }
        }
    }

    async fn run(&mut self, registration: &Registration, demo: DemoFixtures) -> Row {
        let started = Instant::now();
        let mut row = Row {
            packages: NONE.into(),
            order: "✗".into(),
            rejection: NONE.into(),
            cancellation: NONE.into(),
            result: "✗".into(),
            millis: 0,
        };
        let setup = Stage::start(self.name, registration, &self.dir, "").await;
        let stage = match setup {
            Ok(s) => s,
            Err(e) => {
                self.problems.push(e);
                return row;
            }
        };
        if let Some(file) = demo.packages {
            let outcome = self.packages(&stage, file).await;
            row.packages = self.cell("packages", outcome);
        }
        let outcome = self.inbound(&stage, demo.order, "accepted").await;
        row.order = self.cell("order", outcome);
        if let Some(file) = demo.rejection {
            // a store of its own: the recorded rejection is for the same
            // order id, which the main store has answered already
            let outcome = match Stage::start(self.name, registration, &self.dir, "-rejection").await
            {
                Ok(other) => self.inbound(&other, file, "rejection").await,
                Err(e) => Err(e),
            };
            row.rejection = self.cell("rejection", outcome);
        }
        if let Some(file) = demo.cancellation {
            let outcome = self.inbound(&stage, file, "cancelled").await;
            row.cancellation = self.cell("cancellation", outcome);
        }
        let outcome = self.result(&stage, demo.result).await;
        row.result = self.cell("result", outcome);
        stage.store.close().await;
        row.millis = started.elapsed().as_millis();
        row
    }

    /// Plays an inbound fixture through the runtime; the cell to show.
    async fn inbound(&mut self, stage: &Stage, file: &str, what: &str) -> Result<String, String> {
        stage.server.reset().await;
        let fixture = stage.read(file)?;
        replay::mount(&stage.server, &fixture.exchanges).await?;
        let mut request = fixture.inbound_request()?;
        if let Some(body) = stage
            .callback
            .as_ref()
            .and_then(|cb| point_at(&request.body, cb))
        {
            request.body = body.into();
        }
        let reply = fixture
            .reply
            .clone()
            .ok_or_else(|| format!("{file}: no vendor reply recorded"))?;
        stage.vendor.answer(reply);
        self.note(format!("← {} {}   ({file})", request.method, request.path));
        let response = stage
            .runtime
            .handle(request)
            .await
            .ok_or("no adapter took the request")?;
        for r in stage.server.received_requests().await.unwrap_or_default() {
            self.note(format!(
                "  → {} {} (a read of the provider's API)",
                r.method,
                r.url.path()
            ));
        }
        if let Some(seen) = stage.vendor.seen() {
            self.note(format!("  vendor: {seen}"));
        }
        let status = response.status.as_u16();
        self.note(format!("→ {status} {}", excerpt(&response.body)));
        if let Some(want) = &fixture.response {
            want.check(&response)
                .map_err(|e| format!("the answer differs from the recording: {e}"))?;
        }
        replay::verify(&stage.server, &fixture.exchanges)
            .await
            .map_err(|e| format!("the API reads differ from the recording: {e}"))?;
        Ok(match what {
            "rejection" if (400..500).contains(&status) => format!("shown ({status}) ✓"),
            "rejection" => format!("acknowledged ({status}) ✓"),
            _ => format!("{what} ✓"),
        })
    }

    /// The package list: asked for (inbound) or pushed (outbound).
    async fn packages(&mut self, stage: &Stage, file: &str) -> Result<String, String> {
        let fixture = stage.read(file)?;
        match fixture.direction {
            Direction::Inbound => {
                let count = match &fixture.reply {
                    Some(VendorReply::Packages { packages }) => packages.len(),
                    _ => 0,
                };
                self.inbound(stage, file, "served").await?;
                Ok(format!("{count} served ✓"))
            }
            Direction::Outbound => {
                stage.server.reset().await;
                replay::mount(&stage.server, &fixture.exchanges).await?;
                let Some(OutboundCall::PublishPackages { tenant, packages }) = &fixture.call else {
                    return Err(format!("{file}: not a publish_packages call"));
                };
                self.note(format!(
                    "⇢ the vendor publishes {} packages   ({file})",
                    packages.len()
                ));
                stage
                    .adapter
                    .publish_packages(tenant, packages)
                    .await
                    .map_err(|e| e.to_string())?;
                for r in stage.server.received_requests().await.unwrap_or_default() {
                    self.note(format!("  → {} {}", r.method, r.url.path()));
                }
                replay::verify(&stage.server, &fixture.exchanges)
                    .await
                    .map_err(|e| format!("the write differs from the recording: {e}"))?;
                Ok(format!("{} pushed ✓", packages.len()))
            }
        }
    }

    /// The vendor's completed result, delivered by an outbox worker.
    async fn result(&mut self, stage: &Stage, file: &str) -> Result<String, String> {
        stage.server.reset().await;
        let fixture = stage.read(file)?;
        replay::mount(&stage.server, &fixture.exchanges).await?;
        let Some(OutboundCall::SubmitResult { order, result }) = &fixture.call else {
            return Err(format!("{file}: not a submit_result call"));
        };
        stage
            .runtime
            .report(order, result)
            .await
            .map_err(|e| format!("report: {e}"))?;
        self.note(format!(
            "⇢ the vendor reports `{}`; an outbox worker delivers it   ({file})",
            result.status.as_str()
        ));
        let attempt =
            tokio::time::timeout(Duration::from_secs(30), stage.runtime.deliver_next("demo")).await;
        for r in stage.server.received_requests().await.unwrap_or_default() {
            self.note(format!("  → {} {}", r.method, r.url.path()));
        }
        if !matches!(attempt, Ok(Ok(Some(Attempt::Delivered)))) {
            return Err(format!("not delivered: {attempt:?}"));
        }
        replay::verify(&stage.server, &fixture.exchanges)
            .await
            .map_err(|e| format!("the write differs from the recording: {e}"))?;
        Ok("delivered ✓".into())
    }
}

/// A provider's stand-in, adapter, vendor, store and runtime.
struct Stage {
    server: MockServer,
    folder: PathBuf,
    adapter: Arc<dyn AtsProvider>,
    vendor: Arc<Scripted>,
    store: Store,
    runtime: Runtime,
    /// Where the demo result goes when the provider names a callback URL in
    /// its orders: the stand-in, which plays the provider's host.
    callback: Option<url::Url>,
}

impl Stage {
    async fn start(
        name: &str,
        registration: &Registration,
        dir: &Path,
        suffix: &str,
    ) -> Result<Self, String> {
        let server = MockServer::builder().start().await;
        let folder = ats_testkit::fixtures_dir().join(name);
        let demo = registration.demo.ok_or("no demo fixtures")?;
        let adapter: Arc<dyn AtsProvider> = Arc::from(
            (registration.recorded)(&server.uri())
                .map_err(|e| format!("building the adapter: {e}"))?,
        );
        let vendor = Arc::new(Scripted::default());
        let db = dir.join(format!("{name}{suffix}.db"));
        let _ = std::fs::remove_file(&db);
        let store = Store::connect(&format!("sqlite://{}", db.display()), KeyRing::ephemeral())
            .await
            .map_err(|e| format!("the store: {e}"))?;
        let order = read_fixture(&folder, &server.uri(), demo.order)?;
        let result = read_fixture(&folder, &server.uri(), demo.result)?;
        let recorded = order
            .request
            .as_ref()
            .ok_or_else(|| format!("{}: no request recorded", demo.order))?;
        // served where the recordings were made (their first path segments)
        let mut prefixes = std::collections::BTreeSet::from([first_segment(&recorded.path)]);
        for file in [demo.packages, demo.rejection, demo.cancellation]
            .into_iter()
            .flatten()
        {
            if let Some(r) = read_fixture(&folder, &server.uri(), file)?.request {
                prefixes.insert(first_segment(&r.path));
            }
        }
        let mut builder = Runtime::builder()
            .with_store(store.clone())
            .with_shared_vendor(vendor.clone());
        for prefix in prefixes {
            builder = builder.with_adapter_at(prefix, adapter.clone());
        }
        let runtime = builder.build().map_err(|e| format!("the runtime: {e}"))?;
        let callback = match &result.call {
            Some(OutboundCall::SubmitResult { order, .. }) => order.callback_url.clone(),
            _ => None,
        };
        Ok(Self {
            server,
            folder,
            adapter,
            vendor,
            store,
            runtime,
            callback,
        })
    }

    fn read(&self, file: &str) -> Result<Fixture, String> {
        read_fixture(&self.folder, &self.server.uri(), file)
    }
}

/// `/a` of `/a/b/c`.
fn first_segment(path: &str) -> String {
    format!(
        "/{}",
        path.trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
    )
}

fn read_fixture(folder: &Path, server: &str, file: &str) -> Result<Fixture, String> {
    FixtureFile::read(folder.join(file))
        .and_then(|f| f.parse(server))
        .map_err(|e| e.to_string())
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

/// The vendor: answers what the current step's recording says, and
/// remembers what it was asked.
#[derive(Default)]
struct Scripted {
    reply: Mutex<Option<VendorReply>>,
    seen: Mutex<Option<String>>,
}

impl Scripted {
    fn answer(&self, reply: VendorReply) {
        *self.reply.lock().unwrap_or_else(PoisonError::into_inner) = Some(reply);
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn seen(&self) -> Option<String> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn script(&self, what: String) -> Result<ScriptedVendor, VendorError> {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(what);
        self.reply
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .map(ScriptedVendor::new)
            .ok_or_else(|| VendorError::Internal {
                message: "no answer scripted".into(),
            })
    }
}

#[async_trait]
impl Vendor for Scripted {
    async fn packages(&self, request: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        self.script("asked for its packages".into())?
            .packages(request)
            .await
    }

    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        self.script(describe_order(order))?.order(order).await
    }

    async fn cancel(&self, cancellation: &Cancellation) -> Result<(), VendorError> {
        self.script(format!(
            "told that order {} is cancelled",
            cancellation
                .order
                .provider_order_id
                .as_deref()
                .or(cancellation.order.vendor_assessment_id.as_deref())
                .unwrap_or("?")
        ))?
        .cancel(cancellation)
        .await
    }

    async fn status(&self, query: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        self.script("asked for a status".into())?
            .status(query)
            .await
    }
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

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        "(no body)".into()
    } else if text.chars().count() > 72 {
        format!("{}…", text.chars().take(72).collect::<String>())
    } else {
        text
    }
}
