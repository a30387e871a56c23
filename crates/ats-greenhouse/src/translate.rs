//! Pure translation between Greenhouse's wire structs and the core model.
//!
//! ## Status mapping
//!
//! Greenhouse gives meaning to one `partner_status` only: `"complete"`, which
//! requires `partner_profile_url` and ends polling. Other values are shown as
//! text. This adapter sends:
//!
//! | core [`AssessmentStatus`] | `partner_status` |
//! |---|---|
//! | `invited` | `sent` |
//! | `in_progress` | `in_progress` |
//! | `completed` | `complete` |
//! | `cancelled` | `cancelled` |
//! | `expired` | `expired` |
//! | `error` | `error` |
//!
//! `partner_score` is the score's value; everything else the result carries
//! (maximum, pass/fail, grade, summary, sections, attributes, times) goes into
//! the flat `metadata` object, keyed by its label. A section scored out of a
//! maximum is shown as the text `40 / 50`, a section without one as a number.

use ats_core::codec::{check_result_items, json_number, non_blank};
use ats_core::codec::{decode_json_with_raw, required};
use ats_core::{
    Application, AssessmentOrder, AssessmentResult, AssessmentStatus, Candidate, Email, Error,
    ErrorReport, OrderRef, Package, PackagesRequest, Person, Phone, RawJson, StatusQuery,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use url::Url;

use crate::wire::{ResponseErrorRequest, SendTestRequest, Test, TestStatusResponse};

/// The adapter's name.
pub const PROVIDER: &str = "greenhouse";

/// The `partner_status` that tells Greenhouse results are available.
pub const COMPLETE: &str = "complete";

/// `list_tests` carries no payload: it is a request for the tenant's packages.
pub fn packages_request() -> PackagesRequest {
    PackagesRequest {
        provider: PROVIDER.to_owned(),
        tenant: None,
    }
}

/// Translates a `send_test` body into an order.
///
/// Required: `partner_test_id` and `candidate.email` (the test is sent to
/// it). `url`, when present, must be an absolute URL; it becomes the order's
/// callback URL, and its last path segment (Greenhouse's id for the sent
/// test) the provider order id.
pub fn send_test_to_order(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<AssessmentOrder, Error> {
    let (req, raw): (SendTestRequest, RawJson) = decode_json_with_raw(body)?;
    let package_id = required(Some(&req.partner_test_id), "partner_test_id")?.to_owned();
    let email = required(req.candidate.email.as_deref(), "candidate.email")?.to_owned();
    let callback_url = match req.url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(u) => Some(
            Url::parse(u)
                .map_err(|e| Error::malformed("url", format!("not an absolute URL: {e}")))?,
        ),
        None => None,
    };
    let provider_order_id = callback_url.as_ref().and_then(last_segment);
    let profile = req.candidate.greenhouse_profile_url.clone();
    let (candidate_id, application_id) = profile.as_deref().map(profile_ids).unwrap_or_default();
    let c = req.candidate;
    let candidate = Candidate {
        id: candidate_id,
        remote_id: None,
        first_name: non_blank(c.first_name),
        last_name: non_blank(c.last_name),
        preferred_name: non_blank(c.preferred_name),
        emails: vec![Email {
            address: email,
            kind: None,
        }],
        phones: non_blank(c.phone_number)
            .map(|number| Phone { number, kind: None })
            .into_iter()
            .collect(),
        location: None,
        profile_url: non_blank(profile),
        resume_url: non_blank(c.resume_url),
    };
    let application = application_id.map(|id| Application {
        id: Some(id),
        remote_id: None,
        status: None,
        url: None,
    });
    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant: None,
        provider_order_id,
        package_id,
        package: None,
        candidate,
        application,
        job: None,
        requested_by: non_blank(req.sent_by).map(|email| Person {
            email: Some(email),
            ..Person::default()
        }),
        callback_url,
        received_at,
        context: Map::new(),
        extras: Map::new(),
        raw,
    })
}

/// Translates `test_status`'s query parameter into a status query.
pub fn test_status_query(partner_interview_id: Option<&str>) -> Result<StatusQuery, Error> {
    let id = required(partner_interview_id, "query.partner_interview_id")?;
    Ok(StatusQuery {
        provider: PROVIDER.to_owned(),
        tenant: None,
        order: OrderRef::vendor(id),
    })
}

/// Translates a `response_error` body into an error report.
pub fn response_error_report(body: &[u8]) -> Result<ErrorReport, Error> {
    let (req, raw): (ResponseErrorRequest, RawJson) = decode_json_with_raw(body)?;
    Ok(ErrorReport {
        provider: PROVIDER.to_owned(),
        tenant: None,
        operation: req.api_call,
        errors: req.errors,
        order: req.partner_interview_id.map(OrderRef::vendor),
        package_id: req.partner_test_id,
        package_name: req.partner_test_name,
        candidate_email: req.candidate_email,
        raw,
    })
}

/// Renders packages as `list_tests` entries.
pub fn tests_from_packages(packages: &[Package]) -> Vec<Test> {
    packages
        .iter()
        .map(|p| Test {
            partner_test_id: p.id.clone(),
            partner_test_name: p.name.clone(),
        })
        .collect()
}

/// The `partner_status` for a core status (see the module docs).
pub fn partner_status(status: AssessmentStatus) -> &'static str {
    match status {
        AssessmentStatus::Invited => "sent",
        AssessmentStatus::InProgress => "in_progress",
        AssessmentStatus::Completed => COMPLETE,
        AssessmentStatus::Cancelled => "cancelled",
        AssessmentStatus::Expired => "expired",
        AssessmentStatus::Error => "error",
    }
}

/// Renders a result as the `test_status` response.
///
/// A completed result without a report URL is refused
/// ([`Error::Config`]): Greenhouse rejects `"complete"` without
/// `partner_profile_url`, and the vendor should learn that here rather than
/// from a `response_error` call later.
pub fn status_response(result: &AssessmentResult) -> Result<TestStatusResponse, Error> {
    check_result_items(result)?;
    let complete = result.status == AssessmentStatus::Completed;
    if complete && result.report_url.is_none() {
        return Err(Error::config(
            "a completed Greenhouse test needs a report_url (sent as partner_profile_url)",
        ));
    }
    let mut metadata = Map::new();
    let mut put = |k: &str, v: Value| {
        metadata.insert(k.to_owned(), v);
    };
    if let Some(min) = result.score.and_then(|s| s.min) {
        put("Min Score", number(min));
    }
    if let Some(max) = result.score.and_then(|s| s.max) {
        put("Max Score", number(max));
    }
    if let Some(passed) = result.passed {
        put("Passed", Value::Bool(passed));
    }
    if let Some(grade) = &result.grade {
        put("Grade", Value::String(grade.clone()));
    }
    if let Some(summary) = &result.summary {
        put("Summary", Value::String(summary.clone()));
    }
    for s in &result.sections {
        if let Some(score) = s.score {
            put(&s.label, section_score(&score));
        } else if let Some(passed) = s.passed {
            put(&s.label, Value::Bool(passed));
        } else if let Some(text) = &s.summary {
            put(&s.label, Value::String(text.clone()));
        }
    }
    for a in &result.attributes {
        let v = match &a.value {
            ats_core::AttributeValue::Bool(b) => Value::Bool(*b),
            ats_core::AttributeValue::Number(n) => number(*n),
            ats_core::AttributeValue::Text(t) => Value::String(t.clone()),
        };
        put(&a.label, v);
    }
    if let Some(t) = result.started_at {
        put(
            "Started At",
            Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
    }
    if let Some(t) = result.completed_at {
        put(
            "Completed At",
            Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
    }
    if let Some(reason) = &result.status_reason {
        put("Status Reason", Value::String(reason.clone()));
    }
    Ok(TestStatusResponse {
        partner_status: partner_status(result.status).to_owned(),
        partner_profile_url: result.report_url.as_ref().map(Url::to_string),
        partner_score: result.score.and_then(|s| match number(s.value) {
            Value::Number(n) => Some(n),
            _ => None,
        }),
        metadata: (!metadata.is_empty()).then_some(metadata),
    })
}

/// A section's score in `metadata`: a number when it has no maximum, else
/// the text `40 / 50` (with `(from -5)` when the range does not start at
/// zero), since `metadata` is flat and a second key per section would be
/// listed apart from it.
fn section_score(score: &ats_core::Score) -> Value {
    let Some(max) = score.max else {
        return number(score.value);
    };
    let text = |n: f64| match number(n) {
        Value::Number(n) => n.to_string(),
        _ => format!("{n}"),
    };
    let mut shown = format!("{} / {}", text(score.value), text(max));
    if let Some(min) = score.min.filter(|m| *m != 0.0) {
        shown.push_str(&format!(" (from {})", text(min)));
    }
    Value::String(shown)
}

/// Whole numbers as JSON integers (`81`, not `81.0`), others as floats.
fn number(n: f64) -> Value {
    json_number(n).map_or(Value::Null, Value::Number)
}

/// Candidate and application ids from a `greenhouse_profile_url`
/// (`…/people/17681532?application_id=26234709`).
pub fn profile_ids(url: &str) -> (Option<String>, Option<String>) {
    let Ok(url) = Url::parse(url) else {
        return (None, None);
    };
    let candidate = url
        .path_segments()
        .and_then(|mut segs| {
            segs.by_ref().find(|s| *s == "people")?;
            segs.next()
        })
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let application = url
        .query_pairs()
        .find(|(k, _)| k == "application_id")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty());
    (candidate, application)
}

fn last_segment(url: &Url) -> Option<String> {
    url.path_segments()?
        .rev()
        .find(|s| !s.is_empty())
        .map(str::to_owned)
}
#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Score, Section};
    use serde_json::json;

    fn at() -> DateTime<Utc> {
        "2026-01-15T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn send_test_maps_every_field() {
        let body = json!({
            "partner_test_id": "12345",
            "candidate": {
                "first_name": "Maya", "last_name": "Lindqvist", "preferred_name": null,
                "resume_url": "https://app.greenhouse.io/resume/1", "phone_number": "+1 555 0100",
                "email": "maya.lindqvist@example.com",
                "greenhouse_profile_url": "https://app.greenhouse.io/people/17681532?application_id=26234709"
            },
            "sent_by": "recruiter@example.org",
            "url": "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/555"
        });
        let o = send_test_to_order(body.to_string().as_bytes(), at()).unwrap();
        assert_eq!(o.package_id, "12345");
        assert_eq!(o.provider_order_id.as_deref(), Some("555"));
        assert_eq!(o.candidate.id.as_deref(), Some("17681532"));
        assert_eq!(o.application.unwrap().id.as_deref(), Some("26234709"));
        assert_eq!(o.candidate.preferred_name, None);
        assert_eq!(
            o.candidate.primary_email(),
            Some("maya.lindqvist@example.com")
        );
        assert_eq!(o.candidate.phones[0].number, "+1 555 0100");
        assert_eq!(
            o.requested_by.unwrap().email.as_deref(),
            Some("recruiter@example.org")
        );
        assert_eq!(o.raw, body);
        assert_eq!(o.received_at, at());
    }

    #[test]
    fn send_test_requires_email_and_test_id() {
        let e = send_test_to_order(
            br#"{"partner_test_id":"1","candidate":{"email":" "}}"#,
            at(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `candidate.email`: required field is missing or empty"
        );
        let e =
            send_test_to_order(br#"{"candidate":{"email":"a@example.com"}}"#, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "."),
            "{e}"
        );
        let e =
            send_test_to_order(br#"{"partner_test_id":true,"candidate":{}}"#, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "partner_test_id"),
            "{e}"
        );
        let e = send_test_to_order(
            br#"{"partner_test_id":"1","candidate":{"email":"a@example.com"},"url":"not a url"}"#,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "url"),
            "{e}"
        );
    }

    #[test]
    fn status_response_matches_docs_example_shape() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score {
            value: 81.0,
            min: None,
            max: None,
        });
        r.report_url = Some(Url::parse("http://example.com/tests/12345").unwrap());
        r.summary = Some("This candidate did extremely well!".into());
        let v = serde_json::to_value(status_response(&r).unwrap()).unwrap();
        assert_eq!(
            v,
            json!({
                "partner_status": "complete",
                "partner_profile_url": "http://example.com/tests/12345",
                "partner_score": 81,
                "metadata": {"Summary": "This candidate did extremely well!"}
            })
        );
    }

    #[test]
    fn metadata_is_flat_and_primitive() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        r.score = Some(Score::out_of(7.5, 10.0));
        r.sections = vec![Section {
            id: "algo".into(),
            label: "Algorithms".into(),
            score: Some(Score::out_of(3.0, 5.0)),
            passed: None,
            summary: None,
        }];
        r.passed = Some(true);
        let s = status_response(&r).unwrap();
        assert_eq!(s.partner_status, "in_progress");
        assert_eq!(s.partner_score.unwrap().as_f64(), Some(7.5));
        let m = s.metadata.unwrap();
        assert_eq!(m["Max Score"], json!(10));
        // a section's maximum is shown with its score
        assert_eq!(m["Algorithms"], json!("3 / 5"));
        assert_eq!(m["Passed"], json!(true));
        assert!(m.values().all(|v| !v.is_object() && !v.is_array()));
    }

    #[test]
    fn section_scores_show_their_range_only_when_they_have_one() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(Url::parse("https://vendor.example.com/r/1").unwrap());
        let section = |id: &str, score: Score| Section {
            id: id.into(),
            label: id.into(),
            score: Some(score),
            passed: None,
            summary: None,
        };
        r.sections = vec![
            section("Algorithms", Score::out_of(40.0, 50.0)),
            section("Speed", Score::bare(0.75)),
            section(
                "Judgement",
                Score {
                    value: 2.5,
                    min: Some(-5.0),
                    max: Some(5.0),
                },
            ),
        ];
        let m = status_response(&r).unwrap().metadata.unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"Algorithms": "40 / 50", "Speed": 0.75, "Judgement": "2.5 / 5 (from -5)"})
        );
    }

    #[test]
    fn section_range_text_writes_numbers_as_json_does() {
        // Written through the JSON number, not `f64`'s `Display`: a negative
        // zero is `0` (not `-0`) and a value from 9e15 up is in exponent
        // form (not `10000000000000000`).
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        let section = |id: &str, score: Score| Section {
            id: id.into(),
            label: id.into(),
            score: Some(score),
            passed: None,
            summary: None,
        };
        r.sections = vec![
            section("Zero", Score::out_of(-0.0, 5.0)),
            section("Huge", Score::out_of(3.0, 1e16)),
            section(
                "Shifted",
                Score {
                    value: 1.0,
                    min: Some(-0.5),
                    max: Some(2.0),
                },
            ),
        ];
        let m = status_response(&r).unwrap().metadata.unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"Zero": "0 / 5", "Huge": "3 / 1e+16", "Shifted": "1 / 2 (from -0.5)"})
        );
    }

    #[test]
    fn completed_without_report_url_is_refused() {
        let r = AssessmentResult::with_status(AssessmentStatus::Completed);
        assert!(matches!(status_response(&r), Err(Error::Config { .. })));
    }

    #[test]
    fn every_status_has_a_partner_status() {
        use AssessmentStatus::*;
        let all = [Invited, InProgress, Completed, Cancelled, Expired, Error];
        let names: Vec<_> = all.iter().map(|s| partner_status(*s)).collect();
        assert_eq!(
            names,
            [
                "sent",
                "in_progress",
                "complete",
                "cancelled",
                "expired",
                "error"
            ]
        );
    }

    #[test]
    fn profile_ids_are_read_leniently() {
        assert_eq!(
            profile_ids("https://app.greenhouse.io/people/1?application_id=2"),
            (Some("1".into()), Some("2".into()))
        );
        assert_eq!(profile_ids("nonsense"), (None, None));
        assert_eq!(profile_ids("https://app.greenhouse.io/x"), (None, None));
    }

    #[test]
    fn response_error_accepts_partial_bodies() {
        let r = response_error_report(br#"{"api_call":"list_tests","errors":["bad"]}"#).unwrap();
        assert_eq!(r.operation, "list_tests");
        assert_eq!(r.order, None);
        let r = response_error_report(
            br#"{"api_call":"test_status","errors":[],"partner_interview_id":299506}"#,
        )
        .unwrap();
        assert_eq!(r.order, Some(OrderRef::vendor("299506")));
    }

    #[test]
    fn results_with_too_many_sections_are_refused() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        let section = Section {
            id: "s".into(),
            label: "S".into(),
            score: None,
            passed: Some(true),
            summary: None,
        };
        r.sections = vec![section; ats_core::codec::MAX_ITEMS + 1];
        let e = status_response(&r).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `sections`: holds 101 items, more than the 100 accepted"
        );
        r.sections.pop();
        assert!(status_response(&r).is_ok());
    }
}
