//! StackOne wire structs, field names exactly as StackOne's API description
//! spells them on the wire (snake_case, except `statusCode` / `errorCode` in
//! error bodies). Sources and examples: `docs/providers/stackone.md`.
//!
//! StackOne marks nearly every field optional and nullable, so nearly every
//! field here is an `Option` with `#[serde(default)]`; identifiers accept a
//! string or a number; enums StackOne may extend (`application_status.value`,
//! `result.value`, `content_type.value`) are plain strings.

use ats_core::codec::opt_string_or_number;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

// ---------------------------------------------------------------------------
// The packages endpoint the vendor hosts (shaped like `GET
// /unified/ats/assessments/packages`)
// ---------------------------------------------------------------------------

/// One assessment package, as StackOne's list-packages response carries it.
///
/// All four documented fields are always written (`null` when unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentPackage {
    /// The package's identifier (the vendor's package id).
    #[serde(default)]
    pub id: Option<String>,
    /// The identifier on the provider's side (also the vendor's package id).
    #[serde(default)]
    pub remote_id: Option<String>,
    /// The name shown to recruiters.
    #[serde(default)]
    pub name: Option<String>,
    /// A longer description.
    #[serde(default)]
    pub description: Option<String>,
}

/// The list-packages response: one page of packages and the cursor of the
/// next (`null` on the last page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentPackagesPage {
    /// The packages.
    pub data: Vec<AssessmentPackage>,
    /// Cursor of the next page; always `null` here (one page holds all).
    #[serde(default)]
    pub next: Option<String>,
}

// ---------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------

/// Just the event name of a webhook delivery (used for routing).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct EventName {
    /// `ats_assessments.created`, `background_check_order.created`,
    /// `account.created`…
    pub event: String,
}

/// The two envelope fields every webhook delivery is read for, whatever
/// its event (deliveries this adapter acknowledges without acting on them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct EventSummary {
    /// The event name.
    #[serde(default)]
    pub event: Option<String>,
    /// The linked account.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub account_id: Option<String>,
}

/// A webhook delivery. StackOne does not publish the envelope of unified
/// events in full; the fields are those its webhook guide and independent
/// receivers name (see `docs/providers/stackone.md`, §8.2). Every one is
/// optional.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct WebhookEnvelope {
    /// The event name.
    #[serde(default)]
    pub event: Option<String>,
    /// The linked account the event belongs to (the tenant; sent as
    /// `x-account-id` on follow-up calls).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub account_id: Option<String>,
    /// The underlying provider (`greenhouse`, `workday`…).
    #[serde(default)]
    pub provider: Option<String>,
    /// The record type (`assessments`…).
    #[serde(default)]
    pub record_type: Option<String>,
    /// StackOne's id of the record the event is about: the order id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub record_id: Option<String>,
    /// The underlying provider's id of the record.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub record_remote_id: Option<String>,
    /// When the event happened.
    #[serde(default)]
    pub event_date: Option<String>,
    /// When the delivery was sent.
    #[serde(default)]
    pub sent_at: Option<String>,
    /// The StackOne project.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub project_id: Option<String>,
    /// The record, where the delivery carries it as `data`.
    #[serde(default)]
    pub data: Option<OrderRecord>,
    /// The record, where the delivery carries it as `event_data` (the
    /// legacy unified payload shape).
    #[serde(default)]
    pub event_data: Option<OrderRecord>,
    /// The underlying provider's own event, untouched.
    #[serde(default)]
    pub raw_event: Option<Value>,
}

/// An assessment or background-check order, as a webhook may carry it: the
/// order object of `POST /unified/ats/assessments/orders` (and the former
/// order `GET`), plus the flat `candidate_id` / `application_id` / `job_id`
/// references StackOne's guide says the payload contains.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct OrderRecord {
    /// The order id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The underlying provider's order id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// Reference to the candidate.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub candidate_id: Option<String>,
    /// Reference to the application.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub application_id: Option<String>,
    /// Reference to the job.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub job_id: Option<String>,
    /// The ordered package.
    #[serde(default)]
    pub package: Option<OrderPackage>,
    /// The application.
    #[serde(default)]
    pub application: Option<OrderApplication>,
    /// The candidate.
    #[serde(default)]
    pub candidate: Option<OrderCandidate>,
    /// The job.
    #[serde(default)]
    pub job: Option<OrderJob>,
    /// Who ordered.
    #[serde(default)]
    pub requester: Option<HiringTeamMember>,
    /// The ATS's own result URL (not called: results go through StackOne).
    #[serde(default)]
    pub results_update_url: Option<String>,
    /// Provider-specific values.
    #[serde(default)]
    pub passthrough: Option<Value>,
}

/// `order.package`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct OrderPackage {
    /// The package id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's package id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// The package name.
    #[serde(default)]
    pub name: Option<String>,
    /// The package description.
    #[serde(default)]
    pub description: Option<String>,
    /// Background checks: the tests inside the package.
    #[serde(default)]
    pub tests: Option<Vec<Value>>,
}

/// `order.application`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct OrderApplication {
    /// Application id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's application id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// Unified status.
    #[serde(default)]
    pub application_status: Option<EnumValue>,
    /// Provider-specific values.
    #[serde(default)]
    pub passthrough: Option<Value>,
}

/// `order.candidate`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct OrderCandidate {
    /// Candidate id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's candidate id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Option<Vec<EmailAddress>>,
    /// The candidate's profile in the ATS.
    #[serde(default)]
    pub profile_url: Option<String>,
    /// Provider-specific values.
    #[serde(default)]
    pub passthrough: Option<Value>,
}

/// `order.job`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct OrderJob {
    /// Job id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's job id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// The hiring team.
    #[serde(default)]
    pub hiring_team: Option<Vec<HiringTeamMember>>,
    /// Provider-specific values.
    #[serde(default)]
    pub passthrough: Option<Value>,
}

/// A hiring-team member, or the requester of an order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct HiringTeamMember {
    /// StackOne's user id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub user_id: Option<String>,
    /// The provider's user id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_user_id: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Role on the team (free text: `recruiter`, `hiring_manager`…).
    #[serde(default)]
    pub role: Option<String>,
}

/// A unified enum value: StackOne's `value` and the provider's
/// `source_value` (any JSON type).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnumValue {
    /// The unified value (open set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The provider's own value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_value: Option<Value>,
}

/// An e-mail address with its type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct EmailAddress {
    /// `personal`, `work`… (free text).
    #[serde(default)]
    pub r#type: Option<String>,
    /// The address.
    #[serde(default)]
    pub value: Option<String>,
}

/// A phone number with its type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PhoneNumber {
    /// The number.
    #[serde(default)]
    pub phone: Option<String>,
    /// `personal`, `work`, `mobile`, `home`, `unknown`, `other`… (open set).
    #[serde(default)]
    pub r#type: Option<String>,
}

// ---------------------------------------------------------------------------
// Candidate, application and job reads
// ---------------------------------------------------------------------------

/// The `{ "data": … }` wrapper of single-record reads.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RecordResponse<T> {
    /// The record.
    pub data: T,
}

/// `GET /unified/ats/candidates/{id}` → `data`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct CandidateRecord {
    /// Candidate id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's candidate id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// The candidate's e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Every e-mail address.
    #[serde(default)]
    pub emails: Option<Vec<EmailAddress>>,
    /// A single phone number (deprecated by StackOne).
    #[serde(default)]
    pub phone: Option<String>,
    /// Phone numbers.
    #[serde(default)]
    pub phone_numbers: Option<Vec<PhoneNumber>>,
    /// Country.
    #[serde(default)]
    pub country: Option<String>,
    /// Current company.
    #[serde(default)]
    pub company: Option<String>,
    /// Current title.
    #[serde(default)]
    pub title: Option<String>,
    /// The candidate's applications.
    #[serde(default)]
    pub application_ids: Option<Vec<Value>>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last change.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// The candidate inline in an application record.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ApplicationCandidate {
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Option<Vec<EmailAddress>>,
    /// Phone numbers.
    #[serde(default)]
    pub phone_numbers: Option<Vec<PhoneNumber>>,
}

/// An interview or application stage.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Stage {
    /// Stage id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's stage id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// Stage name.
    #[serde(default)]
    pub name: Option<String>,
}

/// `GET /unified/ats/applications/{id}` → `data`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ApplicationRecord {
    /// Application id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's application id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// The candidate.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub candidate_id: Option<String>,
    /// The provider's candidate id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_candidate_id: Option<String>,
    /// The job.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub job_id: Option<String>,
    /// The provider's job id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_job_id: Option<String>,
    /// Unified status (open set: `assessment`, `background_check`…).
    #[serde(default)]
    pub application_status: Option<EnumValue>,
    /// The current interview stage.
    #[serde(default)]
    pub interview_stage: Option<Stage>,
    /// The candidate, inline.
    #[serde(default)]
    pub candidate: Option<ApplicationCandidate>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last change.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `GET /unified/ats/jobs/{id}` → `data`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct JobRecord {
    /// Job id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's job id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
    /// The customer's job code (requisition id).
    #[serde(default)]
    pub code: Option<String>,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Free-text status.
    #[serde(default)]
    pub status: Option<String>,
    /// Unified status.
    #[serde(default)]
    pub job_status: Option<EnumValue>,
    /// `"true"` / `"false"` (strings) or another value.
    #[serde(default)]
    pub confidential: Option<Value>,
    /// The hiring team.
    #[serde(default)]
    pub hiring_team: Option<Vec<HiringTeamMember>>,
    /// Departments.
    #[serde(default)]
    pub department_ids: Option<Vec<Value>>,
    /// Locations.
    #[serde(default)]
    pub location_ids: Option<Vec<Value>>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last change.
    #[serde(default)]
    pub updated_at: Option<String>,
}

// ---------------------------------------------------------------------------
// Results: `PATCH /unified/ats/assessments/orders/{id}/result` and
// `PATCH /unified/ats/background_checks/orders/{id}/result` (same body)
// ---------------------------------------------------------------------------

/// The body of both result updates. Absent fields are not written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultUpdate {
    /// The outcome: `value` ∈ `initiated`, `in_progress`, `cancelled`,
    /// `completed`, `expired`, `failed`, `passed`; `source_value` the
    /// vendor's own label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<EnumValue>,
    /// The score; every part is a string (`"86"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<ResultScore>,
    /// The vendor's report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
    /// When the candidate started (ISO 8601, milliseconds, `Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// When the candidate finished (ISO 8601, milliseconds, `Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission_date: Option<String>,
    /// Free-text summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Files, by URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<ResultAttachment>>,
    /// The candidate on the vendor's side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<ResultCandidate>,
    /// Forwarded to the ATS as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough: Option<Map<String, Value>>,
}

/// `score`: every field is a string on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultScore {
    /// What the score measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The lowest possible score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// The highest possible score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
}

/// One attachment of a result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultAttachment {
    /// Where the file is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `value` ∈ `text`, `pdf`, `video`, `other`; `source_value` the MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<EnumValue>,
}

/// `candidate` of a result update.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultCandidate {
    /// StackOne's candidate id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The candidate's profile on the vendor's side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
}

// ---------------------------------------------------------------------------
// Background-check packages (stored in StackOne)
// ---------------------------------------------------------------------------

/// The body of `POST /unified/ats/background_checks/packages` and `PATCH
/// /unified/ats/background_checks/packages/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BackgroundCheckPackageBody {
    /// Package name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Package description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The checks in the package (the complete list on every write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<Vec<BackgroundCheckTest>>,
    /// Forwarded to the ATS as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough: Option<Map<String, Value>>,
}

/// One check inside a background-check package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackgroundCheckTest {
    /// StackOne's test id (updates only, where known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Test name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Test description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The answer to a create: `{statusCode, message, timestamp, data: {id, remote_id}}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct CreateResult {
    /// The status StackOne reports in the body.
    #[serde(default, rename = "statusCode")]
    pub status_code: Option<Value>,
    /// StackOne's message.
    #[serde(default)]
    pub message: Option<String>,
    /// When.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The created record.
    #[serde(default)]
    pub data: Option<CreatedRecord>,
}

/// `data` of a create answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CreatedRecord {
    /// StackOne's id of the new record.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The provider's id of the new record.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub remote_id: Option<String>,
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// StackOne's error body: `{statusCode, message, timestamp,
/// provider_errors?, data?}` (`errorCode` appears in some guides).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    #[serde(default, rename = "statusCode")]
    pub status_code: Option<Value>,
    /// The message: a string, or a list of validation messages.
    #[serde(default)]
    pub message: Option<Value>,
    /// When.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// A machine-readable code, where sent.
    #[serde(default, rename = "errorCode")]
    pub error_code: Option<String>,
    /// What the underlying provider answered.
    #[serde(default)]
    pub provider_errors: Option<Vec<ProviderError>>,
}

/// One entry of `provider_errors`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ProviderError {
    /// The underlying provider's HTTP status.
    #[serde(default)]
    pub status: Option<Value>,
    /// The URL StackOne called.
    #[serde(default)]
    pub url: Option<String>,
    /// The underlying provider's body.
    #[serde(default)]
    pub raw: Option<Value>,
    /// The underlying provider's headers.
    #[serde(default)]
    pub headers: Option<Value>,
}

/// The error body this adapter answers StackOne with, in StackOne's own
/// error shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorResponse {
    /// The HTTP status.
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    /// What went wrong.
    pub message: String,
    /// When (ISO 8601, milliseconds, `Z`).
    pub timestamp: String,
}

/// The body this adapter answers a webhook delivery with. StackOne only
/// looks at the status; the body is for its delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAck {
    /// `accepted`, `rejected` or `acknowledged`.
    pub status: String,
    /// For rejections: why, as a category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For rejections: the vendor's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_may_be_numbers_and_fields_null() {
        let e: WebhookEnvelope = serde_json::from_value(json!({
            "event": "ats_assessments.created",
            "account_id": 42,
            "record_id": null,
            "data": {"candidate_id": 7, "package": {"id": "p1"}, "unknown": true}
        }))
        .unwrap();
        assert_eq!(e.account_id.as_deref(), Some("42"));
        assert_eq!(e.record_id, None);
        let d = e.data.unwrap();
        assert_eq!(d.candidate_id.as_deref(), Some("7"));
        assert_eq!(d.package.unwrap().id.as_deref(), Some("p1"));
    }

    #[test]
    fn a_boolean_id_is_refused() {
        let e = serde_json::from_value::<WebhookEnvelope>(json!({"record_id": true})).unwrap_err();
        assert!(e.to_string().contains("expected a string"), "{e}");
    }

    #[test]
    fn packages_page_writes_all_four_fields() {
        let page = AssessmentPackagesPage {
            data: vec![AssessmentPackage {
                id: Some("p".into()),
                remote_id: Some("p".into()),
                name: Some("P".into()),
                description: None,
            }],
            next: None,
        };
        assert_eq!(
            serde_json::to_string(&page).unwrap(),
            r#"{"data":[{"id":"p","remote_id":"p","name":"P","description":null}],"next":null}"#
        );
    }

    #[test]
    fn result_update_omits_absent_fields_in_documented_order() {
        let body = ResultUpdate {
            result: Some(EnumValue {
                value: Some("passed".into()),
                source_value: Some(json!("A")),
            }),
            score: Some(ResultScore {
                label: Some("Score".into()),
                value: Some("86".into()),
                min: None,
                max: Some("100".into()),
            }),
            summary: Some("ok".into()),
            ..ResultUpdate::default()
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"result":{"value":"passed","source_value":"A"},"score":{"label":"Score","value":"86","max":"100"},"summary":"ok"}"#
        );
    }

    #[test]
    fn error_body_reads_camel_case_fields() {
        let e: ErrorBody = serde_json::from_str(
            r#"{"statusCode":422,"message":["a","b"],"timestamp":"t","errorCode":"X","provider_errors":[{"status":422,"raw":{"error":"bad"}}]}"#,
        )
        .unwrap();
        assert_eq!(e.status_code, Some(json!(422)));
        assert_eq!(e.error_code.as_deref(), Some("X"));
        assert_eq!(
            e.provider_errors.unwrap()[0].raw,
            Some(json!({"error": "bad"}))
        );
    }
}
