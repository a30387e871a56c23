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
pub fn run(paths: &[PathBuf], provider: Option<&str>) -> Result<bool, String> {
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

fn folder_name(path: &Path) -> Option<String> {
    let path = if path.as_os_str().is_empty() {
        std::env::current_dir().ok()?
    } else {
        path.canonicalize().ok()?
    };
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}
