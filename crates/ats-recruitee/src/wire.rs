//! Recruitee Partners API wire structs, field names exactly as in
//! Recruitee's documentation (`docs/providers/recruitee.md` gives the page
//! for each). Everything Recruitee may omit or send as `null` is an
//! `Option`; ids are read from a JSON string or a number. No logic.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One entry of the answer to `GET {partner.urls.tests}` (a bare JSON
/// array of these). Recruitee's example writes `name` first, then `id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Test {
    /// The label shown to recruiters.
    pub name: String,
    /// The id Recruitee sends back as `test_id` with a candidate.
    pub id: TestId,
}

/// A test id as written in the tests list: Recruitee's example uses JSON
/// numbers, while `send_candidate` carries `test_id` as a string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TestId {
    /// A non-negative integer (`2`), the form of Recruitee's example.
    Number(u64),
    /// Any other id (`"ruby-senior"`, `"007"`).
    Text(String),
}

/// The body of `POST {partner.urls.send_candidate}`.
///
/// The first three fields are Recruitee's default inputs; a partner may
/// configure others (`partner.inputs`), which arrive as further keys and
/// stay in the order's `raw` payload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SendCandidateRequest {
    /// First name (default input, required in Recruitee's form).
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name (default input, required in Recruitee's form).
    #[serde(default)]
    pub last_name: Option<String>,
    /// E-mail address (default input, required in Recruitee's form).
    #[serde(default)]
    pub email: Option<String>,
    /// Recruitee's candidate id (a number in Recruitee's example).
    #[serde(default, deserialize_with = "ats_core::codec::opt_string_or_number")]
    pub candidate_id: Option<String>,
    /// The customer's Recruitee company id (a number in Recruitee's example).
    #[serde(default, deserialize_with = "ats_core::codec::opt_string_or_number")]
    pub company_id: Option<String>,
    /// The report Recruitee created for this request (a UUID); the vendor
    /// updates it with `PATCH /p/{codename}/reports/{report_id}`.
    #[serde(default, deserialize_with = "ats_core::codec::opt_string_or_number")]
    pub report_id: Option<String>,
    /// The chosen test's id, from the tests list (a string in Recruitee's
    /// example; a number is accepted too).
    #[serde(default, deserialize_with = "ats_core::codec::opt_string_or_number")]
    pub test_id: Option<String>,
    /// The chosen test's name, from the tests list.
    #[serde(default)]
    pub test_name: Option<String>,
    /// Phone number, when the partner configured a `phone` input (the key is
    /// assumed to be the input's `name`; Recruitee shows no payload for it).
    #[serde(default)]
    pub phone: Option<String>,
}

/// The error body answered to Recruitee: Recruitee shows `error` to the
/// user for 4xx answers other than 401 and 403.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, in words a recruiter can act on.
    pub error: String,
}

/// The body of `PATCH /p/{codename}/reports/{report_id}`: the report's
/// fields, each optional (a `PATCH` changes only what it names).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportUpdate {
    /// `sent`, `completed`, `failed` or `canceled`; kept as text so a value
    /// this crate does not know still parses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Free text: `"10"`, `"76%"`, `"12/15"` or a short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// When the candidate finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// A line under the report's title (not for background and reference
    /// check partners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// Further values shown with the report (not for background and
    /// reference check partners); sent as the vendor supplies them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
    /// Links Recruitee offers with the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<ReportUrls>,
}

/// `urls` in the report update.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportUrls {
    /// Where a recruiter cancels the test from Recruitee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_list_writes_name_then_id() {
        let list = vec![
            Test {
                name: "Ruby".into(),
                id: TestId::Number(2),
            },
            Test {
                name: "SQL".into(),
                id: TestId::Text("sql-30".into()),
            },
        ];
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"[{"name":"Ruby","id":2},{"name":"SQL","id":"sql-30"}]"#
        );
    }

    #[test]
    fn send_candidate_reads_the_documented_example() {
        let r: SendCandidateRequest = serde_json::from_str(
            r#"{"first_name": "Jon", "last_name": "Snow", "email": "jon@example.com",
                "candidate_id": 1, "company_id": 1,
                "report_id": "bb83dc83-91b2-46a5-8a21-824067f29c68",
                "test_id": "2", "test_name": "Ruby"}"#,
        )
        .unwrap();
        assert_eq!(r.candidate_id.as_deref(), Some("1"));
        assert_eq!(r.company_id.as_deref(), Some("1"));
        assert_eq!(
            r.report_id.as_deref(),
            Some("bb83dc83-91b2-46a5-8a21-824067f29c68")
        );
        assert_eq!(r.test_id.as_deref(), Some("2"));
        assert_eq!(r.phone, None);
    }

    #[test]
    fn report_update_omits_absent_fields() {
        let u = ReportUpdate {
            status: Some("canceled".into()),
            ..ReportUpdate::default()
        };
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"status":"canceled"}"#
        );
        let u = ReportUpdate {
            urls: Some(ReportUrls {
                cancel: Some("https://assess.example.com/cancel/1".into()),
            }),
            ..ReportUpdate::default()
        };
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"urls":{"cancel":"https://assess.example.com/cancel/1"}}"#
        );
    }
}
