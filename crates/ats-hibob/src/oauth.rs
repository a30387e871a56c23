//! OAuth 2.0 with Bob: the authorization URL, the code exchange, access
//! tokens per Bob company in a [`TokenStore`], and refreshes.
//!
//! Bob's Marketplace partner apps use the authorization-code grant
//! (`docs/providers/hibob.md` §2); service users are not accepted by the
//! Assessments API.
//!
//! 1. The installation starts in Bob's Marketplace (mandatory; starting it
//!    from the vendor's app with [`crate::HiBob::authorization_url`] is an
//!    optional extra). The customer approves the scopes.
//! 2. Bob calls the app's redirect URI with `code` (and `state` when the
//!    flow started at the vendor); [`crate::HiBob::exchange_code`] (or
//!    [`crate::HiBob::complete_authorization`], which checks the state
//!    first) exchanges the code at the token endpoint and stores the tokens
//!    under the company's tenant id.
//! 3. API calls carry `Authorization: Bearer <access token>`. The adapter
//!    refreshes the token shortly before it expires, and once after a
//!    `401`, with the refresh token.
//!
//! **Rotation.** A refresh may answer with a new refresh token. The new
//! pair is saved with one [`TokenStore::save`] call, and refreshes of one
//! tenant are single-flight: concurrent callers wait on a per-tenant lock,
//! then re-read the store and use the token the first caller obtained. The
//! refresh itself runs on its own task, so a caller that gives up (a
//! cancelled request) cannot drop the new refresh token between Bob's
//! answer and the save.
//!
//! **Revocation.** When the customer uninstalls the app, the token
//! endpoint refuses the refresh token (`invalid_grant`), reported as
//! [`OAuthError::ReconnectRequired`]: the customer must install the app
//! again. The token endpoint's URL, and whether refresh tokens rotate or
//! expire when unused, are *unconfirmed* (see the provider page); the URLs
//! are configurable ([`crate::HiBobBuilder::token_url`],
//! [`crate::HiBobBuilder::authorize_url`]).

//! The grant itself (token store, refresh leases, rotation, the calls to
//! the token endpoint) is [`ats_core::oauth`]; this module holds what is
//! Bob's: its endpoints, its scope, its name in errors.

use ats_core::oauth::ProviderName;
use ats_core::{Error, Secret};

pub use ats_core::oauth::{
    AuthorizationRequest, IdleRefresh, InMemoryTokenStore, OAuthApp, OAuthError, RECONNECT_CODES,
    TokenSet, TokenStore,
};
pub(crate) use ats_core::oauth::{TokenManager, random_state};

use crate::translate::PROVIDER;

/// Bob as [`ats_core::oauth`] names it: `hibob` in typed errors, `Bob` in
/// messages.
pub const HIBOB: ProviderName = ProviderName::new(PROVIDER, "Bob");

/// The scope the Assessments API needs (documented on every endpoint).
pub const DEFAULT_SCOPES: [&str; 1] = ["hiring.integrations:write"];

/// The token endpoint this adapter calls unless told otherwise
/// (*unconfirmed*: Bob's OAuth reference was not read in full; set the URL
/// from the Developer Portal with [`crate::HiBobBuilder::token_url`]).
pub const DEFAULT_TOKEN_URL: &str = "https://api.hibob.com/api/oauth2/token";

/// The authorization endpoint this adapter uses unless told otherwise
/// (*unconfirmed*, like [`DEFAULT_TOKEN_URL`]).
pub const DEFAULT_AUTHORIZE_URL: &str = "https://app.hibob.com/api/oauth2/authorize";

/// Whether an error from this adapter means the company must install the
/// app again (the refresh token was refused, or none is stored).
pub fn needs_reconnect(error: &Error) -> bool {
    HIBOB.needs_reconnect(error)
}

/// Reads the query of Bob's redirect to the app: `state` must equal the
/// one sent; then either `code` or `error` (+ `error_description`).
pub fn parse_callback(query: &str, expected_state: &Secret) -> Result<String, OAuthError> {
    HIBOB.parse_callback(query, expected_state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::TenantId;

    #[test]
    fn bob_is_named_in_denials_and_reconnect_errors_as_before() {
        let state = Secret::new("5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0");
        let e = parse_callback(
            "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&error=access_denied&error_description=user_did_not_authorize_the_request",
            &state,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Bob refused the authorization: access_denied (user_did_not_authorize_the_request)"
        );
        let e: Error = OAuthError::ReconnectRequired {
            provider: HIBOB,
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
            "hibob answered HTTP 403 (invalid_grant): Bob no longer accepts the refresh token of tenant `acme` (invalid_grant: Unknown or invalid refresh token.): the customer must reconnect Bob"
        );
        let e: Error = OAuthError::NotConnected {
            provider: HIBOB,
            tenant: TenantId::new("900123"),
        }
        .into();
        assert!(needs_reconnect(&e));
        assert!(!needs_reconnect(&Error::config("other")));
    }
}
