//! Quick start: a vendor serving Greenhouse's Assessment Partner API, end to end,
//! on this machine.
//!
//! ```text
//! cargo run -p ats-examples --example quickstart
//! ```
//!
//! It starts
//! * the vendor's HTTP endpoint (axum) with the Greenhouse adapter in front of
//!   an in-memory vendor, and
//! * a stand-in for Greenhouse's own server (wiremock) that receives the
//!   "test completed" PATCH,
//!
//! then plays Greenhouse's part: lists tests, sends one to a candidate, asks
//! for its status, and — after the vendor reports the result — asks again.
//! Every request and response is printed.

use std::net::SocketAddr;
use std::sync::Arc;

use ats_core::auth::InMemoryKeys;
use ats_core::{
    AssessmentResult, AssessmentStatus, AtsProvider, InboundRequest, Package, PackageKind,
    RetryConfig, Score, Section, UrlPolicy, serve,
};
use ats_greenhouse::Greenhouse;
use ats_testkit::MemoryVendor;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The key the vendor issued to its customer "acme", which the customer
/// entered in Greenhouse.
const ACME_KEY: &str = "qs_live_4c9f1e2a7b";

struct App {
    provider: Arc<dyn AtsProvider>,
    vendor: Arc<MemoryVendor>,
}

/// The only glue a server needs: HTTP in, `serve::handle`, HTTP out.
async fn inbound(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let request =
        InboundRequest::from_http(http::Request::from_parts(parts, bytes), chrono::Utc::now());
    let handled = serve::handle(app.provider.as_ref(), app.vendor.as_ref(), &request).await;
    handled.response.into_http().map(Body::from)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Greenhouse's side: receives the completion PATCH.
    let greenhouse_server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&greenhouse_server)
        .await;

    // The vendor's side: packages, the adapter, the HTTP endpoint.
    let vendor = Arc::new(MemoryVendor::new(vec![
        Package::new("rust-senior", "Rust (senior)").with_kind(PackageKind::Coding),
        Package::new("sql-basics", "SQL basics").with_kind(PackageKind::Skills),
    ]));
    let greenhouse = Arc::new(
        Greenhouse::builder()
            .keys(InMemoryKeys::new().with("acme", ACME_KEY))
            // the stand-in Greenhouse runs on plain http on loopback
            .callback_policy(
                UrlPolicy::https_hosts(["app.greenhouse.io"]).allow_insecure("127.0.0.1"),
            )
            .retry(RetryConfig::fast(2))
            .build()?,
    );
    let app = Arc::new(App {
        provider: greenhouse.clone(),
        vendor: vendor.clone(),
    });
    let router = axum::Router::new()
        .route("/greenhouse/{operation}", axum::routing::any(inbound))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let base = format!("http://{}/greenhouse", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    println!("vendor endpoint: {base}\n");

    // Greenhouse's calls.
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{base}/{path}"))
            .basic_auth(ACME_KEY, Some(""))
    };

    println!("1. Greenhouse lists the tests");
    show(call(reqwest::Method::GET, "list_tests")).await?;

    println!("2. A recruiter sends \"Rust (senior)\" to a candidate");
    let send_test = json!({
        "partner_test_id": "rust-senior",
        "candidate": {
            "first_name": "Maya", "last_name": "Lindqvist", "preferred_name": null,
            "phone_number": null, "resume_url": null,
            "email": "maya.lindqvist@example.com",
            "greenhouse_profile_url": "https://app.greenhouse.io/people/17681532?application_id=26234709"
        },
        "sent_by": "jordan.recruiter@example.org",
        "url": format!("{}/integrations/testing_partners/take_home_tests/8812345", greenhouse_server.uri())
    });
    let accepted = show(call(reqwest::Method::POST, "send_test").json(&send_test)).await?;
    let interview_id = accepted["partner_interview_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    println!("3. Greenhouse asks for the status");
    show(call(
        reqwest::Method::GET,
        &format!("test_status?partner_interview_id={interview_id}"),
    ))
    .await?;

    println!("4. The candidate finishes; the vendor records the result and tells Greenhouse");
    let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
    result.score = Some(Score::out_of(81.0, 100.0));
    result.passed = Some(true);
    result.report_url = Some(url::Url::parse(&format!(
        "https://vendor.example.com/reports/{interview_id}"
    ))?);
    result.sections = vec![Section {
        id: "ownership".into(),
        label: "Ownership & borrowing".into(),
        score: Some(Score::out_of(28.0, 30.0)),
        passed: None,
        summary: None,
    }];
    let handle = vendor.set_result(&interview_id, result.clone())?;
    let delivery = greenhouse.submit_result(&handle, &result).await?;
    for r in greenhouse_server
        .received_requests()
        .await
        .unwrap_or_default()
    {
        println!(
            "   -> {} {} (authorization: {})",
            r.method,
            r.url.path(),
            if r.headers.contains_key("authorization") {
                "Basic ***"
            } else {
                "none"
            }
        );
    }
    println!("   delivered in {} attempt(s)\n", delivery.attempts);

    println!("5. Greenhouse asks again");
    show(call(
        reqwest::Method::GET,
        &format!("test_status?partner_interview_id={interview_id}"),
    ))
    .await?;

    println!("6. A call with a wrong key");
    show(
        http.get(format!("{base}/list_tests"))
            .basic_auth("not-a-customer-key", Some("")),
    )
    .await?;
    Ok(())
}

async fn show(request: reqwest::RequestBuilder) -> Result<Value, Box<dyn std::error::Error>> {
    let request = request.build()?;
    println!(
        "   {} {}",
        request.method(),
        request.url().path().to_owned()
            + &request
                .url()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default()
    );
    if let Some(body) = request.body().and_then(|b| b.as_bytes()) {
        println!("   {}", String::from_utf8_lossy(body));
    }
    let response = reqwest::Client::new().execute(request).await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    println!("   <- {status} {body}\n");
    Ok(body)
}
