//! Greenhouse Assessment Partner API wire structs, field names exactly as in
//! Greenhouse's documentation (`docs/providers/greenhouse.md`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One test in the `list_tests` response (which is a bare JSON array of these).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Test {
    /// Identifies a test available to the organization.
    pub partner_test_id: String,
    /// The label Greenhouse shows for the test.
    pub partner_test_name: String,
}

/// The `send_test` request body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SendTestRequest {
    /// The test to send (documented as a string; older docs showed a number,
    /// so both are accepted).
    #[serde(deserialize_with = "ats_core::codec::string_or_number")]
    pub partner_test_id: String,
    /// The candidate.
    pub candidate: SendTestCandidate,
    /// E-mail address of the Greenhouse user who sent the test.
    #[serde(default)]
    pub sent_by: Option<String>,
    /// The URL to `PATCH` when the test is completed.
    #[serde(default)]
    pub url: Option<String>,
}

/// `send_test.candidate`. Greenhouse sends `null` for missing values, so
/// every field but the e-mail address is optional.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SendTestCandidate {
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Preferred name.
    #[serde(default)]
    pub preferred_name: Option<String>,
    /// Resume URL; expires 7 days after the request.
    #[serde(default)]
    pub resume_url: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The address the test must be sent to.
    #[serde(default)]
    pub email: Option<String>,
    /// `https://app.greenhouse.io/people/<candidate id>?application_id=<application id>`.
    #[serde(default)]
    pub greenhouse_profile_url: Option<String>,
}

/// The `send_test` response body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendTestResponse {
    /// The vendor's id for this sent instance of the test.
    pub partner_interview_id: String,
}

/// The `test_status` response body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestStatusResponse {
    /// `"complete"` once results exist; any other text otherwise.
    pub partner_status: String,
    /// The candidate's page on the vendor's site; required when complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_profile_url: Option<String>,
    /// Numerical score (whole numbers are written without a fraction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_score: Option<serde_json::Number>,
    /// A flat object of primitive values shown with the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// The `response_error` request body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ResponseErrorRequest {
    /// The call whose response was malformed.
    pub api_call: String,
    /// What was wrong with it.
    pub errors: Vec<String>,
    /// The test, when known.
    #[serde(default, deserialize_with = "ats_core::codec::opt_string_or_number")]
    pub partner_test_id: Option<String>,
    /// The test's name, when known.
    #[serde(default)]
    pub partner_test_name: Option<String>,
    /// The sent test instance, when known.
    #[serde(default, deserialize_with = "ats_core::codec::opt_string_or_number")]
    pub partner_interview_id: Option<String>,
    /// The candidate's e-mail, when known.
    #[serde(default)]
    pub candidate_email: Option<String>,
}

/// The body Greenhouse's docs show as the answer to `response_error`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseErrorAck {
    /// Always 200.
    pub status: u16,
}

/// The error body this adapter answers with. Greenhouse documents the status
/// codes of errors (401, 404) but no body; a JSON object with one message is
/// what a person reading Greenhouse's logs can use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_id_may_be_a_number() {
        let r: SendTestRequest = serde_json::from_str(
            r#"{"partner_test_id": 12345, "candidate": {"email": "a@example.com"}, "url": null}"#,
        )
        .unwrap();
        assert_eq!(r.partner_test_id, "12345");
        assert_eq!(r.url, None);
    }

    #[test]
    fn status_response_omits_absent_fields() {
        let r = TestStatusResponse {
            partner_status: "in_progress".into(),
            partner_profile_url: None,
            partner_score: None,
            metadata: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"partner_status":"in_progress"}"#
        );
    }
}
