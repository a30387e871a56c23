//! Pure translation between Recruitee's wire structs and the core model: no
//! I/O, no clock, no credentials.
//!
//! ## Status mapping
//!
//! Recruitee's report knows four `status` values: `sent` (the default of a
//! new report), `completed` (the candidate took the test), `failed` (the
//! candidate took the test and failed it) and `canceled` (the test was
//! cancelled). It has no value for "started", "expired" or "could not be
//! run".
//!
//! | core [`AssessmentStatus`] | → report `status` | other fields sent |
//! |---|---|---|
//! | `invited` | `sent` | none derived |
//! | `in_progress` | `sent` | none derived |
//! | `completed`, `passed` not `false` | `completed` | `score`, `completed_at`, `subtitle` |
//! | `completed`, `passed: false` | `failed` | `score`, `completed_at`, `subtitle` |
//! | `cancelled` | `canceled` | none derived |
//! | `expired` | `canceled` | none derived |
//! | `error` | `canceled` | none derived |
//!
//! ## Results
//!
//! `score` is free text. Without a maximum it is the number (`"84"`); out
//! of 100 (from 0) the percentage (`"76%"`); out of another maximum the
//! fraction (`"12/15"`), as in Recruitee's three examples. Numbers are
//! rounded to two decimals and written without a fraction when whole.
//! `completed_at` is RFC 3339 in UTC. `subtitle` is the result's `grade`,
//! for assessment partners only (Recruitee shows no subtitle for background
//! and reference check partners).
//!
//! The vendor may set the report's fields itself under
//! `extensions.recruitee` ([`RecruiteeExtension`]): `subtitle` (text, sent
//! with any status and instead of the grade), `properties` (any JSON value,
//! sent as is) and `urls.cancel` (an absolute `http(s)` URL, sent with any
//! status). The report URL, summary, sections and attributes of a result
//! have no documented report field and are not sent.

use ats_core::codec::{decode_json_with_raw, json_number, non_blank, required_string, trimmed};
use ats_core::http::fit_for_path;
use ats_core::{
    AssessmentOrder, AssessmentResult, AssessmentStatus, Candidate, Email, Error, OrderedPackage,
    Package, PackagesRequest, Phone, RawJson, Score,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use url::Url;

use crate::wire::{ReportUpdate, ReportUrls, SendCandidateRequest, Test, TestId};

/// The adapter's name.
pub const PROVIDER: &str = "recruitee";

/// Report status: the default of a newly created report.
pub const SENT: &str = "sent";
/// Report status: the candidate has taken the test.
pub const COMPLETED: &str = "completed";
/// Report status: the candidate has taken the test and failed it.
pub const FAILED: &str = "failed";
/// Report status: the test has been cancelled.
pub const CANCELED: &str = "canceled";

/// The key of [`AssessmentOrder::context`] holding Recruitee's company id.
pub const COMPANY_ID: &str = "company_id";

/// The largest integer written as a JSON number in the tests list (2^53 − 1,
/// the largest integer every JSON reader holds exactly).
pub const MAX_NUMERIC_TEST_ID: u64 = 9_007_199_254_740_991;

/// The kind of service the partner registered (`partner.kind`). It decides
/// the labels Recruitee shows and whether a report may carry a `subtitle`
/// and `properties`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PartnerKind {
    /// `assessment`: "Send test".
    #[default]
    Assessment,
    /// `background_check`: "Request background check".
    BackgroundCheck,
    /// `reference_check`: "Request reference check".
    ReferenceCheck,
}

impl PartnerKind {
    /// The value of `partner.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assessment => "assessment",
            Self::BackgroundCheck => "background_check",
            Self::ReferenceCheck => "reference_check",
        }
    }

    /// Whether reports of this kind take `subtitle` and `properties`.
    pub fn has_report_details(self) -> bool {
        self == Self::Assessment
    }
}

/// `GET {partner.urls.tests}` carries no payload: it is a request for the
/// tenant's packages.
pub fn packages_request() -> PackagesRequest {
    PackagesRequest {
        provider: PROVIDER.to_owned(),
        tenant: None,
    }
}

/// Translates a `send_candidate` body into an order.
///
/// Required: `report_id` (the report every later update names; it must be
/// fit for a URL path), `test_id` and `email` (Recruitee sends the
/// candidate no e-mail, so the vendor must). `report_id` becomes the
/// provider order id, `candidate_id` the candidate id, `test_name` the
/// ordered package's name, `company_id` goes into the context.
pub fn send_candidate_to_order(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<AssessmentOrder, Error> {
    let (req, raw): (SendCandidateRequest, RawJson) = decode_json_with_raw(body)?;
    let report_id = required_string(req.report_id, "report_id")?;
    if !fit_for_path(&report_id) || report_id.contains(['/', '?', '#']) {
        return Err(Error::malformed(
            "report_id",
            "cannot be used as an id in the report URL",
        ));
    }
    let package_id = required_string(req.test_id, "test_id")?;
    let email = trimmed(required_string(req.email, "email")?);
    if !looks_like_email(&email) {
        return Err(Error::malformed("email", "not an e-mail address"));
    }
    let mut context = Map::new();
    if let Some(company) = non_blank(req.company_id) {
        context.insert(COMPANY_ID.to_owned(), Value::String(company));
    }
    let package = non_blank(req.test_name).map(|name| OrderedPackage {
        name: Some(name),
        ..OrderedPackage::default()
    });
    let candidate = Candidate {
        id: non_blank(req.candidate_id),
        remote_id: None,
        first_name: non_blank(req.first_name),
        last_name: non_blank(req.last_name),
        preferred_name: None,
        emails: vec![Email {
            address: email,
            kind: None,
        }],
        phones: non_blank(req.phone)
            .map(|number| Phone { number, kind: None })
            .into_iter()
            .collect(),
        location: None,
        profile_url: None,
        resume_url: None,
    };
    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant: None,
        provider_order_id: Some(report_id),
        package_id,
        package,
        candidate,
        application: None,
        job: None,
        requested_by: None,
        callback_url: None,
        received_at,
        context,
        extras: Map::new(),
        raw,
    })
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Renders packages as the tests list.
pub fn tests_from_packages(packages: &[Package]) -> Vec<Test> {
    packages
        .iter()
        .map(|p| Test {
            name: p.name.clone(),
            id: test_id(&p.id),
        })
        .collect()
}

/// A package id as written in the tests list: a JSON number when it is a
/// canonical non-negative integer (`"12"`, not `"012"`) no larger than
/// [`MAX_NUMERIC_TEST_ID`], like Recruitee's example; a string otherwise.
/// Recruitee sends it back as `test_id`, read from either form.
pub fn test_id(id: &str) -> TestId {
    let canonical = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    match id.parse::<u64>() {
        Ok(n) if canonical && n <= MAX_NUMERIC_TEST_ID => TestId::Number(n),
        _ => TestId::Text(id.to_owned()),
    }
}

/// The report `status` for a result (see the module docs).
pub fn report_status(result: &AssessmentResult) -> &'static str {
    match result.status {
        AssessmentStatus::Invited | AssessmentStatus::InProgress => SENT,
        AssessmentStatus::Completed if result.passed == Some(false) => FAILED,
        AssessmentStatus::Completed => COMPLETED,
        AssessmentStatus::Cancelled | AssessmentStatus::Expired | AssessmentStatus::Error => {
            CANCELED
        }
    }
}

/// The report `score` text for a score (see the module docs); `None` when
/// the value is not a finite number.
pub fn score_text(score: &Score) -> Option<String> {
    let value = number_text(score.value)?;
    match score.max {
        None => Some(value),
        Some(max) if max == 100.0 && score.min.is_none_or(|m| m == 0.0) => {
            Some(format!("{value}%"))
        }
        Some(max) => Some(format!("{value}/{}", number_text(max)?)),
    }
}

/// A number rounded to two decimals, without a fraction when whole.
fn number_text(n: f64) -> Option<String> {
    let rounded = (n * 100.0).round() / 100.0;
    json_number(rounded).map(|n| n.to_string())
}

/// The report fields a vendor sets itself under `extensions.recruitee`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecruiteeExtension {
    /// `subtitle`, sent as is.
    pub subtitle: Option<String>,
    /// `properties`, sent as is.
    pub properties: Option<Value>,
    /// `urls.cancel`, checked to be an absolute `http(s)` URL.
    pub cancel_url: Option<Url>,
}

/// Reads `extensions.recruitee`: an object with any of `subtitle` (text),
/// `properties` (any JSON value) and `urls` (an object whose only key is
/// `cancel`, an absolute `http(s)` URL). Anything else is refused
/// ([`Error::Config`]) rather than dropped.
pub fn extension(result: &AssessmentResult) -> Result<RecruiteeExtension, Error> {
    let Some(ext) = result.extension(PROVIDER) else {
        return Ok(RecruiteeExtension::default());
    };
    let bad = |what: &str| Error::config(format!("extensions.{PROVIDER}: {what}"));
    let Value::Object(ext) = ext else {
        return Err(bad(
            "must be an object such as {\"subtitle\": \"…\", \"urls\": {\"cancel\": \"…\"}}",
        ));
    };
    let mut out = RecruiteeExtension::default();
    for (key, value) in ext {
        match (key.as_str(), value) {
            (_, Value::Null) => {}
            ("subtitle", Value::String(s)) => out.subtitle = non_blank(Some(s.clone())),
            ("subtitle", _) => return Err(bad("`subtitle` must be text")),
            ("properties", v) => out.properties = Some(v.clone()),
            ("urls", Value::Object(urls)) => {
                for (name, url) in urls {
                    match (name.as_str(), url) {
                        (_, Value::Null) => {}
                        ("cancel", Value::String(u)) => {
                            let url = Url::parse(u.trim())
                                .ok()
                                .filter(|u| matches!(u.scheme(), "http" | "https"))
                                .ok_or_else(|| {
                                    bad("`urls.cancel` must be an absolute http(s) URL")
                                })?;
                            out.cancel_url = Some(url);
                        }
                        (other, _) => {
                            return Err(bad(&format!(
                                "`urls.{other}` is not a link this adapter sends (only `urls.cancel`, as text)"
                            )));
                        }
                    }
                }
            }
            ("urls", _) => return Err(bad("`urls` must be an object")),
            (other, _) => {
                return Err(bad(&format!(
                    "`{other}` is not a field this adapter sends (only `subtitle`, `properties`, `urls`)"
                )));
            }
        }
    }
    Ok(out)
}

/// Renders a result as the body of the report `PATCH` (see the module
/// docs). A `subtitle` or `properties` set in `extensions.recruitee` for a
/// background or reference check partner is refused ([`Error::Config`]):
/// Recruitee does not take them for those kinds.
pub fn report_update(result: &AssessmentResult, kind: PartnerKind) -> Result<ReportUpdate, Error> {
    let ext = extension(result)?;
    if !kind.has_report_details() && (ext.subtitle.is_some() || ext.properties.is_some()) {
        return Err(Error::config(format!(
            "extensions.{PROVIDER}: `subtitle` and `properties` are not available for {} partners",
            kind.as_str()
        )));
    }
    let status = report_status(result);
    let finished = matches!(status, COMPLETED | FAILED);
    let derived_subtitle = (finished && kind.has_report_details())
        .then(|| non_blank(result.grade.clone()))
        .flatten();
    Ok(ReportUpdate {
        status: Some(status.to_owned()),
        score: if finished {
            result.score.as_ref().and_then(score_text)
        } else {
            None
        },
        completed_at: if finished {
            result
                .completed_at
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        } else {
            None
        },
        subtitle: ext.subtitle.or(derived_subtitle),
        properties: ext.properties,
        urls: ext.cancel_url.map(|u| ReportUrls {
            cancel: Some(u.to_string()),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn body() -> Value {
        json!({
            "first_name": "Ilse", "last_name": "Vermeulen",
            "email": "ilse.vermeulen@example.com",
            "candidate_id": 48213, "company_id": 7731,
            "report_id": "5f0c2a7e-3b1d-4c8e-9a42-61d0b7e9c3f5",
            "test_id": "2", "test_name": "Ruby"
        })
    }

    fn order(body: &Value) -> Result<AssessmentOrder, Error> {
        send_candidate_to_order(body.to_string().as_bytes(), at("2026-01-01T00:00:00Z"))
    }

    #[test]
    fn send_candidate_maps_every_field() {
        let o = order(&body()).unwrap();
        assert_eq!(o.provider, "recruitee");
        assert_eq!(
            o.provider_order_id.as_deref(),
            Some("5f0c2a7e-3b1d-4c8e-9a42-61d0b7e9c3f5")
        );
        assert_eq!(o.package_id, "2");
        assert_eq!(o.package.unwrap().name.as_deref(), Some("Ruby"));
        assert_eq!(o.candidate.id.as_deref(), Some("48213"));
        assert_eq!(o.candidate.first_name.as_deref(), Some("Ilse"));
        assert_eq!(o.candidate.last_name.as_deref(), Some("Vermeulen"));
        assert_eq!(
            o.candidate.primary_email(),
            Some("ilse.vermeulen@example.com")
        );
        assert_eq!(Value::Object(o.context), json!({"company_id": "7731"}));
        assert!(o.extras.is_empty());
        assert_eq!(o.raw, body());
        assert_eq!(o.received_at, at("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn send_candidate_requires_report_test_and_email() {
        for (key, path) in [
            ("report_id", "report_id"),
            ("test_id", "test_id"),
            ("email", "email"),
        ] {
            let mut b = body();
            b.as_object_mut().unwrap().remove(key);
            let e = order(&b).unwrap_err();
            assert!(
                matches!(e, Error::Malformed { path: ref p, .. } if p == path),
                "{key}: {e}"
            );
            assert!(e.is_missing_field(), "{key}: {e}");
            let mut b = body();
            b[key] = json!(" ");
            assert!(order(&b).unwrap_err().is_missing_field(), "{key}");
        }
    }

    #[test]
    fn send_candidate_refuses_bad_values_with_their_path() {
        let mut b = body();
        b["email"] = json!("ilse.vermeulen");
        assert_eq!(
            order(&b).unwrap_err().to_string(),
            "malformed payload at `email`: not an e-mail address"
        );
        for bad in ["..", "a/b", "a?b", "a\tb"] {
            let mut b = body();
            b["report_id"] = json!(bad);
            let e = order(&b).unwrap_err();
            assert_eq!(
                e.to_string(),
                "malformed payload at `report_id`: cannot be used as an id in the report URL",
                "{bad:?}"
            );
        }
        let mut b = body();
        b["test_id"] = json!(true);
        assert!(matches!(
            order(&b).unwrap_err(),
            Error::Malformed { ref path, .. } if path == "test_id"
        ));
        let e = send_candidate_to_order(b"[]", at("2026-01-01T00:00:00Z")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `.`: expected a JSON object, found an array"
        );
    }

    #[test]
    fn send_candidate_accepts_numbers_nulls_and_extra_inputs() {
        let b = json!({"email": "t.okafor@example.net", "report_id": "r-1", "test_id": 3,
                       "first_name": null, "phone": "+31 20 555 0142", "admin": {"id": 5}});
        let o = order(&b).unwrap();
        assert_eq!(o.package_id, "3");
        assert_eq!(o.package, None);
        assert_eq!(o.candidate.first_name, None);
        assert_eq!(o.candidate.id, None);
        assert_eq!(o.candidate.phones[0].number, "+31 20 555 0142");
        assert!(o.context.is_empty());
        assert_eq!(o.raw.to_value().unwrap()["admin"], json!({"id": 5}));
    }

    #[test]
    fn test_ids_are_numbers_only_when_canonical() {
        assert_eq!(test_id("2"), TestId::Number(2));
        assert_eq!(test_id("0"), TestId::Number(0));
        assert_eq!(test_id("007"), TestId::Text("007".into()));
        assert_eq!(test_id("-1"), TestId::Text("-1".into()));
        assert_eq!(test_id(""), TestId::Text(String::new()));
        assert_eq!(
            test_id("9007199254740991"),
            TestId::Number(MAX_NUMERIC_TEST_ID)
        );
        assert_eq!(
            test_id("9007199254740992"),
            TestId::Text("9007199254740992".into())
        );
        let list = tests_from_packages(&[
            Package::new("1", "JavaScript"),
            Package::new("pg", "PostgreSQL"),
        ]);
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"[{"name":"JavaScript","id":1},{"name":"PostgreSQL","id":"pg"}]"#
        );
    }

    #[test]
    fn every_status_has_a_report_status() {
        use AssessmentStatus::*;
        let names: Vec<_> = [Invited, InProgress, Completed, Cancelled, Expired, Error]
            .into_iter()
            .map(|s| report_status(&AssessmentResult::with_status(s)))
            .collect();
        assert_eq!(
            names,
            [
                "sent",
                "sent",
                "completed",
                "canceled",
                "canceled",
                "canceled"
            ]
        );
        let mut r = AssessmentResult::with_status(Completed);
        r.passed = Some(false);
        assert_eq!(report_status(&r), "failed");
        r.passed = Some(true);
        assert_eq!(report_status(&r), "completed");
    }

    #[test]
    fn scores_follow_recruitees_three_forms() {
        let s =
            |value: f64, min: Option<f64>, max: Option<f64>| score_text(&Score { value, min, max });
        assert_eq!(s(10.0, None, None).as_deref(), Some("10"));
        assert_eq!(s(76.0, None, Some(100.0)).as_deref(), Some("76%"));
        assert_eq!(s(76.0, Some(0.0), Some(100.0)).as_deref(), Some("76%"));
        assert_eq!(s(12.0, None, Some(15.0)).as_deref(), Some("12/15"));
        assert_eq!(s(2.0 / 3.0, None, Some(1.0)).as_deref(), Some("0.67/1"));
        assert_eq!(
            s(50.0, Some(-100.0), Some(100.0)).as_deref(),
            Some("50/100")
        );
        assert_eq!(s(f64::NAN, None, None), None);
        assert_eq!(s(3.0, None, Some(f64::INFINITY)), None);
    }

    #[test]
    fn completed_result_renders_exact_bytes() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score::out_of(84.0, 100.0));
        r.passed = Some(true);
        r.grade = Some("Strong hire".into());
        r.summary = Some("not sent".into());
        r.report_url = Some(Url::parse("https://assess.example.com/r/1").unwrap());
        r.completed_at = Some(at("2026-01-10T10:17:05Z"));
        let body =
            serde_json::to_string(&report_update(&r, PartnerKind::Assessment).unwrap()).unwrap();
        assert_eq!(
            body,
            r#"{"status":"completed","score":"84%","completed_at":"2026-01-10T10:17:05Z","subtitle":"Strong hire"}"#
        );
        r.completed_at = Some(at("2022-10-06T18:22:26.927622Z"));
        let u = report_update(&r, PartnerKind::BackgroundCheck).unwrap();
        assert_eq!(
            u.completed_at.as_deref(),
            Some("2022-10-06T18:22:26.927622Z")
        );
        assert_eq!(u.subtitle, None);
    }

    #[test]
    fn unfinished_statuses_send_status_and_links_only() {
        for (status, text) in [
            (AssessmentStatus::Invited, "sent"),
            (AssessmentStatus::InProgress, "sent"),
            (AssessmentStatus::Cancelled, "canceled"),
            (AssessmentStatus::Expired, "canceled"),
            (AssessmentStatus::Error, "canceled"),
        ] {
            let mut r = AssessmentResult::with_status(status);
            r.score = Some(Score::bare(5.0));
            r.grade = Some("B".into());
            r.completed_at = Some(at("2026-01-10T10:17:05Z"));
            r.extensions.insert(
                "recruitee".into(),
                json!({"urls": {"cancel": "https://assess.example.com/cancel/9"}}),
            );
            let body = serde_json::to_string(&report_update(&r, PartnerKind::Assessment).unwrap())
                .unwrap();
            assert_eq!(
                body,
                format!(
                    r#"{{"status":"{text}","urls":{{"cancel":"https://assess.example.com/cancel/9"}}}}"#
                )
            );
        }
    }

    #[test]
    fn extension_sets_subtitle_and_properties() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.passed = Some(false);
        r.score = Some(Score::out_of(12.0, 15.0));
        r.grade = Some("C".into());
        r.extensions.insert(
            "recruitee".into(),
            json!({"subtitle": "Backend, 45 minutes", "properties": [{"Language": "Ruby"}]}),
        );
        let body =
            serde_json::to_string(&report_update(&r, PartnerKind::Assessment).unwrap()).unwrap();
        assert_eq!(
            body,
            r#"{"status":"failed","score":"12/15","subtitle":"Backend, 45 minutes","properties":[{"Language":"Ruby"}]}"#
        );
        let e = report_update(&r, PartnerKind::ReferenceCheck).unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: extensions.recruitee: `subtitle` and `properties` are not available for reference_check partners"
        );
    }

    #[test]
    fn either_report_detail_alone_is_refused_for_checks() {
        for ext in [
            json!({"subtitle": "Backend"}),
            json!({"properties": [{"Language": "Ruby"}]}),
        ] {
            let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
            r.extensions.insert("recruitee".into(), ext.clone());
            assert!(
                matches!(
                    report_update(&r, PartnerKind::BackgroundCheck),
                    Err(Error::Config { .. })
                ),
                "{ext}"
            );
            assert!(report_update(&r, PartnerKind::Assessment).is_ok(), "{ext}");
        }
    }

    #[test]
    fn an_email_needs_both_sides_of_the_at_and_no_space() {
        assert!(looks_like_email("ilse@example.com"));
        for bad in [
            "@example.com",
            "ilse@",
            "ilse vermeulen@example.com",
            "ilse@exa mple.com",
            "ilse.example.com",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn extension_refuses_what_it_does_not_send() {
        for (ext, want) in [
            (json!("x"), "must be an object"),
            (json!({"subtitle": 3}), "`subtitle` must be text"),
            (json!({"urls": []}), "`urls` must be an object"),
            (
                json!({"urls": {"report": "https://a.example.com"}}),
                "`urls.report`",
            ),
            (
                json!({"urls": {"cancel": "/relative"}}),
                "absolute http(s) URL",
            ),
            (
                json!({"urls": {"cancel": "ftp://a.example.com/x"}}),
                "absolute http(s) URL",
            ),
            (json!({"score": "10"}), "`score` is not a field"),
        ] {
            let mut r = AssessmentResult::with_status(AssessmentStatus::Invited);
            r.extensions.insert("recruitee".into(), ext.clone());
            let e = extension(&r).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{ext}: {e}");
            assert!(e.to_string().contains(want), "{ext}: {e}");
        }
        let mut r = AssessmentResult::with_status(AssessmentStatus::Invited);
        r.extensions.insert(
            "recruitee".into(),
            json!({"subtitle": null, "urls": {"cancel": null}}),
        );
        assert_eq!(extension(&r).unwrap(), RecruiteeExtension::default());
    }
}
