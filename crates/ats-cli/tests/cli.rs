//! The `ats` binary, run as a user runs it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn ats(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ats"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ats");
    // ats may exit before reading its input (bad arguments): a broken pipe
    // here is expected, not a failure
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin);
    }
    child.wait_with_output().expect("wait for ats")
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/greenhouse")
        .join(name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Bad input: exit code 2 and exactly one line on stderr, no panic.
fn assert_refused(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "expected one line, got: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn inspect_prints_the_order_of_a_recorded_send_test() {
    let recorded: Value =
        serde_json::from_slice(&std::fs::read(fixture("send_test_accepted.json")).unwrap())
            .unwrap();
    let body = serde_json::to_vec(&recorded["request"]["body"]).unwrap();
    let o = ats(
        &[
            "inspect",
            "greenhouse",
            "send_test",
            "-",
            "--received-at",
            "2026-01-01T00:00:00Z",
        ],
        &body,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut event: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut want = recorded["expect"]["event"].clone();
    // the tenant comes from the credential, which inspect does not check
    want.as_object_mut().unwrap().remove("tenant");
    event.as_object_mut().unwrap().remove("tenant");
    assert_eq!(event, want);
    assert_eq!(
        event["candidate"]["emails"][0]["address"],
        "maya.lindqvist@example.com"
    );
}

#[test]
fn inspect_reads_a_file_argument() {
    let dir = std::env::temp_dir().join(format!("ats-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("body.json");
    std::fs::write(
        &path,
        br#"{"api_call":"list_tests","errors":["missing key: partner_test_name"]}"#,
    )
    .unwrap();
    let o = ats(
        &[
            "inspect",
            "greenhouse",
            "response_error",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(event["type"], "error_reported");
    assert_eq!(event["operation"], "list_tests");
    assert_eq!(event["errors"], json!(["missing key: partner_test_name"]));
}

#[test]
fn inspect_takes_query_input() {
    let o = ats(
        &[
            "inspect",
            "greenhouse",
            "test_status",
            "--query",
            "partner_interview_id=asm_1",
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(event["order"]["vendor_assessment_id"], "asm_1");
}

#[test]
fn inspect_refuses_bad_input_with_one_line_and_exit_2() {
    let cases: [(&[u8], &str); 6] = [
        (b"", "empty body"),
        (
            b"{\"partner_test_id\": \"1\", \"candidate\": {\"ema",
            "at `candidate`",
        ),
        (b"partner_test_id=1", "at `.`"),
        (b"[1, 2]", "expected a JSON object, found an array"),
        (
            b"{\"partner_test_id\": \"1\", \"candidate\": {}}",
            "at `candidate.email`",
        ),
        (
            b"{\"partner_test_id\": {}, \"candidate\": {}}",
            "at `partner_test_id`",
        ),
    ];
    for (body, needle) in cases {
        let o = ats(&["inspect", "greenhouse", "send_test", "-"], body);
        assert_refused(&o, needle);
    }
}

#[test]
fn inspect_refuses_what_a_service_refuses_on_arrival() {
    let send_test = |email: &str, url: &str| {
        json!({"partner_test_id": "1", "candidate": {"email": email}, "url": url})
            .to_string()
            .into_bytes()
    };
    let good = "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/555";
    let o = ats(
        &["inspect", "greenhouse", "send_test", "-"],
        &send_test("mira@example.com", good),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cases = [
        (
            send_test("mira\u{0}@example.com", good),
            "at `candidate.emails[0].address`: holds the control character U+0000",
        ),
        (
            send_test(
                "mira@example.com",
                "http://169.254.169.254/latest/meta-data",
            ),
            "refusing to call http://169.254.169.254/latest/meta-data: only https is allowed",
        ),
        (
            send_test("mira@example.com", "https://app.greenhouse.io:22/tests/555"),
            "refusing to call https://app.greenhouse.io:22/tests/555: its port is not allowed",
        ),
    ];
    for (body, needle) in cases {
        let o = ats(&["inspect", "greenhouse", "send_test", "-"], &body);
        assert_refused(&o, "refused on arrival, before the vendor is called: ");
        assert_refused(&o, needle);
    }
}

#[test]
fn unknown_provider_and_operation_are_refused() {
    assert_refused(
        &ats(&["inspect", "nope", "send_test", "-"], b"{}"),
        "unknown provider `nope`",
    );
    assert_refused(
        &ats(&["inspect", "greenhouse", "send_tests", "-"], b"{}"),
        "known: list_tests, send_test",
    );
    assert_refused(
        &ats(
            &["inspect", "greenhouse", "patch_completed_test", "-"],
            b"{}",
        ),
        "outbound",
    );
    assert_refused(
        &ats(&["render", "greenhouse", "nope", "-"], b"{}"),
        "not a greenhouse operation",
    );
}

#[test]
fn inspect_help_says_it_only_translates() {
    let o = ats(&["inspect", "--help"], b"");
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("checks no credential and no signature"),
        "{help}"
    );
}

#[test]
fn render_prints_the_documented_test_status_body() {
    let reply = json!({
        "type": "status", "status": "completed", "score": {"value": 81},
        "report_url": "http://example.com/tests/12345",
        "summary": "This candidate did extremely well!"
    });
    let o = ats(
        &["render", "greenhouse", "test_status", "-"],
        reply.to_string().as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "{\"partner_status\":\"complete\",\"partner_profile_url\":\"http://example.com/tests/12345\",\
\"partner_score\":81,\"metadata\":{\"Summary\":\"This candidate did extremely well!\"}}\n"
    );
    assert_eq!(stderr(&o).trim(), "HTTP 200 OK");
}

#[test]
fn render_refuses_a_reply_that_does_not_answer_the_operation() {
    let o = ats(
        &["render", "greenhouse", "test_status", "-"],
        br#"{"type": "accepted", "vendor_assessment_id": "a"}"#,
    );
    assert_refused(&o, "does not answer `test_status`");
    let o = ats(
        &["render", "greenhouse", "test_status", "-"],
        br#"{"type": "status"}"#,
    );
    assert_refused(&o, "missing field `status`");
}

#[test]
fn render_outbound_shows_method_and_url_without_credentials() {
    let call = json!({
        "call": "submit_result",
        "order": {"provider": "greenhouse", "tenant": "acme",
                  "callback_url": "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/8812345"},
        "result": {"status": "completed", "report_url": "https://vendor.example.com/r/1"}
    });
    let o = ats(
        &["render", "greenhouse", "patch_completed_test", "-"],
        call.to_string().as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        "PATCH https://app.greenhouse.io/integrations/testing_partners/take_home_tests/8812345"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn providers_lists_greenhouse_with_capabilities() {
    let o = ats(&["providers", "--json"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    let gh = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "greenhouse")
        .unwrap();
    assert_eq!(
        gh["capabilities"]["inbound_auth"]["scheme"],
        "basic_api_key"
    );
    assert_eq!(gh["capabilities"]["results"], "notify");
    let ops: Vec<&str> = gh["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        [
            "list_tests",
            "send_test",
            "test_status",
            "response_error",
            "patch_completed_test"
        ]
    );
    let text = ats(&["providers"], b"");
    assert!(String::from_utf8_lossy(&text.stdout).contains("greenhouse"));
}

#[test]
fn render_takes_the_request_for_answers_that_echo_it() {
    let dir = std::env::temp_dir().join(format!("ats-cli-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let request = dir.join("cancel.json");
    std::fs::write(&request, r#"{"assessment_id":"asm_7Q2K9"}"#).unwrap();
    let with = ats(
        &[
            "render",
            "ashby",
            "assessment.cancel",
            "--request",
            request.to_str().unwrap(),
        ],
        br#"{"type":"acknowledged"}"#,
    );
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    assert_eq!(
        String::from_utf8_lossy(&with.stdout).trim_end(),
        r#"{"success":true,"results":{"assessment_id":"asm_7Q2K9"}}"#
    );
    // without it, only what the reply alone says
    let without = ats(
        &["render", "ashby", "assessment.cancel"],
        br#"{"type":"acknowledged"}"#,
    );
    assert_eq!(
        String::from_utf8_lossy(&without.stdout).trim_end(),
        r#"{"success":true}"#
    );
    // a request the adapter cannot read is refused with its path
    std::fs::write(&request, "{}").unwrap();
    let bad = ats(
        &[
            "render",
            "ashby",
            "assessment.cancel",
            "--request",
            request.to_str().unwrap(),
        ],
        br#"{"type":"acknowledged"}"#,
    );
    assert_refused(&bad, "--request");
}

fn recorded(provider: &str, name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(provider)
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn inspect_translates_a_knit_body_without_its_integration_header() {
    let recorded = recorded("knit", "record_new_ashby.json");
    let body = serde_json::to_vec(&recorded["request"]["body"]).unwrap();
    let args = [
        "inspect",
        "knit",
        "record.new",
        "-",
        "--received-at",
        "2026-01-01T00:00:00Z",
    ];
    let o = ats(&args, &body);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "note: tenant is null: knit sends it in the `X-Knit-Integration-Id` header; \
         add --header 'X-Knit-Integration-Id: <value>'\n"
    );
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut want = recorded["expect"]["event"].clone();
    want["tenant"] = Value::Null;
    assert_eq!(event, want);
    // printed where a real tenant would be: right after the provider
    let keys: Vec<&String> = event.as_object().unwrap().keys().take(3).collect();
    assert_eq!(keys, ["type", "provider", "tenant"]);

    // with the header the tenant is there and nothing is said
    let mut with_header = args.to_vec();
    with_header.extend([
        "--header",
        "X-Knit-Integration-Id: int_8Hq2LmXc4VbN7sRt1KpZ0w",
    ]);
    let o = ats(&with_header, &body);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(event, recorded["expect"]["event"]);
}

#[test]
fn inspect_says_where_a_key_based_tenant_comes_from() {
    let recorded = recorded("greenhouse", "send_test_accepted.json");
    let body = serde_json::to_vec(&recorded["request"]["body"]).unwrap();
    let o = ats(&["inspect", "greenhouse", "send_test", "-"], &body);
    assert!(o.status.success(), "{}", stderr(&o));
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(event["tenant"], Value::Null);
    assert!(event.as_object().unwrap().contains_key("tenant"));
    assert_eq!(
        stderr(&o),
        "note: tenant is null: greenhouse identifies the customer by the key in the \
         `Authorization` header, which inspect does not look up\n"
    );
}

#[test]
fn inspect_takes_the_path_for_calls_whose_input_is_in_it() {
    let o = ats(
        &[
            "inspect",
            "workable",
            "shared_link",
            "--path",
            "/integrations/workable/assessments/asm_7Q2K9/shared-link",
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        event,
        json!({"type": "status_requested", "provider": "workable", "tenant": null,
               "order": {"vendor_assessment_id": "asm_7Q2K9"}})
    );
    // without it the path is the operation's name, which says nothing
    assert_refused(
        &ats(&["inspect", "workable", "shared_link"], b""),
        "at `path`",
    );
}

/// Lever's recorded stage change, and the opportunity and posting the
/// adapter read for it, as files.
fn lever_files() -> (Value, PathBuf, PathBuf, PathBuf) {
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures/lever/candidateStageChange_accepted.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("ats-cli-lever-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, v: &Value| {
        let p = dir.join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p
    };
    (
        recorded.clone(),
        write("delivery.json", &recorded["request"]["body"]),
        write(
            "opportunity.json",
            &recorded["exchanges"][0]["response"]["body"],
        ),
        write(
            "posting.json",
            &recorded["exchanges"][1]["response"]["body"],
        ),
    )
}

#[test]
fn inspect_shows_what_a_lever_delivery_says_and_the_order_it_would_become() {
    let (recorded, delivery, opportunity, posting) = lever_files();
    let delivery = delivery.to_str().unwrap();
    // without a connection: ignored, with the delivery's facts and its body
    let o = ats(&["inspect", "lever", "candidateStageChange", delivery], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(event["type"], "ignored");
    let reason = event["reason"].as_str().unwrap();
    for fact in [
        "opportunityId `6513270e-269e-4d37-b2a7-4de452e6b438`",
        "contactId `d23f0824-128b-4f33-8c5c-7fd0a6a3a450`",
        "toStageId `36f675cc-81e7-4ef5-a8e2-5d940ed90475`",
        "fromStageId `9531985d-5d9d-49f8-9818-e811892f902b`",
        "triggeredAt 2026-01-01T10:00:00.123Z",
    ] {
        assert!(reason.contains(fact), "{fact} not in {reason}");
    }
    assert_eq!(event["raw"], recorded["request"]["body"]);

    // with the stage as a trigger stage and the API's answers: the order
    // the adapter makes of it, as the recording expects (the tenant comes
    // from the webhook's path, which a file does not have)
    let stage = "36f675cc-81e7-4ef5-a8e2-5d940ed90475=rust-senior";
    let o = ats(
        &[
            "inspect",
            "lever",
            "candidateStageChange",
            delivery,
            "--trigger-stage",
            stage,
            "--opportunity",
            opportunity.to_str().unwrap(),
            "--posting",
            posting.to_str().unwrap(),
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(event["tenant"], Value::Null);
    event["tenant"] = json!("acme");
    assert_eq!(event, recorded["expect"]["event"]);

    // ids only, without the API's answers
    let o = ats(
        &[
            "inspect",
            "lever",
            "candidateStageChange",
            delivery,
            "--trigger-stage",
            stage,
        ],
        b"",
    );
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(event["type"], "order_received");
    assert_eq!(event["package_id"], "rust-senior");
    assert_eq!(event["candidate"]["first_name"], Value::Null);

    // another stage is not a trigger; the flag is Lever's only
    let o = ats(
        &[
            "inspect",
            "lever",
            "candidateStageChange",
            delivery,
            "--trigger-stage",
            "other-stage",
        ],
        b"",
    );
    let event: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(event["type"], "ignored");
    let o = ats(
        &[
            "inspect",
            "kombo",
            "assessment:order-received",
            delivery,
            "--trigger-stage",
            "x",
        ],
        b"",
    );
    assert_refused(&o, "--trigger-stage is for lever");
}
