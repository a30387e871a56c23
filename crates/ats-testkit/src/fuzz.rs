//! Structure-aware fuzzing of an adapter, on stable Rust, seeded with its
//! recorded fixtures (property testing with `proptest`).
//!
//! ```no_run
//! use ats_core::{AtsProvider, Error};
//!
//! fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
//!     // the same configuration as the adapter's conformance test
//!     # Err(Error::config(server))
//! }
//!
//! let report = ats_testkit::fuzz::Target::new(
//!     ats_testkit::fixtures_dir().join("my-ats"),
//!     adapter,
//! )
//! .run();
//! println!("{report}");
//! report.assert_ok();
//! ```
//!
//! What is mutated, for every fixture of the adapter:
//!
//! * **inbound fixtures**: the request body (or, for a request without a
//!   body, its query string) as a JSON document: values replaced by values
//!   of other types, removed, array items duplicated (up to 150 copies),
//!   object keys written twice, control characters inserted into strings,
//!   strings made very long (up to past the body limit), URLs replaced by
//!   ones a URL policy must refuse (user credentials, other hosts, ports and
//!   schemes); then the bytes truncated or flipped. The request is re-signed
//!   when the target knows how ([`Target::resign`]), so mutations reach past
//!   the signature check; in some cases a byte of the credential (key,
//!   token, signature) is flipped afterwards.
//! * **replies** (inbound fixtures with a `reply`): the vendor's answer,
//!   mutated the same way, rendered with `respond`.
//! * **outbound fixtures**: the `call` (order handle, result, packages),
//!   mutated the same way, built with `prepare`.
//!
//! Properties (any violation is a failure, shrunk to a minimal mutation):
//!
//! * nothing panics, and nothing runs longer than [`DEADLINE`];
//! * errors are of the kinds the stage can produce: pure translation,
//!   rendering and `prepare` never report I/O errors (transport, provider
//!   answers, rate limits) nor vendor errors; translation never blames the
//!   configuration;
//! * a request whose credential was altered is never accepted;
//! * an event `translate` or `serve::handle` accepts carries only ids
//!   (tenant, order ids, package id, candidate, application and job ids)
//!   and callback URLs that occur in the request (or in the provider's
//!   answers to the calls made while receiving), or that the unmutated
//!   fixture yields from configuration; an accepted callback URL passes the
//!   target's URL policy ([`Target::callback_policy`]);
//! * a JSON response `respond` renders is valid JSON;
//! * `prepare` only builds requests to the adapter's base URL, with path
//!   segments taken from the call (or the unmutated call's requests), or to
//!   the handle's callback URL, which the target's URL policy accepts, and
//!   never with user credentials in the URL.
//!
//! How long it runs: [`DEFAULT_CASES`] cases per fixture and stage, from a
//! fixed seed, so a CI run takes a few seconds per adapter and is
//! reproducible. A longer run sets `PROPTEST_CASES` (cases per fixture and
//! stage) and `PROPTEST_RNG_SEED` (another seed), e.g.
//! `PROPTEST_CASES=2000 PROPTEST_RNG_SEED=7 cargo test -p ats-kombo --test fuzz -- --nocapture`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ats_core::{
    Acceptance, AssessmentOrder, AssessmentResult, AssessmentStatus, AtsProvider, Cancellation,
    Direction, Error, ErrorKind, ErrorReport, InboundAuth, InboundEvent, InboundRequest,
    OrderDecision, OutboundCall, Package, PackagesRequest, StatusQuery, UrlPolicy, Vendor,
    VendorError, VendorReply, serve,
};
use bytes::Bytes;
use http::HeaderValue;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use serde_json::Value;
use url::Url;
use wiremock::MockServer;

use crate::conformance::Factory;
use crate::fixture::{Fixture, FixtureFile, read_dir};
use crate::replay;

/// The environment variable giving the number of cases per fixture and
/// stage (proptest's own).
pub const CASES_VAR: &str = "PROPTEST_CASES";
/// The environment variable giving the seed (proptest's own); without it
/// every run uses [`DEFAULT_SEED`].
pub const SEED_VAR: &str = "PROPTEST_RNG_SEED";
/// Cases per fixture and stage when [`CASES_VAR`] is not set.
pub const DEFAULT_CASES: u32 = 12;
/// The seed when [`SEED_VAR`] is not set.
pub const DEFAULT_SEED: u64 = 20;
/// How long one case may take end to end before it counts as a hang.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The base URL adapters are built with when no mock server is needed.
const NOWHERE: &str = "http://127.0.0.1:1";

/// Re-signs a mutated request with the credentials the adapter is
/// configured with (a header signature of the body, a signature field).
pub type Resign = dyn Fn(&mut InboundRequest) + Send + Sync;

/// An adapter to fuzz, with its fixtures.
pub struct Target {
    dir: PathBuf,
    factory: Box<Factory>,
    resign: Option<Box<Resign>>,
    policy: Option<UrlPolicy>,
    cases: Option<u32>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("dir", &self.dir)
            .field("policy", &self.policy)
            .field("cases", &self.cases)
            .finish_non_exhaustive()
    }
}

/// One fuzzed stage of one fixture.
#[derive(Clone, Debug)]
pub struct Stage {
    /// The fixture's file name.
    pub fixture: String,
    /// `inbound`, `respond` or `prepare`.
    pub stage: &'static str,
    /// Cases run.
    pub cases: u32,
    /// How long they took.
    pub elapsed: Duration,
    /// `Err` with the minimal failing mutation and what went wrong.
    pub outcome: Result<(), String>,
}

impl Stage {
    fn start(file: &FixtureFile, stage: &'static str) -> Self {
        Self {
            fixture: file.to_string(),
            stage,
            cases: 0,
            elapsed: Duration::ZERO,
            outcome: Ok(()),
        }
    }
}

/// The outcome of a fuzzing run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The adapter's name.
    pub provider: String,
    /// Every stage run, in order.
    pub stages: Vec<Stage>,
    /// How often each outcome occurred (`translate: malformed`,
    /// `handle: accepted`…), over every case run.
    pub outcomes: BTreeMap<String, u32>,
    /// Problems outside any stage (fixtures that do not load).
    pub errors: Vec<String>,
}

impl Report {
    /// The failed stages.
    pub fn failures(&self) -> Vec<&Stage> {
        self.stages.iter().filter(|s| s.outcome.is_err()).collect()
    }

    /// Cases run over all stages.
    pub fn cases(&self) -> u64 {
        self.stages.iter().map(|s| u64::from(s.cases)).sum()
    }

    /// `true` when stages ran and none failed.
    pub fn is_ok(&self) -> bool {
        !self.stages.is_empty() && self.errors.is_empty() && self.failures().is_empty()
    }

    /// Panics, listing every failure, unless [`Report::is_ok`].
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let elapsed: Duration = self.stages.iter().map(|s| s.elapsed).sum();
        writeln!(
            f,
            "fuzzing `{}`: {} stages, {} cases in {:.1} s, {} failed",
            self.provider,
            self.stages.len(),
            self.cases(),
            elapsed.as_secs_f64(),
            self.failures().len() + self.errors.len()
        )?;
        for (outcome, n) in &self.outcomes {
            writeln!(f, "  {n:>6}  {outcome}")?;
        }
        for e in &self.errors {
            writeln!(f, "ERROR {e}")?;
        }
        for s in self.failures() {
            let why = s.outcome.as_ref().err().map_or("", String::as_str);
            writeln!(f, "FAILED {} [{}]: {why}", s.stage, s.fixture)?;
        }
        Ok(())
    }
}

impl Target {
    /// The adapter under test, sending its calls to `server`.
    fn adapter(&self, server: &str) -> Result<Box<dyn AtsProvider>, String> {
        (self.factory)(server).map_err(|e| format!("building the adapter: {e}"))
    }

    /// A target over the fixtures in `dir`, building adapters with
    /// `factory` (given the base URL of the provider: a mock server, or an
    /// address where nothing listens).
    pub fn new<F>(dir: impl Into<PathBuf>, factory: F) -> Self
    where
        F: Fn(&str) -> Result<Box<dyn AtsProvider>, Error> + Send + Sync + 'static,
    {
        Self {
            dir: dir.into(),
            factory: Box::new(factory),
            resign: None,
            policy: None,
            cases: None,
        }
    }

    /// How to re-sign a mutated inbound request, so that mutations reach
    /// past the signature check. Without it, mutated bodies of signed
    /// requests are refused by the check (which is fuzzed too).
    pub fn resign<F>(mut self, resign: F) -> Self
    where
        F: Fn(&mut InboundRequest) + Send + Sync + 'static,
    {
        self.resign = Some(Box::new(resign));
        self
    }

    /// The URL policy the adapter is configured with for callback URLs
    /// from payloads. Without it, no callback URL may be accepted or called.
    pub fn callback_policy(mut self, policy: UrlPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Cases per fixture and stage, overriding [`CASES_VAR`].
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = Some(cases);
        self
    }

    fn config(&self, salt: u64) -> Config {
        let defaults = Config::default();
        let rng_seed = if std::env::var(SEED_VAR).is_err() {
            RngSeed::Fixed(DEFAULT_SEED.wrapping_add(salt))
        } else {
            defaults.rng_seed
        };
        Config {
            cases: self.cases.unwrap_or_else(|| {
                std::env::var(CASES_VAR)
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(DEFAULT_CASES)
            }),
            rng_seed,
            failure_persistence: None,
            max_shrink_iters: 200,
            max_shrink_time: 20_000,
            ..defaults
        }
    }

    /// Runs every stage of every fixture. Needs no async runtime of its
    /// own: call it from a plain `#[test]`.
    pub fn run(&self) -> Report {
        let mut report = Report::default();
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                report.errors.push(format!("cannot start a runtime: {e}"));
                return report;
            }
        };
        match (self.factory)(NOWHERE) {
            Ok(a) => report.provider = a.name().to_owned(),
            Err(e) => {
                report.errors.push(format!("building the adapter: {e}"));
                return report;
            }
        }
        let files = match read_dir(&self.dir) {
            Ok(f) if !f.is_empty() => f,
            Ok(_) => {
                report
                    .errors
                    .push(format!("no fixtures in {}", self.dir.display()));
                return report;
            }
            Err(e) => {
                report.errors.push(e.to_string());
                return report;
            }
        };
        let known = match (self.factory)(NOWHERE) {
            Ok(adapter) => Known::of(adapter.as_ref(), &files),
            Err(e) => {
                report.errors.push(format!("building the adapter: {e}"));
                return report;
            }
        };
        let outcomes = RefCell::new(BTreeMap::new());
        for (i, file) in files.iter().enumerate() {
            let salt = i as u64;
            let fixture = match file.parse(NOWHERE) {
                Ok(f) => f,
                Err(e) => {
                    report.errors.push(e.to_string());
                    continue;
                }
            };
            match fixture.direction {
                Direction::Inbound => {
                    report
                        .stages
                        .push(self.inbound(file, &runtime, &known, &outcomes, salt));
                    if let Some(reply) = &fixture.reply {
                        report
                            .stages
                            .push(self.respond(file, &fixture, reply, &outcomes, salt));
                    }
                }
                Direction::Outbound => {
                    if let Some(call) = &fixture.call {
                        report
                            .stages
                            .push(self.prepare(file, call, &known, &outcomes, salt));
                    }
                }
            }
        }
        report.outcomes = outcomes.into_inner();
        report
    }

    fn inbound(
        &self,
        file: &FixtureFile,
        runtime: &tokio::runtime::Runtime,
        known: &Known,
        outcomes: &RefCell<BTreeMap<String, u32>>,
        salt: u64,
    ) -> Stage {
        let started = Instant::now();
        let mut stage = Stage::start(file, "inbound");
        // a server of its own, as in the conformance suite (not wiremock's pool)
        let server = runtime.block_on(MockServer::builder().start());
        let prepared = file
            .parse(&server.uri())
            .map_err(|e| e.to_string())
            .and_then(|f| f.inbound_request().map(|r| (f, r)));
        let (fixture, request) = match prepared {
            Ok(p) => p,
            Err(e) => {
                stage.outcome = Err(e);
                return stage;
            }
        };
        let pure = match self.adapter(&server.uri()) {
            Ok(a) => a,
            Err(e) => {
                stage.outcome = Err(e);
                return stage;
            }
        };
        let auth = pure.inbound_auth(&fixture.operation);
        let doc = Document::of(&request);
        let paths = Paths::of(doc.value());
        let mut answers = BTreeSet::new();
        for ex in &fixture.exchanges {
            if let Ok(b) = ex.response.body_bytes()
                && let Ok(v) = serde_json::from_slice::<Value>(&b)
            {
                strings(&v, &mut answers);
            }
        }
        let vendor = FittingVendor {
            reply: fixture.reply.clone(),
        };
        let count = RefCell::new(0u32);
        let mut runner = TestRunner::new(self.config(salt));
        let strategy = (
            prop::collection::vec(mutation(), 1..=3),
            prop::option::weighted(0.2, pick_any()),
        );
        let result = runner.run(&strategy, |(mutations, flip)| {
            *count.borrow_mut() += 1;
            let mut req = request.clone();
            let applied = doc.mutate(&mutations, &paths);
            applied.install(&mut req);
            let mut sources = answers.clone();
            sources.extend(applied.sources.iter().cloned());
            request_strings(&req, &mut sources);
            url_parts(&mut sources);
            // pure translation
            let note = |what: String| *outcomes.borrow_mut().entry(what).or_insert(0) += 1;
            match pure.translate(&fixture.operation, &req) {
                Ok(event) => {
                    note("translate: accepted".into());
                    check_ids(&event, &sources, &known.ids)
                        .map_err(|e| fail(format!("translate accepted {}: {e}", event.kind())))?;
                }
                Err(e) => {
                    note(format!("translate: {}", kind_name(e.kind())));
                    if matches!(
                        e.kind(),
                        ErrorKind::Config
                            | ErrorKind::Transport
                            | ErrorKind::ProviderRejected
                            | ErrorKind::RateLimited
                            | ErrorKind::Vendor
                    ) {
                        return Err(fail(format!("translate failed with {e}")));
                    }
                }
            }
            // end to end, re-signed, sometimes with an altered credential
            if let Some(resign) = &self.resign {
                resign(&mut req);
            }
            let flipped = flip.is_some_and(|at| flip_credential(auth, &mut req, at));
            let handled = runtime.block_on(async {
                server.reset().await;
                replay::mount(&server, &fixture.exchanges).await?;
                let adapter = self.adapter(&server.uri())?;
                tokio::time::timeout(DEADLINE, serve::handle(adapter.as_ref(), &vendor, &req))
                    .await
                    .map_err(|_| format!("serve::handle took longer than {DEADLINE:?}"))
            });
            let handled = handled.map_err(fail)?;
            let status = handled.response.status.as_u16();
            match (&handled.error, &handled.inbound) {
                (None, Some(inbound)) => {
                    note(format!(
                        "handle: {} answered {status}",
                        inbound.event.kind()
                    ));
                    if flipped {
                        return Err(fail("accepted with an altered credential".into()));
                    }
                    check_ids(&inbound.event, &sources, &known.ids).map_err(|e| {
                        fail(format!(
                            "serve::handle accepted {}: {e}",
                            inbound.event.kind()
                        ))
                    })?;
                    check_callback(&inbound.event, self.policy.as_ref())
                        .map_err(|e| fail(format!("serve::handle accepted {e}")))?;
                }
                (Some(e), inbound) => {
                    note(format!(
                        "handle: {}{} answered {status}",
                        kind_name(e.kind()),
                        if flipped { " (altered credential)" } else { "" }
                    ));
                    if flipped && inbound.is_some() {
                        return Err(fail(format!(
                            "an altered credential passed authentication (then: {e})"
                        )));
                    }
                    if matches!(e.kind(), ErrorKind::Config) {
                        return Err(fail(format!("serve::handle failed with {e}")));
                    }
                }
                (None, None) => return Err(fail("no event and no error".into())),
            }
            Ok(())
        });
        stage.cases = count.into_inner();
        stage.outcome = outcome(result);
        stage.elapsed = started.elapsed();
        stage
    }

    fn respond(
        &self,
        file: &FixtureFile,
        fixture: &Fixture,
        reply: &VendorReply,
        outcomes: &RefCell<BTreeMap<String, u32>>,
        salt: u64,
    ) -> Stage {
        let started = Instant::now();
        let mut stage = Stage::start(file, "respond");
        let adapter = match self.adapter(NOWHERE) {
            Ok(a) => a,
            Err(e) => {
                stage.outcome = Err(e);
                return stage;
            }
        };
        let doc = Document::Json(serde_json::to_value(reply).unwrap_or(Value::Null));
        let paths = Paths::of(doc.value());
        let count = RefCell::new(0u32);
        let mut runner = TestRunner::new(self.config(salt + 1000));
        let result = runner.run(&prop::collection::vec(mutation(), 1..=3), |mutations| {
            *count.borrow_mut() += 1;
            let note = |what: String| *outcomes.borrow_mut().entry(what).or_insert(0) += 1;
            let Some(reply) = doc.mutate(&mutations, &paths).parsed::<VendorReply>() else {
                note("respond: reply unreadable".into());
                return Ok(());
            };
            match adapter.respond(&fixture.operation, &reply) {
                Ok(response) => {
                    note(format!("respond: {}", response.status.as_u16()));
                    let json = response
                        .headers
                        .get(http::header::CONTENT_TYPE)
                        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
                    if json && serde_json::from_slice::<Value>(&response.body).is_err() {
                        return Err(fail(format!(
                            "rendered invalid JSON: {}",
                            String::from_utf8_lossy(&response.body)
                        )));
                    }
                }
                Err(e) => {
                    note(format!("respond: {}", kind_name(e.kind())));
                    if !matches!(
                        e.kind(),
                        ErrorKind::Config | ErrorKind::Malformed | ErrorKind::UntrustedUrl
                    ) {
                        return Err(fail(format!("respond failed with {e}")));
                    }
                }
            }
            Ok(())
        });
        stage.cases = count.into_inner();
        stage.outcome = outcome(result);
        stage.elapsed = started.elapsed();
        stage
    }

    fn prepare(
        &self,
        file: &FixtureFile,
        call: &OutboundCall,
        known: &Known,
        outcomes: &RefCell<BTreeMap<String, u32>>,
        salt: u64,
    ) -> Stage {
        let started = Instant::now();
        let mut stage = Stage::start(file, "prepare");
        let adapter = match self.adapter(NOWHERE) {
            Ok(a) => a,
            Err(e) => {
                stage.outcome = Err(e);
                return stage;
            }
        };
        let base = Url::parse(NOWHERE).map(|u| u.origin());
        let doc = Document::Json(serde_json::to_value(call).unwrap_or(Value::Null));
        let paths = Paths::of(doc.value());
        let count = RefCell::new(0u32);
        let mut runner = TestRunner::new(self.config(salt + 2000));
        let result = runner.run(&prop::collection::vec(mutation(), 1..=3), |mutations| {
            *count.borrow_mut() += 1;
            let note = |what: String| *outcomes.borrow_mut().entry(what).or_insert(0) += 1;
            let applied = doc.mutate(&mutations, &paths);
            let Some(call) = applied.parsed::<OutboundCall>() else {
                note("prepare: call unreadable".into());
                return Ok(());
            };
            let prepared = match adapter.prepare(&call) {
                Ok(p) => p,
                Err(e) => {
                    note(format!("prepare: {}", kind_name(e.kind())));
                    if matches!(
                        e.kind(),
                        ErrorKind::Transport
                            | ErrorKind::ProviderRejected
                            | ErrorKind::RateLimited
                            | ErrorKind::Vendor
                    ) {
                        return Err(fail(format!("prepare failed with {e}")));
                    }
                    return Ok(());
                }
            };
            note("prepare: built".into());
            let mut allowed = known.segments.clone();
            allowed.extend(applied.sources.iter().cloned());
            for s in &applied.sources {
                if let Ok(u) = Url::parse(s) {
                    segments(&u, &mut allowed);
                }
            }
            let callback = match &call {
                OutboundCall::SubmitResult { order, .. } => order.callback_url.clone(),
                _ => None,
            };
            for p in &prepared {
                if !p.url.username().is_empty() || p.url.password().is_some() {
                    return Err(fail(format!("{} {} carries user credentials", p.method, p.url)));
                }
                if base.as_ref().is_ok_and(|b| *b == p.url.origin()) {
                    let mut own = BTreeSet::new();
                    segments(&p.url, &mut own);
                    if let Some(s) = own.iter().find(|s| !allowed.contains(*s)) {
                        return Err(fail(format!(
                            "{} {}: the path segment {s:?} comes from neither the call nor the fixtures' requests",
                            p.method, p.url
                        )));
                    }
                    continue;
                }
                if callback.as_ref() != Some(&p.url) {
                    return Err(fail(format!(
                        "{} {} is neither on the base URL nor the handle's callback URL",
                        p.method, p.url
                    )));
                }
                match &self.policy {
                    Some(policy) => policy.check(&p.url).map_err(|e| {
                        fail(format!("{} {}: the URL policy refuses it: {e}", p.method, p.url))
                    })?,
                    None => {
                        return Err(fail(format!(
                            "{} {} calls a callback URL, and the target has no URL policy",
                            p.method, p.url
                        )));
                    }
                }
            }
            Ok(())
        });
        stage.cases = count.into_inner();
        stage.outcome = outcome(result);
        stage.elapsed = started.elapsed();
        stage
    }
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

fn outcome<T: fmt::Debug>(result: Result<(), TestError<T>>) -> Result<(), String> {
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, minimal)) => {
            Err(format!("{reason}\n  minimal input: {minimal:?}"))
        }
        Err(TestError::Abort(reason)) => Err(format!("aborted: {reason}")),
    }
}

fn kind_name(kind: ErrorKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{kind:?}"))
}

/// A vendor that answers every event with a reply that fits it: the
/// fixture's own reply where it does, a plain one otherwise.
#[derive(Debug)]
struct FittingVendor {
    reply: Option<VendorReply>,
}

#[async_trait]
impl Vendor for FittingVendor {
    async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        Ok(match &self.reply {
            Some(VendorReply::Packages { packages }) => packages.clone(),
            _ => vec![Package::new("fuzz-package", "Fuzz package")],
        })
    }

    async fn order(&self, _: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        Ok(match &self.reply {
            Some(VendorReply::Accepted(a)) => OrderDecision::Accepted(a.clone()),
            Some(VendorReply::Rejected(r)) => OrderDecision::Rejected(r.clone()),
            _ => {
                let mut a = Acceptance::new("fuzz-assessment");
                a.candidate_url = Url::parse("https://vendor.example/take/fuzz").ok();
                OrderDecision::Accepted(a)
            }
        })
    }

    async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> {
        Ok(())
    }

    async fn status(&self, _: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        Ok(match &self.reply {
            Some(VendorReply::Status(r)) => (**r).clone(),
            _ => {
                let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
                r.report_url = Url::parse("https://vendor.example/report/fuzz").ok();
                r
            }
        })
    }

    async fn error_reported(&self, _: &ErrorReport) -> Result<(), VendorError> {
        Ok(())
    }
}

/// One structure-aware change to a JSON document (or to its bytes).
#[derive(Clone, Debug)]
pub enum Mutation {
    /// The value at a path replaced by another, usually of another type.
    Replace(Pick, Value),
    /// The value at a path removed (an object key or an array item).
    Remove(Pick),
    /// An array item repeated this many more times.
    Duplicate(Pick, usize),
    /// A key of an object written a second time, with this value.
    DuplicateKey(Pick, Pick, Value),
    /// A control (or other invisible) character inserted into a string.
    Control(Pick, Pick, char),
    /// A string made this many characters long.
    Long(Pick, usize),
    /// A URL replaced by one a URL policy must refuse.
    HostileUrl(Pick, Pick),
    /// The serialized bytes cut at a position.
    Truncate(Pick),
    /// A serialized byte changed by this XOR mask.
    FlipByte(Pick, u8),
}

/// The proptest strategy for one [`Mutation`].
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (pick_any(), junk()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => pick_any().prop_map(Mutation::Remove),
        1 => (pick_any(), prop::sample::select(vec![1usize, 2, 150]))
            .prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => (pick_any(), pick_any(), junk())
            .prop_map(|(o, k, v)| Mutation::DuplicateKey(o, k, v)),
        2 => (pick_any(), pick_any(), control_char())
            .prop_map(|(i, at, c)| Mutation::Control(i, at, c)),
        1 => (pick_any(), prop::sample::select(vec![300usize, 5_000, 70_000, 1_100_000]))
            .prop_map(|(i, n)| Mutation::Long(i, n)),
        2 => (pick_any(), pick_any()).prop_map(|(i, w)| Mutation::HostileUrl(i, w)),
        1 => pick_any().prop_map(Mutation::Truncate),
        1 => (pick_any(), 1u8..=255).prop_map(|(i, x)| Mutation::FlipByte(i, x)),
    ]
}

fn control_char() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        '\u{0}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', '\u{200b}', '\u{2028}',
        '\u{202e}', '\u{feff}',
    ])
}

/// Values of every JSON type, including awkward ones.
fn junk() -> impl Strategy<Value = Value> {
    let text = prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter);
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text.prop_map(Value::String),
        Just(Value::String(String::new())),
        Just(Value::String(" ".into())),
        Just(Value::Array(Vec::new())),
        Just(Value::Object(serde_json::Map::new())),
        Just(nested(200)),
    ]
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(Value::Null, |v, _| Value::Array(vec![v]))
}

/// What is mutated: a JSON body, a query string read as a JSON object, or
/// raw bytes.
#[derive(Clone, Debug)]
enum Document {
    Json(Value),
    Query(Value),
    Raw(Bytes),
}

/// A mutated document: its bytes, and every string it holds.
struct Applied {
    kind: &'static str,
    bytes: Vec<u8>,
    sources: BTreeSet<String>,
}

impl Applied {
    fn install(&self, request: &mut InboundRequest) {
        match self.kind {
            "query" => request.query = Some(String::from_utf8_lossy(&self.bytes).into_owned()),
            _ => request.body = Bytes::from(self.bytes.clone()),
        }
    }

    fn parsed<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&self.bytes).ok()
    }
}

impl Document {
    fn of(request: &InboundRequest) -> Self {
        if !request.body.is_empty() {
            return match serde_json::from_slice(&request.body) {
                Ok(v) => Self::Json(v),
                Err(_) => Self::Raw(request.body.clone()),
            };
        }
        match &request.query {
            Some(q) => Self::Query(Value::Object(
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect(),
            )),
            None => Self::Raw(Bytes::new()),
        }
    }

    fn value(&self) -> Option<&Value> {
        match self {
            Self::Json(v) | Self::Query(v) => Some(v),
            Self::Raw(_) => None,
        }
    }

    fn mutate(&self, mutations: &[Mutation], paths: &Paths) -> Applied {
        let mut value = self.value().cloned();
        let mut dup: Option<(String, String, Value)> = None;
        for m in mutations {
            if let Some(v) = value.as_mut() {
                apply(v, m, paths, &mut dup);
            }
        }
        let mut sources = BTreeSet::new();
        if let Some(v) = &value {
            strings(v, &mut sources);
        }
        if let Some((_, _, v)) = &dup {
            strings(v, &mut sources);
        }
        let (kind, mut bytes) = match (self, &value) {
            (Self::Query(_), Some(v)) => ("query", query_text(v, dup.as_ref()).into_bytes()),
            (_, Some(v)) => {
                let mut out = String::new();
                write_json(v, "", dup.as_ref(), &mut out);
                ("body", out.into_bytes())
            }
            (Self::Raw(b), None) => ("body", b.to_vec()),
            (_, None) => ("body", Vec::new()),
        };
        if kind == "body" {
            for m in mutations {
                match m {
                    Mutation::Truncate(at) if !bytes.is_empty() => {
                        bytes.truncate(at.index(bytes.len()));
                    }
                    Mutation::FlipByte(at, mask) if !bytes.is_empty() => {
                        let i = at.index(bytes.len());
                        bytes[i] ^= mask;
                    }
                    _ => {}
                }
            }
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                strings(&v, &mut sources);
            }
        }
        Applied {
            kind,
            bytes,
            sources,
        }
    }
}

/// JSON pointers into a document, by what they point at.
#[derive(Debug, Default)]
struct Paths {
    all: Vec<String>,
    strings: Vec<String>,
    items: Vec<String>,
    objects: Vec<String>,
    urls: Vec<String>,
}

impl Paths {
    fn of(value: Option<&Value>) -> Self {
        let mut p = Self::default();
        if let Some(v) = value {
            p.collect(v, String::new(), 0);
        }
        p
    }

    fn collect(&mut self, v: &Value, at: String, depth: usize) {
        if depth > 10 {
            return;
        }
        match v {
            Value::Object(map) => {
                if !map.is_empty() {
                    self.objects.push(at.clone());
                }
                for (k, child) in map {
                    let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    self.all.push(p.clone());
                    self.collect(child, p, depth + 1);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().take(20) {
                    let p = format!("{at}/{i}");
                    self.all.push(p.clone());
                    self.items.push(p.clone());
                    self.collect(child, p, depth + 1);
                }
            }
            Value::String(s) => {
                if s.starts_with("http://") || s.starts_with("https://") {
                    self.urls.push(at.clone());
                }
                self.strings.push(at);
            }
            _ => {}
        }
    }
}

/// A position in a list whose length is known only when the mutation is
/// applied (taken modulo the length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick(pub u32);

impl Pick {
    /// The position in a list of `len` items (`len` > 0).
    pub fn index(self, len: usize) -> usize {
        self.0 as usize % len.max(1)
    }
}

fn pick_any() -> impl Strategy<Value = Pick> {
    any::<u32>().prop_map(Pick)
}

fn pick<'a>(list: &'a [String], at: &Pick) -> Option<&'a str> {
    (!list.is_empty()).then(|| list[at.index(list.len())].as_str())
}

fn apply(
    value: &mut Value,
    m: &Mutation,
    paths: &Paths,
    dup: &mut Option<(String, String, Value)>,
) {
    match m {
        Mutation::Replace(at, with) => {
            if let Some(slot) = pick(&paths.all, at).and_then(|p| value.pointer_mut(p)) {
                *slot = with.clone();
            }
        }
        Mutation::Remove(at) => {
            let Some(path) = pick(&paths.all, at) else {
                return;
            };
            let Some((parent, key)) = path.rsplit_once('/') else {
                return;
            };
            let key = key.replace("~1", "/").replace("~0", "~");
            match value.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.shift_remove(&key);
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = key.parse::<usize>()
                        && i < items.len()
                    {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
        Mutation::Duplicate(at, times) => {
            let Some((parent, key)) = pick(&paths.items, at).and_then(|p| p.rsplit_once('/'))
            else {
                return;
            };
            if let (Some(Value::Array(items)), Ok(i)) =
                (value.pointer_mut(parent), key.parse::<usize>())
                && let Some(item) = items.get(i).cloned()
            {
                for _ in 0..*times {
                    items.insert(i, item.clone());
                }
            }
        }
        Mutation::DuplicateKey(obj, key, with) => {
            let Some(path) = pick(&paths.objects, obj) else {
                return;
            };
            if let Some(Value::Object(map)) = value.pointer(path) {
                let keys: Vec<String> = map.keys().cloned().collect();
                if let Some(k) = pick(&keys, key) {
                    *dup = Some((path.to_owned(), k.to_owned(), with.clone()));
                }
            }
        }
        Mutation::Control(at, pos, c) => {
            if let Some(Value::String(s)) =
                pick(&paths.strings, at).and_then(|p| value.pointer_mut(p))
            {
                let chars: Vec<char> = s.chars().collect();
                let i = pos.index(chars.len() + 1);
                *s = chars[..i]
                    .iter()
                    .chain(std::iter::once(c))
                    .chain(chars[i..].iter())
                    .collect();
            }
        }
        Mutation::Long(at, len) => {
            if let Some(Value::String(s)) =
                pick(&paths.strings, at).and_then(|p| value.pointer_mut(p))
            {
                let seed = if s.is_empty() {
                    "x".to_owned()
                } else {
                    s.clone()
                };
                *s = seed.chars().cycle().take(*len).collect();
            }
        }
        Mutation::HostileUrl(at, which) => {
            if let Some(Value::String(s)) = pick(&paths.urls, at).and_then(|p| value.pointer_mut(p))
                && let Ok(u) = Url::parse(s)
            {
                let hostile = hostile_urls(&u);
                if let Some(h) = pick(&hostile, which) {
                    *s = h.to_owned();
                }
            }
        }
        Mutation::Truncate(_) | Mutation::FlipByte(..) => {}
    }
}

/// URLs derived from `u` that a URL policy allowing `u`'s host must refuse
/// (unless it allows plain `http` or other ports on that host).
pub fn hostile_urls(u: &Url) -> Vec<String> {
    let host = u.host_str().unwrap_or("app.example").to_owned();
    let path = u.path().to_owned();
    let mut out = Vec::new();
    let mut with = |f: &dyn Fn(&mut Url) -> Result<(), ()>| {
        let mut v = u.clone();
        if f(&mut v).is_ok() {
            out.push(v.to_string());
        }
    };
    with(&|v| v.set_username("attacker"));
    with(&|v| {
        v.set_username("attacker")?;
        v.set_password(Some("pw"))
    });
    with(&|v| v.set_password(Some("pw")));
    with(&|v| v.set_port(Some(22)));
    with(&|v| v.set_port(Some(6379)));
    with(&|v| v.set_scheme(if v.scheme() == "https" { "http" } else { "ftp" }));
    with(&|v| {
        v.set_host(Some(&format!("{host}.evil.example")))
            .map_err(|_| ())
    });
    with(&|v| v.set_host(Some(&format!("evil{host}"))).map_err(|_| ()));
    out.extend([
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        format!("https://evil.example{path}"),
        format!("http://localhost{path}"),
        format!("https://[::1]{path}"),
        format!("https://{host}@evil.example{path}"),
        "file:///etc/passwd".to_owned(),
    ]);
    out
}

/// Compact JSON, keys in order, with one key optionally written twice.
fn write_json(v: &Value, at: &str, dup: Option<&(String, String, Value)>, out: &mut String) {
    match v {
        Value::Object(map) => {
            out.push('{');
            let mut first = true;
            for (k, child) in map {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                write_json(child, &p, dup, out);
            }
            if let Some((p, k, with)) = dup
                && p == at
            {
                if !first {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                out.push_str(&serde_json::to_string(with).unwrap_or_default());
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, child) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(child, &format!("{at}/{i}"), dup, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar).unwrap_or_default()),
    }
}

fn query_text(v: &Value, dup: Option<&(String, String, Value)>) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Value::Object(map) = v {
        for (k, child) in map {
            q.append_pair(k, &text(child));
        }
    }
    if let Some((_, k, with)) = dup {
        q.append_pair(k, &text(with));
    }
    q.finish()
}

/// Every string and number (as text) in a JSON value.
fn strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Number(n) => {
            out.insert(n.to_string());
        }
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|c| strings(c, out)),
        _ => {}
    }
}

/// What a request carries outside its body: path segments, query values,
/// header values.
fn request_strings(request: &InboundRequest, out: &mut BTreeSet<String>) {
    for seg in request.path.split('/') {
        out.insert(seg.to_owned());
        if let Ok(d) = url::form_urlencoded::parse(format!("x={seg}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .ok_or(())
        {
            out.insert(d);
        }
    }
    if let Some(q) = &request.query {
        for (_, v) in url::form_urlencoded::parse(q.as_bytes()) {
            out.insert(v.into_owned());
        }
    }
    for v in request.headers.values() {
        if let Ok(s) = v.to_str() {
            out.insert(s.to_owned());
        }
    }
}

/// Adds the decoded path segments and query values of every URL among
/// `strings` (adapters read ids out of profile URLs).
fn url_parts(strings: &mut BTreeSet<String>) {
    let mut parts = BTreeSet::new();
    for u in strings.iter().filter_map(|s| Url::parse(s).ok()) {
        segments(&u, &mut parts);
        parts.extend(u.query_pairs().map(|(_, v)| v.into_owned()));
    }
    strings.extend(parts);
}

/// The decoded path segments of a URL.
fn segments(url: &Url, out: &mut BTreeSet<String>) {
    if let Some(segs) = url.path_segments() {
        for s in segs {
            let decoded =
                url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
                    .next()
                    .map_or_else(|| s.to_owned(), |(_, v)| v.into_owned());
            out.insert(decoded);
        }
    }
}

/// The ids and callback URL an event carries, by field.
fn event_ids(event: &InboundEvent) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(t) = event.tenant() {
        out.push(("tenant", t.as_str().to_owned()));
    }
    let mut opt = |field: &'static str, v: Option<&str>| {
        if let Some(v) = v {
            out.push((field, v.to_owned()));
        }
    };
    match event {
        InboundEvent::OrderReceived(o) => {
            opt("provider_order_id", o.provider_order_id.as_deref());
            opt("package_id", Some(&o.package_id));
            opt("candidate.id", o.candidate.id.as_deref());
            opt(
                "application.id",
                o.application.as_ref().and_then(|a| a.id.as_deref()),
            );
            opt("job.id", o.job.as_ref().and_then(|j| j.id.as_deref()));
            opt("callback_url", o.callback_url.as_ref().map(Url::as_str));
        }
        InboundEvent::OrderCancelled(c) => {
            opt(
                "order.provider_order_id",
                c.order.provider_order_id.as_deref(),
            );
            opt(
                "order.vendor_assessment_id",
                c.order.vendor_assessment_id.as_deref(),
            );
        }
        InboundEvent::StatusRequested(q) => {
            opt(
                "order.provider_order_id",
                q.order.provider_order_id.as_deref(),
            );
            opt(
                "order.vendor_assessment_id",
                q.order.vendor_assessment_id.as_deref(),
            );
        }
        InboundEvent::ErrorReported(r) => {
            if let Some(o) = &r.order {
                opt("order.provider_order_id", o.provider_order_id.as_deref());
                opt(
                    "order.vendor_assessment_id",
                    o.vendor_assessment_id.as_deref(),
                );
            }
        }
        _ => {}
    }
    out
}

/// What the unmutated fixtures yield: ids by field (some come from the
/// adapter's configuration: a tenant named by a key, a package mapped from
/// a stage) and the path segments of the requests `prepare` builds.
#[derive(Debug, Default)]
struct Known {
    ids: BTreeSet<(&'static str, String)>,
    segments: BTreeSet<String>,
}

impl Known {
    fn of(adapter: &dyn AtsProvider, files: &[FixtureFile]) -> Self {
        let mut known = Self::default();
        for fixture in files.iter().filter_map(|f| f.parse(NOWHERE).ok()) {
            for event in fixture
                .expect
                .event
                .iter()
                .chain(&fixture.expect.translated)
            {
                known.ids.extend(event_ids(event));
            }
            if let Some(call) = &fixture.call
                && let Ok(prepared) = adapter.prepare(call)
            {
                for p in &prepared {
                    segments(&p.url, &mut known.segments);
                }
            }
            for ex in &fixture.exchanges {
                if let Ok(u) = Url::parse(NOWHERE).and_then(|b| b.join(&ex.request.path)) {
                    segments(&u, &mut known.segments);
                }
            }
        }
        known
    }
}

/// Every id of `event` occurs in `sources`, or is what an unmutated
/// fixture yields for that field (`known`: a value from configuration).
fn check_ids(
    event: &InboundEvent,
    sources: &BTreeSet<String>,
    known: &BTreeSet<(&'static str, String)>,
) -> Result<(), String> {
    for (field, value) in event_ids(event) {
        if sources.contains(&value) || known.contains(&(field, value.clone())) {
            continue;
        }
        if field == "callback_url"
            && sources
                .iter()
                .any(|s| Url::parse(s).is_ok_and(|u| u.as_str() == value))
        {
            continue;
        }
        return Err(format!(
            "its {field} {value:?} occurs nowhere in the request"
        ));
    }
    Ok(())
}

/// An accepted order's callback URL passes the target's policy, where the
/// target has one (adapters that never call it have none).
fn check_callback(event: &InboundEvent, policy: Option<&UrlPolicy>) -> Result<(), String> {
    let InboundEvent::OrderReceived(o) = event else {
        return Ok(());
    };
    match (&o.callback_url, policy) {
        (None, _) => Ok(()),
        (Some(u), Some(p)) => p
            .check(u)
            .map_err(|e| format!("an order whose callback URL the policy refuses: {e}")),
        // kept, never called by this adapter (`prepare` checks the calls)
        (Some(_), None) => Ok(()),
    }
}

/// Changes one byte of the request's credential (by the operation's
/// scheme); `false` when the request carries none.
fn flip_credential(auth: InboundAuth, request: &mut InboundRequest, at: Pick) -> bool {
    let flip = |b: u8| {
        [1u8, 2, 4]
            .into_iter()
            .map(|m| b ^ m)
            .find(|c| c.is_ascii_graphic() && *c != b'"' && *c != b'\\')
            .unwrap_or(b'#')
    };
    match auth {
        InboundAuth::BodySignature { field } => {
            let marker = format!("\"{field}\":\"");
            let mut body = request.body.to_vec();
            let Some(start) = find(&body, marker.as_bytes()).map(|i| i + marker.len()) else {
                return false;
            };
            let len = body[start..].iter().take_while(|b| **b != b'"').count();
            if len == 0 {
                return false;
            }
            let i = start + at.index(len);
            body[i] = flip(body[i]);
            request.body = Bytes::from(body);
            true
        }
        other => {
            let Some(name) = other.header() else {
                return false;
            };
            let Some(value) = request.headers.get(name) else {
                return false;
            };
            let mut bytes = value.as_bytes().to_vec();
            if bytes.is_empty() {
                return false;
            }
            let i = at.index(bytes.len());
            bytes[i] = flip(bytes[i]);
            match HeaderValue::from_bytes(&bytes) {
                Ok(v) => {
                    request.headers.insert(name, v);
                    true
                }
                Err(_) => false,
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(v: &Value) -> Paths {
        Paths::of(Some(v))
    }

    #[test]
    fn duplicate_keys_are_written_twice() {
        let v = json!({"a": {"b": 1}, "c": [1, 2]});
        let mut out = String::new();
        write_json(
            &v,
            "",
            Some(&("/a".to_owned(), "b".to_owned(), json!("x"))),
            &mut out,
        );
        assert_eq!(out, r#"{"a":{"b":1,"b":"x"},"c":[1,2]}"#);
        let mut plain = String::new();
        write_json(&v, "", None, &mut plain);
        assert_eq!(plain.as_bytes(), serde_json::to_vec(&v).unwrap().as_slice());
    }

    #[test]
    fn mutations_change_what_they_name() {
        let v = json!({"list": [{"id": "a"}], "s": "ab"});
        let p = paths(&v);
        assert_eq!(p.items, vec!["/list/0"]);
        assert_eq!(p.strings, vec!["/list/0/id", "/s"]);
        let doc = Document::Json(v);
        let first = Pick(0);
        let dup = doc.mutate(&[Mutation::Duplicate(first, 2)], &p);
        assert_eq!(
            String::from_utf8(dup.bytes).unwrap(),
            r#"{"list":[{"id":"a"},{"id":"a"},{"id":"a"}],"s":"ab"}"#
        );
        let removed = doc.mutate(&[Mutation::Remove(first)], &p);
        assert_eq!(String::from_utf8(removed.bytes).unwrap(), r#"{"s":"ab"}"#);
        let ctl = doc.mutate(&[Mutation::Control(first, first, '\u{0}')], &p);
        assert_eq!(
            String::from_utf8(ctl.bytes).unwrap(),
            r#"{"list":[{"id":"\u0000a"}],"s":"ab"}"#
        );
        let long = doc.mutate(&[Mutation::Long(first, 5)], &p);
        assert!(long.sources.contains("aaaaa"), "{:?}", long.sources);
        let cut = doc.mutate(&[Mutation::Truncate(first)], &p);
        assert!(cut.bytes.is_empty());
    }

    #[test]
    fn queries_are_mutated_as_objects() {
        let req = InboundRequest::new(http::Method::GET, "/x?id=12&b=c");
        let doc = Document::of(&req);
        let p = Paths::of(doc.value());
        let applied = doc.mutate(&[Mutation::Replace(Pick(0), json!(null))], &p);
        let mut r = req.clone();
        applied.install(&mut r);
        assert_eq!(r.query.as_deref(), Some("id=null&b=c"));
    }

    #[test]
    fn hostile_urls_leave_the_allowed_host_or_add_credentials() {
        let u = Url::parse("https://app.ats.example/cb/1").unwrap();
        let policy = UrlPolicy::https_hosts(["app.ats.example"]);
        policy.check(&u).unwrap();
        let hostile = hostile_urls(&u);
        assert_eq!(hostile.len(), 14, "{hostile:?}");
        for h in hostile {
            if let Ok(parsed) = Url::parse(&h) {
                assert!(policy.check(&parsed).is_err(), "{h} passed");
            }
        }
    }

    #[test]
    fn ids_must_come_from_the_request() {
        let event = InboundEvent::OrderCancelled(Cancellation {
            provider: "p".into(),
            tenant: None,
            order: ats_core::OrderRef::provider("ord-1"),
            reason: None,
            received_at: chrono::DateTime::UNIX_EPOCH,
            raw: ats_core::RawJson::null(),
        });
        let mut sources = BTreeSet::from(["ord-1".to_owned()]);
        let none = BTreeSet::new();
        assert_eq!(check_ids(&event, &sources, &none), Ok(()));
        sources.clear();
        assert_eq!(
            check_ids(&event, &sources, &none).unwrap_err(),
            "its order.provider_order_id \"ord-1\" occurs nowhere in the request"
        );
        let configured = BTreeSet::from([("order.provider_order_id", "ord-1".to_owned())]);
        assert_eq!(check_ids(&event, &sources, &configured), Ok(()));
    }

    #[test]
    fn credentials_are_flipped_in_headers_and_bodies() {
        let mut r = InboundRequest::new(http::Method::POST, "/x")
            .with_header("x-sig", "abc")
            .unwrap();
        let auth = InboundAuth::HeaderSignature { header: "x-sig" };
        assert!(flip_credential(auth, &mut r, Pick(0)));
        assert_eq!(r.header("x-sig"), Some("`bc"));
        let mut r =
            InboundRequest::new(http::Method::POST, "/x").with_body(r#"{"signature":"ab","x":1}"#);
        let auth = InboundAuth::BodySignature { field: "signature" };
        assert!(flip_credential(auth, &mut r, Pick(u32::MAX)));
        assert_eq!(&r.body[..], br#"{"signature":"ac","x":1}"#);
        let mut unsigned = InboundRequest::new(http::Method::POST, "/x");
        assert!(!flip_credential(auth, &mut unsigned, Pick(0)));
    }
}
