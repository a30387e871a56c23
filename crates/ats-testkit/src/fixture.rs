//! The fixture format: one recorded HTTP exchange per JSON file, with what
//! the adapter must make of it. See `docs/fixtures.md`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ats_core::{
    Direction, Error, ErrorKind, InboundEvent, InboundRequest, InboundResponse, OutboundCall,
    VendorReply,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::Method;
use serde::{Deserialize, Serialize};

use serde_json::Value;

/// The placeholder replaced by the mock server's base URL (`http://127.0.0.1:PORT`).
pub const SERVER_PLACEHOLDER: &str = "{{server}}";

/// Why a fixture could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid fixture.
    #[error("{path}: not a valid fixture: {message}")]
    Parse {
        /// The path.
        path: PathBuf,
        /// What is wrong (with the JSON path where known).
        message: String,
    },
    /// The fixture is valid JSON but describes something impossible.
    #[error("{path}: {message}")]
    Invalid {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A recorded request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, without query.
    pub path: String,
    /// Raw query string, without `?`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Headers (lower-case names). For outbound requests, every header listed
    /// here must be sent with exactly this value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A JSON body, sent as compact JSON with keys in the order written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A body given as exact text (pretty JSON, malformed JSON, forms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
}

/// A recorded response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers (lower-case names). For rendered responses, every header
    /// listed here must be present with exactly this value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A JSON body (compared as JSON, and as compact bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A body given as exact text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
}

/// One request and the answer to it, for outbound calls (and the calls an
/// adapter makes to enrich an inbound event).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// What the adapter must send.
    pub request: RecordedRequest,
    /// What the provider answers.
    pub response: RecordedResponse,
}

/// An expected error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpectedError {
    /// Its kind.
    pub kind: ErrorKind,
    /// For `provider_rejected`: the provider's HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// For `provider_rejected`: the provider's error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Whether it is retryable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    /// For `malformed`: the field path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// For `rate_limited`: the wait the provider asked for, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// Text the error's message must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_contains: Option<String>,
}

impl ExpectedError {
    /// Checks an actual error against this expectation.
    pub fn check(&self, error: &Error) -> Result<(), String> {
        let mut problems = Vec::new();
        if error.kind() != self.kind {
            problems.push(format!("kind {:?}, expected {:?}", error.kind(), self.kind));
        }
        if let Some(want) = self.retryable
            && error.is_retryable() != want
        {
            problems.push(format!(
                "retryable {}, expected {want}",
                error.is_retryable()
            ));
        }
        if let Some(want) = self.retry_after_secs {
            let got = error.retry_after().map(|d| d.as_secs());
            if got != Some(want) {
                problems.push(format!("retry_after {got:?}, expected {want}"));
            }
        }
        match error {
            Error::ProviderRejected { status, code, .. } => {
                if let Some(want) = self.status
                    && *status != want
                {
                    problems.push(format!("status {status}, expected {want}"));
                }
                if self.code.is_some() && code != &self.code {
                    problems.push(format!("code {code:?}, expected {:?}", self.code));
                }
            }
            Error::Malformed { path, .. } => {
                if let Some(want) = &self.path
                    && path != want
                {
                    problems.push(format!("path `{path}`, expected `{want}`"));
                }
            }
            _ => {}
        }
        if let Some(want) = &self.message_contains
            && !error.to_string().contains(want.as_str())
        {
            problems.push(format!("message `{error}` lacks `{want}`"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("error `{error}`: {}", problems.join("; ")))
        }
    }
}

/// What an outbound write must report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedDelivery {
    /// HTTP calls made, retries included.
    pub attempts: u32,
    /// Warnings returned by the provider.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// What the adapter must make of the fixture.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    /// Inbound: the event `receive` yields (tenant included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<InboundEvent>,
    /// Inbound: what pure `translate` yields, when it differs from `event`
    /// (adapters that fetch details inside `receive`). Defaults to `event`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translated: Option<InboundEvent>,
    /// The error `receive` or the outbound call must fail with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ExpectedError>,
    /// Outbound: what a successful write reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<ExpectedDelivery>,
    /// Outbound: operations `prepare` builds that this write must not send,
    /// because the provider already holds their effect (a note an earlier
    /// attempt wrote). They are checked as absent from `exchanges`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// One recorded exchange and its expected translation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fixture {
    /// What the fixture shows, in a sentence.
    pub description: String,
    /// The provider's operation name.
    pub operation: String,
    /// Inbound (provider → vendor) or outbound (vendor → provider).
    pub direction: Direction,
    /// Inbound: when the request arrived (defaults to 2026-01-01T00:00:00Z,
    /// so translations are deterministic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
    /// Inbound: the provider's request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RecordedRequest>,
    /// Inbound: the vendor's answer to the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<VendorReply>,
    /// Inbound: the exact response the adapter must render.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    /// Outbound: the write to perform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<OutboundCall>,
    /// Calls the adapter must make, in order, with the provider's answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
    /// What must come of it.
    pub expect: Expectation,
}

/// The default arrival time of inbound fixtures.
pub fn default_received_at() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

/// A fixture file, read but not yet parsed (parsing substitutes the mock
/// server's URL).
#[derive(Clone, Debug)]
pub struct FixtureFile {
    /// Where it was read from.
    pub path: PathBuf,
    text: String,
}

impl fmt::Display for FixtureFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            self.path.file_name().map_or_else(
                || self.path.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            )
        )
    }
}

impl FixtureFile {
    /// Reads one file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, FixtureError> {
        let path = path.as_ref().to_path_buf();
        let text = std::fs::read_to_string(&path).map_err(|source| FixtureError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Self { path, text })
    }

    /// The same file with every whole occurrence of `from` replaced by
    /// `to`: an id given a new value throughout (the order, its reads and
    /// its write-back), as a provider's next order would carry. An
    /// occurrence is whole when the characters beside it are not letters,
    /// digits, `_` or `-` (`41872` is not replaced inside `1741872000`).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join(format!("fixture-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("f.json");
    /// std::fs::write(&path, r#"{"id": "41872", "at": 1741872000, "path": "/a/41872"}"#)?;
    /// let file = ats_testkit::fixture::FixtureFile::read(&path)?.with_token_replaced("41872", "41873");
    /// assert_eq!(file.text(), r#"{"id": "41873", "at": 1741872000, "path": "/a/41873"}"#);
    /// # Ok(()) }
    /// ```
    pub fn with_token_replaced(&self, from: &str, to: &str) -> Self {
        let inside =
            |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
        let mut text = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        while let (false, Some(at)) = (from.is_empty(), rest.find(from)) {
            let before = if at == 0 {
                text.chars().next_back()
            } else {
                rest[..at].chars().next_back()
            };
            let after = rest[at + from.len()..].chars().next();
            text.push_str(&rest[..at]);
            if inside(before) || inside(after) {
                text.push_str(from);
            } else {
                text.push_str(to);
            }
            rest = &rest[at + from.len()..];
        }
        text.push_str(rest);
        Self {
            path: self.path.clone(),
            text,
        }
    }

    /// The file's text, as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Parses the fixture, replacing [`SERVER_PLACEHOLDER`] with `server`.
    pub fn parse(&self, server: &str) -> Result<Fixture, FixtureError> {
        let text = self.text.replace(SERVER_PLACEHOLDER, server);
        let mut de = serde_json::Deserializer::from_str(&text);
        let fixture: Fixture = parse_fixture(&mut de).map_err(|message| FixtureError::Parse {
            path: self.path.clone(),
            message,
        })?;
        fixture
            .validate()
            .map_err(|message| FixtureError::Invalid {
                path: self.path.clone(),
                message,
            })?;
        Ok(fixture)
    }
}

fn parse_fixture(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
) -> Result<Fixture, String> {
    let f: Fixture = serde_path_to_error::deserialize(&mut *de)
        .map_err(|e| format!("at `{}`: {}", e.path(), e.inner()))?;
    de.end().map_err(|e| e.to_string())?;
    Ok(f)
}

/// Reads every `*.json` file below `dir` (recursively), sorted by path.
pub fn read_dir(dir: impl AsRef<Path>) -> Result<Vec<FixtureFile>, FixtureError> {
    let mut files = Vec::new();
    collect(dir.as_ref(), &mut files)?;
    files.sort();
    files.into_iter().map(FixtureFile::read).collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), FixtureError> {
    let io = |source| FixtureError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

impl Fixture {
    fn validate(&self) -> Result<(), String> {
        match self.direction {
            Direction::Inbound => {
                if self.request.is_none() {
                    return Err("an inbound fixture needs `request`".into());
                }
                if self.expect.event.is_some() == self.expect.error.is_some() {
                    return Err(
                        "an inbound fixture expects exactly one of `event` and `error`".into(),
                    );
                }
            }
            Direction::Outbound => {
                if self.call.is_none() {
                    return Err("an outbound fixture needs `call`".into());
                }
                // nothing recorded: the call fails before any I/O, or is
                // skipped by design (a delivery of zero attempts)
                let skipped = self
                    .expect
                    .delivery
                    .as_ref()
                    .is_some_and(|d| d.attempts == 0);
                if self.exchanges.is_empty() && self.expect.error.is_none() && !skipped {
                    return Err("an outbound fixture needs `exchanges`".into());
                }
                if self.expect.delivery.is_some() == self.expect.error.is_some() {
                    return Err(
                        "an outbound fixture expects exactly one of `delivery` and `error`".into(),
                    );
                }
            }
        }
        if let Some(r) = &self.request {
            r.body_bytes()?;
        }
        Ok(())
    }

    /// The inbound request as the adapter receives it.
    pub fn inbound_request(&self) -> Result<InboundRequest, String> {
        let r = self
            .request
            .as_ref()
            .ok_or("the fixture has no `request`")?;
        r.to_inbound(self.received_at.unwrap_or_else(default_received_at))
    }

    /// Whether the adapter is expected to accept the inbound request.
    pub fn expects_success(&self) -> bool {
        self.expect.error.is_none()
    }
}

fn body_bytes(body: Option<&Value>, text: Option<&str>) -> Result<Bytes, String> {
    match (body, text) {
        (Some(_), Some(_)) => Err("give `body` or `body_text`, not both".into()),
        (Some(v), None) => serde_json::to_vec(v)
            .map(Bytes::from)
            .map_err(|e| e.to_string()),
        (None, Some(t)) => Ok(Bytes::from(t.to_owned())),
        (None, None) => Ok(Bytes::new()),
    }
}

impl RecordedRequest {
    /// The body bytes: compact JSON for `body`, the text for `body_text`.
    pub fn body_bytes(&self) -> Result<Bytes, String> {
        body_bytes(self.body.as_ref(), self.body_text.as_deref())
    }

    /// The request as an [`InboundRequest`].
    pub fn to_inbound(&self, received_at: DateTime<Utc>) -> Result<InboundRequest, String> {
        let method = Method::from_bytes(self.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut target = self.path.clone();
        if let Some(q) = &self.query {
            target.push('?');
            target.push_str(q);
        }
        let mut req = InboundRequest::new(method, &target).received_at(received_at);
        for (name, value) in &self.headers {
            req = req.with_header(name, value).map_err(|e| e.to_string())?;
        }
        Ok(req.with_body(self.body_bytes()?))
    }
}

impl RecordedResponse {
    /// The body bytes: compact JSON for `body`, the text for `body_text`.
    pub fn body_bytes(&self) -> Result<Bytes, String> {
        body_bytes(self.body.as_ref(), self.body_text.as_deref())
    }

    /// Compares a rendered response with this recording: status, every
    /// recorded header, and the body (JSON bodies as JSON *and* as bytes).
    pub fn check(&self, actual: &InboundResponse) -> Result<(), String> {
        let mut problems = Vec::new();
        if actual.status.as_u16() != self.status {
            problems.push(format!(
                "status {}, expected {}",
                actual.status.as_u16(),
                self.status
            ));
        }
        for (name, want) in &self.headers {
            let got = actual
                .headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok());
            if got != Some(want.as_str()) {
                problems.push(format!("header `{name}` is {got:?}, expected {want:?}"));
            }
        }
        let want = self.body_bytes()?;
        if actual.body != want {
            let got_text = String::from_utf8_lossy(&actual.body);
            let want_text = String::from_utf8_lossy(&want);
            problems.push(format!("body\n     got: {got_text}\nexpected: {want_text}"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inbound() -> Value {
        json!({
            "description": "d",
            "operation": "op",
            "direction": "inbound",
            "request": {"method": "POST", "path": "/op", "query": "a=1",
                        "headers": {"authorization": "Basic eDo="},
                        "body": {"z": 1, "a": "{{server}}"}},
            "reply": {"type": "acknowledged"},
            "response": {"status": 200, "body": {"ok": true}},
            "expect": {"error": {"kind": "malformed", "path": "a"}}
        })
    }

    #[test]
    fn only_whole_tokens_are_replaced() {
        let f = FixtureFile {
            path: PathBuf::from("x.json"),
            text: "abc abc-1 x_abc abcd abc/abc\"abc".into(),
        };
        assert_eq!(
            f.with_token_replaced("abc", "XY").text(),
            "XY abc-1 x_abc abcd XY/XY\"XY"
        );
        // a replacement that begins the text, and one right after another
        let f = FixtureFile {
            path: PathBuf::from("x.json"),
            text: "7 77 7".into(),
        };
        assert_eq!(f.with_token_replaced("7", "8").text(), "8 77 8");
        assert_eq!(f.with_token_replaced("", "8").text(), "7 77 7");
    }

    fn file(v: &Value) -> FixtureFile {
        FixtureFile {
            path: PathBuf::from("x.json"),
            text: serde_json::to_string_pretty(v).unwrap(),
        }
    }

    #[test]
    fn parses_and_substitutes_the_server() {
        let f = file(&inbound()).parse("http://127.0.0.1:1").unwrap();
        let r = f.inbound_request().unwrap();
        assert_eq!(r.query_param("a").as_deref(), Some("1"));
        assert_eq!(r.header("authorization"), Some("Basic eDo="));
        // key order is kept: the body is sent exactly as written
        assert_eq!(&r.body[..], br#"{"z":1,"a":"http://127.0.0.1:1"}"#);
        assert_eq!(r.received_at, default_received_at());
    }

    #[test]
    fn rejects_contradictory_fixtures() {
        let mut v = inbound();
        v["expect"] = json!({});
        let e = file(&v).parse("").unwrap_err();
        assert!(e.to_string().contains("exactly one of"), "{e}");
        let mut v = inbound();
        v["request"]["body_text"] = json!("x");
        assert!(file(&v).parse("").is_err());
        assert!(file(&json!({"description": 1})).parse("").is_err());
    }

    #[test]
    fn response_check_compares_bytes() {
        let r = RecordedResponse {
            status: 200,
            headers: BTreeMap::from([("content-type".into(), "application/json".into())]),
            body: Some(json!({"a": 1})),
            body_text: None,
        };
        let ok = InboundResponse::json(http::StatusCode::OK, &json!({"a": 1})).unwrap();
        r.check(&ok).unwrap();
        let bad = InboundResponse::json(http::StatusCode::OK, &json!({"a": 2})).unwrap();
        assert!(r.check(&bad).unwrap_err().contains("body"));
    }

    #[test]
    fn expected_error_matching() {
        let e = Error::ProviderRejected {
            provider: "p".into(),
            status: 503,
            code: None,
            message: "down".into(),
        };
        let want = ExpectedError {
            kind: ErrorKind::ProviderRejected,
            status: Some(503),
            code: None,
            retryable: Some(true),
            path: None,
            retry_after_secs: None,
            message_contains: Some("down".into()),
        };
        want.check(&e).unwrap();
        let wrong = ExpectedError {
            status: Some(500),
            ..want
        };
        assert!(
            wrong
                .check(&e)
                .unwrap_err()
                .contains("status 503, expected 500")
        );
    }
}
