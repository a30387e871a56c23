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
    /// The longest wait for the result.
    pub timeout: Duration,
    /// First connect a tenant through the service's OAuth routes.
    pub connect: Option<Connect>,
}

/// An OAuth connection to make before the order: the gateway's
/// `POST /api/v1/connections/{provider}/{tenant}/authorize`, then the
/// customer's consent, played by the simulator (its authorization page
/// redirects straight back with a code).
#[derive(Debug)]
pub struct Connect {
    /// The tenant to connect.
    pub tenant: String,
    /// The gateway's base URL.
    pub api: String,
    /// The gateway's REST API key.
    pub key: String,
}

/// Runs the simulation; `Ok(false)` on a mismatch or a timeout.
pub fn run(args: &Args) -> Result<bool, String> {
    let registration = registry::registration(&args.provider)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(play(&registration, args))
}

fn say(line: impl AsRef<str>) -> Result<(), String> {
    writeln!(std::io::stdout(), "{}", line.as_ref()).map_err(|e| e.to_string())
}

async fn play(registration: &Registration, args: &Args) -> Result<bool, String> {
    let name = registration.name;
    let demo = registration
        .demo
        .ok_or_else(|| format!("{name}: no recorded order to play"))?;
    let folder = ats_testkit::fixtures_dir().join(name);
    let listener = std::net::TcpListener::bind(args.listen)
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let server = MockServer::builder().listener(listener).start().await;
    let read = |file: &str| -> Result<Fixture, String> {
        FixtureFile::read(folder.join(file))
            .and_then(|f| f.parse(&server.uri()))
            .map_err(|e| e.to_string())
    };
    let mut order = if args.reject {
        read(
            demo.rejection
                .ok_or_else(|| format!("--reject: no recorded rejection for {name}"))?,
        )?
    } else {
        read(demo.order)?
    };
    let cancellation = match (args.cancel, demo.cancellation) {
        (false, _) => None,
        (true, Some(file)) => Some(read(file)?),
        (true, None) => return Err(format!("--cancel: {name} sends no cancellation")),
    };
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
    say(format!(
        "ats simulate {name}: playing {name}'s API on http://{local} (point the service's {name} base URL here)"
    ))?;
    if let Some(connect) = &args.connect {
        consent(adapter.as_ref(), &server, connect).await?;
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
        say(format!(
            "  the order's callback URL points here: {callback}"
        ))?;
    }
    if let (Some(package), true) = (&args.package, package_in_reads) {
        say(format!(
            "  the order asks for package {package} (recorded: {recorded_package}), as {name}'s API answers when read"
        ))?;
    } else if let Some(package) = &args.package {
        let mut json: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if recorded_package.is_empty() || replace_value(&mut json, &recorded_package, package) == 0
        {
            return Err(format!(
                "--package: {name}'s order does not name its package in the body"
            ));
        }
        body = serde_json::to_vec(&json).map_err(|e| e.to_string())?;
        say(format!(
            "  the order asks for package {package} (recorded: {recorded_package})"
        ))?;
    }
    let url = endpoint(capabilities.orders, name, &args.target, &recorded.path);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut answers = Vec::new();
    for copy in 0..args.duplicate.max(1) {
        let (body, headers) =
            credentials(adapter.as_ref(), recorded, body.clone(), args, copy == 0)?;
        say(format!("→ {} {url}", recorded.method))?;
        let (status, text) = send(&client, &recorded.method, &url, body, &headers).await?;
        say(format!("← {status} {}", excerpt(&text)))?;
        answers.push((status, text));
    }

    // what must happen now
    let mut ok = true;
    if args.wrong_credentials {
        let refused = answers.iter().all(|(s, _)| matches!(s, 401 | 403));
        say(if refused {
            "✓ refused, as the provider expects for wrong credentials".to_owned()
        } else {
            "✗ the service accepted wrong credentials".to_owned()
        })?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let written = since(server.received_requests().await.unwrap_or_default());
        if !written.is_empty() {
            say("✗ and it wrote to the provider's API anyway")?;
            ok = false;
        }
        return Ok(ok && refused);
    }
    let (first_status, first_body) = answers.first().cloned().unwrap_or_default();
    if args.reject {
        let want = order.response.as_ref().map_or(0, |r| r.status);
        let shown = first_status == want;
        say(if shown {
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
                say(format!("✗ and it wrote to {name}: {}", list(&written)))?;
                return Ok(false);
            }
            return Ok(shown);
        }
        // a webhook is acknowledged; the rejection goes back as a result
        ok = shown;
    }
    if !(200..300).contains(&first_status) {
        say(format!("✗ the order was not accepted ({first_status})"))?;
        return Ok(false);
    }
    if answers
        .iter()
        .any(|a| a != &(first_status, first_body.clone()))
    {
        say("✗ copies of the order got different answers")?;
        ok = false;
    } else if answers.len() > 1 {
        say(format!("✓ {} copies, one answer", answers.len()))?;
    }

    if let Some(c) = &cancellation {
        let recorded = c
            .request
            .as_ref()
            .ok_or("the cancellation has no request recorded")?;
        let (body, headers) = credentials(
            adapter.as_ref(),
            recorded,
            recorded.body_bytes()?.to_vec(),
            args,
            true,
        )?;
        let url = endpoint(capabilities.orders, name, &args.target, &recorded.path);
        say(format!("→ {} {url} (the cancellation)", recorded.method))?;
        let (status, text) = send(&client, &recorded.method, &url, body, &headers).await?;
        say(format!("← {status} {}", excerpt(&text)))?;
        let taken = (200..300).contains(&status);
        say(if taken {
            format!("✓ {name}: order accepted, then cancelled")
        } else {
            format!("✗ the cancellation was answered {status}")
        })?;
        return Ok(ok && taken);
    }

    // the result: wait for the service's write, with a progress line
    let started = Instant::now();
    let progress = std::io::stderr().is_terminal();
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
            // let a duplicate write show itself
            tokio::time::sleep(Duration::from_secs(1)).await;
            break since(server.received_requests().await.unwrap_or_default());
        }
        if started.elapsed() > args.timeout {
            if progress {
                eprintln!();
            }
            say(format!(
                "✗ no result within {} s (received: {})",
                args.timeout.as_secs(),
                list(&got)
            ))?;
            return Ok(false);
        }
        if progress {
            eprint!(
                "\r  waiting for the service's result … {:>3} s",
                started.elapsed().as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    if progress {
        eprintln!();
    }
    let known = known_fields(&folder, &write_paths);
    let mut writes_seen = 0;
    for r in &received {
        let key = (r.method.to_string(), r.url.path().to_owned());
        let is_write = write_paths.contains(&key);
        say(format!(
            "← {} {}{}",
            r.method,
            r.url.path(),
            if is_write { "" } else { " (read)" }
        ))?;
        if !is_write {
            continue;
        }
        writes_seen += 1;
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
                    say(format!("  ✓ {} fields, all known to {name}", fields.len()))?;
                } else {
                    say(format!(
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
                    say(format!(
                        "  ✓ form with {} fields, all known to {name}",
                        fields.len()
                    ))?;
                } else {
                    say(format!(
                        "  ✗ form fields {name}'s recordings do not know: {}",
                        unknown.join(", ")
                    ))?;
                    ok = false;
                }
            }
            Err(e) => {
                say(format!("  ✗ the body is not JSON: {e}"))?;
                ok = false;
            }
        }
    }
    let expected_writes = writes.len() + usize::from(args.write_back.is_some());
    if writes_seen > expected_writes {
        say(format!(
            "✗ {writes_seen} writes for one result (at most {expected_writes} expected): a repeat reached {name}"
        ))?;
        ok = false;
    }
    say(if ok {
        format!(
            "✓ {name}: order accepted and result received in {:.1} s",
            started.elapsed().as_secs_f64()
        )
    } else {
        format!("✗ {name}: see above")
    })?;
    Ok(ok)
}

/// Connects `connect.tenant` through the gateway's OAuth routes, playing
/// the provider's authorization page: it grants at once, redirecting to
/// the app's redirect URI with a code and the state it was given; the
/// gateway then exchanges the code at the simulated token endpoint.
async fn consent(
    adapter: &dyn AtsProvider,
    server: &MockServer,
    connect: &Connect,
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
        connect.api.trim_end_matches('/'),
        connect.tenant
    );
    say(format!("→ POST {url}"))?;
    let answer = client
        .post(&url)
        .bearer_auth(&connect.key)
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
    say(format!(
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
    say(format!("← {status} {landed}: {}", excerpt(&text)))?;
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
    let auth = adapter.capabilities().inbound_auth;
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

/// Every field path the provider's recorded writes to these targets hold.
fn known_fields(
    folder: &std::path::Path,
    targets: &BTreeSet<(String, String)>,
) -> BTreeSet<String> {
    let mut known = BTreeSet::new();
    for file in read_dir(folder).unwrap_or_default() {
        let Ok(fixture) = file.parse("http://127.0.0.1") else {
            continue;
        };
        for ex in &fixture.exchanges {
            let target = (ex.request.method.clone(), ex.request.path.clone());
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
