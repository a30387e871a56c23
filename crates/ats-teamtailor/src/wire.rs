//! Teamtailor Partner API wire structs, field names exactly as Teamtailor's
//! partner documentation writes them (`docs/providers/teamtailor.md` records
//! the source of every field): dashed names in the webhook and in JSON:API
//! attributes (`first-name`, `update-url`, `job-id`), snake_case in the
//! webhook response (`partner_result_attributes`).
//!
//! Everything Teamtailor may omit or send as `null` is an `Option`; ids are
//! read from a JSON string or a number. The structs carry no logic.

use ats_core::codec::{opt_string_or_number, opt_string_or_number_value};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The body of `POST {BASE_URL}/webhook`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct WebhookRequest {
    /// The event: configuration, partner result and candidate.
    #[serde(default, rename = "partner-event")]
    pub partner_event: Option<PartnerEvent>,
    /// The customer's company.
    #[serde(default)]
    pub company: Option<Company>,
}

/// `partner-event`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PartnerEvent {
    /// Unique id of this event (also what `Teamtailor-Signature` signs).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The options the recruiter picked in the vendor's config form, keyed
    /// by field id (`_` in an id arrives as `-`).
    #[serde(default, rename = "webhook-data")]
    pub webhook_data: Option<Map<String, Value>>,
    /// The result shown to the customer, to be updated by the vendor.
    #[serde(default, rename = "partner-result")]
    pub partner_result: Option<PartnerResultRef>,
    /// The candidate.
    #[serde(default)]
    pub candidate: Option<WebhookCandidate>,
}

/// `partner-event.partner-result`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PartnerResultRef {
    /// The partner result's id (a UUID).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// Its status when sent (`sending`).
    #[serde(default)]
    pub status: Option<String>,
    /// Where the vendor updates it
    /// (`https://api.teamtailor.com/partner/v1/partner-results/{id}`).
    #[serde(default, rename = "update-url")]
    pub update_url: Option<String>,
}

/// `partner-event.candidate` (the fields the adapter reads; the rest stays
/// in the order's `raw`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct WebhookCandidate {
    /// Teamtailor's numeric candidate id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The candidate's UUID.
    #[serde(default)]
    pub uuid: Option<String>,
    /// First name.
    #[serde(default, rename = "first-name")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, rename = "last-name")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// The job the trigger ran on.
    #[serde(default)]
    pub job: Option<WebhookJob>,
    /// The job's recruiter.
    #[serde(default)]
    pub recruiter: Option<Recruiter>,
    /// The resume (only for partners Teamtailor enabled it for).
    #[serde(default)]
    pub resume: Option<FileRef>,
}

/// `candidate.job`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct WebhookJob {
    /// Teamtailor's job id, a number or a string as sent (it is sent back
    /// in the same type).
    #[serde(default, deserialize_with = "opt_string_or_number_value")]
    pub id: Option<Value>,
    /// The job's title.
    #[serde(default)]
    pub title: Option<String>,
    /// The stage's id (only when run by a trigger).
    #[serde(
        default,
        rename = "stage-id",
        deserialize_with = "opt_string_or_number"
    )]
    pub stage_id: Option<String>,
    /// The stage's name.
    #[serde(default)]
    pub stage: Option<String>,
    /// The trigger's id (only when run by a trigger).
    #[serde(
        default,
        rename = "trigger-id",
        deserialize_with = "opt_string_or_number"
    )]
    pub trigger_id: Option<String>,
    /// Who ran the trigger (only when run by a trigger).
    #[serde(default, rename = "triggered-by")]
    pub triggered_by: Option<TriggeredBy>,
}

/// `candidate.job.triggered-by`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TriggeredBy {
    /// The user's id.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// The user's e-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's name.
    #[serde(default)]
    pub name: Option<String>,
}

/// `candidate.recruiter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Recruiter {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
}

/// `candidate.resume` (and each of `candidate.uploads`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct FileRef {
    /// File name.
    #[serde(default, rename = "file-name")]
    pub file_name: Option<String>,
    /// Where to download it.
    #[serde(default)]
    pub url: Option<String>,
}

/// `company` in the webhook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Company {
    /// The company's uuid.
    #[serde(default)]
    pub uuid: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its career site.
    #[serde(default)]
    pub url: Option<String>,
}

/// The optional JSON answer to the webhook: updates the partner result
/// without a separate call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookResponse {
    /// What to update.
    pub partner_result_attributes: WebhookResultAttributes,
}

/// `partner_result_attributes` (every field optional).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookResultAttributes {
    /// The partner result's new status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The answer to `GET {BASE_URL}/config`: the form Teamtailor renders when a
/// trigger is set up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigResponse {
    /// Top-level object.
    pub config: FormConfig,
}

/// `config`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormConfig {
    /// The form's fields.
    pub fields: Vec<ConfigField>,
}

/// One of `config.fields`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigField {
    /// The field's id: the key of the picked value in `webhook-data`.
    pub id: String,
    /// Human readable label.
    pub label: String,
    /// Placeholder text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// The form element (`select`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The choices of a `select`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ConfigOption>,
}

/// One of a field's `options`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigOption {
    /// The value sent in `webhook-data` when picked.
    pub id: String,
    /// Human readable label.
    pub label: String,
}

/// The body of `PUT {update-url}` (JSON:API document).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartnerResultDocument {
    /// The resource.
    pub data: PartnerResultData,
}

/// `data` of a partner result document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartnerResultData {
    /// Always `partner-results`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The partner result's id.
    pub id: String,
    /// What changes.
    pub attributes: PartnerResultAttributes,
}

/// `data.attributes` of an update (every field optional on update;
/// `candidate-id` must not be sent).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartnerResultAttributes {
    /// `sending`, `sent`, `pending`, `completed` or `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Summary text (about 150 characters are shown on the card).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The job the webhook was sent from.
    #[serde(default, rename = "job-id", skip_serializing_if = "Option::is_none")]
    pub job_id: Option<Value>,
    /// The report on the vendor's site (http or https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Score, grade and duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
    /// Shown to the customer; an object at most two levels deep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Map<String, Value>>,
    /// Files: exactly `url` and `description` each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<ResultAttachment>,
}

/// `attributes.assessment`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Between 0 and 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Value>,
    /// `top_fit`, `might_be_fit`, `might_not_be_fit` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// Duration of the test in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
}

/// One of `attributes.attachments`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultAttachment {
    /// Where the file is.
    pub url: String,
    /// What it is.
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dashed_names_and_numeric_ids() {
        let r: WebhookRequest = serde_json::from_str(
            r#"{"partner-event":{"id":"ev1","webhook-data":{"test":"1"},
                "partner-result":{"id":"pr1","status":"sending","update-url":"https://api.teamtailor.com/partner/v1/partner-results/pr1"},
                "candidate":{"id":54321,"first-name":"Ada","last-name":"Quill","email":"ada@example.com",
                  "job":{"id":12,"title":"Dev","stage-id":3,"trigger-id":4,"triggered-by":{"id":31,"email":"r@example.com"}}}},
               "company":{"uuid":"c1","name":"Acme"}}"#,
        )
        .unwrap();
        let e = r.partner_event.unwrap();
        assert_eq!(e.id.as_deref(), Some("ev1"));
        let pr = e.partner_result.unwrap();
        assert_eq!(pr.id.as_deref(), Some("pr1"));
        assert_eq!(
            pr.update_url.as_deref(),
            Some("https://api.teamtailor.com/partner/v1/partner-results/pr1")
        );
        let c = e.candidate.unwrap();
        assert_eq!(c.id.as_deref(), Some("54321"));
        assert_eq!(c.first_name.as_deref(), Some("Ada"));
        let job = c.job.unwrap();
        assert_eq!(job.stage_id.as_deref(), Some("3"));
        assert_eq!(job.trigger_id.as_deref(), Some("4"));
        assert_eq!(job.triggered_by.unwrap().id.as_deref(), Some("31"));
        assert_eq!(r.company.unwrap().uuid.as_deref(), Some("c1"));
    }

    #[test]
    fn update_document_writes_dashed_names_and_omits_absent_fields() {
        let d = PartnerResultDocument {
            data: PartnerResultData {
                kind: "partner-results".into(),
                id: "pr1".into(),
                attributes: PartnerResultAttributes {
                    status: Some("completed".into()),
                    job_id: Some(Value::from(444)),
                    assessment: Some(Assessment {
                        score: Some(Value::from(82)),
                        grade: None,
                        duration: Some(1934),
                    }),
                    ..PartnerResultAttributes::default()
                },
            },
        };
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"data":{"type":"partner-results","id":"pr1","attributes":{"status":"completed","job-id":444,"assessment":{"score":82,"duration":1934}}}}"#
        );
    }

    #[test]
    fn webhook_response_is_snake_case() {
        let r = WebhookResponse {
            partner_result_attributes: WebhookResultAttributes {
                status: Some("sent".into()),
            },
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"partner_result_attributes":{"status":"sent"}}"#
        );
    }
}
