//! Pure translation between Workable's wire structs and the core model: no
//! I/O, no clock, no credentials.
//!
//! ## Status mapping
//!
//! Workable's callback knows four `status` values: `pending`, `completed`,
//! `rejected` and `expired`. One older implementation sent `complete`
//! before switching to `completed`; it is read as `completed`.
//!
//! | core [`AssessmentStatus`] | → `status` sent to Workable | body |
//! |---|---|---|
//! | `invited` | `pending` | `status` only |
//! | `in_progress` | `pending` | `status` only |
//! | `completed` | `completed` | `status`, `results_url` (required), `assessment`, `attachments` |
//! | `cancelled` | `rejected` | `status` only |
//! | `expired` | `expired` | `status` only |
//! | `error` | `rejected` | `status` only |
//!
//! | Workable `status` | → core [`AssessmentStatus`] ([`core_status`]) |
//! |---|---|
//! | `pending` | `invited` (Workable does not tell "invited" from "started") |
//! | `completed`, `complete` | `completed` |
//! | `rejected` | `cancelled` |
//! | `expired` | `expired` |
//! | anything else | none (the value is kept as text in [`AssessmentCallback`]) |
//!
//! ## Results
//!
//! `assessment.score` is a string. When the core score has a maximum other
//! than 100 the percentage is sent (Workable has no field for a maximum) and
//! the raw `value / max` goes into `details` under `Score`. Numbers are
//! rounded to two decimals and written without a fraction when whole.
//! `assessment.grade` is `failed` / `passed` / `excelled`: taken from the
//! core `grade` when it is one of those words, else derived from `passed`
//! (`true` → `passed`, `false` → `failed`); a free-text grade goes into
//! `details` under `Grade`. `details` also holds every section (label →
//! score, pass/fail or summary) and attribute (label → value), in order. A
//! section's score out of a maximum other than 100 is the text `40 / 50`
//! (the raw score, not a percentage); out of 100 or without a maximum, a
//! number.
//! `duration` is `HH:MM:SS` between `started_at` and `completed_at`.
//! Attachments given by URL become `{description, url}`; inline (base64)
//! attachments have no Workable form and are left out.

use ats_core::codec::{check_result_items, json_number, non_blank};
use ats_core::codec::{decode_json_with_raw, required, required_string, trimmed};
use ats_core::{
    AssessmentOrder, AssessmentResult, AssessmentStatus, AttachmentSource, AttributeValue,
    Candidate, Email, Error, Job, OrderRef, Package, PackagesRequest, Phone, RawJson, Score,
    StatusQuery, UrlPolicy,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use url::Url;

use crate::wire::{
    AssessmentCallback, AssessmentResults, CallbackAttachment, CreateAssessmentRequest, Test,
    TestId, TestsResponse,
};

/// The adapter's name.
pub const PROVIDER: &str = "workable";

/// Callback status: invited or started, no results yet.
pub const PENDING: &str = "pending";
/// Callback status: results are available.
pub const COMPLETED: &str = "completed";
/// Callback status: the vendor could not or would not run the assessment.
pub const REJECTED: &str = "rejected";
/// Callback status: the candidate did not finish in time.
pub const EXPIRED: &str = "expired";

/// The grades Workable shows as "no", "yes" and "definitely yes".
pub const GRADES: [&str; 3] = ["failed", "passed", "excelled"];

/// The largest integer written as a JSON number in `GET /tests` (2^53 − 1,
/// the largest integer every JSON reader holds exactly).
pub const MAX_NUMERIC_TEST_ID: u64 = 9_007_199_254_740_991;

/// How package ids are written as `tests[].id`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TestIdFormat {
    /// As a JSON number when the id is a canonical non-negative integer
    /// (`"12"`, not `"012"`) no larger than [`MAX_NUMERIC_TEST_ID`], like
    /// Workable's own example; as a JSON string otherwise. Workable sends the
    /// id back as `test_id`, which is read from a number or a string, so the
    /// package id survives the round trip either way.
    #[default]
    NumericWhenPossible,
    /// Always as a JSON string.
    String,
}

/// `GET /tests` carries no payload: it is a request for the tenant's packages.
pub fn packages_request() -> PackagesRequest {
    PackagesRequest {
        provider: PROVIDER.to_owned(),
        tenant: None,
    }
}

/// Translates a `POST /assessments` body into an order.
///
/// Required: `test_id`, `callback_url` (an absolute URL allowed by
/// `callback_policy`, since results can go nowhere else) and
/// `candidate.email`. Everything else is optional and unknown fields are
/// ignored (they stay in `raw`). `job_shortcode` becomes the job id,
/// `job_title` its name; `job_id`, when sent, is kept in `extras`.
pub fn create_assessment_to_order(
    body: &[u8],
    received_at: DateTime<Utc>,
    callback_policy: &UrlPolicy,
) -> Result<AssessmentOrder, Error> {
    let (req, raw): (CreateAssessmentRequest, RawJson) = decode_json_with_raw(body)?;
    let package_id = required_string(req.test_id, "test_id")?;
    let callback = required(req.callback_url.as_deref(), "callback_url")?;
    let callback_url = Url::parse(callback.trim())
        .map_err(|e| Error::malformed("callback_url", format!("not an absolute URL: {e}")))?;
    let candidate = req.candidate.ok_or_else(|| Error::missing("candidate"))?;
    let email = trimmed(required_string(candidate.email, "candidate.email")?);
    if !looks_like_email(&email) {
        return Err(Error::malformed("candidate.email", "not an e-mail address"));
    }
    callback_policy.check(&callback_url)?;
    let job = match (non_blank(req.job_shortcode), non_blank(req.job_title)) {
        (None, None) => None,
        (id, name) => Some(Job {
            id,
            name,
            ..Job::default()
        }),
    };
    let mut extras = Map::new();
    if let Some(job_id) = non_blank(req.job_id) {
        extras.insert("job_id".to_owned(), Value::String(job_id));
    }
    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant: None,
        provider_order_id: None,
        package_id,
        package: None,
        candidate: Candidate {
            first_name: non_blank(candidate.first_name),
            last_name: non_blank(candidate.last_name),
            emails: vec![Email {
                address: email,
                kind: None,
            }],
            phones: non_blank(candidate.phone)
                .map(|number| Phone { number, kind: None })
                .into_iter()
                .collect(),
            resume_url: non_blank(candidate.resume_url),
            ..Candidate::default()
        },
        application: None,
        job,
        requested_by: None,
        callback_url: Some(callback_url),
        received_at,
        context: Map::new(),
        extras,
        raw,
    })
}

/// Renders packages as the `GET /tests` response.
pub fn tests_response(packages: &[Package], format: TestIdFormat) -> TestsResponse {
    TestsResponse {
        tests: packages
            .iter()
            .map(|p| Test {
                id: test_id(&p.id, format),
                name: p.name.clone(),
            })
            .collect(),
    }
}

/// A package id as `tests[].id` (see [`TestIdFormat`]).
pub fn test_id(id: &str, format: TestIdFormat) -> TestId {
    let canonical = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    match (format, canonical.then(|| id.parse::<u64>().ok()).flatten()) {
        (TestIdFormat::NumericWhenPossible, Some(n)) if n <= MAX_NUMERIC_TEST_ID => {
            TestId::Number(n)
        }
        _ => TestId::Text(id.to_owned()),
    }
}

/// The callback `status` for a core status (see the module docs).
pub fn workable_status(status: AssessmentStatus) -> &'static str {
    match status {
        AssessmentStatus::Invited | AssessmentStatus::InProgress => PENDING,
        AssessmentStatus::Completed => COMPLETED,
        AssessmentStatus::Cancelled | AssessmentStatus::Error => REJECTED,
        AssessmentStatus::Expired => EXPIRED,
    }
}

/// The core status for a callback `status` (see the module docs); `None`
/// for a value this crate does not know. Case and surrounding blanks are
/// ignored.
pub fn core_status(status: &str) -> Option<AssessmentStatus> {
    match status.trim().to_ascii_lowercase().as_str() {
        PENDING => Some(AssessmentStatus::Invited),
        COMPLETED | "complete" => Some(AssessmentStatus::Completed),
        REJECTED => Some(AssessmentStatus::Cancelled),
        EXPIRED => Some(AssessmentStatus::Expired),
        _ => None,
    }
}

/// Renders a status change or result as the body of `PUT {callback_url}`.
///
/// A completed result without a report URL is refused ([`Error::Config`]):
/// `results_url` is required with `completed`, and the vendor should learn
/// that before anything is sent.
pub fn callback_body(result: &AssessmentResult) -> Result<AssessmentCallback, Error> {
    check_result_items(result)?;
    let status = workable_status(result.status).to_owned();
    if result.status != AssessmentStatus::Completed {
        return Ok(AssessmentCallback {
            status,
            results_url: None,
            assessment: None,
            attachments: Vec::new(),
        });
    }
    let report_url = result.report_url.as_ref().ok_or_else(|| {
        Error::config("a completed Workable assessment needs a report_url (sent as results_url)")
    })?;
    let mut details = Map::new();
    let score = result.score.and_then(|s| {
        let converted = s.max.is_some_and(|m| m > 0.0 && m != 100.0);
        if converted && let (Some(v), Some(m)) = (number_text(s.value), s.max.and_then(number_text))
        {
            details.insert("Score".to_owned(), Value::String(format!("{v} / {m}")));
        }
        number_text(s.percent().unwrap_or(s.value))
    });
    let (grade, free_text_grade) = grade(result);
    if let Some(text) = free_text_grade {
        details.insert("Grade".to_owned(), Value::String(text));
    }
    for section in &result.sections {
        let value = match (section.score, section.passed, &section.summary) {
            (Some(s), _, _) => score_value(&s),
            (None, Some(passed), _) => Some(Value::Bool(passed)),
            (None, None, Some(text)) => Some(Value::String(text.clone())),
            (None, None, None) => None,
        };
        if let Some(value) = value {
            details.insert(section.label.clone(), value);
        }
    }
    for attribute in &result.attributes {
        let value = match &attribute.value {
            AttributeValue::Bool(b) => Some(Value::Bool(*b)),
            AttributeValue::Number(n) => number_value(*n),
            AttributeValue::Text(t) => Some(Value::String(t.clone())),
        };
        if let Some(value) = value {
            details.insert(attribute.label.clone(), value);
        }
    }
    let duration = match (result.started_at, result.completed_at) {
        (Some(start), Some(end)) => duration_text(start, end),
        _ => None,
    };
    let attachments = result
        .attachments
        .iter()
        .filter_map(|a| match &a.source {
            AttachmentSource::Url { url } => Some(CallbackAttachment {
                description: Some(a.name.clone()),
                url: url.to_string(),
            }),
            AttachmentSource::Inline { .. } => None,
        })
        .collect();
    let assessment = AssessmentResults {
        score,
        grade: grade.map(str::to_owned),
        summary: result.summary.clone(),
        details: (!details.is_empty()).then_some(details),
        duration,
    };
    Ok(AssessmentCallback {
        status,
        results_url: Some(report_url.to_string()),
        assessment: (assessment != AssessmentResults::default()).then_some(assessment),
        attachments,
    })
}

/// The Workable grade of a result, and the core grade when it is free text
/// that is not one of [`GRADES`].
///
/// `passed` decides between passing and failing grades: a core grade of
/// `excelled` is kept only for a result that passed (or whose `passed` is
/// unknown), `failed` only for one that did not.
pub fn grade(result: &AssessmentResult) -> (Option<&'static str>, Option<String>) {
    let named = result.grade.as_deref().and_then(|g| {
        let g = g.trim();
        GRADES.into_iter().find(|w| w.eq_ignore_ascii_case(g))
    });
    let free_text = match (&result.grade, named) {
        (Some(g), None) if !g.trim().is_empty() => Some(g.clone()),
        _ => None,
    };
    let grade = match (named, result.passed) {
        (Some(g), None) => Some(g),
        (Some("failed"), Some(false)) => Some("failed"),
        (Some(g @ ("passed" | "excelled")), Some(true)) => Some(g),
        (_, Some(true)) => Some("passed"),
        (_, Some(false)) => Some("failed"),
        (None, None) => None,
    };
    (grade, free_text)
}

/// `HH:MM:SS` from `start` to `end` (hours may exceed 24); `None` when
/// `end` is before `start`.
pub fn duration_text(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<String> {
    let secs = (end - start).num_seconds();
    if secs < 0 {
        return None;
    }
    Some(format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ))
}

/// A number as text for `assessment.score`: rounded to two decimals,
/// without a fraction when whole (`84`, `81.25`); `None` when not finite.
pub fn number_text(n: f64) -> Option<String> {
    match number_value(n)? {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A section's score in `details`: a number when it has no maximum or is
/// out of 100, else the raw score and its range as text (`"40 / 50"`, with
/// `(from -5)` when the range does not start at zero).
fn score_value(score: &Score) -> Option<Value> {
    let ranged = score
        .max
        .filter(|m| *m != 100.0 || score.min.is_some_and(|n| n != 0.0));
    let Some(max) = ranged else {
        return number_value(score.value);
    };
    let mut shown = format!("{} / {}", number_text(score.value)?, number_text(max)?);
    if let Some(min) = score.min.filter(|n| *n != 0.0) {
        shown.push_str(&format!(" (from {})", number_text(min)?));
    }
    Some(Value::String(shown))
}

fn number_value(n: f64) -> Option<Value> {
    json_number((n * 100.0).round() / 100.0).map(Value::Number)
}

fn looks_like_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}
/// The raw (still percent-encoded) `{id}` of a path ending in
/// `assessments/{id}/shared-link`; `None` for any other path.
pub fn shared_link_id(path: &str) -> Option<&str> {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some("shared-link"), Some(id), Some("assessments")) => Some(id),
        _ => None,
    }
}

/// `GET …/assessments/{id}/shared-link` as a status query for the vendor's
/// assessment `{id}` (percent-decoded): the vendor answers with a result
/// whose `candidate_url` is the link. An id that is empty, blank, not
/// valid percent-encoded UTF-8 or holds control characters is malformed
/// (at `path`).
pub fn shared_link_query(path: &str) -> Result<StatusQuery, Error> {
    let raw = shared_link_id(path)
        .ok_or_else(|| Error::malformed("path", "not …/assessments/{id}/shared-link"))?;
    let id = percent_decode(raw).ok_or_else(|| {
        Error::malformed(
            "path",
            "the assessment id is not valid percent-encoded UTF-8",
        )
    })?;
    if id.trim().is_empty() || id.chars().any(char::is_control) {
        return Err(Error::malformed(
            "path",
            "the assessment id is empty or holds control characters",
        ));
    }
    Ok(StatusQuery {
        provider: PROVIDER.to_owned(),
        tenant: None,
        order: OrderRef::vendor(id),
    })
}

/// Decodes `%XX` escapes of a path segment; `None` for a broken escape or
/// bytes that are not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Attachment, Attribute, Section};
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn policy() -> UrlPolicy {
        UrlPolicy::https_hosts(crate::builder::DEFAULT_CALLBACK_HOSTS)
    }

    fn create_body() -> Value {
        json!({
            "test_id": "backend-rust-90",
            "job_shortcode": "7A1C2B3D4E",
            "job_title": "Senior Backend Engineer",
            "callback_url": "https://acme-robotics.workable.com/assessments/callbacks/5512093",
            "candidate": {
                "first_name": "Marisol",
                "last_name": "Quenby",
                "email": "marisol.quenby@example.com",
                "phone": "+30 210 555 0142",
                "resume_url": "https://files.example.com/resumes/marisol-quenby.pdf"
            }
        })
    }

    #[test]
    fn create_maps_every_field() {
        let body = create_body();
        let o = create_assessment_to_order(
            body.to_string().as_bytes(),
            at("2026-01-15T10:00:00Z"),
            &policy(),
        )
        .unwrap();
        assert_eq!(o.provider, "workable");
        assert_eq!(o.package_id, "backend-rust-90");
        assert_eq!(o.provider_order_id, None);
        assert_eq!(
            o.callback_url.as_ref().map(Url::as_str),
            Some("https://acme-robotics.workable.com/assessments/callbacks/5512093")
        );
        assert_eq!(o.candidate.first_name.as_deref(), Some("Marisol"));
        assert_eq!(o.candidate.last_name.as_deref(), Some("Quenby"));
        assert_eq!(
            o.candidate.primary_email(),
            Some("marisol.quenby@example.com")
        );
        assert_eq!(o.candidate.phones[0].number, "+30 210 555 0142");
        assert_eq!(
            o.candidate.resume_url.as_deref(),
            Some("https://files.example.com/resumes/marisol-quenby.pdf")
        );
        let job = o.job.unwrap();
        assert_eq!(job.id.as_deref(), Some("7A1C2B3D4E"));
        assert_eq!(job.name.as_deref(), Some("Senior Backend Engineer"));
        assert!(o.extras.is_empty());
        assert_eq!(o.received_at, at("2026-01-15T10:00:00Z"));
        assert_eq!(o.raw, body);
    }

    #[test]
    fn create_accepts_numeric_ids_nulls_and_unknown_fields() {
        let body =
            br#"{"test_id": 2, "job_id": 61, "callback_url": "https://www.workable.com/cb/1",
            "candidate": {"email": " t.okafor@example.net ", "first_name": null, "phone": ""},
            "new_field": {"x": 1}}"#;
        let o = create_assessment_to_order(body, at("2026-01-01T00:00:00Z"), &policy()).unwrap();
        assert_eq!(o.package_id, "2");
        assert_eq!(o.candidate.primary_email(), Some("t.okafor@example.net"));
        assert_eq!(o.candidate.first_name, None);
        assert!(o.candidate.phones.is_empty());
        assert_eq!(o.job, None);
        assert_eq!(o.extras["job_id"], json!("61"));
        assert_eq!(o.raw.to_value().unwrap()["new_field"], json!({"x": 1}));
    }

    fn refused(body: &Value) -> Error {
        create_assessment_to_order(
            body.to_string().as_bytes(),
            at("2026-01-01T00:00:00Z"),
            &policy(),
        )
        .unwrap_err()
    }

    #[test]
    fn create_requires_test_callback_and_email() {
        let cases = [
            ("/test_id", "test_id"),
            ("/callback_url", "callback_url"),
            ("/candidate", "candidate"),
            ("/candidate/email", "candidate.email"),
        ];
        for (pointer, path) in cases {
            let mut body = create_body();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            body.pointer_mut(if parent.is_empty() { "" } else { parent })
                .and_then(Value::as_object_mut)
                .unwrap()
                .remove(key);
            let e = refused(&body);
            assert!(
                matches!(e, Error::Malformed { path: ref p, .. } if p == path),
                "{pointer}: {e}"
            );
            assert!(e.is_missing_field(), "{pointer}: {e}");
        }
        let mut body = create_body();
        body["test_id"] = json!("  ");
        assert!(refused(&body).is_missing_field());
    }

    #[test]
    fn create_refuses_bad_values_with_their_path() {
        let mut body = create_body();
        body["callback_url"] = json!("/relative/path");
        let e = refused(&body);
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "callback_url"),
            "{e}"
        );
        assert!(!e.is_missing_field());
        let mut body = create_body();
        body["candidate"]["email"] = json!("not-an-address");
        let e = refused(&body);
        assert_eq!(
            e.to_string(),
            "malformed payload at `candidate.email`: not an e-mail address"
        );
        let mut body = create_body();
        body["candidate"]["phone"] = json!(302105550142_u64);
        let e = refused(&body);
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "candidate.phone"),
            "{e}"
        );
        let e =
            create_assessment_to_order(b"[]", at("2026-01-01T00:00:00Z"), &policy()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `.`: expected a JSON object, found an array"
        );
    }

    #[test]
    fn an_address_needs_both_sides_of_the_at_and_no_blank() {
        for address in [
            "marisol.quenby@",
            "@example.com",
            "marisol quenby@example.com",
            "marisol@example .com",
        ] {
            let mut body = create_body();
            body["candidate"]["email"] = json!(address);
            assert_eq!(
                refused(&body).to_string(),
                "malformed payload at `candidate.email`: not an e-mail address",
                "{address}"
            );
        }
        let mut body = create_body();
        body["candidate"]["email"] = json!("m@x");
        let o = create_assessment_to_order(
            body.to_string().as_bytes(),
            at("2026-01-01T00:00:00Z"),
            &policy(),
        )
        .unwrap();
        assert_eq!(o.candidate.primary_email(), Some("m@x"));
    }

    #[test]
    fn create_refuses_a_callback_outside_workable() {
        for url in [
            "https://attacker.example/collect",
            "http://acme.workable.com/cb/1",
            "https://acme.workable.com.attacker.example/cb/1",
        ] {
            let mut body = create_body();
            body["callback_url"] = json!(url);
            let e = refused(&body);
            assert!(matches!(e, Error::UntrustedUrl { .. }), "{url}: {e}");
        }
    }

    #[test]
    fn test_ids_are_numbers_only_when_canonical() {
        use TestIdFormat::*;
        assert_eq!(test_id("1", NumericWhenPossible), TestId::Number(1));
        assert_eq!(test_id("0", NumericWhenPossible), TestId::Number(0));
        assert_eq!(
            test_id("007", NumericWhenPossible),
            TestId::Text("007".into())
        );
        assert_eq!(
            test_id("-1", NumericWhenPossible),
            TestId::Text("-1".into())
        );
        assert_eq!(
            test_id("", NumericWhenPossible),
            TestId::Text(std::string::String::new())
        );
        assert_eq!(
            test_id("9007199254740991", NumericWhenPossible),
            TestId::Number(MAX_NUMERIC_TEST_ID)
        );
        assert_eq!(
            test_id("9007199254740992", NumericWhenPossible),
            TestId::Text("9007199254740992".into())
        );
        assert_eq!(
            test_id("99999999999999999999999", NumericWhenPossible),
            TestId::Text("99999999999999999999999".into())
        );
        assert_eq!(test_id("1", String), TestId::Text("1".into()));
        let r = tests_response(
            &[
                Package::new("1", "Aptitude Test"),
                Package::new("sql-30", "SQL"),
            ],
            NumericWhenPossible,
        );
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            json!({"tests": [{"id": 1, "name": "Aptitude Test"}, {"id": "sql-30", "name": "SQL"}]})
        );
    }

    #[test]
    fn status_mapping_both_ways() {
        use AssessmentStatus::*;
        let all = [Invited, InProgress, Completed, Cancelled, Expired, Error];
        let sent: Vec<_> = all.iter().map(|s| workable_status(*s)).collect();
        assert_eq!(
            sent,
            [
                "pending",
                "pending",
                "completed",
                "rejected",
                "expired",
                "rejected"
            ]
        );
        assert_eq!(core_status("pending"), Some(Invited));
        assert_eq!(core_status("completed"), Some(Completed));
        assert_eq!(core_status(" Complete "), Some(Completed));
        assert_eq!(core_status("rejected"), Some(Cancelled));
        assert_eq!(core_status("expired"), Some(Expired));
        assert_eq!(core_status("archived"), None);
        for s in all {
            let back = core_status(workable_status(s)).unwrap();
            assert_eq!(workable_status(back), workable_status(s));
        }
    }

    #[test]
    fn non_final_and_negative_statuses_send_status_only() {
        for (status, text) in [
            (AssessmentStatus::Invited, "pending"),
            (AssessmentStatus::InProgress, "pending"),
            (AssessmentStatus::Expired, "expired"),
            (AssessmentStatus::Cancelled, "rejected"),
            (AssessmentStatus::Error, "rejected"),
        ] {
            let mut r = AssessmentResult::with_status(status);
            r.report_url = Some(Url::parse("https://assess.example.com/r/1").unwrap());
            r.summary = Some("ignored".into());
            let body = serde_json::to_value(callback_body(&r).unwrap()).unwrap();
            assert_eq!(body, json!({"status": text}));
        }
    }

    #[test]
    fn completed_result_fills_every_field() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score::out_of(42.0, 50.0));
        r.passed = Some(true);
        r.grade = Some("Strong hire".into());
        r.report_url = Some(Url::parse("https://assess.example.com/reports/c8b7").unwrap());
        r.summary = Some("Working service, thin error handling.".into());
        r.sections = vec![
            Section {
                id: "api".into(),
                label: "API design".into(),
                score: Some(Score::out_of(9.0, 10.0)),
                passed: None,
                summary: None,
            },
            Section {
                id: "tests".into(),
                label: "Testing".into(),
                score: Some(Score {
                    value: 76.0,
                    min: None,
                    max: None,
                }),
                passed: None,
                summary: None,
            },
            Section {
                id: "sec".into(),
                label: "Security".into(),
                score: None,
                passed: Some(false),
                summary: None,
            },
            Section {
                id: "notes".into(),
                label: "Notes".into(),
                score: None,
                passed: None,
                summary: Some("Asked good questions".into()),
            },
            Section {
                id: "empty".into(),
                label: "Empty".into(),
                score: None,
                passed: None,
                summary: None,
            },
        ];
        r.attributes = vec![Attribute {
            id: "lang".into(),
            label: "Language".into(),
            value: AttributeValue::Text("Rust".into()),
        }];
        r.started_at = Some(at("2026-01-10T09:00:00Z"));
        r.completed_at = Some(at("2026-01-10T10:17:05Z"));
        r.attachments = vec![
            Attachment {
                name: "Report (PDF)".into(),
                content_type: Some("application/pdf".into()),
                source: AttachmentSource::Url {
                    url: Url::parse("https://files.example.com/r/c8b7.pdf").unwrap(),
                },
            },
            Attachment {
                name: "inline.txt".into(),
                content_type: None,
                source: AttachmentSource::Inline {
                    data_base64: "AAE=".into(),
                },
            },
        ];
        let body = serde_json::to_string(&callback_body(&r).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "status": "completed",
                "results_url": "https://assess.example.com/reports/c8b7",
                "assessment": {
                    "score": "84",
                    "grade": "passed",
                    "summary": "Working service, thin error handling.",
                    "details": {
                        "Score": "42 / 50",
                        "Grade": "Strong hire",
                        "API design": "9 / 10",
                        "Testing": 76,
                        "Security": false,
                        "Notes": "Asked good questions",
                        "Language": "Rust"
                    },
                    "duration": "01:17:05"
                },
                "attachments": [
                    {"description": "Report (PDF)", "url": "https://files.example.com/r/c8b7.pdf"}
                ]
            })
            .to_string()
        );
    }

    #[test]
    fn sections_keep_their_raw_score_and_range() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(Url::parse("https://assess.example.com/r/3").unwrap());
        let section = |label: &str, score: Score| Section {
            id: label.into(),
            label: label.into(),
            score: Some(score),
            passed: None,
            summary: None,
        };
        r.sections = vec![
            section("Algorithms", Score::out_of(40.0, 50.0)),
            section("Percent", Score::out_of(72.5, 100.0)),
            section(
                "Judgement",
                Score {
                    value: 2.5,
                    min: Some(-5.0),
                    max: Some(5.0),
                },
            ),
        ];
        let body = serde_json::to_value(callback_body(&r).unwrap()).unwrap();
        assert_eq!(
            body["assessment"]["details"],
            json!({"Algorithms": "40 / 50", "Percent": 72.5, "Judgement": "2.5 / 5 (from -5)"})
        );
    }

    #[test]
    fn a_zero_maximum_is_not_a_range() {
        // A maximum of 0 gives no percentage: the value is sent as it is and
        // no `Score` detail is written (a `5 / 0` would be meaningless).
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(Url::parse("https://assess.example.com/r/4").unwrap());
        r.score = Some(Score::out_of(5.0, 0.0));
        let body = serde_json::to_value(callback_body(&r).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"status": "completed", "results_url": "https://assess.example.com/r/4",
                   "assessment": {"score": "5"}})
        );
    }

    #[test]
    fn a_section_out_of_100_is_a_range_only_when_it_starts_below_or_above_zero() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(Url::parse("https://assess.example.com/r/5").unwrap());
        let section = |label: &str, min: Option<f64>| Section {
            id: label.into(),
            label: label.into(),
            score: Some(Score {
                value: 60.0,
                min,
                max: Some(100.0),
            }),
            passed: None,
            summary: None,
        };
        r.sections = vec![
            section("From zero", Some(0.0)),
            section("No minimum", None),
            section("From -20", Some(-20.0)),
        ];
        let body = serde_json::to_value(callback_body(&r).unwrap()).unwrap();
        assert_eq!(
            body["assessment"]["details"],
            json!({"From zero": 60, "No minimum": 60, "From -20": "60 / 100 (from -20)"})
        );
    }

    #[test]
    fn shared_link_ids_are_percent_decoded() {
        // Each id starts with a plain byte, so a wrong step of the decoding
        // index underflows (a failure) rather than looping at 0 forever.
        let q = shared_link_query("/v1/assessments/x%41%2Fc%C3%A9/shared-link/").unwrap();
        assert_eq!(q.order, OrderRef::vendor("xA/cé"));
        assert_eq!(q.provider, "workable");
        for (path, message) in [
            (
                "/v1/assessments/x%4/shared-link",
                "the assessment id is not valid percent-encoded UTF-8",
            ),
            (
                "/v1/assessments/x%FF/shared-link",
                "the assessment id is not valid percent-encoded UTF-8",
            ),
            (
                "/v1/assessments/x%09/shared-link",
                "the assessment id is empty or holds control characters",
            ),
            (
                "/v1/assessments/1/link",
                "not …/assessments/{id}/shared-link",
            ),
        ] {
            let e = shared_link_query(path).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("malformed payload at `path`: {message}"),
                "{path}"
            );
        }
    }

    #[test]
    fn completed_minimal_and_without_report_url() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        assert!(matches!(callback_body(&r), Err(Error::Config { .. })));
        r.report_url = Some(Url::parse("https://assess.example.com/r/2").unwrap());
        r.score = Some(Score {
            value: 81.256,
            min: None,
            max: Some(100.0),
        });
        let body = serde_json::to_value(callback_body(&r).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"status": "completed", "results_url": "https://assess.example.com/r/2",
                   "assessment": {"score": "81.26"}})
        );
    }

    #[test]
    fn grades() {
        let with = |grade: Option<&str>, passed: Option<bool>| {
            let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
            r.grade = grade.map(str::to_owned);
            r.passed = passed;
            super::grade(&r)
        };
        assert_eq!(with(None, None), (None, None));
        assert_eq!(with(None, Some(true)), (Some("passed"), None));
        assert_eq!(with(None, Some(false)), (Some("failed"), None));
        assert_eq!(with(Some("Excelled"), None), (Some("excelled"), None));
        assert_eq!(with(Some("excelled"), Some(true)), (Some("excelled"), None));
        assert_eq!(with(Some("excelled"), Some(false)), (Some("failed"), None));
        assert_eq!(with(Some("failed"), Some(true)), (Some("passed"), None));
        assert_eq!(with(Some("failed"), Some(false)), (Some("failed"), None));
        assert_eq!(with(Some("B+"), None), (None, Some("B+".into())));
        assert_eq!(
            with(Some("B+"), Some(true)),
            (Some("passed"), Some("B+".into()))
        );
        assert_eq!(with(Some("  "), None), (None, None));
    }

    #[test]
    fn numbers_and_durations() {
        assert_eq!(number_text(84.0).as_deref(), Some("84"));
        assert_eq!(number_text(81.25).as_deref(), Some("81.25"));
        assert_eq!(number_text(2.0 / 3.0 * 100.0).as_deref(), Some("66.67"));
        assert_eq!(number_text(-3.0).as_deref(), Some("-3"));
        assert_eq!(number_text(f64::NAN), None);
        assert_eq!(number_text(f64::INFINITY), None);
        let start = at("2026-01-10T09:00:00Z");
        assert_eq!(duration_text(start, start).as_deref(), Some("00:00:00"));
        assert_eq!(
            duration_text(start, at("2026-01-11T11:03:09Z")).as_deref(),
            Some("26:03:09")
        );
        assert_eq!(duration_text(at("2026-01-11T00:00:00Z"), start), None);
    }

    #[test]
    fn non_finite_scores_are_left_out() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(Url::parse("https://assess.example.com/r/3").unwrap());
        r.score = Some(Score {
            value: f64::NAN,
            min: None,
            max: None,
        });
        let body = serde_json::to_value(callback_body(&r).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"status": "completed", "results_url": "https://assess.example.com/r/3"})
        );
    }

    #[test]
    fn results_with_too_many_attachments_are_refused() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        let attachment = Attachment {
            name: "report.pdf".into(),
            content_type: None,
            source: ats_core::AttachmentSource::Url {
                url: url::Url::parse("https://vendor.example/r.pdf").unwrap(),
            },
        };
        r.attachments = vec![attachment; ats_core::codec::MAX_ITEMS + 1];
        let e = callback_body(&r).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "attachments"),
            "{e}"
        );
        r.attachments.truncate(ats_core::codec::MAX_ITEMS);
        assert!(callback_body(&r).is_ok());
    }
}
