//! `ats_server::serve` against clients that hold connections: headers sent
//! too slowly close the connection, a body sent too slowly is answered 408
//! the provider's way, connections past the limit wait their turn, and a
//! shutdown still lets a call in flight finish.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ats_server::{Runtime, RuntimeBuilder, RuntimeError};
use ats_store::{ActivityQuery, Store};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wiremock::MockServer;

/// A Kombo runtime served by `ats_server::serve` until `stop` is used or
/// dropped.
struct Served {
    addr: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), RuntimeError>>,
}

/// Serves a Kombo runtime on `store`, its builder's settings changed by
/// `settings` (timeouts, the connection limit).
async fn serve_with(
    store: &Store,
    mock: &MockServer,
    vendor: CountingVendor,
    settings: impl FnOnce(RuntimeBuilder) -> RuntimeBuilder,
) -> Served {
    let builder = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(vendor)
        .with_adapter(kombo(mock));
    let runtime = settings(builder).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(ats_server::serve(listener, runtime, async move {
        let _ = stopped.await;
    }));
    Served { addr, stop, task }
}

/// A connection to `addr` that has sent `bytes` (a whole request or part
/// of one).
async fn sent(addr: &str, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads until the server closes the connection or `within` passes:
/// what was read, and whether the connection was closed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut read = Vec::new();
    let closed = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => read.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&read).into_owned(), closed)
}

/// The end of a `GET /healthz` head, after its request line.
const HEALTH_REST: &[u8] = b"Host: test\r\nConnection: close\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_slower_than_the_header_timeout_is_disconnected() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let served = serve_with(&store, &mock, vendor.clone(), |b| {
        b.with_header_timeout(Duration::from_millis(300))
    })
    .await;

    // half a request head, then nothing
    let mut partial = sent(
        &served.addr,
        b"POST /kombo/webhooks HTTP/1.1\r\nHost: test\r\n",
    )
    .await;
    // a connection that never sends a byte
    let mut silent = sent(&served.addr, b"").await;
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut partial, Duration::from_secs(5)).await;
    assert!(closed, "a half-sent head holds its connection");
    assert!(started.elapsed() >= Duration::from_millis(250));
    let (_, closed) = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    assert!(closed, "a silent connection stays open");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 0);

    // a client that sends its call in time is answered on the same server
    let r = signed_kombo(
        &reqwest::Client::new(),
        &format!("http://{}", served.addr),
        &kombo_order("ord-in-time"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_the_header_timeout_a_slow_client_keeps_its_connection() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let served = serve_with(&store, &mock, vendor, |b| {
        b.with_header_timeout(Duration::from_secs(30))
    })
    .await;
    let mut partial = sent(&served.addr, b"GET /healthz HTTP/1.1\r\n").await;
    let (_, closed) = read_until_closed(&mut partial, Duration::from_millis(600)).await;
    assert!(!closed, "closed before its timeout");
    // and the rest of its head is answered
    partial.write_all(HEALTH_REST).await.unwrap();
    let (answer, closed) = read_until_closed(&mut partial, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_body_timeout_is_answered_408_the_providers_way_and_logged() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let served = serve_with(&store, &mock, vendor.clone(), |b| {
        b.with_body_timeout(Duration::from_millis(300))
    })
    .await;
    let mut slow = sent(
        &served.addr,
        b"POST /kombo/webhooks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"id\":",
    )
    .await;
    let started = Instant::now();
    let (answer, _) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout"),
        "{answer}"
    );
    // Kombo's error shape, as for any refused call
    assert!(
        answer.ends_with(r#"{"error":"malformed payload at `body`: not received within 0.3 s"}"#),
        "{answer}"
    );
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 0);
    let log = store.activity(&ActivityQuery::default()).await.unwrap();
    let rows: Vec<_> = log.iter().map(outcome).collect();
    assert_eq!(
        rows,
        vec![(
            "kombo",
            "unknown",
            false,
            Some("malformed"),
            Some(408),
            Some("malformed payload at `body`: not received within 0.3 s"),
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_lets_the_call_in_flight_finish_and_then_returns() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    // the vendor takes its time: the shutdown comes while it decides
    let vendor = CountingVendor::new(Duration::from_millis(600));
    let served = serve_with(&store, &mock, vendor.clone(), |b| b).await;
    let base = format!("http://{}", served.addr);
    let call = tokio::spawn(async move {
        let r = signed_kombo(&reqwest::Client::new(), &base, &kombo_order("ord-late"))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    while vendor.orders.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    served.stop.send(()).unwrap();
    let (status, _) = call.await.unwrap();
    assert_eq!(status, 200, "the call in flight was answered");
    let result = tokio::time::timeout(Duration::from_secs(10), served.task)
        .await
        .expect("serve returns once the call is answered")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    // no new connection is taken
    assert!(TcpStream::connect(&served.addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_wait_until_one_closes() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let served = serve_with(&store, &mock, vendor, |b| b.with_max_connections(2)).await;
    // two connections taken, each mid-head
    let mut first = sent(&served.addr, b"GET /healthz HTTP/1.1\r\n").await;
    let _second = sent(&served.addr, b"GET /healthz HTTP/1.1\r\n").await;
    // a third waits, its request unanswered
    let mut third = sent(&served.addr, b"GET /healthz HTTP/1.1\r\n").await;
    third.write_all(HEALTH_REST).await.unwrap();
    let (answer, closed) = read_until_closed(&mut third, Duration::from_millis(500)).await;
    assert!(
        !closed && answer.is_empty(),
        "served past the limit: {answer}"
    );
    // one of the two finishes its request: the third is served
    first.write_all(HEALTH_REST).await.unwrap();
    let (answer, _) = read_until_closed(&mut first, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    let (answer, closed) = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}
