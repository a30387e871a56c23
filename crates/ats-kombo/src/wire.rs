//! Kombo's assessment API wire structs, field names exactly as in Kombo's
//! OpenAPI document and generated SDK (`docs/providers/kombo.md`).
//!
//! Inbound structs accept what Kombo may omit or send as `null` (every
//! nullable key is an `Option` with `#[serde(default)]`), keep enums open
//! (plain `String`s) and ignore unknown fields. Outbound structs leave out
//! absent optional fields instead of writing `null`, as Kombo asks.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

// ---------------------------------------------------------------------------
// Webhooks (Kombo → vendor)
// ---------------------------------------------------------------------------

/// Just enough of a webhook body to route it: the event `type`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct EventType {
    /// The event type (`assessment:order-received`, …).
    #[serde(default, rename = "type")]
    pub event_type: Option<String>,
}

/// A webhook of a type the assessment flow does not act on
/// (`integration-created`, `data-changed`, …): the envelope only.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct OtherEvent {
    /// Unique id of the webhook event.
    #[serde(default)]
    pub id: Option<String>,
    /// The event type.
    #[serde(default, rename = "type")]
    pub event_type: Option<String>,
    /// The event's data, whatever its shape.
    #[serde(default)]
    pub data: Option<Value>,
}

/// The `assessment:order-received` and `inline-assessment:order-received`
/// webhook body (the two differ only in `type`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct OrderReceivedWebhook {
    /// Unique id of the webhook event (deduplicate deliveries on it).
    #[serde(default)]
    pub id: Option<String>,
    /// `assessment:order-received` or `inline-assessment:order-received`.
    #[serde(default, rename = "type")]
    pub event_type: Option<String>,
    /// The order.
    pub data: Order,
}

/// An assessment order: the webhook's `data`, and one item of Get orders'
/// `data.results` (which has no `integration_id`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Order {
    /// Kombo's order id; the path parameter of Update order result.
    pub id: String,
    /// The vendor's package id, as set with Set packages.
    pub package_id: String,
    /// `OPEN`, `COMPLETED`, `CANCELLED` or `REJECTED` (open enum).
    #[serde(default)]
    pub status: Option<String>,
    /// The integration (customer connection); the `X-Integration-Id` to
    /// answer with. Only in webhooks.
    #[serde(default)]
    pub integration_id: Option<String>,
    /// The candidate.
    #[serde(default)]
    pub candidate: Option<OrderCandidate>,
    /// The application.
    #[serde(default)]
    pub application: Option<OrderApplication>,
    /// The job.
    #[serde(default)]
    pub job: Option<OrderJob>,
}

/// `data.candidate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct OrderCandidate {
    /// The candidate's id in the ATS.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// E-mail address (not nullable in Kombo's schema).
    #[serde(default)]
    pub email: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Phone number, as the ATS has it.
    #[serde(default)]
    pub phone: Option<String>,
}

/// `data.application`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct OrderApplication {
    /// The application's id in the ATS.
    #[serde(default)]
    pub remote_id: Option<String>,
}

/// `data.job`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct OrderJob {
    /// The job's id in the ATS.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// Job title.
    #[serde(default)]
    pub name: Option<String>,
    /// Human-readable requisition code.
    #[serde(default)]
    pub job_code: Option<String>,
    /// Job description, usually HTML.
    #[serde(default)]
    pub description: Option<String>,
    /// Where the job is (nullable, every key optional).
    #[serde(default)]
    pub location: Option<OrderLocation>,
    /// Recruiters and hiring managers.
    #[serde(default)]
    pub hiring_team: Option<Vec<HiringTeamMember>>,
}

/// `data.job.location`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct OrderLocation {
    /// Street, first line.
    #[serde(default)]
    pub street_1: Option<String>,
    /// Street, second line.
    #[serde(default)]
    pub street_2: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// State or region.
    #[serde(default)]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub zip_code: Option<String>,
    /// ISO 3166-1 alpha-2 code when Kombo could parse it, else as sent.
    #[serde(default)]
    pub country: Option<String>,
    /// The address as one string.
    #[serde(default)]
    pub raw: Option<String>,
}

/// One entry of `data.job.hiring_team`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct HiringTeamMember {
    /// The user's id in the ATS.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// `RECRUITER`, `HIRING_MANAGER` (open enum: older versions had more).
    #[serde(default)]
    pub hiring_team_roles: Option<Vec<String>>,
}

/// The answer to `inline-assessment:order-received`: where the ATS sends
/// the candidate to take the assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineAssessmentResponse {
    /// The candidate's link to the assessment on the vendor's platform.
    pub assessment_url: String,
}

/// The body that makes Kombo reject an order and show `message` in the ATS
/// (sent with HTTP 422).
///
/// **Unconfirmed shape**: Kombo's guide says "422 and a body in the
/// following shape", but its code sample is missing from every copy of the
/// page that could be consulted, and neither the OpenAPI document nor the
/// SDKs define it. What is certain is the status and a `message` field shown
/// to the recruiter. This is Kombo's own error envelope carrying only that
/// field; check it in the Kombo Assessment Sandbox before relying on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionBody {
    /// Always `"error"`.
    pub status: String,
    /// The rejection.
    pub error: RejectionMessage,
}

/// `error` of a [`RejectionBody`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionMessage {
    /// Shown to the recruiter in the ATS.
    pub message: String,
}

/// The body of every other error this adapter answers a webhook with. It is
/// never sent with HTTP 422, so Kombo never takes it for a rejection: the
/// order stays open and can be fetched later with Get orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}

// ---------------------------------------------------------------------------
// API calls (vendor → Kombo)
// ---------------------------------------------------------------------------

/// `PUT /assessment/packages` request body: the integration's complete
/// package list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPackagesRequest {
    /// Every package; one left out is marked as deleted.
    pub packages: Vec<PackageOut>,
}

/// One package of Set packages (all four fields required).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageOut {
    /// The vendor's package id; comes back as `package_id` in orders.
    pub id: String,
    /// `BEHAVIORAL`, `VIDEO_INTERVIEW`, `SKILLS_TEST`, `BACKGROUND_CHECK` or
    /// `REFERENCE_CHECK`.
    #[serde(rename = "type")]
    pub package_type: String,
    /// Shown in the ATS.
    pub name: String,
    /// Shown by some ATSs.
    pub description: String,
}

/// `PUT /assessment/orders/{assessment_order_id}/result` request body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpdateOrderResultRequest {
    /// `COMPLETED`, `CANCELLED` or `OPEN`.
    pub status: String,
    /// Link to the vendor's report (required, even for `CANCELLED`).
    pub result_url: String,
    /// `YYYY-MM-DDTHH:mm:ss.sssZ`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// Overall score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Number>,
    /// The highest possible score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_score: Option<Number>,
    /// Labelled values and sub-results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<ResultAttribute>,
    /// Files, at most [`MAX_ATTACHMENTS`](crate::translate::MAX_ATTACHMENTS).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<ResultAttachment>,
    /// Values Kombo passes to specific ATSs, keyed by the ATS
    /// (`smartrecruiters.scoreLabel`, `recruitee.subtitle`,
    /// `workday.Assess_Candidate_Data…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_fields: Option<serde_json::Map<String, Value>>,
}

/// One item of `attributes`, discriminated by `type`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ResultAttribute {
    /// A labelled text.
    #[serde(rename = "TEXT")]
    Text {
        /// Label shown in the ATS.
        label: String,
        /// The text.
        value: String,
    },
    /// The score of one part of the assessment.
    #[serde(rename = "SUB_RESULT")]
    SubResult {
        /// The vendor's id of the sub-test.
        id: String,
        /// Label shown in the ATS.
        label: String,
        /// Score out of a maximum (the maximum is at least 1).
        score: SubResultScore,
        /// `COMPLETED` or `CANCELLED`.
        status: String,
    },
}

/// `score` of a `SUB_RESULT` attribute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubResultScore {
    /// The score.
    pub value: Number,
    /// The maximum (at least 1).
    pub max: Number,
}

/// One item of `attachments`: `data_url` (Kombo downloads it) or `data`
/// (standard base64, `content_type` required).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResultAttachment {
    /// File name with extension, shown in some ATSs.
    pub name: String,
    /// MIME type (`type/subtype`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Where Kombo downloads the file from, without credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_url: Option<String>,
    /// The file, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// Kombo's success envelope for writes: `{"status": "success", "data": {},
/// "warnings": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct WriteResponse {
    /// `"success"`.
    #[serde(default)]
    pub status: Option<String>,
    /// What Kombo could not write into the ATS. Older renderings of the
    /// docs omit the key; absent means none.
    #[serde(default)]
    pub warnings: Option<Vec<Warning>>,
}

/// One warning of a successful write.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Warning {
    /// The warning text.
    #[serde(default)]
    pub message: Option<String>,
}

/// `GET /assessment/orders` response.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct GetOrdersResponse {
    /// `"success"`.
    #[serde(default)]
    pub status: Option<String>,
    /// The page.
    pub data: OrdersPage,
}

/// `data` of Get orders.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct OrdersPage {
    /// Cursor of the next page; `null` (or blank) on the last page.
    #[serde(default)]
    pub next: Option<String>,
    /// The orders of this page.
    #[serde(default)]
    pub results: Vec<Order>,
}

/// Get orders again, each result kept as its JSON text (an order's `raw`).
#[derive(Clone, Debug, Deserialize)]
pub struct RawOrdersResponse {
    /// The page.
    pub data: RawOrdersPage,
}

/// `data` of [`RawOrdersResponse`].
#[derive(Clone, Debug, Deserialize)]
pub struct RawOrdersPage {
    /// The orders of this page, untouched.
    #[serde(default)]
    pub results: Vec<Box<serde_json::value::RawValue>>,
}

/// `GET /assessment/packages` response (diagnostics).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct GetPackagesResponse {
    /// `"success"`.
    #[serde(default)]
    pub status: Option<String>,
    /// The packages.
    pub data: PackagesData,
}

/// `data` of Get packages.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PackagesData {
    /// The integration's packages as Kombo has them.
    #[serde(default)]
    pub packages: Vec<PackageIn>,
}

/// A package as Get packages returns it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PackageIn {
    /// The vendor's package id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Last update, `YYYY-MM-DDTHH:mm:ss.sssZ` (nullable).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The package type (nullable, open enum).
    #[serde(default, rename = "type")]
    pub package_type: Option<String>,
}

/// Kombo's error envelope: `{"status": "error", "error": {code, title,
/// message, log_url}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorEnvelope {
    /// `"error"`.
    #[serde(default)]
    pub status: Option<String>,
    /// The error.
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

/// `error` of Kombo's error envelope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable code (`PLATFORM.INPUT_INVALID`, …; open enum, nullable).
    #[serde(default)]
    pub code: Option<String>,
    /// A static label for the code (nullable).
    #[serde(default)]
    pub title: Option<String>,
    /// What went wrong, in Kombo's words.
    #[serde(default)]
    pub message: Option<String>,
    /// The interaction's log in the Kombo dashboard (nullable).
    #[serde(default)]
    pub log_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_are_tagged_by_type_first() {
        let a = vec![
            ResultAttribute::Text {
                label: "Grade".into(),
                value: "A".into(),
            },
            ResultAttribute::SubResult {
                id: "s1".into(),
                label: "Algorithms".into(),
                score: SubResultScore {
                    value: 3.into(),
                    max: 5.into(),
                },
                status: "COMPLETED".into(),
            },
        ];
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"[{"type":"TEXT","label":"Grade","value":"A"},{"type":"SUB_RESULT","id":"s1","label":"Algorithms","score":{"value":3,"max":5},"status":"COMPLETED"}]"#
        );
    }

    #[test]
    fn result_request_leaves_out_absent_fields() {
        let r = UpdateOrderResultRequest {
            status: "CANCELLED".into(),
            result_url: "https://r.example.com/1".into(),
            completed_at: None,
            score: None,
            max_score: None,
            attributes: Vec::new(),
            attachments: Vec::new(),
            remote_fields: None,
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"status": "CANCELLED", "result_url": "https://r.example.com/1"})
        );
    }

    #[test]
    fn order_tolerates_missing_and_null_keys() {
        let o: Order = serde_json::from_value(json!({
            "id": "o1", "package_id": "p1", "status": "OPEN",
            "candidate": {"email": "a@example.com"},
            "application": {},
            "job": {"location": null, "hiring_team": [{"hiring_team_roles": ["SOURCER"]}]}
        }))
        .unwrap();
        assert_eq!(o.integration_id, None);
        assert_eq!(o.application, Some(OrderApplication::default()));
        let job = o.job.unwrap();
        assert_eq!(job.location, None);
        assert_eq!(
            job.hiring_team.unwrap()[0].hiring_team_roles.as_deref(),
            Some(&["SOURCER".to_owned()][..])
        );
    }

    #[test]
    fn error_envelope_with_nulls() {
        let e: ErrorEnvelope = serde_json::from_value(json!({
            "status": "error",
            "error": {"code": null, "title": null, "message": "m", "log_url": null}
        }))
        .unwrap();
        assert_eq!(e.error.unwrap().message.as_deref(), Some("m"));
    }
}
