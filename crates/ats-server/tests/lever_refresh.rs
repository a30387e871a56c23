//! Two instances sharing one PostgreSQL database refresh a Lever tenant's
//! rotating refresh token once between them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use ats_core::{RetryConfig, TenantId};
use ats_lever::{Lever, OAuthApp, TokenSet, TokenStore};
use ats_store::Store;
use common::*;
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn lever(store: &Store, server: &MockServer, instance: &str) -> Arc<Lever> {
    Arc::new(
        Lever::builder()
            .oauth_app(OAuthApp::new(
                "client-id",
                "client-secret",
                "https://vendor.example.com/cb",
            ))
            .api_base_url(format!("{}/v1", server.uri()))
            .token_url(format!("{}/oauth/token", server.uri()))
            .token_store(Arc::new(store.lever_tokens(instance)))
            .retry(RetryConfig::none())
            .build()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_spend_a_refresh_token_once() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({
                    "access_token": "at-2", "refresh_token": "rt-2",
                    "token_type": "Bearer", "expires_in": 3600
                }))
                .set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let a = Store::connect(&url, ring()).await.unwrap();
    let b = Store::connect(&url, ring()).await.unwrap();
    let acme = TenantId::new("acme");
    let expired = TokenSet::new(
        "at-1",
        "rt-1",
        chrono::Utc::now() - chrono::Duration::minutes(1),
    );
    a.lever_tokens("setup").save(&acme, expired).await.unwrap();
    let (la, lb) = (
        lever(&a, &server, "instance-a"),
        lever(&b, &server, "instance-b"),
    );
    let mut tasks = Vec::new();
    for i in 0..16 {
        let l = if i % 2 == 0 { la.clone() } else { lb.clone() };
        let t = acme.clone();
        tasks.push(tokio::spawn(async move { l.access_token(&t).await }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().expose(), "at-2");
    }
    server.verify().await;
    let stored = b.lever_tokens("check").load(&acme).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose(), "rt-2");
    // the lease was given back: the next refresh can be taken at once
    assert!(
        b.lever_tokens("later")
            .lock_refresh(&acme, Duration::from_secs(1))
            .await
            .unwrap()
    );
}
