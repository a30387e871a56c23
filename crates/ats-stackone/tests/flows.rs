//! Multi-step flows against a mock StackOne: publishing background-check
//! packages repeatedly (create → update → delete, with the id store in
//! between), and an order received and answered end to end.

use std::collections::BTreeMap;
use std::sync::Arc;

use ats_core::auth::InMemoryKeys;
use ats_core::signature::sign;
use ats_core::{
    AssessmentResult, AssessmentStatus, AtsProvider, Error, InboundEvent, InboundRequest, Package,
    PackageKind, RetryConfig, Secret, TenantId,
};
use ats_stackone::auth::SIGNATURE_ENCODING;
use ats_stackone::{InMemoryPackageIds, PackageIdStore, StackOne};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API_AUTH: &str = "Basic djEuZXUxLkVYQU1QTEVLRVlkb05vdFVzZTo=";
const TENANT: &str = "acc_8Vn3Rt6Yp1";

fn adapter(server: &MockServer, store: Arc<InMemoryPackageIds>) -> Result<StackOne, Error> {
    StackOne::builder()
        .base_url(server.uri())
        .api_key("v1.eu1.EXAMPLEKEYdoNotUse")
        .signing_secret("whsec_example_do_not_use")
        .package_endpoint_keys(InMemoryKeys::new().with(TENANT, "pk_initech_77aa"))
        .package_ids(store)
        .retry(RetryConfig::fast(2))
        .build()
}

fn bg(id: &str, name: &str, tests: serde_json::Value) -> Package {
    let mut p = Package::new(id, name).with_kind(PackageKind::BackgroundCheck);
    p.extras.insert("tests".into(), tests);
    p
}

fn created(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "statusCode": 201, "message": "Record created successfully.",
        "timestamp": "2026-03-02T11:00:00.000Z", "data": {"id": id, "remote_id": id}
    }))
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "statusCode": 200, "message": "Record updated successfully.",
        "timestamp": "2026-03-02T11:05:00.000Z"
    }))
}

/// Every request the server received, as `METHOD path body`.
async fn sent(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r: &Request| {
            assert_eq!(r.headers["authorization"], API_AUTH);
            assert_eq!(r.headers["x-account-id"], TENANT);
            format!(
                "{} {} {}",
                r.method,
                r.url.path(),
                String::from_utf8_lossy(&r.body)
            )
        })
        .collect()
}

fn published(store: &InMemoryPackageIds) -> BTreeMap<String, String> {
    store.published(&TenantId::new(TENANT)).unwrap_or_default()
}

#[tokio::test]
async fn publishing_twice_updates_and_dropping_deletes() {
    let server = MockServer::start().await;
    let store = Arc::new(InMemoryPackageIds::new());
    let stackone = adapter(&server, store.clone()).unwrap();
    let tenant = TenantId::new(TENANT);
    let identity = bg(
        "bg-id",
        "Identity",
        json!([{"name": "Identity verification"}]),
    );
    let dbs = bg(
        "bg-dbs",
        "Basic DBS",
        json!([{"name": "Basic DBS", "description": "Criminal record"}]),
    );

    // 1. first publication: two creates, ids recorded
    Mock::given(method("POST"))
        .and(path("/unified/ats/background_checks/packages"))
        .and(body_string(
            r#"{"name":"Identity","tests":[{"name":"Identity verification"}]}"#,
        ))
        .respond_with(created("bgp_ID"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/unified/ats/background_checks/packages"))
        .and(body_string(r#"{"name":"Basic DBS","tests":[{"name":"Basic DBS","description":"Criminal record"}]}"#))
        .respond_with(created("bgp_DBS"))
        .expect(1)
        .mount(&server)
        .await;
    let d = stackone
        .publish_packages(&tenant, &[identity.clone(), dbs.clone()])
        .await
        .unwrap();
    assert_eq!(d.attempts, 2);
    assert_eq!(
        published(&store),
        BTreeMap::from([
            ("bg-dbs".into(), "bgp_DBS".into()),
            ("bg-id".into(), "bgp_ID".into())
        ])
    );
    server.verify().await;
    server.reset().await;

    // 2. the same list again: updates by StackOne id, no new package
    let mut identity_v2 = identity.clone();
    identity_v2.extras.insert(
        "tests".into(),
        json!([{"id": "bgt_1", "name": "Identity verification"}, {"name": "Address history"}]),
    );
    Mock::given(method("PATCH"))
        .and(path("/unified/ats/background_checks/packages/bgp_ID"))
        .and(header("content-type", "application/json"))
        .and(body_string(
            r#"{"name":"Identity","tests":[{"id":"bgt_1","name":"Identity verification"},{"name":"Address history"}]}"#,
        ))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/unified/ats/background_checks/packages/bgp_DBS"))
        .and(body_string(r#"{"name":"Basic DBS","tests":[{"name":"Basic DBS","description":"Criminal record"}]}"#))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let d = stackone
        .publish_packages(&tenant, &[identity_v2.clone(), dbs.clone()])
        .await
        .unwrap();
    assert_eq!(d.attempts, 2);
    assert_eq!(published(&store).len(), 2);
    assert_eq!(
        sent(&server).await,
        [
            r#"PATCH /unified/ats/background_checks/packages/bgp_ID {"name":"Identity","tests":[{"id":"bgt_1","name":"Identity verification"},{"name":"Address history"}]}"#,
            r#"PATCH /unified/ats/background_checks/packages/bgp_DBS {"name":"Basic DBS","tests":[{"name":"Basic DBS","description":"Criminal record"}]}"#,
        ]
    );
    server.verify().await;
    server.reset().await;

    // 3. a package left out is deleted (no body) and forgotten
    Mock::given(method("PATCH"))
        .and(path("/unified/ats/background_checks/packages/bgp_ID"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/unified/ats/background_checks/packages/bgp_DBS"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statusCode": 204, "message": "Record deleted successfully.", "timestamp": "2026-03-02T11:10:00.000Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let d = stackone
        .publish_packages(&tenant, &[identity_v2])
        .await
        .unwrap();
    assert_eq!(d.attempts, 2);
    assert_eq!(
        published(&store),
        BTreeMap::from([("bg-id".into(), "bgp_ID".into())])
    );
    let requests = sent(&server).await;
    assert_eq!(
        requests[1],
        "DELETE /unified/ats/background_checks/packages/bgp_DBS "
    );
    let delete = &server.received_requests().await.unwrap()[1];
    assert!(delete.headers.get("content-type").is_none());
    server.verify().await;
}

#[tokio::test]
async fn a_failed_publication_resumes_where_it_stopped() {
    let server = MockServer::start().await;
    let store = Arc::new(InMemoryPackageIds::new());
    let stackone = adapter(&server, store.clone()).unwrap();
    let tenant = TenantId::new(TENANT);
    let a = bg("bg-a", "A", json!([]));
    let b = bg("bg-b", "B", json!([]));

    Mock::given(method("POST"))
        .and(body_string(r#"{"name":"A","tests":[]}"#))
        .respond_with(created("bgp_A"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string(r#"{"name":"B","tests":[]}"#))
        .respond_with(ResponseTemplate::new(502).set_body_json(json!({
            "statusCode": 502, "message": "Bad Gateway", "timestamp": "2026-03-02T11:00:00.000Z"
        })))
        .expect(1) // a create is never retried after a 5xx
        .mount(&server)
        .await;
    let e = stackone
        .publish_packages(&tenant, &[a.clone(), b.clone()])
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e}");
    assert_eq!(e.to_string(), "stackone answered HTTP 502: Bad Gateway");
    assert_eq!(
        published(&store),
        BTreeMap::from([("bg-a".into(), "bgp_A".into())])
    );
    server.verify().await;
    server.reset().await;

    // the retry updates A (no duplicate) and creates B
    Mock::given(method("PATCH"))
        .and(path("/unified/ats/background_checks/packages/bgp_A"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string(r#"{"name":"B","tests":[]}"#))
        .respond_with(created("bgp_B"))
        .expect(1)
        .mount(&server)
        .await;
    stackone.publish_packages(&tenant, &[a, b]).await.unwrap();
    assert_eq!(
        published(&store),
        BTreeMap::from([
            ("bg-a".into(), "bgp_A".into()),
            ("bg-b".into(), "bgp_B".into())
        ])
    );
    server.verify().await;
}

#[tokio::test]
async fn prepare_shows_the_publication_the_store_implies() {
    let server = MockServer::start().await;
    let store = Arc::new(
        InMemoryPackageIds::new()
            .with(TENANT, "bg-old", "bgp_OLD")
            .with(TENANT, "bg-keep", "bgp_KEEP"),
    );
    let stackone = adapter(&server, store).unwrap();
    let call = ats_core::OutboundCall::PublishPackages {
        tenant: TenantId::new(TENANT),
        packages: vec![
            Package::new("bg-new", "New").with_kind(PackageKind::BackgroundCheck),
            Package::new("bg-keep", "Keep").with_kind(PackageKind::BackgroundCheck),
            Package::new("rust", "Rust"),
        ],
    };
    let prepared = stackone.prepare(&call).unwrap();
    let shown: Vec<_> = prepared
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p.method,
                p.url.path(),
                String::from_utf8_lossy(&p.body)
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            r#"POST /unified/ats/background_checks/packages {"name":"New"}"#,
            r#"PATCH /unified/ats/background_checks/packages/bgp_KEEP {"name":"Keep"}"#,
            "DELETE /unified/ats/background_checks/packages/bgp_OLD ",
        ]
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn background_check_order_round_trip() {
    let server = MockServer::start().await;
    let store = Arc::new(InMemoryPackageIds::new().with(TENANT, "bg-id", "bgp_ID"));
    let stackone = adapter(&server, store).unwrap();
    Mock::given(method("GET"))
        .and(path("/unified/ats/candidates/cnd_1"))
        .and(header("authorization", API_AUTH))
        .and(header("x-account-id", TENANT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"id": "cnd_1", "first_name": "Ada", "last_name": "Quist",
                     "emails": [{"type": "personal", "value": "ada.quist@example.org"}]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let body = r#"{"event":"background_check_order.created","account_id":"acc_8Vn3Rt6Yp1","record_id":"bco_1","data":{"candidate_id":"cnd_1","package":{"id":"bgp_ID"}}}"#;
    let request = InboundRequest::new(http::Method::POST, "/hooks")
        .with_header(
            "x-stackone-signature",
            &sign(
                &Secret::new("whsec_example_do_not_use"),
                body.as_bytes(),
                SIGNATURE_ENCODING,
            ),
        )
        .unwrap()
        .with_body(body);
    let inbound = stackone.receive(&request).await.unwrap();
    let InboundEvent::OrderReceived(order) = inbound.event else {
        panic!("{:?}", inbound.event)
    };
    assert_eq!(order.package_id, "bg-id");
    assert_eq!(order.extras["stackone_package_id"], "bgp_ID");
    assert_eq!(
        order.candidate.primary_email(),
        Some("ada.quist@example.org")
    );

    // the handle the vendor keeps routes the result to the background-check endpoint
    let handle = order.handle(Some("bgc_1"));
    Mock::given(method("PATCH"))
        .and(path("/unified/ats/background_checks/orders/bco_1/result"))
        .and(body_string(
            r#"{"result":{"value":"cancelled","source_value":"cancelled"},"summary":"Reason: Candidate withdrew consent"}"#,
        ))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let mut result = AssessmentResult::with_status(AssessmentStatus::Cancelled);
    result.status_reason = Some("Candidate withdrew consent".into());
    let d = stackone.submit_result(&handle, &result).await.unwrap();
    assert_eq!(d.attempts, 1);
    server.verify().await;
}

#[tokio::test]
async fn packages_endpoint_takes_the_key_from_the_url() {
    let server = MockServer::start().await;
    let stackone = adapter(&server, Arc::new(InMemoryPackageIds::new())).unwrap();
    let request = InboundRequest::new(
        http::Method::GET,
        "/stackone/assessments/packages?token=pk_initech_77aa",
    );
    let inbound = stackone.receive(&request).await.unwrap();
    assert_eq!(inbound.operation, "ats_list_assessments_packages");
    assert_eq!(inbound.event.tenant(), Some(&TenantId::new(TENANT)));
    let wrong = InboundRequest::new(
        http::Method::GET,
        "/stackone/assessments/packages?token=pk_x",
    );
    let e = stackone.receive(&wrong).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "authentication failed: unknown key in `?token=`"
    );
}

#[tokio::test]
async fn webhooks_need_an_api_key_to_fetch_details() {
    let server = MockServer::start().await;
    let stackone = StackOne::builder()
        .base_url(server.uri())
        .signing_secret("whsec_example_do_not_use")
        .build()
        .unwrap();
    let body = r#"{"event":"ats_assessments.created","account_id":"acc_1","record_id":"asr_1","data":{"candidate_id":"cnd_1","package":{"id":"p"}}}"#;
    let request = InboundRequest::new(http::Method::POST, "/hooks")
        .with_header(
            "x-stackone-signature",
            &sign(
                &Secret::new("whsec_example_do_not_use"),
                body.as_bytes(),
                SIGNATURE_ENCODING,
            ),
        )
        .unwrap()
        .with_body(body);
    let e = stackone.receive(&request).await.unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
