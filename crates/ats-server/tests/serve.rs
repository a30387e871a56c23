//! `ats_server::serve` and `shutdown_signal`: a whole service on a real
//! listener, stopped the way a deployment stops it. In a test binary of its
//! own, since it sends this process a SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use ats_store::ItemState;
use common::*;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `serve` answers calls, starts the outbox workers (a reported result is
/// delivered without anyone calling them), and returns `Ok` once its
/// shutdown future completes; `shutdown_signal` is that future for SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_delivers_and_stops_on_sigterm() {
    let mock = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "success"})),
        )
        .mount(&mock)
        .await;
    let store = sqlite_store().await;
    let vendor = CountingVendor::new(Duration::ZERO);
    let runtime = kombo_runtime(&store, &mock, vendor.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());

    // the signal handler is in place before the signal is sent
    let (armed, signalled) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let signal = ats_server::shutdown_signal();
        tokio::pin!(signal);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut signal)
                .await
                .is_err(),
            "no signal yet"
        );
        let _ = armed.send(());
        signal.await;
    };
    let served = tokio::spawn(ats_server::serve(listener, runtime.clone(), shutdown));

    let client = reqwest::Client::new();
    let r = signed_kombo(&client, &base, &kombo_order("ord-serve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(vendor.orders.load(Ordering::SeqCst), 1);
    let mut result = ats_core::AssessmentResult::with_status(ats_core::AssessmentStatus::Completed);
    result.report_url = Some("https://reports.example.com/r/1".parse().unwrap());
    result.score = Some(ats_core::Score::out_of(78.0, 100.0));
    let id = runtime
        .report(&kombo_handle("ord-serve", "asm-serve"), &result)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.outbox_item(id).await.unwrap().unwrap().state != ItemState::Delivered {
        assert!(std::time::Instant::now() < deadline, "never delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    signalled.await.unwrap();
    assert!(!served.is_finished());
    let pid = std::process::id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let result = tokio::time::timeout(Duration::from_secs(30), served)
        .await
        .expect("serve returns after SIGTERM")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    // the listener is closed
    assert!(client.get(format!("{base}/healthz")).send().await.is_err());
}
