//! Bob's wire format, field for field (`docs/providers/hibob.md`).
//!
//! Everything Bob may omit or send as `null` is an `Option`; event types
//! and statuses are kept as text so a value Bob adds later never fails
//! parsing. The shapes marked *unconfirmed* in the provider page are read
//! leniently: unknown fields are ignored, missing ones are `None`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use ats_core::codec::opt_string_or_number;

/// A partner webhook delivery (`assessment.triggered`,
/// `assessment.cancelled`): the event's type, who and when, and ids only.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// The event type, e.g. `assessment.triggered`.
    #[serde(default)]
    pub r#type: Option<String>,
    /// The Bob company (installation) the event belongs to
    /// (*unconfirmed* name: see the provider page).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub company_id: Option<String>,
    /// The webhook payload version, where sent.
    #[serde(default)]
    pub version: Option<String>,
    /// Who triggered the event (a Bob user id, or `system`).
    #[serde(default)]
    pub triggered_by: Option<String>,
    /// When the event happened (ISO 8601), where sent.
    #[serde(default)]
    pub triggered_at: Option<String>,
    /// The event's ids.
    #[serde(default)]
    pub data: Option<WebhookData>,
}

/// `data` of an assessment webhook.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookData {
    /// Bob's numeric assessment id, as a string (also accepted as a number).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub assessment_request_id: Option<String>,
}

/// `GET /hiring/assessments/{assessmentRequestId}`: the assessment's
/// context. Only `jobOpening.id` and `jobOpening.title` are named in the
/// reference text; the other field names are *unconfirmed*.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssessmentDetails {
    /// The assessment id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The candidate to assess.
    #[serde(default)]
    pub candidate: Option<Person>,
    /// The Bob user who ordered the assessment.
    #[serde(default)]
    pub requester: Option<Person>,
    /// The job opening.
    #[serde(default)]
    pub job_opening: Option<JobOpening>,
    /// The ordered package.
    #[serde(default)]
    pub package: Option<PackageRef>,
    /// When the assessment was requested.
    #[serde(default)]
    pub requested_at: Option<String>,
}

/// A candidate or requester.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Bob's id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// Given name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
}

/// `jobOpening`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOpening {
    /// Bob's job opening id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The job opening's title.
    #[serde(default)]
    pub title: Option<String>,
}

/// `package`: the partner package the recruiter picked.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageRef {
    /// The partner's package id, as registered.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

/// The body of `PATCH /hiring/assessments/{assessmentRequestId}`. `status`
/// is required on every update; omitted fields keep their stored values.
/// `assessmentRequestId` is not accepted in the body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAssessment {
    /// The combined process and outcome status.
    pub status: String,
    /// The vendor's own id for the assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_assessment_id: Option<String>,
    /// The overall score (a JSON number here: the type is *unconfirmed*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<serde_json::Number>,
    /// A free-text outcome, apart from `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// The results page on the vendor's side (HTTPS only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
    /// Comments for the recruiter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
}

/// An error body from Bob's API. The shape is *unconfirmed*; the fields
/// read are the common ones, and anything else is kept as text.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ErrorBody {
    /// A message.
    #[serde(default)]
    pub message: Option<String>,
    /// An error code or name.
    #[serde(default)]
    pub error: Option<Value>,
    /// A code.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub code: Option<String>,
}

/// The token endpoint's error body (RFC 6749 §5.2), read by
/// [`ats_core::oauth`].
pub use ats_core::oauth::TokenError;
