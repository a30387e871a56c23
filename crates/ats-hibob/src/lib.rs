//! Bob Hiring (HiBob) adapter, vendor side: the Assessments API for
//! Marketplace partners (OAuth 2.0, signed webhooks, a PATCH per update).
//!
//! A recruiter orders an assessment in Bob Hiring; Bob posts a signed
//! `assessment.triggered` webhook carrying ids only to the partner's one
//! webhook URL; the adapter verifies `Bob-Signature`, reads the
//! assessment's context (candidate, requester, job opening, package) with
//! `GET /hiring/assessments/{assessmentRequestId}` using the company's
//! OAuth token, and the vendor reports progress and results with `PATCH
//! /hiring/assessments/{assessmentRequestId}`. Wire facts and sources:
//! `docs/providers/hibob.md`.
//!
//! ```
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest, Secret};
//! use ats_hibob::HiBob;
//!
//! let hibob = HiBob::builder().webhook_secret("bob_test_signing_secret").build()?;
//!
//! let body = r#"{"type":"assessment.cancelled","companyId":"900123","data":{"assessmentRequestId":"41872"}}"#;
//! let signature = ats_hibob::auth::signature(&Secret::new("bob_test_signing_secret"), body.as_bytes());
//! let request = InboundRequest::new(http::Method::POST, "/hibob/webhook")
//!     .with_header("Bob-Signature", &signature)?
//!     .with_body(body);
//! let operation = hibob.route(&request)?;
//! assert_eq!(operation, "assessment.cancelled");
//! let InboundEvent::OrderCancelled(cancelled) = hibob.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(cancelled.order.provider_order_id.as_deref(), Some("41872"));
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod oauth;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::HiBobBuilder;
pub use crate::oauth::{InMemoryTokenStore, OAuthApp, OAuthError, TokenSet, TokenStore};
pub use crate::provider::HiBob;

/// This adapter's entry for the tools around it (`ats`, `ats replay`,
/// `ats demo`, the conformance suite).
pub fn registration() -> ats_core::registry::Registration {
    ats_core::registry::Registration {
        name: translate::PROVIDER,
        translation_only,
        recorded: |server| Ok(Box::new(recorded::hibob(server)?)),
        recorded_secrets: recorded::SECRETS,
        demo: Some(
            ats_core::registry::DemoFixtures::new(
                "assessment_triggered_accepted.json",
                "update_assessment_passed.json",
            )
            .with_cancellation("assessment_cancelled.json")
            .with_tenant("900123")
            .with_settings(&[
                ("base_url", "{api}/v1"),
                ("token_url", "{api}/api/oauth2/token"),
                ("authorize_url", "{api}/api/oauth2/authorize"),
                ("client_id", "bob-client"),
                ("client_secret", "{secret}"),
                ("webhook_secret", "{secret}"),
            ]),
        ),
        served: Some(SERVED),
    }
}

/// How `ats-server` (and with it `ats serve`) serves Bob: the vendor's
/// Marketplace app and webhook signing secret as settings, each company's
/// tokens in the server's durable OAuth token store.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[
        ats_core::registry::Setting::plain("client_id", "the vendor's Bob OAuth app: client id"),
        ats_core::registry::Setting::secret(
            "client_secret",
            "the vendor's Bob OAuth app: client secret",
        ),
        ats_core::registry::Setting::plain(
            "redirect_uri",
            "the vendor's Bob OAuth app: redirect URI",
        ),
        ats_core::registry::Setting::secret(
            "webhook_secret",
            "the secret Bob signs its webhooks with (Bob-Signature)",
        ),
        ats_core::registry::Setting::plain(
            "token_url",
            "Bob's OAuth token endpoint, when not the default (unconfirmed)",
        ),
        ats_core::registry::Setting::plain(
            "authorize_url",
            "Bob's OAuth authorization endpoint, when not the default (unconfirmed)",
        ),
    ],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::None,
        secrets: &[],
        endpoint: "/webhook",
        instructions: "Set the endpoint URL as your Bob Marketplace app's webhook URL; each company connects by installing the app, which stores its tokens.",
    },
    build: Some(serve),
};

fn serve(
    parts: &ats_core::registry::ServeParts,
) -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    let mut b = HiBob::builder()
        .token_store(parts.oauth_tokens()?)
        .delivery_log(parts.delivery_log());
    let plain = |name: &str| parts.setting(name).map(|v| v.expose().to_owned());
    if let (Some(id), Some(secret), Some(redirect)) = (
        plain("client_id"),
        parts.setting("client_secret"),
        plain("redirect_uri"),
    ) {
        b = b.oauth_app(OAuthApp::new(id, secret.clone(), redirect));
    }
    if let Some(s) = parts.setting("webhook_secret") {
        b = b.webhook_secret(s.clone());
    }
    if let Some(url) = plain("token_url") {
        b = b.token_url(url);
    }
    if let Some(url) = plain("authorize_url") {
        b = b.authorize_url(url);
    }
    if let Some(url) = parts.base_url() {
        b = b.base_url(url);
    }
    if let Some(r) = parts.retry() {
        b = b.retry(r.clone());
    }
    Ok(Box::new(b.build()?))
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(HiBob::builder().build()?))
}

/// The configuration `fixtures/hibob/` was recorded against. Every key and
/// token is made up; the fixtures' `Bob-Signature` values are real
/// HMAC-SHA512 values of their bodies with [`recorded::WEBHOOK_SECRET`].
pub mod recorded {
    use crate::{HiBob, HiBobBuilder, InMemoryTokenStore, OAuthApp, TokenSet};
    use ats_core::{AssessmentStatus, Clock, Error, RetryConfig};

    /// The webhook signing secret.
    pub const WEBHOOK_SECRET: &str = "bob_test_signing_secret";
    /// The OAuth app's client id.
    pub const CLIENT_ID: &str = "bob_client_id_example";
    /// The OAuth app's client secret.
    pub const CLIENT_SECRET: &str = "bob_client_secret_example_5Tq";
    /// The OAuth app's redirect URI.
    pub const REDIRECT_URI: &str = "https://assess.example.com/bob/callback";
    /// Company 900123's access token (valid).
    pub const AT_ACME: &str = "bob_at_900123_9f2c";
    /// Company 900123's refresh token.
    pub const RT_ACME: &str = "bob_rt_900123_P3x7";
    /// Company 900456's access token (expired).
    pub const AT_GLOBEX: &str = "bob_at_900456_expired";
    /// Company 900456's refresh token.
    pub const RT_GLOBEX: &str = "bob_rt_900456_4KpQ";
    /// What the fixed clock reads.
    pub const NOW: &str = "2026-01-01T10:00:00Z";

    /// Every credential above.
    pub const SECRETS: &[&str] = &[
        WEBHOOK_SECRET,
        CLIENT_SECRET,
        AT_ACME,
        RT_ACME,
        AT_GLOBEX,
        RT_GLOBEX,
    ];

    /// `s` as a time (the Unix epoch when it is not one).
    pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        s.parse().unwrap_or_default()
    }

    /// The tokens: company 900123's valid until 11:00, 900456's expired at
    /// 09:30.
    pub fn tokens() -> InMemoryTokenStore {
        InMemoryTokenStore::new()
            .with(
                "900123",
                TokenSet::new(AT_ACME, RT_ACME, at("2026-01-01T11:00:00Z")),
            )
            .with(
                "900456",
                TokenSet::new(AT_GLOBEX, RT_GLOBEX, at("2026-01-01T09:30:00Z")),
            )
    }

    /// The builder the fixtures expect, pointed at `server`, without tokens.
    pub fn builder(server: &str) -> HiBobBuilder {
        HiBob::builder()
            .oauth_app(OAuthApp::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI))
            .webhook_secret(WEBHOOK_SECRET)
            .base_url(format!("{server}/v1"))
            .token_url(format!("{server}/oauth/token"))
            .authorize_url(format!("{server}/oauth/authorize"))
            .status_value(AssessmentStatus::InProgress, "inProgress")
            .retry(RetryConfig::fast(2))
            .clock(Clock::fixed(at(NOW)))
    }

    /// The adapter the fixtures were recorded against.
    pub fn hibob(server: &str) -> Result<HiBob, Error> {
        builder(server).tokens(tokens()).build()
    }
}
