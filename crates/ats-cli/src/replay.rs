//! `ats replay`: recorded exchanges through the adapters, offline, fixture
//! by fixture. Each adapter is configured as its fixtures were recorded
//! (`<adapter crate>::recorded`); outbound calls go to an in-process
//! stand-in of the provider that answers as recorded and checks every
//! request byte for byte.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ats_testkit::conformance::Suite;
use ats_testkit::fixture::{FixtureFile, read_dir};

use crate::registry;

/// Replays `paths` (fixture files or folders); the provider is `provider`,
/// or else the name of the folder the fixtures are in. Prints one line per
/// fixture; `Ok(false)` when any failed.
pub fn run(
    paths: &[PathBuf],
    provider: Option<&str>,
    target: Option<&str>,
) -> Result<bool, String> {
    let mut groups: BTreeMap<String, Vec<FixtureFile>> = BTreeMap::new();
    for path in paths {
        let (name, files) = if path.is_dir() {
            let files = read_dir(path).map_err(|e| e.to_string())?;
            (folder_name(path), files)
        } else {
            let file = FixtureFile::read(path).map_err(|e| e.to_string())?;
            (
                folder_name(path.parent().unwrap_or(Path::new(""))),
                vec![file],
            )
        };
        let name = match (provider, name) {
            (Some(p), _) => p.to_owned(),
            (None, Some(n)) => n,
            (None, None) => {
                return Err(format!(
                    "{}: which provider? (name it with --provider)",
                    path.display()
                ));
            }
        };
        groups.entry(name).or_default().extend(files);
    }
    if groups.values().all(Vec::is_empty) {
        return Err("no fixture files given".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0, 0);
    if let Some(target) = target {
        let (passed, failed) = runtime.block_on(against(target, &groups, &mut out))?;
        writeln!(
            out,
            "\n{} fixtures: {passed} passed, {failed} failed",
            passed + failed
        )
        .map_err(|e| e.to_string())?;
        return Ok(failed == 0);
    }
    for (name, files) in &groups {
        let registration = registry::registration(name)?;
        let suite = Suite::new(
            ats_testkit::fixtures_dir().join(name),
            registration.recorded,
        )
        .secrets(registration.recorded_secrets.iter().copied());
        let report = runtime.block_on(suite.run_files(files));
        for file in files {
            let label = file.to_string();
            let checks: Vec<_> = report
                .checks
                .iter()
                .filter(|c| c.fixture.as_deref() == Some(label.as_str()))
                .collect();
            let first_failure = checks.iter().find_map(|c| {
                c.outcome
                    .as_ref()
                    .err()
                    .map(|why| format!("{}: {why}", c.name))
            });
            let line = match (&first_failure, checks.len()) {
                (None, 0) => {
                    failed += 1;
                    "FAILED  nothing could be checked".to_owned()
                }
                (None, n) => {
                    passed += 1;
                    format!("ok      {n} checks")
                }
                (Some(why), _) => {
                    failed += 1;
                    format!("FAILED  {}", why.replace('\n', "\n        "))
                }
            };
            writeln!(out, "{name:<11} {label:<52} {line}").map_err(|e| e.to_string())?;
        }
        // a failure that belongs to no fixture (the adapter did not build)
        for c in report.checks.iter().filter(|c| c.fixture.is_none()) {
            if let Err(why) = &c.outcome {
                failed += 1;
                writeln!(out, "{name:<11} FAILED  {}: {why}", c.name).map_err(|e| e.to_string())?;
            }
        }
    }
    writeln!(
        out,
        "\n{} fixtures: {passed} passed, {failed} failed",
        passed + failed
    )
    .map_err(|e| e.to_string())?;
    Ok(failed == 0)
}

/// Sends each inbound fixture's request to a running service at `target`
/// (its path and query appended, its headers and body as recorded) and
/// compares the answer with the recorded one. The service must be
/// configured as the recordings were (`<adapter crate>::recorded`: keys,
/// secrets; signatures and timestamps are not renewed). Outbound fixtures
/// are skipped: they are the service's writes, not calls to it.
async fn against(
    target: &str,
    groups: &BTreeMap<String, Vec<FixtureFile>>,
    out: &mut impl Write,
) -> Result<(usize, usize), String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let (mut passed, mut failed) = (0, 0);
    for (name, files) in groups {
        for file in files {
            let label = file.to_string();
            let fixture = file.parse("http://127.0.0.1").map_err(|e| e.to_string())?;
            let (Some(request), Some(want)) = (&fixture.request, &fixture.response) else {
                writeln!(
                    out,
                    "{name:<11} {label:<52} skipped (not a call to the service)"
                )
                .map_err(|e| e.to_string())?;
                continue;
            };
            let mut url = format!("{}{}", target.trim_end_matches('/'), request.path);
            if let Some(q) = &request.query {
                url = format!("{url}?{q}");
            }
            let method = request
                .method
                .parse::<reqwest::Method>()
                .map_err(|e| e.to_string())?;
            let mut send = client
                .request(method, &url)
                .body(request.body_bytes()?.to_vec());
            for (k, v) in &request.headers {
                send = send.header(k.as_str(), v.as_str());
            }
            let outcome = match send.send().await {
                Ok(answer) => {
                    let status = answer.status();
                    let headers = answer.headers().clone();
                    let body = answer.bytes().await.unwrap_or_default();
                    let got = ats_core::InboundResponse {
                        status,
                        headers,
                        body,
                    };
                    want.check(&got)
                }
                Err(e) => Err(format!("{url}: {e}")),
            };
            let line = match outcome {
                Ok(()) => {
                    passed += 1;
                    "ok      answered as recorded".to_owned()
                }
                Err(why) => {
                    failed += 1;
                    format!("FAILED  {}", why.replace('\n', "\n        "))
                }
            };
            writeln!(out, "{name:<11} {label:<52} {line}").map_err(|e| e.to_string())?;
        }
    }
    Ok((passed, failed))
}

fn folder_name(path: &Path) -> Option<String> {
    let path = if path.as_os_str().is_empty() {
        std::env::current_dir().ok()?
    } else {
        path.canonicalize().ok()?
    };
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}
