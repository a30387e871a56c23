//! The StackOne adapter against the shared conformance suite and its
//! recorded fixtures (`fixtures/stackone/`).
//!
//! StackOne calls the vendor two ways, authenticated differently: signed
//! webhooks (`x-stackone-signature`) and the packages endpoint (a key the
//! vendor issued). The suite tampers with every accepted request according
//! to the one scheme `capabilities().inbound_auth` names, so the fixtures
//! are kept in two directories and the suite runs once over each, through a
//! thin wrapper that presents only that surface's operations and scheme:
//!
//! * `webhooks_and_api/`: webhooks and every outbound call, under the
//!   adapter's own capabilities (header signature);
//! * `packages_endpoint/`: the packages endpoint, presented as Basic/Bearer
//!   key authentication (the fixtures' accepted requests carry the key in
//!   `Authorization`; the `?token=` form is covered by the crate's tests).

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use ats_core::auth::InMemoryKeys;
use ats_core::{
    AssessmentOrder, AssessmentResult, AtsProvider, Capabilities, Clock, Delivery, Error, Inbound,
    InboundAuth, InboundEvent, InboundRequest, InboundResponse, Operation, OrderHandle,
    OutboundCall, Package, PreparedRequest, RetryConfig, TenantId, VendorReply,
};
use ats_stackone::provider::{LIST_ASSESSMENTS_PACKAGES, OPERATIONS};
use ats_stackone::{InMemoryPackageIds, StackOne};

const API_KEY: &str = "v1.eu1.EXAMPLEKEYdoNotUse";
const SIGNING_SECRET: &str = "whsec_example_do_not_use";
const ROTATING_SECRET: &str = "whsec_rotating_out_2025";
const WEBHOOK_TOKEN: &str = "tok_webhook_3a7e55";
const ACME_KEY: &str = "pk_acme_5f2c9e1d";
const GLOBEX_KEY: &str = "pk_globex_81d0aa3e";

fn stackone(server: &str) -> Result<StackOne, Error> {
    // Background checks already published: two for one account, one for
    // another (whose publications are a single request each).
    let published = InMemoryPackageIds::new()
        .with("acc_4Wd1Kz8Qr2", "bg-standard-uk", "bgp_6Nn7Oo8Pp9")
        .with("acc_4Wd1Kz8Qr2", "bg-basic-dbs", "bgp_1Cc2Dd3Ee4")
        .with("acc_5Pq8Lx2Nc6", "bg-standard-uk", "bgp_3Tu4Vw5Xy6");
    StackOne::builder()
        .base_url(server)
        .api_key(API_KEY)
        .signing_secrets([SIGNING_SECRET, ROTATING_SECRET])
        .webhook_token(WEBHOOK_TOKEN)
        .package_endpoint_keys(
            InMemoryKeys::new()
                .with("acc_7Qm2xT9kLp", ACME_KEY)
                .with("acc_4Wd1Kz8Qr2", GLOBEX_KEY),
        )
        .package_ids(Arc::new(published))
        .retry(RetryConfig::fast(2))
        .clock(Clock::fixed(
            "2026-01-01T00:00:00Z"
                .parse()
                .map_err(|e| Error::config(format!("{e}")))?,
        ))
        .build()
}

/// The adapter, showing only one inbound surface's operations and scheme.
#[derive(Debug)]
struct Surface {
    inner: StackOne,
    operations: &'static [Operation],
    inbound_auth: Option<InboundAuth>,
}

static WEBHOOK_SURFACE: LazyLock<Vec<Operation>> = LazyLock::new(|| {
    OPERATIONS
        .iter()
        .filter(|o| o.name != LIST_ASSESSMENTS_PACKAGES)
        .copied()
        .collect()
});

static PACKAGES_SURFACE: LazyLock<Vec<Operation>> = LazyLock::new(|| {
    OPERATIONS
        .iter()
        .filter(|o| o.name == LIST_ASSESSMENTS_PACKAGES)
        .copied()
        .collect()
});

#[async_trait]
impl AtsProvider for Surface {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn capabilities(&self) -> Capabilities {
        let mut c = self.inner.capabilities();
        if let Some(auth) = self.inbound_auth {
            c.inbound_auth = auth;
        }
        c
    }
    fn operations(&self) -> &'static [Operation] {
        self.operations
    }
    fn route(&self, request: &InboundRequest) -> Result<&'static str, Error> {
        self.inner.route(request)
    }
    fn translate(&self, operation: &str, request: &InboundRequest) -> Result<InboundEvent, Error> {
        self.inner.translate(operation, request)
    }
    async fn authenticate(
        &self,
        operation: &str,
        request: &InboundRequest,
    ) -> Result<Option<TenantId>, Error> {
        self.inner.authenticate(operation, request).await
    }
    async fn receive(&self, request: &InboundRequest) -> Result<Inbound, Error> {
        self.inner.receive(request).await
    }
    fn respond(&self, operation: &str, reply: &VendorReply) -> Result<InboundResponse, Error> {
        self.inner.respond(operation, reply)
    }
    fn respond_error(&self, operation: Option<&str>, error: &Error) -> InboundResponse {
        self.inner.respond_error(operation, error)
    }
    fn prepare(&self, call: &OutboundCall) -> Result<Vec<PreparedRequest>, Error> {
        self.inner.prepare(call)
    }
    async fn submit_result(
        &self,
        order: &OrderHandle,
        result: &AssessmentResult,
    ) -> Result<Delivery, Error> {
        self.inner.submit_result(order, result).await
    }
    async fn publish_packages(
        &self,
        tenant: &TenantId,
        packages: &[Package],
    ) -> Result<Delivery, Error> {
        self.inner.publish_packages(tenant, packages).await
    }
    async fn open_orders(&self, tenant: &TenantId) -> Result<Vec<AssessmentOrder>, Error> {
        self.inner.open_orders(tenant).await
    }
}

const SECRETS: [&str; 6] = [
    API_KEY,
    SIGNING_SECRET,
    ROTATING_SECRET,
    WEBHOOK_TOKEN,
    ACME_KEY,
    GLOBEX_KEY,
];

#[tokio::test]
async fn stackone_passes_the_conformance_suite() {
    let dir = ats_testkit::fixtures_dir().join("stackone");

    let webhooks = ats_testkit::conformance::Suite::new(dir.join("webhooks_and_api"), |server| {
        Ok(Box::new(Surface {
            inner: stackone(server)?,
            operations: &WEBHOOK_SURFACE,
            inbound_auth: None,
        }) as Box<dyn AtsProvider>)
    })
    .secrets(SECRETS)
    .run()
    .await;
    println!("webhooks and API calls: {webhooks}");

    let packages = ats_testkit::conformance::Suite::new(dir.join("packages_endpoint"), |server| {
        Ok(Box::new(Surface {
            inner: stackone(server)?,
            operations: &PACKAGES_SURFACE,
            inbound_auth: Some(InboundAuth::BasicApiKey),
        }) as Box<dyn AtsProvider>)
    })
    .secrets(SECRETS)
    .run()
    .await;
    println!("packages endpoint: {packages}");

    webhooks.assert_ok();
    packages.assert_ok();
    assert!(
        webhooks.passed() > 200,
        "only {} checks ran",
        webhooks.passed()
    );
    assert!(
        packages.passed() > 30,
        "only {} checks ran",
        packages.passed()
    );
    // Together the two runs cover every operation the adapter lists.
    assert_eq!(
        WEBHOOK_SURFACE.len() + PACKAGES_SURFACE.len(),
        OPERATIONS.len()
    );
}
