//! What the conformance suite cannot express: catching up on open orders
//! (Get orders, paginated), Get packages, and webhook answers when the
//! vendor fails or forgets the inline assessment link.

use ats_core::{
    Acceptance, AssessmentOrder, AssessmentResult, AtsProvider, Cancellation, Clock, Error,
    InboundRequest, OrderDecision, Package, PackageKind, PackagesRequest, RetryConfig, Secret,
    StatusQuery, TenantId, Vendor, VendorError, serve,
};
use ats_kombo::Kombo;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API_KEY: &str = "kombo_test_api_key";
const SECRET: &str = "kombo_test_webhook_secret";
const TENANT: &str = "ashby:Nq4Wc8Lz2XtRm7Vb3KpY9sHd";

/// 2026-03-04T05:06:07Z
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_600_767, 0).unwrap_or_default()
}

fn kombo(server: &MockServer) -> Result<Kombo, Error> {
    Kombo::builder()
        .api_key(API_KEY)
        .webhook_secret(SECRET)
        .base_url(server.uri())
        .page_size(2)
        .retry(RetryConfig::fast(1))
        .clock(Clock::fixed(now()))
        .build()
}

fn order(id: &str, status: &str, email: &str) -> Value {
    json!({
        "id": id,
        "package_id": "pkg-rust-senior",
        "status": status,
        "candidate": {"remote_id": format!("c-{id}"), "email": email, "first_name": "Noor",
                      "last_name": null, "phone": null},
        "application": {"remote_id": format!("a-{id}")},
        "job": {"remote_id": "job-1", "name": "Data Engineer", "job_code": null, "description": null,
                "location": null, "hiring_team": []}
    })
}

fn page(next: Option<&str>, results: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "status": "success",
        "data": {"next": next, "results": results}
    }))
}

/// Checks one received request byte for byte: method, path, query, the
/// headers that matter and an empty body.
fn assert_get(r: &Request, path_: &str, query: &str) {
    assert_eq!(r.method.as_str(), "GET");
    assert_eq!(r.url.path(), path_);
    assert_eq!(r.url.query(), Some(query));
    let h = |n: &str| {
        r.headers.get(n).map(|v| {
            v.to_str()
                .map_or_else(|_| "<non-ASCII>".to_owned(), str::to_owned)
        })
    };
    assert_eq!(
        h("authorization").as_deref(),
        Some("Bearer kombo_test_api_key")
    );
    assert_eq!(h("x-integration-id").as_deref(), Some(TENANT));
    assert_eq!(h("accept").as_deref(), Some("application/json"));
    assert_eq!(h("content-type"), None);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn open_orders_follow_the_cursor_over_two_pages() {
    let server = MockServer::start().await;
    let first = vec![
        order("ord-1", "OPEN", "noor.haddad@example.com"),
        order("ord-2", "OPEN", "piet.janssen@example.net"),
    ];
    let second = vec![
        // listed again on the second page: returned once
        order("ord-2", "OPEN", "piet.janssen@example.net"),
        // closed in the meantime: left out
        order("ord-3", "CANCELLED", "ana.souza@example.org"),
        order("ord-4", "OPEN", "ana.souza@example.org"),
    ];
    Mock::given(method("GET"))
        .and(path("/assessment/orders"))
        .and(query_param_is_missing("cursor"))
        .respond_with(page(Some("eyJwYWdlIjoyfQ=="), first.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/assessment/orders"))
        .and(query_param("cursor", "eyJwYWdlIjoyfQ=="))
        .respond_with(page(None, second.clone()))
        .expect(1)
        .mount(&server)
        .await;

    let orders = kombo(&server)
        .unwrap()
        .open_orders(&TenantId::new(TENANT))
        .await
        .unwrap();

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_get(
        &received[0],
        "/assessment/orders",
        "statuses=OPEN&page_size=2",
    );
    assert_get(
        &received[1],
        "/assessment/orders",
        "statuses=OPEN&page_size=2&cursor=eyJwYWdlIjoyfQ%3D%3D",
    );

    let ids: Vec<_> = orders
        .iter()
        .map(|o| o.provider_order_id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, ["ord-1", "ord-2", "ord-4"]);
    let o: &AssessmentOrder = &orders[2];
    assert_eq!(o.provider, "kombo");
    assert_eq!(o.tenant.as_ref().map(TenantId::as_str), Some(TENANT));
    assert_eq!(o.package_id, "pkg-rust-senior");
    assert_eq!(o.candidate.id.as_deref(), Some("c-ord-4"));
    assert_eq!(o.candidate.primary_email(), Some("ana.souza@example.org"));
    assert_eq!(o.candidate.first_name.as_deref(), Some("Noor"));
    assert_eq!(
        o.application.as_ref().unwrap().id.as_deref(),
        Some("a-ord-4")
    );
    assert_eq!(
        o.job.as_ref().unwrap().name.as_deref(),
        Some("Data Engineer")
    );
    assert_eq!(o.received_at, now());
    assert_eq!(o.extras["order_status"], "OPEN");
    assert!(!o.extras.contains_key("event_id"));
    assert_eq!(o.raw, second[2]);
    // the handle carries what Update order result needs
    let handle = o.handle(Some("asm_1"));
    assert_eq!(handle.provider_order_id.as_deref(), Some("ord-4"));
    assert_eq!(handle.tenant.as_ref().map(TenantId::as_str), Some(TENANT));
}

#[tokio::test]
async fn open_orders_created_after_sends_the_filter() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/assessment/orders"))
        .respond_with(page(Some(""), vec![]))
        .expect(1)
        .mount(&server)
        .await;
    let orders = kombo(&server)
        .unwrap()
        .open_orders_created_after(
            &TenantId::new(TENANT),
            Some("2026-03-01T00:00:00Z".parse().unwrap()),
        )
        .await
        .unwrap();
    assert!(orders.is_empty());
    let received = server.received_requests().await.unwrap();
    assert_get(
        &received[0],
        "/assessment/orders",
        "statuses=OPEN&page_size=2&created_after=2026-03-01T00%3A00%3A00.000Z",
    );
}

#[tokio::test]
async fn open_orders_refuse_a_cursor_that_repeats() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/assessment/orders"))
        .respond_with(page(Some("same"), vec![]))
        .expect(2)
        .mount(&server)
        .await;
    let e = kombo(&server)
        .unwrap()
        .open_orders(&TenantId::new(TENANT))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Malformed { ref path, .. } if path == "data.next"),
        "{e}"
    );
}

#[tokio::test]
async fn open_orders_keep_kombos_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/assessment/orders"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "status": "error",
            "error": {"code": "INTEGRATION.INACTIVE", "title": "Integration inactive",
                      "message": "The integration is inactive.",
                      "log_url": "https://app.kombo.dev/acme/logs?interactionId=int_1"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let e = kombo(&server)
        .unwrap()
        .open_orders(&TenantId::new(TENANT))
        .await
        .unwrap_err();
    assert!(!e.is_retryable());
    assert_eq!(
        e.to_string(),
        "kombo answered HTTP 403 (INTEGRATION.INACTIVE): The integration is inactive. \
         (log: https://app.kombo.dev/acme/logs?interactionId=int_1)"
    );
}

#[tokio::test]
async fn malformed_page_names_the_order_field() {
    let server = MockServer::start().await;
    let mut bad = order("ord-9", "OPEN", "x@example.com");
    bad["candidate"]["email"] = Value::Null;
    Mock::given(method("GET"))
        .and(path("/assessment/orders"))
        .respond_with(page(
            None,
            vec![order("ord-8", "OPEN", "y@example.com"), bad],
        ))
        .mount(&server)
        .await;
    let e = kombo(&server)
        .unwrap()
        .open_orders(&TenantId::new(TENANT))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Malformed { ref path, .. } if path == "data.results[1].candidate.email"),
        "{e}"
    );
}

#[tokio::test]
async fn calls_without_an_api_key_send_nothing() {
    let server = MockServer::start().await;
    let k = Kombo::builder().base_url(server.uri()).build().unwrap();
    let e = k.open_orders(&TenantId::new(TENANT)).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "configuration error: no Kombo API key configured"
    );
    let e = k
        .publish_packages(
            &TenantId::new(TENANT),
            &[Package::new("p", "P").with_kind(PackageKind::Skills)],
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Config { .. }));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn published_packages_reads_get_packages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/assessment/packages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "data": {"packages": [
                {"id": "pkg-rust-senior", "name": "Rust (senior)", "description": "90 minutes",
                 "updated_at": "2026-03-03T09:15:02.417Z", "type": "SKILLS_TEST"},
                {"id": "pkg-legacy", "name": "Legacy", "description": "Retired package.",
                 "updated_at": null, "type": null}
            ]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let packages = kombo(&server)
        .unwrap()
        .published_packages(&TenantId::new(TENANT))
        .await
        .unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].url.path(), "/assessment/packages");
    assert_eq!(received[0].url.query(), None);
    assert_eq!(received[0].headers.get("x-integration-id").unwrap(), TENANT);
    assert_eq!(packages.len(), 2);
    assert_eq!(packages[0].kind, PackageKind::Skills);
    assert_eq!(packages[0].description.as_deref(), Some("90 minutes"));
    assert_eq!(packages[1].kind, PackageKind::Other);
    assert_eq!(packages[1].extras.get("kombo_type"), None);
}

/// A vendor whose order handling fails, or accepts without a link.
#[derive(Debug)]
struct Failing(Result<OrderDecision, VendorError>);

#[ats_core::async_trait]
impl Vendor for Failing {
    async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        Ok(Vec::new())
    }
    async fn order(&self, _: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        self.0.clone()
    }
    async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> {
        Ok(())
    }
    async fn status(&self, q: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        Err(VendorError::UnknownOrder {
            id: q.order.display_id().to_owned(),
        })
    }
}

fn signed(event_type: &str) -> Result<InboundRequest, Error> {
    let body = json!({
        "id": "evt_1", "type": event_type,
        "data": {"id": "ord-1", "package_id": "pkg-rust-senior", "status": "OPEN",
                 "integration_id": TENANT,
                 "candidate": {"email": "noor.haddad@example.com"},
                 "application": {"remote_id": null}, "job": {"hiring_team": []}}
    })
    .to_string();
    let sig = ats_kombo::auth::signature(&Secret::new(SECRET), body.as_bytes());
    Ok(InboundRequest::new(http::Method::POST, "/hooks/kombo")
        .with_header("x-kombo-signature", &sig)?
        .with_body(body))
}

#[tokio::test]
async fn vendor_failures_leave_the_order_open() {
    let server = MockServer::start().await;
    let k = kombo(&server).unwrap();
    for (vendor_error, status) in [
        (
            VendorError::Unavailable {
                message: "database down".into(),
            },
            503,
        ),
        (
            VendorError::UnknownPackage {
                id: "pkg-rust-senior".into(),
            },
            400,
        ),
        (
            VendorError::Internal {
                message: "bug".into(),
            },
            500,
        ),
    ] {
        let handled = serve::handle(
            &k,
            &Failing(Err(vendor_error)),
            &signed("assessment:order-received").unwrap(),
        )
        .await;
        assert_eq!(handled.response.status.as_u16(), status);
        assert_ne!(handled.response.status.as_u16(), 422);
        let body = handled.response.body_json().unwrap();
        assert!(body.get("status").is_none(), "{body}");
    }
}

#[tokio::test]
async fn inline_acceptance_without_a_link_is_not_a_rejection() {
    let server = MockServer::start().await;
    let k = kombo(&server).unwrap();
    let handled = serve::handle(
        &k,
        &Failing(Ok(OrderDecision::Accepted(Acceptance::new("asm_1")))),
        &signed("inline-assessment:order-received").unwrap(),
    )
    .await;
    assert_eq!(handled.response.status.as_u16(), 500);
    assert_eq!(&handled.response.body[..], br#"{"error":"internal error"}"#);
    assert!(matches!(handled.error, Some(Error::Config { .. })));
    // the same acceptance answers an ordinary order with a bare 200
    let handled = serve::handle(
        &k,
        &Failing(Ok(OrderDecision::Accepted(Acceptance::new("asm_1")))),
        &signed("assessment:order-received").unwrap(),
    )
    .await;
    assert_eq!(handled.response.status.as_u16(), 200);
    assert!(handled.response.body.is_empty());
}
