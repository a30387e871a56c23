//! Lever adapter, vendor side: OAuth 2.0, signed webhooks, notes and tags.
//!
//! Lever has no assessment-partner API. A vendor connects to a customer's
//! Lever account with OAuth 2.0 ([`oauth`]), is told by a webhook when an
//! opportunity (a candidacy) moves into a stage the customer picked for the
//! assessment, fetches the candidate's details through Lever's API, and
//! writes the outcome back as tags (`<prefix>: completed`, `<prefix>: grade
//! B`) and a note with the result. Wire facts and sources:
//! `docs/providers/lever.md`.
//!
//! Deliveries carry no account id: each customer connection gets its own
//! webhook URL, whose path names the tenant (default
//! `/lever/{tenant}/webhook`, see [`LeverBuilder::webhook_path`]).
//!
//! ```
//! use ats_core::{AtsProvider, InboundEvent, InboundRequest};
//! use ats_lever::{InMemoryConnections, Lever, LeverConnection};
//!
//! let lever = Lever::builder()
//!     .connections(InMemoryConnections::new().with(
//!         "acme",
//!         LeverConnection::new()
//!             .signature_token("eb975729fae923d5a4fd12aabfe228f219e9cb0eb53f1694")
//!             .trigger_stage("36f675cc-81e7-4ef5-a8e2-5d940ed90475", "rust-senior"),
//!     ))
//!     .build()?;
//!
//! let request = InboundRequest::new(http::Method::POST, "/lever/acme/webhook").with_body(
//!     r#"{"triggeredAt": 1767261600123, "event": "candidateStageChange",
//!         "data": {"opportunityId": "6513270e-269e-4d37-b2a7-4de452e6b438",
//!                  "contactId": "d23f0824-128b-4f33-8c5c-7fd0a6a3a450",
//!                  "toStageId": "36f675cc-81e7-4ef5-a8e2-5d940ed90475",
//!                  "fromStageId": "9531985d-5d9d-49f8-9818-e811892f902b"},
//!         "signature": "fbcee82498f877b3bdce0171011daeaaf8ece355be5db8431d020f05dc2e2c29",
//!         "token": "7ccf25ec84d8dbc74254770f58904dba41ecccc3fc1626e5"}"#,
//! );
//! let operation = lever.route(&request)?;
//! assert_eq!(operation, "candidateStageChange");
//! // Pure translation: the order carries ids only; `receive` verifies the
//! // signature and fetches the candidate and the job from Lever's API.
//! let InboundEvent::OrderReceived(order) = lever.translate(operation, &request)? else {
//!     unreachable!()
//! };
//! assert_eq!(order.package_id, "rust-senior");
//! assert_eq!(
//!     order.provider_order_id.as_deref(),
//!     Some("6513270e-269e-4d37-b2a7-4de452e6b438")
//! );
//! # Ok::<(), ats_core::Error>(())
//! ```

pub mod auth;
pub mod builder;
pub mod client;
pub mod oauth;
pub mod provider;
pub mod translate;
pub mod wire;

pub use crate::builder::{ConnectionStore, InMemoryConnections, LeverBuilder, LeverConnection};
pub use crate::oauth::{
    IdleRefresh, InMemoryTokenStore, LeverEnvironment, OAuthApp, OAuthError, TokenSet, TokenStore,
};
pub use crate::provider::Lever;
pub use crate::translate::NoteScore;

/// This adapter's entry for the tools around it (`ats`, `ats replay`,
/// `ats demo`, the conformance suite).
pub fn registration() -> ats_core::registry::Registration {
    ats_core::registry::Registration {
        name: translate::PROVIDER,
        translation_only,
        recorded: |server| Ok(Box::new(recorded::lever(server)?)),
        recorded_secrets: recorded::SECRETS,
        demo: Some(
            ats_core::registry::DemoFixtures::new(
                "candidateStageChange_accepted.json",
                "createNote_completed.json",
            )
            .with_rejection("candidateStageChange_unknown_package.json")
            .with_cancellation("candidateArchiveChange_archived.json")
            .with_settings(&[
                ("base_url", "{api}/v1"),
                ("oauth_base_url", "{api}"),
                ("client_id", "lever-client"),
                ("client_secret", "{secret}"),
            ])
            .with_connection(
                r#"{"signature_tokens": ["{secret}"], "trigger_stages": {"36f675cc-81e7-4ef5-a8e2-5d940ed90475": "{package}"}}"#,
            ),
        ),
        served: Some(SERVED),
    }
}

fn translation_only() -> Result<Box<dyn ats_core::AtsProvider>, ats_core::Error> {
    Ok(Box::new(Lever::builder().build()?))
}

/// How `ats-server` serves Lever and connects a customer.
const SERVED: ats_core::registry::Served = ats_core::registry::Served {
    settings: &[
        ats_core::registry::Setting::plain("client_id", "the vendor's Lever OAuth app: client id"),
        ats_core::registry::Setting::secret(
            "client_secret",
            "the vendor's Lever OAuth app: client secret",
        ),
        ats_core::registry::Setting::plain(
            "redirect_uri",
            "the vendor's Lever OAuth app: redirect URI",
        ),
    ],
    base_url: true,
    connection: ats_core::registry::ConnectionShape {
        key: ats_core::registry::ConnectionKey::None,
        secrets: &[],
        endpoint: "/{tenant}/webhook",
        instructions: "Add the webhook URL for candidateStageChange, candidateArchiveChange and candidateDeleted in Lever, and connect Lever through OAuth.",
    },
    // tokens, connections and refresh leases are stores of Lever's own kinds
    build: None,
};

/// The configuration `fixtures/lever/` was recorded against. Every key and
/// token is made up; the fixtures' webhook signatures are real HMAC-SHA256
/// values computed with these signature tokens over `token + triggeredAt`
/// of each delivery.
pub mod recorded {
    use crate::{
        InMemoryConnections, InMemoryTokenStore, Lever, LeverBuilder, LeverConnection, OAuthApp,
        TokenSet,
    };
    use ats_core::{Clock, Error, RetryConfig};

    /// Acme's signature tokens: one per webhook it created (two here).
    pub const SIG_ACME: &str = "eb975729fae923d5a4fd12aabfe228f219e9cb0eb53f1694";
    /// A made-up credential or value of the recorded configuration.
    pub const SIG_ACME_2: &str = "5d2c9e0a7b41f38e6c0d9a2b7e4f1c8a3b6d0e9f2a5c7b14";
    /// A made-up credential or value of the recorded configuration.
    pub const SIG_GLOBEX: &str = "b3f1e8a2c7d94f6e0a5b2c8d1e7f4a9b6c3d0e5f8a1b4c72";
    /// A made-up credential or value of the recorded configuration.
    pub const CLIENT_ID: &str = "Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj";
    /// A made-up credential or value of the recorded configuration.
    pub const CLIENT_SECRET: &str = "lvr_client_secret_example_8R2w";
    /// A made-up credential or value of the recorded configuration.
    pub const REDIRECT_URI: &str = "https://assess.example.com/lever/callback";
    /// A made-up credential or value of the recorded configuration.
    pub const AT_ACME: &str = "lvr_at_acme_2f9c1e7b";
    /// A made-up credential or value of the recorded configuration.
    pub const RT_ACME: &str = "lvr_rt_acme_P3x7Lq";
    /// A made-up credential or value of the recorded configuration.
    pub const AT_GLOBEX: &str = "lvr_at_globex_expired_71d3";
    /// A made-up credential or value of the recorded configuration.
    pub const RT_GLOBEX: &str = "lvr_rt_globex_4KpQ9zW2";
    /// A made-up credential or value of the recorded configuration.
    pub const AT_UMBRELLA: &str = "lvr_at_umbrella_expired_0a1b";
    /// A made-up credential or value of the recorded configuration.
    pub const RT_UMBRELLA: &str = "lvr_rt_umbrella_revoked_Zq8";
    /// A made-up credential or value of the recorded configuration.
    pub const AT_INITECH: &str = "lvr_at_initech_revoked_5e6f";
    /// A made-up credential or value of the recorded configuration.
    pub const RT_INITECH: &str = "lvr_rt_initech_9LmT2";
    /// A made-up credential or value of the recorded configuration.
    pub const PERFORM_AS: &str = "7f150524-34b9-45df-9e77-69b10f4205b4";
    /// A made-up credential or value of the recorded configuration.
    pub const STAGE_ACME: &str = "36f675cc-81e7-4ef5-a8e2-5d940ed90475";
    /// A made-up credential or value of the recorded configuration.
    pub const STAGE_GLOBEX: &str = "c6a2e4f8-1b3d-4a5c-9e7f-0d2b4c6e8a1f";
    /// What the fixed clock reads.
    pub const NOW: &str = "2026-01-01T10:00:00Z";

    /// Every credential above.
    pub const SECRETS: &[&str] = &[
        SIG_ACME,
        SIG_ACME_2,
        SIG_GLOBEX,
        CLIENT_SECRET,
        AT_ACME,
        RT_ACME,
        AT_GLOBEX,
        RT_GLOBEX,
        AT_UMBRELLA,
        RT_UMBRELLA,
        AT_INITECH,
        RT_INITECH,
    ];

    /// `s` as a time (the Unix epoch when it is not one).
    pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        s.parse().unwrap_or_default()
    }

    /// The connections: Acme and Globex with signature tokens and trigger stages, Umbrella and Initech bare.
    pub fn connections() -> InMemoryConnections {
        InMemoryConnections::new()
            .with(
                "acme",
                LeverConnection::new()
                    .signature_token(SIG_ACME)
                    .signature_token(SIG_ACME_2)
                    .trigger_stage(STAGE_ACME, "rust-senior")
                    .perform_as(PERFORM_AS),
            )
            .with(
                "globex",
                LeverConnection::new()
                    .signature_token(SIG_GLOBEX)
                    .trigger_stage(STAGE_GLOBEX, "sql-basics"),
            )
            .with("umbrella", LeverConnection::new())
            .with("initech", LeverConnection::new())
    }

    /// The clock stands at 10:00; Acme's and Initech's tokens are valid until
    /// 11:00, Globex's and Umbrella's expired at 09:30.
    pub fn tokens() -> InMemoryTokenStore {
        InMemoryTokenStore::new()
            .with(
                "acme",
                TokenSet::new(AT_ACME, RT_ACME, at("2026-01-01T11:00:00Z")),
            )
            .with(
                "globex",
                TokenSet::new(AT_GLOBEX, RT_GLOBEX, at("2026-01-01T09:30:00Z")),
            )
            .with(
                "umbrella",
                TokenSet::new(AT_UMBRELLA, RT_UMBRELLA, at("2026-01-01T09:30:00Z")),
            )
            .with(
                "initech",
                TokenSet::new(AT_INITECH, RT_INITECH, at("2026-01-01T11:00:00Z")),
            )
    }

    /// The builder the fixtures expect, pointed at `server`, without stores.
    pub fn builder(server: &str) -> LeverBuilder {
        Lever::builder()
            .oauth_app(OAuthApp::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI))
            .base_url(format!("{server}/v1"))
            .token_url(format!("{server}/oauth/token"))
            .authorize_url(format!("{server}/authorize"))
            .tag_prefix("Acme assessment")
            .retry(RetryConfig::fast(2))
            .clock(Clock::fixed(at(NOW)))
    }

    /// The adapter the fixtures were recorded against.
    pub fn lever(server: &str) -> Result<Lever, Error> {
        builder(server)
            .connections(connections())
            .tokens(tokens())
            .build()
    }
}
