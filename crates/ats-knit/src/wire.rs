//! Knit wire structs, field names exactly as in Knit's documentation and
//! examples (`docs/providers/knit.md`).
//!
//! Knit's webhook envelope is camelCase (`eventType`, `candidateAssessment`,
//! `originData`). Every field but `eventType` is optional: Knit sends `null`
//! for most of them on `record.deleted`, and several envelope fields are
//! only known from Knit's generic sync events. Ids are accepted as strings
//! or numbers; `originData` (the ATS's own request) is kept as JSON and read
//! by the ATS's adapter.

use ats_core::codec::opt_string_or_number;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A webhook delivery.
#[derive(Clone, Debug, Deserialize)]
pub struct Webhook {
    /// `record.new`, `record.deleted`, … (open: any text).
    #[serde(default, rename = "eventType")]
    pub event_type: Option<String>,
    /// The record.
    #[serde(default, rename = "eventData")]
    pub event_data: Option<EventData>,
    /// Knit's id of the delivery (for de-duplication).
    #[serde(default, rename = "eventId", deserialize_with = "opt_string_or_number")]
    pub event_id: Option<String>,
    /// The record's id (for assessments, presumably Knit's assessment id).
    #[serde(
        default,
        rename = "recordId",
        deserialize_with = "opt_string_or_number"
    )]
    pub record_id: Option<String>,
    /// `real_time`, `initial_sync`, `delta_sync`…
    #[serde(default, rename = "syncType")]
    pub sync_type: Option<String>,
    /// The data type: `ats_assessments` for assessment orders.
    #[serde(default, rename = "syncDataType")]
    pub sync_data_type: Option<String>,
    /// The sync job.
    #[serde(
        default,
        rename = "syncJobId",
        deserialize_with = "opt_string_or_number"
    )]
    pub sync_job_id: Option<String>,
    /// The sync run.
    #[serde(
        default,
        rename = "syncRunId",
        deserialize_with = "opt_string_or_number"
    )]
    pub sync_run_id: Option<String>,
    /// When Knit triggered the event, in milliseconds (a string or a number).
    #[serde(
        default,
        rename = "triggeredAt",
        deserialize_with = "opt_string_or_number"
    )]
    pub triggered_at: Option<String>,
}

/// `eventData`.
#[derive(Clone, Debug, Deserialize)]
pub struct EventData {
    /// The assessment record.
    #[serde(default, rename = "candidateAssessment")]
    pub candidate_assessment: Option<CandidateAssessment>,
}

/// `eventData.candidateAssessment`: Knit's unified assessment record.
#[derive(Clone, Debug, Deserialize)]
pub struct CandidateAssessment {
    /// Knit's assessment id (`ats_ass_…`).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The ATS's application id.
    #[serde(
        default,
        rename = "applicationId",
        deserialize_with = "opt_string_or_number"
    )]
    pub application_id: Option<String>,
    /// The ATS's job id.
    #[serde(default, rename = "jobId", deserialize_with = "opt_string_or_number")]
    pub job_id: Option<String>,
    /// The record's status (values not documented; open).
    #[serde(default)]
    pub status: Option<String>,
    /// The ATS's callback URL (Greenhouse's completion URL; `null` for Ashby).
    #[serde(default, rename = "callbackUrl")]
    pub callback_url: Option<String>,
    /// The ordered package.
    #[serde(default, rename = "assessmentPackage")]
    pub assessment_package: Option<AssessmentPackage>,
    /// The candidate.
    #[serde(default)]
    pub candidate: Option<KnitCandidate>,
    /// Further data (shape not documented).
    #[serde(default, rename = "metaData")]
    pub meta_data: Option<Value>,
    /// The ATS's own request, as Knit received it (Ashby `assessment.start`,
    /// Greenhouse `send_test`).
    /// Kept as its JSON text, which the ATS's own adapter reads.
    #[serde(default, rename = "originData")]
    pub origin_data: Option<Box<serde_json::value::RawValue>>,
}

/// `candidateAssessment.assessmentPackage`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AssessmentPackage {
    /// The package id (Ashby `assessment_type_id`, Greenhouse `partner_test_id`).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Type (`SKILLS_TEST`…; open).
    #[serde(default, rename = "type")]
    pub package_type: Option<String>,
    /// Further data.
    #[serde(default, rename = "metaData")]
    pub meta_data: Option<Value>,
}

/// `candidateAssessment.candidate`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct KnitCandidate {
    /// The ATS's candidate id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// First name.
    #[serde(default, rename = "firstName")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, rename = "lastName")]
    pub last_name: Option<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Option<Vec<KnitEmail>>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Option<Vec<KnitPhone>>,
    /// Links (resume, profile…), without labels.
    #[serde(default)]
    pub links: Option<Vec<Option<String>>>,
    /// Location: free text in Knit's examples (kept as JSON, since its
    /// shape is not documented).
    #[serde(default)]
    pub location: Option<Value>,
}

/// One of `candidate.emails`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct KnitEmail {
    /// The address.
    #[serde(default)]
    pub email: Option<String>,
    /// `PRIMARY`, `PERSONAL`, `WORK`… (open).
    #[serde(default, rename = "type")]
    pub email_type: Option<String>,
}

/// One of `candidate.phones`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct KnitPhone {
    /// The number.
    #[serde(default, rename = "phoneNumber")]
    pub phone_number: Option<String>,
    /// `WORK`, `PERSONAL`, `NOT_SPECIFIED`… (open).
    #[serde(default, rename = "type")]
    pub phone_type: Option<String>,
}

/// Knit's answer envelope: `{"success": true, "data": …}` or
/// `{"success": false, "error": {"msg": …}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Whether the call succeeded.
    pub success: bool,
    /// The payload, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    /// The error, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorMessage>,
}

/// `error` of Knit's envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorMessage {
    /// The message.
    #[serde(default)]
    pub msg: Option<String>,
}

/// The body this adapter answers webhooks with. Knit only looks at the
/// status (200 means consumed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAck {
    /// `true` when the delivery is consumed.
    pub success: bool,
    /// Why a delivery is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorMessage>,
}

/// The `POST /passthrough` request body: a call Knit makes to the
/// underlying app with the customer's credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassthroughRequest {
    /// The app's HTTP method.
    pub method: String,
    /// The path after the app's base URL.
    pub path: String,
    /// The request body, as text (JSON serialized to a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// `data` of the passthrough answer: the app's response.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PassthroughData {
    /// The app's response.
    #[serde(default)]
    pub response: Option<PassthroughResponse>,
}

/// `data.response` of the passthrough answer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PassthroughResponse {
    /// The app's HTTP status, where Knit reports it (a number or a numeric
    /// string).
    #[serde(
        default,
        rename = "statusCode",
        alias = "status",
        deserialize_with = "opt_status"
    )]
    pub status_code: Option<u16>,
    /// The app's response body, as text (a JSON value is accepted too).
    #[serde(default)]
    pub body: Option<Value>,
    /// The app's response headers.
    #[serde(default)]
    pub headers: Option<Value>,
}

impl PassthroughResponse {
    /// The app's body as bytes: the text as sent, or a JSON value
    /// serialized; empty when absent.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(text)) => text.as_bytes().to_vec(),
            Some(other) => serde_json::to_vec(other).unwrap_or_default(),
        }
    }
}

/// `data` of the Create ATS Assessment Secrets answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AssessmentSecretsData {
    /// The API key the ATS presents to Knit.
    #[serde(default, rename = "secretKey")]
    pub secret_key: Option<String>,
    /// The base URL the ATS calls.
    #[serde(default, rename = "baseUrl")]
    pub base_url: Option<String>,
}

/// An optional HTTP status sent as a number or a numeric string.
fn opt_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let id = opt_string_or_number(d)?;
    id.map(|s| {
        s.trim()
            .parse::<u16>()
            .map_err(|_| serde::de::Error::custom("expected an HTTP status"))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_and_numbers_are_accepted() {
        let w: Webhook = serde_json::from_value(json!({
            "eventType": "record.deleted",
            "eventData": {"candidateAssessment": {
                "id": "ats_ass_1", "applicationId": 410337265, "jobId": null,
                "assessmentPackage": null, "candidate": null, "metaData": null,
                "originData": {"assessment_id": "ats_ass_1"}, "status": "CANCELLED"
            }},
            "triggeredAt": 1767283200000_i64,
            "eventId": null
        }))
        .unwrap();
        let a = w.event_data.unwrap().candidate_assessment.unwrap();
        assert_eq!(a.application_id.as_deref(), Some("410337265"));
        assert_eq!(a.job_id, None);
        assert_eq!(w.triggered_at.as_deref(), Some("1767283200000"));
        assert_eq!(a.status.as_deref(), Some("CANCELLED"));
    }

    #[test]
    fn ids_of_other_types_are_refused_with_the_field() {
        let e = serde_json::from_value::<Webhook>(json!({"eventId": {"x": 1}})).unwrap_err();
        assert!(
            e.to_string()
                .contains("expected a string, a number or null"),
            "{e}"
        );
    }

    #[test]
    fn passthrough_request_carries_the_body_as_text() {
        let r = PassthroughRequest {
            method: "POST".into(),
            path: "/assessment.update".into(),
            body: Some(r#"{"a":1}"#.into()),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"method":"POST","path":"/assessment.update","body":"{\"a\":1}"}"#
        );
    }
}
