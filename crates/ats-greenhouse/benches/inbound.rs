//! How long the Greenhouse adapter takes per inbound call, without network:
//! pure translation of a `send_test` body, and a whole `send_test` call
//! (authentication, translation, vendor, rendering) through `serve::handle`.
//!
//! `cargo bench -p ats-greenhouse`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, InboundRequest, Package, serve};
use ats_greenhouse::Greenhouse;
use ats_testkit::MemoryVendor;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::Method;

const BODY: &str = r#"{"partner_test_id":"12345","candidate":{"first_name":"Maya","last_name":"Lindqvist","preferred_name":"May","resume_url":"https://app.greenhouse.io/resume_files/88412","phone_number":"+1 415 555 0142","email":"maya.lindqvist@example.com","greenhouse_profile_url":"https://app.greenhouse.io/people/17681532?application_id=26234709"},"sent_by":"jordan.recruiter@example.org","url":"https://app.greenhouse.io/integrations/testing_partners/take_home_tests/8812345"}"#;

fn adapter(tenants: usize) -> Greenhouse {
    let mut keys = InMemoryKeys::new();
    for i in 0..tenants {
        keys = keys.with(format!("tenant-{i}"), format!("gh_key_{i:06}"));
    }
    Greenhouse::builder().keys(keys).build().unwrap()
}

fn request() -> InboundRequest {
    InboundRequest::new(Method::POST, "/greenhouse/send_test")
        // base64("gh_key_000000:")
        .with_header("authorization", "Basic Z2hfa2V5XzAwMDAwMDo=")
        .unwrap()
        .with_body(BODY)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("greenhouse");
    g.throughput(Throughput::Bytes(BODY.len() as u64));
    let gh = adapter(1);
    let req = request();
    g.bench_function("translate send_test", |b| {
        b.iter(|| gh.translate("send_test", &req).unwrap())
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let vendor = MemoryVendor::new(vec![Package::new("12345", "Backend Engineering (Rust)")]);
    for tenants in [1, 1000] {
        let gh = adapter(tenants);
        g.bench_function(
            format!("serve::handle send_test, {tenants} tenant keys"),
            |b| {
                b.iter(|| {
                    let h = rt.block_on(serve::handle(&gh, &vendor, &req));
                    assert_eq!(h.response.status, 200);
                })
            },
        );
    }
    g.finish();
}

criterion_group!(inbound, benches);
criterion_main!(inbound);
