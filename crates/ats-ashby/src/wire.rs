//! Ashby Assessments Partner API wire structs, field names exactly as in
//! Ashby's documentation and OpenAPI (`docs/providers/ashby.md`).
//!
//! Ashby mixes conventions: the partner-implemented calls and
//! `assessment.update` use snake_case (`assessment_type_id`), the hiring team
//! inside `assessment.start` and `assessment.addCompletedToCandidate` use
//! camelCase (`hiringTeam`, `userId`, `candidateId`). The renames below keep
//! both exactly.
//!
//! Inbound structs are lenient: every field Ashby might omit (including the
//! ones its schema marks required but real traffic lacks, such as
//! `candidate.ashby_profile_url`) is an `Option`, and enumerations are open.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Declares a string enumeration that keeps values it does not know in
/// `Other`, so a new value from Ashby never fails parsing.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(|s| Self::from(s.as_str()))
            }
        }
    };
}

open_enum! {
    /// `AssessmentData.type`: how Ashby shows a value.
    AssessmentDataType {
        /// A score (`value` is a number).
        NumericScore = "numeric_score",
        /// A duration in minutes (`value` is a number).
        NumericDurationMinutes = "numeric_duration_minutes",
        /// A link (`value` is a URL string).
        Url = "url",
        /// Free text.
        String = "string",
        /// Pass/fail (`value` is a boolean).
        BooleanSuccess = "boolean_success",
    }
}

open_enum! {
    /// `fields[].type` of `assessment.customField.list`.
    CustomFieldType {
        /// Single-line text.
        String = "String",
        /// A date.
        Date = "Date",
        /// A date range.
        DateRange = "DateRange",
        /// A number.
        Number = "Number",
        /// One of `possible_values`.
        ValueSelect = "ValueSelect",
        /// Several of `possible_values`.
        MultiValueSelect = "MultiValueSelect",
        /// Yes/no.
        Boolean = "Boolean",
        /// Multi-line text.
        LongText = "LongText",
        /// An e-mail address.
        Email = "Email",
        /// A phone number.
        Phone = "Phone",
        /// A score.
        Score = "Score",
        /// A social-network link.
        SocialLink = "SocialLink",
        /// A URL.
        Url = "Url",
        /// An amount of money.
        Currency = "Currency",
        /// A location.
        Location = "Location",
    }
}

/// The raw value of an [`AssessmentData`]: a string, a number or a boolean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DataValue {
    /// A boolean (`boolean_success`).
    Bool(bool),
    /// A number (`numeric_score`, `numeric_duration_minutes`); whole numbers
    /// stay integers on the wire.
    Number(serde_json::Number),
    /// Text (`string`, `url`).
    Text(String),
}

/// Ashby's `AssessmentData`: one labelled value shown with an assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessmentData {
    /// The partner's stable key for the value; unique within one update.
    pub identifier: String,
    /// The label Ashby shows.
    pub label: String,
    /// A longer description Ashby may show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How the value is shown.
    #[serde(rename = "type")]
    pub data_type: AssessmentDataType,
    /// The value.
    pub value: DataValue,
}

/// One assessment type in the `assessment.list` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentType {
    /// The vendor's id of the assessment type; comes back in `assessment.start`.
    pub assessment_type_id: String,
    /// Shown to the recruiter.
    pub name: String,
    /// Shown to the recruiter.
    pub description: String,
}

/// Ashby's success envelope, `{"success": true, "results": …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Success<T> {
    /// Always `true`.
    pub success: bool,
    /// The payload.
    pub results: T,
}

/// The success envelope without `results`: the `assessment.cancel` answer
/// when the cancelled assessment's id is not at hand (`respond` without the
/// request; see the provider module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// Always `true`.
    pub success: bool,
}

/// The `assessment.start` request body.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StartRequest {
    /// The assessment type to start (an id from `assessment.list`). Required.
    #[serde(default)]
    pub assessment_type_id: Option<String>,
    /// The candidate. Required.
    #[serde(default)]
    pub candidate: Option<StartCandidate>,
    /// The application (documented as required; optional here).
    #[serde(default)]
    pub application: Option<StartApplication>,
    /// The job (documented as required; optional here).
    #[serde(default)]
    pub job: Option<StartJob>,
    /// Values of the custom fields from `assessment.customField.list`, keyed
    /// by field id. The start schema does not declare this field, so its
    /// shape is kept as sent.
    #[serde(default)]
    pub additional_fields: Option<Value>,
}

/// `assessment.start.candidate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct StartCandidate {
    /// Ashby's candidate id.
    #[serde(default)]
    pub ashby_id: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The address to send the assessment to.
    #[serde(default)]
    pub email: Option<String>,
    /// Link to the candidate in Ashby (absent in traffic relayed by Knit).
    #[serde(default)]
    pub ashby_profile_url: Option<String>,
}

/// `assessment.start.application`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct StartApplication {
    /// Ashby's application id.
    #[serde(default)]
    pub ashby_id: Option<String>,
    /// The application's status: documented as `Active`, `Hired`,
    /// `Archived` or `Lead`; other values (`IN_REVIEW`) occur and are kept.
    #[serde(default)]
    pub status: Option<String>,
}

/// `assessment.start.job`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct StartJob {
    /// Ashby's job id.
    #[serde(default)]
    pub ashby_id: Option<String>,
    /// Job title.
    #[serde(default)]
    pub name: Option<String>,
    /// The customer's requisition id.
    #[serde(default)]
    pub req_id: Option<String>,
    /// Link to the job inside Ashby (absent in traffic relayed by Knit).
    #[serde(default)]
    pub ashby_job_url: Option<String>,
    /// The job's hiring team.
    #[serde(default, rename = "hiringTeam")]
    pub hiring_team: Option<Vec<HiringTeamMember>>,
}

/// One member of `job.hiringTeam`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct HiringTeamMember {
    /// Ashby's user id.
    #[serde(default, rename = "userId")]
    pub user_id: Option<String>,
    /// First name.
    #[serde(default, rename = "firstName")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, rename = "lastName")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// The member's role ("Hiring Manager", "Recruiter").
    #[serde(default)]
    pub role: Option<String>,
}

/// `results` of the `assessment.start` success response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartResults {
    /// The vendor's id for the started assessment; Ashby uses it in every
    /// later `assessment.update` and `assessment.cancel`.
    pub assessment_id: String,
    /// An initial `assessment.update` carried in the answer (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_request: Option<UpdateRequest>,
}

/// The body of the 409 and 422 answers to `assessment.start`; Ashby shows
/// the 422 message to its user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageBody {
    /// The message.
    pub message: String,
}

/// The `assessment.cancel` request body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CancelRequest {
    /// The vendor's id of the assessment to cancel. Required.
    #[serde(default)]
    pub assessment_id: Option<String>,
}

/// One custom field in the `assessment.customField.list` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    /// The field's id: the key of its value in `additional_fields`.
    pub id: String,
    /// The name Ashby shows.
    pub name: String,
    /// The field's type.
    #[serde(rename = "type")]
    pub field_type: CustomFieldType,
    /// The choices of `ValueSelect` / `MultiValueSelect` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub possible_values: Option<Vec<PossibleValue>>,
    /// Whether the Ashby user must fill it in (Ashby's default: `false`).
    #[serde(
        default,
        rename = "isRequired",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_required: Option<bool>,
}

impl CustomField {
    /// A field with an id, a name and a type; not required, no choices.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        field_type: CustomFieldType,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            field_type,
            possible_values: None,
            is_required: None,
        }
    }

    /// Adds a choice (`key` is what `assessment.start` sends, `value` what
    /// Ashby shows).
    pub fn with_choice(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.possible_values
            .get_or_insert_with(Vec::new)
            .push(PossibleValue {
                key: key.into(),
                value: value.into(),
            });
        self
    }

    /// Sets whether the field is required.
    pub fn required(mut self, required: bool) -> Self {
        self.is_required = Some(required);
        self
    }
}

/// One choice of a select custom field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PossibleValue {
    /// Sent in `additional_fields`.
    pub key: String,
    /// Shown in Ashby.
    pub value: String,
}

/// The `assessment.customField.list` success response (the list is under
/// `fields`, not `results`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldList {
    /// Always `true`.
    pub success: bool,
    /// The fields.
    pub fields: Vec<CustomField>,
}

/// The `assessment.update` request body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateRequest {
    /// The vendor's id of the assessment (from the `assessment.start` answer).
    pub assessment_id: String,
    /// When the update happened, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The current status; required unless `cancelled_reason` is set.
    /// `"Started"` makes Ashby record the start time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_status: Option<AssessmentData>,
    /// The result; sending it marks the assessment complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_result: Option<AssessmentData>,
    /// Link to the assessment on the vendor's site (type `url`); required
    /// with `assessment_result`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_profile_url: Option<AssessmentData>,
    /// Why the assessment was cancelled; sending it marks it cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_reason: Option<AssessmentData>,
    /// Everything else, each with a unique identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Vec<AssessmentData>>,
}

/// The `assessment.addCompletedToCandidate` request body (camelCase keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddCompletedRequest {
    /// Ashby's candidate id.
    #[serde(rename = "candidateId")]
    pub candidate_id: String,
    /// The vendor's partner id at Ashby.
    #[serde(rename = "partnerId")]
    pub partner_id: String,
    /// The completed assessment.
    pub assessment: CompletedAssessmentBody,
    /// When the assessment was completed, in milliseconds since the epoch.
    pub timestamp: i64,
}

/// `assessment.addCompletedToCandidate.assessment`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletedAssessmentBody {
    /// The assessment type.
    #[serde(rename = "assessmentTypeId")]
    pub assessment_type_id: String,
    /// The vendor's id of the completed assessment.
    #[serde(rename = "assessmentId")]
    pub assessment_id: String,
    /// The name Ashby shows.
    #[serde(rename = "assessmentName")]
    pub assessment_name: String,
    /// The result.
    pub result: AssessmentData,
    /// Further values (required by Ashby, possibly empty).
    pub metadata: Vec<AssessmentData>,
}

/// Ashby's error envelope: `{"success": false, "errors": [...],
/// "errorInfo": {...}}`. Ashby answers errors with it, often with HTTP 200;
/// the adapter renders it for failed `assessment.list`, `assessment.cancel`
/// and `assessment.customField.list` calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// Always `false`.
    pub success: bool,
    /// Error codes (deprecated by Ashby in favour of `errorInfo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Value>>,
    /// The error.
    #[serde(default, rename = "errorInfo", skip_serializing_if = "Option::is_none")]
    pub error_info: Option<ErrorInfo>,
}

/// `errorInfo` of the error envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Machine-readable code (`invalid_input`).
    #[serde(default)]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Ashby's request id, for its support.
    #[serde(default, rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Further details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn open_enums_keep_unknown_values() {
        let t: AssessmentDataType = serde_json::from_value(json!("numeric_score")).unwrap();
        assert_eq!(t, AssessmentDataType::NumericScore);
        let t: AssessmentDataType = serde_json::from_value(json!("percentile")).unwrap();
        assert_eq!(t, AssessmentDataType::Other("percentile".into()));
        assert_eq!(serde_json::to_value(&t).unwrap(), json!("percentile"));
        let f: CustomFieldType = serde_json::from_value(json!("MultiValueSelect")).unwrap();
        assert_eq!(f.to_string(), "MultiValueSelect");
    }

    #[test]
    fn data_values_keep_their_json_type() {
        let v: Vec<DataValue> = serde_json::from_value(json!([true, 84, 7.5, "x"])).unwrap();
        assert_eq!(v[0], DataValue::Bool(true));
        assert_eq!(serde_json::to_string(&v[1]).unwrap(), "84");
        assert_eq!(serde_json::to_string(&v[2]).unwrap(), "7.5");
        assert_eq!(v[3], DataValue::Text("x".into()));
    }

    #[test]
    fn start_request_reads_camel_case_hiring_team_and_tolerates_nulls() {
        let r: StartRequest = serde_json::from_value(json!({
            "assessment_type_id": "t1",
            "candidate": {"ashby_id": "c1", "email": "a@example.com", "ashby_profile_url": null},
            "application": {"ashby_id": "a1", "status": "IN_REVIEW"},
            "job": {"ashby_id": "j1", "name": "Engineer",
                    "hiringTeam": [{"userId": "u1", "firstName": "Ann", "lastName": "Lee",
                                    "email": "ann@example.com", "role": "Recruiter"}]},
            "something_new": 1
        }))
        .unwrap();
        let team = r.job.unwrap().hiring_team.unwrap();
        assert_eq!(team[0].user_id.as_deref(), Some("u1"));
        assert_eq!(team[0].first_name.as_deref(), Some("Ann"));
        assert_eq!(r.application.unwrap().status.as_deref(), Some("IN_REVIEW"));
        assert_eq!(r.candidate.unwrap().ashby_profile_url, None);
    }

    #[test]
    fn custom_field_serializes_ashby_names() {
        let f = CustomField::new("department", "Department", CustomFieldType::ValueSelect)
            .with_choice("eng", "Engineering")
            .required(true);
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"id":"department","name":"Department","type":"ValueSelect","possible_values":[{"key":"eng","value":"Engineering"}],"isRequired":true}"#
        );
        let bare = CustomField::new("notes", "Notes", CustomFieldType::LongText);
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"id":"notes","name":"Notes","type":"LongText"}"#
        );
    }

    #[test]
    fn update_request_omits_absent_fields() {
        let u = UpdateRequest {
            assessment_id: "a".into(),
            timestamp: 1_665_680_638_489,
            assessment_status: Some(AssessmentData {
                identifier: "status".into(),
                label: "Status".into(),
                description: None,
                data_type: AssessmentDataType::String,
                value: DataValue::Text("Started".into()),
            }),
            assessment_result: None,
            assessment_profile_url: None,
            cancelled_reason: None,
            metadata: None,
        };
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"assessment_id":"a","timestamp":1665680638489,"assessment_status":{"identifier":"status","label":"Status","type":"string","value":"Started"}}"#
        );
    }

    #[test]
    fn error_envelope_reads_error_info() {
        let e: ErrorEnvelope = serde_json::from_value(json!({
            "success": false,
            "errors": ["invalid_input"],
            "errorInfo": {"code": "invalid_input", "message": "bad", "requestId": "r1"}
        }))
        .unwrap();
        let info = e.error_info.unwrap();
        assert_eq!(info.code.as_deref(), Some("invalid_input"));
        assert_eq!(info.request_id.as_deref(), Some("r1"));
    }
}
