//! The route switch: one vendor implementation serves the same assessment
//! order whether it arrives directly from Ashby, from Ashby through Knit, or
//! from Ashby through Kombo — and writes the result back through whichever
//! route the order came by. Moving a customer between routes is
//! configuration (which adapter receives the calls), not vendor code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ats_core::auth::InMemoryKeys;
use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{
    AssessmentOrder, AssessmentResult, AssessmentStatus, AtsProvider, InboundRequest, Package,
    PackageKind, RetryConfig, Score, Secret, serve,
};
use ats_testkit::MemoryVendor;
use http::Method;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PACKAGE: &str = "frontend-react-90";
const ASHBY_PARTNER_KEY: &str = "ashby_partner_key_acme";
const ASHBY_API_KEY: &str = "ashby_api_key_acme";
const KNIT_API_KEY: &str = "knit_api_key_vendor";
const KNIT_INTEGRATION: &str = "int_8Hq2LmXc4VbN7sRt1KpZ0w";
const KOMBO_SECRET: &str = "kombo_webhook_secret_vendor";
const KOMBO_INTEGRATION: &str = "ashby:8mQzT4vXc2LpR7nWd9KsYb3H";

/// Ashby's `assessment.start` body for Mara Lindqvist's application.
fn ashby_start() -> Value {
    json!({
        "assessment_type_id": PACKAGE,
        "candidate": {
            "ashby_id": "0b7e4f19-2c6a-4d83-9e15-7a3c8d2f6b01",
            "first_name": "Mara",
            "last_name": "Lindqvist",
            "email": "mara.lindqvist@example.com"
        },
        "application": {"ashby_id": "6f1d3c2a-8b47-4e95-a0c3-5d2e7f9b1a64", "status": "Active"},
        "job": {
            "ashby_id": "c4a9e2d7-5f18-4b36-8e0a-9d1b6c3f7e52",
            "name": "Senior Frontend Engineer",
            "req_id": "REQ-2291",
            "hiringTeam": [{
                "userId": "9e2b5c71-3d4f-4a86-b1e0-2f7c8d9a6b35",
                "firstName": "Jonas", "lastName": "Berg",
                "email": "jonas.berg@example.com", "role": "Hiring Manager"
            }]
        }
    })
}

/// The same order relayed by Knit: Ashby's body untouched in `originData`.
fn knit_record_new() -> Value {
    json!({
        "eventType": "record.new",
        "eventData": {"candidateAssessment": {
            "id": "ats_ass_Q7mV2xR9kL4pT8nB1cW6dF",
            "applicationId": "6f1d3c2a-8b47-4e95-a0c3-5d2e7f9b1a64",
            "jobId": "c4a9e2d7-5f18-4b36-8e0a-9d1b6c3f7e52",
            "callbackUrl": null,
            "assessmentPackage": {"id": PACKAGE, "name": null, "description": null, "type": null, "metaData": null},
            "candidate": {
                "id": "0b7e4f19-2c6a-4d83-9e15-7a3c8d2f6b01",
                "firstName": "Mara", "lastName": "Lindqvist",
                "emails": [{"email": "mara.lindqvist@example.com", "type": "PRIMARY"}],
                "phones": null, "links": null, "location": null
            },
            "metaData": null,
            "originData": ashby_start()
        }},
        "eventId": "ev_7RkP2mWq9XzB4cNv1LtY8s",
        "recordId": "ats_ass_Q7mV2xR9kL4pT8nB1cW6dF",
        "syncType": "real_time",
        "syncDataType": "ats_assessments",
        "triggeredAt": "1767276000000"
    })
}

/// The same order relayed by Kombo, in Kombo's unified shape.
fn kombo_order_received() -> Value {
    json!({
        "id": "evt_2kTq8Lm4Xc",
        "type": "assessment:order-received",
        "data": {
            "id": "ord_Hx4pLq9TzW2mRv7c",
            "package_id": PACKAGE,
            "status": "OPEN",
            "integration_id": KOMBO_INTEGRATION,
            "candidate": {
                "remote_id": "0b7e4f19-2c6a-4d83-9e15-7a3c8d2f6b01",
                "email": "mara.lindqvist@example.com",
                "first_name": "Mara", "last_name": "Lindqvist", "phone": null
            },
            "application": {"remote_id": "6f1d3c2a-8b47-4e95-a0c3-5d2e7f9b1a64"},
            "job": {
                "remote_id": "c4a9e2d7-5f18-4b36-8e0a-9d1b6c3f7e52",
                "name": "Senior Frontend Engineer",
                "job_code": "REQ-2291",
                "description": null,
                "location": null,
                "hiring_team": [{
                    "remote_id": "9e2b5c71-3d4f-4a86-b1e0-2f7c8d9a6b35",
                    "email": "jonas.berg@example.com",
                    "first_name": "Jonas", "last_name": "Berg",
                    "hiring_team_roles": ["HIRING_MANAGER"]
                }]
            }
        }
    })
}

fn request(path: &str, body: &Value, headers: &[(&str, String)]) -> InboundRequest {
    let mut r = InboundRequest::new(Method::POST, path)
        .with_body(serde_json::to_vec(body).unwrap())
        .with_header("content-type", "application/json")
        .unwrap();
    for (name, value) in headers {
        r = r.with_header(name, value).unwrap();
    }
    r
}

/// What the order asks for, without how it travelled: the route's own
/// identifiers (provider, tenant, provider order id), arrival time, raw
/// payload, adapter context and extras are dropped; hiring-team roles are
/// compared by meaning ("Hiring Manager" = "HIRING_MANAGER"); details only
/// one route carries (application status, profile and job URLs) are left out.
fn what_is_asked(order: &AssessmentOrder) -> Value {
    let mut o = order.clone();
    o.provider = String::new();
    o.tenant = None;
    o.provider_order_id = None;
    o.callback_url = None;
    o.received_at = chrono::DateTime::UNIX_EPOCH;
    o.context.clear();
    o.extras.clear();
    o.raw = ats_core::RawJson::null();
    // what an aggregator adds about where the order came from: the ATS's
    // own ids (`remote_id`), its labels for e-mail addresses, its package
    // description
    o.package = None;
    o.candidate.profile_url = None;
    o.candidate.remote_id = None;
    for e in &mut o.candidate.emails {
        e.kind = None;
    }
    if let Some(a) = o.application.as_mut() {
        a.status = None;
        a.url = None;
        a.remote_id = None;
    }
    if let Some(j) = o.job.as_mut() {
        j.url = None;
        j.remote_id = None;
        for person in &mut j.hiring_team {
            for role in &mut person.roles {
                *role = role.to_lowercase().replace('_', " ");
            }
        }
    }
    serde_json::to_value(o).unwrap()
}

#[tokio::test]
async fn one_vendor_serves_ashby_directly_and_through_knit_and_kombo() {
    let provider_api = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            // an answer all three routes accept as success: Ashby's envelope,
            // Knit's passthrough envelope wrapping it, Kombo's result envelope
            "success": true,
            "results": {},
            "data": {"response": {"statusCode": 200, "body": "{\"success\":true,\"results\":{}}"}},
            "status": "success",
            "warnings": []
        })))
        .mount(&provider_api)
        .await;

    let ashby = ats_ashby::Ashby::builder()
        .keys(InMemoryKeys::new().with("acme", ASHBY_PARTNER_KEY))
        .api_keys(InMemoryKeys::new().with("acme", ASHBY_API_KEY))
        .base_url(provider_api.uri())
        .retry(RetryConfig::none())
        .build()
        .unwrap();
    let knit = ats_knit::Knit::builder()
        .api_key(KNIT_API_KEY)
        .base_url(provider_api.uri())
        .retry(RetryConfig::none())
        .build()
        .unwrap();
    let kombo = ats_kombo::Kombo::builder()
        .api_key("kombo_api_key_vendor")
        .webhook_secret(KOMBO_SECRET)
        .base_url(provider_api.uri())
        .retry(RetryConfig::none())
        .build()
        .unwrap();

    // one vendor, one package catalogue
    let vendor = MemoryVendor::new(vec![
        Package::new(PACKAGE, "Frontend (React), 90 minutes").with_kind(PackageKind::Coding),
    ]);

    // 1. directly from Ashby
    let basic = ats_core::auth::basic_header_value(&Secret::new(ASHBY_PARTNER_KEY), None);
    let direct = request(
        "/ashby/assessment.start",
        &ashby_start(),
        &[("authorization", basic.expose().to_owned())],
    );
    // 2. from Ashby through Knit
    let knit_body = knit_record_new();
    let knit_sig = sign(
        &Secret::new(KNIT_API_KEY),
        &serde_json::to_vec(&knit_body).unwrap(),
        SignatureEncoding::Base64UrlNoPad,
    );
    let via_knit = request(
        "/webhooks/knit",
        &knit_body,
        &[
            ("x-knit-signature", knit_sig),
            ("x-knit-integration-id", KNIT_INTEGRATION.to_owned()),
        ],
    );
    // 3. from Ashby through Kombo
    let kombo_body = kombo_order_received();
    let kombo_sig = sign(
        &Secret::new(KOMBO_SECRET),
        &serde_json::to_vec(&kombo_body).unwrap(),
        SignatureEncoding::Base64UrlNoPad,
    );
    let via_kombo = request(
        "/webhooks/kombo",
        &kombo_body,
        &[("x-kombo-signature", kombo_sig)],
    );

    let routes: [(&dyn AtsProvider, &InboundRequest); 3] =
        [(&ashby, &direct), (&knit, &via_knit), (&kombo, &via_kombo)];
    for (adapter, req) in routes {
        let handled = serve::handle(adapter, &vendor, req).await;
        assert!(
            handled.error.is_none(),
            "{}: {:?}",
            adapter.name(),
            handled.error
        );
        assert!(handled.response.status.is_success(), "{}", adapter.name());
    }

    // The vendor saw three orders, one per route …
    let stored = vendor.assessments();
    assert_eq!(stored.len(), 3);
    let providers: Vec<&str> = stored.iter().map(|a| a.order.provider.as_str()).collect();
    assert_eq!(providers, ["ashby", "knit", "kombo"]);
    let tenants: Vec<&str> = stored
        .iter()
        .map(|a| a.order.tenant.as_ref().unwrap().as_str())
        .collect();
    assert_eq!(tenants, ["acme", KNIT_INTEGRATION, KOMBO_INTEGRATION]);

    // … asking for the very same thing.
    let direct_order = what_is_asked(&stored[0].order);
    assert_eq!(direct_order["package_id"], PACKAGE);
    assert_eq!(
        direct_order["candidate"]["emails"][0]["address"],
        "mara.lindqvist@example.com"
    );
    assert_eq!(direct_order["job"]["requisition_id"], "REQ-2291");
    assert_eq!(
        direct_order["job"]["hiring_team"][0]["roles"],
        json!(["hiring manager"])
    );
    for other in &stored[1..] {
        assert_eq!(
            what_is_asked(&other.order),
            direct_order,
            "{} differs from the direct order",
            other.order.provider
        );
    }

    // Results go back by the route each order came by, from the same call.
    let mut result = AssessmentResult::with_status(AssessmentStatus::Completed);
    result.score = Some(Score::out_of(84.0, 100.0));
    result.report_url = Some("https://vendor.example.com/reports/r1".parse().unwrap());
    result.completed_at = Some("2026-01-20T10:00:00Z".parse().unwrap());
    for (adapter, assessment) in [
        (&ashby as &dyn AtsProvider, &stored[0]),
        (&knit, &stored[1]),
        (&kombo, &stored[2]),
    ] {
        let delivery = adapter.submit_result(&assessment.handle, &result).await;
        assert!(delivery.is_ok(), "{}: {:?}", adapter.name(), delivery.err());
    }
    let sent: Vec<String> = provider_api
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        sent,
        [
            "POST /assessment.update".to_owned(),
            "POST /passthrough".to_owned(),
            "PUT /assessment/orders/ord_Hx4pLq9TzW2mRv7c/result".to_owned(),
        ]
    );
}
