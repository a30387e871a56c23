//! Replays recorded exchanges through a `wiremock` server and checks that
//! the adapter sent exactly the recorded requests.

use ats_core::PreparedRequest;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::fixture::{Exchange, RecordedRequest, RecordedResponse};

/// Mounts the exchanges on `server`, in order: the n-th request to a given
/// method and path gets the n-th recorded answer for them.
///
/// Requests are matched on method and path only, so a request with a wrong
/// body still gets an answer and [`verify`] can say exactly what differs.
pub async fn mount(server: &MockServer, exchanges: &[Exchange]) -> Result<(), String> {
    for (i, ex) in exchanges.iter().enumerate() {
        Mock::given(method(ex.request.method.as_str()))
            .and(path(ex.request.path.as_str()))
            .respond_with(template(&ex.response)?)
            .up_to_n_times(1)
            .named(format!(
                "exchange {i}: {} {}",
                ex.request.method, ex.request.path
            ))
            .mount(server)
            .await;
    }
    Ok(())
}

fn template(r: &RecordedResponse) -> Result<ResponseTemplate, String> {
    let mut t = ResponseTemplate::new(r.status);
    for (name, value) in &r.headers {
        t = t.insert_header(name.as_str(), value.as_str());
    }
    let body = r.body_bytes()?;
    if !body.is_empty() {
        let content_type = r
            .headers
            .get("content-type")
            .map_or("application/json", String::as_str)
            .to_owned();
        t = t.set_body_raw(body.to_vec(), &content_type);
    }
    Ok(t)
}

/// Checks the requests `server` received against the recorded ones, in
/// order: method, path, query, every recorded header (credentials included)
/// and the body, byte for byte.
pub async fn verify(server: &MockServer, exchanges: &[Exchange]) -> Result<(), String> {
    let received = server
        .received_requests()
        .await
        .ok_or("the mock server is not recording requests")?;
    let mut problems = Vec::new();
    if received.len() != exchanges.len() {
        problems.push(format!(
            "{} requests sent, {} recorded: [{}]",
            received.len(),
            exchanges.len(),
            received
                .iter()
                .map(|r| format!("{} {}", r.method, r.url.path()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for (i, (got, want)) in received.iter().zip(exchanges).enumerate() {
        if let Err(e) = compare_request(got, &want.request) {
            problems.push(format!("request {i}: {e}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Which headers of a request are compared with the recording.
#[derive(Clone, Copy)]
enum Headers {
    /// Every recorded header must have been sent, with exactly that value.
    AllRecorded,
    /// Only headers present on both sides are compared (prepared requests
    /// carry no credentials yet).
    Shared,
}

fn compare(
    method: &http::Method,
    url: &url::Url,
    headers: &http::HeaderMap,
    body: &[u8],
    want: &RecordedRequest,
    mode: Headers,
) -> Result<(), String> {
    let mut problems = Vec::new();
    if method.as_str() != want.method {
        problems.push(format!("method {method}, expected {}", want.method));
    }
    if url.path() != want.path {
        problems.push(format!("path {}, expected {}", url.path(), want.path));
    }
    if url.query() != want.query.as_deref() {
        problems.push(format!(
            "query {:?}, expected {:?}",
            url.query(),
            want.query
        ));
    }
    for (name, value) in &want.headers {
        let sent = headers
            .get(name.as_str())
            .map(|v| v.to_str().unwrap_or("<non-ASCII>"));
        let compared = matches!(mode, Headers::AllRecorded) || sent.is_some();
        if compared && sent != Some(value.as_str()) {
            problems.push(format!("header `{name}` is {sent:?}, expected {value:?}"));
        }
    }
    let expected = want.body_bytes()?;
    if body != expected.as_ref() {
        // JSON on both sides: name the first field that differs, then the
        // bytes (the field may agree while the bytes do not: key order,
        // spacing, number format)
        let field = match (
            serde_json::from_slice::<serde_json::Value>(body),
            serde_json::from_slice::<serde_json::Value>(&expected),
        ) {
            (Ok(g), Ok(w)) => crate::conformance::first_difference(&g, &w, String::new())
                .map(|d| format!(" (first difference at {d})")),
            _ => None,
        };
        problems.push(format!(
            "body{}\n     got: {}\nexpected: {}",
            field.unwrap_or_default(),
            String::from_utf8_lossy(body),
            String::from_utf8_lossy(&expected)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Compares one received request with a recording: method, path, query,
/// every recorded header (credentials included) and the body bytes.
pub fn compare_request(got: &Request, want: &RecordedRequest) -> Result<(), String> {
    compare(
        &got.method,
        &got.url,
        &got.headers,
        &got.body,
        want,
        Headers::AllRecorded,
    )
}

/// Compares a prepared (not yet sent) request with a recording: method,
/// path, query, body bytes and the non-credential headers it carries.
pub fn compare_prepared(got: &PreparedRequest, want: &RecordedRequest) -> Result<(), String> {
    compare(
        &got.method,
        &got.url,
        &got.headers,
        &got.body,
        want,
        Headers::Shared,
    )
}
