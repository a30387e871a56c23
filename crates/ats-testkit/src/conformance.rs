//! The conformance suite: the checks every adapter must pass, driven by its
//! fixtures.
//!
//! ```no_run
//! # async fn demo() {
//! use ats_core::{AtsProvider, Error};
//! use ats_testkit::conformance;
//!
//! let report = conformance::Suite::new("fixtures/my-ats", |server: &str| {
//!     // build the adapter under test; `server` is the mock provider's base URL
//!     # let adapter: Result<Box<dyn AtsProvider>, Error> = Err(Error::config(server));
//!     adapter
//! })
//! .secrets(["the-api-key-used-in-fixtures"])
//! .run()
//! .await;
//! report.assert_ok();
//! # }
//! ```
//!
//! What it checks:
//!
//! * **fixtures**: every file parses; every operation the adapter lists has
//!   at least one fixture that succeeds.
//! * **inbound**: `route`, `receive` and `translate` give the recorded event
//!   (or error); `respond` / `respond_error` render the recorded response
//!   byte for byte; `serve::handle` does too, end to end; the calls made to
//!   fetch details match the recorded ones.
//! * **authentication**: by each operation's scheme
//!   ([`AtsProvider::inbound_auth`]), without credentials, with wrong
//!   credentials, with an altered signature or body, every accepted request
//!   is refused with
//!   `unauthenticated` / `bad_signature` and a 401/403.
//! * **malformed input**: empty, junk, truncated and mutated bodies give a
//!   `malformed` error (never a panic, never another kind).
//! * **routing**: an unknown path is refused with a 4xx.
//! * **outbound**: `prepare` builds the recorded requests (a write expected
//!   to fail part-way may prepare requests it never sends); the write sends
//!   exactly the recorded requests (method, path, query, credentials, body
//!   bytes) to a wiremock server answering with the recorded responses, and
//!   reports the recorded outcome (attempts, warnings, or typed error).
//! * **secrets**: the adapter's `Debug` output shows none of the secrets.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use ats_core::auth::basic_header_value;
use ats_core::{
    AtsProvider, Direction, Error, ErrorKind, InboundAuth, InboundEvent, InboundRequest,
    OutboundCall, Secret, VendorReply, serve,
};
use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::Value;
use wiremock::MockServer;

use crate::fixture::{Fixture, FixtureFile, read_dir};
use crate::replay;
use crate::vendor::ScriptedVendor;

/// Builds the adapter under test, given the mock server's base URL.
pub type Factory = dyn Fn(&str) -> Result<Box<dyn AtsProvider>, Error> + Send + Sync;

/// One check and its outcome.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// The fixture it was checked on, if any.
    pub fixture: Option<String>,
    /// `Err` with an explanation when it failed.
    pub outcome: Result<(), String>,
}

/// The outcome of a suite run.
#[derive(Debug, Default)]
pub struct Report {
    /// The adapter's name.
    pub provider: String,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

impl Report {
    fn record(
        &mut self,
        name: impl Into<String>,
        fixture: Option<&FixtureFile>,
        outcome: Result<(), String>,
    ) {
        self.checks.push(Check {
            name: name.into(),
            fixture: fixture.map(ToString::to_string),
            outcome,
        });
    }

    /// The failed checks.
    pub fn failures(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| c.outcome.is_err()).collect()
    }

    /// How many checks passed.
    pub fn passed(&self) -> usize {
        self.checks.iter().filter(|c| c.outcome.is_ok()).count()
    }

    /// `true` when checks ran and none failed.
    pub fn is_ok(&self) -> bool {
        !self.checks.is_empty() && self.failures().is_empty()
    }

    /// Panics, listing every failure, unless [`Report::is_ok`].
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failures = self.failures();
        writeln!(
            f,
            "conformance of `{}`: {} checks, {} passed, {} failed",
            self.provider,
            self.checks.len(),
            self.passed(),
            failures.len()
        )?;
        for c in failures {
            let at = c
                .fixture
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            let why = c.outcome.as_ref().err().map_or("", String::as_str);
            writeln!(f, "FAILED {}{at}: {why}", c.name)?;
        }
        Ok(())
    }
}

/// A configured suite run.
pub struct Suite {
    dir: PathBuf,
    factory: Box<Factory>,
    secrets: Vec<String>,
}

impl fmt::Debug for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Suite")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Runs the suite on the fixtures in `dir` (see [`Suite`]).
pub async fn run<F>(dir: impl Into<PathBuf>, factory: F) -> Report
where
    F: Fn(&str) -> Result<Box<dyn AtsProvider>, Error> + Send + Sync + 'static,
{
    Suite::new(dir, factory).run().await
}

const NOWHERE: &str = "http://127.0.0.1:1";
/// The longest an outbound write may take against the stand-in.
const WRITE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

impl Suite {
    /// A suite over the fixtures in `dir`, building adapters with `factory`.
    pub fn new<F>(dir: impl Into<PathBuf>, factory: F) -> Self
    where
        F: Fn(&str) -> Result<Box<dyn AtsProvider>, Error> + Send + Sync + 'static,
    {
        Self {
            dir: dir.into(),
            factory: Box::new(factory),
            secrets: Vec::new(),
        }
    }

    /// Secrets the adapter is configured with: its `Debug` output must not
    /// contain any of them.
    pub fn secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.secrets.extend(secrets.into_iter().map(Into::into));
        self
    }

    /// Runs every check.
    pub async fn run(&self) -> Report {
        let mut report = Report::default();
        let base = match (self.factory)(NOWHERE) {
            Ok(a) => a,
            Err(e) => {
                report.record("build adapter", None, Err(e.to_string()));
                return report;
            }
        };
        report.provider = base.name().to_owned();
        let files = match read_dir(&self.dir) {
            Ok(f) if f.is_empty() => {
                report.record(
                    "fixtures",
                    None,
                    Err(format!("no fixtures in {}", self.dir.display())),
                );
                return report;
            }
            Ok(f) => f,
            Err(e) => {
                report.record("fixtures", None, Err(e.to_string()));
                return report;
            }
        };
        let mut parsed = Vec::new();
        for file in &files {
            match file.parse(NOWHERE) {
                Ok(f) => parsed.push((file, f)),
                Err(e) => report.record("fixture parses", Some(file), Err(e.to_string())),
            }
        }
        coverage(&mut report, base.as_ref(), &parsed);
        for (file, fixture) in &parsed {
            match fixture.direction {
                Direction::Inbound => {
                    self.inbound(&mut report, file).await;
                    if fixture.expects_success() {
                        self.authentication(&mut report, base.as_ref(), file, fixture)
                            .await;
                    }
                }
                Direction::Outbound => self.outbound(&mut report, file).await,
            }
        }
        self.malformed(&mut report, base.as_ref(), &parsed).await;
        routing(&mut report, base.as_ref(), &parsed).await;
        let debug = format!("{base:?}");
        let leaked: Vec<&str> = self
            .secrets
            .iter()
            .filter(|s| !s.is_empty() && debug.contains(s.as_str()))
            .map(String::as_str)
            .collect();
        report.record(
            "Debug output hides secrets",
            None,
            if leaked.is_empty() {
                Ok(())
            } else {
                Err(format!("{} secret(s) visible in {debug}", leaked.len()))
            },
        );
        report
    }

    /// Runs the checks of each fixture in `files` on its own, without the
    /// checks that need the whole folder (operation coverage, junk bodies,
    /// unknown routes): what `ats replay` reports, fixture by fixture.
    pub async fn run_files(&self, files: &[FixtureFile]) -> Report {
        let mut report = Report::default();
        let base = match (self.factory)(NOWHERE) {
            Ok(a) => a,
            Err(e) => {
                report.record("build adapter", None, Err(e.to_string()));
                return report;
            }
        };
        report.provider = base.name().to_owned();
        for file in files {
            let fixture = match file.parse(NOWHERE) {
                Ok(f) => f,
                Err(e) => {
                    report.record("fixture parses", Some(file), Err(e.to_string()));
                    continue;
                }
            };
            match fixture.direction {
                Direction::Inbound => {
                    self.inbound(&mut report, file).await;
                    if fixture.expects_success() {
                        self.authentication(&mut report, base.as_ref(), file, &fixture)
                            .await;
                    }
                }
                Direction::Outbound => self.outbound(&mut report, file).await,
            }
        }
        report
    }

    async fn setup(
        &self,
        file: &FixtureFile,
    ) -> Result<(MockServer, Fixture, Box<dyn AtsProvider>), String> {
        // a server of its own, not one from wiremock's shared pool: a run
        // over many fixtures was seen to spin forever taking pooled servers
        // once outbound fixtures came before inbound ones
        let server = MockServer::builder().start().await;
        let fixture = file.parse(&server.uri()).map_err(|e| e.to_string())?;
        replay::mount(&server, &fixture.exchanges).await?;
        let adapter =
            (self.factory)(&server.uri()).map_err(|e| format!("building the adapter: {e}"))?;
        Ok((server, fixture, adapter))
    }

    async fn inbound(&self, report: &mut Report, file: &FixtureFile) {
        let (server, fixture, adapter) = match self.setup(file).await {
            Ok(s) => s,
            Err(e) => return report.record("inbound fixture", Some(file), Err(e)),
        };
        let request = match fixture.inbound_request() {
            Ok(r) => r,
            Err(e) => return report.record("inbound fixture", Some(file), Err(e)),
        };
        let routed = adapter.route(&request);
        if fixture.expects_success() {
            report.record(
                "route",
                Some(file),
                match &routed {
                    Ok(op) if *op == fixture.operation => Ok(()),
                    Ok(op) => Err(format!(
                        "routed to `{op}`, expected `{}`",
                        fixture.operation
                    )),
                    Err(e) => Err(e.to_string()),
                },
            );
        }
        let received = adapter.receive(&request).await;
        let outcome = match (&received, &fixture.expect.event, &fixture.expect.error) {
            (Ok(inbound), Some(want), _) => {
                if inbound.operation != fixture.operation {
                    Err(format!(
                        "operation `{}`, expected `{}`",
                        inbound.operation, fixture.operation
                    ))
                } else {
                    compare_events(&inbound.event, want)
                }
            }
            (Err(e), _, Some(want)) => want.check(e),
            (Ok(inbound), None, _) => Err(format!(
                "accepted as {}, expected an error",
                inbound.event.kind()
            )),
            (Err(e), None, None) | (Err(e), Some(_), None) => Err(format!("refused: {e}")),
        };
        report.record("receive", Some(file), outcome);
        if !fixture.exchanges.is_empty() {
            report.record(
                "calls made while receiving",
                Some(file),
                replay::verify(&server, &fixture.exchanges).await,
            );
        }
        // pure translation
        if let Some(want) = fixture
            .expect
            .translated
            .as_ref()
            .or(if fixture.exchanges.is_empty() {
                fixture.expect.event.as_ref()
            } else {
                None
            })
        {
            let got = guarded(|| adapter.translate(&fixture.operation, &request));
            let outcome = match got {
                Ok(Ok(mut event)) => {
                    if let (None, Some(t)) = (event.tenant(), want.tenant()) {
                        event.set_tenant(t.clone());
                    }
                    compare_events(&event, want)
                }
                Ok(Err(e)) => Err(format!("translate failed: {e}")),
                Err(panic) => Err(panic),
            };
            report.record("translate", Some(file), outcome);
        }
        if let Some(want) = fixture
            .expect
            .error
            .as_ref()
            .filter(|e| e.kind == ErrorKind::Malformed)
        {
            let outcome = match guarded(|| adapter.translate(&fixture.operation, &request)) {
                Ok(Err(e)) => want.check(&e),
                Ok(Ok(ev)) => Err(format!("translate accepted it as {}", ev.kind())),
                Err(panic) => Err(panic),
            };
            report.record("translate refuses malformed", Some(file), outcome);
        }
        // rendering
        let Some(response) = &fixture.response else {
            return;
        };
        let rendered = match (&received, &fixture.reply) {
            (Ok(inbound), Some(reply)) => adapter
                .respond_to(inbound, reply)
                .map_err(|e| e.to_string()),
            (Ok(_), None) => Err("the fixture has a response but no reply".to_owned()),
            (Err(e), _) => Ok(adapter.respond_error(routed.as_ref().ok().copied(), e)),
        };
        report.record(
            "render response",
            Some(file),
            rendered.and_then(|r| response.check(&r)),
        );
        // end to end, on a fresh server (enrichment calls are answered once)
        let (_server, fixture, adapter) = match self.setup(file).await {
            Ok(s) => s,
            Err(e) => return report.record("serve::handle", Some(file), Err(e)),
        };
        let vendor =
            ScriptedVendor::new(fixture.reply.clone().unwrap_or(VendorReply::Acknowledged));
        let handled = serve::handle(adapter.as_ref(), &vendor, &request).await;
        report.record(
            "serve::handle",
            Some(file),
            response.check(&handled.response),
        );
    }

    async fn authentication(
        &self,
        report: &mut Report,
        adapter: &dyn AtsProvider,
        file: &FixtureFile,
        fixture: &Fixture,
    ) {
        let Ok(request) = fixture.inbound_request() else {
            return;
        };
        let auth = adapter.inbound_auth(&fixture.operation);
        for (label, tampered) in tamper(auth, &request) {
            let outcome = match adapter.receive(&tampered).await {
                Ok(inbound) => Err(format!("accepted ({})", inbound.event.kind())),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Unauthenticated | ErrorKind::BadSignature
                    ) =>
                {
                    let status = adapter
                        .respond_error(Some(&fixture.operation), &e)
                        .status
                        .as_u16();
                    if status == 401 || status == 403 {
                        Ok(())
                    } else {
                        Err(format!("refused with `{e}` but answered HTTP {status}"))
                    }
                }
                Err(e) => Err(format!("refused with the wrong kind of error: {e}")),
            };
            report.record(format!("auth: {label}"), Some(file), outcome);
        }
    }

    async fn malformed(
        &self,
        report: &mut Report,
        adapter: &dyn AtsProvider,
        parsed: &[(&FixtureFile, Fixture)],
    ) {
        let mut seen = std::collections::BTreeSet::new();
        for (file, fixture) in parsed {
            if fixture.direction != Direction::Inbound
                || !fixture.expects_success()
                || !seen.insert(fixture.operation.clone())
            {
                continue;
            }
            let Ok(request) = fixture.inbound_request() else {
                continue;
            };
            let body: Option<Value> = serde_json::from_slice(&request.body).ok();
            let is_object_with_keys = body
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(|o| !o.is_empty());
            if !is_object_with_keys {
                continue;
            }
            let op = fixture.operation.as_str();
            let with_body = |b: Bytes| {
                let mut r = request.clone();
                r.body = b;
                r
            };
            // junk: must be refused as malformed
            let junk: [&[u8]; 11] = [
                b"",
                b" ",
                b"{",
                b"}",
                b"null",
                b"[]",
                b"42",
                b"\"text\"",
                b"{\"a\":",
                b"[{}]",
                b"\xff\xfe",
            ];
            let mut problems = Vec::new();
            for j in junk {
                match guarded(|| adapter.translate(op, &with_body(Bytes::from_static(j)))) {
                    Ok(Err(e)) if e.kind() == ErrorKind::Malformed => {}
                    Ok(Err(e)) => problems.push(format!("{:?}: {e}", String::from_utf8_lossy(j))),
                    Ok(Ok(ev)) => problems.push(format!(
                        "{:?}: accepted as {}",
                        String::from_utf8_lossy(j),
                        ev.kind()
                    )),
                    Err(p) => problems.push(format!("{:?}: {p}", String::from_utf8_lossy(j))),
                }
            }
            report.record("malformed: junk bodies", Some(file), joined(problems));
            // truncations: invalid JSON, must be refused as malformed
            let text = String::from_utf8_lossy(&request.body).trim_end().to_owned();
            let mut problems = Vec::new();
            let len = text.len();
            for cut in [len / 4, len / 2, len * 3 / 4, len.saturating_sub(1)] {
                let cut = floor_char_boundary(&text, cut);
                let b = Bytes::from(text[..cut].to_owned());
                match guarded(|| adapter.translate(op, &with_body(b))) {
                    Ok(Err(e)) if e.kind() == ErrorKind::Malformed => {}
                    Ok(Err(e)) => problems.push(format!("cut at {cut}: {e}")),
                    Ok(Ok(_)) => problems.push(format!("cut at {cut}: accepted")),
                    Err(p) => problems.push(format!("cut at {cut}: {p}")),
                }
            }
            report.record("malformed: truncated bodies", Some(file), joined(problems));
            // mutations: never panic, only ever malformed when refused
            let mut problems = Vec::new();
            let mut count = 0;
            if let Some(body) = &body {
                for variant in mutations(body) {
                    count += 1;
                    let b = Bytes::from(serde_json::to_vec(&variant.1).unwrap_or_default());
                    match guarded(|| adapter.translate(op, &with_body(b))) {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) if e.kind() == ErrorKind::Malformed => {}
                        Ok(Err(e)) => problems.push(format!("{}: {e}", variant.0)),
                        Err(p) => problems.push(format!("{}: {p}", variant.0)),
                    }
                }
            }
            report.record(
                format!("malformed: {count} mutated bodies"),
                Some(file),
                joined(problems),
            );
            // through receive, with valid credentials (header-credential schemes)
            if matches!(
                adapter.inbound_auth(op),
                InboundAuth::BasicApiKey | InboundAuth::BearerToken
            ) {
                let mut problems = Vec::new();
                for j in [&b"{"[..], b"null", b"[]"] {
                    let r = with_body(Bytes::from_static(j));
                    match adapter.receive(&r).await {
                        Err(e) if e.kind() == ErrorKind::Malformed => {
                            let s = adapter.respond_error(Some(op), &e).status.as_u16();
                            if !(400..500).contains(&s) {
                                problems.push(format!(
                                    "{:?}: answered HTTP {s}",
                                    String::from_utf8_lossy(j)
                                ));
                            }
                        }
                        Err(e) => problems.push(format!("{:?}: {e}", String::from_utf8_lossy(j))),
                        Ok(_) => {
                            problems.push(format!("{:?}: accepted", String::from_utf8_lossy(j)))
                        }
                    }
                }
                report.record(
                    "malformed: refused with 4xx after authentication",
                    Some(file),
                    joined(problems),
                );
            }
        }
    }

    async fn outbound(&self, report: &mut Report, file: &FixtureFile) {
        let (server, fixture, adapter) = match self.setup(file).await {
            Ok(s) => s,
            Err(e) => return report.record("outbound fixture", Some(file), Err(e)),
        };
        let Some(call) = &fixture.call else {
            return;
        };
        // pure: the requests the call consists of
        let outcome = match adapter.prepare(call) {
            // nothing is recorded as sent: the call must fail before any I/O
            // (a missing credential), so only a failure of `prepare` is checked
            Ok(_) if fixture.exchanges.is_empty() => Ok(()),
            Ok(prepared) if prepared.is_empty() => Err("prepare built no request".to_owned()),
            Ok(prepared) => {
                let failed = fixture.expect.error.is_some();
                joined(
                    prepared
                        .iter()
                        .filter_map(|p| {
                            let same_target: Vec<_> = fixture
                                .exchanges
                                .iter()
                                .filter(|ex| {
                                    ex.request.method == p.method.as_str()
                                        && ex.request.path == p.url.path()
                                })
                                .collect();
                            if same_target
                                .iter()
                                .any(|ex| replay::compare_prepared(p, &ex.request).is_ok())
                            {
                                return None;
                            }
                            if fixture.expect.skipped.contains(&p.operation) {
                                return (!same_target.is_empty()).then(|| {
                                    format!(
                                        "{} {} is expected to be skipped, but was recorded",
                                        p.method,
                                        p.url.path()
                                    )
                                });
                            }
                            match same_target.first() {
                                Some(ex) => replay::compare_prepared(p, &ex.request).err(),
                                // a write that fails part-way never sends the rest
                                None if failed => None,
                                None => {
                                    Some(format!("{} {} was not recorded", p.method, p.url.path()))
                                }
                            }
                        })
                        .collect(),
                )
            }
            Err(e) => match &fixture.expect.error {
                Some(want) => want.check(&e),
                None => Err(format!("prepare failed: {e}")),
            },
        };
        report.record("prepare", Some(file), outcome);
        // I/O: the write itself, with a deadline: a write that never
        // happens (or waits forever) fails the check instead of the run
        let write = async {
            match call {
                OutboundCall::SubmitResult { order, result } => {
                    adapter.submit_result(order, result).await
                }
                OutboundCall::PublishPackages { tenant, packages } => {
                    adapter.publish_packages(tenant, packages).await
                }
                other => Err(Error::config(format!("the suite cannot run {other:?}"))),
            }
        };
        let result = match tokio::time::timeout(WRITE_DEADLINE, write).await {
            Ok(r) => r,
            Err(_) => {
                return report.record(
                    "outbound call",
                    Some(file),
                    Err(format!("no answer within {} s", WRITE_DEADLINE.as_secs())),
                );
            }
        };
        let outcome = match (&result, &fixture.expect.delivery, &fixture.expect.error) {
            (Ok(d), Some(want), _) => {
                if d.attempts == want.attempts && d.warnings == want.warnings {
                    Ok(())
                } else {
                    Err(format!(
                        "delivered after {} attempt(s) with warnings {:?}, expected {} and {:?}",
                        d.attempts, d.warnings, want.attempts, want.warnings
                    ))
                }
            }
            (Err(e), _, Some(want)) => want.check(e),
            (Ok(d), None, _) => Err(format!(
                "succeeded after {} attempt(s), expected an error",
                d.attempts
            )),
            (Err(e), _, None) => Err(format!("failed: {e}")),
        };
        report.record("outbound call", Some(file), outcome);
        report.record(
            "requests sent byte for byte",
            Some(file),
            replay::verify(&server, &fixture.exchanges).await,
        );
    }
}

fn coverage(report: &mut Report, adapter: &dyn AtsProvider, parsed: &[(&FixtureFile, Fixture)]) {
    let mut missing = Vec::new();
    for op in adapter.operations() {
        let covered = parsed.iter().any(|(_, f)| {
            f.operation == op.name
                && f.direction == op.direction
                && (f.direction == Direction::Outbound || f.expects_success())
        });
        if !covered {
            missing.push(format!("{} ({:?})", op.name, op.direction));
        }
    }
    report.record(
        "every operation has a fixture",
        None,
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("no fixture for {}", missing.join(", ")))
        },
    );
    let unknown: Vec<_> = parsed
        .iter()
        .filter(|(_, f)| !adapter.operations().iter().any(|o| o.name == f.operation))
        .map(|(file, f)| format!("{file}: `{}`", f.operation))
        .collect();
    report.record(
        "every fixture names a listed operation",
        None,
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(unknown.join(", "))
        },
    );
}

async fn routing(
    report: &mut Report,
    adapter: &dyn AtsProvider,
    parsed: &[(&FixtureFile, Fixture)],
) {
    let Some(template) = parsed
        .iter()
        .filter(|(_, f)| f.direction == Direction::Inbound && f.expects_success())
        .find_map(|(_, f)| f.inbound_request().ok())
    else {
        return;
    };
    let mut request = template.clone();
    request.method = Method::POST;
    request.path = "/conformance/not-an-operation".to_owned();
    request.query = None;
    request.body = Bytes::new();
    let outcome = match adapter.route(&request) {
        Ok(op) => Err(format!("routed to `{op}`")),
        Err(_) => {
            let handled = serve::handle(
                adapter,
                &ScriptedVendor::new(VendorReply::Acknowledged),
                &request,
            )
            .await;
            let s = handled.response.status.as_u16();
            if (400..500).contains(&s) {
                Ok(())
            } else {
                Err(format!("answered HTTP {s}"))
            }
        }
    };
    report.record("unknown operation is refused with 4xx", None, outcome);
}

/// Variants of a request with its credentials removed or altered.
fn tamper(auth: InboundAuth, request: &InboundRequest) -> Vec<(&'static str, InboundRequest)> {
    let mut out = Vec::new();
    let with_header = |name: &'static str, value: Option<&str>| {
        let mut r = request.clone();
        r.headers.remove(name);
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            r.headers.insert(name, v);
        }
        r
    };
    match auth {
        InboundAuth::BasicApiKey => {
            let wrong = basic_header_value(&Secret::new("conformance-wrong-key"), None);
            out.push(("no credentials", with_header("authorization", None)));
            out.push((
                "wrong key",
                with_header("authorization", Some(wrong.expose())),
            ));
            out.push((
                "wrong scheme",
                with_header("authorization", Some("Bearer conformance-wrong-token")),
            ));
        }
        InboundAuth::BearerToken => {
            let basic = basic_header_value(&Secret::new("conformance-wrong-key"), None);
            out.push(("no credentials", with_header("authorization", None)));
            out.push((
                "wrong token",
                with_header("authorization", Some("Bearer conformance-wrong-token")),
            ));
            out.push((
                "wrong scheme",
                with_header("authorization", Some(basic.expose())),
            ));
        }
        InboundAuth::HeaderSignature { header } => {
            out.push(("no signature", with_header(header, None)));
            if let Some(v) = request.header(header) {
                out.push(("altered signature", with_header(header, Some(&alter(v)))));
            }
            let mut r = request.clone();
            let mut body = request.body.to_vec();
            body.push(b' ');
            r.body = Bytes::from(body);
            out.push(("altered body", r));
        }
        InboundAuth::BodySignature { field } => {
            if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&request.body) {
                let mut without = map.clone();
                without.remove(field);
                let mut r = request.clone();
                r.body = Bytes::from(serde_json::to_vec(&without).unwrap_or_default());
                out.push(("no signature", r));
                if let Some(Value::String(sig)) = map.get(field) {
                    let mut altered = map.clone();
                    altered.insert(field.to_owned(), Value::String(alter(sig)));
                    let mut r = request.clone();
                    r.body = Bytes::from(serde_json::to_vec(&altered).unwrap_or_default());
                    out.push(("altered signature", r));
                }
            }
        }
    }
    out
}

/// Changes the first character of an encoded signature to another character
/// valid in hex and base64, so it still decodes but no longer matches.
fn alter(sig: &str) -> String {
    let mut chars = sig.chars();
    let first = chars.next().unwrap_or('0');
    let replacement = if first == 'a' { 'b' } else { 'a' };
    std::iter::once(replacement).chain(chars).collect()
}

/// Every value at depth ≤ 4 replaced by values of other types, and every
/// object key removed.
fn mutations(body: &Value) -> Vec<(String, Value)> {
    let replacements = [
        Value::Null,
        Value::Bool(true),
        Value::from(0),
        Value::from(-1.5),
        Value::from(""),
        Value::from("x"),
        Value::Array(Vec::new()),
        Value::Object(serde_json::Map::new()),
    ];
    let mut paths = Vec::new();
    collect_paths(body, String::new(), 0, &mut paths);
    let mut out = Vec::new();
    for path in paths.iter().take(200) {
        for r in &replacements {
            let mut v = body.clone();
            if let Some(slot) = v.pointer_mut(path) {
                *slot = r.clone();
                out.push((format!("{path} = {r}"), v));
            }
        }
        if let Some((parent, key)) = path.rsplit_once('/') {
            let mut v = body.clone();
            if let Some(Value::Object(map)) = v.pointer_mut(parent) {
                map.remove(key);
                out.push((format!("{path} removed"), v));
            }
        }
    }
    out
}

fn collect_paths(v: &Value, at: String, depth: usize, out: &mut Vec<String>) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                collect_paths(child, p, depth + 1, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate().take(3) {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                collect_paths(child, p, depth + 1, out);
            }
        }
        _ => {}
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn joined(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Runs `f`, turning a panic into an error message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown payload".to_owned());
        format!("PANICKED: {msg}")
    })
}

/// Compares two events as JSON and names the first difference.
pub fn compare_events(got: &InboundEvent, want: &InboundEvent) -> Result<(), String> {
    let g = serde_json::to_value(got).map_err(|e| e.to_string())?;
    let w = serde_json::to_value(want).map_err(|e| e.to_string())?;
    match first_difference(&g, &w, String::new()) {
        None => Ok(()),
        Some(d) => Err(format!(
            "event differs at {d}\n     got: {}\nexpected: {}",
            serde_json::to_string(&g).unwrap_or_default(),
            serde_json::to_string(&w).unwrap_or_default()
        )),
    }
}

/// The JSON pointer of the first difference between two values, with both
/// values there.
pub fn first_difference(got: &Value, want: &Value, at: String) -> Option<String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => {
                        if let Some(d) = first_difference(gv, wv, format!("{at}/{k}")) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{at}/{k}: missing, expected {wv}")),
                }
            }
            g.keys()
                .find(|k| !w.contains_key(*k))
                .map(|k| format!("{at}/{k}: unexpected {}", g[k]))
        }
        (Value::Array(g), Value::Array(w)) => {
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                if let Some(d) = first_difference(gv, wv, format!("{at}/{i}")) {
                    return Some(d);
                }
            }
            (g.len() != w.len()).then(|| format!("{at}: {} items, expected {}", g.len(), w.len()))
        }
        (Value::Number(g), Value::Number(w)) if g.as_f64() == w.as_f64() => None,
        (g, w) if g == w => None,
        (g, w) => Some(format!(
            "{}: {g}, expected {w}",
            if at.is_empty() { "/" } else { &at }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_difference_names_the_path() {
        assert_eq!(
            first_difference(&json!({"a": 1}), &json!({"a": 1.0}), String::new()),
            None
        );
        assert_eq!(
            first_difference(
                &json!({"a": {"b": [1, 2]}}),
                &json!({"a": {"b": [1, 3]}}),
                String::new()
            )
            .as_deref(),
            Some("/a/b/1: 2, expected 3")
        );
        assert_eq!(
            first_difference(&json!({"a": 1, "x": 2}), &json!({"a": 1}), String::new()).as_deref(),
            Some("/x: unexpected 2")
        );
    }

    #[test]
    fn mutations_cover_nested_fields() {
        let m = mutations(&json!({"a": {"b": 1}, "c": [1]}));
        assert!(
            m.iter()
                .any(|(d, v)| d == "/a/b = null" && v == &json!({"a": {"b": null}, "c": [1]}))
        );
        assert!(
            m.iter()
                .any(|(d, v)| d == "/a/b removed" && v == &json!({"a": {}, "c": [1]}))
        );
        assert!(m.iter().any(|(d, _)| d == "/c/0 = \"x\""));
    }

    #[test]
    fn altered_signature_still_decodes() {
        assert_eq!(alter("abc"), "bbc");
        assert_eq!(alter("Zm9v"), "am9v");
    }

    #[test]
    fn guarded_catches_panics() {
        let r: Result<(), String> = guarded(|| panic!("boom"));
        assert_eq!(r.unwrap_err(), "PANICKED: boom");
    }
}
