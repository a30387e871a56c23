//! Workable "Assessment Providers" wire structs, field names exactly as
//! Workable and the implementations it has been checked against use them
//! (`docs/providers/workable.md` records the source of every field).
//!
//! Everything Workable may omit or send as `null` is an `Option`; ids are
//! read from a JSON string or an integer. The structs carry no logic.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};

/// The `GET {BASE_URL}/tests` response: `{"tests": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestsResponse {
    /// The tests a recruiter can pick (one per job).
    pub tests: Vec<Test>,
}

/// One entry of `tests`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Test {
    /// The test's id; Workable sends it back as `test_id` when creating an
    /// assessment. Workable's own example uses JSON numbers.
    pub id: TestId,
    /// The label shown to recruiters.
    pub name: String,
}

/// A test id as it appears on the wire: a JSON number or a JSON string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TestId {
    /// A non-negative integer (`1`), the form of Workable's example.
    Number(u64),
    /// Any other id (`"backend-rust-90"`, `"007"`).
    Text(String),
}

impl TestId {
    /// The id as text, as the core model keeps package ids.
    pub fn as_text(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(s) => s.clone(),
        }
    }
}

/// The `POST {BASE_URL}/assessments` request body.
///
/// Workable does not mark any field as required in a source that could be
/// read; the adapter requires `test_id`, `callback_url` and
/// `candidate.email` (see `translate::create_assessment_to_order`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CreateAssessmentRequest {
    /// The id of the chosen test, from `GET /tests` (a string or an integer).
    #[serde(default, deserialize_with = "opt_id")]
    pub test_id: Option<String>,
    /// Where the vendor sends status changes and results (`PUT`).
    #[serde(default)]
    pub callback_url: Option<String>,
    /// The candidate to invite.
    #[serde(default)]
    pub candidate: Option<CandidatePayload>,
    /// Workable's short code of the job.
    #[serde(default)]
    pub job_shortcode: Option<String>,
    /// The job's title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Workable's job id (seen in one implementation only).
    #[serde(default, deserialize_with = "opt_id")]
    pub job_id: Option<String>,
}

/// `candidate` in the create request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CandidatePayload {
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The address the invitation goes to.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number, as typed in Workable.
    #[serde(default)]
    pub phone: Option<String>,
    /// Link to the candidate's resume (seen in one implementation only).
    #[serde(default)]
    pub resume_url: Option<String>,
}

/// The create response: the vendor's id for the new assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAssessmentResponse {
    /// The vendor's assessment id, always a JSON string.
    pub assessment_id: String,
}

/// The answer to `GET …/assessments/{id}/shared-link`: the candidate's link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedLinkResponse {
    /// Where the candidate takes the assessment.
    pub url: String,
}

/// The error body answered to Workable: the HTTP status repeated as an
/// integer, and a message a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong.
    pub message: String,
}

/// The body of `PUT {callback_url}`: a status change or the results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessmentCallback {
    /// `pending`, `completed`, `rejected` or `expired`; kept as text so a
    /// value this crate does not know still parses.
    pub status: String,
    /// The full results on the vendor's site; sent with `completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_url: Option<String>,
    /// The results; sent with `completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<AssessmentResults>,
    /// Files to show with the results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<CallbackAttachment>,
}

/// `assessment` in the callback body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AssessmentResults {
    /// The overall score, a number written as a JSON string (`"84"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// `failed`, `passed` or `excelled` (shown as "no", "yes", "definitely
    /// yes"); kept as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// A short summary for the hiring team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Free-form breakdown: label → number, text, boolean or nested object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Map<String, Value>>,
    /// Time the candidate took, `HH:MM:SS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// One entry of `attachments` in the callback body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAttachment {
    /// What the file is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where Workable downloads it.
    pub url: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawId {
    Text(String),
    Number(Number),
}

/// Reads an id sent as a string or an integer (`"12"` or `12`); `null` is
/// `None`. Fractions, booleans, arrays and objects are refused.
fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw = Option::<RawId>::deserialize(d)
        .map_err(|_| serde::de::Error::custom("expected a string or an integer"))?;
    match raw {
        None => Ok(None),
        Some(RawId::Text(s)) => Ok(Some(s)),
        Some(RawId::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        Some(RawId::Number(n)) => Err(serde::de::Error::custom(format!(
            "expected a string or an integer, found {n}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ids_serialize_as_numbers_or_strings() {
        let r = TestsResponse {
            tests: vec![
                Test {
                    id: TestId::Number(1),
                    name: "Aptitude Test".into(),
                },
                Test {
                    id: TestId::Text("sql-30".into()),
                    name: "SQL".into(),
                },
            ],
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"tests":[{"id":1,"name":"Aptitude Test"},{"id":"sql-30","name":"SQL"}]}"#
        );
        let back: TestsResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.tests[0].id.as_text(), "1");
    }

    #[test]
    fn create_request_ids_may_be_numbers() {
        let r: CreateAssessmentRequest = serde_json::from_str(
            r#"{"test_id": 2, "job_id": "61", "candidate": {"email": "a@example.com", "phone": null}}"#,
        )
        .unwrap();
        assert_eq!(r.test_id.as_deref(), Some("2"));
        assert_eq!(r.job_id.as_deref(), Some("61"));
        assert_eq!(r.callback_url, None);
        assert_eq!(r.candidate.unwrap().phone, None);
    }

    #[test]
    fn create_request_refuses_fractional_and_boolean_ids() {
        for body in [
            r#"{"test_id": 1.5}"#,
            r#"{"test_id": true}"#,
            r#"{"test_id": []}"#,
        ] {
            let e = serde_json::from_str::<CreateAssessmentRequest>(body).unwrap_err();
            assert!(
                e.to_string().contains("expected a string or an integer"),
                "{e}"
            );
        }
        let r: CreateAssessmentRequest = serde_json::from_str(r#"{"test_id": null}"#).unwrap();
        assert_eq!(r.test_id, None);
    }

    #[test]
    fn callback_omits_absent_fields() {
        let c = AssessmentCallback {
            status: "pending".into(),
            results_url: None,
            assessment: None,
            attachments: Vec::new(),
        };
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"status":"pending"}"#
        );
    }
}
