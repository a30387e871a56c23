//! Bob as `ats-server` serves it: built from the registration's settings
//! and the server's parts (the durable token store, the shared delivery
//! log), the settings reach the token endpoint and the webhook check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use ats_core::auth::InMemoryKeys;
use ats_core::oauth::{InMemoryTokenStore, TokenSet};
use ats_core::registry::{ConnectionKey, ServeParts};
use ats_core::replay::DeliveryLog;
use ats_core::{Error, InboundEvent, InboundRequest, Secret, TenantId};
use chrono::{DateTime, Utc};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Default)]
struct Log(Mutex<Vec<String>>);

#[ats_core::async_trait]
impl DeliveryLog for Log {
    async fn remember(&self, id: &str, _: DateTime<Utc>) -> Result<bool, Error> {
        self.0.lock().unwrap().push(id.to_owned());
        Ok(true)
    }
    fn forget(&self, _: &str) {}
    async fn seen(&self, _: &str) -> Result<bool, Error> {
        Ok(false)
    }
}

fn parts(log: Arc<Log>) -> ServeParts {
    let keys = Arc::new(InMemoryKeys::new());
    ServeParts::new(keys.clone(), keys, log)
}

fn fixture() -> serde_json::Value {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/hibob/assessment_triggered_token_refreshed.json"
    );
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn the_registration_says_how_bob_is_served() {
    let served = ats_hibob::registration().served.unwrap();
    let names: Vec<(&str, bool)> = served.settings.iter().map(|s| (s.name, s.secret)).collect();
    assert_eq!(
        names,
        [
            ("client_id", false),
            ("client_secret", true),
            ("redirect_uri", false),
            ("webhook_secret", true),
            ("token_url", false),
            ("authorize_url", false),
        ]
    );
    assert!(served.base_url);
    assert_eq!(served.connection.key, ConnectionKey::None);
    assert!(served.connection.secrets.is_empty());
    assert_eq!(served.connection.endpoint, "/webhook");
    let build = served.build.unwrap();
    // no token store from the server: refused, saying so
    let e = build(&parts(Arc::default())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "configuration error: the server gave no OAuth token store"
    );
    // a bare server: built, and the missing settings named
    let bare = build(&parts(Arc::default()).with_oauth_tokens(Arc::new(InMemoryTokenStore::new())))
        .unwrap();
    let missing = bare.missing_configuration();
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(missing[0].starts_with("oauth_app"), "{missing:?}");
    assert!(missing[1].starts_with("webhook_secret"), "{missing:?}");
}

#[tokio::test]
async fn settings_and_parts_reach_the_adapter() {
    let fixture = fixture();
    let server = MockServer::start().await;
    let refresh = &fixture["exchanges"][0];
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(
            refresh["request"]["body_text"].as_str().unwrap(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(&refresh["response"]["body"]))
        .expect(1)
        .mount(&server)
        .await;
    let details = &fixture["exchanges"][1];
    Mock::given(method("GET"))
        .and(path("/v1/hiring/assessments/41872"))
        .and(header("authorization", "Bearer bob_at_900456_fresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&details["response"]["body"]))
        .expect(1)
        .mount(&server)
        .await;

    let tokens = Arc::new(InMemoryTokenStore::new().with(
        "900456",
        TokenSet::new(
            "bob_at_900456_expired",
            "bob_rt_900456_4KpQ",
            "2026-01-01T09:30:00Z".parse().unwrap(),
        ),
    ));
    let log = Arc::new(Log::default());
    let setting = |v: &str| Secret::new(v);
    let parts = parts(log.clone())
        .with_oauth_tokens(tokens.clone())
        .with_setting("client_id", setting("bob_client_id_example"))
        .with_setting("client_secret", setting("bob_client_secret_example_5Tq"))
        .with_setting(
            "redirect_uri",
            setting("https://assess.example.com/bob/callback"),
        )
        .with_setting("webhook_secret", setting("bob_test_signing_secret"))
        .with_setting(
            "token_url",
            setting(&format!("{}/oauth/token", server.uri())),
        )
        .with_base_url(format!("{}/v1", server.uri()));
    let hibob = (ats_hibob::registration().served.unwrap().build.unwrap())(&parts).unwrap();
    assert!(hibob.missing_configuration().is_empty());

    let inbound = &fixture["request"];
    let body = serde_json::to_vec(&inbound["body"]).unwrap();
    let signature = ats_hibob::auth::signature(&Secret::new("bob_test_signing_secret"), &body);
    let request = InboundRequest::new(http::Method::POST, "/hibob/webhook")
        .with_header("content-type", "application/json")
        .unwrap()
        .with_header("Bob-Signature", &signature)
        .unwrap()
        .with_body(body)
        .received_at("2026-01-01T10:00:02Z".parse().unwrap());
    let inbound = hibob.receive(&request).await.unwrap();
    assert_eq!(inbound.operation, "assessment.triggered");
    let InboundEvent::OrderReceived(order) = &inbound.event else {
        panic!("{:?}", inbound.event)
    };
    assert_eq!(order.tenant, Some(TenantId::new("900456")));
    assert_eq!(order.package_id, "rust-senior");
    // the rotated pair went to the server's store, whole
    let stored = tokens.get(&TenantId::new("900456")).unwrap();
    assert_eq!(stored.access_token.expose(), "bob_at_900456_fresh");
    assert_eq!(
        stored.refresh_token.as_ref().map(Secret::expose),
        Some("bob_rt_900456_rotated")
    );
    // the delivery was recorded in the server's shared log
    assert_eq!(log.0.lock().unwrap().len(), 1);
    // a company without tokens in the server's store is refused
    let unknown = br#"{"type":"assessment.cancelled","companyId":"900999","data":{"assessmentRequestId":"1"}}"#;
    let request = InboundRequest::new(http::Method::POST, "/hibob/webhook")
        .with_header(
            "Bob-Signature",
            &ats_hibob::auth::signature(&Secret::new("bob_test_signing_secret"), unknown),
        )
        .unwrap()
        .with_body(unknown.to_vec());
    let e = hibob.receive(&request).await.unwrap_err();
    assert!(matches!(e, Error::Unauthenticated { .. }), "{e:?}");
    server.verify().await;
}
