//! `ats demo` and `ats replay`, run as a user runs them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn ats(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ats"))
        .args(args)
        .output()
        .expect("the ats binary runs")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_recorded_demo_plays_every_provider_through_the_runtime() {
    let dir = std::env::temp_dir().join(format!("ats-demo-test-{}", std::process::id()));
    let out = ats(&[
        "demo",
        "--recorded",
        "--verbose",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("all 11 providers passed"), "{text}");
    // one row per provider: what each provider has, played and passed
    for (provider, cells) in [
        (
            "greenhouse",
            ["2 served ✓", "accepted ✓", "shown (404) ✓", "–"],
        ),
        (
            "ashby",
            ["2 served ✓", "accepted ✓", "shown (422) ✓", "cancelled ✓"],
        ),
        (
            "lever",
            ["–", "accepted ✓", "acknowledged (200) ✓", "cancelled ✓"],
        ),
        ("workable", ["4 served ✓", "accepted ✓", "–", "–"]),
        ("kombo", ["4 pushed ✓", "accepted ✓", "shown (422) ✓", "–"]),
        (
            "stackone",
            ["2 served ✓", "accepted ✓", "acknowledged (200) ✓", "–"],
        ),
        (
            "knit",
            ["–", "accepted ✓", "acknowledged (200) ✓", "cancelled ✓"],
        ),
        (
            "recruitee",
            ["3 served ✓", "accepted ✓", "shown (422) ✓", "–"],
        ),
        (
            "teamtailor",
            ["2 served ✓", "accepted ✓", "shown (422) ✓", "–"],
        ),
        (
            "smartrecruiters",
            ["2 served ✓", "accepted ✓", "shown (404) ✓", "–"],
        ),
        ("hibob", ["–", "accepted ✓", "–", "cancelled ✓"]),
    ] {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("{provider} ")))
            .unwrap_or_else(|| panic!("no {provider} row in {text}"));
        let columns: Vec<&str> = row
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(columns[1..5], cells, "{row}");
        assert_eq!(columns[5], "delivered ✓", "{row}");
    }
    // the transcript: each provider's result write reached the stand-in
    for (provider, write) in [
        (
            "greenhouse",
            "PATCH /integrations/testing_partners/take_home_tests/8812345",
        ),
        ("ashby", "POST /assessment.update"),
        (
            "lever",
            "POST /v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438/notes",
        ),
        ("workable", "PUT /assessments/callbacks/5512093"),
        (
            "kombo",
            "PUT /assessment/orders/Hx4pLq9TzW2mRv7cYb3nKs6D/result",
        ),
        (
            "stackone",
            "PATCH /unified/ats/assessments/orders/asr_5Hc8Wd3Ne1/result",
        ),
        ("knit", "POST /passthrough"),
        ("recruitee", "PATCH /api/p/acme-assess/reports/"),
        (
            "teamtailor",
            "PUT /partner/v1/partner-results/7c2f0d4e-5b1a-4e8f-9a63-2d5e8b1c4f70",
        ),
        (
            "smartrecruiters",
            "PATCH /assessment-api/v202010/orders/8c1d5e2a-41f7-4b9e-a3d2-6f0e9b7c5a14/results",
        ),
        ("hibob", "PATCH /v1/hiring/assessments/41872"),
    ] {
        let section = text
            .split("\n\n")
            .find(|s| s.starts_with(provider))
            .unwrap_or_else(|| panic!("no {provider} transcript in {text}"));
        assert!(
            section.contains("vendor: order") || section.contains("vendor: "),
            "{section}"
        );
        assert!(section.contains(write), "{section}");
        // and the store holds what happened: the calls in, then the delivery
        let log = ats(&[
            "log",
            "--database",
            &format!("sqlite://{}/{provider}.db", dir.display()),
            "--json",
        ]);
        let rows: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
        let rows = rows.as_array().unwrap();
        assert!(rows.len() >= 2, "{provider}: {rows:?}");
        assert_eq!(rows[0]["direction"], "outbound", "{provider}: {rows:?}");
        assert!(rows.iter().all(|r| r["ok"] == true), "{provider}: {rows:?}");
        assert!(
            rows[1..].iter().all(|r| r["direction"] == "inbound"),
            "{provider}: {rows:?}"
        );
    }
}

#[test]
fn the_recorded_demo_fails_when_a_provider_differs_from_its_recording() {
    // a copy of the recordings in which Kombo's result write was recorded
    // with another status: the service's write no longer matches
    let copy = std::env::temp_dir().join(format!("ats-demo-fixtures-{}", std::process::id()));
    let kombo = copy.join("kombo");
    std::fs::create_dir_all(&kombo).unwrap();
    for entry in std::fs::read_dir(fixtures().join("kombo")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, kombo.join(path.file_name().unwrap())).unwrap();
    }
    let file = kombo.join("update_order_result_completed.json");
    let mut fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    fixture["exchanges"][0]["request"]["body"]["status"] = "CANCELLED".into();
    std::fs::write(&file, fixture.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ats"))
        .args(["demo", "--recorded", "kombo"])
        .env("ATS_FIXTURES_DIR", &copy)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let row = text.lines().find(|l| l.starts_with("kombo ")).unwrap();
    assert!(row.contains("accepted ✓") && row.contains('✗'), "{row}");
    assert!(
        text.contains("result: the write differs from the recording"),
        "{text}"
    );
    assert!(text.contains("1 of 1 providers failed: kombo"), "{text}");

    // a provider the workspace does not have is bad input
    let out = ats(&["demo", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown provider `nope`"));
}

#[test]
fn replay_reports_each_fixture_and_fails_on_a_difference() {
    let dir = fixtures().join("kombo");
    let count = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    let out = ats(&["replay", dir.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("{count} fixtures: {count} passed, 0 failed")),
        "{text}"
    );
    assert!(text.contains("order_received_accepted.json"), "{text}");

    // a recording whose expected answer differs: that fixture fails, naming
    // the first field that differs, and the command exits 1
    let mut fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("update_order_result_completed.json")).unwrap(),
    )
    .unwrap();
    fixture["exchanges"][0]["request"]["body"]["status"] = "CANCELLED".into();
    let tmp = std::env::temp_dir().join(format!("ats-replay-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let file = tmp.join("update_order_result_changed.json");
    std::fs::write(&file, fixture.to_string()).unwrap();
    let out = ats(&["replay", "--provider", "kombo", file.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("update_order_result_changed.json"), "{text}");
    assert!(text.contains("FAILED"), "{text}");
    assert!(
        text.contains(r#"first difference at /status: "COMPLETED", expected "CANCELLED""#),
        "{text}"
    );
    assert!(
        text.contains("CANCELLED") && text.contains("COMPLETED"),
        "{text}"
    );
    assert!(text.contains("1 fixtures: 0 passed, 1 failed"), "{text}");

    // an unknown provider is bad input (exit 2)
    let out = ats(&["replay", "--provider", "nope", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn new_adapter_writes_a_renamed_copy_and_a_provider_page() {
    // a workspace root with the adapter to copy
    let root = std::env::temp_dir().join(format!("ats-scaffold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("crates")).unwrap();
    std::fs::create_dir_all(root.join("docs/providers")).unwrap();
    std::fs::write(root.join("Cargo.toml"), "[workspace]\n").unwrap();
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        let status = Command::new("cp")
            .arg("-r")
            .arg(from)
            .arg(to)
            .status()
            .unwrap();
        assert!(status.success());
    };
    let source = fixtures().join("..");
    copy(
        &source.join("crates/ats-greenhouse"),
        &root.join("crates/ats-greenhouse"),
    );
    copy(&source.join("fixtures"), &root.join("fixtures"));
    let out = ats(&["new-adapter", "pinpoint", "--root", root.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ats_pinpoint::registration(),"), "{text}");
    // every file renamed through and through
    let krate = root.join("crates/ats-pinpoint");
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "src/provider.rs",
        "tests/conformance.rs",
    ] {
        let body = std::fs::read_to_string(krate.join(file)).unwrap();
        assert!(
            !body.to_lowercase().contains("greenhouse"),
            "{file}: {body}"
        );
    }
    let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"ats-pinpoint\""), "{manifest}");
    let lib = std::fs::read_to_string(krate.join("src/lib.rs")).unwrap();
    assert!(lib.contains("pub use crate::provider::Pinpoint;"), "{lib}");
    let fixture =
        std::fs::read_to_string(root.join("fixtures/pinpoint/send_test_accepted.json")).unwrap();
    assert!(fixture.contains("\"provider\": \"pinpoint\""), "{fixture}");
    let page = std::fs::read_to_string(root.join("docs/providers/pinpoint.md")).unwrap();
    for heading in [
        "## 0. Sources and how much to trust them",
        "## 2. Authentication (both ways)",
        "## 6. Corrections to earlier assumptions",
        "## 7. What `ats-pinpoint` does",
    ] {
        assert!(page.contains(heading), "{heading} not in {page}");
    }
    // nothing is overwritten; names are checked
    let again = ats(&["new-adapter", "pinpoint", "--root", root.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let bad = ats(&[
        "new-adapter",
        "Team-Tailor",
        "--root",
        root.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_against_a_running_service_compares_its_answers() {
    use std::sync::Arc;
    // a service configured as Greenhouse's recordings were, whose vendor
    // lists the recorded packages
    let recorded: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("greenhouse/list_tests_ok.json")).unwrap(),
    )
    .unwrap();
    let reply: ats_core::VendorReply = serde_json::from_value(recorded["reply"].clone()).unwrap();
    let adapter: Arc<dyn ats_core::AtsProvider> =
        Arc::from((ats_greenhouse::registration().recorded)("http://127.0.0.1:1").unwrap());
    let runtime = ats_server::Runtime::builder()
        .with_store(ats_store::Store::in_memory().await.unwrap())
        .with_vendor(ats_testkit::ScriptedVendor::new(reply))
        .with_shared_adapter(adapter)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, ats_server::router(runtime)).await });

    let folder = fixtures().join("greenhouse");
    let (ok, wrong) = (
        folder.join("list_tests_ok.json"),
        folder.join("send_test_accepted.json"),
    );
    let run = |files: Vec<PathBuf>| {
        let target = target.clone();
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["replay".to_owned(), "--target".to_owned(), target];
            args.extend(files.iter().map(|f| f.to_str().unwrap().to_owned()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ats(&args)
        })
    };
    // the packages call and the refused key are answered as recorded
    let out = run(vec![ok.clone(), folder.join("list_tests_unknown_key.json")])
        .await
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2 fixtures: 2 passed, 0 failed"), "{text}");
    // this vendor does not accept orders: the answer differs, exit 1
    let out = run(vec![wrong]).await.unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("send_test_accepted.json"), "{text}");
    assert!(text.contains("FAILED  status 500, expected 200"), "{text}");
}

#[test]
fn simulate_connect_refuses_a_provider_without_oauth_and_wants_the_gateway_api() {
    // Kombo has no OAuth consent to play: bad input, exit 2, nothing sent
    let out = ats(&[
        "simulate",
        "kombo",
        "--target",
        "http://127.0.0.1:9/kombo/webhooks",
        "--secret",
        "s",
        "--connect",
        "acme",
        "--api",
        "http://127.0.0.1:9",
        "--api-key",
        "k",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--connect: kombo does not connect through OAuth"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --connect needs the gateway's URL and REST API key
    let out = ats(&[
        "simulate",
        "lever",
        "--target",
        "http://127.0.0.1:9/lever/acme/webhook",
        "--secret",
        "s",
        "--connect",
        "acme",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--api <API>") && err.contains("--api-key <API_KEY>"),
        "{err}"
    );
    // scenarios the provider has no recording of are bad input, nothing sent
    for (args, says) in [
        (
            &["lever", "--secret", "s", "--packages"][..],
            "--packages: lever has no package list",
        ),
        (
            &["workable", "--key", "k", "--cancel"][..],
            "--cancel: workable sends no cancellation",
        ),
        (
            &["hibob", "--secret", "s", "--reject"][..],
            "--reject: no recorded rejection for hibob",
        ),
    ] {
        let mut all = vec!["simulate", args[0], "--target", "http://127.0.0.1:9/x"];
        all.extend(&args[1..]);
        let out = ats(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// Each provider's orders in the demo's gateway database: their statuses,
/// sorted, and the vendor's ids of the cancelled ones.
async fn orders_in(dir: &std::path::Path, provider: &str) -> (Vec<String>, Vec<String>) {
    let key = std::fs::read_to_string(dir.join("secrets/encryption_key")).unwrap();
    let store = ats_store::Store::connect(
        &format!("sqlite://{}", dir.join("gateway.db").display()),
        ats_store::KeyRing::parse(key.trim()).unwrap(),
    )
    .await
    .unwrap();
    let orders = store
        .orders(&ats_store::OrderFilter {
            provider: Some(provider.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
    store.close().await;
    let mut statuses: Vec<String> = orders.iter().map(|o| o.status.clone()).collect();
    statuses.sort();
    let cancelled = orders
        .iter()
        .filter(|o| o.status == "cancelled")
        .filter_map(|o| o.handle.vendor_assessment_id.clone())
        .collect();
    (statuses, cancelled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_plays_every_provider_against_the_gateway_and_its_vendor() {
    let dir = std::env::temp_dir().join(format!("ats-demo-gateway-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let at = dir.to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || ats(&["demo", "--verbose", "--dir", &at]))
        .await
        .unwrap();
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("all 11 providers passed"), "{text}");
    // one row per provider: packages, order, rejection, cancellation, result;
    // and the orders the gateway's database holds afterwards
    for (provider, cells, statuses) in [
        (
            "greenhouse",
            ["2 listed ✓", "accepted ✓", "shown (404) ✓", "–"],
            &["completed"][..],
        ),
        (
            "ashby",
            ["2 listed ✓", "accepted ✓", "shown (422) ✓", "cancelled ✓"],
            &["cancelled", "completed"],
        ),
        // Lever's orders name no package (the connection's stage does): the
        // rejected order comes from a second customer whose stage orders
        // one the vendor does not sell
        (
            "lever",
            ["–", "accepted ✓", "acknowledged (200) ✓", "cancelled ✓"],
            &["cancelled", "cancelled", "completed"],
        ),
        (
            "workable",
            ["2 listed ✓", "accepted ✓", "–", "–"],
            &["completed"],
        ),
        (
            "kombo",
            ["4 pushed ✓", "accepted ✓", "shown (422) ✓", "–"],
            &["completed"],
        ),
        // a rejection acknowledged to the provider: the order is cancelled,
        // with a page that says why
        (
            "stackone",
            ["2 listed ✓", "accepted ✓", "acknowledged (200) ✓", "–"],
            &["cancelled", "completed"],
        ),
        (
            "knit",
            ["–", "accepted ✓", "acknowledged (200) ✓", "cancelled ✓"],
            &["cancelled", "cancelled", "completed"],
        ),
        (
            "recruitee",
            ["2 listed ✓", "accepted ✓", "shown (422) ✓", "–"],
            &["completed"],
        ),
        (
            "teamtailor",
            ["2 listed ✓", "accepted ✓", "shown (422) ✓", "–"],
            &["completed"],
        ),
        (
            "smartrecruiters",
            ["2 listed ✓", "accepted ✓", "shown (404) ✓", "–"],
            &["completed"],
        ),
        (
            "hibob",
            ["–", "accepted ✓", "–", "cancelled ✓"],
            &["cancelled", "completed"],
        ),
    ] {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("{provider} ")))
            .unwrap_or_else(|| panic!("no {provider} row in {text}"));
        let columns: Vec<&str> = row
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(columns[1..5], cells, "{row}");
        assert_eq!(columns[5], "delivered ✓", "{row}");
        assert!(columns[6].ends_with(" s"), "the round trip: {row}");
        let (got, cancelled) = orders_in(&dir, provider).await;
        assert_eq!(got, statuses, "{provider}'s orders");
        // the vendor was told of each provider cancellation by its own id
        // (the gateway adds it to events that name only the provider's)
        let section = text
            .split("\n\n")
            .find(|s| s.starts_with(&format!("{provider}\n")))
            .unwrap_or_else(|| panic!("no {provider} transcript in {text}"));
        if cells[3] == "cancelled ✓" {
            assert!(
                cancelled.iter().any(|id| section.contains(&format!(
                    "vendor: order {id} cancelled: no result will follow"
                ))),
                "{provider}: {cancelled:?} in {section}"
            );
        }
    }
    // each provider's result write reached the simulated provider where the
    // real one receives it, in a shape its recordings know
    for (provider, write) in [
        (
            "greenhouse",
            "← PATCH /integrations/testing_partners/take_home_tests/8812345",
        ),
        ("ashby", "← POST /assessment.update"),
        (
            "lever",
            "← POST /v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438/notes",
        ),
        ("workable", "← PUT /assessments/callbacks/5512093"),
        (
            "kombo",
            "← PUT /assessment/orders/Hx4pLq9TzW2mRv7cYb3nKs6D/result",
        ),
        (
            "stackone",
            "← PATCH /unified/ats/assessments/orders/asr_5Hc8Wd3Ne1/result",
        ),
        ("knit", "← POST /passthrough"),
        ("recruitee", "← PATCH /api/p/acme-assess/reports/"),
        (
            "teamtailor",
            "← PUT /partner/v1/partner-results/7c2f0d4e-5b1a-4e8f-9a63-2d5e8b1c4f70",
        ),
        (
            "smartrecruiters",
            "← PATCH /assessment-api/v202010/orders/8c1d5e2a-41f7-4b9e-a3d2-6f0e9b7c5a14/results",
        ),
        ("hibob", "← PATCH /v1/hiring/assessments/41872"),
    ] {
        let section = text
            .split("\n\n")
            .find(|s| s.starts_with(&format!("{provider}\n")))
            .unwrap();
        assert!(section.contains(write), "{section}");
        assert!(!section.contains('✗'), "{section}");
        // and its bytes are the adapter's own for the result reported
        assert!(
            section.contains("for the result the vendor reported, byte for byte"),
            "{section}"
        );
        if provider == "greenhouse" {
            // then Greenhouse asks for the status: the reported result's
            assert!(
                section.contains("/greenhouse/test_status?partner_interview_id=demo-"),
                "{section}"
            );
            assert!(
                section.contains("✓ greenhouse sees the order `complete`, as recorded"),
                "{section}"
            );
        }
    }
    // the configuration names its secrets by file only; the files, and
    // their folder, are the owner's alone
    let config = std::fs::read_to_string(dir.join("ats.toml")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("secrets"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    for name in [
        "encryption_key",
        "vendor_signing_secret",
        "api_key",
        "provider_secret",
    ] {
        let path = dir.join("secrets").join(name);
        let value = std::fs::read_to_string(&path).unwrap();
        assert!(!config.contains(value.trim()), "{name} written in {config}");
        assert!(
            config.contains(&format!("file:{}", path.display())),
            "{config}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
    // the activity log, read as a vendor reads it: every provider's calls
    // in and its result out
    let log = ats(&[
        "log",
        "--database",
        &format!("sqlite://{}", dir.join("gateway.db").display()),
        "--json",
        "--limit",
        "1000",
    ]);
    assert!(
        log.status.success(),
        "{}",
        String::from_utf8_lossy(&log.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
    for provider in ["greenhouse", "ashby", "lever", "kombo", "hibob"] {
        for direction in ["inbound", "outbound"] {
            assert!(
                rows.as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["provider"] == provider
                        && r["direction"] == direction
                        && r["ok"] == true),
                "no {direction} row for {provider}: {rows}"
            );
        }
    }
}

#[test]
fn the_demo_fails_when_a_providers_write_is_not_of_its_shape() {
    // a copy of the recordings in which Kombo never writes `max_score`: the
    // gateway's result write now has a field Kombo's recordings do not know
    let copy = std::env::temp_dir().join(format!("ats-demo-shape-{}", std::process::id()));
    let kombo = copy.join("kombo");
    std::fs::create_dir_all(&kombo).unwrap();
    for entry in std::fs::read_dir(fixtures().join("kombo")).unwrap() {
        let path = entry.unwrap().path();
        let mut fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if let Some(exchanges) = fixture
            .get_mut("exchanges")
            .and_then(serde_json::Value::as_array_mut)
        {
            for ex in exchanges {
                if let Some(body) = ex
                    .pointer_mut("/request/body")
                    .and_then(serde_json::Value::as_object_mut)
                {
                    body.remove("max_score");
                }
            }
        }
        std::fs::write(kombo.join(path.file_name().unwrap()), fixture.to_string()).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ats"))
        .args(["demo", "kombo"])
        .env("ATS_FIXTURES_DIR", &copy)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let row = text.lines().find(|l| l.starts_with("kombo ")).unwrap();
    assert!(row.contains("4 pushed ✓") && row.contains('✗'), "{row}");
    assert!(
        text.contains("✗ fields kombo's recordings do not know: max_score"),
        "{text}"
    );
    assert!(
        text.contains("✗ an order, and its result: see the transcript"),
        "{text}"
    );
    assert!(text.contains("1 of 1 providers failed: kombo"), "{text}");

    // a folder that cannot be made is bad input (exit 2), before anything runs
    let file = copy.join("kombo/order_received_accepted.json");
    let out = ats(&["demo", "--dir", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("order_received_accepted.json"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}
