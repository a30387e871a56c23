//! `ats record`: a recording proxy. It stands between a provider and the
//! vendor's service, forwards every request unchanged, returns the
//! service's answer unchanged, and writes each exchange as an inbound
//! fixture (`docs/fixtures.md`) — with credentials, signatures and
//! personal data redacted in what it writes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ats_core::{AtsProvider, Direction, InboundRequest};
use ats_testkit::fixture::{
    Expectation, ExpectedError, Fixture, RecordedRequest, RecordedResponse,
};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// What replaces a credential, a signature or a personal value.
pub const REDACTED: &str = "<redacted>";

/// Body fields redacted by default (at any depth): personal data and
/// credentials that travel in bodies.
pub const DEFAULT_FIELDS: &[&str] = &[
    "email",
    "emails",
    "email_address",
    "phone",
    "phone_number",
    "phone_numbers",
    "phones",
    "first_name",
    "last_name",
    "firstName",
    "lastName",
    "name",
    "preferred_name",
    "resume_url",
    "address",
    "street_1",
    "street_2",
    "signature",
    "token",
    "api_key",
    "access_token",
    "refresh_token",
    "secret",
    "password",
];

/// The recording proxy's settings.
#[derive(Debug)]
pub struct Args {
    /// Where providers send to.
    pub listen: SocketAddr,
    /// The vendor's service (scheme, host, port; the request's path and
    /// query are appended).
    pub forward: String,
    /// The provider whose traffic this is.
    pub provider: String,
    /// Where fixtures are written.
    pub out: PathBuf,
    /// Body fields to redact besides [`DEFAULT_FIELDS`].
    pub redact: Vec<String>,
}

struct Proxy {
    adapter: Box<dyn AtsProvider>,
    forward: String,
    out: PathBuf,
    fields: Vec<String>,
    client: reqwest::Client,
    count: AtomicUsize,
}

/// Runs the proxy until interrupted.
pub fn run(args: Args) -> Result<(), String> {
    let adapter = crate::registry::adapter(&args.provider)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut fields: Vec<String> = DEFAULT_FIELDS.iter().map(|s| (*s).to_owned()).collect();
    fields.extend(args.redact.iter().cloned());
    let proxy = Arc::new(Proxy {
        adapter,
        forward: args.forward.trim_end_matches('/').to_owned(),
        out: args.out.clone(),
        fields,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?,
        count: AtomicUsize::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("--listen {}: {e}", args.listen))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!(
            "recording {} on http://{local} → {}, fixtures in {}",
            args.provider,
            proxy.forward,
            args.out.display()
        );
        let app = axum::Router::new().fallback(handle).with_state(proxy);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    })
}

async fn handle(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body over 16 MiB").into_response();
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut forwarded = proxy
        .client
        .request(
            parts.method.clone(),
            format!("{}{path_and_query}", proxy.forward),
        )
        .body(body.clone());
    for (name, value) in &parts.headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            forwarded = forwarded.header(name, value);
        }
    }
    let (status, headers, answer) = match forwarded.send().await {
        Ok(r) => {
            let status = r.status();
            let headers = r.headers().clone();
            let answer = r.bytes().await.unwrap_or_default();
            (status, headers, answer)
        }
        Err(e) => {
            eprintln!("forwarding {path_and_query}: {e}");
            return (
                StatusCode::BAD_GATEWAY,
                format!("the service is unreachable: {e}"),
            )
                .into_response();
        }
    };
    let n = proxy.count.fetch_add(1, Ordering::SeqCst) + 1;
    match write_fixture(
        &proxy,
        n,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        status,
        &headers,
        &answer,
    ) {
        Ok(file) => println!(
            "{} {} → {} recorded as {file}",
            parts.method,
            parts.uri.path(),
            status.as_u16()
        ),
        Err(e) => eprintln!("could not write the fixture: {e}"),
    }
    let mut response = (status, answer).into_response();
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

#[allow(clippy::too_many_arguments)]
fn write_fixture(
    proxy: &Proxy,
    n: usize,
    method: &http::Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
    status: StatusCode,
    answer_headers: &HeaderMap,
    answer: &Bytes,
) -> Result<String, String> {
    let body = redacted_body(body, &proxy.fields);
    let mut request = InboundRequest::new(method.clone(), uri.path()).with_body(body.clone());
    request.query = uri.query().map(str::to_owned);
    for (name, value) in headers {
        if let (false, Ok(value)) = (is_credential(name.as_str()), value.to_str()) {
            request = request
                .with_header(name.as_str(), value)
                .map_err(|e| e.to_string())?;
        }
    }
    let operation = proxy
        .adapter
        .route(&request)
        .map_or_else(|_| "unknown".to_owned(), str::to_owned);
    let expect = match proxy.adapter.translate_bare(&operation, &request) {
        Ok(bare) => Expectation {
            event: Some(bare.event),
            ..Expectation::default()
        },
        Err(e) => Expectation {
            error: Some(ExpectedError {
                kind: e.kind(),
                status: None,
                code: None,
                retryable: None,
                path: None,
                retry_after_secs: None,
                message_contains: None,
            }),
            ..Expectation::default()
        },
    };
    let fixture = Fixture {
        description: format!(
            "Recorded by `ats record` at {} (credentials, signatures and personal data redacted: re-sign before replaying)",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        operation: operation.clone(),
        direction: Direction::Inbound,
        received_at: Some(chrono::Utc::now()),
        request: Some(recorded_request(method, uri, headers, &body)),
        reply: None,
        response: Some(RecordedResponse {
            status: status.as_u16(),
            headers: answer_headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(|v| BTreeMap::from([("content-type".to_owned(), v.to_owned())]))
                .unwrap_or_default(),
            body: serde_json::from_slice(&redacted_body(answer, &proxy.fields)).ok(),
            body_text: serde_json::from_slice::<Value>(answer)
                .is_err()
                .then(|| String::from_utf8_lossy(answer).into_owned())
                .filter(|t| !t.is_empty()),
        }),
        call: None,
        exchanges: Vec::new(),
        expect,
    };
    let name = format!(
        "{}_{n:03}.json",
        operation.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_")
    );
    let text = serde_json::to_string_pretty(&fixture).map_err(|e| e.to_string())?;
    std::fs::write(proxy.out.join(&name), format!("{text}\n")).map_err(|e| e.to_string())?;
    Ok(name)
}

fn recorded_request(
    method: &http::Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> RecordedRequest {
    let headers = headers
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "host"
                    | "content-length"
                    | "connection"
                    | "accept-encoding"
                    | "user-agent"
                    | "accept"
            )
        })
        .map(|(k, v)| {
            let value = if is_credential(k.as_str()) {
                REDACTED.to_owned()
            } else {
                v.to_str().unwrap_or(REDACTED).to_owned()
            };
            (k.as_str().to_owned(), value)
        })
        .collect();
    let json = serde_json::from_slice::<Value>(body).ok();
    RecordedRequest {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().map(redacted_query),
        headers,
        body_text: json
            .is_none()
            .then(|| String::from_utf8_lossy(body).into_owned())
            .filter(|t| !t.is_empty()),
        body: json,
    }
}

/// Headers that carry credentials or signatures.
pub fn is_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "authorization"
        || name == "cookie"
        || [
            "signature",
            "token",
            "secret",
            "api-key",
            "apikey",
            "password",
        ]
        .iter()
        .any(|w| name.contains(w))
}

/// A query string with credential-like parameters (`token`, `key`, …)
/// redacted.
pub fn redacted_query(query: &str) -> String {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            let v = if is_credential(&k) || k.contains("key") {
                REDACTED.into()
            } else {
                v
            };
            format!(
                "{}={}",
                url::form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>(),
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `body` with every field named in `fields` (at any depth) redacted;
/// bodies that are not JSON are kept (they are recorded as text).
pub fn redacted_body(body: &[u8], fields: &[String]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut json) => {
            redact(&mut json, fields);
            serde_json::to_vec(&json).unwrap_or_else(|_| body.to_vec())
        }
        Err(_) => body.to_vec(),
    }
}

fn redact(value: &mut Value, fields: &[String]) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if fields.iter().any(|f| f == k) {
                    *v = redacted_value(v);
                } else {
                    redact(v, fields);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, fields)),
        _ => {}
    }
}

/// A placeholder of the same shape, so the fixture still parses as the
/// provider's payload: strings become `<redacted>` (e-mail addresses
/// `redacted@example.com`), objects and lists keep their keys and length.
fn redacted_value(value: &Value) -> Value {
    match value {
        Value::String(s) if s.contains('@') => Value::from("redacted@example.com"),
        Value::String(_) => Value::from(REDACTED),
        Value::Array(items) => Value::Array(items.iter().map(redacted_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redacted_value(v)))
                .collect(),
        ),
        Value::Null => Value::Null,
        _ => Value::from(REDACTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<String> {
        DEFAULT_FIELDS.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn personal_data_and_credentials_in_bodies_are_redacted_at_any_depth() {
        let body = json!({
            "id": "ord-1", "token": "t0k", "signature": "abc",
            "data": {"candidate": {"first_name": "Mira", "email": "mira@example.org",
                "emails": [{"address": "m@x.org", "type": "work"}], "remote_id": "c1"},
                "package_id": "pkg"}
        })
        .to_string();
        let out: Value =
            serde_json::from_slice(&redacted_body(body.as_bytes(), &fields())).unwrap();
        assert_eq!(
            out,
            json!({
                "id": "ord-1", "token": "<redacted>", "signature": "<redacted>",
                "data": {"candidate": {"first_name": "<redacted>", "email": "redacted@example.com",
                    "emails": [{"address": "redacted@example.com", "type": "<redacted>"}],
                    "remote_id": "c1"},
                    "package_id": "pkg"}
            })
        );
        // not JSON: kept as it is
        assert_eq!(redacted_body(b"a=b", &fields()), b"a=b");
    }

    #[test]
    fn credential_headers_and_query_parameters_are_named() {
        for h in [
            "Authorization",
            "x-kombo-signature",
            "X-Knit-Signature",
            "cookie",
            "x-api-key",
            "x-webhook-token",
        ] {
            assert!(is_credential(h), "{h}");
        }
        for h in ["content-type", "x-knit-integration-id", "user-agent"] {
            assert!(!is_credential(h), "{h}");
        }
        assert_eq!(
            redacted_query("token=s3cret&page=2&api_key=k"),
            "token=%3Credacted%3E&page=2&api_key=%3Credacted%3E"
        );
    }
}
