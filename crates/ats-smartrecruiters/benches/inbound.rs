//! How long the SmartRecruiters adapter takes per inbound call, without network:
//! pure translation of an order body, and a whole `POST /packages/orders` call
//! (authentication, translation, vendor, rendering) through `serve::handle`.
//!
//! `cargo bench -p ats-smartrecruiters`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use ats_core::auth::InMemoryKeys;
use ats_core::{AtsProvider, InboundRequest, Package, serve};
use ats_smartrecruiters::SmartRecruiters;
use ats_testkit::MemoryVendor;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::Method;

const BODY: &str = r#"{"orderId":"8c1d5e2a-41f7-4b9e-a3d2-6f0e9b7c5a14","packageId":"rust-senior","companyId":"5f3e8a1b2c4d6e7f8a9b0c1d","candidate":{"id":"0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d","firstName":"Maya","lastName":"Lindqvist","email":"maya.lindqvist@example.com","phoneNumber":"+1 415 555 0142"},"job":{"id":"9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a","title":"Senior Backend Engineer"}}"#;

fn adapter(tenants: usize) -> SmartRecruiters {
    let mut keys = InMemoryKeys::new();
    for i in 0..tenants {
        keys = keys.with(format!("tenant-{i}"), format!("sr_in_token_{i:06}"));
    }
    SmartRecruiters::builder().keys(keys).build().unwrap()
}

fn request() -> InboundRequest {
    InboundRequest::new(Method::POST, "/smartrecruiters/packages/orders")
        .with_header("authorization", "Bearer sr_in_token_000000")
        .unwrap()
        .with_body(BODY)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("smartrecruiters");
    g.throughput(Throughput::Bytes(BODY.len() as u64));
    let gh = adapter(1);
    let req = request();
    g.bench_function("translate packages.order", |b| {
        b.iter(|| gh.translate("packages.order", &req).unwrap())
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let vendor = MemoryVendor::new(vec![Package::new(
        "rust-senior",
        "Backend Engineering (Rust)",
    )]);
    for tenants in [1, 1000] {
        let gh = adapter(tenants);
        g.bench_function(
            format!("serve::handle packages.order, {tenants} tenant tokens"),
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
