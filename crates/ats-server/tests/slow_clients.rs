//! `ats_server::serve` against clients that hold connections: headers sent
//! too slowly close the connection, a body sent too slowly is answered 408
//! the provider's way, connections past the limit wait their turn, and a
//! shutdown still lets a call in flight finish.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ats_server::Runtime;
use ats_store::{ActivityQuery, Store};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use wiremock::MockServer;

/// A Kombo runtime with these timeouts, served by `ats_server::serve`
/// until the returned sender is used or dropped; its address and the task.
async fn serve_with(
    store: &Store,
    mock: &MockServer,
    vendor: CountingVendor,
    header_timeout: Duration,
    body_timeout: Duration,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), ats_server::RuntimeError>>,
) {
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(vendor)
        .with_adapter(kombo(mock))
        .with_header_timeout(header_timeout)
        .with_body_timeout(body_timeout)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(ats_server::serve(listener, runtime, async move {
        let _ = stopped.await;
    }));
    (addr, stop, served)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_slower_than_the_header_timeout_is_disconnected() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let timeout = Duration::from_millis(300);
    let (addr, _stop, _served) = serve_with(
        &store,
        &mock,
        vendor.clone(),
        timeout,
        Duration::from_secs(30),
    )
    .await;

    // half a request head, then nothing
    let mut partial = TcpStream::connect(&addr).await.unwrap();
    partial
        .write_all(b"POST /kombo/webhooks HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    // a connection that never sends a byte
    let mut silent = TcpStream::connect(&addr).await.unwrap();
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
        &format!("http://{addr}"),
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
    let (addr, _stop, _served) = serve_with(
        &store,
        &mock,
        vendor,
        Duration::from_secs(30),
        Duration::from_secs(30),
    )
    .await;
    let mut partial = TcpStream::connect(&addr).await.unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut partial, Duration::from_millis(600)).await;
    assert!(!closed, "closed before its timeout");
    // and the rest of its head is answered
    partial
        .write_all(b"Host: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
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
    let (addr, _stop, _served) = serve_with(
        &store,
        &mock,
        vendor.clone(),
        Duration::from_secs(30),
        Duration::from_millis(300),
    )
    .await;
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST /kombo/webhooks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"id\":",
    )
    .await
    .unwrap();
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
    let rows: Vec<_> = log
        .iter()
        .map(|a| {
            (
                a.provider.as_str(),
                a.operation.as_str(),
                a.ok,
                a.error_kind.as_deref(),
                a.http_status,
                a.message.as_deref(),
            )
        })
        .collect();
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
    let (addr, stop, served) = serve_with(
        &store,
        &mock,
        vendor.clone(),
        Duration::from_secs(30),
        Duration::from_secs(30),
    )
    .await;
    let base = format!("http://{addr}");
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
    stop.send(()).unwrap();
    let (status, _) = call.await.unwrap();
    assert_eq!(status, 200, "the call in flight was answered");
    let result = tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("serve returns once the call is answered")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    // no new connection is taken
    assert!(TcpStream::connect(&addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_wait_until_one_closes() {
    let mock = MockServer::start().await;
    let store = sqlite_store().await;
    let runtime = Runtime::builder()
        .with_store(store.clone())
        .with_vendor(CountingVendor::new(Duration::ZERO))
        .with_adapter(kombo(&mock))
        .with_max_connections(2)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let _served = tokio::spawn(ats_server::serve(listener, runtime, std::future::pending()));
    let health = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    // two connections taken, each mid-head
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        held.push(c);
    }
    // a third waits, its request unanswered
    let mut third = TcpStream::connect(&addr).await.unwrap();
    third.write_all(health).await.unwrap();
    let (answer, closed) = read_until_closed(&mut third, Duration::from_millis(500)).await;
    assert!(
        !closed && answer.is_empty(),
        "served past the limit: {answer}"
    );
    // one of the two finishes its request: the third is served
    held[0]
        .write_all(b"Host: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (first, _) = read_until_closed(&mut held[0], Duration::from_secs(5)).await;
    assert!(first.starts_with("HTTP/1.1 200 OK"), "{first}");
    let (answer, closed) = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}
