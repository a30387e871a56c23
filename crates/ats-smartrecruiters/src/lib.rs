//! SmartRecruiters Assessment API (2021) adapter, vendor side.
//!
//! SmartRecruiters calls two endpoints the vendor hosts, with a Bearer token
//! per customer: `GET /packages` (which packages the customer can order)
//! and `POST /packages/orders` (an order for a candidate). The vendor writes
//! status and result back with `PATCH /orders/{orderId}/results`, with an
//! access token obtained from SmartRecruiters' token endpoint with the
//! customer's client credentials (OAuth 2.0 client credentials; tokens are
//! cached until they expire). Wire facts, sources and what is still
//! unconfirmed: `docs/providers/smartrecruiters.md`.
//!
//! ```
//! use ats_core::auth::InMemoryKeys;
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//! use ats_smartrecruiters::SmartRecruiters;
//!
//! let smartrecruiters = SmartRecruiters::builder()
//!     .keys(InMemoryKeys::new().with("acme", "sr_in_acme_4c1f9e2b7d30"))
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/smartrecruiters/packages/orders")
//!     .with_body(r#"{"orderId": "3f6d2c1e-order", "packageId": "rust-senior",
//!                   "candidate": {"firstName": "Maya", "lastName": "Lindqvist",
//!                                 "email": "maya@example.com"}}"#);
//! let operation = smartrecruiters.route(&request)?;
//! let InboundEvent::OrderReceived(order) = smartrecruiters.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "rust-senior");
//! assert_eq!(order.provider_order_id.as_deref(), Some("3f6d2c1e-order"));
//! assert_eq!(order.candidate.primary_email(), Some("maya@example.com"));
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod oauth;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::SmartRecruitersBuilder;
pub use crate::provider::SmartRecruiters;

/// This adapter's entry for the tools around it (`ats`, `ats replay`,
/// `ats demo`, the conformance suite).
pub fn registration() -> ats_core::registry::Registration {
    ats_core::registry::Registration {
        name: translate::PROVIDER,
        translation_only,
        recorded: recorded::adapter,
        recorded_secrets: recorded::SECRETS,
        demo: Some(
            ats_core::registry::DemoFixtures::new(
                "packages_order_accepted.json",
                "results_update_completed.json",
            )
            .with_packages("packages_list_ok.json")
            .with_rejection("packages_order_unknown_package.json")
            .with_settings(&[
                ("base_url", "{api}/assessment-api/v202010"),
                ("token_url", "{api}/identity/oauth/token"),
                ("client_id", "sr-partner"),
                ("client_secret", "{secret}"),
            ]),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(SmartRecruiters::builder().build()?))
}

/// The per-customer secrets the durable server keeps for SmartRecruiters:
/// the customer-level client id and secret SmartRecruiters creates when the
/// customer connects.
pub const CUSTOMER_CLIENT_ID: &str = "customer_client_id";
/// See [`CUSTOMER_CLIENT_ID`].
pub const CUSTOMER_CLIENT_SECRET: &str = "customer_client_secret";

/// How `ats-server` serves SmartRecruiters and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[
        ats_core::registry::Setting::plain(
            "client_id",
            "the partner-level (master) client id SmartRecruiters issued",
        ),
        ats_core::registry::Setting::secret(
            "client_secret",
            "the partner-level (master) client secret SmartRecruiters issued",
        ),
        ats_core::registry::Setting::plain(
            "token_url",
            "the OAuth token endpoint, when not SmartRecruiters' own (a stand-in)",
        ),
    ],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::Issued,
        secrets: &[
            ats_core::registry::Setting::secret(
                CUSTOMER_CLIENT_ID,
                "the customer-level client id SmartRecruiters created for the company",
            ),
            ats_core::registry::Setting::secret(
                CUSTOMER_CLIENT_SECRET,
                "the customer-level client secret SmartRecruiters created for the company",
            ),
        ],
        endpoint: "",
        instructions: "Give SmartRecruiters this base URL and key for the company; SmartRecruiters calls /packages and /packages/orders under it. The key is shown once.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = SmartRecruiters::builder()
        .key_directory(parts.issued_keys())
        .api_key_store(std::sync::Arc::new(oauth::StoredCredentials::new(
            parts.connection_secret(CUSTOMER_CLIENT_ID)?,
            parts.connection_secret(CUSTOMER_CLIENT_SECRET)?,
        )));
    if let (Some(id), Some(secret)) = (parts.setting("client_id"), parts.setting("client_secret")) {
        b = b.partner_credentials(id.expose(), secret.clone());
    }
    if let Some(url) = parts.base_url() {
        b = b.base_url(url);
    }
    if let Some(url) = parts.setting("token_url") {
        b = b.token_url(url.expose());
    }
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

/// The configuration `fixtures/smartrecruiters/` was recorded against:
/// made-up tenants and credentials, and a fixed clock.
pub mod recorded {
    use crate::SmartRecruiters;
    use crate::oauth::InMemoryCredentials;
    use ats_core::auth::InMemoryKeys;
    use ats_core::{AtsProvider, Clock, Error, RetryConfig};
    use chrono::{TimeZone, Utc};

    /// The token SmartRecruiters presents for tenant `acme`.
    pub const INBOUND_TOKEN_ACME: &str = "sr_in_acme_4c1f9e2b7d30";
    /// The token SmartRecruiters presents for tenant `globex`.
    pub const INBOUND_TOKEN_GLOBEX: &str = "sr_in_globex_8a2d6f0c1e57";
    /// `acme`'s customer-level client id at SmartRecruiters.
    pub const CLIENT_ID_ACME: &str = "sr-client-acme-7d41";
    /// `acme`'s customer-level client secret.
    pub const CLIENT_SECRET_ACME: &str = "sr_secret_acme_c08f5b2e91d3";
    /// `globex`'s customer-level client id (its secret is refused by the
    /// recorded token endpoint).
    pub const CLIENT_ID_GLOBEX: &str = "sr-client-globex-2b90";
    /// `globex`'s customer-level client secret.
    pub const CLIENT_SECRET_GLOBEX: &str = "sr_secret_globex_revoked_55aa";
    /// The partner-level (master) client id.
    pub const PARTNER_CLIENT_ID: &str = "sr-partner-vendor-01";
    /// The partner-level (master) client secret.
    pub const PARTNER_CLIENT_SECRET: &str = "sr_partner_secret_9e3c7a10";
    /// The access token the recorded token endpoint issues to `acme`.
    pub const ACCESS_TOKEN_ACME: &str = "sr_at_acme_6b2f0d9c";
    /// A second access token for `acme` (after a refused one).
    pub const ACCESS_TOKEN_ACME_2: &str = "sr_at_acme_second_31e7";

    /// The adapter as recorded, sending its outbound calls to `server`.
    pub fn adapter(server: &str) -> Result<Box<dyn AtsProvider>, Error> {
        let clock = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .map(Clock::fixed)
            .unwrap_or_default();
        let smartrecruiters = SmartRecruiters::builder()
            .keys(
                InMemoryKeys::new()
                    .with("acme", INBOUND_TOKEN_ACME)
                    .with("globex", INBOUND_TOKEN_GLOBEX),
            )
            .api_keys(
                InMemoryCredentials::new()
                    .with("acme", CLIENT_ID_ACME, CLIENT_SECRET_ACME)
                    .with("globex", CLIENT_ID_GLOBEX, CLIENT_SECRET_GLOBEX),
            )
            .partner_credentials(PARTNER_CLIENT_ID, PARTNER_CLIENT_SECRET)
            .base_url(format!("{server}/assessment-api/v202010"))
            .token_url(format!("{server}/identity/oauth/token"))
            .retry(RetryConfig::fast(2))
            .clock(clock)
            .build()?;
        Ok(Box::new(smartrecruiters))
    }

    /// Every credential above.
    pub const SECRETS: &[&str] = &[
        INBOUND_TOKEN_ACME,
        INBOUND_TOKEN_GLOBEX,
        CLIENT_SECRET_ACME,
        CLIENT_SECRET_GLOBEX,
        PARTNER_CLIENT_SECRET,
        ACCESS_TOKEN_ACME,
        ACCESS_TOKEN_ACME_2,
    ];
}
