//! The Lever adapter's own flows against a `wiremock` Lever: connecting a
//! customer (authorization URL, code exchange), refreshing tokens (single
//! flight, rotation, revocation), listing stages, refusing replays, and
//! accepting the redelivery of a webhook the vendor failed on.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use ats_core::event::{OrderDecision, PackagesRequest, StatusQuery};
use ats_core::replay::ReplayGuard;
use ats_core::signature::{SignatureEncoding, sign};
use ats_core::vendor::VendorError;
use ats_core::{
    AssessmentOrder, AssessmentResult, AssessmentStatus, AtsProvider, Cancellation, Error,
    InboundEvent, InboundRequest, Package, Secret, TenantId, Vendor,
};
use ats_lever::oauth::needs_reconnect;
use ats_lever::{InMemoryTokenStore, LeverEnvironment, OAuthApp, OAuthError, TokenSet, TokenStore};
use ats_testkit::MemoryVendor;
use serde_json::{Value, json};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::*;

const REFRESH_BODY_GLOBEX: &str = "grant_type=refresh_token&refresh_token=lvr_rt_globex_4KpQ9zW2&client_id=Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj&client_secret=lvr_client_secret_example_8R2w";

fn token_answer(access: &str, refresh: &str) -> Value {
    json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "scope": "offline_access opportunities:write:admin notes:write:admin",
        "expires_in": 3600
    })
}

fn tenant(t: &str) -> TenantId {
    TenantId::new(t)
}

#[tokio::test]
async fn authorization_url_carries_state_audience_and_scopes() {
    let lever = ats_lever::Lever::builder()
        .oauth_app(OAuthApp::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI))
        .build()
        .unwrap();
    let url = lever
        .authorization_url_with_state("5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0")
        .unwrap();
    assert_eq!(
        url.as_str(),
        "https://auth.lever.co/authorize?response_type=code&client_id=Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj\
         &state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0\
         &redirect_uri=https%3A%2F%2Fassess.example.com%2Flever%2Fcallback\
         &scope=offline_access+opportunities%3Awrite%3Aadmin+notes%3Awrite%3Aadmin+stages%3Aread%3Aadmin\
         +tags%3Aread%3Aadmin+postings%3Aread%3Aadmin+webhooks%3Awrite%3Aadmin\
         &audience=https%3A%2F%2Fapi.lever.co%2Fv1%2F"
    );
    let sandbox = ats_lever::Lever::builder()
        .environment(LeverEnvironment::Sandbox)
        .oauth_app(OAuthApp::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI))
        .scopes(["offline_access", "notes:write:admin"])
        .build()
        .unwrap();
    let request = sandbox.authorization_url().unwrap();
    assert!(
        request
            .url
            .as_str()
            .starts_with("https://sandbox-lever.auth0.com/authorize?response_type=code&"),
        "{}",
        request.url
    );
    let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("audience"), Some("https://api.sandbox.lever.co/v1/"));
    assert_eq!(get("scope"), Some("offline_access notes:write:admin"));
    assert_eq!(get("state"), Some(request.state.expose()));
    assert!(request.state.expose().len() >= 16);
    // without an OAuth app there is no URL to give
    let bare = ats_lever::Lever::builder().build().unwrap();
    assert!(matches!(
        bare.authorization_url(),
        Err(OAuthError::NotConfigured(_))
    ));
}

#[tokio::test]
async fn completing_the_authorization_exchanges_the_code_and_stores_the_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("accept", "application/json"))
        .and(body_string(
            "grant_type=authorization_code&code=Hq4TzW9cLm2XbV7r&client_id=Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj\
             &client_secret=lvr_client_secret_example_8R2w\
             &redirect_uri=https%3A%2F%2Fassess.example.com%2Flever%2Fcallback",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_answer("at-new-acme", "rt-new-acme")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let store = Arc::new(InMemoryTokenStore::new());
    let lever = builder(&server.uri())
        .connections(connections())
        .token_store(store.clone())
        .build()
        .unwrap();
    let state = Secret::new("5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0");

    // a forged redirect: wrong state, no call to Lever
    let e = lever
        .complete_authorization(
            &tenant("acme"),
            "code=Hq4TzW9cLm2XbV7r&state=forged",
            &state,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::StateMismatch), "{e}");
    // the admin declined
    let e = lever
        .complete_authorization(
            &tenant("acme"),
            "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&error=access_denied&error_description=user_did_not_authorize_the_request",
            &state,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, OAuthError::AuthorizationDenied { ref error, .. } if error == "access_denied")
    );

    let tokens = lever
        .complete_authorization(
            &tenant("acme"),
            "?state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&code=Hq4TzW9cLm2XbV7r",
            &state,
        )
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose(), "at-new-acme");
    assert_eq!(tokens.expires_at, Some(at("2026-01-01T11:00:00Z")));
    assert_eq!(
        tokens.scope.as_deref(),
        Some("offline_access opportunities:write:admin notes:write:admin")
    );
    let stored = store.get(&tenant("acme")).unwrap();
    assert_eq!(stored, tokens);
    assert_eq!(stored.refresh_token.unwrap().expose(), "rt-new-acme");
    assert_eq!(
        lever.access_token(&tenant("acme")).await.unwrap().expose(),
        "at-new-acme"
    );
}

#[tokio::test]
async fn concurrent_refreshes_of_one_tenant_make_one_token_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(REFRESH_BODY_GLOBEX))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_answer("at-globex-2", "rt-globex-2"))
                .set_delay(Duration::from_millis(150)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let store = Arc::new(tokens());
    let lever = Arc::new(
        builder(&server.uri())
            .connections(connections())
            .token_store(store.clone())
            .build()
            .unwrap(),
    );
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let lever = lever.clone();
        tasks.push(tokio::spawn(async move {
            lever.access_token(&TenantId::new("globex")).await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().expose(), "at-globex-2");
    }
    let stored = store.get(&tenant("globex")).unwrap();
    assert_eq!(stored.access_token.expose(), "at-globex-2");
    assert_eq!(stored.refresh_token.unwrap().expose(), "rt-globex-2");
    // other tenants are untouched
    assert_eq!(
        store.get(&tenant("acme")).unwrap().access_token.expose(),
        AT_ACME
    );
    server.verify().await;
}

#[tokio::test]
async fn concurrent_401s_refresh_once_and_the_next_refresh_uses_the_rotated_token() {
    let server = MockServer::start().await;
    // Lever refuses Initech's current token everywhere, accepts the new ones.
    Mock::given(method("GET"))
        .and(path("/v1/stages"))
        .and(header(
            "authorization",
            format!("Bearer {AT_INITECH}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"code": "Unauthorized", "message": "Invalid or expired access token"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/stages"))
        .and(header("authorization", "Bearer at-initech-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [{"id": "s1", "text": "New applicant"}], "hasNext": false}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(
            "grant_type=refresh_token&refresh_token=lvr_rt_initech_9LmT2&client_id=Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj&client_secret=lvr_client_secret_example_8R2w",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_answer("at-initech-2", "rt-initech-2"))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let store = Arc::new(tokens());
    let lever = Arc::new(
        builder(&server.uri())
            .connections(connections())
            .token_store(store.clone())
            .build()
            .unwrap(),
    );
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let lever = lever.clone();
        tasks.push(tokio::spawn(async move {
            lever.list_stages(&TenantId::new("initech")).await
        }));
    }
    for t in tasks {
        let stages = t.await.unwrap().unwrap();
        assert_eq!(stages[0].text.as_deref(), Some("New applicant"));
    }
    server.verify().await;
    // the rotated refresh token is the one used next time
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(
            "grant_type=refresh_token&refresh_token=rt-initech-2&client_id=Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj&client_secret=lvr_client_secret_example_8R2w",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_answer("at-initech-3", "rt-initech-3")))
        .expect(1)
        .mount(&server)
        .await;
    let mut expired = store.get(&tenant("initech")).unwrap();
    expired.expires_at = Some(at("2026-01-01T09:00:00Z"));
    store.insert(tenant("initech"), expired);
    assert_eq!(
        lever
            .access_token(&tenant("initech"))
            .await
            .unwrap()
            .expose(),
        "at-initech-3"
    );
    assert_eq!(
        store
            .get(&tenant("initech"))
            .unwrap()
            .refresh_token
            .unwrap()
            .expose(),
        "rt-initech-3"
    );
}

#[tokio::test]
async fn a_caller_that_gives_up_does_not_lose_the_rotated_refresh_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_answer("at-globex-2", "rt-globex-2"))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let store = Arc::new(tokens());
    let lever = Arc::new(
        builder(&server.uri())
            .connections(connections())
            .token_store(store.clone())
            .build()
            .unwrap(),
    );
    let l = lever.clone();
    let caller = tokio::spawn(async move { l.access_token(&TenantId::new("globex")).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let stored = store.get(&tenant("globex")).unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose(), "rt-globex-2");
}

#[tokio::test]
async fn token_endpoint_failures_are_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(REFRESH_BODY_GLOBEX))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(REFRESH_BODY_GLOBEX))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "17"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(REFRESH_BODY_GLOBEX))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri()).as_str()),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_answer("stolen", "stolen")))
        .expect(0)
        .mount(&server)
        .await;
    let store = Arc::new(tokens());
    let lever = builder(&server.uri())
        .connections(connections())
        .token_store(store.clone())
        .build()
        .unwrap();
    let globex = tenant("globex");

    let e: Error = lever.access_token(&globex).await.unwrap_err().into();
    assert!(e.is_retryable(), "{e}");
    assert_eq!(
        e.to_string(),
        "lever answered HTTP 503: token endpoint: upstream unavailable"
    );
    let e: Error = lever.access_token(&globex).await.unwrap_err().into();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(17)));
    // a redirect is not followed: the secret and refresh token stay put
    let e: Error = lever.access_token(&globex).await.unwrap_err().into();
    assert!(
        matches!(e, Error::ProviderRejected { status: 302, .. }),
        "{e}"
    );
    // revoked: the customer must reconnect
    let e = lever.access_token(&globex).await.unwrap_err();
    assert!(e.reconnect_required(), "{e}");
    assert_eq!(
        e.to_string(),
        "Lever no longer accepts the refresh token of tenant `globex` (invalid_grant: Unknown or invalid refresh token.): the customer must reconnect Lever"
    );
    let core: Error = e.into();
    assert!(!core.is_retryable());
    assert!(needs_reconnect(&core));
    // the failed refreshes left the stored grant as it was
    let stored = store.get(&globex).unwrap();
    assert_eq!(stored.access_token.expose(), AT_GLOBEX);
    assert_eq!(stored.refresh_token.unwrap().expose(), RT_GLOBEX);
    server.verify().await;

    // no tokens at all, and no refresh token
    let e = lever.access_token(&tenant("hooli")).await.unwrap_err();
    assert!(matches!(e, OAuthError::NotConnected { .. }), "{e}");
    store.insert(
        tenant("hooli"),
        TokenSet {
            refresh_token: None,
            ..TokenSet::new("a", "r", at("2026-01-01T09:00:00Z"))
        },
    );
    let e = lever.access_token(&tenant("hooli")).await.unwrap_err();
    assert!(
        e.reconnect_required() && e.to_string().contains("offline_access"),
        "{e}"
    );
}

#[tokio::test]
async fn stages_are_listed_across_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/stages"))
        .and(query_param("offset", "0.1767261600123.923a7369"))
        .and(header(
            "authorization",
            format!("Bearer {AT_ACME}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id": "36f675cc-81e7-4ef5-a8e2-5d940ed90475", "text": "Skills Assessment"}],
            "hasNext": false
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/stages"))
        .and(query_param("limit", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id": "ae97ba94-d0ed-482f-8f6d-05584ef8aa38", "text": "New applicant"},
                     {"id": "923a7369-94e3-4f91-9a61-dbe22e44158b", "text": "Recruiter screen"}],
            "next": "0.1767261600123.923a7369",
            "hasNext": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    let lever = lever(&server.uri()).unwrap();
    let stages = lever.list_stages(&tenant("acme")).await.unwrap();
    let names: Vec<_> = stages.iter().filter_map(|s| s.text.as_deref()).collect();
    assert_eq!(
        names,
        ["New applicant", "Recruiter screen", "Skills Assessment"]
    );
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent[0].url.query(), Some("limit=100"));
    assert_eq!(
        sent[1].url.query(),
        Some("limit=100&offset=0.1767261600123.923a7369")
    );
}

fn signed_hired(token: &str, triggered_at: u64) -> Vec<u8> {
    let signature = sign(
        &Secret::new(SIG_ACME),
        format!("{token}{triggered_at}").as_bytes(),
        SignatureEncoding::Hex,
    );
    json!({
        "triggeredAt": triggered_at, "event": "candidateHired",
        "data": {"opportunityId": "6513270e-269e-4d37-b2a7-4de452e6b438"},
        "signature": signature, "token": token
    })
    .to_string()
    .into_bytes()
}

fn webhook(body: Vec<u8>, received_at: &str) -> InboundRequest {
    InboundRequest::new(http::Method::POST, "/lever/acme/webhook")
        .with_body(body)
        .received_at(at(received_at))
}

#[tokio::test]
async fn a_replayed_delivery_is_refused() {
    let lever = lever("http://127.0.0.1:1").unwrap();
    let token = "1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";
    let request = webhook(signed_hired(token, 1767261600123), "2026-01-01T10:00:05Z");
    let first = lever.receive(&request).await.unwrap();
    assert_eq!(first.event.kind(), "ignored");
    let again = webhook(signed_hired(token, 1767261600123), "2026-01-01T10:07:00Z");
    let e = lever.receive(&again).await.unwrap_err();
    assert!(matches!(e, Error::BadSignature { .. }), "{e}");
    assert!(e.to_string().contains("replay"), "{e}");
    assert_eq!(lever.respond_error(Some("candidateHired"), &e).status, 401);
    // another token is another delivery
    let other = webhook(
        signed_hired(
            "2a1b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f",
            1767261600123,
        ),
        "2026-01-01T10:00:06Z",
    );
    lever.receive(&other).await.unwrap();
}

#[tokio::test]
async fn a_delivery_that_failed_can_be_delivered_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438",
        ))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438",
        ))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let lever = lever(&server.uri()).unwrap();
    let token = "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29";
    let signature = sign(
        &Secret::new(SIG_ACME),
        format!("{token}1767261600123").as_bytes(),
        SignatureEncoding::Hex,
    );
    let body = serde_json::to_vec(&json!({
        "triggeredAt": 1767261600123u64, "event": "candidateStageChange",
        "data": {"opportunityId": "6513270e-269e-4d37-b2a7-4de452e6b438", "toStageId": STAGE_ACME},
        "signature": signature, "token": token
    }))
    .unwrap();
    let e = lever
        .receive(&webhook(body.clone(), "2026-01-01T10:00:05Z"))
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e}");
    assert_eq!(
        lever.respond_error(Some("candidateStageChange"), &e).status,
        503
    );
    // Lever delivers it again: processed this time (the opportunity is gone)
    let inbound = lever
        .receive(&webhook(body.clone(), "2026-01-01T10:02:00Z"))
        .await
        .unwrap();
    let InboundEvent::Ignored(i) = inbound.event else {
        panic!("{:?}", inbound.event)
    };
    assert_eq!(
        i.reason,
        "the opportunity no longer exists (opportunityId `6513270e-269e-4d37-b2a7-4de452e6b438`, \
         toStageId `36f675cc-81e7-4ef5-a8e2-5d940ed90475`, triggeredAt 2026-01-01T10:00:00.123Z)"
    );
    assert_eq!(i.tenant, Some(tenant("acme")));
    // and now it is a replay, refused before any API look-up
    let calls = server.received_requests().await.unwrap().len();
    let e = lever
        .receive(&webhook(body, "2026-01-01T10:03:00Z"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("replay"), "{e}");
    assert_eq!(server.received_requests().await.unwrap().len(), calls);
}

/// A vendor whose first order fails as unavailable (its database is down);
/// later orders go to a [`MemoryVendor`].
struct FailsFirstOrder {
    inner: MemoryVendor,
    orders: AtomicUsize,
}

impl FailsFirstOrder {
    fn new() -> Self {
        Self {
            inner: MemoryVendor::new(vec![Package::new("rust-senior", "Rust (senior)")]),
            orders: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl Vendor for FailsFirstOrder {
    async fn packages(&self, request: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        self.inner.packages(request).await
    }

    async fn order(&self, order: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        if self.orders.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(VendorError::Unavailable {
                message: "assessment database unreachable".into(),
            });
        }
        self.inner.order(order).await
    }

    async fn cancel(&self, cancellation: &Cancellation) -> Result<(), VendorError> {
        self.inner.cancel(cancellation).await
    }

    async fn status(&self, query: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        self.inner.status(query).await
    }
}

#[tokio::test]
async fn a_delivery_the_vendor_failed_on_is_accepted_when_lever_delivers_it_again() {
    let dir = ats_testkit::fixtures_dir().join("lever");
    let server = MockServer::start().await;
    let accepted = ats_testkit::FixtureFile::read(dir.join("candidateStageChange_accepted.json"))
        .unwrap()
        .parse(&server.uri())
        .unwrap();
    // Lever's API answers the look-ups (opportunity, posting) of each of the
    // three deliveries.
    for _ in 0..3 {
        ats_testkit::replay::mount(&server, &accepted.exchanges)
            .await
            .unwrap();
    }
    let guard = Arc::new(ReplayGuard::new(Duration::from_secs(86_400 + 300)));
    let lever = builder(&server.uri())
        .connections(connections())
        .tokens(tokens())
        .replay_guard(guard.clone())
        .build()
        .unwrap();
    let vendor = FailsFirstOrder::new();
    let delivery = accepted.inbound_request().unwrap();
    let arriving = |at_: &str| delivery.clone().received_at(at(at_));

    // 1. the vendor is down: 503, and the token is not kept
    let first = ats_core::serve::handle(&lever, &vendor, &arriving("2026-01-01T10:00:02Z")).await;
    assert_eq!(first.response.status, 503);
    assert_eq!(
        first.response.body_json(),
        Some(json!({"error": "temporarily unavailable, retry later"}))
    );
    let error = first.error.unwrap();
    assert!(
        matches!(error, Error::Vendor(VendorError::Unavailable { .. })),
        "{error}"
    );
    assert_eq!(first.inbound.unwrap().operation, "candidateStageChange");
    assert_eq!(guard.remembered(), 0);

    // 2. Lever delivers the same signed webhook again: accepted this time
    let second = ats_core::serve::handle(&lever, &vendor, &arriving("2026-01-01T10:01:30Z")).await;
    assert_eq!(second.response.status, 200, "{:?}", second.error);
    assert_eq!(
        second.response.body_json(),
        Some(json!({"status": "accepted", "assessmentId": "asm_0001"}))
    );
    assert!(second.error.is_none());
    let stored = vendor.inner.assessment("asm_0001").unwrap();
    assert_eq!(
        stored.order.provider_order_id.as_deref(),
        Some("6513270e-269e-4d37-b2a7-4de452e6b438")
    );
    assert_eq!(guard.remembered(), 1);

    // 3. once handled, the same delivery is a replay
    let third = ats_core::serve::handle(&lever, &vendor, &arriving("2026-01-01T10:05:00Z")).await;
    assert_eq!(third.response.status, 401);
    assert_eq!(
        third.response.body_json(),
        Some(
            json!({"error": "webhook signature rejected: delivery was already received (replay)"})
        )
    );
    assert!(matches!(third.error, Some(Error::BadSignature { .. })));
    assert!(third.inbound.is_none());
    assert_eq!(
        vendor.orders.load(Ordering::SeqCst),
        2,
        "the replay never reached the vendor"
    );
    assert_eq!(vendor.inner.assessments().len(), 1);
}

#[tokio::test]
async fn forget_delivery_forgets_only_the_token_of_a_delivery_that_verifies() {
    let guard = Arc::new(ReplayGuard::new(Duration::from_secs(86_400 + 300)));
    let lever = builder("http://127.0.0.1:1")
        .connections(connections())
        .tokens(tokens())
        .replay_guard(guard.clone())
        .build()
        .unwrap();
    let token = "3c9e1a7f5b2d4e6a8c0f1b3d5e7a9c2e4f6b8d0a1c3e5f7b";
    let body = signed_hired(token, 1767261600123);
    let delivered = webhook(body.clone(), "2026-01-01T10:00:05Z");
    lever.receive(&delivered).await.unwrap();
    assert_eq!(guard.remembered(), 1);

    let mut unsigned: Value = serde_json::from_slice(&body).unwrap();
    unsigned.as_object_mut().unwrap().remove("signature");
    let mut tokenless: Value = serde_json::from_slice(&body).unwrap();
    tokenless.as_object_mut().unwrap().remove("token");
    let mut empty_token: Value = serde_json::from_slice(&body).unwrap();
    empty_token["token"] = json!("");
    let mut altered: Value = serde_json::from_slice(&body).unwrap();
    let signature = altered["signature"].as_str().unwrap().to_owned();
    let first = if signature.starts_with('a') { 'b' } else { 'a' };
    altered["signature"] = json!(format!("{first}{}", &signature[1..]));
    let on_path = |path: &str| {
        InboundRequest::new(http::Method::POST, path)
            .with_body(body.clone())
            .received_at(at("2026-01-01T10:00:05Z"))
    };
    let junk: [&[u8]; 8] = [
        b"",
        b" ",
        b"{",
        b"null",
        b"[]",
        b"42",
        b"{\"token\":",
        b"\xff\xfe",
    ];
    let mut not_forgotten: Vec<InboundRequest> = junk
        .iter()
        .map(|j| webhook(j.to_vec(), "2026-01-01T10:00:05Z"))
        .collect();
    not_forgotten.extend([
        webhook(
            serde_json::to_vec(&unsigned).unwrap(),
            "2026-01-01T10:00:05Z",
        ),
        webhook(
            serde_json::to_vec(&tokenless).unwrap(),
            "2026-01-01T10:00:05Z",
        ),
        webhook(
            serde_json::to_vec(&empty_token).unwrap(),
            "2026-01-01T10:00:05Z",
        ),
        webhook(
            serde_json::to_vec(&altered).unwrap(),
            "2026-01-01T10:00:05Z",
        ),
        // Globex's signature tokens do not verify Acme's delivery
        on_path("/lever/globex/webhook"),
        on_path("/lever/hooli/webhook"),
        on_path("/elsewhere"),
        // the same delivery, arriving after the freshness window
        webhook(body.clone(), "2026-01-03T10:00:05Z"),
    ]);
    for request in &not_forgotten {
        lever.forget_delivery(request);
        assert_eq!(guard.remembered(), 1, "forgotten by {request:?}");
    }
    let e = lever
        .receive(&webhook(body.clone(), "2026-01-01T10:01:00Z"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("replay"), "{e}");

    // the delivery itself: its token is forgotten (twice is harmless), and
    // the delivery is received once more
    lever.forget_delivery(&delivered);
    assert_eq!(guard.remembered(), 0);
    lever.forget_delivery(&delivered);
    assert_eq!(guard.remembered(), 0);
    lever
        .receive(&webhook(body.clone(), "2026-01-01T10:02:00Z"))
        .await
        .unwrap();
    assert_eq!(guard.remembered(), 1);
}

#[tokio::test]
async fn order_to_result_end_to_end() {
    let dir = ats_testkit::fixtures_dir().join("lever");
    let server = MockServer::start().await;
    let accepted = ats_testkit::FixtureFile::read(dir.join("candidateStageChange_accepted.json"))
        .unwrap()
        .parse(&server.uri())
        .unwrap();
    ats_testkit::replay::mount(&server, &accepted.exchanges)
        .await
        .unwrap();
    let lever = lever(&server.uri()).unwrap();
    let vendor = MemoryVendor::new(vec![Package::new("rust-senior", "Rust (senior)")]);
    let request = accepted.inbound_request().unwrap();
    let handled = ats_core::serve::handle(&lever, &vendor, &request).await;
    assert_eq!(handled.response.status, 200);
    assert_eq!(
        handled.response.body_json(),
        Some(json!({"status": "accepted", "assessmentId": "asm_0001"}))
    );
    let stored = vendor.assessment("asm_0001").unwrap();
    assert_eq!(
        stored.order.candidate.primary_email(),
        Some("avery.quill@example.com")
    );
    assert_eq!(
        stored.order.job.as_ref().unwrap().name.as_deref(),
        Some("Backend Engineer")
    );

    // the vendor reports the result with the handle it kept
    let write = MockServer::start().await;
    for op in ["addTags", "removeTags"] {
        Mock::given(method("POST"))
            .and(path(
                format!("/v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438/{op}").as_str(),
            ))
            .and(query_param("perform_as", PERFORM_AS))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
            .expect(1)
            .mount(&write)
            .await;
    }
    let lever = common::lever(&write.uri()).unwrap();
    let delivery = lever
        .submit_result(
            &stored.handle,
            &AssessmentResult::with_status(AssessmentStatus::InProgress),
        )
        .await
        .unwrap();
    assert_eq!(delivery.attempts, 2);
    let sent = write.received_requests().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sent[0].body),
        r#"{"tags":["Acme assessment: in progress"]}"#
    );
    write.verify().await;
}

#[tokio::test]
async fn disconnect_forgets_the_tokens() {
    let store = Arc::new(tokens());
    let lever = builder("http://127.0.0.1:1")
        .token_store(store.clone())
        .build()
        .unwrap();
    lever.disconnect(&tenant("acme")).await.unwrap();
    assert_eq!(store.load(&tenant("acme")).await.unwrap(), None);
    assert_eq!(
        lever.webhook_path_for(&tenant("acme")),
        "/lever/acme/webhook"
    );
}

#[tokio::test]
async fn idle_connections_are_refreshed_before_lever_forgets_them() {
    let server = MockServer::start().await;
    // Umbrella's tokens were last refreshed in early October: the only
    // refresh that must reach Lever, answered with a rotated pair.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(
            "grant_type=refresh_token&refresh_token=lvr_rt_umbrella_dormant&client_id=Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj&client_secret=lvr_client_secret_example_8R2w",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_answer("lvr_at_umbrella_new", "lvr_rt_umbrella_new")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // Initech's grant is gone
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(
            "grant_type=refresh_token&refresh_token=lvr_rt_initech_revoked&client_id=Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj&client_secret=lvr_client_secret_example_8R2w",
        ))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let store = Arc::new(
        InMemoryTokenStore::new()
            // used an hour ago
            .with(
                "acme",
                TokenSet::new(AT_ACME, RT_ACME, at("2026-01-01T11:00:00Z")),
            )
            // idle for 29 days and 23 hours: not yet
            .with(
                "globex",
                TokenSet::new(AT_GLOBEX, RT_GLOBEX, at("2025-12-02T11:00:00Z")),
            )
            .with(
                "umbrella",
                TokenSet::new(
                    "lvr_at_umbrella_old",
                    "lvr_rt_umbrella_dormant",
                    at("2025-10-03T08:00:00Z"),
                ),
            )
            .with(
                "initech",
                TokenSet::new(
                    "lvr_at_initech_old",
                    "lvr_rt_initech_revoked",
                    at("2025-11-01T08:00:00Z"),
                ),
            ),
    );
    let connections = connections().with("hooli", ats_lever::LeverConnection::new());
    let lever = builder(&server.uri())
        .connections(connections)
        .token_store(store.clone())
        .build()
        .unwrap();

    let outcomes = lever
        .refresh_idle(Duration::from_secs(30 * 24 * 60 * 60))
        .await
        .unwrap();
    let summary: Vec<String> = outcomes
        .iter()
        .map(|(t, o)| match o {
            ats_lever::IdleRefresh::Refreshed { expires_at } => {
                format!("{t}: refreshed until {expires_at:?}")
            }
            ats_lever::IdleRefresh::NotIdle { access_expires_at } => {
                format!("{t}: not idle ({access_expires_at})")
            }
            ats_lever::IdleRefresh::NotConnected => format!("{t}: not connected"),
            ats_lever::IdleRefresh::ReconnectRequired { reason } => format!("{t}: {reason}"),
            other => format!("{t}: {other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "acme: not idle (2026-01-01 11:00:00 UTC)",
            "globex: not idle (2025-12-02 11:00:00 UTC)",
            "hooli: not connected",
            "initech: Lever no longer accepts the refresh token of tenant `initech` (invalid_grant: Unknown or invalid refresh token.): the customer must reconnect Lever",
            "umbrella: refreshed until Some(2026-01-01T11:00:00Z)",
        ]
    );
    let umbrella = store.get(&tenant("umbrella")).unwrap();
    assert_eq!(umbrella.access_token.expose(), "lvr_at_umbrella_new");
    assert_eq!(
        umbrella.refresh_token.unwrap().expose(),
        "lvr_rt_umbrella_new"
    );
    // a failed refresh leaves the stored grant as it was
    let initech = store.get(&tenant("initech")).unwrap();
    assert_eq!(
        initech.refresh_token.unwrap().expose(),
        "lvr_rt_initech_revoked"
    );
    server.verify().await;
}

/// The note text of the result below (what the look-up compares).
const SCORED_NOTE: &str =
    "Acme assessment: completed\nResult: passed\nFinished: 2025-12-31T16:00:00Z\nRef: asm_7Q2K9";

async fn scored_note_write(notes_on_opportunity: Value, posts: u64) -> Result<u32, String> {
    let server = MockServer::start().await;
    let opportunity = "/v1/opportunities/6513270e-269e-4d37-b2a7-4de452e6b438";
    for op in ["addTags", "removeTags"] {
        Mock::given(method("POST"))
            .and(path(format!("{opportunity}/{op}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("{opportunity}/notes").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": notes_on_opportunity, "hasNext": false})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{opportunity}/notes").as_str()))
        .and(query_param("perform_as", PERFORM_AS))
        .and(body_string(
            r#"{"value":"Acme assessment: completed\nResult: passed\nFinished: 2025-12-31T16:00:00Z\nRef: asm_7Q2K9","secret":true,"score":3,"createdAt":1767196800000}"#,
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": {"noteId": "n1"}})))
        .expect(posts)
        .mount(&server)
        .await;
    let lever = builder(&server.uri())
        .connections(connections())
        .tokens(tokens())
        .note_score(ats_lever::NoteScore::pass_fail(3, 2))
        .note_secret(true)
        .build()
        .map_err(|e| e.to_string())?;
    let handle: ats_core::OrderHandle = serde_json::from_value(json!({
        "provider": "lever", "tenant": "acme",
        "provider_order_id": "6513270e-269e-4d37-b2a7-4de452e6b438",
        "vendor_assessment_id": "asm_7Q2K9",
        "context": {"opportunity_id": "6513270e-269e-4d37-b2a7-4de452e6b438"}
    }))
    .map_err(|e| e.to_string())?;
    let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
    result.passed = Some(true);
    result.completed_at = Some(at("2025-12-31T16:00:00Z"));
    let delivery = lever
        .submit_result(&handle, &result)
        .await
        .map_err(|e| e.to_string())?;
    server.verify().await;
    Ok(delivery.attempts)
}

#[tokio::test]
async fn a_scored_secret_backdated_note_is_posted_once() {
    // not on the opportunity yet: posted with score, secret and createdAt
    assert_eq!(scored_note_write(json!([]), 1).await, Ok(4));
    // already there (Lever lists the field's value, whatever the score):
    // not posted again
    let written = json!([{
        "id": "0fd630f1-f29d-4da9-953f-48f1a09f76b5",
        "text": "Note",
        "fields": [{"type": "note", "text": "Comment", "value": SCORED_NOTE, "score": 3}],
        "secret": true,
        "createdAt": 1767196800000_i64,
        "deletedAt": null
    }]);
    assert_eq!(scored_note_write(written, 0).await, Ok(3));
}
