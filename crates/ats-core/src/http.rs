//! Framework-neutral HTTP types: the request a provider sends the vendor, the
//! response the adapter renders, and the outbound request an adapter builds.
//!
//! They use the [`http`] crate's method, status and header types, so any
//! server framework converts to and from them in a few lines.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde::Serialize;
use url::Url;

use crate::error::Error;

/// A request a provider sent to the vendor.
#[derive(Clone, Debug)]
pub struct InboundRequest {
    /// HTTP method.
    pub method: Method,
    /// The path, without query string (`/myats/send_test`).
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: Option<String>,
    /// Request headers.
    pub headers: HeaderMap,
    /// The body bytes exactly as received (signatures are computed on them).
    pub body: Bytes,
    /// When the request arrived; adapters use it for `received_at` when the
    /// payload carries no timestamp, and to judge webhook freshness.
    pub received_at: DateTime<Utc>,
}

impl InboundRequest {
    /// A request with a method and a path (which may include `?query`),
    /// received now.
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
            None => (path_and_query.to_owned(), None),
        };
        Self {
            method,
            path,
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            received_at: Utc::now(),
        }
    }

    /// Adds a header. Invalid names or values are an error, not a panic.
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::malformed("headers", format!("invalid header name `{name}`")))?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            Error::malformed("headers", format!("invalid value for header `{name}`"))
        })?;
        self.headers.append(name, value);
        Ok(self)
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the arrival time.
    pub fn received_at(mut self, at: DateTime<Utc>) -> Self {
        self.received_at = at;
        self
    }

    /// Converts a request from any framework built on the `http` crate.
    pub fn from_http(request: http::Request<Bytes>, received_at: DateTime<Utc>) -> Self {
        let (parts, body) = request.into_parts();
        Self {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
            received_at,
        }
    }

    /// A header's value as text; `None` when absent or not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first value of a query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The last segment of the path (`send_test` for `/api/v1/send_test/`).
    pub fn last_path_segment(&self) -> &str {
        self.path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
    }
}

/// The response the adapter renders for the provider.
#[derive(Clone, Debug, PartialEq)]
pub struct InboundResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers (`content-type` for JSON bodies).
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Bytes,
}

impl InboundResponse {
    /// A JSON response. Serialization of the crate's own wire structs cannot
    /// fail; an error here is reported as a config error, never a panic.
    pub fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::config(format!("cannot serialize response body: {e}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(Self {
            status,
            headers,
            body: Bytes::from(bytes),
        })
    }

    /// A response with no body.
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Converts into an `http::Response` for any framework built on `http`.
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }

    /// The body parsed as JSON, for tests and logs.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// An outbound call an adapter has built, before credentials are added.
///
/// Building is pure (no I/O), so the exact bytes an adapter will send can be
/// shown (`ats render`) and checked against recorded fixtures.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedRequest {
    /// The provider's name for the call (`assessment.update`).
    pub operation: String,
    /// HTTP method.
    pub method: Method,
    /// Full URL, including query.
    pub url: Url,
    /// Headers other than credentials.
    pub headers: HeaderMap,
    /// Body bytes (empty for none).
    pub body: Bytes,
    /// Whether sending it twice has the same effect as once; only idempotent
    /// requests are retried after an ambiguous failure (timeout, 5xx).
    pub idempotent: bool,
}

impl PreparedRequest {
    /// A request with no body.
    pub fn new(operation: impl Into<String>, method: Method, url: Url) -> Self {
        let idempotent = method != Method::POST && method != Method::PATCH;
        Self {
            operation: operation.into(),
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            idempotent,
        }
    }

    /// Sets a JSON body (and `content-type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::config(format!("cannot serialize request body: {e}")))?;
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Bytes::from(bytes);
        Ok(self)
    }

    /// Adds a non-secret header.
    pub fn header(mut self, name: &'static str, value: &str) -> Result<Self, Error> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::config(format!("invalid value for header `{name}`")))?;
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(self)
    }

    /// Overrides whether the request may be retried after an ambiguous failure.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

/// Parses a configured base URL (`https://api.example.com/v1`): absolute,
/// `http` or `https`, no credentials. `what` names it in the error.
pub fn parse_base_url(what: &str, text: &str) -> Result<Url, Error> {
    let url = Url::parse(text.trim())
        .map_err(|e| Error::config(format!("invalid {what} `{text}`: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(format!(
            "invalid {what} `{text}`: not http(s)"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(format!(
            "invalid {what}: credentials belong in the adapter's configuration, not the URL"
        )));
    }
    Ok(url)
}

/// `base` + path segments, each percent-encoded on its own, so an id taken
/// from a payload (`a/b?c`, `..`) can never leave its segment or reach
/// another endpoint. Empty, `.` and `..` segments, and segments holding a
/// control character (a tab, CR or LF would be stripped by the URL parser,
/// turning the id into another one) are refused ([`Error::Malformed`] at
/// `id`). The base's query and fragment are dropped.
pub fn url_with_segments(base: &Url, segments: &[&str]) -> Result<Url, Error> {
    if let Some(bad) = segments.iter().find(|s| !fit_for_path(s)) {
        return Err(Error::malformed(
            "id",
            format!("{bad:?} cannot be used as an id in a URL path"),
        ));
    }
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|()| Error::config(format!("the base URL `{base}` cannot take a path")))?;
        path.pop_if_empty();
        path.extend(segments);
    }
    Ok(url)
}

/// Whether `segment` can stand as one path segment and come back unchanged:
/// not blank, not `.` or `..`, no control character.
pub fn fit_for_path(segment: &str) -> bool {
    !(segment.trim().is_empty()
        || segment == "."
        || segment == ".."
        || segment.chars().any(char::is_control))
}

/// Joins a relative path onto a base URL, keeping the base's own path
/// (`https://h/v1` + `assessment/packages` = `https://h/v1/assessment/packages`).
pub fn join_url(base: &Url, path: &str) -> Result<Url, Error> {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let p = format!("{}/", base.path());
        base.set_path(&p);
    }
    base.join(path.trim_start_matches('/'))
        .map_err(|e| Error::config(format!("cannot join `{path}` onto base URL: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_a_path() {
        let base = Url::parse("https://api.example.com/v1").unwrap();
        for id in [
            "Hx4p\tLq9",
            "\t..",
            "a\nb",
            "a\rb",
            "a\u{0}b",
            "\u{7f}",
            "..",
            ".",
            " ",
        ] {
            let e = url_with_segments(&base, &["orders", id, "result"]).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Malformed, "{id:?}");
        }
        let ok = url_with_segments(&base, &["orders", "a b/c?d", "result"]).unwrap();
        assert_eq!(
            ok.as_str(),
            "https://api.example.com/v1/orders/a%20b%2Fc%3Fd/result"
        );
    }

    #[test]
    fn splits_path_and_query_and_decodes_params() {
        let r = InboundRequest::new(
            Method::GET,
            "/gh/test_status?partner_interview_id=a%2Fb&x=1",
        );
        assert_eq!(r.path, "/gh/test_status");
        assert_eq!(
            r.query_param("partner_interview_id").as_deref(),
            Some("a/b")
        );
        assert_eq!(r.query_param("missing"), None);
        assert_eq!(r.last_path_segment(), "test_status");
    }

    #[test]
    fn last_segment_ignores_trailing_slash() {
        let r = InboundRequest::new(Method::POST, "/api/send_test/");
        assert_eq!(r.last_path_segment(), "send_test");
        assert_eq!(
            InboundRequest::new(Method::GET, "/").last_path_segment(),
            ""
        );
    }

    #[test]
    fn headers_are_read_as_visible_ascii_text() {
        let r = InboundRequest::new(Method::POST, "/")
            .with_header("X-Tenant", "acme")
            .unwrap()
            .with_header("x-empty", "")
            .unwrap();
        assert_eq!(r.header("x-tenant"), Some("acme"));
        assert_eq!(r.header("X-TENANT"), Some("acme"));
        assert_eq!(r.header("x-empty"), Some(""));
        assert_eq!(r.header("x-missing"), None);
        let mut r = r;
        r.headers
            .insert("x-latin", HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap());
        assert_eq!(r.header("x-latin"), None);
    }

    #[test]
    fn response_bodies_are_parsed_as_json_when_they_are() {
        let r = InboundResponse::json(StatusCode::OK, &serde_json::json!({"a": [1]})).unwrap();
        assert_eq!(r.body_json(), Some(serde_json::json!({"a": [1]})));
        assert_eq!(
            InboundResponse::empty(StatusCode::NO_CONTENT).body_json(),
            None
        );
        let text = InboundResponse {
            body: Bytes::from_static(b"not json"),
            ..InboundResponse::empty(StatusCode::OK)
        };
        assert_eq!(text.body_json(), None);
    }

    #[test]
    fn bad_header_is_an_error() {
        let r = InboundRequest::new(Method::GET, "/");
        assert!(r.clone().with_header("bad header", "x").is_err());
        assert!(r.with_header("x-ok", "line\nbreak").is_err());
    }

    #[test]
    fn json_response_has_content_type() {
        let r = InboundResponse::json(StatusCode::OK, &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(r.headers[CONTENT_TYPE], "application/json");
        assert_eq!(&r.body[..], br#"{"a":1}"#);
        let h = r.into_http();
        assert_eq!(h.status(), 200);
    }

    #[test]
    fn join_keeps_base_path() {
        let base = Url::parse("https://api.example.com/v1").unwrap();
        assert_eq!(
            join_url(&base, "/assessment/packages").unwrap().as_str(),
            "https://api.example.com/v1/assessment/packages"
        );
        let base = Url::parse("https://api.example.com/v1/").unwrap();
        assert_eq!(
            join_url(&base, "x").unwrap().as_str(),
            "https://api.example.com/v1/x"
        );
    }

    #[test]
    fn ids_stay_in_their_segment() {
        let base = Url::parse("https://api.example.com/v1/?x=1").unwrap();
        let u = url_with_segments(&base, &["orders", "a/b?c#d", "result"]).unwrap();
        assert_eq!(
            u.as_str(),
            "https://api.example.com/v1/orders/a%2Fb%3Fc%23d/result"
        );
        for bad in ["", " ", ".", ".."] {
            let e = url_with_segments(&base, &["orders", bad]).unwrap_err();
            assert!(
                matches!(e, Error::Malformed { ref path, .. } if path == "id"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            parse_base_url("API base URL", " https://api.example.com/v1 ")
                .unwrap()
                .as_str(),
            "https://api.example.com/v1"
        );
        let e = parse_base_url("API base URL", "ftp://x.example").unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration error: invalid API base URL `ftp://x.example`: not http(s)"
        );
        assert!(parse_base_url("API base URL", "api.example.com").is_err());
        let e = parse_base_url("API base URL", "https://user:pw@x.example").unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
        // a user name alone, or a password alone, is refused as well
        for text in ["https://user@x.example", "https://:pw@x.example"] {
            let e = parse_base_url("API base URL", text).unwrap_err();
            assert_eq!(
                e.to_string(),
                "configuration error: invalid API base URL: credentials belong in the adapter's configuration, not the URL",
                "{text}"
            );
        }
    }

    #[test]
    fn prepared_request_idempotency_defaults() {
        let u = Url::parse("https://x.example/").unwrap();
        assert!(PreparedRequest::new("a", Method::PUT, u.clone()).idempotent);
        assert!(!PreparedRequest::new("a", Method::POST, u).idempotent);
    }
}
