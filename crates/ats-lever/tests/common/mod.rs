//! The adapter configuration the fixtures were recorded against. Every key
//! and token is made up; the fixtures' webhook signatures are real
//! HMAC-SHA256 values computed with these signature tokens over
//! `token + triggeredAt` of each delivery.

#![allow(dead_code)]

use ats_core::{Clock, Error, RetryConfig};
use ats_lever::{
    InMemoryConnections, InMemoryTokenStore, Lever, LeverBuilder, LeverConnection, OAuthApp,
    TokenSet,
};

/// Acme's signature tokens: one per webhook it created (two here).
pub const SIG_ACME: &str = "eb975729fae923d5a4fd12aabfe228f219e9cb0eb53f1694";
pub const SIG_ACME_2: &str = "5d2c9e0a7b41f38e6c0d9a2b7e4f1c8a3b6d0e9f2a5c7b14";
pub const SIG_GLOBEX: &str = "b3f1e8a2c7d94f6e0a5b2c8d1e7f4a9b6c3d0e5f8a1b4c72";
pub const CLIENT_ID: &str = "Zx81QeVb2mT7cLr4NwP0aKs9yHdGu3Fj";
pub const CLIENT_SECRET: &str = "lvr_client_secret_example_8R2w";
pub const REDIRECT_URI: &str = "https://assess.example.com/lever/callback";
pub const AT_ACME: &str = "lvr_at_acme_2f9c1e7b";
pub const RT_ACME: &str = "lvr_rt_acme_P3x7Lq";
pub const AT_GLOBEX: &str = "lvr_at_globex_expired_71d3";
pub const RT_GLOBEX: &str = "lvr_rt_globex_4KpQ9zW2";
pub const AT_UMBRELLA: &str = "lvr_at_umbrella_expired_0a1b";
pub const RT_UMBRELLA: &str = "lvr_rt_umbrella_revoked_Zq8";
pub const AT_INITECH: &str = "lvr_at_initech_revoked_5e6f";
pub const RT_INITECH: &str = "lvr_rt_initech_9LmT2";
pub const PERFORM_AS: &str = "7f150524-34b9-45df-9e77-69b10f4205b4";
pub const STAGE_ACME: &str = "36f675cc-81e7-4ef5-a8e2-5d940ed90475";
pub const STAGE_GLOBEX: &str = "c6a2e4f8-1b3d-4a5c-9e7f-0d2b4c6e8a1f";
/// What the fixed clock reads.
pub const NOW: &str = "2026-01-01T10:00:00Z";

pub const SECRETS: [&str; 12] = [
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

pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap_or_default()
}

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
        .api_base_url(format!("{server}/v1"))
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
