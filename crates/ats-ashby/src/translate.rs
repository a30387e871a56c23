//! Pure translation between Ashby's wire structs and the core model.
//!
//! These functions are public so that adapters relaying Ashby traffic (Knit
//! puts Ashby's own `assessment.start` body in its webhooks, and writes
//! results back through Ashby's `assessment.update`) translate it exactly as
//! this crate does: [`start_to_order`] / [`start_value_to_order`] and
//! [`update_body`] / [`update_request`].
//!
//! ## Status mapping
//!
//! Ashby defines no status enumeration. `assessment_status` is a free
//! `AssessmentData` whose value Ashby shows; only `"Started"` has a
//! documented effect (Ashby records the start time). Completion is signalled
//! by sending `assessment_result`, cancellation by sending `cancelled_reason`.
//!
//! Core → Ashby (`assessment.update`):
//!
//! | core [`AssessmentStatus`] | `assessment_status.value` | also sent |
//! |---|---|---|
//! | `invited` | `Invited` | |
//! | `in_progress` | `Started` | |
//! | `completed` | `Completed` | `assessment_result` and `assessment_profile_url` (a `report_url` is required) |
//! | `cancelled` | `Cancelled` | `cancelled_reason` (the `status_reason`, else a default text) |
//! | `expired` | `Expired` | `cancelled_reason`: Ashby has no expiry, cancellation is its only ending besides completion |
//! | `error` | `Error` | `cancelled_reason`, for the same reason |
//!
//! Ashby → core: Ashby never reports a status to the vendor. A cancellation
//! in Ashby arrives as `assessment.cancel` (→ [`Cancellation`]). For reading
//! an update body back (logs, the optional `update_request`),
//! [`status_of_update`] inverts the table: `assessment_result` present →
//! `completed`; `cancelled_reason` present → `expired` / `error` when the
//! status value says so, else `cancelled`; otherwise the status value
//! (`Invited`, `Started` → `in_progress`, …, compared case-insensitively).
//!
//! ## Result mapping (`AssessmentData` identifiers)
//!
//! | core | Ashby field | identifier | type |
//! |---|---|---|---|
//! | status | `assessment_status` | `status` | `string` |
//! | `report_url` | `assessment_profile_url` | `report_url` | `url` |
//! | completed: `score`, else `passed`, else `grade`, else `summary`, else the text `Completed` | `assessment_result` | `score` / `passed` / `grade` / `summary` / `result` | `numeric_score` / `boolean_success` / `string` |
//! | `score` (when not the result, e.g. a partial score in progress) | `metadata` | `score` | `numeric_score` |
//! | `score.max` | `metadata` (and the score's `description`, "Out of N") | `score_max` | `numeric_score` |
//! | `score.min` | `metadata` | `score_min` | `numeric_score` |
//! | `candidate_url` (the candidate's link to the assessment) | `metadata` | `candidate_url` | `url` |
//! | `passed`, `grade`, `summary` (when not the result) | `metadata` | `passed`, `grade`, `summary` | `boolean_success`, `string`, `string` |
//! | `started_at` + `completed_at` | `metadata` | `duration` | `numeric_duration_minutes` |
//! | `status_reason` (cancelled / expired / error) | `cancelled_reason` | `cancelled_reason` | `string` |
//! | `status_reason` (other statuses) | `metadata` | `status_reason` | `string` |
//! | `sections[]` | `metadata` | `section_<id>` | `numeric_score` (score), else `boolean_success` (passed), else `string` (summary) |
//! | `attributes[]` | `metadata` | `attribute_<id>` | bool → `boolean_success`, number → `numeric_score`, http(s) URL → `url`, text → `string` |
//! | `attachments[]` with a URL | `metadata` | `attachment_<n>` (1-based) | `url` |
//!
//! Inline (base64) attachments have no Ashby field and are not sent. Whole
//! numbers are written as JSON integers (`84`, not `84.0`). Two values with
//! the same identifier (e.g. two sections with one id) are refused with
//! [`Error::Config`], since Ashby requires identifiers to be unique.

use ats_core::codec::{at_most_opt, check_result_items, json_number, non_blank, non_blank_str};
use std::collections::BTreeSet;

use ats_core::codec::{decode_json, decode_json_with_raw, required};
use ats_core::{
    Application, AssessmentOrder, AssessmentResult, AssessmentStatus, AttachmentSource,
    AttributeValue, Cancellation, Candidate, Email, Error, Ignored, Job, OrderHandle, OrderRef,
    Package, PackagesRequest, Person, RawJson, Score,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::{
    AddCompletedRequest, AssessmentData, AssessmentDataType, AssessmentType, CancelRequest,
    CompletedAssessmentBody, DataValue, HiringTeamMember, StartRequest, UpdateRequest,
};

/// The adapter's name.
pub const PROVIDER: &str = "ashby";

/// The key under which `additional_fields` is kept in
/// [`AssessmentOrder::extras`].
pub const ADDITIONAL_FIELDS: &str = "additional_fields";

/// `assessment.list` carries no payload: it asks for the tenant's packages.
pub fn packages_request() -> PackagesRequest {
    PackagesRequest {
        provider: PROVIDER.to_owned(),
        tenant: None,
    }
}

/// Checks the body of a call with no documented fields (`assessment.list`,
/// `assessment.customField.list`): empty, or any JSON object.
pub fn empty_request(body: &[u8]) -> Result<(), Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    decode_json::<Map<String, Value>>(body).map(|_| ())
}

/// `assessment.customField.list` is a configuration call the adapter answers
/// itself, with the custom fields configured on the builder.
pub fn custom_fields_requested(operation: &str) -> Ignored {
    Ignored {
        provider: PROVIDER.to_owned(),
        tenant: None,
        event_type: operation.to_owned(),
        reason: "configuration call, answered with the custom fields configured on the adapter"
            .to_owned(),
    }
}

/// Translates an `assessment.start` body into an order.
///
/// Required: `assessment_type_id` (the package) and a `candidate` object.
/// Everything else is optional, even where Ashby's schema marks it required,
/// because real traffic omits it (no `ashby_profile_url` / `ashby_job_url`
/// in bodies relayed by Knit) or carries values outside the documented enum
/// (`application.status` `"IN_REVIEW"`, kept as text). An order without an
/// e-mail address is translated; the vendor decides whether to reject it
/// (a 422 whose message Ashby shows).
///
/// `additional_fields` is kept, as sent, under
/// [`ADDITIONAL_FIELDS`] in [`AssessmentOrder::extras`]. Ashby sends no id of
/// its own for the order (the vendor mints `assessment_id`) and no callback
/// URL. The provider is `ashby` and `raw` the body.
pub fn start_to_order(body: &[u8], received_at: DateTime<Utc>) -> Result<AssessmentOrder, Error> {
    let (request, raw): (StartRequest, RawJson) = decode_json_with_raw(body)?;
    start_request_to_order(request, raw, received_at)
}

/// [`start_to_order`] for a body relayed inside another provider's payload
/// (an aggregator's `originData`), whose text that payload's own `raw`
/// already keeps: the body is read once, into the wire struct only, and the
/// order's `raw` is `null` for the caller to set.
pub fn relayed_start_to_order(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<AssessmentOrder, Error> {
    let request: StartRequest = decode_json(body)?;
    start_request_to_order(request, RawJson::null(), received_at)
}

/// [`start_to_order`] for a body that is already parsed (an `originData`
/// object inside another provider's payload). Error paths are relative to
/// `value`.
pub fn start_value_to_order(
    value: &Value,
    received_at: DateTime<Utc>,
) -> Result<AssessmentOrder, Error> {
    let bytes = serde_json::to_vec(value).map_err(|e| Error::malformed(".", e.to_string()))?;
    start_to_order(&bytes, received_at)
}

fn start_request_to_order(
    request: StartRequest,
    raw: RawJson,
    received_at: DateTime<Utc>,
) -> Result<AssessmentOrder, Error> {
    let package_id =
        required(request.assessment_type_id.as_deref(), "assessment_type_id")?.to_owned();
    let c = request
        .candidate
        .ok_or_else(|| Error::missing("candidate"))?;
    let candidate = Candidate {
        id: non_blank(c.ashby_id),
        remote_id: None,
        first_name: non_blank(c.first_name),
        last_name: non_blank(c.last_name),
        preferred_name: None,
        emails: non_blank(c.email)
            .map(|address| Email {
                address,
                kind: None,
            })
            .into_iter()
            .collect(),
        phones: Vec::new(),
        location: None,
        profile_url: non_blank(c.ashby_profile_url),
        resume_url: None,
    };
    let application = request
        .application
        .map(|a| Application {
            id: non_blank(a.ashby_id),
            remote_id: None,
            status: non_blank(a.status),
            url: None,
        })
        .filter(|a| a != &Application::default());
    if let Some(j) = &request.job {
        at_most_opt(j.hiring_team.as_ref(), "job.hiringTeam")?;
    }
    let job = request
        .job
        .map(|j| Job {
            id: non_blank(j.ashby_id),
            remote_id: None,
            name: non_blank(j.name),
            description: None,
            requisition_id: non_blank(j.req_id),
            url: non_blank(j.ashby_job_url),
            location: None,
            hiring_team: j
                .hiring_team
                .unwrap_or_default()
                .into_iter()
                .map(team_member)
                .filter(|p| p != &Person::default())
                .collect(),
        })
        .filter(|j| j != &Job::default());
    let mut extras = Map::new();
    if let Some(fields) = request.additional_fields.filter(|v| !v.is_null()) {
        extras.insert(ADDITIONAL_FIELDS.to_owned(), fields);
    }
    Ok(AssessmentOrder {
        provider: PROVIDER.to_owned(),
        tenant: None,
        provider_order_id: None,
        package_id,
        package: None,
        candidate,
        application,
        job,
        requested_by: None,
        callback_url: None,
        received_at,
        context: Map::new(),
        extras,
        raw,
    })
}

fn team_member(m: HiringTeamMember) -> Person {
    Person {
        id: non_blank(m.user_id),
        first_name: non_blank(m.first_name),
        last_name: non_blank(m.last_name),
        email: non_blank(m.email),
        roles: non_blank(m.role).into_iter().collect(),
    }
}

/// Translates an `assessment.cancel` body (`{"assessment_id": …}`, the
/// vendor's id) into a cancellation.
pub fn cancel_to_cancellation(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<Cancellation, Error> {
    let (request, raw): (CancelRequest, RawJson) = decode_json_with_raw(body)?;
    let id = required(request.assessment_id.as_deref(), "assessment_id")?;
    Ok(Cancellation {
        provider: PROVIDER.to_owned(),
        tenant: None,
        order: OrderRef::vendor(id),
        reason: None,
        received_at,
        raw,
    })
}

/// Renders packages as `assessment.list` results. A package without a
/// description is listed with an empty one (Ashby shows all three fields).
pub fn assessment_types(packages: &[Package]) -> Vec<AssessmentType> {
    packages
        .iter()
        .map(|p| AssessmentType {
            assessment_type_id: p.id.clone(),
            name: p.name.clone(),
            description: p.description.clone().unwrap_or_default(),
        })
        .collect()
}

/// The `assessment_status` value for a core status (see the module docs).
pub fn status_value(status: AssessmentStatus) -> &'static str {
    match status {
        AssessmentStatus::Invited => "Invited",
        AssessmentStatus::InProgress => "Started",
        AssessmentStatus::Completed => "Completed",
        AssessmentStatus::Cancelled => "Cancelled",
        AssessmentStatus::Expired => "Expired",
        AssessmentStatus::Error => "Error",
    }
}

/// The core status an `assessment_status` value stands for
/// (case-insensitive); `None` for text this adapter does not write.
pub fn status_from_value(value: &str) -> Option<AssessmentStatus> {
    let v = value.trim().to_ascii_lowercase();
    Some(match v.as_str() {
        "invited" => AssessmentStatus::Invited,
        "started" => AssessmentStatus::InProgress,
        "completed" => AssessmentStatus::Completed,
        "cancelled" => AssessmentStatus::Cancelled,
        "expired" => AssessmentStatus::Expired,
        "error" => AssessmentStatus::Error,
        _ => return None,
    })
}

/// The core status an `assessment.update` body conveys (the inverse of
/// [`update_body`]; see the module docs).
pub fn status_of_update(update: &UpdateRequest) -> Option<AssessmentStatus> {
    let stated = update
        .assessment_status
        .as_ref()
        .and_then(|d| match &d.value {
            DataValue::Text(t) => status_from_value(t),
            _ => None,
        });
    if update.assessment_result.is_some() {
        return Some(AssessmentStatus::Completed);
    }
    if update.cancelled_reason.is_some() {
        return Some(match stated {
            Some(s @ (AssessmentStatus::Expired | AssessmentStatus::Error)) => s,
            _ => AssessmentStatus::Cancelled,
        });
    }
    stated
}

/// Milliseconds since the Unix epoch, Ashby's timestamp format.
pub fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Builds the `assessment.update` body for an order's handle: the
/// assessment id is the vendor's ([`OrderHandle::vendor_assessment_id`], the
/// id the `assessment.start` answer gave Ashby).
pub fn update_request(
    handle: &OrderHandle,
    result: &AssessmentResult,
    at: DateTime<Utc>,
) -> Result<UpdateRequest, Error> {
    let id = handle
        .vendor_assessment_id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            Error::config(
                "the order handle has no vendor_assessment_id (the assessment_id given to Ashby)",
            )
        })?;
    update_body(id, result, at)
}

/// Builds the `assessment.update` body for `assessment_id`, a result and the
/// time of the update (see the module docs for every field).
///
/// A completed result without a `report_url` is refused ([`Error::IncompleteResult`]):
/// Ashby requires `assessment_profile_url` with `assessment_result`.
pub fn update_body(
    assessment_id: &str,
    result: &AssessmentResult,
    at: DateTime<Utc>,
) -> Result<UpdateRequest, Error> {
    if assessment_id.trim().is_empty() {
        return Err(Error::config("empty Ashby assessment_id"));
    }
    let built = build(result, true)?;
    Ok(UpdateRequest {
        assessment_id: assessment_id.to_owned(),
        timestamp: millis(at),
        assessment_status: Some(built.status),
        assessment_result: built.result,
        assessment_profile_url: built.profile_url,
        cancelled_reason: built.cancelled_reason,
        metadata: (!built.metadata.is_empty()).then_some(built.metadata),
    })
}

/// The `update_request` of the `assessment.start` answer for an acceptance:
/// `None` unless the vendor gave the candidate's link, else an
/// `assessment.update` body with status `Invited` and the link in
/// `metadata` (identifier `candidate_url`, type `url`), at `at`. Ashby's
/// schema gives the start answer no other place for the link.
pub fn start_update(
    acceptance: &ats_core::Acceptance,
    at: DateTime<Utc>,
) -> Result<Option<UpdateRequest>, Error> {
    let Some(link) = &acceptance.candidate_url else {
        return Ok(None);
    };
    let mut invited = AssessmentResult::with_status(AssessmentStatus::Invited);
    invited.candidate_url = Some(link.clone());
    update_body(&acceptance.vendor_assessment_id, &invited, at).map(Some)
}

/// A completed assessment that did not start with `assessment.start`, for
/// `assessment.addCompletedToCandidate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletedAssessment {
    /// Ashby's candidate id.
    pub candidate_id: String,
    /// The assessment type (a package id).
    pub assessment_type_id: String,
    /// The vendor's id of the completed assessment.
    pub assessment_id: String,
    /// The name Ashby shows for it.
    pub assessment_name: String,
    /// The result; its status must be `completed`.
    pub result: AssessmentResult,
}

/// Builds the `assessment.addCompletedToCandidate` body.
///
/// `result` is chosen as for `assessment_result` in [`update_body`]; the
/// report URL (there is no profile-URL field here) and every other value go
/// to `metadata`. `timestamp` is the result's `completed_at`, else `now`.
pub fn add_completed_body(
    partner_id: &str,
    completed: &CompletedAssessment,
    now: DateTime<Utc>,
) -> Result<AddCompletedRequest, Error> {
    for (value, what) in [
        (partner_id, "partner id"),
        (completed.candidate_id.as_str(), "candidate id"),
        (completed.assessment_type_id.as_str(), "assessment type id"),
        (completed.assessment_id.as_str(), "assessment id"),
        (completed.assessment_name.as_str(), "assessment name"),
    ] {
        if value.trim().is_empty() {
            return Err(Error::config(format!(
                "assessment.addCompletedToCandidate needs a non-empty {what}"
            )));
        }
    }
    if completed.result.status != AssessmentStatus::Completed {
        return Err(Error::config(format!(
            "assessment.addCompletedToCandidate takes completed assessments only, not `{}`",
            completed.result.status
        )));
    }
    let built = build(&completed.result, false)?;
    let result = built
        .result
        .ok_or_else(|| Error::config("a completed assessment has a result"))?;
    let mut metadata: Vec<AssessmentData> = built.profile_url.into_iter().collect();
    metadata.extend(built.metadata);
    Ok(AddCompletedRequest {
        candidate_id: completed.candidate_id.clone(),
        partner_id: partner_id.to_owned(),
        assessment: CompletedAssessmentBody {
            assessment_type_id: completed.assessment_type_id.clone(),
            assessment_id: completed.assessment_id.clone(),
            assessment_name: completed.assessment_name.clone(),
            result,
            metadata,
        },
        timestamp: millis(completed.result.completed_at.unwrap_or(now)),
    })
}

/// The pieces of an update, before they are put in a body.
struct Built {
    status: AssessmentData,
    result: Option<AssessmentData>,
    profile_url: Option<AssessmentData>,
    cancelled_reason: Option<AssessmentData>,
    metadata: Vec<AssessmentData>,
}

/// Which of the result's values became `assessment_result`.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Headline {
    Score,
    Passed,
    Grade,
    Summary,
    Fixed,
    None,
}

/// Collects `AssessmentData` and refuses duplicate identifiers.
#[derive(Default)]
struct Identifiers(BTreeSet<String>);

impl Identifiers {
    fn claim(&mut self, data: AssessmentData) -> Result<AssessmentData, Error> {
        if self.0.insert(data.identifier.clone()) {
            Ok(data)
        } else {
            Err(Error::config(format!(
                "two values share the Ashby identifier `{}`; identifiers must be unique",
                data.identifier
            )))
        }
    }
}

fn build(result: &AssessmentResult, require_profile_url: bool) -> Result<Built, Error> {
    check_result_items(result)?;
    use AssessmentDataType as T;
    let mut ids = Identifiers::default();
    let status = ids.claim(data(
        "status",
        "Status",
        None,
        T::String,
        text(status_value(result.status)),
    ))?;
    let completed = result.status == AssessmentStatus::Completed;
    let profile_url = match &result.report_url {
        Some(url) => Some(ids.claim(data(
            "report_url",
            "Report",
            None,
            T::Url,
            text(url.as_str()),
        ))?),
        None if completed && require_profile_url => {
            return Err(Error::incomplete_result(
                PROVIDER,
                "a report_url (a completed Ashby assessment is sent with its assessment_profile_url)",
            ));
        }
        None => None,
    };

    let grade = non_blank_str(result.grade.as_deref());
    let summary = non_blank_str(result.summary.as_deref());
    let (headline, assessment_result) = if !completed {
        (Headline::None, None)
    } else if let Some(score) = result.score {
        (Headline::Score, Some(score_data(score)?))
    } else if let Some(passed) = result.passed {
        (
            Headline::Passed,
            Some(data(
                "passed",
                "Passed",
                None,
                T::BooleanSuccess,
                DataValue::Bool(passed),
            )),
        )
    } else if let Some(grade) = grade {
        (
            Headline::Grade,
            Some(data("grade", "Grade", None, T::String, text(grade))),
        )
    } else if let Some(summary) = summary {
        (
            Headline::Summary,
            Some(data("summary", "Summary", None, T::String, text(summary))),
        )
    } else {
        (
            Headline::Fixed,
            Some(data("result", "Result", None, T::String, text("Completed"))),
        )
    };
    let assessment_result = assessment_result.map(|d| ids.claim(d)).transpose()?;

    let ends_without_result = matches!(
        result.status,
        AssessmentStatus::Cancelled | AssessmentStatus::Expired | AssessmentStatus::Error
    );
    let reason = non_blank_str(result.status_reason.as_deref());
    let cancelled_reason = if ends_without_result {
        let value = reason.unwrap_or(match result.status {
            AssessmentStatus::Expired => {
                "The invitation expired before the candidate completed the assessment"
            }
            AssessmentStatus::Error => "The assessment could not be carried out",
            _ => "The assessment was cancelled",
        });
        Some(ids.claim(data(
            "cancelled_reason",
            "Cancellation reason",
            None,
            T::String,
            text(value),
        ))?)
    } else {
        None
    };

    let mut metadata = Vec::new();
    let mut push = |d: AssessmentData| -> Result<(), Error> {
        metadata.push(ids.claim(d)?);
        Ok(())
    };
    if let Some(score) = result.score {
        if headline != Headline::Score {
            push(score_data(score)?)?;
        }
        if let Some(max) = score.max {
            push(data(
                "score_max",
                "Maximum score",
                None,
                T::NumericScore,
                number(max, "score.max")?,
            ))?;
        }
    }
    if let Some(passed) = result.passed.filter(|_| headline != Headline::Passed) {
        push(data(
            "passed",
            "Passed",
            None,
            T::BooleanSuccess,
            DataValue::Bool(passed),
        ))?;
    }
    if let Some(grade) = grade.filter(|_| headline != Headline::Grade) {
        push(data("grade", "Grade", None, T::String, text(grade)))?;
    }
    if let Some(summary) = summary.filter(|_| headline != Headline::Summary) {
        push(data("summary", "Summary", None, T::String, text(summary)))?;
    }
    if let (Some(start), Some(end)) = (result.started_at, result.completed_at)
        && end >= start
    {
        let minutes = (end - start).num_seconds() as f64 / 60.0;
        push(data(
            "duration",
            "Time taken",
            None,
            T::NumericDurationMinutes,
            number((minutes * 10.0).round() / 10.0, "duration")?,
        ))?;
    }
    if let Some(min) = result.score.and_then(|s| s.min) {
        push(data(
            "score_min",
            "Minimum score",
            None,
            T::NumericScore,
            number(min, "score.min")?,
        ))?;
    }
    if let Some(link) = &result.candidate_url {
        push(data(
            "candidate_url",
            "Assessment link",
            None,
            T::Url,
            text(link.as_str()),
        ))?;
    }
    if let Some(reason) = reason.filter(|_| !ends_without_result) {
        push(data(
            "status_reason",
            "Status reason",
            None,
            T::String,
            text(reason),
        ))?;
    }
    for s in &result.sections {
        let identifier = format!("section_{}", s.id);
        let summary = non_blank_str(s.summary.as_deref());
        let d = if let Some(score) = s.score {
            let description = match (summary, score.max) {
                (Some(text), Some(max)) => Some(format!("{text} (out of {})", show(max))),
                (Some(text), None) => Some(text.to_owned()),
                (None, Some(max)) => Some(format!("Out of {}", show(max))),
                (None, None) => None,
            };
            data(
                &identifier,
                &s.label,
                description,
                T::NumericScore,
                number(score.value, "section score")?,
            )
        } else if let Some(passed) = s.passed {
            data(
                &identifier,
                &s.label,
                summary.map(str::to_owned),
                T::BooleanSuccess,
                DataValue::Bool(passed),
            )
        } else if let Some(summary) = summary {
            data(&identifier, &s.label, None, T::String, text(summary))
        } else {
            continue;
        };
        push(d)?;
    }
    for a in &result.attributes {
        let identifier = format!("attribute_{}", a.id);
        let (data_type, value) = match &a.value {
            AttributeValue::Bool(b) => (T::BooleanSuccess, DataValue::Bool(*b)),
            AttributeValue::Number(n) => (T::NumericScore, number(*n, "attribute value")?),
            AttributeValue::Text(t) if is_web_url(t) => (T::Url, text(t)),
            AttributeValue::Text(t) => (T::String, text(t)),
        };
        push(data(&identifier, &a.label, None, data_type, value))?;
    }
    let mut n = 0;
    for attachment in &result.attachments {
        if let AttachmentSource::Url { url } = &attachment.source {
            n += 1;
            push(data(
                &format!("attachment_{n}"),
                &attachment.name,
                None,
                T::Url,
                text(url.as_str()),
            ))?;
        }
    }
    Ok(Built {
        status,
        result: assessment_result,
        profile_url,
        cancelled_reason,
        metadata,
    })
}

fn score_data(score: Score) -> Result<AssessmentData, Error> {
    Ok(data(
        "score",
        "Score",
        score.max.map(|max| format!("Out of {}", show(max))),
        AssessmentDataType::NumericScore,
        number(score.value, "score")?,
    ))
}

fn data(
    identifier: &str,
    label: &str,
    description: Option<String>,
    data_type: AssessmentDataType,
    value: DataValue,
) -> AssessmentData {
    AssessmentData {
        identifier: identifier.to_owned(),
        label: label.to_owned(),
        description,
        data_type,
        value,
    }
}

fn text(value: &str) -> DataValue {
    DataValue::Text(value.to_owned())
}

/// Whole numbers as JSON integers (`84`, not `84.0`), others as floats;
/// NaN and infinities are refused (JSON cannot carry them).
fn number(value: f64, what: &str) -> Result<DataValue, Error> {
    json_number(value)
        .map(DataValue::Number)
        .ok_or_else(|| Error::config(format!("{what} is not a finite number")))
}

/// A number as people write it (`100`, `7.5`).
fn show(value: f64) -> String {
    match number(value, "") {
        Ok(DataValue::Number(n)) => n.to_string(),
        _ => value.to_string(),
    }
}

fn is_web_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && !text.contains(' '))
}
#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::{Attachment, Attribute, Section};
    use serde_json::json;
    use url::Url;

    fn at() -> DateTime<Utc> {
        "2026-01-12T09:30:00Z".parse().unwrap()
    }

    fn full_start() -> Value {
        json!({
            "assessment_type_id": "6f0d3c1e-8a52-4c1b-9b8e-2f4a7d9e1c01",
            "candidate": {
                "ashby_id": "0d7c9f52-3b1a-4e8e-a6a2-51f0c2b9d7e4",
                "first_name": "Marisol",
                "last_name": "Quenby",
                "email": "marisol.quenby@example.com",
                "ashby_profile_url": "https://app.ashbyhq.com/candidates/0d7c9f52"
            },
            "application": {"ashby_id": "a91e3b27", "status": "Active"},
            "job": {
                "ashby_id": "5c2e8d14",
                "name": "Senior Backend Engineer",
                "req_id": "ENG-2026-014",
                "ashby_job_url": "https://app.ashbyhq.com/jobs/5c2e8d14",
                "hiringTeam": [
                    {"userId": "e3f1a2b4", "firstName": "Tobias", "lastName": "Wrenfield",
                     "email": "tobias.wrenfield@example.com", "role": "Hiring Manager"}
                ]
            },
            "additional_fields": {"department": "eng", "skills": ["rust", "sql"]}
        })
    }

    #[test]
    fn a_relayed_start_is_the_same_order_without_its_text() {
        let body = full_start().to_string();
        let mut direct = start_to_order(body.as_bytes(), at()).unwrap();
        let relayed = relayed_start_to_order(body.as_bytes(), at()).unwrap();
        assert!(relayed.raw.is_null());
        assert_eq!(direct.raw.to_value().unwrap(), full_start());
        direct.raw = RawJson::null();
        assert_eq!(relayed, direct);
        // refused the same way
        let e = relayed_start_to_order(br#"{"candidate": {}}"#, at()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `assessment_type_id`: required field is missing or empty"
        );
    }

    #[test]
    fn start_maps_every_field() {
        let body = full_start();
        let o = start_to_order(body.to_string().as_bytes(), at()).unwrap();
        assert_eq!(o.provider, "ashby");
        assert_eq!(o.package_id, "6f0d3c1e-8a52-4c1b-9b8e-2f4a7d9e1c01");
        assert_eq!(o.provider_order_id, None);
        assert_eq!(
            o.candidate.id.as_deref(),
            Some("0d7c9f52-3b1a-4e8e-a6a2-51f0c2b9d7e4")
        );
        assert_eq!(o.candidate.full_name().as_deref(), Some("Marisol Quenby"));
        assert_eq!(
            o.candidate.primary_email(),
            Some("marisol.quenby@example.com")
        );
        assert_eq!(
            o.candidate.profile_url.as_deref(),
            Some("https://app.ashbyhq.com/candidates/0d7c9f52")
        );
        let app = o.application.clone().unwrap();
        assert_eq!(
            (app.id.as_deref(), app.status.as_deref()),
            (Some("a91e3b27"), Some("Active"))
        );
        let job = o.job.clone().unwrap();
        assert_eq!(job.id.as_deref(), Some("5c2e8d14"));
        assert_eq!(job.name.as_deref(), Some("Senior Backend Engineer"));
        assert_eq!(job.requisition_id.as_deref(), Some("ENG-2026-014"));
        assert_eq!(
            job.url.as_deref(),
            Some("https://app.ashbyhq.com/jobs/5c2e8d14")
        );
        assert_eq!(
            job.hiring_team,
            vec![Person {
                id: Some("e3f1a2b4".into()),
                first_name: Some("Tobias".into()),
                last_name: Some("Wrenfield".into()),
                email: Some("tobias.wrenfield@example.com".into()),
                roles: vec!["Hiring Manager".into()],
            }]
        );
        assert_eq!(
            o.extras[ADDITIONAL_FIELDS],
            json!({"department": "eng", "skills": ["rust", "sql"]})
        );
        assert!(o.context.is_empty());
        assert_eq!(o.callback_url, None);
        assert_eq!(o.raw, body);
        assert_eq!(o.received_at, at());
    }

    #[test]
    fn start_is_lenient_with_relayed_bodies() {
        // the shape Knit relays: no profile or job URL, status outside the enum
        let body = json!({
            "application": {"ashby_id": "6f1d3c2a", "status": "IN_REVIEW"},
            "assessment_type_id": "frontend-react-90",
            "candidate": {"ashby_id": "0b7e4f19", "email": "mara@example.com",
                          "first_name": "Mara", "last_name": "Lindqvist"},
            "job": {"ashby_id": "c4a9e2d7", "name": "Senior Frontend Engineer"}
        });
        let o = start_value_to_order(&body, at()).unwrap();
        assert_eq!(o.package_id, "frontend-react-90");
        assert_eq!(o.candidate.profile_url, None);
        assert_eq!(o.application.unwrap().status.as_deref(), Some("IN_REVIEW"));
        let job = o.job.unwrap();
        assert_eq!((job.url, job.hiring_team.len()), (None, 0));
        assert!(o.extras.is_empty());
        assert_eq!(o.raw, body);
    }

    #[test]
    fn start_requires_type_id_and_candidate_only() {
        let e = start_to_order(br#"{"candidate":{"email":"a@example.com"}}"#, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "assessment_type_id"),
            "{e}"
        );
        let e = start_to_order(br#"{"assessment_type_id":" ","candidate":{}}"#, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "assessment_type_id"),
            "{e}"
        );
        let e = start_to_order(br#"{"assessment_type_id":"t"}"#, at()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed payload at `candidate`: required field is missing or empty"
        );
        let e = start_to_order(
            br#"{"assessment_type_id":"t","candidate":{"email":7}}"#,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "candidate.email"),
            "{e}"
        );
        let e = start_to_order(
            br#"{"assessment_type_id":"t","candidate":{},"job":{"hiringTeam":[{"userId":1}]}}"#,
            at(),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "job.hiringTeam[0].userId"),
            "{e}"
        );
        // no e-mail, no application, no job: translated, the vendor decides
        let o = start_to_order(br#"{"assessment_type_id":"t","candidate":{}}"#, at()).unwrap();
        assert_eq!(o.candidate, Candidate::default());
        assert_eq!((o.application, o.job), (None, None));
    }

    #[test]
    fn cancel_refers_to_the_vendor_id() {
        let c = cancel_to_cancellation(br#"{"assessment_id":"asm_1"}"#, at()).unwrap();
        assert_eq!(c.order, OrderRef::vendor("asm_1"));
        assert_eq!(c.raw, json!({"assessment_id": "asm_1"}));
        let e = cancel_to_cancellation(br#"{"assessment_id":""}"#, at()).unwrap_err();
        assert!(matches!(e, Error::Malformed { ref path, .. } if path == "assessment_id"));
        let e = cancel_to_cancellation(b"{}", at()).unwrap_err();
        assert!(matches!(e, Error::Malformed { ref path, .. } if path == "assessment_id"));
    }

    #[test]
    fn empty_requests_accept_nothing_or_an_object() {
        empty_request(b"").unwrap();
        empty_request(b"{}").unwrap();
        empty_request(br#"{"anything": 1}"#).unwrap();
        assert!(empty_request(b"[]").is_err());
        assert!(empty_request(b"{").is_err());
    }

    #[test]
    fn packages_get_an_empty_description_when_none() {
        let t = assessment_types(&[
            Package::new("p1", "Rust").with_description("90 minutes"),
            Package::new("p2", "SQL"),
        ]);
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!([
                {"assessment_type_id": "p1", "name": "Rust", "description": "90 minutes"},
                {"assessment_type_id": "p2", "name": "SQL", "description": ""}
            ])
        );
    }

    fn completed() -> AssessmentResult {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.score = Some(Score::out_of(84.0, 100.0));
        r.passed = Some(true);
        r.grade = Some("Strong hire".into());
        r.summary = Some("Clean, well-tested service.".into());
        r.report_url = Some(Url::parse("https://assess.example.com/reports/asm_1").unwrap());
        r.started_at = Some("2026-01-12T08:00:00Z".parse().unwrap());
        r.completed_at = Some("2026-01-12T09:17:00Z".parse().unwrap());
        r.sections = vec![
            Section {
                id: "api_design".into(),
                label: "API design".into(),
                score: Some(Score::out_of(9.0, 10.0)),
                passed: None,
                summary: None,
            },
            Section {
                id: "testing".into(),
                label: "Testing".into(),
                score: None,
                passed: Some(false),
                summary: Some("No integration tests".into()),
            },
        ];
        r.attributes = vec![
            Attribute {
                id: "plagiarism".into(),
                label: "Plagiarism check".into(),
                value: AttributeValue::Bool(true),
            },
            Attribute {
                id: "percentile".into(),
                label: "Percentile".into(),
                value: AttributeValue::Number(92.5),
            },
            Attribute {
                id: "recording".into(),
                label: "Recording".into(),
                value: AttributeValue::Text("https://assess.example.com/rec/1".into()),
            },
            Attribute {
                id: "language".into(),
                label: "Language".into(),
                value: AttributeValue::Text("Rust".into()),
            },
        ];
        r.attachments = vec![
            Attachment {
                name: "report.pdf".into(),
                content_type: Some("application/pdf".into()),
                source: AttachmentSource::Url {
                    url: Url::parse("https://assess.example.com/files/report.pdf").unwrap(),
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
        r
    }

    #[test]
    fn completed_update_carries_every_value() {
        let u = update_body("asm_1", &completed(), at()).unwrap();
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({
                "assessment_id": "asm_1",
                "timestamp": 1_768_210_200_000_i64,
                "assessment_status": {"identifier": "status", "label": "Status", "type": "string", "value": "Completed"},
                "assessment_result": {"identifier": "score", "label": "Score", "description": "Out of 100", "type": "numeric_score", "value": 84},
                "assessment_profile_url": {"identifier": "report_url", "label": "Report", "type": "url", "value": "https://assess.example.com/reports/asm_1"},
                "metadata": [
                    {"identifier": "score_max", "label": "Maximum score", "type": "numeric_score", "value": 100},
                    {"identifier": "passed", "label": "Passed", "type": "boolean_success", "value": true},
                    {"identifier": "grade", "label": "Grade", "type": "string", "value": "Strong hire"},
                    {"identifier": "summary", "label": "Summary", "type": "string", "value": "Clean, well-tested service."},
                    {"identifier": "duration", "label": "Time taken", "type": "numeric_duration_minutes", "value": 77},
                    {"identifier": "section_api_design", "label": "API design", "description": "Out of 10", "type": "numeric_score", "value": 9},
                    {"identifier": "section_testing", "label": "Testing", "description": "No integration tests", "type": "boolean_success", "value": false},
                    {"identifier": "attribute_plagiarism", "label": "Plagiarism check", "type": "boolean_success", "value": true},
                    {"identifier": "attribute_percentile", "label": "Percentile", "type": "numeric_score", "value": 92.5},
                    {"identifier": "attribute_recording", "label": "Recording", "type": "url", "value": "https://assess.example.com/rec/1"},
                    {"identifier": "attribute_language", "label": "Language", "type": "string", "value": "Rust"},
                    {"identifier": "attachment_1", "label": "report.pdf", "type": "url", "value": "https://assess.example.com/files/report.pdf"}
                ]
            })
        );
        assert_eq!(status_of_update(&u), Some(AssessmentStatus::Completed));
    }

    #[test]
    fn the_result_falls_back_to_pass_grade_summary_then_text() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
        r.report_url = Some(Url::parse("https://assess.example.com/r/2").unwrap());
        let headline = |r: &AssessmentResult| {
            let u = update_body("a", r, at()).unwrap();
            let d = u.assessment_result.unwrap();
            (d.identifier, serde_json::to_value(d.value).unwrap())
        };
        assert_eq!(headline(&r), ("result".into(), json!("Completed")));
        r.summary = Some("Solid".into());
        assert_eq!(headline(&r), ("summary".into(), json!("Solid")));
        r.grade = Some("B".into());
        assert_eq!(headline(&r), ("grade".into(), json!("B")));
        r.passed = Some(false);
        assert_eq!(headline(&r), ("passed".into(), json!(false)));
        // the values not used as the result stay in metadata
        let u = update_body("a", &r, at()).unwrap();
        let ids: Vec<_> = u
            .metadata
            .unwrap()
            .into_iter()
            .map(|d| d.identifier)
            .collect();
        assert_eq!(ids, ["grade", "summary"]);
    }

    #[test]
    fn the_candidate_link_goes_into_the_start_answer() {
        let at: DateTime<Utc> = "2026-01-12T09:30:00Z".parse().unwrap();
        let mut a = ats_core::Acceptance::new("asm_1");
        assert_eq!(start_update(&a, at).unwrap(), None);
        a.candidate_url = Some(Url::parse("https://assess.example.com/take/9f3k").unwrap());
        assert_eq!(
            serde_json::to_string(&start_update(&a, at).unwrap()).unwrap(),
            r#"{"assessment_id":"asm_1","timestamp":1768210200000,"assessment_status":{"identifier":"status","label":"Status","type":"string","value":"Invited"},"metadata":[{"identifier":"candidate_url","label":"Assessment link","type":"url","value":"https://assess.example.com/take/9f3k"}]}"#
        );
        // the same link can go with any later update; a minimum goes too
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        r.candidate_url = a.candidate_url.clone();
        r.score = Some(Score {
            value: 2.0,
            min: Some(-4.0),
            max: Some(8.0),
        });
        let ids: Vec<String> = update_body("asm_1", &r, at)
            .unwrap()
            .metadata
            .unwrap()
            .into_iter()
            .map(|d| d.identifier)
            .collect();
        assert_eq!(ids, ["score", "score_max", "score_min", "candidate_url"]);
    }

    #[test]
    fn every_status_maps_and_round_trips() {
        use AssessmentStatus::*;
        for (status, value, cancelled) in [
            (Invited, "Invited", false),
            (InProgress, "Started", false),
            (Cancelled, "Cancelled", true),
            (Expired, "Expired", true),
            (Error, "Error", true),
        ] {
            let u = update_body("a", &AssessmentResult::with_status(status), at()).unwrap();
            assert_eq!(
                u.assessment_status.as_ref().unwrap().value,
                DataValue::Text(value.into())
            );
            assert_eq!(u.cancelled_reason.is_some(), cancelled, "{status}");
            assert_eq!(u.assessment_result, None);
            assert_eq!(status_of_update(&u), Some(status));
            assert_eq!(status_value(status), value);
            assert_eq!(status_from_value(&value.to_uppercase()), Some(status));
        }
        assert_eq!(status_value(Completed), "Completed");
        assert_eq!(status_from_value("Pending review"), None);
    }

    #[test]
    fn completed_is_read_back_from_its_status_value_alone() {
        assert_eq!(
            status_from_value("Completed"),
            Some(AssessmentStatus::Completed)
        );
        assert_eq!(
            status_from_value(" COMPLETED "),
            Some(AssessmentStatus::Completed)
        );
        // an update body read back without its assessment_result
        let mut u = update_body("a", &completed(), at()).unwrap();
        u.assessment_result = None;
        assert_eq!(status_of_update(&u), Some(AssessmentStatus::Completed));
    }

    #[test]
    fn each_ending_without_a_result_has_its_own_default_reason() {
        let reason = |status| {
            let u = update_body("a", &AssessmentResult::with_status(status), at()).unwrap();
            let d = u.cancelled_reason.unwrap();
            assert_eq!(
                (d.identifier.as_str(), d.label.as_str()),
                ("cancelled_reason", "Cancellation reason")
            );
            d.value
        };
        assert_eq!(
            reason(AssessmentStatus::Error),
            DataValue::Text("The assessment could not be carried out".into())
        );
        assert_eq!(
            reason(AssessmentStatus::Cancelled),
            DataValue::Text("The assessment was cancelled".into())
        );
        assert_eq!(
            reason(AssessmentStatus::Expired),
            DataValue::Text(
                "The invitation expired before the candidate completed the assessment".into()
            )
        );
    }

    #[test]
    fn cancellation_reason_defaults_and_status_reason() {
        let mut r = AssessmentResult::with_status(AssessmentStatus::Expired);
        let u = update_body("a", &r, at()).unwrap();
        assert_eq!(
            u.cancelled_reason.unwrap().value,
            DataValue::Text(
                "The invitation expired before the candidate completed the assessment".into()
            )
        );
        r.status_reason = Some("Not started within 7 days".into());
        let u = update_body("a", &r, at()).unwrap();
        assert_eq!(
            u.cancelled_reason.unwrap().value,
            DataValue::Text("Not started within 7 days".into())
        );
        assert_eq!(u.metadata, None);
        // on other statuses the reason is metadata
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        r.status_reason = Some("Paused by the candidate".into());
        r.score = Some(Score {
            value: 12.0,
            min: None,
            max: None,
        });
        let u = update_body("a", &r, at()).unwrap();
        let m = serde_json::to_value(u.metadata.unwrap()).unwrap();
        assert_eq!(
            m,
            json!([
                {"identifier": "score", "label": "Score", "type": "numeric_score", "value": 12},
                {"identifier": "status_reason", "label": "Status reason", "type": "string", "value": "Paused by the candidate"}
            ])
        );
    }

    #[test]
    fn refuses_what_ashby_would_refuse() {
        let mut r = completed();
        r.report_url = None;
        let e = update_body("a", &r, at()).unwrap_err();
        assert_eq!(e.kind(), ats_core::ErrorKind::IncompleteResult, "{e}");
        assert!(!e.is_retryable());
        assert_eq!(
            e.to_string(),
            "ashby cannot take this result without a report_url (a completed Ashby assessment is sent with its assessment_profile_url)"
        );
        let mut r = completed();
        r.sections.push(r.sections[0].clone());
        let e = update_body("a", &r, at()).unwrap_err();
        assert!(e.to_string().contains("section_api_design"), "{e}");
        let mut r = completed();
        r.score = Some(Score {
            value: f64::NAN,
            min: None,
            max: None,
        });
        assert!(matches!(
            update_body("a", &r, at()),
            Err(Error::Config { .. })
        ));
        assert!(matches!(
            update_body(" ", &completed(), at()),
            Err(Error::Config { .. })
        ));
    }

    #[test]
    fn update_request_uses_the_vendor_id() {
        let order = start_to_order(full_start().to_string().as_bytes(), at()).unwrap();
        let e = update_request(&order.handle(None), &completed(), at()).unwrap_err();
        assert!(matches!(e, Error::Config { .. }));
        let u = update_request(&order.handle(Some("asm_9")), &completed(), at()).unwrap();
        assert_eq!(u.assessment_id, "asm_9");
    }

    #[test]
    fn add_completed_moves_the_report_url_to_metadata() {
        let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
        result.score = Some(Score {
            value: 71.0,
            min: None,
            max: None,
        });
        result.report_url = Some(Url::parse("https://assess.example.com/reports/3e4f").unwrap());
        result.completed_at = Some("2026-01-13T14:02:41Z".parse().unwrap());
        let c = CompletedAssessment {
            candidate_id: "0d7c9f52".into(),
            assessment_type_id: "b2a4e6f8".into(),
            assessment_id: "3e4f5a6b".into(),
            assessment_name: "SQL Fundamentals".into(),
            result,
        };
        let body = add_completed_body("9a8b7c6d", &c, at()).unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "candidateId": "0d7c9f52",
                "partnerId": "9a8b7c6d",
                "assessment": {
                    "assessmentTypeId": "b2a4e6f8",
                    "assessmentId": "3e4f5a6b",
                    "assessmentName": "SQL Fundamentals",
                    "result": {"identifier": "score", "label": "Score", "type": "numeric_score", "value": 71},
                    "metadata": [
                        {"identifier": "report_url", "label": "Report", "type": "url", "value": "https://assess.example.com/reports/3e4f"}
                    ]
                },
                "timestamp": 1_768_312_961_000_i64
            })
        );
        let mut not_done = c.clone();
        not_done.result.status = AssessmentStatus::InProgress;
        assert!(add_completed_body("p", &not_done, at()).is_err());
        assert!(add_completed_body(" ", &c, at()).is_err());
        // no report URL is fine here, and the metadata may be empty
        let mut bare = c;
        bare.result.report_url = None;
        bare.result.completed_at = None;
        let body = add_completed_body("p", &bare, at()).unwrap();
        assert!(body.assessment.metadata.is_empty());
        assert_eq!(body.timestamp, millis(at()));
    }

    #[test]
    fn numbers_are_integers_when_whole() {
        assert_eq!(
            serde_json::to_string(&number(81.0, "x").unwrap()).unwrap(),
            "81"
        );
        assert_eq!(
            serde_json::to_string(&number(-2.25, "x").unwrap()).unwrap(),
            "-2.25"
        );
        assert!(number(f64::INFINITY, "x").is_err());
        assert_eq!(show(100.0), "100");
        assert_eq!(show(7.5), "7.5");
    }

    #[test]
    fn a_maximum_is_shown_as_its_json_number() {
        // f64's `Display` would write `-0` and `10000000000000000`
        assert_eq!(show(-0.0), "0");
        assert_eq!(show(1e16), "1e+16");
        let d = score_data(Score::out_of(3.0, 1e16)).unwrap();
        assert_eq!(d.description.as_deref(), Some("Out of 1e+16"));
        let d = score_data(Score::out_of(0.0, -0.0)).unwrap();
        assert_eq!(d.description.as_deref(), Some("Out of 0"));
    }

    #[test]
    fn only_http_and_https_text_without_spaces_is_a_url() {
        assert!(is_web_url("https://assess.example.com/rec/1"));
        assert!(is_web_url("http://assess.example.com/rec/1"));
        for text in [
            "mailto:ada@example.com",
            "urn:isbn:0451450523",
            "https://assess.example.com/rec 1",
            "Rust",
        ] {
            assert!(!is_web_url(text), "{text}");
        }
        let mut r = AssessmentResult::with_status(AssessmentStatus::InProgress);
        r.attributes = vec![Attribute {
            id: "contact".into(),
            label: "Contact".into(),
            value: AttributeValue::Text("mailto:ada@example.com".into()),
        }];
        let m = update_body("a", &r, at()).unwrap().metadata.unwrap();
        assert_eq!(m[0].data_type, AssessmentDataType::String);
    }

    #[test]
    fn repeated_items_are_capped() {
        let mut body = full_start();
        let member = body["job"]["hiringTeam"][0].clone();
        body["job"]["hiringTeam"] = Value::Array(vec![member; ats_core::codec::MAX_ITEMS + 1]);
        let e = start_to_order(body.to_string().as_bytes(), at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "job.hiringTeam"),
            "{e}"
        );
        let mut r = completed();
        let attribute = Attribute {
            id: "a".into(),
            label: "A".into(),
            value: ats_core::AttributeValue::Bool(true),
        };
        r.attributes = vec![attribute; ats_core::codec::MAX_ITEMS + 1];
        let e = update_body("asm_1", &r, at()).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { ref path, .. } if path == "attributes"),
            "{e}"
        );
    }
}
