//! [`HttpClient`]: sends a [`PreparedRequest`] with credentials, retries what
//! is worth retrying, and turns every failure into a typed [`Error`] that
//! carries the provider's own message.

use std::fmt;

use bytes::Bytes;
use http::StatusCode;
use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, LOCATION};
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::basic_header_value;
use crate::codec::decode_json;
use crate::error::Error;
use crate::http::PreparedRequest;
use crate::retry::{Backoff, RetryConfig, is_retryable_status, retry_after};
use crate::secret::Secret;

/// The most redirects [`HttpClient::send_following`] follows for one request.
pub const MAX_REDIRECTS: u32 = 5;

/// Decides whether [`HttpClient::send_following`] follows a redirect from
/// the first URL (the one that answered) to the second.
pub type RedirectTrust<'a> = dyn Fn(&Url, &Url) -> bool + Send + Sync + 'a;

/// Credentials added to an outbound request at send time.
#[derive(Clone)]
pub enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// User name (the API key, for key-as-username schemes).
        username: Secret,
        /// Password; `None` sends an empty one.
        password: Option<Secret>,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// A secret in a header of its own.
    Header {
        /// The header name.
        name: HeaderName,
        /// Its value.
        value: Secret,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("Auth::None"),
            Self::Basic { .. } => f.write_str("Auth::Basic(***)"),
            Self::Bearer(_) => f.write_str("Auth::Bearer(***)"),
            Self::Header { name, .. } => write!(f, "Auth::Header({name}: ***)"),
        }
    }
}

impl Auth {
    /// HTTP Basic with an API key as user name and an empty password.
    pub fn api_key_as_username(key: Secret) -> Self {
        Self::Basic {
            username: key,
            password: None,
        }
    }

    fn header(&self) -> Result<Option<(HeaderName, HeaderValue)>, Error> {
        let (name, value) = match self {
            Self::None => return Ok(None),
            Self::Basic { username, password } => (
                AUTHORIZATION,
                basic_header_value(username, password.as_ref()),
            ),
            Self::Bearer(token) => (
                AUTHORIZATION,
                Secret::new(format!("Bearer {}", token.expose())),
            ),
            Self::Header { name, value } => (name.clone(), value.clone()),
        };
        let mut value = HeaderValue::from_str(value.expose()).map_err(|_| {
            Error::config(format!(
                "credential for `{name}` is not a valid header value"
            ))
        })?;
        value.set_sensitive(true);
        Ok(Some((name, value)))
    }
}

/// A provider's error, as read from an error response body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderMessage {
    /// The provider's machine-readable code.
    pub code: Option<String>,
    /// The provider's human-readable message.
    pub message: String,
}

/// Reads a provider's error body into a [`ProviderMessage`].
pub type ErrorDecoder = fn(StatusCode, &[u8]) -> ProviderMessage;

impl ProviderMessage {
    /// A generic decoder: the JSON fields `message`, `error` (text or an
    /// object with `message`), `errors` (array of text) and `code` where
    /// present, else the start of the body as text, else the status reason.
    pub fn generic(status: StatusCode, body: &[u8]) -> Self {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
            let message = v
                .get("message")
                .and_then(text)
                .or_else(|| v.get("error").and_then(text))
                .or_else(|| v.pointer("/error/message").and_then(text))
                .or_else(|| {
                    v.get("errors").and_then(|e| e.as_array()).map(|a| {
                        a.iter()
                            .map(|e| {
                                e.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| e.to_string())
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                });
            let code = v
                .get("code")
                .or_else(|| v.pointer("/error/code"))
                .and_then(text);
            if let Some(message) = message {
                return Self { code, message };
            }
        }
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        let message = if text.is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            text.chars().take(300).collect()
        };
        Self {
            code: None,
            message,
        }
    }
}

/// A successful answer from a provider.
#[derive(Clone, Debug)]
pub struct ProviderReply {
    /// HTTP status (2xx).
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// How many attempts it took.
    pub attempts: u32,
}

impl ProviderReply {
    /// The body decoded as JSON into a wire struct.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        decode_json(&self.body)
    }
}

/// The outbound HTTP client every adapter uses: rustls, timeouts, retries.
#[derive(Clone, Debug)]
pub struct HttpClient {
    provider: &'static str,
    client: reqwest::Client,
    retry: RetryConfig,
}

impl HttpClient {
    /// A client for `provider` with its own connection pool.
    pub fn new(provider: &'static str, retry: RetryConfig) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("ats-connect/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::config(format!("cannot build HTTP client: {e}")))?;
        Ok(Self::with_client(provider, client, retry))
    }

    /// A client sharing `client` when given, with its own pool otherwise
    /// (what adapter builders do with their optional `http_client`).
    pub fn shared_or_new(
        provider: &'static str,
        client: Option<reqwest::Client>,
        retry: RetryConfig,
    ) -> Result<Self, Error> {
        match client {
            Some(client) => Ok(Self::with_client(provider, client, retry)),
            None => Self::new(provider, retry),
        }
    }

    /// A client sharing an existing `reqwest::Client` (and its pool).
    pub fn with_client(
        provider: &'static str,
        client: reqwest::Client,
        retry: RetryConfig,
    ) -> Self {
        Self {
            provider,
            client,
            retry,
        }
    }

    /// The retry policy.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.retry
    }

    /// Sends a request with `auth`, retrying per the policy.
    ///
    /// * 2xx → [`ProviderReply`].
    /// * 429 → waits for `Retry-After` (or the backoff) and retries; when out
    ///   of retries, or asked to wait longer than `max_retry_after`,
    ///   [`Error::RateLimited`].
    /// * 408/500/502/503/504 → retried if the request is idempotent, then
    ///   [`Error::ProviderRejected`] (retryable).
    /// * other statuses → [`Error::ProviderRejected`] with the provider's
    ///   message read by `decode`.
    /// * no answer → retried when the connection was never made or the
    ///   request is idempotent, then [`Error::Transport`].
    pub async fn send(
        &self,
        request: &PreparedRequest,
        auth: &Auth,
        decode: ErrorDecoder,
    ) -> Result<ProviderReply, Error> {
        self.send_inner(request, auth, decode, None)
            .await
            .map(|(reply, _)| reply)
    }

    /// Like [`send`](Self::send), and follows `301`, `307` and `308`
    /// answers itself: when `trust(from, to)` accepts the `Location`
    /// (resolved against the URL that answered), the same request (method,
    /// headers, body, credentials) is sent there, at most
    /// [`MAX_REDIRECTS`] times. A redirect `trust` refuses, a missing or
    /// unreadable `Location`, or one redirect too many is an
    /// [`Error::UntrustedUrl`]. Also returns the URL that answered (the
    /// request's own when there was no redirect).
    ///
    /// The redirect answers count as attempts, not as retries. The
    /// underlying `reqwest::Client` must follow no redirects itself
    /// (`reqwest::redirect::Policy::none()`): reqwest drops the
    /// `Authorization` header when a redirect leaves the host.
    pub async fn send_following(
        &self,
        request: &PreparedRequest,
        auth: &Auth,
        decode: ErrorDecoder,
        trust: &RedirectTrust<'_>,
    ) -> Result<(ProviderReply, Url), Error> {
        self.send_inner(request, auth, decode, Some(trust)).await
    }

    async fn send_inner(
        &self,
        request: &PreparedRequest,
        auth: &Auth,
        decode: ErrorDecoder,
        trust: Option<&RedirectTrust<'_>>,
    ) -> Result<(ProviderReply, Url), Error> {
        let auth_header = auth.header()?;
        let mut backoff = Backoff::new(&self.retry);
        let mut attempt: u32 = 0;
        let mut hops: u32 = 0;
        let mut url = request.url.clone();
        loop {
            attempt += 1;
            let may_retry = ((attempt - hops) as usize) <= self.retry.max_retries;
            let mut builder = self
                .client
                .request(request.method.clone(), url.clone())
                .timeout(self.retry.request_timeout)
                .headers(request.headers.clone());
            if let Some((name, value)) = &auth_header {
                builder = builder.header(name.clone(), value.clone());
            }
            if !request.body.is_empty() {
                builder = builder.body(request.body.clone());
            }
            match builder.send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = match response.bytes().await {
                        Ok(b) => b,
                        Err(e) if may_retry && request.idempotent => {
                            self.log_retry(request, attempt, &e.to_string());
                            tokio::time::sleep(backoff.next_wait()).await;
                            continue;
                        }
                        Err(e) => return Err(self.transport(e)),
                    };
                    tracing::debug!(
                        provider = self.provider,
                        operation = %request.operation,
                        status = status.as_u16(),
                        attempt,
                        "outbound call answered"
                    );
                    if status.is_success() {
                        let reply = ProviderReply {
                            status,
                            headers,
                            body,
                            attempts: attempt,
                        };
                        return Ok((reply, url));
                    }
                    if let Some(trust) = trust
                        && matches!(status.as_u16(), 301 | 307 | 308)
                    {
                        url = self.redirect_target(&url, &headers, hops, trust)?;
                        hops += 1;
                        continue;
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let wait = retry_after(&headers);
                        match wait {
                            Some(w) if may_retry && w <= self.retry.max_retry_after => {
                                tokio::time::sleep(w).await;
                                continue;
                            }
                            None if may_retry => {
                                tokio::time::sleep(backoff.next_wait()).await;
                                continue;
                            }
                            _ => {
                                return Err(Error::RateLimited {
                                    provider: self.provider.to_owned(),
                                    retry_after: wait,
                                });
                            }
                        }
                    }
                    if may_retry && request.idempotent && is_retryable_status(status) {
                        self.log_retry(request, attempt, status.as_str());
                        tokio::time::sleep(backoff.next_wait()).await;
                        continue;
                    }
                    let ProviderMessage { code, message } = decode(status, &body);
                    return Err(Error::ProviderRejected {
                        provider: self.provider.to_owned(),
                        status: status.as_u16(),
                        code,
                        message,
                    });
                }
                Err(e) => {
                    if may_retry && (e.is_connect() || request.idempotent) {
                        self.log_retry(request, attempt, &e.without_url().to_string());
                        tokio::time::sleep(backoff.next_wait()).await;
                        continue;
                    }
                    return Err(self.transport(e));
                }
            }
        }
    }

    /// Where a redirect answer from `from` points, if `trust` accepts it.
    fn redirect_target(
        &self,
        from: &Url,
        headers: &HeaderMap,
        hops: u32,
        trust: &RedirectTrust<'_>,
    ) -> Result<Url, Error> {
        let shown = |u: &Url| {
            let mut u = u.clone();
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        };
        let refuse = |url: String, reason: String| Error::UntrustedUrl { url, reason };
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                refuse(
                    shown(from),
                    format!("{} redirected without a readable Location", self.provider),
                )
            })?;
        let to = from.join(location).map_err(|e| {
            refuse(
                shown(from),
                format!("{} redirected to an invalid Location: {e}", self.provider),
            )
        })?;
        if hops >= MAX_REDIRECTS {
            return Err(refuse(
                shown(&to),
                format!("more than {MAX_REDIRECTS} redirects"),
            ));
        }
        if !trust(from, &to) {
            return Err(refuse(
                shown(&to),
                format!(
                    "{} redirected {} there, which is not a trusted host; not followed",
                    self.provider,
                    shown(from)
                ),
            ));
        }
        tracing::debug!(
            provider = self.provider,
            from = %shown(from),
            to = %shown(&to),
            "following a redirect"
        );
        Ok(to)
    }

    fn transport(&self, e: reqwest::Error) -> Error {
        let timeout = e.is_timeout();
        let mut message = e.without_url().to_string();
        if timeout && !message.contains("timed out") {
            message.push_str(" (timed out)");
        }
        Error::Transport {
            provider: self.provider.to_owned(),
            message,
        }
    }

    fn log_retry(&self, request: &PreparedRequest, attempt: u32, why: &str) {
        tracing::warn!(
            provider = self.provider,
            operation = %request.operation,
            attempt,
            why,
            "retrying outbound call"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use url::Url;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn req(server: &MockServer, m: Method) -> PreparedRequest {
        PreparedRequest::new("op", m, Url::parse(&format!("{}/x", server.uri())).unwrap())
    }

    #[tokio::test]
    async fn sends_auth_and_returns_body() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path("/x"))
            .and(header("authorization", "Bearer t0k"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{\"ok\":true}"))
            .expect(1)
            .mount(&server)
            .await;
        let c = HttpClient::new("test", RetryConfig::none()).unwrap();
        let r = c
            .send(
                &req(&server, Method::PUT),
                &Auth::Bearer(Secret::new("t0k")),
                ProviderMessage::generic,
            )
            .await
            .unwrap();
        assert_eq!(r.attempts, 1);
        assert_eq!(&r.body[..], b"{\"ok\":true}");
    }

    #[tokio::test]
    async fn retries_idempotent_5xx_then_succeeds() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
        let c = HttpClient::new("test", RetryConfig::fast(3)).unwrap();
        let r = c
            .send(
                &req(&server, Method::PUT),
                &Auth::None,
                ProviderMessage::generic,
            )
            .await
            .unwrap();
        assert_eq!(r.attempts, 3);
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }

    #[tokio::test]
    async fn does_not_retry_non_idempotent_5xx() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(502).set_body_string(r#"{"message":"upstream down"}"#),
            )
            .expect(1)
            .mount(&server)
            .await;
        let c = HttpClient::new("test", RetryConfig::fast(3)).unwrap();
        let e = c
            .send(
                &req(&server, Method::POST),
                &Auth::None,
                ProviderMessage::generic,
            )
            .await
            .unwrap_err();
        assert!(e.is_retryable());
        assert_eq!(e.to_string(), "test answered HTTP 502: upstream down");
    }

    #[tokio::test]
    async fn rate_limit_with_long_retry_after_is_returned_to_caller() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
            .expect(1)
            .mount(&server)
            .await;
        let c = HttpClient::new("test", RetryConfig::fast(3)).unwrap();
        let e = c
            .send(
                &req(&server, Method::POST),
                &Auth::None,
                ProviderMessage::generic,
            )
            .await
            .unwrap_err();
        assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(120)));
        assert!(e.is_retryable());
    }

    #[tokio::test]
    async fn rate_limit_without_retry_after_backs_off_and_retries() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(429))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201))
            .mount(&server)
            .await;
        let c = HttpClient::new("test", RetryConfig::fast(2)).unwrap();
        let r = c
            .send(
                &req(&server, Method::POST),
                &Auth::None,
                ProviderMessage::generic,
            )
            .await
            .unwrap();
        assert_eq!(r.attempts, 2);
    }

    #[tokio::test]
    async fn client_error_is_not_retried_and_keeps_provider_message() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(422).set_body_string(
                r#"{"status":"error","error":{"code":"X.Y","message":"bad score"}}"#,
            ))
            .expect(1)
            .mount(&server)
            .await;
        let c = HttpClient::new("test", RetryConfig::fast(3)).unwrap();
        let e = c
            .send(
                &req(&server, Method::PUT),
                &Auth::None,
                ProviderMessage::generic,
            )
            .await
            .unwrap_err();
        match e {
            Error::ProviderRejected {
                status,
                code,
                message,
                ..
            } => {
                assert_eq!(
                    (status, code.as_deref(), message.as_str()),
                    (422, Some("X.Y"), "bad score")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn connection_refused_is_a_retryable_transport_error() {
        let c = HttpClient::new("test", RetryConfig::fast(1)).unwrap();
        let r = PreparedRequest::new(
            "op",
            Method::POST,
            Url::parse("http://127.0.0.1:9/x?token=secret").unwrap(),
        );
        let e = c
            .send(&r, &Auth::None, ProviderMessage::generic)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{e:?}");
        assert!(e.is_retryable());
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    fn no_redirects(retry: RetryConfig) -> HttpClient {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        HttpClient::with_client("test", client, retry)
    }

    #[tokio::test]
    async fn follows_a_trusted_redirect_to_another_host_with_credentials() {
        let (origin, other) = (MockServer::start().await, MockServer::start().await);
        Mock::given(method("POST"))
            .and(path("/x"))
            .respond_with(
                ResponseTemplate::new(308)
                    .insert_header("location", format!("{}/eu/x?q=1", other.uri())),
            )
            .expect(1)
            .mount(&origin)
            .await;
        Mock::given(method("POST"))
            .and(path("/eu/x"))
            .and(header("authorization", "Bearer t0k"))
            .and(wiremock::matchers::body_string("{\"a\":1}"))
            .respond_with(ResponseTemplate::new(201).set_body_string("done"))
            .expect(1)
            .mount(&other)
            .await;
        let trusted = other.uri();
        let trust = move |_: &Url, to: &Url| to.as_str().starts_with(&trusted);
        let mut request = req(&origin, Method::POST);
        request.body = bytes::Bytes::from_static(b"{\"a\":1}");
        let (reply, answered) = no_redirects(RetryConfig::none())
            .send_following(
                &request,
                &Auth::Bearer(Secret::new("t0k")),
                ProviderMessage::generic,
                &trust,
            )
            .await
            .unwrap();
        assert_eq!(
            (reply.status.as_u16(), &reply.body[..], reply.attempts),
            (201, &b"done"[..], 2)
        );
        assert_eq!(answered.as_str(), format!("{}/eu/x?q=1", other.uri()));
    }

    #[tokio::test]
    async fn refuses_an_untrusted_redirect_and_sends_nothing_there() {
        let (origin, other) = (MockServer::start().await, MockServer::start().await);
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(301)
                    .insert_header("location", format!("{}/steal?token=1", other.uri())),
            )
            .expect(1)
            .mount(&origin)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&other)
            .await;
        let e = no_redirects(RetryConfig::fast(2))
            .send_following(
                &req(&origin, Method::GET),
                &Auth::Bearer(Secret::new("t0k")),
                ProviderMessage::generic,
                &|_: &Url, _: &Url| false,
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "refusing to call {}/steal: test redirected {}/x there, which is not a trusted host; not followed",
                other.uri(),
                origin.uri()
            )
        );
        assert!(!e.is_retryable());
    }

    #[tokio::test]
    async fn stops_after_too_many_redirects_and_send_follows_none() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(307).insert_header("location", "/x"))
            .mount(&server)
            .await;
        let client = no_redirects(RetryConfig::fast(1));
        let e = client
            .send_following(
                &req(&server, Method::GET),
                &Auth::None,
                ProviderMessage::generic,
                &|_: &Url, _: &Url| true,
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "refusing to call {}/x: more than {MAX_REDIRECTS} redirects",
                server.uri()
            )
        );
        let requests = server.received_requests().await.unwrap_or_default();
        assert_eq!(requests.len(), MAX_REDIRECTS as usize + 1);
        // `send` never follows: the redirect is the provider's answer
        let e = client
            .send(
                &req(&server, Method::GET),
                &Auth::None,
                ProviderMessage::generic,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::ProviderRejected { status: 307, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn auth_debug_hides_secrets() {
        let a = Auth::Bearer(Secret::new("tok"));
        assert_eq!(format!("{a:?}"), "Auth::Bearer(***)");
        let h = Auth::Header {
            name: HeaderName::from_static("x-api-key"),
            value: Secret::new("k"),
        };
        assert_eq!(format!("{h:?}"), "Auth::Header(x-api-key: ***)");
    }

    #[test]
    fn generic_message_decoding() {
        let d = |b: &str| ProviderMessage::generic(StatusCode::BAD_REQUEST, b.as_bytes());
        assert_eq!(
            d(r#"{"message":"m","code":"C"}"#).code.as_deref(),
            Some("C")
        );
        assert_eq!(d(r#"{"success":false,"errors":["a","b"]}"#).message, "a; b");
        assert_eq!(d(r#"{"error":"e"}"#).message, "e");
        assert_eq!(d("plain text").message, "plain text");
        assert_eq!(d("").message, "Bad Request");
    }
}
