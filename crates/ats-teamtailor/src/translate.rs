//! Pure translation between Teamtailor's wire structs and the core model: no
//! I/O, no clock, no credentials.
//!
//! ## Status mapping
//!
//! A partner result's `status` is one of `sending`, `sent`, `pending`,
//! `completed` and `failed` (Teamtailor's partner-results docs). The core
//! statuses map onto them as follows; the mapping of `cancelled` and
//! `expired` is the adapter's choice (Teamtailor has no such status), and
//! the reason is sent as `summary` so the recruiter sees why.
//!
//! | core [`AssessmentStatus`] | → `status` sent to Teamtailor | `summary` when the result has none |
//! |---|---|---|
//! | `invited` | `sent` | – |
//! | `in_progress` | `pending` | – |
//! | `completed` | `completed` | – |
//! | `cancelled` | `failed` | `status_reason`, else `Cancelled` |
//! | `expired` | `failed` | `status_reason`, else `Expired` |
//! | `error` | `failed` | `status_reason`, else `The assessment could not be carried out` |
//!
//! | Teamtailor `status` | → core [`AssessmentStatus`] ([`core_status`]) |
//! |---|---|
//! | `sending`, `sent` | `invited` |
//! | `pending` | `in_progress` |
//! | `completed` | `completed` |
//! | `failed` | `error` |
//! | anything else | none |
//!
//! ## Results
//!
//! `assessment.score` is a whole number between 0 and 100: a core score
//! with a maximum is sent as its percentage, one without as it is, both
//! rounded to the nearest whole number; a score outside 0–100 is refused
//! before sending.
//! `assessment.grade` is sent only when the core grade is one of
//! Teamtailor's values ([`GRADES`]); another grade goes into `details`
//! under `Grade`. `duration` is the seconds from `started_at` to
//! `completed_at`. `details` (at most two levels deep) holds `Passed`
//! (`true`/`false`), each section (label → number, `"40 / 50"`, pass/fail or
//! summary) and each attribute (label → value). Attachments given by URL
//! become `{url, description}`; inline ones have no Teamtailor form and are
//! left out. `job-id` is the webhook's `candidate.job.id`.

use ats_core::codec::{check_result_items, decode_json_with_raw, json_number, non_blank, required};
use ats_core::{
    AssessmentOrder, AssessmentResult, AssessmentStatus, AttachmentSource, AttributeValue,
    Candidate, Email, Error, Job, Package, PackagesRequest, Person, Phone, RawJson, Score,
    UrlPolicy,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use url::Url;

use crate::wire::{
    Assessment, ConfigField, ConfigOption, ConfigResponse, FormConfig, PartnerResultAttributes,
    PartnerResultData, PartnerResultDocument, ResultAttachment, WebhookRequest, WebhookResponse,
    WebhookResultAttributes,
};

/// The adapter's name.
pub const PROVIDER: &str = "teamtailor";

/// The JSON:API type of a partner result.
pub const PARTNER_RESULTS: &str = "partner-results";

/// Partner result status: being sent to the candidate.
pub const SENDING: &str = "sending";
/// Partner result status: sent to the candidate.
pub const SENT: &str = "sent";
/// Partner result status: the candidate is working on it.
pub const PENDING: &str = "pending";
/// Partner result status: results are available.
pub const COMPLETED: &str = "completed";
/// Partner result status: the assessment did not come to a result.
pub const FAILED: &str = "failed";

/// The grades Teamtailor takes in `assessment.grade`.
pub const GRADES: [&str; 4] = ["top_fit", "might_be_fit", "might_not_be_fit", "unknown"];

/// The id of the field of the config form that holds the package: the
/// picked value arrives as `webhook-data.test`.
pub const TEST_FIELD: &str = "test";

/// Keys of [`AssessmentOrder::context`] (they come back in the handle).
pub mod context {
    /// The partner result's id.
    pub const PARTNER_RESULT_ID: &str = "partner_result_id";
    /// `candidate.job.id` as Teamtailor sent it (number or text), sent back
    /// as `job-id`.
    pub const JOB_ID: &str = "job_id";
}

/// `GET /config` carries no payload: it is a request for the tenant's packages.
pub fn packages_request() -> PackagesRequest {
    PackagesRequest {
        provider: PROVIDER.to_owned(),
        tenant: None,
    }
}

/// Renders packages as the `GET /config` answer: one `select` field, id
/// [`TEST_FIELD`], one option per package.
pub fn config_response(packages: &[Package]) -> ConfigResponse {
    ConfigResponse {
        config: FormConfig {
            fields: vec![ConfigField {
                id: TEST_FIELD.to_owned(),
                label: "Test".to_owned(),
                placeholder: Some("Select test".to_owned()),
                kind: "select".to_owned(),
                options: packages
                    .iter()
                    .map(|p| ConfigOption {
                        id: p.id.clone(),
                        label: p.name.clone(),
                    })
                    .collect(),
            }],
        },
    }
}

/// Translates a `POST /webhook` body into an order.
///
/// Required: `partner-event.id`, `partner-event.partner-result.id`,
/// `partner-event.webhook-data.test` (a string or a number) and
/// `partner-event.candidate.email`. `partner-result.update-url`, when sent,
/// must be an absolute URL allowed by `callback_policy` (it is where the
/// result is written); when absent, the result goes to the configured
/// API base. The partner result's id is the order's `provider_order_id`.
pub fn webhook_to_order(
    body: &[u8],
    received_at: DateTime<Utc>,
    callback_policy: &UrlPolicy,
) -> Result<AssessmentOrder, Error> {
    let (req, raw): (WebhookRequest, RawJson) = decode_json_with_raw(body)?;
    let event = req
        .partner_event
        .ok_or_else(|| Error::missing("partner-event"))?;
    required(event.id.as_deref(), "partner-event.id")?;
    let result = event
        .partner_result
        .ok_or_else(|| Error::missing("partner-event.partner-result"))?;
    let result_id = required(result.id.as_deref(), "partner-event.partner-result.id")?
        .trim()
        .to_owned();
    let data = event.webhook_data.unwrap_or_default();
    let package_id = match data.get(TEST_FIELD) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err(Error::missing("partner-event.webhook-data.test"));
        }
        Some(_) => {
            return Err(Error::malformed(
                "partner-event.webhook-data.test",
                "expected a string or a number",
            ));
        }
    };
    let candidate = event
        .candidate
        .ok_or_else(|| Error::missing("partner-event.candidate"))?;
    let email = required(candidate.email.as_deref(), "partner-event.candidate.email")?.trim();
    if !looks_like_email(email) {
        return Err(Error::malformed(
            "partner-event.candidate.email",
            "not an e-mail address",
        ));
    }
    let callback_url = match non_blank(result.update_url) {
        Some(text) => {
            let url = Url::parse(text.trim()).map_err(|e| {
                Error::malformed(
                    "partner-event.partner-result.update-url",
                    format!("not an absolute URL: {e}"),
                )
            })?;
            callback_policy.check(&url)?;
            Some(url)
        }
        None => None,
    };
    let mut context = Map::new();
    context.insert(
        context::PARTNER_RESULT_ID.to_owned(),
        Value::String(result_id.clone()),
    );
    if let Some(id) = candidate.job.as_ref().and_then(|job| job.id.clone()) {
        context.insert(context::JOB_ID.to_owned(), id);
    }
    let mut extras = Map::new();
    extras.insert("webhook_data".to_owned(), Value::Object(data));
    let (job, requested_by) = match candidate.job {
        Some(job) => {
            for (key, value) in [
                ("stage_id", job.stage_id),
                ("stage", job.stage),
                ("trigger_id", job.trigger_id),
            ] {
                if let Some(v) = non_blank(value) {
                    extras.insert(key.to_owned(), Value::String(v));
                }
            }
            let requested_by = job.triggered_by.and_then(|t| {
                let person = Person {
                    id: non_blank(t.id),
                    email: non_blank(t.email),
                    first_name: non_blank(t.name),
                    ..Person::default()
                };
                (person != Person::default()).then_some(person)
            });
            let hiring_team = candidate
                .recruiter
                .and_then(|r| {
                    let person = Person {
                        first_name: non_blank(r.name),
                        email: non_blank(r.email),
                        roles: vec!["recruiter".to_owned()],
                        ..Person::default()
                    };
                    (person.first_name.is_some() || person.email.is_some()).then_some(person)
                })
                .into_iter()
                .collect();
            let job = Job {
                id: non_blank(job.id.map(|id| match id {
                    Value::String(text) => text,
                    other => other.to_string(),
                })),
                name: non_blank(job.title),
                hiring_team,
                ..Job::default()
            };
            (Some(job), requested_by)
        }
        None => (None, None),
    };
    if let Some(company) = req.company {
        for (key, value) in [
            ("company_uuid", company.uuid),
            ("company_name", company.name),
        ] {
            if let Some(v) = non_blank(value) {
                extras.insert(key.to_owned(), Value::String(v));
            }
        }
    }
    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant: None,
        provider_order_id: Some(result_id),
        package_id,
        package: None,
        candidate: Candidate {
            id: non_blank(candidate.id),
            remote_id: non_blank(candidate.uuid),
            first_name: non_blank(candidate.first_name),
            last_name: non_blank(candidate.last_name),
            emails: vec![Email {
                address: email.to_owned(),
                kind: None,
            }],
            phones: non_blank(candidate.phone)
                .map(|number| Phone { number, kind: None })
                .into_iter()
                .collect(),
            resume_url: candidate.resume.and_then(|r| non_blank(r.url)),
            ..Candidate::default()
        },
        application: None,
        job,
        requested_by,
        callback_url,
        received_at,
        context,
        extras,
        raw,
    })
}

/// The answer to an accepted webhook: the partner result becomes `sent`.
pub fn accepted_response() -> WebhookResponse {
    WebhookResponse {
        partner_result_attributes: WebhookResultAttributes {
            status: Some(SENT.to_owned()),
        },
    }
}

/// The partner result `status` for a core status (see the module docs).
pub fn teamtailor_status(status: AssessmentStatus) -> &'static str {
    match status {
        AssessmentStatus::Invited => SENT,
        AssessmentStatus::InProgress => PENDING,
        AssessmentStatus::Completed => COMPLETED,
        AssessmentStatus::Cancelled | AssessmentStatus::Expired | AssessmentStatus::Error => FAILED,
    }
}

/// The core status for a partner result `status` (see the module docs);
/// `None` for a value this crate does not know. Case and surrounding blanks
/// are ignored.
pub fn core_status(status: &str) -> Option<AssessmentStatus> {
    match status.trim().to_ascii_lowercase().as_str() {
        SENDING | SENT => Some(AssessmentStatus::Invited),
        PENDING => Some(AssessmentStatus::InProgress),
        COMPLETED => Some(AssessmentStatus::Completed),
        FAILED => Some(AssessmentStatus::Error),
        _ => None,
    }
}

/// Renders a status change or result as the body of `PUT {update-url}`.
///
/// `job_id` is the webhook's `candidate.job.id` (from the order's context).
/// A score outside 0–100 (after conversion to a percentage) is refused
/// ([`Error::Config`]) before anything is sent.
pub fn update_document(
    partner_result_id: &str,
    job_id: Option<&Value>,
    result: &AssessmentResult,
) -> Result<PartnerResultDocument, Error> {
    check_result_items(result)?;
    let summary = non_blank(result.summary.clone()).or_else(|| match result.status {
        AssessmentStatus::Cancelled => Some(reason(result, "Cancelled")),
        AssessmentStatus::Expired => Some(reason(result, "Expired")),
        AssessmentStatus::Error => Some(reason(result, "The assessment could not be carried out")),
        _ => None,
    });
    let score = match result.score {
        Some(s) => Some(score_percent(&s)?),
        None => None,
    };
    let grade = result.grade.as_deref().and_then(|g| {
        let g = g.trim();
        GRADES.into_iter().find(|w| w.eq_ignore_ascii_case(g))
    });
    let mut details = Map::new();
    if let (Some(g), None) = (non_blank(result.grade.clone()), grade) {
        details.insert("Grade".to_owned(), Value::String(g));
    }
    if let Some(passed) = result.passed {
        details.insert("Passed".to_owned(), Value::Bool(passed));
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
        (Some(start), Some(end)) => u64::try_from((end - start).num_seconds()).ok(),
        _ => None,
    };
    let assessment = Assessment {
        score,
        grade: grade.map(str::to_owned),
        duration,
    };
    let attachments = result
        .attachments
        .iter()
        .filter_map(|a| match &a.source {
            AttachmentSource::Url { url } => Some(ResultAttachment {
                url: url.to_string(),
                description: a.name.clone(),
            }),
            AttachmentSource::Inline { .. } => None,
        })
        .collect();
    Ok(PartnerResultDocument {
        data: PartnerResultData {
            kind: PARTNER_RESULTS.to_owned(),
            id: partner_result_id.to_owned(),
            attributes: PartnerResultAttributes {
                status: Some(teamtailor_status(result.status).to_owned()),
                summary,
                job_id: job_id.filter(|v| v.is_number() || v.is_string()).cloned(),
                url: result.report_url.as_ref().map(Url::to_string),
                assessment: (assessment != Assessment::default()).then_some(assessment),
                details: (!details.is_empty()).then_some(details),
                attachments,
            },
        },
    })
}

fn reason(result: &AssessmentResult, default: &str) -> String {
    non_blank(result.status_reason.clone()).unwrap_or_else(|| default.to_owned())
}

/// `assessment.score` for a core score: its percentage when it has a
/// maximum, else its value; refused when not between 0 and 100, then
/// rounded to a whole number (Teamtailor's partner result object types the
/// score as an integer).
pub fn score_percent(score: &Score) -> Result<Value, Error> {
    let value = match score.max {
        Some(_) => score.percent().ok_or_else(|| {
            Error::config("a Teamtailor score's maximum must be greater than zero")
        })?,
        None => score.value,
    };
    if !(0.0..=100.0).contains(&value) {
        return Err(Error::config(format!(
            "Teamtailor takes assessment.score between 0 and 100, not {value}"
        )));
    }
    json_number(value.round())
        .map(Value::Number)
        .ok_or_else(|| Error::config("the score is not a finite number"))
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

fn number_text(n: f64) -> Option<String> {
    match number_value(n)? {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Attachment, Attribute, Section};
    use chrono::TimeZone;

    fn policy() -> UrlPolicy {
        UrlPolicy::https_hosts(crate::builder::DEFAULT_CALLBACK_HOSTS)
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    const BODY: &str = r#"{"partner-event":{"id":"ev-1","webhook-data":{"test":"rust-90","threshold":"75"},
        "partner-result":{"id":"pr-1","status":"sending","update-url":"https://api.teamtailor.com/partner/v1/partner-results/pr-1"},
        "candidate":{"id":54321,"uuid":"u-1","first-name":"Ada","last-name":"Quill","email":" ada@example.com ","phone":"+46 70 000 00 00",
          "job":{"id":12345,"title":"Backend Engineer","stage-id":7,"stage":"Screening","trigger-id":9,
                 "triggered-by":{"id":31,"email":"rec@example.org","name":"Rae"}},
          "recruiter":{"name":"Rae","email":"rec@example.org"},
          "resume":{"file-name":"cv.pdf","url":"https://files.example.com/cv.pdf"}}},
        "company":{"uuid":"c-1","name":"Acme"}}"#;

    #[test]
    fn webhook_becomes_an_order() {
        let o = webhook_to_order(BODY.as_bytes(), at(), &policy()).unwrap();
        assert_eq!(o.package_id, "rust-90");
        assert_eq!(o.provider_order_id.as_deref(), Some("pr-1"));
        assert_eq!(o.candidate.id.as_deref(), Some("54321"));
        assert_eq!(o.candidate.remote_id.as_deref(), Some("u-1"));
        assert_eq!(o.candidate.primary_email(), Some("ada@example.com"));
        assert_eq!(
            o.candidate.resume_url.as_deref(),
            Some("https://files.example.com/cv.pdf")
        );
        assert_eq!(
            o.callback_url.as_ref().map(Url::as_str),
            Some("https://api.teamtailor.com/partner/v1/partner-results/pr-1")
        );
        let job = o.job.unwrap();
        assert_eq!(job.id.as_deref(), Some("12345"));
        assert_eq!(job.hiring_team[0].roles, vec!["recruiter".to_owned()]);
        assert_eq!(
            o.requested_by.unwrap().email.as_deref(),
            Some("rec@example.org")
        );
        assert_eq!(o.context["partner_result_id"], Value::from("pr-1"));
        assert_eq!(o.context["job_id"], Value::from(12345));
        assert_eq!(o.extras["stage_id"], Value::from("7"));
        assert_eq!(o.extras["trigger_id"], Value::from("9"));
        assert_eq!(o.extras["webhook_data"]["threshold"], Value::from("75"));
        assert_eq!(o.extras["company_uuid"], Value::from("c-1"));
    }

    #[test]
    fn required_fields_are_named() {
        let cases = [
            (r#"{}"#, "partner-event"),
            (r#"{"partner-event":{}}"#, "partner-event.id"),
            (
                r#"{"partner-event":{"id":"e"}}"#,
                "partner-event.partner-result",
            ),
            (
                r#"{"partner-event":{"id":"e","partner-result":{"id":" "}}}"#,
                "partner-event.partner-result.id",
            ),
            (
                r#"{"partner-event":{"id":"e","partner-result":{"id":"p"},"webhook-data":{"test":""}}}"#,
                "partner-event.webhook-data.test",
            ),
            (
                r#"{"partner-event":{"id":"e","partner-result":{"id":"p"},"webhook-data":{"test":1}}}"#,
                "partner-event.candidate",
            ),
            (
                r#"{"partner-event":{"id":"e","partner-result":{"id":"p"},"webhook-data":{"test":1},"candidate":{"email":null}}}"#,
                "partner-event.candidate.email",
            ),
        ];
        for (body, path) in cases {
            let e = webhook_to_order(body.as_bytes(), at(), &policy()).unwrap_err();
            assert!(e.is_missing_field(), "{body}: {e}");
            assert!(
                matches!(e, Error::Malformed { path: ref p, .. } if p == path),
                "{body}: {e}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_an_email_address() {
        for bad in [
            "no-at-sign",
            "@example.com",
            "ada@",
            "ada quill@example.com",
        ] {
            let body = BODY.replace(" ada@example.com ", bad);
            let e = webhook_to_order(body.as_bytes(), at(), &policy()).unwrap_err();
            assert!(
                matches!(e, Error::Malformed { ref path, .. } if path == "partner-event.candidate.email"),
                "{bad}: {e}"
            );
            assert!(!e.is_missing_field(), "{bad}: {e}");
        }
    }

    #[test]
    fn a_recruiter_needs_a_name_or_an_email() {
        let only_email = BODY.replace(r#""recruiter":{"name":"Rae","#, r#""recruiter":{"#);
        let o = webhook_to_order(only_email.as_bytes(), at(), &policy()).unwrap();
        let team = o.job.unwrap().hiring_team;
        assert_eq!(team.len(), 1);
        assert_eq!(team[0].first_name, None);
        assert_eq!(team[0].email.as_deref(), Some("rec@example.org"));
        let only_name = BODY.replace(r#","email":"rec@example.org"}"#, "}");
        let o = webhook_to_order(only_name.as_bytes(), at(), &policy()).unwrap();
        let team = o.job.unwrap().hiring_team;
        assert_eq!(team.len(), 1);
        assert_eq!(team[0].first_name.as_deref(), Some("Rae"));
        let neither = BODY.replace(
            r#""recruiter":{"name":"Rae","email":"rec@example.org"}"#,
            r#""recruiter":{"name":" "}"#,
        );
        let o = webhook_to_order(neither.as_bytes(), at(), &policy()).unwrap();
        assert!(o.job.unwrap().hiring_team.is_empty());
    }

    #[test]
    fn section_scores_in_details() {
        let section = |score: Score| Section {
            id: "s".into(),
            label: "S".into(),
            score: Some(score),
            passed: None,
            summary: None,
        };
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.sections = vec![section(Score::out_of(40.0, 100.0))];
        let shown = |r: &AssessmentResult| {
            update_document("pr-1", None, r)
                .unwrap()
                .data
                .attributes
                .details
                .unwrap()["S"]
                .clone()
        };
        assert_eq!(shown(&r), Value::from(40));
        r.sections = vec![section(Score {
            value: 40.0,
            min: Some(0.0),
            max: Some(100.0),
        })];
        assert_eq!(shown(&r), Value::from(40));
        r.sections = vec![section(Score {
            value: 2.5,
            min: Some(-5.0),
            max: Some(10.0),
        })];
        assert_eq!(shown(&r), Value::from("2.5 / 10 (from -5)"));
        r.sections = vec![section(Score {
            value: 40.0,
            min: Some(-5.0),
            max: Some(100.0),
        })];
        assert_eq!(shown(&r), Value::from("40 / 100 (from -5)"));
        r.sections = vec![section(Score::bare(7.0))];
        assert_eq!(shown(&r), Value::from(7));
    }

    #[test]
    fn refuses_foreign_or_plain_http_update_urls() {
        for url in [
            "https://attacker.example/partner/v1/partner-results/pr-1",
            "http://api.teamtailor.com/partner/v1/partner-results/pr-1",
            "https://api.teamtailor.com:8443/partner/v1/partner-results/pr-1",
        ] {
            let body = BODY.replace(
                "https://api.teamtailor.com/partner/v1/partner-results/pr-1",
                url,
            );
            let e = webhook_to_order(body.as_bytes(), at(), &policy()).unwrap_err();
            assert!(matches!(e, Error::UntrustedUrl { .. }), "{url}: {e}");
        }
        for host in ["api.na.teamtailor.com", "api.au.teamtailor.com"] {
            let body = BODY.replace("api.teamtailor.com", host);
            assert!(webhook_to_order(body.as_bytes(), at(), &policy()).is_ok());
        }
    }

    #[test]
    fn status_mapping_both_ways() {
        use AssessmentStatus::*;
        let rows = [
            (Invited, "sent"),
            (InProgress, "pending"),
            (Completed, "completed"),
            (Cancelled, "failed"),
            (Expired, "failed"),
            (Error, "failed"),
        ];
        for (core, tt) in rows {
            assert_eq!(teamtailor_status(core), tt);
        }
        assert_eq!(core_status("sending"), Some(Invited));
        assert_eq!(core_status(" SENT "), Some(Invited));
        assert_eq!(core_status("pending"), Some(InProgress));
        assert_eq!(core_status("completed"), Some(Completed));
        assert_eq!(core_status("failed"), Some(Error));
        assert_eq!(core_status("rejected"), None);
    }

    #[test]
    fn a_completed_result_in_full() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score::out_of(42.0, 50.0));
        r.grade = Some("Top_Fit".into());
        r.passed = Some(true);
        r.summary = Some("Strong".into());
        r.report_url = Some(Url::parse("https://assess.example.com/r/1").unwrap());
        r.started_at = Some(at());
        r.completed_at = Some(at() + chrono::Duration::seconds(1934));
        r.sections = vec![Section {
            id: "algo".into(),
            label: "Algorithms".into(),
            score: Some(Score::out_of(40.0, 50.0)),
            passed: None,
            summary: None,
        }];
        r.attributes = vec![Attribute {
            id: "lang".into(),
            label: "Language".into(),
            value: AttributeValue::Text("Rust".into()),
        }];
        r.attachments = vec![
            Attachment {
                name: "Report".into(),
                content_type: None,
                source: AttachmentSource::Url {
                    url: Url::parse("https://assess.example.com/r/1.pdf").unwrap(),
                },
            },
            Attachment {
                name: "inline".into(),
                content_type: None,
                source: AttachmentSource::Inline {
                    data_base64: "AA==".into(),
                },
            },
        ];
        let d = update_document("pr-1", Some(&Value::from(12345)), &r).unwrap();
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"data":{"type":"partner-results","id":"pr-1","attributes":{"status":"completed","summary":"Strong","job-id":12345,"url":"https://assess.example.com/r/1","assessment":{"score":84,"grade":"top_fit","duration":1934},"details":{"Passed":true,"Algorithms":"40 / 50","Language":"Rust"},"attachments":[{"url":"https://assess.example.com/r/1.pdf","description":"Report"}]}}}"#
        );
    }

    #[test]
    fn failures_carry_a_reason_and_free_grades_go_to_details() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Expired);
        let d = update_document("pr-1", None, &r).unwrap();
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"data":{"type":"partner-results","id":"pr-1","attributes":{"status":"failed","summary":"Expired"}}}"#
        );
        r.status = AssessmentStatus::Cancelled;
        r.status_reason = Some("Withdrawn by the candidate".into());
        let d = update_document("pr-1", None, &r).unwrap();
        assert_eq!(
            d.data.attributes.summary.as_deref(),
            Some("Withdrawn by the candidate")
        );
        r.status = AssessmentStatus::Error;
        r.status_reason = None;
        let d = update_document("pr-1", None, &r).unwrap();
        assert_eq!(
            d.data.attributes.summary.as_deref(),
            Some("The assessment could not be carried out")
        );
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.grade = Some("A+".into());
        r.score = Some(Score::bare(77.456));
        let d = update_document("pr-1", Some(&Value::Bool(true)), &r).unwrap();
        assert_eq!(
            serde_json::to_string(&d.data.attributes).unwrap(),
            r#"{"status":"completed","assessment":{"score":77},"details":{"Grade":"A+"}}"#
        );
    }

    #[test]
    fn scores_outside_the_range_are_refused() {
        for s in [
            Score::bare(100.5),
            Score::bare(100.4),
            Score::bare(-0.4),
            Score::bare(-1.0),
            Score::out_of(60.0, 50.0),
            Score::out_of(1.0, 0.0),
            Score::bare(f64::NAN),
        ] {
            let e = score_percent(&s).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{s:?}");
        }
        assert_eq!(
            score_percent(&Score::bare(100.0)).unwrap(),
            Value::from(100)
        );
        assert_eq!(score_percent(&Score::bare(0.0)).unwrap(), Value::from(0));
        // a whole number, never a fraction
        for (score, sent) in [
            (Score::out_of(1.0, 3.0), 33),
            (Score::out_of(2.0, 3.0), 67),
            (Score::bare(99.5), 100),
            (Score::bare(0.49), 0),
        ] {
            let value = score_percent(&score).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), sent.to_string());
        }
    }

    #[test]
    fn config_lists_packages_as_one_select() {
        let c = config_response(&[Package::new("1", "Algorithms"), Package::new("sql", "SQL")]);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"config":{"fields":[{"id":"test","label":"Test","placeholder":"Select test","type":"select","options":[{"id":"1","label":"Algorithms"},{"id":"sql","label":"SQL"}]}]}}"#
        );
    }
}
