//! OAuth 2.0 with Lever: the authorization URL, the code exchange, access
//! tokens per tenant in a [`TokenStore`], and refreshes.
//!
//! Lever's partner integrations use the authorization-code grant
//! (`docs/providers/lever.md` §2):
//!
//! 1. The customer's Super Admin opens [`crate::Lever::authorization_url`]
//!    (with `state`, the `audience` of the API and the scopes, space
//!    separated; `offline_access` is what makes Lever issue a refresh token).
//! 2. Lever redirects back with `code` and `state` (or `error`);
//!    [`crate::Lever::complete_authorization`] checks the state and exchanges
//!    the code at the token endpoint.
//! 3. API calls carry `Authorization: Bearer <access token>`. Access tokens
//!    live an hour; the adapter refreshes them shortly before they expire,
//!    and once after a `401`.
//!
//! **Rotation.** Every refresh answers with a new refresh token. The new
//! pair is saved with one [`TokenStore::save`] call, and refreshes of one
//! tenant are single-flight: concurrent callers wait on a per-tenant lock,
//! then re-read the store and use the token the first caller obtained. The
//! refresh itself runs on its own task, so a caller that gives up (a
//! cancelled request) cannot drop the new refresh token between Lever's
//! answer and the save.
//!
//! **Revocation.** Lever documents no revocation endpoint; a Super Admin
//! revokes the app in Lever's settings. The token endpoint then refuses the
//! refresh token (`invalid_grant`), which is reported as
//! [`OAuthError::ReconnectRequired`]: the customer must authorize the app
//! again. Refresh tokens also expire after a year, or after 90 days unused:
//! [`crate::Lever::refresh_idle`] refreshes connections that see no traffic.

//! The grant itself (token store, refresh leases, rotation, the calls to
//! the token endpoint) is [`ats_core::oauth`]; this module holds what is
//! Lever's: its environments and `audience`, its scopes, its name in errors.

use ats_core::Error;
use ats_core::Secret;
use ats_core::oauth::ProviderName;

pub use ats_core::oauth::{
    AuthorizationRequest, IdleRefresh, InMemoryTokenStore, OAuthApp, OAuthError, RECONNECT_CODES,
    TokenSet, TokenStore,
};
pub(crate) use ats_core::oauth::{TokenManager, random_state};

use crate::translate::PROVIDER;

/// Lever as [`ats_core::oauth`] names it: `lever` in typed errors, `Lever`
/// in messages.
pub const LEVER: ProviderName = ProviderName::new(PROVIDER, "Lever");

/// Why Lever may have issued no refresh token, added to the messages that
/// say so.
pub const MISSING_REFRESH_TOKEN_HINT: &str = "was `offline_access` granted?";

/// The scopes this adapter asks for: Lever's recommendation for assessment
/// partners plus `postings:read:admin` (for the job title).
pub const DEFAULT_SCOPES: [&str; 7] = [
    "offline_access",
    "opportunities:write:admin",
    "notes:write:admin",
    "stages:read:admin",
    "tags:read:admin",
    "postings:read:admin",
    "webhooks:write:admin",
];

/// Which Lever environment a connection lives in. Production and sandbox
/// credentials, audiences and hosts cannot be mixed, so one adapter serves
/// one environment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeverEnvironment {
    /// `api.lever.co`, `auth.lever.co`.
    #[default]
    Production,
    /// `api.sandbox.lever.co`, `sandbox-lever.auth0.com`.
    Sandbox,
}

impl LeverEnvironment {
    /// The authorization endpoint.
    pub fn authorize_url(self) -> &'static str {
        match self {
            Self::Production => "https://auth.lever.co/authorize",
            Self::Sandbox => "https://sandbox-lever.auth0.com/authorize",
        }
    }

    /// The token endpoint (code exchange and refresh).
    pub fn token_url(self) -> &'static str {
        match self {
            Self::Production => "https://auth.lever.co/oauth/token",
            Self::Sandbox => "https://sandbox-lever.auth0.com/oauth/token",
        }
    }

    /// The `audience` parameter of the authorization URL (trailing slash
    /// included).
    pub fn audience(self) -> &'static str {
        match self {
            Self::Production => "https://api.lever.co/v1/",
            Self::Sandbox => "https://api.sandbox.lever.co/v1/",
        }
    }

    /// The API base URL.
    pub fn api_base_url(self) -> &'static str {
        match self {
            Self::Production => "https://api.lever.co/v1",
            Self::Sandbox => "https://api.sandbox.lever.co/v1",
        }
    }
}

/// Whether an error from this adapter means the customer must authorize
/// the app again (the refresh token was refused, or none is stored).
pub fn needs_reconnect(error: &Error) -> bool {
    LEVER.needs_reconnect(error)
}

/// Reads the query of Lever's redirect to the app: `state` must equal the
/// one sent; then either `code` or `error` (+ `error_description`).
pub fn parse_callback(query: &str, expected_state: &Secret) -> Result<String, OAuthError> {
    LEVER.parse_callback(query, expected_state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::TenantId;

    #[test]
    fn lever_is_named_in_denials_and_reconnect_errors_as_before() {
        let state = Secret::new("5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0");
        let e = parse_callback(
            "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&error=access_denied&error_description=user_did_not_authorize_the_request",
            &state,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Lever refused the authorization: access_denied (user_did_not_authorize_the_request)"
        );
        let e: Error = OAuthError::ReconnectRequired {
            provider: LEVER,
            tenant: TenantId::new("acme"),
            status: Some(403),
            code: Some("invalid_grant".into()),
            reason: "invalid_grant: Unknown or invalid refresh token.".into(),
        }
        .into();
        assert!(!e.is_retryable());
        assert!(needs_reconnect(&e));
        assert_eq!(
            e.to_string(),
            "lever answered HTTP 403 (invalid_grant): Lever no longer accepts the refresh token of tenant `acme` (invalid_grant: Unknown or invalid refresh token.): the customer must reconnect Lever"
        );
        let e: Error = OAuthError::NotConnected {
            provider: LEVER,
            tenant: TenantId::new("acme"),
        }
        .into();
        assert_eq!(
            e.to_string(),
            "configuration error: tenant `acme` has not connected Lever: the customer must authorize the app"
        );
        assert!(needs_reconnect(&e));
        assert!(!needs_reconnect(&Error::config("other")));
    }
}
