//! Hostile values, checked across every adapter: ids that would change on
//! the wire, handles of another adapter, orders that could never be
//! answered, control characters in core values.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ats_core::auth::InMemoryKeys;
use ats_core::signature::{SignatureEncoding, sign};
use ats_core::{
    Acceptance, AssessmentOrder, AssessmentResult, AssessmentStatus, AtsProvider, Cancellation,
    ErrorKind, InboundRequest, OrderDecision, OrderHandle, OutboundCall, Package, PackagesRequest,
    Secret, StatusQuery, Vendor, VendorError, async_trait, serve,
};
use http::{Method, StatusCode};
use serde_json::json;

fn adapters() -> Vec<Box<dyn AtsProvider>> {
    vec![
        Box::new(ats_greenhouse::Greenhouse::builder().build().unwrap()),
        Box::new(ats_ashby::Ashby::builder().build().unwrap()),
        Box::new(ats_lever::Lever::builder().build().unwrap()),
        Box::new(ats_workable::Workable::builder().build().unwrap()),
        Box::new(ats_kombo::Kombo::builder().build().unwrap()),
        Box::new(ats_stackone::StackOne::builder().build().unwrap()),
        Box::new(ats_knit::Knit::builder().build().unwrap()),
    ]
}

fn handle(provider: &str, id: &str) -> OrderHandle {
    let callback = match provider {
        "workable" => "https://acme.workable.com/assessments/callback/1",
        _ => "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/1",
    };
    serde_json::from_value(json!({
        "provider": provider, "tenant": "acme", "provider_order_id": id,
        "vendor_assessment_id": id, "candidate_id": "c-1", "callback_url": callback,
        "context": {"opportunity_id": id, "ats": "ashby", "order_type": "assessment"}
    }))
    .unwrap()
}

fn completed() -> AssessmentResult {
    let mut r = AssessmentResult::with_status(AssessmentStatus::Completed);
    r.report_url = Some("https://vendor.example.com/r/1".parse().unwrap());
    r
}

fn submit(h: OrderHandle) -> OutboundCall {
    OutboundCall::SubmitResult {
        order: Box::new(h),
        result: Box::new(completed()),
    }
}

#[test]
fn no_adapter_writes_back_through_another_adapters_handle() {
    for adapter in adapters() {
        let foreign = if adapter.name() == "kombo" {
            "ashby"
        } else {
            "kombo"
        };
        let e = adapter.prepare(&submit(handle(foreign, "o1"))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{}: {e}", adapter.name());
        assert!(
            e.to_string().contains(&format!(
                "came through `{foreign}`, not `{}`",
                adapter.name()
            )),
            "{}: {e}",
            adapter.name()
        );
    }
}

#[tokio::test]
async fn submit_result_refuses_a_foreign_handle_before_any_call() {
    for adapter in adapters() {
        let foreign = if adapter.name() == "kombo" {
            "ashby"
        } else {
            "kombo"
        };
        let e = adapter
            .submit_result(&handle(foreign, "o1"), &completed())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{}: {e}", adapter.name());
    }
}

/// Every adapter whose write-back puts a payload id in the URL path
/// refuses ids with control characters; the others carry the id in a JSON
/// body, where it stays exact.
#[test]
fn ids_with_control_characters_never_reach_a_url_path() {
    for adapter in adapters() {
        for id in ["Hx4p\tLq9", "\t..", "a\nb", "a\rb"] {
            match adapter.prepare(&submit(handle(adapter.name(), id))) {
                Err(e) => assert_eq!(
                    e.kind(),
                    ErrorKind::Malformed,
                    "{} {id:?}: {e}",
                    adapter.name()
                ),
                Ok(requests) => {
                    for r in requests {
                        let path = r.url.path();
                        assert!(
                            !path.contains("Hx4pLq9")
                                && !path.contains("ab")
                                && !path.ends_with("//result"),
                            "{}: {id:?} changed into {path}",
                            adapter.name()
                        );
                        // where the id travels in a JSON body, it is escaped, never mangled
                        let body = String::from_utf8_lossy(&r.body);
                        assert!(!body.contains("Hx4pLq9"), "{}: {body}", adapter.name());
                    }
                }
            }
        }
    }
    // the three that put it in the path
    for name in ["kombo", "stackone", "lever"] {
        let adapter = adapters().into_iter().find(|a| a.name() == name).unwrap();
        let e = adapter
            .prepare(&submit(handle(name, "Hx4p\tLq9")))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed, "{name}: {e}");
    }
}

/// Counts orders; accepts all.
#[derive(Default)]
struct Counting(AtomicUsize);

#[async_trait]
impl Vendor for Counting {
    async fn packages(&self, _: &PackagesRequest) -> Result<Vec<Package>, VendorError> {
        Ok(Vec::new())
    }
    async fn order(&self, _: &AssessmentOrder) -> Result<OrderDecision, VendorError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(OrderDecision::Accepted(Acceptance::new("asm-1")))
    }
    async fn cancel(&self, _: &Cancellation) -> Result<(), VendorError> {
        Ok(())
    }
    async fn status(&self, _: &StatusQuery) -> Result<AssessmentResult, VendorError> {
        Ok(AssessmentResult::with_status(AssessmentStatus::Invited))
    }
}

const KOMBO_SECRET: &str = "kombo-secret";

fn kombo_order(order_id: &str, email: &str) -> InboundRequest {
    let body = json!({
        "id": "evt-1", "type": "assessment:order-received",
        "data": {"id": order_id, "package_id": "pkg-1", "status": "OPEN", "integration_id": "int-1",
            "candidate": {"remote_id": "c1", "email": email, "first_name": "Mira", "last_name": "Okafor"},
            "job": {"remote_id": "j1", "name": "Rust", "hiring_team": []}}
    })
    .to_string();
    let sig = sign(
        &Secret::new(KOMBO_SECRET),
        body.as_bytes(),
        SignatureEncoding::Base64UrlNoPad,
    );
    InboundRequest::new(Method::POST, "/kombo/webhooks")
        .with_header("x-kombo-signature", &sig)
        .unwrap()
        .with_body(body)
}

#[tokio::test]
async fn orders_that_could_never_be_answered_are_refused_before_the_vendor() {
    let kombo = ats_kombo::Kombo::builder()
        .api_key("k")
        .webhook_secret(KOMBO_SECRET)
        .build()
        .unwrap();
    let vendor = Arc::new(Counting::default());
    // an order id that cannot stand in the result URL's path
    for id in ["..", "Hx4p\tLq9"] {
        let h = serve::handle(
            &kombo,
            vendor.as_ref(),
            &kombo_order(id, "mira@example.com"),
        )
        .await;
        assert_eq!(
            h.error.as_ref().map(|e| e.kind()),
            Some(ErrorKind::Malformed),
            "{id:?}"
        );
        assert_ne!(h.response.status, StatusCode::OK);
        assert_ne!(
            h.response.status.as_u16(),
            422,
            "never a rejection by accident"
        );
    }
    // an escaped NUL in an e-mail address
    let h = serve::handle(
        &kombo,
        vendor.as_ref(),
        &kombo_order("o-1", "a\u{0}@example.com"),
    )
    .await;
    let e = h.error.unwrap();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert!(e.to_string().contains("candidate.emails[0].address"), "{e}");
    assert_eq!(
        vendor.0.load(Ordering::SeqCst),
        0,
        "the vendor saw none of them"
    );
    // a sound order goes through
    let h = serve::handle(
        &kombo,
        vendor.as_ref(),
        &kombo_order("o-2", "mira@example.com"),
    )
    .await;
    assert_eq!(h.response.status, StatusCode::OK, "{:?}", h.error);
    assert_eq!(vendor.0.load(Ordering::SeqCst), 1);

    // Greenhouse: completion URLs the policy refuses are refused on arrival
    let greenhouse = ats_greenhouse::Greenhouse::builder()
        .keys(InMemoryKeys::new().with("acme", "gh-key"))
        .build()
        .unwrap();
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "https://localhost:22/x",
        "file:///etc/passwd",
        "http://[::1]/x",
        "https://app.greenhouse.io:6379/x",
    ] {
        let body = json!({
            "partner_test_id": "pkg-1",
            "candidate": {"first_name": "Maya", "last_name": "L", "email": "maya@example.com"},
            "url": url
        })
        .to_string();
        let request = InboundRequest::new(Method::POST, "/greenhouse/send_test")
            .with_header("authorization", "Basic Z2gta2V5Og==")
            .unwrap()
            .with_body(body);
        let h = serve::handle(&greenhouse, vendor.as_ref(), &request).await;
        let kind = h.error.as_ref().map(|e| e.kind());
        assert!(
            matches!(kind, Some(ErrorKind::UntrustedUrl | ErrorKind::Malformed)),
            "{url}: {:?}",
            h.error
        );
    }
    assert_eq!(vendor.0.load(Ordering::SeqCst), 1);
}
