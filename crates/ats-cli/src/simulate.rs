//! `ats simulate`: plays a provider against a running vendor service.
//!
//! The order is the provider's recorded one (`fixtures/<provider>/`, the
//! registration's demo order), sent with the credentials the service
//! expects (`--key`, or a signature made with `--secret`) and, for
//! providers whose orders carry a callback URL, that URL pointed at the
//! simulator. The simulator then plays the provider's API on `--listen`:
//! it answers the service's reads and writes as recorded, and checks each
//! write it receives against the provider's recorded shape (method, path,
//! and no JSON field the provider's recordings do not know). The run ends
//! with a transcript and exit code 0, or 1 on any mismatch or a timeout.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ats_core::registry::Registration;
use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{AtsProvider, InboundAuth, OrderDelivery, OutboundCall, Secret};
use ats_testkit::fixture::{Fixture, FixtureFile, read_dir};
use ats_testkit::replay;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::registry;

/// How the simulated provider answers the service's first write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WriteBack {
    /// `429 Too Many Requests` with `Retry-After: 1`.
    #[value(name = "429")]
    RateLimited,
    /// `500 Internal Server Error`.
    #[value(name = "500")]
    ServerError,
    /// No answer for 40 s.
    Timeout,
}

/// What to play.
#[derive(Debug)]
pub struct Args {
    /// The provider.
    pub provider: String,
    /// Where the customer points the provider: the service's endpoint URL.
    pub target: String,
    /// Where to play the provider's API.
    pub listen: SocketAddr,
    /// The key the service issued to the customer (Basic / Bearer).
    pub key: Option<String>,
    /// The signing secret the service shares with the provider.
    pub secret: Option<String>,
    /// Present wrong credentials: the service must refuse the order.
    pub wrong_credentials: bool,
    /// Send the order this many times.
    pub duplicate: u32,
    /// Answer the first write this way.
    pub write_back: Option<WriteBack>,
    /// Order this package instead of the recorded one.
    pub package: Option<String>,
    /// Send an order the vendor should refuse (the recorded rejection)
    /// instead: the service must answer the way the provider shows it.
    pub reject: bool,
    /// After the order is accepted, send the provider's cancellation.
    pub cancel: bool,
    /// Where the order cannot name `package` (the connection decides it,
    /// as Lever's trigger stages do), send it as recorded instead of
    /// refusing to run.
    pub package_optional: bool,
    /// Only the package list: ask for it where the provider asks, or push
    /// the recorded list through the gateway's API (`api`) where the
    /// vendor pushes it, and check what the provider receives.
    pub packages: bool,
    /// Give the order a new id, as the provider's next order would carry:
    /// the recorded id with its last letter or digit moved this many places
    /// (0: the recorded id), everywhere the recordings name it.
    pub fresh: u32,
    /// The longest wait for the result.
    pub timeout: Duration,
    /// First connect this tenant through the gateway's OAuth routes
    /// (needs `api`).
    pub connect: Option<String>,
    /// The gateway's REST API, for `connect` and a pushed package list.
    pub api: Option<Api>,
}

impl Args {
    /// The recorded order, sent once to `target` with `key` or `secret`,
    /// its API played on `listen`, the result awaited for up to a minute.
    pub fn new(provider: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            target: target.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            key: None,
            secret: None,
            wrong_credentials: false,
            duplicate: 1,
            write_back: None,
            package: None,
            package_optional: false,
            reject: false,
            cancel: false,
            packages: false,
            fresh: 0,
            timeout: Duration::from_secs(60),
            connect: None,
            api: None,
        }
    }
}

/// The gateway's REST API: its base URL and the vendor's key.
#[derive(Clone)]
pub struct Api {
    /// The gateway's base URL.
    pub url: String,
    /// The gateway's REST API key.
    pub key: String,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What a run showed, beyond its transcript.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether everything was as the provider expects.
    pub ok: bool,
    /// The status of the service's first answer to the order (or to the
    /// package list request).
    pub answer: Option<u16>,
    /// Packages listed in the answer, or pushed.
    pub packages: Option<usize>,
    /// The order asked for `package` (in its body, or as the provider's
    /// API answers when read); false when it was sent as recorded.
    pub package_named: bool,
    /// The order was accepted, then its cancellation taken.
    pub cancelled: bool,
    /// When the service's result write arrived, after the order was sent.
    pub result_after: Option<Duration>,
    /// The status the service then showed the provider, where the
    /// provider asks for it (Greenhouse's `test_status`).
    pub status: Option<String>,
    /// The service's result writes, as received: method, path, body.
    pub writes: Vec<(String, String, Vec<u8>)>,
}

/// The lines of a run: printed as they come (`echo`), and kept.
#[derive(Debug, Default)]
pub struct Transcript {
    echo: bool,
    /// Every line so far.
    pub lines: Vec<String>,
}

impl Transcript {
    /// A transcript that prints each line to standard output as well.
    pub fn printed() -> Self {
        Self {
            echo: true,
            lines: Vec::new(),
        }
    }

    /// A transcript that only keeps its lines.
    pub fn kept() -> Self {
        Self::default()
    }

    fn say(&mut self, line: impl Into<String>) -> Result<(), String> {
        let line = line.into();
        if self.echo {
            writeln!(std::io::stdout(), "{line}").map_err(|e| e.to_string())?;
        }
        self.lines.push(line);
        Ok(())
    }
}

/// Runs the simulation; `Ok(false)` on a mismatch or a timeout.
pub fn run(args: &Args) -> Result<bool, String> {
    let registration = registry::registration(&args.provider)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let listener = std::net::TcpListener::bind(args.listen)
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let mut out = Transcript::printed();
    let outcome = runtime.block_on(play(&registration, args, listener, &mut out))?;
    Ok(outcome.ok)
}

/// `id` with its last letter or digit moved `n` places within its kind
/// (digits, `a`–`f`, `g`–`z`, and the same in capitals), so that a hex or
/// numeric id stays one.
pub fn fresh_id(id: &str, n: u32) -> String {
    let mut chars: Vec<char> = id.chars().collect();
    if let Some(c) = chars.iter_mut().rev().find(|c| c.is_ascii_alphanumeric()) {
        let (base, len) = match *c {
            '0'..='9' => (b'0', 10),
            'a'..='f' => (b'a', 6),
            'A'..='F' => (b'A', 6),
            'g'..='z' => (b'g', 20),
            _ => (b'G', 20),
        };
        let at = u32::from(*c as u8 - base);
        *c = char::from(base + ((at + n) % len) as u8);
    }
    chars.into_iter().collect()
}

/// Plays `registration`'s provider as `args` says, its API served on
/// `listener`; the lines go to `out`.
pub async fn play(
    registration: &Registration,
    args: &Args,
    listener: std::net::TcpListener,
    out: &mut Transcript,
) -> Result<Outcome, String> {
    let name = registration.name;
    let demo = registration
        .demo
        .ok_or_else(|| format!("{name}: no recorded order to play"))?;
    let folder = ats_testkit::fixtures_dir().join(name);
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let server = MockServer::builder().listener(listener).start().await;
    // one order throughout: the result and the cancellation name the
    // order sent (recordings of one provider may use different ids), given
    // a new id when asked, everywhere the recordings name it
    let subject = if args.reject {
        demo.rejection
            .ok_or_else(|| format!("--reject: no recorded rejection for {name}"))?
    } else {
        demo.order
    };
    let cancelled = match (args.cancel, demo.cancellation) {
        (false, _) => None,
        (true, Some(file)) => Some(file),
        (true, None) => return Err(format!("--cancel: {name} sends no cancellation")),
    };
    let id_in = |file: &str| -> Result<Option<String>, String> {
        let f = FixtureFile::read(folder.join(file))
            .and_then(|f| f.parse(&server.uri()))
            .map_err(|e| e.to_string())?;
        Ok(order_id(&f))
    };
    let mut renames: Vec<(String, String)> = Vec::new();
    if let Some(id) = id_in(subject)? {
        let to = if args.fresh > 0 {
            fresh_id(&id, args.fresh)
        } else {
            id.clone()
        };
        if to != id {
            out.say(format!("  a new order: id {to} (recorded: {id})"))?;
        }
        for other in [Some(demo.result), cancelled].into_iter().flatten() {
            if let Some(other_id) = id_in(other)?.filter(|o| *o != id && *o != to) {
                renames.push((other_id, to.clone()));
            }
        }
        renames.push((id, to));
    }
    let read = |file: &str| -> Result<Fixture, String> {
        let mut f = FixtureFile::read(folder.join(file)).map_err(|e| e.to_string())?;
        for (from, to) in &renames {
            if from != to {
                f = f.with_token_replaced(from, to);
            }
        }
        f.parse(&server.uri()).map_err(|e| e.to_string())
    };
    let mut outcome = Outcome::default();
    let mut order = read(subject)?;
    let cancellation = cancelled.map(read).transpose()?;
    let result = read(demo.result)?;
    let adapter = (registration.translation_only)().map_err(|e| e.to_string())?;
    let capabilities = adapter.capabilities();
    let recorded = order
        .request
        .as_ref()
        .ok_or_else(|| format!("{}: no request recorded", demo.order))?;

    // the provider's API: what the service reads and writes, as recorded;
    // a first write answered badly when asked
    let writes: Vec<_> = result
        .exchanges
        .iter()
        .filter(|e| e.request.method != "GET")
        .collect();
    if let (Some(mode), Some(first)) = (args.write_back, writes.first()) {
        let template = match mode {
            WriteBack::RateLimited => ResponseTemplate::new(429).insert_header("retry-after", "1"),
            WriteBack::ServerError => ResponseTemplate::new(500),
            WriteBack::Timeout => ResponseTemplate::new(200).set_delay(Duration::from_secs(40)),
        };
        Mock::given(method(first.request.method.as_str()))
            .and(path(first.request.path.as_str()))
            .respond_with(template)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    // --package where the provider sends ids only and the service reads
    // the package from the provider's API: the reads answer with it
    let recorded_package = match order.expect.event.as_ref() {
        Some(ats_core::InboundEvent::OrderReceived(o)) => o.package_id.clone(),
        _ => String::new(),
    };
    let mut package_in_reads = false;
    if let Some(package) = &args.package
        && !recorded_package.is_empty()
    {
        let in_body = serde_json::from_slice::<Value>(&recorded.body_bytes()?)
            .is_ok_and(|mut j| replace_value(&mut j, &recorded_package, package) > 0);
        if !in_body {
            for ex in &mut order.exchanges {
                if let Some(b) = ex.response.body.as_mut() {
                    package_in_reads |= replace_value(b, &recorded_package, package) > 0;
                }
            }
        }
    }
    // an OAuth provider's token endpoint (at its default path): a refresh
    // gets new tokens, as the provider rotates them
    if let Some(tokens) = adapter.oauth() {
        Mock::given(method("POST"))
            .and(path(tokens.config().token_url.path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": format!("simulated-at-{:016x}", fastrand::u64(..)),
                "refresh_token": format!("simulated-rt-{:016x}", fastrand::u64(..)),
                "token_type": "Bearer",
                "expires_in": 3600
            })))
            .mount(&server)
            .await;
    }
    replay::mount(&server, &order.exchanges).await?;
    if let Some(c) = &cancellation {
        replay::mount(&server, &c.exchanges).await?;
    }
    for _ in 0..(args.duplicate.max(1) + 2) {
        replay::mount(&server, &result.exchanges).await?;
    }
    out.say(format!(
        "ats simulate {name}: playing {name}'s API on http://{local} (point the service's {name} base URL here)"
    ))?;
    if let Some(tenant) = &args.connect {
        let api = args
            .api
            .as_ref()
            .ok_or("--connect: the gateway's API (--api and --api-key)")?;
        consent(adapter.as_ref(), &server, tenant, api, out).await?;
    }
    if args.packages {
        return packages(&server, adapter.as_ref(), demo, &read, args, out).await;
    }
    // what the service sends from here on (the consent's calls before it
    // are not the order's)
    let skip = server.received_requests().await.unwrap_or_default().len();
    let since = |all: Vec<wiremock::Request>| -> Vec<wiremock::Request> {
        all.into_iter().skip(skip).collect()
    };

    // the order, with the service's credentials
    let mut body = recorded.body_bytes()?.to_vec();
    if let Some(OutboundCall::SubmitResult { order: handle, .. }) = &result.call
        && let Some(callback) = &handle.callback_url
        && let Some(pointed) = crate::demo::point_at(&body, callback)
    {
        body = pointed;
        out.say(format!(
            "  the order's callback URL points here: {callback}"
        ))?;
    }
    outcome.package_named = args.package.is_some();
    if let (Some(package), true) = (&args.package, package_in_reads) {
        out.say(format!(
            "  the order asks for package {package} (recorded: {recorded_package}), as {name}'s API answers when read"
        ))?;
    } else if let Some(package) = &args.package {
        let mut json: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if !recorded_package.is_empty() && replace_value(&mut json, &recorded_package, package) > 0
        {
            body = serde_json::to_vec(&json).map_err(|e| e.to_string())?;
            out.say(format!(
                "  the order asks for package {package} (recorded: {recorded_package})"
            ))?;
        } else if args.package_optional {
            outcome.package_named = false;
            out.say(format!(
                "  the order names no package: the connection decides it (recorded: {})",
                if recorded_package.is_empty() {
                    "-"
                } else {
                    &recorded_package
                }
            ))?;
        } else {
            return Err(format!(
                "--package: {name}'s order does not name its package in the body"
            ));
        }
    }
    let url = endpoint(capabilities.orders, name, &args.target, &recorded.path);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut answers = Vec::new();
    // the round trip: from the order sent to the result received
    let started = Instant::now();
    for copy in 0..args.duplicate.max(1) {
        let (body, headers) =
            credentials(adapter.as_ref(), recorded, body.clone(), args, copy == 0)?;
        out.say(format!("→ {} {url}", recorded.method))?;
        let (status, text) = send(&client, &recorded.method, &url, body, &headers).await?;
        out.say(format!("← {status} {}", excerpt(&text)))?;
        answers.push((status, text));
    }

    // what must happen now
    let mut ok = true;
    if args.wrong_credentials {
        let refused = answers.iter().all(|(s, _)| matches!(s, 401 | 403));
        out.say(if refused {
            "✓ refused, as the provider expects for wrong credentials".to_owned()
        } else {
            "✗ the service accepted wrong credentials".to_owned()
        })?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let written = since(server.received_requests().await.unwrap_or_default());
        if !written.is_empty() {
            out.say("✗ and it wrote to the provider's API anyway")?;
            ok = false;
        }
        outcome.ok = ok && refused;
        return Ok(outcome);
    }
    let (first_status, first_body) = answers.first().cloned().unwrap_or_default();
    outcome.answer = Some(first_status);
    if args.reject {
        let want = order.response.as_ref().map_or(0, |r| r.status);
        let shown = first_status == want;
        out.say(if shown {
            format!("✓ refused the way {name} shows a rejection ({want})")
        } else {
            format!("✗ answered {first_status}; {name} expects {want} for a rejected order")
        })?;
        if !(200..300).contains(&want) {
            // nothing may be written for an order that was never accepted
            tokio::time::sleep(Duration::from_secs(2)).await;
            let written: Vec<_> = since(server.received_requests().await.unwrap_or_default())
                .into_iter()
                .filter(|r| r.method.as_str() != "GET")
                .collect();
            if !written.is_empty() {
                out.say(format!("✗ and it wrote to {name}: {}", list(&written)))?;
                return Ok(outcome);
            }
            outcome.ok = shown;
            return Ok(outcome);
        }
        // a webhook is acknowledged; the rejection goes back as a result
        ok = shown;
    }
    if !(200..300).contains(&first_status) {
        out.say(format!("✗ the order was not accepted ({first_status})"))?;
        return Ok(outcome);
    }
    if answers
        .iter()
        .any(|a| a != &(first_status, first_body.clone()))
    {
        out.say("✗ copies of the order got different answers")?;
        ok = false;
    } else if answers.len() > 1 {
        out.say(format!("✓ {} copies, one answer", answers.len()))?;
    }

    if let Some(c) = &cancellation {
        let recorded = c
            .request
            .as_ref()
            .ok_or("the cancellation has no request recorded")?;
        // a provider that cancels by the vendor's id names the one the
        // service answered with, not the recorded one
        let mut body = recorded.body_bytes()?.to_vec();
        if let (Some(ats_core::VendorReply::Accepted(a)), Some(given)) =
            (&order.reply, given_id(&order, &first_body))
            && let Ok(mut json) = serde_json::from_slice::<Value>(&body)
            && replace_value(&mut json, &a.vendor_assessment_id, &given) > 0
        {
            out.say(format!(
                "  the cancellation names assessment {given}, as the service answered (recorded: {})",
                a.vendor_assessment_id
            ))?;
            body = serde_json::to_vec(&json).map_err(|e| e.to_string())?;
        }
        let (body, headers) = credentials(adapter.as_ref(), recorded, body, args, true)?;
        let url = endpoint(capabilities.orders, name, &args.target, &recorded.path);
        out.say(format!("→ {} {url} (the cancellation)", recorded.method))?;
        let (status, text) = send(&client, &recorded.method, &url, body, &headers).await?;
        out.say(format!("← {status} {}", excerpt(&text)))?;
        let taken = (200..300).contains(&status);
        out.say(if taken {
            format!("✓ {name}: order accepted, then cancelled")
        } else {
            format!("✗ the cancellation was answered {status}")
        })?;
        outcome.ok = ok && taken;
        outcome.cancelled = taken;
        return Ok(outcome);
    }

    // the result: wait for the service's write, with a progress line
    let progress = out.echo && std::io::stderr().is_terminal();
    let write_paths: BTreeSet<(String, String)> = writes
        .iter()
        .map(|e| (e.request.method.clone(), e.request.path.clone()))
        .collect();
    let final_write = writes
        .last()
        .map(|e| (e.request.method.clone(), e.request.path.clone()));
    let received = loop {
        let got = since(server.received_requests().await.unwrap_or_default());
        let done = got.iter().any(|r| {
            Some((r.method.to_string(), r.url.path().to_owned())) == final_write
                && !(args.write_back.is_some()
                    && got
                        .iter()
                        .filter(|x| x.method == r.method && x.url.path() == r.url.path())
                        .count()
                        < 2)
        });
        if done {
            outcome.result_after = Some(started.elapsed());
            // let a duplicate write show itself
            tokio::time::sleep(Duration::from_secs(1)).await;
            break since(server.received_requests().await.unwrap_or_default());
        }
        if started.elapsed() > args.timeout {
            if progress {
                eprintln!();
            }
            out.say(format!(
                "✗ no result within {} s (received: {})",
                args.timeout.as_secs(),
                list(&got)
            ))?;
            return Ok(outcome);
        }
        if progress {
            eprint!(
                "\r  waiting for the service's result … {:>3} s",
                started.elapsed().as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    if progress {
        eprintln!();
    }
    let known = known_fields(&folder, &write_paths);
    let mut writes_seen = 0;
    for r in &received {
        let key = (r.method.to_string(), r.url.path().to_owned());
        let is_write = write_paths.contains(&key);
        out.say(format!(
            "← {} {}{}",
            r.method,
            r.url.path(),
            if is_write { "" } else { " (read)" }
        ))?;
        if !is_write {
            continue;
        }
        writes_seen += 1;
        outcome.writes.push((
            r.method.to_string(),
            r.url.path().to_owned(),
            r.body.clone(),
        ));
        match serde_json::from_slice::<Value>(&r.body) {
            Ok(body) => {
                let mut fields = BTreeSet::new();
                field_paths(&body, String::new(), &mut fields);
                let unknown: Vec<_> = fields
                    .iter()
                    .filter(|f| !known.contains(*f))
                    .cloned()
                    .collect();
                if unknown.is_empty() {
                    out.say(format!("  ✓ {} fields, all known to {name}", fields.len()))?;
                } else {
                    out.say(format!(
                        "  ✗ fields {name}'s recordings do not know: {}",
                        unknown.join(", ")
                    ))?;
                    ok = false;
                }
            }
            Err(_) if r.body.is_empty() => {}
            Err(_)
                if r.headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded")) =>
            {
                let fields = form_keys(&r.body);
                let unknown: Vec<_> = fields
                    .iter()
                    .filter(|f| !known.contains(*f))
                    .cloned()
                    .collect();
                if unknown.is_empty() {
                    out.say(format!(
                        "  ✓ form with {} fields, all known to {name}",
                        fields.len()
                    ))?;
                } else {
                    out.say(format!(
                        "  ✗ form fields {name}'s recordings do not know: {}",
                        unknown.join(", ")
                    ))?;
                    ok = false;
                }
            }
            Err(e) => {
                out.say(format!("  ✗ the body is not JSON: {e}"))?;
                ok = false;
            }
        }
    }
    // a provider that then asks for the order's status (Greenhouse's
    // test_status): the service answers from the result it reported
    if let (false, true, Some(file)) = (args.reject, ok, demo.status) {
        let asked = read(file)?;
        let given = given_id(&order, &first_body);
        let (status, shown) = ask_status(
            &client,
            adapter.as_ref(),
            &asked,
            given.as_deref(),
            args,
            out,
        )
        .await?;
        outcome.status = shown;
        ok &= status;
    }
    let expected_writes = writes.len() + usize::from(args.write_back.is_some());
    if writes_seen > expected_writes {
        out.say(format!(
            "✗ {writes_seen} writes for one result (at most {expected_writes} expected): a repeat reached {name}"
        ))?;
        ok = false;
    }
    out.say(if ok && args.reject {
        format!(
            "✓ {name}: the rejection written back in {:.1} s",
            outcome.result_after.unwrap_or_default().as_secs_f64()
        )
    } else if ok {
        format!(
            "✓ {name}: order accepted and result received in {:.1} s",
            outcome.result_after.unwrap_or_default().as_secs_f64()
        )
    } else {
        format!("✗ {name}: see above")
    })?;
    outcome.ok = ok;
    Ok(outcome)
}

/// The package list: asked for where the provider asks (the recorded
/// request, with the service's credentials: the answer must be 2xx and
/// list the packages), pushed through the gateway's API where the vendor
/// pushes it (the provider must receive the recorded write).
async fn packages(
    server: &MockServer,
    adapter: &dyn AtsProvider,
    demo: ats_core::registry::DemoFixtures,
    read: &(dyn Fn(&str) -> Result<Fixture, String> + Sync),
    args: &Args,
    out: &mut Transcript,
) -> Result<Outcome, String> {
    let name = adapter.name();
    let file = demo
        .packages
        .ok_or_else(|| format!("--packages: {name} has no package list"))?;
    let fixture = read(file)?;
    let mut outcome = Outcome::default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    match fixture.direction {
        ats_core::Direction::Inbound => {
            let recorded = fixture
                .request
                .as_ref()
                .ok_or_else(|| format!("{file}: no request recorded"))?;
            replay::mount(server, &fixture.exchanges).await?;
            let (body, headers) = credentials(
                adapter,
                recorded,
                recorded.body_bytes()?.to_vec(),
                args,
                true,
            )?;
            let url = beside(&args.target, name, &recorded.path).unwrap_or_else(|| {
                endpoint(
                    adapter.capabilities().orders,
                    name,
                    &args.target,
                    &recorded.path,
                )
            });
            let url = match &recorded.query {
                Some(q) if !q.is_empty() => format!("{url}?{q}"),
                _ => url,
            };
            out.say(format!("→ {} {url} (the package list)", recorded.method))?;
            let (status, text) = send(&client, &recorded.method, &url, body, &headers).await?;
            out.say(format!("← {status} {}", excerpt(&text)))?;
            outcome.answer = Some(status);
            let listed = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|j| args.package.as_deref().and_then(|p| listing(&j, p)));
            outcome.ok =
                (200..300).contains(&status) && (args.package.is_none() || listed.is_some());
            outcome.packages = listed;
            out.say(match (outcome.ok, listed) {
                (true, Some(n)) => format!("✓ {name}: {n} packages listed"),
                (true, None) => format!("✓ {name}: the package list answered {status}"),
                (false, _) if (200..300).contains(&status) => format!(
                    "✗ the list does not name package {}",
                    args.package.as_deref().unwrap_or_default()
                ),
                (false, _) => format!("✗ the package list was answered {status}"),
            })?;
        }
        ats_core::Direction::Outbound => {
            let Some(ats_core::OutboundCall::PublishPackages { tenant, packages }) = &fixture.call
            else {
                return Err(format!("{file}: not a publish_packages call"));
            };
            let api = args
                .api
                .as_ref()
                .ok_or("--packages: the vendor pushes its list through the gateway's API (--api and --api-key)")?;
            replay::mount(server, &fixture.exchanges).await?;
            let url = format!(
                "{}/api/v1/connections/{name}/{}/packages",
                api.url.trim_end_matches('/'),
                tenant.as_str()
            );
            out.say(format!("→ PUT {url} ({} packages)", packages.len()))?;
            let answer = client
                .put(&url)
                .bearer_auth(&api.key)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(packages).map_err(|e| e.to_string())?)
                .send()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let status = answer.status().as_u16();
            out.say(format!(
                "← {status} {}",
                excerpt(&answer.text().await.unwrap_or_default())
            ))?;
            outcome.answer = Some(status);
            let received = server.received_requests().await.unwrap_or_default();
            for r in &received {
                out.say(format!("← {} {}", r.method, r.url.path()))?;
            }
            let arrived = fixture.exchanges.iter().all(|e| {
                received.iter().any(|r| {
                    r.method.as_str() == e.request.method && r.url.path() == e.request.path
                })
            });
            outcome.ok = (200..300).contains(&status) && arrived;
            if outcome.ok {
                outcome.packages = Some(packages.len());
            }
            out.say(if outcome.ok {
                format!("✓ {name}: {} packages pushed", packages.len())
            } else {
                format!("✗ {name} did not receive the package list")
            })?;
        }
    }
    Ok(outcome)
}

/// The provider's id of the order a fixture is about: its order's (or its
/// application's, where orders have no id), its cancellation's or its
/// result's.
fn order_id(fixture: &Fixture) -> Option<String> {
    match (&fixture.expect.event, &fixture.call) {
        // an order the provider does not number: a new order is a new
        // application
        (Some(ats_core::InboundEvent::OrderReceived(o)), _) => o
            .provider_order_id
            .clone()
            .or_else(|| o.application.as_ref().and_then(|a| a.id.clone())),
        (Some(ats_core::InboundEvent::OrderCancelled(c)), _) => c.order.provider_order_id.clone(),
        (_, Some(OutboundCall::SubmitResult { order, .. })) => order.provider_order_id.clone(),
        _ => None,
    }
}

/// How many packages the list in `answer` holds: the length of the first
/// array one of whose items names `package`.
fn listing(answer: &Value, package: &str) -> Option<usize> {
    match answer {
        Value::Array(items) if items.iter().any(|i| names(i, package)) => Some(items.len()),
        Value::Array(items) => items.iter().find_map(|i| listing(i, package)),
        Value::Object(map) => map.values().find_map(|v| listing(v, package)),
        _ => None,
    }
}

/// Whether `item` has `package` as one of its values (or is it).
fn names(item: &Value, package: &str) -> bool {
    match item {
        Value::String(s) => s == package,
        Value::Object(map) => map.values().any(|v| v.as_str() == Some(package)),
        _ => false,
    }
}

/// Connects `tenant` through the gateway's OAuth routes, playing
/// the provider's authorization page: it grants at once, redirecting to
/// the app's redirect URI with a code and the state it was given; the
/// gateway then exchanges the code at the simulated token endpoint.
async fn consent(
    adapter: &dyn AtsProvider,
    server: &MockServer,
    tenant: &str,
    api: &Api,
    out: &mut Transcript,
) -> Result<(), String> {
    let name = adapter.name();
    let tokens = adapter
        .oauth()
        .ok_or_else(|| format!("--connect: {name} does not connect through OAuth"))?;
    Mock::given(method("GET"))
        .and(path(tokens.config().authorize_url.path()))
        .respond_with(|request: &wiremock::Request| {
            let query: std::collections::BTreeMap<String, String> =
                request.url.query_pairs().into_owned().collect();
            match (query.get("redirect_uri"), query.get("state")) {
                (Some(redirect), Some(state)) => match url::Url::parse_with_params(
                    redirect,
                    [
                        ("code", format!("simulated-code-{:016x}", fastrand::u64(..))),
                        ("state", state.clone()),
                    ],
                ) {
                    Ok(back) => ResponseTemplate::new(302).insert_header("location", back.as_str()),
                    Err(_) => ResponseTemplate::new(400),
                },
                _ => ResponseTemplate::new(400),
            }
        })
        .mount(server)
        .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!(
        "{}/api/v1/connections/{name}/{}/authorize",
        api.url.trim_end_matches('/'),
        tenant
    );
    out.say(format!("→ POST {url}"))?;
    let answer = client
        .post(&url)
        .bearer_auth(&api.key)
        .send()
        .await
        .map_err(|e| format!("--connect: {e}"))?;
    let status = answer.status();
    let bytes = answer
        .bytes()
        .await
        .map_err(|e| format!("--connect: {e}"))?;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let authorization = body["authorization_url"]
        .as_str()
        .filter(|_| status.is_success())
        .ok_or_else(|| format!("--connect: the service answered {status}: {body}"))?;
    out.say(format!(
        "  the customer's administrator consents at {authorization}"
    ))?;
    // the browser: the provider's page, then the redirect to the callback
    let page = client
        .get(authorization)
        .send()
        .await
        .map_err(|e| format!("--connect: {e}"))?;
    let (status, landed) = (page.status(), page.url().path().to_owned());
    let text = page.text().await.unwrap_or_default();
    out.say(format!("← {status} {landed}: {}", excerpt(&text)))?;
    if !status.is_success() {
        return Err(format!("--connect: the callback answered {status}"));
    }
    Ok(())
}

/// Where a recorded call goes on the service: partner APIs get the
/// recorded path under the adapter's mount (`/packages/orders` of
/// `/smartrecruiters/packages/orders`) appended to the endpoint, or the
/// operation's name when the recording has no mount; webhooks go to the
/// endpoint as given.
fn endpoint(orders: OrderDelivery, name: &str, target: &str, recorded_path: &str) -> String {
    match orders {
        OrderDelivery::Call => {
            let rest = recorded_path
                .strip_prefix(&format!("/{name}/"))
                .unwrap_or_else(|| recorded_path.rsplit('/').next().unwrap_or_default());
            format!("{}/{rest}", target.trim_end_matches('/'))
        }
        OrderDelivery::Webhook => target.to_owned(),
    }
}

/// A recorded path under the adapter's mount (`/stackone/assessments/packages`)
/// on the service whose endpoint for the adapter is `target`
/// (`http://gw/stackone/webhooks` → `http://gw/stackone/assessments/packages`);
/// `None` when the path or the target is not under a `/<name>` segment.
fn beside(target: &str, name: &str, recorded_path: &str) -> Option<String> {
    let rest = recorded_path.strip_prefix(&format!("/{name}/"))?;
    let mut url = url::Url::parse(target).ok()?;
    let segments: Vec<String> = url.path_segments()?.map(str::to_owned).collect();
    let at = segments.iter().position(|s| s == name)?;
    let mut path = segments[..=at].join("/");
    path.insert(0, '/');
    path.push('/');
    path.push_str(rest);
    url.set_path(&path);
    url.set_query(None);
    Some(url.to_string())
}

/// Sends one call as the provider would; its status and body.
async fn send(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    body: Vec<u8>,
    headers: &Headers,
) -> Result<(u16, String), String> {
    let mut request = client
        .request(
            method
                .parse::<reqwest::Method>()
                .map_err(|e| e.to_string())?,
            url,
        )
        .body(body);
    for (k, v) in headers {
        request = request.header(k.as_str(), v.as_str());
    }
    let answer = request.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = answer.status().as_u16();
    Ok((status, answer.text().await.unwrap_or_default()))
}

/// Header names and values.
type Headers = Vec<(String, String)>;

/// The body and headers of one copy of the order, with the credentials the
/// provider would present.
fn credentials(
    adapter: &dyn AtsProvider,
    recorded: &ats_testkit::fixture::RecordedRequest,
    mut body: Vec<u8>,
    args: &Args,
    first: bool,
) -> Result<(Vec<u8>, Headers), String> {
    // a signing provider's calls that carry a key instead (StackOne's
    // package list): the key, in the recorded scheme
    let auth = match (
        adapter.capabilities().inbound_auth,
        recorded.headers.get("authorization"),
    ) {
        (InboundAuth::HeaderSignature { header }, Some(v))
            if !recorded.headers.contains_key(header) =>
        {
            key_scheme(v)
        }
        (InboundAuth::BodySignature { .. }, Some(v)) => key_scheme(v),
        (auth, _) => auth,
    };
    let mut headers: Vec<(String, String)> = recorded
        .headers
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != auth.header())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let wrong = |s: &str| format!("{s}-wrong");
    match auth {
        InboundAuth::BasicApiKey | InboundAuth::BearerToken => {
            let key = args
                .key
                .clone()
                .ok_or("--key: the key the service issued to the customer")?;
            let key = if args.wrong_credentials {
                wrong(&key)
            } else {
                key
            };
            let value = if auth == InboundAuth::BasicApiKey {
                use base64::Engine as _;
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
                )
            } else {
                format!("Bearer {key}")
            };
            headers.push(("authorization".into(), value));
        }
        InboundAuth::HeaderSignature { header } => {
            let secret = args
                .secret
                .clone()
                .ok_or("--secret: the signing secret the service shares with the provider")?;
            let secret = if args.wrong_credentials {
                wrong(&secret)
            } else {
                secret
            };
            // the provider's own scheme, as the adapter knows it
            let (name, signature) = adapter
                .provider_signature(&Secret::new(secret), &body)
                .ok_or_else(|| format!("{}: calls are not signed in a header", adapter.name()))?;
            debug_assert_eq!(name, header);
            headers.push((name.to_owned(), signature));
        }
        InboundAuth::BodySignature { field } => {
            // a fresh delivery: a new token and the time now, signed over
            // `token + triggeredAt`
            let secret = args
                .secret
                .clone()
                .ok_or("--secret: the webhook's signature token")?;
            let secret = if args.wrong_credentials {
                wrong(&secret)
            } else {
                secret
            };
            let mut json: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            let token = if first || json.get("token").is_none() {
                format!("{:032x}", fastrand::u128(..))
            } else {
                json["token"].as_str().unwrap_or_default().to_owned()
            };
            let now = chrono::Utc::now().timestamp_millis();
            json["token"] = Value::from(token.clone());
            json["triggeredAt"] = Value::from(now);
            json[field] = Value::from(sign(
                &Secret::new(secret),
                format!("{token}{now}").as_bytes(),
                SignatureEncoding::Hex,
            ));
            body = serde_json::to_vec(&json).map_err(|e| e.to_string())?;
        }
    }
    Ok((body, headers))
}

/// The vendor's id in the service's answer `actual` to `order`: where the
/// recorded answer holds the recorded vendor's id.
fn given_id(order: &Fixture, actual: &str) -> Option<String> {
    let (Some(ats_core::VendorReply::Accepted(a)), Some(answer)) = (
        &order.reply,
        order.response.as_ref().and_then(|r| r.body.as_ref()),
    ) else {
        return None;
    };
    let actual = serde_json::from_str::<Value>(actual).ok()?;
    same_place(answer, &a.vendor_assessment_id, &actual)
}

/// Asks for the order's status as the provider does (`asked`, its
/// recorded vendor id replaced by `given`); whether the answer is 2xx and
/// names the status the recording shows, and the status it names.
async fn ask_status(
    client: &reqwest::Client,
    adapter: &dyn AtsProvider,
    asked: &Fixture,
    given: Option<&str>,
    args: &Args,
    out: &mut Transcript,
) -> Result<(bool, Option<String>), String> {
    let name = adapter.name();
    let recorded = asked
        .request
        .as_ref()
        .ok_or("the status request has no request recorded")?;
    let recorded_id = match &asked.expect.event {
        Some(ats_core::InboundEvent::StatusRequested(q)) => q.order.vendor_assessment_id.clone(),
        _ => None,
    };
    let swap = |text: &str| match (&recorded_id, given) {
        (Some(from), Some(to)) => text.replace(from.as_str(), to),
        _ => text.to_owned(),
    };
    let body = swap(&String::from_utf8_lossy(&recorded.body_bytes()?)).into_bytes();
    let (body, headers) = credentials(adapter, recorded, body, args, true)?;
    let url = endpoint(
        adapter.capabilities().orders,
        name,
        &args.target,
        &swap(&recorded.path),
    );
    let url = match &recorded.query {
        Some(q) if !q.is_empty() => format!("{url}?{}", swap(q)),
        _ => url,
    };
    out.say(format!("→ {} {url} (the order's status)", recorded.method))?;
    let (status, text) = send(client, &recorded.method, &url, body, &headers).await?;
    out.say(format!("← {status} {}", excerpt(&text)))?;
    let want = asked
        .response
        .as_ref()
        .and_then(|r| r.body.as_ref())
        .and_then(status_field);
    let got = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|actual| {
            let (path, _) = want.as_ref()?;
            actual.pointer(path)?.as_str().map(str::to_owned)
        });
    let ok = (200..300).contains(&status) && want.as_ref().map(|(_, w)| w) == got.as_ref();
    out.say(match (&want, &got) {
        (Some((_, w)), Some(g)) if ok => {
            format!("✓ {name} sees the order `{g}`, as recorded (`{w}`)")
        }
        (Some((path, w)), _) => format!(
            "✗ the status answer's {path} is {}, where the recording shows `{w}`",
            got.as_deref()
                .map_or("missing".to_owned(), |g| format!("`{g}`"))
        ),
        (None, _) if ok => format!("✓ {name} asked for the status: {status}"),
        (None, _) => format!("✗ the status was answered {status}"),
    })?;
    Ok((ok, got))
}

/// The first string field whose name says `status`, at any depth: its
/// JSON pointer and value.
fn status_field(value: &Value) -> Option<(String, String)> {
    match value {
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| match v {
                Value::String(s) if k.contains("status") => Some((format!("/{k}"), s.clone())),
                _ => None,
            })
            .or_else(|| {
                map.iter()
                    .find_map(|(k, v)| status_field(v).map(|(p, s)| (format!("/{k}{p}"), s)))
            }),
        _ => None,
    }
}

/// The string in `actual` at the place where `recorded` holds `value`.
fn same_place(recorded: &Value, value: &str, actual: &Value) -> Option<String> {
    match (recorded, actual) {
        (Value::String(s), Value::String(a)) if s == value => Some(a.clone()),
        (Value::Object(r), Value::Object(a)) => {
            r.iter().find_map(|(k, v)| same_place(v, value, a.get(k)?))
        }
        (Value::Array(r), Value::Array(a)) => {
            r.iter().zip(a).find_map(|(v, x)| same_place(v, value, x))
        }
        _ => None,
    }
}

/// Basic or Bearer, as a recorded `Authorization` value shows.
fn key_scheme(recorded: &str) -> InboundAuth {
    if recorded.starts_with("Basic ") {
        InboundAuth::BasicApiKey
    } else {
        InboundAuth::BearerToken
    }
}

/// Replaces every string (or number) equal to `from` with `to`; how many.
fn replace_value(value: &mut Value, from: &str, to: &str) -> usize {
    match value {
        Value::String(s) if s == from => {
            *s = to.to_owned();
            1
        }
        Value::Number(n) if n.to_string() == from => {
            *value = to
                .parse::<u64>()
                .map_or_else(|_| Value::from(to), Value::from);
            1
        }
        Value::Object(map) => map.values_mut().map(|v| replace_value(v, from, to)).sum(),
        Value::Array(items) => items.iter_mut().map(|v| replace_value(v, from, to)).sum(),
        _ => 0,
    }
}

/// Every field path the provider's recorded writes to these targets hold,
/// in any of its fixtures: a target is matched by its [`shape`] (ids
/// aside), so that the writes for any recorded order count.
fn known_fields(
    folder: &std::path::Path,
    targets: &BTreeSet<(String, String)>,
) -> BTreeSet<String> {
    let targets: BTreeSet<(String, String)> =
        targets.iter().map(|(m, p)| (m.clone(), shape(p))).collect();
    let mut known = BTreeSet::new();
    for file in read_dir(folder).unwrap_or_default() {
        let Ok(fixture) = file.parse("http://127.0.0.1") else {
            continue;
        };
        for ex in &fixture.exchanges {
            let target = (ex.request.method.clone(), shape(&ex.request.path));
            if !targets.contains(&target) {
                continue;
            }
            if let Some(body) = &ex.request.body {
                field_paths(body, String::new(), &mut known);
            }
            // a form body (an OAuth token request): its keys
            if let Some(text) = &ex.request.body_text {
                known.extend(form_keys(text.as_bytes()));
            }
        }
    }
    known
}

/// A path with every segment that holds a digit (an id) as `*`:
/// `/orders/asr_5Hc8/result` → `/orders/*/result`.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.chars().any(|c| c.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The keys of a form-encoded body.
fn form_keys(body: &[u8]) -> BTreeSet<String> {
    url::form_urlencoded::parse(body)
        .map(|(k, _)| k.into_owned())
        .collect()
}

/// `a`, `a.b`, `a[].c`: the paths of every field in `value`.
fn field_paths(value: &Value, at: String, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let here = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                out.insert(here.clone());
                field_paths(v, here, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                field_paths(v, format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

fn list(requests: &[wiremock::Request]) -> String {
    if requests.is_empty() {
        return "nothing".into();
    }
    requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn excerpt(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 100 {
        format!("{}…", text.chars().take(100).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn a_fresh_id_keeps_the_kind_of_each_character() {
        assert_eq!(fresh_id("8812345", 1), "8812346");
        assert_eq!(fresh_id("8812349", 1), "8812340");
        assert_eq!(fresh_id("41872", 2), "41874");
        // hex stays hex, in its case; other letters stay other letters
        assert_eq!(fresh_id("6e3c4f70", 0), "6e3c4f70");
        assert_eq!(
            fresh_id("7c2f0d4e-5b1a-4e8f-9a63-2d5e8b1c4f7f", 1),
            "7c2f0d4e-5b1a-4e8f-9a63-2d5e8b1c4f7a"
        );
        assert_eq!(
            fresh_id("Hx4pLq9TzW2mRv7cYb3nKs6D", 1),
            "Hx4pLq9TzW2mRv7cYb3nKs6E"
        );
        assert_eq!(fresh_id("abcF", 1), "abcA");
        assert_eq!(fresh_id("abz", 1), "abg");
        assert_eq!(fresh_id("abZ", 1), "abG");
        // the last letter or digit, past any other character
        assert_eq!(fresh_id("ord-7_", 1), "ord-8_");
        assert_eq!(fresh_id("--", 1), "--");
        assert_eq!(fresh_id("", 3), "");
    }

    #[test]
    fn a_recorded_path_is_found_beside_the_endpoint() {
        assert_eq!(
            beside(
                "http://gw:8080/stackone/webhooks",
                "stackone",
                "/stackone/assessments/packages"
            )
            .as_deref(),
            Some("http://gw:8080/stackone/assessments/packages")
        );
        // behind a proxy's prefix, and a host named like the provider
        assert_eq!(
            beside(
                "https://stackone.example/ats/stackone/webhooks?x=1",
                "stackone",
                "/stackone/assessments/packages"
            )
            .as_deref(),
            Some("https://stackone.example/ats/stackone/assessments/packages")
        );
        assert_eq!(
            beside("http://gw/kombo/webhooks", "stackone", "/stackone/x"),
            None
        );
        assert_eq!(
            beside("http://gw/stackone/webhooks", "stackone", "/other/x"),
            None
        );
        assert_eq!(beside("not a url", "stackone", "/stackone/x"), None);
    }

    #[test]
    fn a_write_is_matched_by_its_shape() {
        assert_eq!(
            shape("/unified/ats/assessments/orders/asr_5Hc8Wd3Ne1/result"),
            "/unified/ats/assessments/orders/*/result"
        );
        assert_eq!(shape("/passthrough"), "/passthrough");
        assert_eq!(
            shape("/v1/hiring/assessments/41872"),
            "/*/hiring/assessments/*"
        );
    }

    #[test]
    fn a_listing_is_the_array_that_names_the_package() {
        let answer = json!({"totalFound": 3, "content": [
            {"id": "a", "name": "A"}, {"id": "pkg", "name": "P"}, {"id": "c"}
        ], "other": [1, 2]});
        assert_eq!(listing(&answer, "pkg"), Some(3));
        assert_eq!(listing(&json!(["x", "pkg"]), "pkg"), Some(2));
        assert_eq!(
            listing(
                &json!({"config": {"fields": [{"options": [{"value": "pkg"}]}]}}),
                "pkg"
            ),
            Some(1)
        );
        assert_eq!(listing(&answer, "nope"), None);
        assert_eq!(listing(&json!({"id": "pkg"}), "pkg"), None);
    }

    #[test]
    fn the_vendors_id_is_read_where_the_recording_had_its_own() {
        let recorded = json!({"success": true, "results": {"assessment_id": "rec-1", "url": "u"}});
        let actual = json!({"success": true, "results": {"assessment_id": "demo-9", "url": "v"}});
        assert_eq!(
            same_place(&recorded, "rec-1", &actual).as_deref(),
            Some("demo-9")
        );
        assert_eq!(
            same_place(&json!([{"id": "rec-1"}]), "rec-1", &json!([{"id": 5}])),
            None
        );
        assert_eq!(same_place(&recorded, "absent", &actual), None);
    }

    #[test]
    fn the_status_is_the_first_field_named_so() {
        assert_eq!(
            status_field(&json!({"partner_score": 81, "partner_status": "complete"})),
            Some(("/partner_status".into(), "complete".into()))
        );
        assert_eq!(
            status_field(&json!({"data": {"score": 1, "test_status": "done"}, "id": "x"})),
            Some(("/data/test_status".into(), "done".into()))
        );
        assert_eq!(status_field(&json!({"status": 3})), None);
        assert_eq!(status_field(&json!(["status"])), None);
    }

    /// Asks a stand-in answering `answer` for Greenhouse's status of
    /// order `demo-1`: the outcome, the transcript and the request sent.
    async fn status_answered(
        answer: ResponseTemplate,
    ) -> ((bool, Option<String>), Vec<String>, wiremock::Request) {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/greenhouse/test_status"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let adapter = (registry::registration("greenhouse")
            .unwrap()
            .translation_only)()
        .unwrap();
        let asked = FixtureFile::read(
            ats_testkit::fixtures_dir().join("greenhouse/test_status_complete.json"),
        )
        .unwrap()
        .parse(&server.uri())
        .unwrap();
        let mut args = Args::new("greenhouse", format!("{}/greenhouse", server.uri()));
        args.key = Some("issued-key".into());
        let mut out = Transcript::kept();
        let shown = ask_status(
            &reqwest::Client::new(),
            adapter.as_ref(),
            &asked,
            Some("demo-1"),
            &args,
            &mut out,
        )
        .await
        .unwrap();
        let sent = server.received_requests().await.unwrap().remove(0);
        (shown, out.lines, sent)
    }

    #[tokio::test]
    async fn the_status_must_be_the_recorded_one() {
        let (shown, lines, sent) = status_answered(
            ResponseTemplate::new(200).set_body_json(json!({"partner_status": "complete"})),
        )
        .await;
        assert_eq!(shown, (true, Some("complete".into())));
        assert!(
            lines.contains(
                &"✓ greenhouse sees the order `complete`, as recorded (`complete`)".into()
            ),
            "{lines:?}"
        );
        // asked by the id the service answered, with the key it issued
        assert_eq!(sent.url.query(), Some("partner_interview_id=demo-1"));
        assert_eq!(
            sent.headers.get("authorization").unwrap(),
            "Basic aXNzdWVkLWtleTo="
        );

        let (shown, lines, _) = status_answered(
            ResponseTemplate::new(200).set_body_json(json!({"partner_status": "sent"})),
        )
        .await;
        assert_eq!(shown, (false, Some("sent".into())));
        assert!(
            lines.contains(
                &"✗ the status answer's /partner_status is `sent`, where the recording shows `complete`".into()
            ),
            "{lines:?}"
        );

        let (shown, lines, _) = status_answered(ResponseTemplate::new(503)).await;
        assert_eq!(shown, (false, None));
        assert!(
            lines.contains(
                &"✗ the status answer's /partner_status is missing, where the recording shows `complete`".into()
            ),
            "{lines:?}"
        );
    }

    #[test]
    fn a_recorded_authorization_decides_the_key_scheme() {
        assert_eq!(key_scheme("Basic eDo="), InboundAuth::BasicApiKey);
        assert_eq!(key_scheme("Bearer t"), InboundAuth::BearerToken);
    }
}
