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

/// How much of an error answer is read for its message (or
/// [`RetryConfig::max_response_bytes`], when that is smaller).
pub const ERROR_ANSWER_BYTES: usize = 64 * 1024;

/// An answer body, read up to a limit by [`read_capped`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CappedBody {
    /// The whole body, or its first `limit` bytes when it is longer.
    pub bytes: Bytes,
    /// Whether the body is longer than the limit: `bytes` is then only its
    /// start, and the rest was not read.
    pub truncated: bool,
}

/// Reads `response`'s body, at most `limit` bytes of it, chunk by chunk:
/// a body longer than `limit` (whatever its `Content-Length` says, or
/// without one) is never held whole in memory. A body of one chunk is kept
/// without a copy. Errors are those of reading the body (a connection
/// broken off, a timeout).
///
/// ```no_run
/// # async fn run() -> Result<(), reqwest::Error> {
/// let response = reqwest::get("https://example.com/").await?;
/// let body = ats_core::client::read_capped(response, 1024 * 1024).await?;
/// if body.truncated {
///     // more than 1 MiB: refuse it, or use only its start
/// }
/// # Ok(())
/// # }
/// ```
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<CappedBody, reqwest::Error> {
    // the first chunk, kept as it is while it is the only one
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let held = first.as_ref().map_or(joined.len(), Bytes::len);
        let room = limit.saturating_sub(held);
        if chunk.len() > room {
            if let Some(first) = first.take() {
                joined.extend_from_slice(&first);
            }
            joined.extend_from_slice(&chunk[..room]);
            return Ok(CappedBody {
                bytes: Bytes::from(joined),
                truncated: true,
            });
        }
        match first.take() {
            Some(head) => {
                joined.extend_from_slice(&head);
                joined.extend_from_slice(&chunk);
            }
            // (equivalent if `false`: the chunk would be copied, not kept)
            None if joined.is_empty() => first = Some(chunk),
            None => joined.extend_from_slice(&chunk),
        }
    }
    Ok(CappedBody {
        bytes: first.unwrap_or_else(|| Bytes::from(joined)),
        truncated: false,
    })
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
                    // an error answer is read only as far as its message
                    let limit = if status.is_success() {
                        self.retry.max_response_bytes
                    } else {
                        self.retry.max_response_bytes.min(ERROR_ANSWER_BYTES)
                    };
                    let body = match read_capped(response, limit).await {
                        Ok(b) => b,
                        Err(e) if may_retry && request.idempotent => {
                            self.log_retry(request, attempt, &e.to_string());
                            tokio::time::sleep(backoff.next_wait()).await;
                            continue;
                        }
                        Err(e) => return Err(self.transport(e)),
                    };
                    if body.truncated && status.is_success() {
                        return Err(Error::malformed(
                            ".",
                            format!(
                                "{}'s answer (HTTP {}) is larger than {} bytes, the most read \
                                 (`RetryConfig::max_response_bytes`)",
                                self.provider,
                                status.as_u16(),
                                limit
                            ),
                        ));
                    }
                    let body = body.bytes;
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
    use crate::retry::DEFAULT_MAX_RESPONSE_BYTES;
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

    /// A client reading answers of at most `limit` bytes, retrying
    /// `retries` times; its attempts time out after 5 s, so every test
    /// below ends long before that or fails on the timeout.
    fn capped(limit: usize, retries: usize) -> HttpClient {
        HttpClient::new(
            "test",
            RetryConfig {
                max_response_bytes: limit,
                ..RetryConfig::fast(retries)
            },
        )
        .unwrap()
    }

    #[tokio::test]
    async fn a_success_answer_is_read_to_the_limit_and_refused_past_it_without_asking_again() {
        for (size, refused) in [(1024, false), (1025, true)] {
            let server = MockServer::start().await;
            let body = "a".repeat(size);
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
                // idempotent, and asked once: the same call, the same answer
                .expect(1)
                .mount(&server)
                .await;
            let sent = capped(1024, 3)
                .send(
                    &req(&server, Method::GET),
                    &Auth::None,
                    ProviderMessage::generic,
                )
                .await;
            if !refused {
                assert_eq!(&sent.unwrap().body[..], body.as_bytes());
                continue;
            }
            let e = sent.unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Malformed);
            assert!(!e.is_retryable());
            assert_eq!(
                e.to_string(),
                "malformed payload at `.`: test's answer (HTTP 200) is larger than 1024 bytes, \
                 the most read (`RetryConfig::max_response_bytes`)"
            );
        }
    }

    /// Reads a request's head (up to its blank line) from `socket`.
    async fn read_head(socket: &mut tokio::net::TcpStream) {
        use tokio::io::AsyncReadExt;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            socket.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
    }

    /// A one-connection server answering with `status` and a chunked body,
    /// one write per chunk (no `Content-Length`); when `endless`, the body
    /// never ends (the connection stays open, silent, after the chunks).
    async fn chunked_server(status: &str, chunks: Vec<String>, endless: bool) -> String {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let head = format!("HTTP/1.1 {status}\r\ntransfer-encoding: chunked\r\n\r\n");
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            read_head(&mut socket).await;
            socket.write_all(head.as_bytes()).await.unwrap();
            for chunk in chunks {
                let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                // the reader may stop early and close: later writes may fail
                if socket.write_all(frame.as_bytes()).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            if endless {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
        });
        url
    }

    fn abc() -> Vec<String> {
        ["abcd", "efgh", "ijkl"].map(str::to_owned).to_vec()
    }

    #[tokio::test]
    async fn read_capped_keeps_the_start_of_a_chunked_body_over_the_limit() {
        let url = chunked_server("200 OK", abc(), false).await;
        let response = reqwest::get(url).await.unwrap();
        let body = read_capped(response, 10).await.unwrap();
        assert_eq!(&body.bytes[..], b"abcdefghij");
        assert!(body.truncated);
    }

    #[tokio::test]
    async fn read_capped_joins_a_chunked_body_within_the_limit() {
        for limit in [12, 13] {
            let url = chunked_server("200 OK", abc(), false).await;
            let response = reqwest::get(url).await.unwrap();
            let body = read_capped(response, limit).await.unwrap();
            assert_eq!(&body.bytes[..], b"abcdefghijkl", "limit {limit}");
            assert!(!body.truncated, "limit {limit}");
        }
    }

    #[tokio::test]
    async fn read_capped_with_no_room_reads_nothing() {
        let url = chunked_server("200 OK", abc(), false).await;
        let response = reqwest::get(url).await.unwrap();
        let body = read_capped(response, 0).await.unwrap();
        assert_eq!(
            body,
            CappedBody {
                bytes: Bytes::new(),
                truncated: true
            }
        );
    }

    #[tokio::test]
    async fn an_endless_answer_is_refused_at_the_limit_without_waiting_for_its_end() {
        let url = chunked_server("200 OK", vec!["a".repeat(600), "b".repeat(600)], true).await;
        let request = PreparedRequest::new("op", Method::GET, Url::parse(&url).unwrap());
        let started = std::time::Instant::now();
        let e = capped(1024, 0)
            .send(&request, &Auth::None, ProviderMessage::generic)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Malformed, "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(4));
    }

    #[tokio::test]
    async fn an_endless_error_answer_gives_its_message_at_the_error_limit() {
        let chunks = vec![
            "upstream exploded ".to_owned(),
            "x".repeat(ERROR_ANSWER_BYTES),
        ];
        let url = chunked_server("502 Bad Gateway", chunks, true).await;
        let request = PreparedRequest::new("op", Method::POST, Url::parse(&url).unwrap());
        let started = std::time::Instant::now();
        let e = capped(DEFAULT_MAX_RESPONSE_BYTES, 0)
            .send(&request, &Auth::None, ProviderMessage::generic)
            .await
            .unwrap_err();
        let Error::ProviderRejected {
            status, message, ..
        } = e
        else {
            panic!("expected a rejection, got {e:?}");
        };
        assert_eq!(status, 502);
        let want = format!("upstream exploded {}", "x".repeat(300 - 18));
        assert_eq!(message, want);
        assert!(started.elapsed() < std::time::Duration::from_secs(4));
    }

    /// A server answering the connections it accepts, in turn, with
    /// `answers` (raw bytes), each connection closed once its answer is
    /// written; the count of connections taken.
    async fn scripted_server(
        answers: Vec<&'static str>,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let taken = std::sync::Arc::new(AtomicUsize::new(0));
        let count = taken.clone();
        tokio::spawn(async move {
            for answer in answers {
                let (mut socket, _) = listener.accept().await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                read_head(&mut socket).await;
                socket.write_all(answer.as_bytes()).await.unwrap();
                let _ = socket.shutdown().await;
            }
        });
        (url, taken)
    }

    /// A 200 whose body breaks off: 7 of the 100 bytes it announces.
    const BROKEN: &str = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial";
    const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

    #[tokio::test]
    async fn an_answer_broken_off_is_asked_again_when_the_call_is_idempotent() {
        let (url, taken) = scripted_server(vec![BROKEN, OK]).await;
        let request = PreparedRequest::new("op", Method::GET, Url::parse(&url).unwrap());
        let r = HttpClient::new("test", RetryConfig::fast(1))
            .unwrap()
            .send(&request, &Auth::None, ProviderMessage::generic)
            .await
            .unwrap();
        assert_eq!((&r.body[..], r.attempts), (&b"ok"[..], 2));
        assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_answer_broken_off_is_not_asked_again_for_a_post_or_without_retries() {
        for (method, retry) in [
            (Method::POST, RetryConfig::fast(3)),
            (Method::GET, RetryConfig::fast(0)),
        ] {
            let (url, taken) = scripted_server(vec![BROKEN, OK]).await;
            let request = PreparedRequest::new("op", method.clone(), Url::parse(&url).unwrap());
            let e = HttpClient::new("test", retry)
                .unwrap()
                .send(&request, &Auth::None, ProviderMessage::generic)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Transport, "{method}: {e}");
            assert_eq!(
                taken.load(std::sync::atomic::Ordering::SeqCst),
                1,
                "{method}"
            );
        }
    }

    #[tokio::test]
    async fn a_short_retry_after_is_waited_for_and_the_call_made_again() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&server)
            .await;
        let retry = RetryConfig {
            max_retry_after: std::time::Duration::from_secs(1),
            ..RetryConfig::fast(1)
        };
        let r = HttpClient::new("test", retry)
            .unwrap()
            .send(
                &req(&server, Method::POST),
                &Auth::None,
                ProviderMessage::generic,
            )
            .await
            .unwrap();
        assert_eq!((r.status.as_u16(), r.attempts), (201, 2));
    }

    #[tokio::test]
    async fn a_rate_limit_without_retries_left_is_returned_at_once() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(429))
            .expect(1)
            .mount(&server)
            .await;
        let client = HttpClient::new("test", RetryConfig::fast(0)).unwrap();
        let request = req(&server, Method::PUT);
        let sent = client.send(&request, &Auth::None, ProviderMessage::generic);
        // a client that kept asking would never end: fail fast instead
        let e = tokio::time::timeout(std::time::Duration::from_secs(5), sent)
            .await
            .expect("answered at once")
            .unwrap_err();
        assert!(
            matches!(
                &e,
                Error::RateLimited {
                    retry_after: None,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn retries_after_a_redirect_are_counted_without_the_redirect() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/x"))
            .respond_with(
                ResponseTemplate::new(307).insert_header("location", format!("{}/y", server.uri())),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/y"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/y"))
            .respond_with(ResponseTemplate::new(200).set_body_string("there"))
            .expect(1)
            .mount(&server)
            .await;
        // one retry: the 503 is retried although the redirect came first
        let (reply, _) = no_redirects(RetryConfig::fast(1))
            .send_following(
                &req(&server, Method::GET),
                &Auth::None,
                ProviderMessage::generic,
                &|_: &Url, _: &Url| true,
            )
            .await
            .unwrap();
        assert_eq!((&reply.body[..], reply.attempts), (&b"there"[..], 3));
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
