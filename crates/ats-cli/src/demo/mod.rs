//! `ats demo`: the gateway, in process, on a new SQLite database; the
//! demo vendor behind it ([`vendor`], answering Standard Webhooks events and
//! reporting through the REST API); and every registered provider played
//! against it by the simulator (`ats simulate`), all at once.
//!
//! For each provider the demo configures the gateway as a vendor would
//! (the registration's [`DemoFixtures`] settings, one random secret shared
//! with the simulated provider), connects a customer through
//! `POST /api/v1/connections` (and the provider's OAuth consent, where it
//! has one), then plays:
//!
//! * the package list, where the provider asks for it or the vendor
//!   pushes it;
//! * an order for a package the vendor sells: accepted, and its completed
//!   result received by the simulated provider where the real one would
//!   receive it, checked against the provider's recorded shape;
//! * an order for a package the vendor does not sell, refused the way the
//!   provider shows it;
//! * an order, then its cancellation, where the provider sends one.
//!
//! One table, then one line: all passed (exit 0) or which failed (exit 1).
//! `ats demo --recorded` plays the recorded fixtures through the runtime
//! instead, byte for byte ([`recorded`]).

pub mod recorded;
pub mod vendor;

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ats_core::registry::{ConnectionKey, DemoFixtures, Registration};
use ats_gateway::{Gateway, GatewayConfig};
use serde_json::{Value, json};

use crate::registry;
use crate::simulate::{self, Api, Outcome, Transcript};

pub(crate) use recorded::point_at;

/// The longest wait for one step's result.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the demo for every registered provider (or only `only`); the
/// database, configuration and secrets go in `dir` (a new temporary folder
/// when `None`); `verbose` prints every provider's transcript.
/// `Ok(false)` when a provider failed.
pub fn run(only: &[String], dir: Option<PathBuf>, verbose: bool) -> Result<bool, String> {
    let (chosen, dir, runtime) = setup(only, dir)?;
    runtime.block_on(demo(chosen, dir, verbose))
}

/// The registrations named (all when none is), the folder (created; a new
/// temporary one when `None`), and a runtime to play them on.
fn setup(
    only: &[String],
    dir: Option<PathBuf>,
) -> Result<(Vec<Registration>, PathBuf, tokio::runtime::Runtime), String> {
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
    Ok((chosen, dir, runtime))
}

fn say(line: impl AsRef<str>) -> Result<(), String> {
    writeln!(std::io::stdout(), "{}", line.as_ref()).map_err(|e| e.to_string())
}

/// One provider's part: its registration, demo fixtures and the port its
/// simulated API listens on.
struct Part {
    registration: Registration,
    demo: DemoFixtures,
    listener: std::net::TcpListener,
    api: String,
}

async fn demo(chosen: Vec<Registration>, dir: PathBuf, verbose: bool) -> Result<bool, String> {
    let started = Instant::now();
    let bind =
        |what: &str| std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("{what}: {e}"));
    let mut parts = Vec::new();
    let mut skipped = Vec::new();
    for registration in chosen {
        match (registration.demo, registration.served) {
            (Some(demo), Some(_)) => {
                let listener = bind(registration.name)?;
                let api = format!(
                    "http://{}",
                    listener.local_addr().map_err(|e| e.to_string())?
                );
                parts.push(Part {
                    registration,
                    demo,
                    listener,
                    api,
                });
            }
            _ => skipped.push(registration.name),
        }
    }
    let gateway_listener = bind("the gateway")?;
    let vendor_listener = bind("the vendor")?;
    let gateway_addr = gateway_listener.local_addr().map_err(|e| e.to_string())?;
    let vendor_addr = vendor_listener.local_addr().map_err(|e| e.to_string())?;
    let gateway_url = format!("http://{gateway_addr}");

    // the secrets, each in a file the configuration names
    let secrets = Secrets::write(&dir)?;
    let config_path = dir.join("ats.toml");
    let database = dir.join("gateway.db");
    for file in [
        database.clone(),
        dir.join("gateway.db-wal"),
        dir.join("gateway.db-shm"),
    ] {
        let _ = std::fs::remove_file(file);
    }
    std::fs::write(
        &config_path,
        configuration(&parts, &secrets, gateway_addr, vendor_addr, &database),
    )
    .map_err(|e| format!("{}: {e}", config_path.display()))?;
    let config = GatewayConfig::from_file(&config_path).map_err(|e| e.to_string())?;
    let gateway = Gateway::from_config(&config)
        .await
        .map_err(|e| format!("the gateway: {e}"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = tokio::net::TcpListener::from_std(nonblocking(gateway_listener)?)
        .map_err(|e| e.to_string())?;
    let serving = {
        let gateway = gateway.clone();
        tokio::spawn(async move {
            gateway
                .serve(listener, async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    let api = Api {
        url: gateway_url.clone(),
        key: secrets.api_key.clone(),
    };
    let vendor = std::sync::Arc::new(vendor::DemoVendor::start(
        tokio::net::TcpListener::from_std(nonblocking(vendor_listener)?)
            .map_err(|e| e.to_string())?,
        &secrets.signing,
        api.clone(),
    )?);

    say(format!(
        "ats demo: the gateway on SQLite, a vendor behind it, {} simulated providers\n  \
         gateway {gateway_url} (configuration {}), vendor http://{vendor_addr}/events\n",
        parts.len(),
        config_path.display()
    ))?;
    // every provider at once; each one's steps in order
    let mut plays = tokio::task::JoinSet::new();
    for (n, part) in parts.into_iter().enumerate() {
        let api = api.clone();
        let secret = secrets.provider.clone();
        let vendor = vendor.clone();
        let gateway = gateway.clone();
        plays.spawn(async move {
            (
                n,
                part.registration.name,
                play(part, api, secret, &vendor, &gateway).await,
            )
        });
    }
    let total = plays.len();
    let mut finished = Vec::new();
    let progress = std::io::stderr().is_terminal();
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    while !plays.is_empty() {
        tokio::select! {
            done = plays.join_next() => match done {
                Some(Ok(one)) => finished.push(one),
                Some(Err(e)) => return Err(format!("a provider's run stopped: {e}")),
                None => break,
            },
            _ = ticker.tick(), if progress => {
                eprint!(
                    "\r  playing {total} providers against the gateway … {} done, {} s",
                    finished.len(),
                    started.elapsed().as_secs()
                );
            }
        }
    }
    if progress {
        eprint!("\r{:72}\r", "");
    }
    finished.sort_by_key(|(n, _, _)| *n);

    let width = provider_column(finished.iter().map(|(_, name, _)| name.as_ref()));
    say(format!(
        "{:<width$} {:<15} {:<12} {:<22} {:<13} {:<12} {:>9}",
        "provider", "packages", "order", "rejection", "cancellation", "result", "round trip"
    ))?;
    let mut failed = Vec::new();
    for (_, name, run) in &finished {
        say(format!(
            "{:<width$} {:<15} {:<12} {:<22} {:<13} {:<12} {:>9}",
            name,
            run.packages,
            run.order,
            run.rejection,
            run.cancellation,
            run.result,
            run.round_trip
        ))?;
        if !run.problems.is_empty() {
            failed.push(*name);
        }
    }
    for name in &skipped {
        say(format!("{name:<width$} (no demo registered)"))?;
    }
    for (_, name, run) in &finished {
        if !verbose && run.problems.is_empty() {
            continue;
        }
        say(format!("\n{name}"))?;
        for line in &run.lines {
            say(format!("  {line}"))?;
        }
        for line in vendor.take_seen(name) {
            say(format!("  vendor: {line}"))?;
        }
        for problem in &run.problems {
            say(format!("  ✗ {problem}"))?;
        }
    }
    let _ = stop.send(());
    match tokio::time::timeout(Duration::from_secs(10), serving).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return Err(format!("the gateway: {e}")),
        Ok(Err(e)) => return Err(format!("the gateway stopped: {e}")),
        Err(_) => return Err("the gateway did not stop within 10 s".into()),
    }
    let took = started.elapsed().as_secs_f64();
    if failed.is_empty() {
        say(format!(
            "\nall {} providers passed: packages, orders, rejections, cancellations and results through the gateway and its vendor ({took:.1} s).\n\
             Activity log: ats log --database sqlite://{}",
            finished.len(),
            database.display()
        ))?;
    } else {
        say(format!(
            "\n{} of {} providers failed: {} ({took:.1} s)",
            failed.len(),
            finished.len(),
            failed.join(", ")
        ))?;
    }
    Ok(failed.is_empty())
}

fn nonblocking(listener: std::net::TcpListener) -> Result<std::net::TcpListener, String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    Ok(listener)
}

/// The demo's secrets, each also written to a file (mode 0600).
struct Secrets {
    encryption_key: PathBuf,
    signing: String,
    signing_file: PathBuf,
    api_key: String,
    api_key_file: PathBuf,
    /// The one secret the gateway shares with the simulated providers.
    provider: String,
    provider_file: PathBuf,
}

impl Secrets {
    fn write(dir: &Path) -> Result<Self, String> {
        use base64::Engine as _;
        let folder = dir.join("secrets");
        std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        owner_only(&folder, 0o700)?;
        // from the operating system's generator, as the store's own tokens;
        // the Standard Webhooks secret is base64 of 32 such bytes
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let mut key = Vec::new();
        for token in [ats_store::random_token(), ats_store::random_token()] {
            key.extend(URL_SAFE_NO_PAD.decode(token).map_err(|e| e.to_string())?);
        }
        let signing = format!("whsec_{}", STANDARD.encode(key));
        let api_key = format!("demo-api-{}", ats_store::random_token());
        let provider = format!("demo-secret-{}", ats_store::random_token());
        let put = |name: &str, value: &str| -> Result<PathBuf, String> {
            let path = folder.join(name);
            std::fs::write(&path, value).map_err(|e| format!("{}: {e}", path.display()))?;
            owner_only(&path, 0o600)?;
            Ok(path)
        };
        Ok(Self {
            encryption_key: put("encryption_key", &ats_store::KeyRing::generate_text(1))?,
            signing_file: put("vendor_signing_secret", &signing)?,
            signing,
            api_key_file: put("api_key", &api_key)?,
            api_key,
            provider_file: put("provider_secret", &provider)?,
            provider,
        })
    }
}

/// Makes `path` its owner's alone: `mode` 0o700 for a folder, 0o600 for a
/// file (Unix; elsewhere the platform's defaults stand).
fn owner_only(path: &Path, mode: u32) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// The gateway's `ats.toml` for the demo: every secret a `file:`.
fn configuration(
    parts: &[Part],
    secrets: &Secrets,
    gateway: SocketAddr,
    vendor: SocketAddr,
    database: &Path,
) -> String {
    let file = |p: &Path| format!("file:{}", p.display());
    let mut text = format!(
        "# written by `ats demo`\n\
         listen = {:?}\n\
         database_url = {:?}\n\
         encryption_key = {:?}\n\n\
         [vendor]\n\
         url = {:?}\n\
         signing_secret = {:?}\n\n\
         [api]\n\
         key = {:?}\n\n\
         [runtime]\n\
         # the simulated providers' callback URLs point at 127.0.0.1 over http\n\
         insecure_callback_hosts = [\"127.0.0.1\"]\n",
        gateway.to_string(),
        format!("sqlite://{}", database.display()),
        file(&secrets.encryption_key),
        format!("http://{vendor}/events"),
        file(&secrets.signing_file),
        file(&secrets.api_key_file),
    );
    for part in parts {
        text.push_str(&format!("\n[providers.{}]\n", part.registration.name));
        for (key, value) in part.demo.settings {
            let value = if *value == "{secret}" {
                file(&secrets.provider_file)
            } else {
                value.replace("{api}", &part.api)
            };
            text.push_str(&format!("{key} = {value:?}\n"));
        }
    }
    text
}

/// One provider's row, transcript and problems.
#[derive(Debug)]
struct Run {
    packages: String,
    order: String,
    rejection: String,
    cancellation: String,
    result: String,
    round_trip: String,
    lines: Vec<String>,
    problems: Vec<String>,
}

const NONE: &str = "–";

/// Connects the provider's customer, then plays its steps in order.
async fn play(
    part: Part,
    api: Api,
    secret: String,
    vendor: &vendor::DemoVendor,
    gateway: &Gateway,
) -> Run {
    let mut run = Run {
        packages: NONE.into(),
        order: "✗".into(),
        rejection: NONE.into(),
        cancellation: NONE.into(),
        result: "✗".into(),
        round_trip: NONE.into(),
        lines: Vec::new(),
        problems: Vec::new(),
    };
    let registration = part.registration;
    let demo = part.demo;
    let name = registration.name;
    let customer = Customer {
        tenant: demo.tenant,
        package: vendor::PACKAGE,
    };
    let connection = match connect(&registration, &api, &secret, &customer).await {
        Ok(c) => c,
        Err(e) => {
            run.problems.push(format!("connecting the customer: {e}"));
            return run;
        }
    };
    run.lines.push(format!(
        "connected {} at {}{}",
        demo.tenant,
        connection.endpoint,
        if connection.issued {
            " (a key issued)"
        } else {
            ""
        }
    ));
    let adapter = match (registration.translation_only)() {
        Ok(a) => a,
        Err(e) => {
            run.problems.push(e.to_string());
            return run;
        }
    };
    let has_oauth = adapter.oauth().is_some();
    // the first step connects the customer through OAuth, where it must
    let mut oauth = has_oauth.then(|| demo.tenant.to_owned());
    // where the connection decides the package (Lever's trigger stages),
    // the rejected order comes from a second customer whose connection
    // orders a package the vendor does not sell
    let refuser = format!("{}-2", demo.tenant);
    let mut rejecting = None;
    if demo.rejection.is_some() && demo.connection.contains("{package}") {
        let second = Customer {
            tenant: &refuser,
            package: vendor::UNKNOWN_PACKAGE,
        };
        match connect(&registration, &api, &secret, &second).await {
            Ok(c) => {
                run.lines.push(format!(
                    "connected {refuser} at {}, whose connection orders {}",
                    c.endpoint,
                    vendor::UNKNOWN_PACKAGE
                ));
                rejecting = Some(c.endpoint);
            }
            Err(e) => run
                .problems
                .push(format!("connecting a second customer: {e}")),
        }
    }
    let addr = match part.listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            run.problems.push(e.to_string());
            return run;
        }
    };
    let mut first = Some(part.listener);
    // one step: a simulator run on the provider's port (bound again after
    // the previous run let it go)
    let mut step = async |what: &str,
                          tweak: &(dyn Fn(&mut simulate::Args) + Sync)|
           -> Result<Outcome, String> {
        let mut args = simulate::Args::new(name, connection.endpoint.clone());
        args.key = connection.key.clone();
        args.secret = Some(secret.clone());
        args.package = Some(vendor::PACKAGE.into());
        args.package_optional = true;
        args.timeout = STEP_TIMEOUT;
        args.api = Some(api.clone());
        args.connect = oauth.take();
        tweak(&mut args);
        let listener = match first.take() {
            Some(l) => l,
            None => bind_again(addr).await?,
        };
        let mut transcript = Transcript::kept();
        let outcome = simulate::play(&registration, &args, listener, &mut transcript).await;
        run.lines.push(format!("— {what}"));
        run.lines.append(&mut transcript.lines);
        match outcome {
            Ok(o) if o.ok => Ok(o),
            Ok(_) => Err(format!("{what}: see the transcript")),
            Err(e) => Err(format!("{what}: {e}")),
        }
    };
    let packages = if demo.packages.is_some() {
        Some(step("the package list", &|a| a.packages = true).await)
    } else {
        None
    };
    let order = step("an order, and its result", &|_| {}).await;
    // what reached the provider is what the adapter makes of the result
    // the vendor reported, byte for byte
    let mut exactly = None;
    let order = match order {
        Ok(o) => match exact(gateway, name, &o.writes).await {
            Ok(line) => {
                exactly = Some(line);
                Ok(o)
            }
            Err(e) => Err(format!("the result: {e}")),
        },
        Err(e) => Err(e),
    };
    let rejection = if demo.rejection.is_some() {
        Some(
            step("an order for a package the vendor does not sell", &|a| {
                a.reject = true;
                a.package = Some(vendor::UNKNOWN_PACKAGE.into());
                a.fresh = 1;
                if let Some(endpoint) = &rejecting {
                    a.target = endpoint.clone();
                    a.connect = has_oauth.then(|| refuser.clone());
                }
            })
            .await,
        )
    } else {
        None
    };
    let cancellation = if demo.cancellation.is_some() {
        Some(
            step("an order, then its cancellation", &|a| {
                a.cancel = true;
                a.fresh = 2;
            })
            .await,
        )
    } else {
        None
    };
    if let Some(line) = exactly {
        run.lines
            .push(format!("— the first order's result: {line}"));
    }
    match packages {
        Some(Ok(o)) => {
            let how = if demo.packages.is_some_and(|f| pushed(name, f)) {
                "pushed"
            } else {
                "listed"
            };
            run.packages = format!("{} {how} ✓", o.packages.unwrap_or_default());
        }
        Some(Err(e)) => {
            run.packages = "✗".into();
            run.problems.push(e);
        }
        None => {}
    }
    match order {
        Ok(o) => {
            run.order = "accepted ✓".into();
            run.result = "delivered ✓".into();
            if let Some(t) = o.result_after {
                run.round_trip = format!("{:.2} s", t.as_secs_f64());
            }
        }
        Err(e) => run.problems.push(e),
    }
    // the vendor must have refused it: an order whose package the
    // connection decides (Lever's stages) cannot ask for an unknown one
    let rejection = match rejection {
        Some(Ok(o)) if !o.package_named && rejecting.is_none() => {
            run.lines.push(format!(
                "(no rejection: {name}'s orders name no package; the connection's settings decide it)"
            ));
            None
        }
        Some(Ok(o)) if vendor.rejections(name) == 0 => Some(Err(format!(
            "the rejection: answered {}, but the vendor was never asked",
            o.answer.unwrap_or_default()
        ))),
        other => other,
    };
    match rejection {
        Some(Ok(o)) => {
            let status = o.answer.unwrap_or_default();
            run.rejection = if (200..300).contains(&status) {
                format!("acknowledged ({status}) ✓")
            } else {
                format!("shown ({status}) ✓")
            };
        }
        Some(Err(e)) => {
            run.rejection = "✗".into();
            run.problems.push(e);
        }
        None => {}
    }
    // the provider had its answer; the vendor hears of it from the queue
    let cancellation = match cancellation {
        Some(Ok(o)) => Some(told(vendor, name).await.map(|()| o)),
        other => other,
    };
    match cancellation {
        Some(Ok(_)) => run.cancellation = "cancelled ✓".into(),
        Some(Err(e)) => {
            run.cancellation = "✗".into();
            run.problems.push(e);
        }
        None => {}
    }
    run
}

/// Checks `writes` (what the simulated provider received for `provider`'s
/// first order) against the adapter's own `prepare` of the result the
/// vendor reported, as the gateway stored it: each prepared write must have
/// been received with the same body, byte for byte (but for a time of
/// sending: [`same_bytes`]).
async fn exact(
    gateway: &Gateway,
    provider: &str,
    writes: &[(String, String, Vec<u8>)],
) -> Result<String, String> {
    let adapter = gateway
        .runtime()
        .adapter(provider)
        .ok_or("the gateway does not serve it")?;
    let orders = gateway
        .store()
        .orders(&ats_store::OrderFilter {
            provider: Some(provider.to_owned()),
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    let order = orders
        .iter()
        .rev()
        .find(|o| o.last_result.is_some())
        .ok_or("no order with a reported result in the gateway's store")?;
    let result = order.last_result.clone().ok_or("no result")?;
    let prepared = adapter
        .prepare(&ats_core::OutboundCall::SubmitResult {
            order: Box::new(order.handle.clone()),
            result: Box::new(result),
        })
        .map_err(|e| format!("the adapter cannot prepare the reported result: {e}"))?;
    for p in &prepared {
        let (method, path) = (p.method.as_str(), p.url.path());
        let got = writes
            .iter()
            .find(|(m, at, _)| m == method && at == path)
            .ok_or_else(|| format!("{method} {path}: not received"))?;
        if !same_bytes(&got.2, &p.body) {
            return Err(format!(
                "{method} {path}: received {}, the adapter makes {}",
                String::from_utf8_lossy(&got.2),
                String::from_utf8_lossy(&p.body)
            ));
        }
    }
    Ok(format!(
        "✓ {} as the adapter makes {} for the result the vendor reported, byte for byte",
        match prepared.len() {
            1 => "the result write".to_owned(),
            n => format!("{n} result writes"),
        },
        if prepared.len() == 1 { "it" } else { "them" }
    ))
}

/// Equal bytes; or, where they differ, equal JSON once every number field
/// named `timestamp` (a time of sending: Ashby's, also inside the request
/// Knit relays as a string) is set aside.
fn same_bytes(got: &[u8], want: &[u8]) -> bool {
    if got == want {
        return true;
    }
    let stamped = |bytes: &[u8]| -> Option<Value> {
        let mut json: Value = serde_json::from_slice(bytes).ok()?;
        unstamp(&mut json);
        Some(json)
    };
    matches!((stamped(got), stamped(want)), (Some(a), Some(b)) if a == b)
}

/// `timestamp` numbers set to 0, at any depth and inside JSON text.
fn unstamp(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "timestamp" && v.is_number() {
                    *v = json!(0);
                } else {
                    unstamp(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unstamp),
        Value::String(text) if text.starts_with('{') => {
            if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                unstamp(&mut inner);
                *text = inner.to_string();
            }
        }
        _ => {}
    }
}

/// Waits (up to 10 s) until the vendor was told of a cancellation of one
/// of `provider`'s orders.
async fn told(vendor: &vendor::DemoVendor, provider: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while vendor.cancellations(provider) == 0 {
        if Instant::now() > deadline {
            return Err("the cancellation: the vendor was not told within 10 s".into());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(())
}

/// Whether the package list fixture `file` of `provider` is one the vendor
/// pushes (an outbound call).
fn pushed(provider: &str, file: &str) -> bool {
    ats_testkit::fixture::FixtureFile::read(ats_testkit::fixtures_dir().join(provider).join(file))
        .and_then(|f| f.parse("http://127.0.0.1"))
        .is_ok_and(|f| f.direction == ats_core::Direction::Outbound)
}

/// Binds `addr` again once the previous simulator let it go.
async fn bind_again(addr: SocketAddr) -> Result<std::net::TcpListener, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match std::net::TcpListener::bind(addr) {
            Ok(l) => return Ok(l),
            Err(e) if Instant::now() > deadline => return Err(format!("{addr}: {e}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// A customer's connection, as the gateway answered it.
struct Connection {
    endpoint: String,
    /// The key the provider presents: issued by the gateway, or the one
    /// the provider minted (the shared secret).
    key: Option<String>,
    issued: bool,
}

/// The body of the demo's `POST /api/v1/connections` for `registration`:
/// its demo fields (`{secret}` and `{package}` replaced in every string),
/// the provider, the tenant, the given key and each declared secret, all
/// the shared `secret`.
fn connection_body(
    registration: &Registration,
    secret: &str,
    customer: &Customer,
) -> Result<Value, String> {
    let (Some(demo), Some(served)) = (registration.demo, registration.served) else {
        return Err("no demo registered".into());
    };
    let mut body: Value = serde_json::from_str(demo.connection)
        .map_err(|e| format!("the registration's demo connection is not JSON: {e}"))?;
    fill(&mut body, secret, customer.package);
    let Some(map) = body.as_object_mut() else {
        return Err("the registration's demo connection is not a JSON object".into());
    };
    map.insert("provider".into(), json!(registration.name));
    map.insert("tenant".into(), json!(customer.tenant));
    let shape = served.connection;
    if shape.key == ConnectionKey::Given {
        map.insert("key".into(), json!(secret));
    }
    if !shape.secrets.is_empty() {
        let secrets: serde_json::Map<String, Value> = shape
            .secrets
            .iter()
            .map(|s| (s.name.to_owned(), json!(secret)))
            .collect();
        map.insert("secrets".into(), Value::Object(secrets));
    }
    Ok(body)
}

/// `{secret}` and `{package}` replaced in every string of `value`.
fn fill(value: &mut Value, secret: &str, package: &str) {
    match value {
        Value::String(s) => *s = s.replace("{secret}", secret).replace("{package}", package),
        Value::Array(items) => items.iter_mut().for_each(|v| fill(v, secret, package)),
        Value::Object(map) => map.values_mut().for_each(|v| fill(v, secret, package)),
        _ => {}
    }
}

/// Which customer a connection is for: the tenant, and the package its
/// connection orders where the connection decides it (Lever's stages).
struct Customer<'a> {
    tenant: &'a str,
    package: &'a str,
}

/// `POST /api/v1/connections` for the demo's customer of `registration`:
/// the given key and declared secrets are the shared secret; the
/// registration's demo fields are added.
async fn connect(
    registration: &Registration,
    api: &Api,
    secret: &str,
    customer: &Customer<'_>,
) -> Result<Connection, String> {
    let Some(served) = registration.served else {
        return Err("not served by the gateway".into());
    };
    let shape = served.connection;
    let body = connection_body(registration, secret, customer)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let answer = client
        .post(format!("{}/api/v1/connections", api.url))
        .bearer_auth(&api.key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = answer.status();
    let created: Value =
        serde_json::from_slice(&answer.bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("the gateway answered {status}: {created}"));
    }
    let endpoint = created["endpoint_url"]
        .as_str()
        .ok_or("the gateway's answer has no endpoint_url")?
        .to_owned();
    let issued = created["issued_key"].as_str().map(str::to_owned);
    Ok(Connection {
        endpoint,
        issued: issued.is_some(),
        key: issued.or_else(|| (shape.key == ConnectionKey::Given).then(|| secret.to_owned())),
    })
}

/// The width of a table's provider column: the longest name (or the
/// heading), and a space.
pub(crate) fn provider_column<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(str::len).max().unwrap_or(0).max("provider".len()) + 1
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_provider_column_fits_the_longest_name_or_the_heading() {
        assert_eq!(
            provider_column(["ashby", "knit"].into_iter()),
            "provider".len() + 1
        );
        assert_eq!(
            provider_column(["ashby", "smartrecruiters"].into_iter()),
            "smartrecruiters".len() + 1
        );
        assert_eq!(provider_column(std::iter::empty()), "provider".len() + 1);
    }

    const ACME: Customer<'static> = Customer {
        tenant: "acme",
        package: vendor::PACKAGE,
    };

    fn registration(name: &str) -> Registration {
        registry::registration(name).unwrap()
    }

    #[test]
    fn a_connection_carries_the_shared_secret_where_the_provider_needs_one() {
        let secret = "s\"e\\c";
        // Lever: its demo fields, the secret and the package filled in
        assert_eq!(
            connection_body(&registration("lever"), secret, &ACME).unwrap(),
            json!({"provider": "lever", "tenant": "acme", "signature_tokens": [secret],
                "trigger_stages": {"36f675cc-81e7-4ef5-a8e2-5d940ed90475": vendor::PACKAGE}})
        );
        // a second customer, whose stage orders another package
        assert_eq!(
            connection_body(
                &registration("lever"),
                secret,
                &Customer {
                    tenant: "acme-2",
                    package: vendor::UNKNOWN_PACKAGE
                }
            )
            .unwrap(),
            json!({"provider": "lever", "tenant": "acme-2", "signature_tokens": [secret],
                "trigger_stages": {"36f675cc-81e7-4ef5-a8e2-5d940ed90475": vendor::UNKNOWN_PACKAGE}})
        );
        // Teamtailor mints the key: it is given
        assert_eq!(
            connection_body(&registration("teamtailor"), secret, &ACME).unwrap(),
            json!({"provider": "teamtailor", "tenant": "acme", "key": secret})
        );
        // declared per-customer secrets
        assert_eq!(
            connection_body(&registration("smartrecruiters"), secret, &ACME).unwrap(),
            json!({"provider": "smartrecruiters", "tenant": "acme", "secrets": {
                "customer_client_id": secret, "customer_client_secret": secret}})
        );
        // a signing provider: the tenant its orders name, nothing else
        assert_eq!(
            connection_body(
                &registration("kombo"),
                secret,
                &Customer {
                    tenant: "greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H",
                    package: vendor::PACKAGE
                }
            )
            .unwrap(),
            json!({"provider": "kombo", "tenant": "greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H"})
        );
    }

    #[test]
    fn bodies_differ_only_by_their_time_of_sending() {
        assert!(same_bytes(b"{\"a\":1}", b"{\"a\":1}"));
        assert!(same_bytes(
            br#"{"id":"x","timestamp":1796610120391}"#,
            br#"{"id":"x","timestamp":1796610121409}"#
        ));
        // inside a relayed request's text
        assert!(same_bytes(
            br#"{"body":"{\"timestamp\":1,\"v\":2}"}"#,
            br#"{"body":"{\"timestamp\":7,\"v\":2}"}"#
        ));
        assert!(!same_bytes(
            br#"{"body":"{\"timestamp\":1,\"v\":2}"}"#,
            br#"{"body":"{\"timestamp\":7,\"v\":3}"}"#
        ));
        // any other difference, or a timestamp that is not a number, counts
        assert!(!same_bytes(
            br#"{"id":"x","timestamp":1}"#,
            br#"{"id":"y","timestamp":1}"#
        ));
        assert!(!same_bytes(
            br#"{"timestamp":"2026-01-01"}"#,
            br#"{"timestamp":"2026-01-02"}"#
        ));
        assert!(!same_bytes(b"not json", b"not json!"));
    }

    #[test]
    fn the_configuration_names_every_secret_by_file_and_the_gateway_takes_it() {
        let dir = std::env::temp_dir().join(format!("ats-demo-config-{}", std::process::id()));
        let secrets = Secrets::write(&dir).unwrap();
        let parts: Vec<Part> = registry::registrations()
            .into_iter()
            .map(|registration| {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let api = format!("http://{}", listener.local_addr().unwrap());
                Part {
                    registration,
                    demo: registration.demo.unwrap(),
                    listener,
                    api,
                }
            })
            .collect();
        let text = configuration(
            &parts,
            &secrets,
            "127.0.0.1:8080".parse().unwrap(),
            "127.0.0.1:9000".parse().unwrap(),
            &dir.join("gateway.db"),
        );
        for value in [&secrets.signing, &secrets.api_key, &secrets.provider] {
            assert!(!text.contains(value.as_str()), "{text}");
        }
        // the base URLs point at each simulated provider
        let hibob = parts
            .iter()
            .find(|p| p.registration.name == "hibob")
            .unwrap();
        assert!(
            text.contains(&format!("base_url = \"{}/v1\"", hibob.api)),
            "{text}"
        );
        let config = GatewayConfig::parse(&text).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.vendor_url.as_str(), "http://127.0.0.1:9000/events");
        assert_eq!(config.api_key.expose(), secrets.api_key);
        assert_eq!(
            config
                .settings
                .get("kombo", "webhook_secret")
                .unwrap()
                .expose(),
            secrets.provider
        );
        assert_eq!(
            config
                .settings
                .get("recruitee", "codename")
                .unwrap()
                .expose(),
            "acme-assess"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
