//! The axum [`router`]: every mounted adapter's endpoints, health probes,
//! the body limit, a tracing span per request; and [`serve`] with graceful
//! shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ats_core::{Error, InboundRequest, InboundResponse};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::trace::TraceLayer;

use crate::error::RuntimeError;
use crate::runtime::Runtime;

/// The router serving every adapter of `runtime` under its path prefix
/// (`/greenhouse/…`, `/kombo/…`, `/lever/{tenant}/webhook`), plus
/// `GET /healthz` (the process answers) and `GET /readyz` (the database
/// answers and its schema is current).
///
/// Bodies larger than the runtime's limit are refused with 413 before
/// they are read in full or parsed, in the provider's error shape.
pub fn router(runtime: Runtime) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(inbound)
        .layer(TraceLayer::new_for_http())
        .with_state(runtime)
}

async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

async fn readyz(State(runtime): State<Runtime>) -> Response {
    match runtime.store().ready().await {
        Ok(()) => axum::Json(json!({"status": "ready"})).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "unavailable", "error": e.to_string()})),
        )
            .into_response(),
    }
}

fn to_axum(response: InboundResponse) -> Response {
    response.into_http().map(Body::from)
}

async fn too_large(runtime: &Runtime, method: &http::Method, path: &str) -> Response {
    let limit = runtime.config().body_limit;
    let error = Error::malformed("body", format!("larger than the {limit}-byte limit"));
    to_axum(
        runtime
            .refuse_unread(method, path, StatusCode::PAYLOAD_TOO_LARGE, &error)
            .await,
    )
}

async fn too_slow(runtime: &Runtime, method: &http::Method, path: &str) -> Response {
    let deadline = runtime.config().body_timeout;
    let error = Error::malformed(
        "body",
        format!("not received within {} s", deadline.as_secs_f64()),
    );
    to_axum(
        runtime
            .refuse_unread(method, path, StatusCode::REQUEST_TIMEOUT, &error)
            .await,
    )
}

async fn inbound(State(runtime): State<Runtime>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if runtime.mount_for(&path).is_none() {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "no adapter is served at this path"})),
        )
            .into_response();
    }
    let limit = runtime.config().body_limit;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(&runtime, request.method(), &path).await;
    }
    let (parts, body) = request.into_parts();
    let deadline = runtime.config().body_timeout;
    let bytes = match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return too_large(&runtime, &parts.method, &path).await,
        Err(_) => return too_slow(&runtime, &parts.method, &path).await,
    };
    let request =
        InboundRequest::from_http(http::Request::from_parts(parts, bytes), chrono::Utc::now());
    match runtime.handle(request).await {
        Some(response) => to_axum(response),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves `runtime` on `listener` until `shutdown` completes: starts the
/// outbox workers, stops accepting connections at shutdown, lets requests
/// in flight finish, then stops the workers (each finishes its delivery;
/// claims still held after 30 s go back to the queue).
pub async fn serve(
    listener: TcpListener,
    runtime: Runtime,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RuntimeError> {
    runtime.start();
    let limits = runtime.config().connection_limits();
    serve_router(listener, router(runtime.clone()), limits, shutdown).await;
    runtime.shutdown(Duration::from_secs(30)).await;
    Ok(())
}

/// How long [`serve_router`] lets a client take, and how many connections
/// it holds at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers (the first
    /// request's, and each next one's on a kept-alive connection) before
    /// its connection is closed. It is also how long a kept-alive
    /// connection may stay idle: keep it above the idle timeout of the load
    /// balancer in front (an AWS Application Load Balancer keeps idle
    /// connections 60 s by default), or the balancer may send
    /// a call on a connection being closed. Default 75 s.
    pub header_timeout: Duration,
    /// The most connections served at once. Past it, new connections wait
    /// in the listener's backlog until one closes, so that a flood of
    /// connections cannot take the file descriptors and memory the outbox,
    /// the database and the calls in flight need. Default 512: below the
    /// usual soft limit of 1,024 open files.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(75),
            max_connections: 512,
        }
    }
}

/// Serves `router` on `listener` (HTTP/1.1) until `shutdown` completes,
/// then stops accepting connections and waits for the requests in flight
/// to be answered.
///
/// Unlike `axum::serve`, a client must send a request's headers within
/// [`ConnectionLimits::header_timeout`] or its connection is closed: a
/// client that opens connections and sends nothing, or a header a byte at a
/// time, cannot hold them open. At most
/// [`ConnectionLimits::max_connections`] are served at once. HTTP/2 is not
/// spoken: providers call over HTTPS, ended by the proxy or load balancer
/// in front, and telling HTTP/2's preface from HTTP/1.1 would wait on a
/// silent client without a timeout. Bodies are read by the handlers, which
/// bound their time
/// ([`RuntimeConfig::body_timeout`](crate::RuntimeConfig::body_timeout)).
/// A failed `accept` (too many open files) is logged and retried after a
/// pause, as `axum::serve` does.
///
/// ```no_run
/// # async fn run(runtime: ats_server::Runtime) -> std::io::Result<()> {
/// use ats_server::{ConnectionLimits, serve_router, shutdown_signal};
///
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// // the runtime's endpoints and a route of the vendor's own
/// let app = ats_server::router(runtime.clone())
///     .route("/version", axum::routing::get(|| async { "1.0" }));
/// runtime.start();
/// serve_router(listener, app, runtime.config().connection_limits(), shutdown_signal()).await;
/// runtime.shutdown(std::time::Duration::from_secs(30)).await;
/// # Ok(())
/// # }
/// ```
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    // HTTP/1.1 only: providers call over HTTPS, which a proxy in front
    // ends; sniffing for HTTP/2 would wait for a silent client's first
    // bytes without any timeout
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // a free slot first: at the limit, connections wait in the backlog
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept a connection; trying again in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Completes on Ctrl-C or, on Unix, SIGTERM: the usual `shutdown` for
/// [`serve`].
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
