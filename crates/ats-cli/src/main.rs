//! `ats`: look at provider payloads through the adapters.
//!
//! * `ats providers` lists the adapters and what each supports.
//! * `ats inspect <provider> <operation> [FILE|-]` translates a request body
//!   a provider sends to a vendor into the core event (JSON); a tenant that
//!   travels outside the body is printed as `null`, with a note on standard
//!   error naming the header or option that would supply it.
//! * `ats render <provider> <operation> [FILE|-]` turns a vendor answer (or
//!   an outbound write) into the exact bytes the provider expects.
//!
//! * `ats demo` plays every provider's recorded order and result through
//!   the durable runtime with one vendor.
//! * `ats replay <fixtures…>` replays recorded exchanges through the
//!   adapters, fixture by fixture.
//! * `ats simulate <provider> --target URL` plays a provider against a
//!   running vendor service.
//! * `ats record` is a recording proxy that writes real exchanges as
//!   fixtures, credentials and personal data redacted.
//! * `ats new-adapter <name>` starts a new adapter crate that compiles and
//!   passes its conformance suite.
//! * `ats log` reads a running service's activity log from its database.
//! * `ats outbox` shows the results it writes back, and `--retry ID` puts a
//!   dead one back in the queue.
//! * `ats serve --config ats.toml` runs the gateway (`--check` validates).
//! * `ats keygen` prints a new key for encrypting secrets at rest.
//!
//! Bad input ends with exit code 2 and one line saying what is wrong and
//! where (the field path), never a panic.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ats_core::codec::decode_json;
use ats_core::{
    AtsProvider, BareTranslation, Direction, InboundAuth, InboundEvent, InboundRequest,
    OutboundCall, TransportInput, VendorReply,
};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use http::Method;

mod demo;
mod log;
mod outbox;
mod record;
mod registry;
mod replay;
mod scaffold;
mod simulate;

#[derive(Parser, Debug)]
#[command(
    name = "ats",
    version,
    about = "Translate ATS provider payloads to and from the unified assessment model"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the adapters, their capabilities and operations.
    Providers {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Translate a request body a provider sends to a vendor into the core event.
    #[command(
        long_about = "Translate a request body (or webhook body) a provider sends to a vendor \
into the core event, printed as pretty JSON.\n\n\
This only translates: it checks no credential and no signature, and calls nothing. \
Use it to see what an adapter makes of a payload.\n\n\
OPERATION is the provider's own name for the call or event, e.g. `greenhouse send_test`. \
Run `ats providers` for the list.\n\n\
Bad input (empty, truncated, not JSON, wrong shape, missing required field) exits with \
code 2 and one line naming the field path. So does an order a service refuses on arrival, \
before its vendor is called: a control character in a value, an id unfit for a URL path, \
a callback URL the provider's default URL policy does not allow.\n\n\
When only what travels outside the body is missing (a header, the URL path of a customer \
connection), the payload is translated anyway: the tenant is printed as null and a note on \
standard error says which header or option would supply it."
    )]
    Inspect {
        /// Provider name (`ats providers` lists them).
        provider: String,
        /// The provider's name for the inbound call or event.
        operation: String,
        /// File holding the body; `-` or nothing reads standard input (nothing
        /// on an interactive terminal means an empty body).
        file: Option<PathBuf>,
        /// Query string of the request, for calls whose input is in the URL
        /// (e.g. `partner_interview_id=98765`).
        #[arg(long)]
        query: Option<String>,
        /// A request header, `name: value` (repeatable), for providers that
        /// carry data in headers.
        #[arg(long = "header")]
        headers: Vec<String>,
        /// The request's URL path, for calls whose input is in it (e.g.
        /// `/assessments/asm_1/shared-link`); default `/<operation>`.
        #[arg(long)]
        path: Option<String>,
        /// Arrival time to use where the payload has none (RFC 3339); default now.
        #[arg(long)]
        received_at: Option<DateTime<Utc>>,
        /// Lever: treat this stage as a trigger stage (`STAGE` or
        /// `STAGE=PACKAGE`), to see the order a stage change would become.
        #[arg(long)]
        trigger_stage: Option<String>,
        /// Lever: a file holding the opportunity as Lever's API returns it
        /// (`GET /opportunities/:id?expand=applications&expand=stage`), to
        /// complete that order offline.
        #[arg(long, requires = "trigger_stage")]
        opportunity: Option<PathBuf>,
        /// Lever: a file holding the opportunity's posting (`GET /postings/:id`).
        #[arg(long, requires = "opportunity")]
        posting: Option<PathBuf>,
    },
    /// Render a vendor answer, or an outbound write, as the exact bytes the provider expects.
    #[command(
        long_about = "For an inbound OPERATION, read the vendor's answer as JSON \
(a core VendorReply, e.g. {\"type\": \"status\", \"status\": \"completed\", ...}) and print the exact \
response body the provider expects; the HTTP status goes to standard error.\n\n\
For an outbound OPERATION, read the write as JSON (a core OutboundCall, e.g. \
{\"call\": \"submit_result\", \"order\": {...}, \"result\": {...}}) and print each request's body; \
its method and URL go to standard error. Credentials are never printed."
    )]
    Render {
        /// Provider name.
        provider: String,
        /// The provider's name for the call.
        operation: String,
        /// File holding the JSON input; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// For an inbound operation: a file holding the provider's request
        /// body, for answers that repeat something from the request (an id
        /// to echo, such as Ashby's `assessment.cancel`).
        #[arg(long)]
        request: Option<PathBuf>,
    },
    /// Show the activity log of a running service (what came in and went out), newest last.
    Log(log::LogArgs),
    /// Show the results a running service writes back to providers, and put dead ones back in the queue.
    #[command(
        long_about = "Show the outbox of a running service (the runtime's or the gateway's), \
read from its database: a count per state, then each item oldest first with its order, its \
result's status, where it stands, the attempts made, when it is due and the provider's last \
error. With --events, the same for the gateway's events to the vendor (`ats serve`).\n\n\
With --retry ID, put a dead item (refused for good, or out of attempts) back in the \
queue, due now with its attempts reset; the service's workers send it. An item that is not \
dead is left alone, and the command exits 2."
    )]
    Outbox(outbox::OutboxArgs),
    /// Run the gateway: every configured provider's endpoints, signed events to your service, the REST API.
    #[command(
        long_about = "Run the self-hosted assessment gateway described by a configuration file \
(see docs/gateway.md): providers call it at their default paths, your service receives each \
event as JSON signed per the Standard Webhooks specification and reports results through the \
REST API under /api/v1.\n\nWith --check, validate the configuration (secrets included) and \
print what would be served, without starting."
    )]
    Serve {
        /// The configuration file.
        #[arg(long, default_value = "ats.toml")]
        config: PathBuf,
        /// Validate the configuration and print what would be served.
        #[arg(long)]
        check: bool,
    },
    /// Every provider simulated against the gateway and a demo vendor behind it: packages, orders, rejections, cancellations, results.
    #[command(
        long_about = "Start the gateway in process on a new SQLite database, with a built-in vendor behind it (Standard Webhooks events in, results through the REST API), and play every registered provider against it with the simulator (`ats simulate`), all at once: the package list, an order the vendor accepts and its result received where the provider would receive it, an order it rejects, and a cancellation, each where the provider has one. No account, key or network: each provider's API is simulated on a local port. Prints one table, then whether all passed (exit 0) or which failed (exit 1). --recorded plays the recorded fixtures through the durable runtime instead, byte for byte."
    )]
    Demo {
        /// Only these providers (default: all).
        providers: Vec<String>,
        /// Where to keep the SQLite stores (default: a new temporary folder).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Print every exchange after the table.
        #[arg(long, short)]
        verbose: bool,
        /// Play the recorded fixtures through the durable runtime instead (no gateway, no simulator): every answer and API call compared with the recording byte for byte.
        #[arg(long)]
        recorded: bool,
    },
    /// Play a provider against a running vendor service: send its order, receive its result.
    #[command(
        long_about = "Play a provider (an ATS or an aggregator) against a running vendor service: the gateway (`ats serve`), a service built on ats-server, or anything else. The provider's recorded order is sent to --target with the credentials the service expects (--key for providers that present a key the service issued, --secret for providers that sign), its callback URL (where the provider has one) pointed at the simulator. The simulator plays the provider's API on --listen (point the service's base URL for this provider there): it answers reads and writes as recorded and checks each write against the provider's recorded shape. Prints a transcript; exits 1 on a mismatch or when no result arrives within --timeout."
    )]
    Simulate {
        /// The provider to play.
        provider: String,
        /// The service's endpoint for this provider (what the customer pastes into the ATS).
        #[arg(long)]
        target: String,
        /// Where to play the provider's API.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
        /// The key the service issued to the customer (Basic or Bearer providers).
        #[arg(long, env = "ATS_SIMULATE_KEY", hide_env_values = true)]
        key: Option<String>,
        /// The secret the provider signs with (signing providers).
        #[arg(long, env = "ATS_SIMULATE_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// Present wrong credentials (a wrong key or a bad signature): the service must refuse.
        #[arg(long, alias = "bad-signature")]
        wrong_key: bool,
        /// Send the same order this many times.
        #[arg(long, default_value_t = 1)]
        duplicate: u32,
        /// Answer the service's first write with 429, 500, or not at all (timeout).
        #[arg(long, value_enum)]
        write_back: Option<simulate::WriteBack>,
        /// Order this package instead of the recorded one (a package the service knows).
        #[arg(long)]
        package: Option<String>,
        /// Send an order the vendor should refuse (the recorded one for an unknown package).
        #[arg(long, conflicts_with_all = ["wrong_key", "cancel"])]
        reject: bool,
        /// After the order is accepted, send the provider's cancellation.
        #[arg(long, conflicts_with = "wrong_key")]
        cancel: bool,
        /// Only the package list: ask for it as the provider does, or (where the vendor pushes its list) push the recorded list through the gateway's API (--api, --api-key) and check that the provider receives it. With --package, the list must name that package.
        #[arg(long, conflicts_with_all = ["reject", "cancel"])]
        packages: bool,
        /// Give the order a new id (its last letter or digit moved N places), everywhere the recordings name it: a provider's next order, which the service has not seen.
        #[arg(long, default_value_t = 0)]
        fresh: u32,
        /// The longest wait for the result, in seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// OAuth providers (Lever, HiBob): first connect this tenant through the service's OAuth routes, playing the customer's consent (needs --api and --api-key).
        #[arg(long, requires_all = ["api", "api_key"])]
        connect: Option<String>,
        /// The gateway's base URL, for --connect and a pushed package list.
        #[arg(long, requires = "api_key")]
        api: Option<String>,
        /// The gateway's REST API key, for --connect and a pushed package list.
        #[arg(long, env = "ATS_SIMULATE_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
    },
    /// Record real exchanges as fixtures: a proxy between a provider and your service.
    #[command(
        long_about = "Run a recording proxy: point the provider (or its sandbox) at --listen; every request is forwarded unchanged to --forward and the service's answer returned unchanged, and each exchange is written to --out as an inbound fixture (docs/fixtures.md) with the core event the adapter makes of it. Credentials (Authorization, cookies, signature/token/key headers and query parameters) and personal data in bodies (names, e-mails, phones, addresses, tokens; more with --redact) are redacted in what is written, never in what is forwarded. Re-sign a recording before replaying it (docs/fixtures.md says with which secret)."
    )]
    Record {
        /// Where the provider sends to.
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// Your service's base URL (the request's path and query are appended).
        #[arg(long)]
        forward: String,
        /// The provider whose traffic this is.
        #[arg(long)]
        provider: String,
        /// Where to write the fixtures.
        #[arg(long)]
        out: PathBuf,
        /// More body fields to redact (at any depth), besides the default list.
        #[arg(long, value_delimiter = ',')]
        redact: Vec<String>,
    },
    /// Replay recorded exchanges (fixture files or folders) through the adapters, fixture by fixture.
    #[command(
        long_about = "Replay recorded exchanges (files in the fixture format of docs/fixtures.md, or folders of them) through the adapters, offline: each adapter is configured as its fixtures were recorded, outbound calls go to an in-process stand-in that answers as recorded and checks each request byte for byte. Prints one line per fixture (ok, or the first check that failed with the first differing field: path, expected, got). Exits 1 if any fixture failed."
    )]
    Replay {
        /// Fixture files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The provider (default: the name of the folder the fixtures are in).
        #[arg(long)]
        provider: Option<String>,
        /// Send each inbound fixture's request to this running service instead
        /// (configured as the recordings were) and compare its answers.
        #[arg(long)]
        target: Option<String>,
    },
    /// Start a new adapter crate: a renamed copy of a registered one, compiling and passing.
    #[command(
        name = "new-adapter",
        long_about = "Write crates/ats-NAME, fixtures/NAME/ and docs/providers/NAME.md: a renamed copy of a registered adapter (--from, default greenhouse) with its recorded fixtures, so the new crate compiles and passes its conformance suite at once, and a provider page with the sections every page has. Then replace the wire format file by file (docs/adding-an-adapter.md) and register the adapter with one line in registrations() in crates/ats-server/src/stock.rs (and the crate in the workspace and ats-server dependencies)."
    )]
    NewAdapter {
        /// The new adapter's name: lower-case letters and digits.
        name: String,
        /// The adapter to start from.
        #[arg(long, default_value = "greenhouse")]
        from: String,
        /// The workspace root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Print the OpenAPI document of the gateway's REST API (as in docs/openapi.json).
    Openapi,
    /// Print a new random key for encrypting secrets at rest (`ATS_ENCRYPTION_KEY`).
    Keygen {
        /// The key's id (0-255); put the new key first when rotating.
        #[arg(long, default_value_t = 1)]
        id: u8,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Providers { json } => providers(json),
        Command::Log(args) => log::run(args),
        Command::Outbox(args) => outbox::run(args),
        Command::Serve { config, check } => serve(&config, check),
        Command::Demo {
            providers,
            dir,
            verbose,
            recorded,
        } => {
            let passed = if recorded {
                demo::recorded::run(&providers, dir, verbose)?
            } else {
                demo::run(&providers, dir, verbose)?
            };
            if passed {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::Simulate {
            provider,
            target,
            listen,
            key,
            secret,
            wrong_key,
            duplicate,
            write_back,
            package,
            reject,
            cancel,
            packages,
            fresh,
            timeout,
            connect,
            api,
            api_key,
        } => {
            let args = simulate::Args {
                provider,
                target,
                listen,
                key,
                secret,
                wrong_credentials: wrong_key,
                duplicate,
                write_back,
                package,
                package_optional: false,
                reject,
                cancel,
                packages,
                fresh,
                timeout: std::time::Duration::from_secs(timeout),
                connect,
                api: match (api, api_key) {
                    (Some(url), Some(key)) => Some(simulate::Api { url, key }),
                    _ => None,
                },
            };
            if simulate::run(&args)? {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::Record {
            listen,
            forward,
            provider,
            out,
            redact,
        } => record::run(record::Args {
            listen,
            forward,
            provider,
            out,
            redact,
        }),
        Command::NewAdapter { name, from, root } => {
            let written = scaffold::run(&scaffold::Args {
                name: name.clone(),
                from,
                root,
            })?;
            println!("wrote {} files, among them:", written.len());
            for file in written.iter().filter(|f| {
                f.extension()
                    .is_some_and(|x| x == "rs" || x == "md" || x == "toml")
            }) {
                println!("  {}", file.display());
            }
            println!("next: cargo test -p ats-{name}");
            println!(
                "then register it with one line in registrations() in crates/ats-server/src/stock.rs: ats_{name}::registration(),"
            );
            println!(
                "with `ats-{name} = {{ path = \"crates/ats-{name}\", version = \"0.1.0\" }}` in the root Cargo.toml"
            );
            println!("and `ats-{name}.workspace = true` in crates/ats-cli/Cargo.toml");
            Ok(())
        }
        Command::Replay {
            paths,
            provider,
            target,
        } => {
            if replay::run(&paths, provider.as_deref(), target.as_deref())? {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::Openapi => {
            println!("{}", ats_gateway::openapi_json());
            Ok(())
        }
        Command::Keygen { id } => {
            println!("{}", ats_store::KeyRing::generate_text(id));
            Ok(())
        }
        Command::Inspect {
            provider,
            operation,
            file,
            query,
            headers,
            path,
            received_at,
            trigger_stage,
            opportunity,
            posting,
        } => {
            let adapter = registry::adapter(&provider)?;
            operation_in(adapter.as_ref(), &operation, Direction::Inbound)?;
            let body = read_input(file.as_ref())?;
            if let Some(stage) = trigger_stage {
                if provider != "lever" {
                    return Err("--trigger-stage is for lever".into());
                }
                let event = lever_offline(
                    &operation,
                    &body,
                    &stage,
                    opportunity.as_deref(),
                    posting.as_deref(),
                )?;
                ats_core::serve::admit(adapter.as_ref(), &event)
                    .map_err(|e| format!("refused on arrival, before the vendor is called: {e}"))?;
                return print_json(&with_raw(&with_null_tenant(&event)?, &event, &body));
            }
            let path = path.unwrap_or_else(|| format!("/{operation}"));
            let mut request = InboundRequest::new(Method::POST, &path)
                .with_body(body)
                .received_at(received_at.unwrap_or_else(Utc::now));
            request.query = query;
            for h in &headers {
                let (name, value) = h
                    .split_once(':')
                    .ok_or_else(|| format!("--header `{h}` is not `name: value`"))?;
                request = request
                    .with_header(name.trim(), value.trim())
                    .map_err(|e| e.to_string())?;
            }
            let bare = adapter
                .translate_bare(&operation, &request)
                .map_err(|e| e.to_string())?;
            ats_core::serve::admit(adapter.as_ref(), &bare.event)
                .map_err(|e| format!("refused on arrival, before the vendor is called: {e}"))?;
            let notes = tenant_notes(adapter.as_ref(), &operation, &bare);
            print_json(&with_raw(
                &with_null_tenant(&bare.event)?,
                &bare.event,
                &request.body,
            ))?;
            let mut err = std::io::stderr().lock();
            for note in notes {
                writeln!(err, "note: {note}").map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Command::Render {
            provider,
            operation,
            file,
            request,
        } => {
            let adapter = registry::adapter(&provider)?;
            let direction = adapter
                .operations()
                .iter()
                .find(|o| o.name == operation)
                .map(|o| o.direction)
                .ok_or_else(|| unknown_operation(adapter.as_ref(), &operation))?;
            let input = read_input(file.as_ref())?;
            match direction {
                Direction::Inbound => {
                    let reply: VendorReply = decode_json(&input).map_err(|e| e.to_string())?;
                    let response = match &request {
                        Some(path) => {
                            let body = std::fs::read(path)
                                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                            let request =
                                InboundRequest::new(Method::POST, &format!("/{operation}"))
                                    .with_body(body);
                            let event = adapter
                                .translate(&operation, &request)
                                .map_err(|e| format!("--request: {e}"))?;
                            let inbound = ats_core::Inbound {
                                operation: operation.clone(),
                                event,
                            };
                            adapter.respond_to(&inbound, &reply)
                        }
                        None => adapter.respond(&operation, &reply),
                    }
                    .map_err(|e| e.to_string())?;
                    eprintln!("HTTP {}", response.status);
                    write_body(&response.body)
                }
                Direction::Outbound => {
                    let call: OutboundCall = decode_json(&input).map_err(|e| e.to_string())?;
                    let requests = adapter.prepare(&call).map_err(|e| e.to_string())?;
                    for r in requests {
                        eprintln!("{} {}", r.method, r.url);
                        write_body(&r.body)?;
                    }
                    Ok(())
                }
            }
        }
    }
}

fn serve(path: &std::path::Path, check: bool) -> Result<(), String> {
    let config = ats_gateway::GatewayConfig::from_file(path).map_err(|e| e.to_string())?;
    print!("{}", config.describe());
    if check {
        println!("configuration ok");
        return Ok(());
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // colours only on a terminal: a file, a pipe or a journal gets plain text
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async {
        let gateway = ats_gateway::Gateway::from_config(&config)
            .await
            .map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        println!("listening on http://{addr}");
        gateway
            .serve(listener, ats_server::shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
}

fn operation_in(adapter: &dyn AtsProvider, name: &str, direction: Direction) -> Result<(), String> {
    match adapter.operations().iter().find(|o| o.name == name) {
        Some(o) if o.direction == direction => Ok(()),
        Some(_) => Err(format!(
            "`{name}` is an outbound call of {}; `inspect` reads what the provider sends (try `ats render`)",
            adapter.name()
        )),
        None => Err(unknown_operation(adapter, name)),
    }
}

fn unknown_operation(adapter: &dyn AtsProvider, name: &str) -> String {
    let known: Vec<_> = adapter.operations().iter().map(|o| o.name).collect();
    format!(
        "`{name}` is not a {} operation; known: {}",
        adapter.name(),
        known.join(", ")
    )
}

fn read_input(file: Option<&PathBuf>) -> Result<Vec<u8>, String> {
    match file {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        }
        _ => {
            let stdin = std::io::stdin();
            if file.is_none() && stdin.is_terminal() {
                return Ok(Vec::new());
            }
            let mut buf = Vec::new();
            stdin
                .lock()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(buf)
        }
    }
}

/// The event as JSON, with `"tenant": null` right after `provider` when it
/// has no tenant (the model leaves the key out), so a reader sees that
/// something is missing.
/// An ignored event as printed: with the delivery's body as `raw` (the
/// core `Ignored` keeps only the reason), so what the delivery said shows.
fn with_raw(printed: &serde_json::Value, event: &InboundEvent, body: &[u8]) -> serde_json::Value {
    let mut printed = printed.clone();
    if let (InboundEvent::Ignored(_), serde_json::Value::Object(map)) = (event, &mut printed)
        && let Ok(raw) = serde_json::from_slice::<serde_json::Value>(body)
    {
        map.entry("raw").or_insert(raw);
    }
    printed
}

/// What a Lever delivery becomes when `stage` is a trigger stage, offline:
/// the order with ids only, or completed from the opportunity (and posting)
/// as Lever's API returns them.
fn lever_offline(
    operation: &str,
    body: &[u8],
    stage: &str,
    opportunity: Option<&std::path::Path>,
    posting: Option<&std::path::Path>,
) -> Result<InboundEvent, String> {
    use ats_lever::translate;
    let (stage, package) = stage
        .split_once('=')
        .unwrap_or((stage, "(package of the stage)"));
    let stages = std::collections::BTreeMap::from([(stage.to_owned(), package.to_owned())]);
    let mut event =
        translate::webhook_to_event(operation, body, Some(&stages)).map_err(|e| e.to_string())?;
    let Some(file) = opportunity else {
        return Ok(event);
    };
    let read = |path: &std::path::Path, what: &str| -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("--{what} {}: {e}", path.display()))
    };
    let opportunity: ats_lever::wire::Opportunity =
        data_or_bare(&read(file, "opportunity")?).map_err(|e| format!("--opportunity: {e}"))?;
    let posting: Option<ats_lever::wire::Posting> = match posting {
        Some(p) => Some(data_or_bare(&read(p, "posting")?).map_err(|e| format!("--posting: {e}"))?),
        None => None,
    };
    if let InboundEvent::OrderReceived(order) = &mut event {
        if let Some(blocker) = translate::order_blocker(&opportunity, stage) {
            return Ok(translate::ignored(operation, &blocker));
        }
        translate::enrich_order(order, &opportunity, posting.as_ref());
    }
    Ok(event)
}

/// `{"data": T}` as Lever's API answers, or `T` itself.
fn data_or_bare<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    #[derive(serde::Deserialize)]
    struct Data<T> {
        data: T,
    }
    decode_json::<Data<T>>(bytes)
        .map(|d| d.data)
        .or_else(|_| decode_json::<T>(bytes))
        .map_err(|e| e.to_string())
}

fn with_null_tenant(event: &InboundEvent) -> Result<serde_json::Value, String> {
    let value = serde_json::to_value(event).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(map) = value else {
        return Ok(value);
    };
    if event.tenant().is_some() || map.contains_key("tenant") {
        return Ok(serde_json::Value::Object(map));
    }
    let mut out = serde_json::Map::new();
    for (k, v) in map {
        let after_provider = k == "provider";
        out.insert(k, v);
        if after_provider {
            out.insert("tenant".to_owned(), serde_json::Value::Null);
        }
    }
    out.entry("tenant").or_insert(serde_json::Value::Null);
    Ok(serde_json::Value::Object(out))
}

/// What to say on standard error about a tenant the payload alone could not
/// give: the header or option that would supply it.
fn tenant_notes(adapter: &dyn AtsProvider, operation: &str, bare: &BareTranslation) -> Vec<String> {
    let name = adapter.name();
    let mut notes: Vec<String> = bare
        .unresolved
        .iter()
        .map(|u| match &u.from {
            TransportInput::Header(h) => format!(
                "{} is null: {name} sends it in the `{h}` header; add --header '{h}: <value>'",
                u.field
            ),
            TransportInput::Path(template) => format!(
                "{} is null: {name} sends it in the URL path `{template}`; add --path with that path",
                u.field
            ),
            other => format!("{} is null: {name} sends it outside the body ({other:?})", u.field),
        })
        .collect();
    let tenant_named = bare.unresolved.iter().any(|u| u.field == "tenant");
    if bare.event.tenant().is_none() && !tenant_named {
        match adapter.inbound_auth(operation) {
            InboundAuth::BasicApiKey | InboundAuth::BearerToken => notes.push(format!(
                "tenant is null: {name} identifies the customer by the key in the \
                 `Authorization` header, which inspect does not look up"
            )),
            _ => notes.push(format!("tenant is null: this {name} payload names none")),
        }
    }
    notes
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| e.to_string())
}

fn write_body(body: &[u8]) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(body).map_err(|e| e.to_string())?;
    if out.is_terminal() || !body.is_empty() {
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn providers(json: bool) -> Result<(), String> {
    let adapters = registry::adapters().map_err(|e| e.to_string())?;
    if json {
        let list: Vec<_> = adapters
            .iter()
            .map(|a| {
                serde_json::json!({
                    "name": a.name(),
                    "capabilities": a.capabilities(),
                    "operations": a.operations(),
                })
            })
            .collect();
        return print_json(&list);
    }
    let mut out = String::new();
    for a in &adapters {
        let c = a.capabilities();
        let auth = serde_json::to_value(c.inbound_auth).unwrap_or_default();
        out.push_str(&format!("{}\n", a.name()));
        out.push_str(&format!(
            "  inbound auth: {}   packages: {}   orders: {}   results: {}\n",
            auth["scheme"].as_str().unwrap_or("?"),
            enum_name(&c.packages),
            enum_name(&c.orders),
            enum_name(&c.results),
        ));
        out.push_str(&format!(
            "  reject with message: {}   cancellation: {}   status queries: {}   open orders: {}   oauth: {}\n",
            yes(c.reject_with_message),
            yes(c.cancellation),
            yes(c.status_queries),
            yes(c.open_orders),
            yes(c.oauth)
        ));
        for op in a.operations() {
            let dir = match op.direction {
                Direction::Inbound => "in ",
                Direction::Outbound => "out",
            };
            out.push_str(&format!("    {dir} {:<38} {}\n", op.name, op.summary));
        }
    }
    print!("{out}");
    Ok(())
}

fn enum_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
