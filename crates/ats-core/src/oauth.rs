//! OAuth 2.0 authorization-code grant, for adapters whose provider issues
//! each customer tokens: the authorization URL with a one-time `state`, the
//! code exchange, access tokens per tenant in a [`TokenStore`], refreshes
//! shortly before expiry and once after a `401`, refresh-token rotation, and
//! idle connections kept alive.
//!
//! An adapter describes its provider with an [`OAuthConfig`] (names for
//! errors, the authorization and token endpoints, scopes, extra
//! authorization parameters, the refresh margin) and hands it, with a
//! [`TokenStore`] and a [`Clock`], to a [`TokenManager`]; what is specific
//! to the provider (environments, default scopes, how the customer is sent
//! to the authorization URL) stays in the adapter.
//!
//! ```
//! use std::sync::Arc;
//! use ats_core::oauth::{InMemoryTokenStore, OAuthApp, OAuthConfig, ProviderName, TokenManager};
//! use ats_core::{Clock, Secret};
//!
//! const EXAMPLE: ProviderName = ProviderName::new("example", "Example ATS");
//! let config = OAuthConfig::new(
//!     EXAMPLE,
//!     "https://auth.example.com/authorize".parse()?,
//!     "https://auth.example.com/oauth/token".parse()?,
//! )
//! .app(OAuthApp::new("client-1", "client-secret-1", "https://vendor.example.com/callback"))
//! .scopes(["offline_access", "notes:write"])
//! .authorize_param("audience", "https://api.example.com/");
//! let tokens = Arc::new(TokenManager::new(config, Arc::new(InMemoryTokenStore::new()), Clock::system())?);
//!
//! // send the customer to `request.url`, keep `request.state` until the redirect
//! let request = tokens.authorization_request()?;
//! let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
//! assert!(query.contains(&("scope".into(), "offline_access notes:write".into())));
//! assert!(query.contains(&("audience".into(), "https://api.example.com/".into())));
//!
//! // the redirect back: the state is checked (constant time) before the code is read
//! let redirect = format!("code=c-42&state={}", request.state.expose());
//! assert_eq!(EXAMPLE.parse_callback(&redirect, &request.state)?, "c-42");
//! assert!(EXAMPLE.parse_callback("code=c-42&state=forged", &request.state).is_err());
//! // `tokens.complete_authorization(&tenant, &redirect, &state).await` exchanges and stores it
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Rotation.** A refresh may answer with a new refresh token. The new
//! pair is saved with one [`TokenStore::save`] call, and refreshes of one
//! tenant are single-flight: concurrent callers wait on a per-tenant lock,
//! then re-read the store and use the token the first caller obtained.
//! Across processes sharing one store, the store's refresh lease
//! ([`TokenStore::lock_refresh`]) decides who spends the refresh token. The
//! refresh itself runs on its own task, so a caller that gives up (a
//! cancelled request) cannot drop the new refresh token between the
//! provider's answer and the save.
//!
//! **Revocation.** When the token endpoint refuses the refresh token
//! (`invalid_grant`: revoked, expired, already rotated) the error is
//! [`OAuthError::ReconnectRequired`]: the customer must authorize the app
//! again. [`TokenManager::refresh_if_idle`] refreshes connections that see
//! no traffic, for providers whose refresh tokens expire when unused.
//!
//! **The token endpoint** is called through `oauth2` over its own HTTP
//! client: it follows no redirects (a redirect would carry the client
//! secret and the refresh token to another URL) and retries nothing (a
//! refresh whose answer was lost must not be sent again with a refresh
//! token the provider may already have rotated). The client id and secret
//! are sent as form fields of the body.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenResponse,
};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use url::Url;

use crate::client::ProviderMessage;
use crate::codec::decode_json;
use crate::{Clock, Error, Secret, TenantId};

/// Token-endpoint error codes that mean the stored grant is gone (revoked,
/// expired, already rotated): only a new authorization helps.
pub const RECONNECT_CODES: [&str; 1] = ["invalid_grant"];

/// How long before expiry an access token is refreshed unless the adapter
/// says otherwise.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// How a provider is named: `key` in typed errors and logs (the adapter's
/// name, `ProviderRejected { provider }`), `display` in messages a person
/// reads ("tenant `acme` has not connected Lever").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderName {
    /// The adapter's name (`lever`).
    pub key: &'static str,
    /// The name the customer knows (`Lever`).
    pub display: &'static str,
}

impl ProviderName {
    /// A provider's key and display name.
    pub const fn new(key: &'static str, display: &'static str) -> Self {
        Self { key, display }
    }

    /// Reads the query of the provider's redirect to the app: `state` must
    /// equal the one sent (constant time); then either `code` or `error`
    /// (+ `error_description`).
    pub fn parse_callback(
        self,
        query: &str,
        expected_state: &Secret,
    ) -> Result<String, OAuthError> {
        let mut code = None;
        let mut state = None;
        let mut error = None;
        let mut description = None;
        for (k, v) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            let slot = match k.as_ref() {
                "code" => &mut code,
                "state" => &mut state,
                "error" => &mut error,
                "error_description" => &mut description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        let state_ok = state
            .as_deref()
            .is_some_and(|s| !expected_state.is_empty() && expected_state.matches(s.as_bytes()));
        if !state_ok {
            return Err(OAuthError::StateMismatch);
        }
        if let Some(error) = error.filter(|e| !e.is_empty()) {
            return Err(OAuthError::AuthorizationDenied {
                provider: self,
                error,
                description: description.filter(|d| !d.is_empty()),
            });
        }
        code.filter(|c| !c.is_empty())
            .ok_or_else(|| OAuthError::AuthorizationDenied {
                provider: self,
                error: "missing_code".into(),
                description: Some("the redirect carried neither `code` nor `error`".into()),
            })
    }

    /// Whether an error from this provider's adapter means the customer
    /// must authorize the app again (the refresh token was refused, or none
    /// is stored).
    pub fn needs_reconnect(self, error: &Error) -> bool {
        match error {
            Error::ProviderRejected { provider, code, .. } => {
                provider == self.key
                    && code
                        .as_deref()
                        .is_some_and(|c| RECONNECT_CODES.contains(&c))
            }
            Error::Config { message } => {
                message.contains(&format!("has not connected {}", self.display))
            }
            _ => false,
        }
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display)
    }
}

/// A tenant's tokens, saved and replaced as one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSet {
    /// The bearer token for API calls.
    pub access_token: Secret,
    /// The token that obtains the next access token. Providers that rotate
    /// it replace it on every refresh.
    pub refresh_token: Option<Secret>,
    /// When the access token expires (`None`: unknown, used until a 401).
    pub expires_at: Option<DateTime<Utc>>,
    /// The scopes granted, space separated, as the provider returned them.
    pub scope: Option<String>,
}

impl TokenSet {
    /// Tokens with an access token and a refresh token expiring at `expires_at`.
    pub fn new(
        access_token: impl Into<Secret>,
        refresh_token: impl Into<Secret>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token: Some(refresh_token.into()),
            expires_at: Some(expires_at),
            scope: None,
        }
    }

    /// Whether the access token must be refreshed before use: it expires
    /// within `margin` of `now`.
    pub fn expires_within(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::MAX);
        match self.expires_at {
            Some(at) => at.signed_duration_since(now) <= margin,
            None => false,
        }
    }
}

/// Where each tenant's tokens are kept.
///
/// `save` must replace the whole [`TokenSet`] atomically: providers that
/// rotate the refresh token on every refresh make a store that kept a new
/// access token with an old refresh token lose the connection at the next
/// refresh.
///
/// Within one process the [`TokenManager`] never refreshes one tenant twice
/// at the same time. Processes sharing one store (several instances on one
/// database) must also agree on who refreshes: a store shared that way
/// implements [`lock_refresh`](Self::lock_refresh) /
/// [`unlock_refresh`](Self::unlock_refresh) (a lease on the tenant's row),
/// and the manager takes the lease before spending a refresh token. The
/// defaults grant it at once, which is right for a store used by one
/// process only.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The tenant's tokens, if it is connected.
    async fn load(&self, tenant: &TenantId) -> Result<Option<TokenSet>, Error>;
    /// Stores (or replaces) the tenant's tokens.
    async fn save(&self, tenant: &TenantId, tokens: TokenSet) -> Result<(), Error>;
    /// Forgets the tenant's tokens (disconnection).
    async fn remove(&self, tenant: &TenantId) -> Result<(), Error>;
    /// Takes, for at most `ttl`, the right to refresh the tenant's tokens,
    /// unless another process holds it: `Ok(false)` then, and the manager
    /// waits for that process's new tokens instead of refreshing.
    async fn lock_refresh(&self, tenant: &TenantId, ttl: Duration) -> Result<bool, Error> {
        // cargo mutants' `Ok(true)` for this body is an equivalent mutant:
        // it is this body without the `let _`, which only names the
        // unused arguments
        let _ = (tenant, ttl);
        Ok(true)
    }
    /// Gives back the right taken with [`lock_refresh`](Self::lock_refresh).
    async fn unlock_refresh(&self, tenant: &TenantId) -> Result<(), Error> {
        // equivalent mutant, as for `lock_refresh`: `Ok(())` is this body
        let _ = tenant;
        Ok(())
    }
}

/// A [`TokenStore`] in memory: for tests, and for processes that load
/// tokens from elsewhere at start. Tokens are lost when the process ends.
#[derive(Default)]
pub struct InMemoryTokenStore {
    tokens: RwLock<HashMap<TenantId, TokenSet>>,
}

impl fmt::Debug for InMemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
        let mut tenants: Vec<&TenantId> = guard.keys().collect();
        tenants.sort();
        f.debug_struct("InMemoryTokenStore")
            .field("tenants", &tenants)
            .finish()
    }
}

impl InMemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tenant's tokens.
    pub fn with(self, tenant: impl Into<String>, tokens: TokenSet) -> Self {
        self.insert(TenantId::new(tenant), tokens);
        self
    }

    /// Adds or replaces a tenant's tokens.
    pub fn insert(&self, tenant: TenantId, tokens: TokenSet) {
        self.tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant, tokens);
    }

    /// A tenant's tokens.
    pub fn get(&self, tenant: &TenantId) -> Option<TokenSet> {
        self.tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
    }
}

#[async_trait]
impl TokenStore for InMemoryTokenStore {
    async fn load(&self, tenant: &TenantId) -> Result<Option<TokenSet>, Error> {
        Ok(self.get(tenant))
    }

    async fn save(&self, tenant: &TenantId, tokens: TokenSet) -> Result<(), Error> {
        self.insert(tenant.clone(), tokens);
        Ok(())
    }

    async fn remove(&self, tenant: &TenantId) -> Result<(), Error> {
        self.tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant);
        Ok(())
    }
}

/// The vendor's OAuth app, as the provider registered it.
#[derive(Clone, Debug)]
pub struct OAuthApp {
    /// The client id the provider issued.
    pub client_id: String,
    /// The client secret the provider issued.
    pub client_secret: Secret,
    /// The redirect URI registered with the provider (must match exactly).
    pub redirect_uri: String,
}

impl OAuthApp {
    /// An app with its credentials and registered redirect URI.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
        }
    }
}

/// An authorization URL to send the customer's administrator to, and the
/// `state` to keep (in the session) until the provider redirects back.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    /// The URL.
    pub url: Url,
    /// The `state` in the URL; compare it with the one the provider sends
    /// back.
    pub state: Secret,
}

/// What can go wrong while connecting a customer or getting a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The `state` the provider sent back is not the one sent (or is
    /// missing).
    #[error("the authorization response's state does not match the request's")]
    StateMismatch,
    /// The redirect carried `error` instead of a code (the admin declined,
    /// or the provider refused the request).
    #[error("{provider} refused the authorization: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    AuthorizationDenied {
        /// The provider.
        provider: ProviderName,
        /// The provider's error code (`access_denied`…).
        error: String,
        /// The provider's `error_description`.
        description: Option<String>,
    },
    /// No tokens are stored for the tenant: it never connected, or
    /// disconnected.
    #[error("tenant `{tenant}` has not connected {provider}: the customer must authorize the app")]
    NotConnected {
        /// The provider.
        provider: ProviderName,
        /// The tenant.
        tenant: TenantId,
    },
    /// The stored grant is no longer valid (revoked, expired, or already
    /// rotated): the customer must authorize the app again.
    #[error(
        "{provider} no longer accepts the refresh token of tenant `{tenant}` ({reason}): the customer must reconnect {provider}"
    )]
    ReconnectRequired {
        /// The provider.
        provider: ProviderName,
        /// The tenant.
        tenant: TenantId,
        /// The token endpoint's HTTP status, when it answered.
        status: Option<u16>,
        /// The token endpoint's error code (`invalid_grant`).
        code: Option<String>,
        /// What the provider said, or why no refresh was possible.
        reason: String,
    },
    /// The adapter has no OAuth app configured, or a bad URL.
    #[error("OAuth is not configured: {0}")]
    NotConfigured(String),
    /// Anything else: a transport failure, a rate limit, a provider 5xx, an
    /// unreadable answer, a store failure.
    #[error(transparent)]
    Other(#[from] Error),
}

impl OAuthError {
    /// Whether only a new authorization by the customer can fix it.
    pub fn reconnect_required(&self) -> bool {
        matches!(
            self,
            Self::ReconnectRequired { .. } | Self::NotConnected { .. }
        )
    }
}

impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        let message = e.to_string();
        match e {
            OAuthError::StateMismatch => Error::unauthenticated(message),
            OAuthError::AuthorizationDenied {
                provider, error, ..
            } => Error::ProviderRejected {
                provider: provider.key.to_owned(),
                status: 400,
                code: Some(error),
                message,
            },
            OAuthError::NotConnected { .. } | OAuthError::NotConfigured(_) => {
                Error::config(message)
            }
            OAuthError::ReconnectRequired {
                provider,
                status,
                code,
                ..
            } => Error::ProviderRejected {
                provider: provider.key.to_owned(),
                status: status.unwrap_or(401),
                code: Some(code.unwrap_or_else(|| RECONNECT_CODES[0].to_owned())),
                message,
            },
            OAuthError::Other(e) => e,
        }
    }
}

/// What [`TokenManager::refresh_if_idle`] did for one tenant.
#[derive(Debug)]
#[non_exhaustive]
pub enum IdleRefresh {
    /// The tokens were refreshed: where the provider rotates refresh
    /// tokens, the new one's allowed idleness starts now.
    Refreshed {
        /// When the new access token expires.
        expires_at: Option<DateTime<Utc>>,
    },
    /// The tokens were used recently enough: nothing was sent.
    NotIdle {
        /// When the current access token expires (it was obtained at most
        /// its lifetime before).
        access_expires_at: DateTime<Utc>,
    },
    /// No tokens are stored for the tenant.
    NotConnected,
    /// The provider refused the refresh token (revoked, or already idle too
    /// long), or none is stored: the customer must authorize the app again.
    ReconnectRequired {
        /// What the provider said, or why no refresh was possible.
        reason: String,
    },
    /// The refresh failed for another reason (transport, rate limit, a
    /// provider 5xx, the token store): try again later.
    Failed(Error),
}

/// The token endpoint's error body (RFC 6749 §5.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokenError {
    /// `invalid_grant`, `invalid_client`…
    #[serde(default)]
    pub error: Option<String>,
    /// A human-readable explanation.
    #[serde(default)]
    pub error_description: Option<String>,
}

/// What differs between providers' authorization-code grants.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OAuthConfig {
    /// How the provider is named in errors and logs.
    pub provider: ProviderName,
    /// The vendor's app; without it nothing can be authorized or refreshed.
    pub app: Option<OAuthApp>,
    /// The authorization endpoint.
    pub authorize_url: Url,
    /// The token endpoint (code exchange and refresh).
    pub token_url: Url,
    /// The scopes asked for, sent space separated.
    pub scopes: Vec<String>,
    /// Further parameters of the authorization URL (an API `audience`),
    /// after the standard ones, in this order.
    pub authorize_params: Vec<(String, String)>,
    /// How long before expiry an access token is refreshed.
    pub refresh_margin: Duration,
    /// The timeout of one call to the token endpoint; twice it is the
    /// refresh lease taken in the [`TokenStore`].
    pub request_timeout: Duration,
    /// Why the provider may have issued no refresh token, added to the
    /// messages that say so ("was `offline_access` granted?").
    pub missing_refresh_token_hint: Option<String>,
}

impl OAuthConfig {
    /// A configuration with no app, no scopes, no extra parameters, the
    /// default refresh margin and a 30-second timeout.
    pub fn new(provider: ProviderName, authorize_url: Url, token_url: Url) -> Self {
        Self {
            provider,
            app: None,
            authorize_url,
            token_url,
            scopes: Vec::new(),
            authorize_params: Vec::new(),
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            request_timeout: Duration::from_secs(30),
            missing_refresh_token_hint: None,
        }
    }

    /// With the vendor's app.
    pub fn app(mut self, app: OAuthApp) -> Self {
        self.app = Some(app);
        self
    }

    /// With the app when there is one.
    pub fn app_opt(mut self, app: Option<OAuthApp>) -> Self {
        self.app = app;
        self
    }

    /// With these scopes (replacing any).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// With one more parameter of the authorization URL.
    pub fn authorize_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.authorize_params.push((name.into(), value.into()));
        self
    }

    /// With a refresh margin.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// With a timeout for each call to the token endpoint.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// With a hint on why no refresh token was issued.
    pub fn missing_refresh_token_hint(mut self, hint: impl Into<String>) -> Self {
        self.missing_refresh_token_hint = Some(hint.into());
        self
    }

    fn hint(&self) -> String {
        self.missing_refresh_token_hint
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default()
    }
}

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    BasicTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// An access token, and how many calls to the token endpoint it took (to
/// count in a delivery's attempts).
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The bearer token.
    pub token: Secret,
    /// Calls to the token endpoint made to obtain it (0 or 1).
    pub token_calls: u32,
}

/// Issues access tokens per tenant from a [`TokenStore`], refreshing them
/// single-flight; connects tenants (authorization URL, code exchange).
pub struct TokenManager {
    config: OAuthConfig,
    client: Option<OAuthClient>,
    http: TokenHttp,
    store: Arc<dyn TokenStore>,
    clock: Clock,
    locks: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("config", &self.config)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager for `config`'s provider, keeping tokens in `store`, with
    /// "now" from `clock` (token expiry). Fails on a redirect URI that is
    /// not a URL, or when no HTTP client can be built.
    pub fn new(
        config: OAuthConfig,
        store: Arc<dyn TokenStore>,
        clock: Clock,
    ) -> Result<Self, Error> {
        let client = match &config.app {
            Some(app) => Some(oauth_client(app, &config)?),
            None => None,
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout)
            .user_agent(concat!("ats-connect/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::config(format!("cannot build the OAuth HTTP client: {e}")))?;
        Ok(Self {
            config,
            client,
            http: TokenHttp { client: http },
            store,
            clock,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// Whether the manager was given an OAuth app.
    pub fn has_app(&self) -> bool {
        self.config.app.is_some()
    }

    /// The token store.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    fn client(&self) -> Result<&OAuthClient, OAuthError> {
        self.client.as_ref().ok_or_else(|| {
            OAuthError::NotConfigured("no OAuth app (client id, secret, redirect URI)".into())
        })
    }

    /// The authorization URL with `state`: `response_type=code`,
    /// `client_id`, `state`, `redirect_uri`, the scopes (space separated),
    /// then [`OAuthConfig::authorize_params`].
    pub fn authorization_url(&self, state: &str) -> Result<Url, OAuthError> {
        let state = state.to_owned();
        let mut request = self
            .client()?
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new));
        for (name, value) in &self.config.authorize_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let (url, _) = request.url();
        Ok(url)
    }

    /// The authorization URL with a fresh random `state`, and that state.
    pub fn authorization_request(&self) -> Result<AuthorizationRequest, OAuthError> {
        let state = random_state();
        let url = self.authorization_url(&state)?;
        Ok(AuthorizationRequest {
            url,
            state: Secret::new(state),
        })
    }

    /// Handles the provider's redirect back to the app: checks `state`
    /// (constant time), refuses an `error` redirect, exchanges the code and
    /// stores the tokens for `tenant`.
    pub async fn complete_authorization(
        &self,
        tenant: &TenantId,
        callback_query: &str,
        expected_state: &Secret,
    ) -> Result<TokenSet, OAuthError> {
        let code = self
            .config
            .provider
            .parse_callback(callback_query, expected_state)?;
        self.exchange_code(tenant, &code).await
    }

    /// Exchanges an authorization code and stores the tokens.
    pub async fn exchange_code(
        &self,
        tenant: &TenantId,
        code: &str,
    ) -> Result<TokenSet, OAuthError> {
        let client = self.client()?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .request_async(&self.http)
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => return Err(token_error(self.config.provider, tenant, e, false)),
        };
        let tokens = token_set(&response, None, self.clock.now());
        if tokens.refresh_token.is_none() {
            tracing::warn!(
                provider = self.config.provider.key,
                %tenant,
                "{} issued no refresh token{}: the connection ends when the access token expires",
                self.config.provider,
                self.config.hint(),
            );
        }
        self.store.save(tenant, tokens.clone()).await?;
        Ok(tokens)
    }

    /// A valid access token for `tenant`, refreshed first when it expires
    /// within the margin.
    pub async fn access_token(
        self: &Arc<Self>,
        tenant: &TenantId,
    ) -> Result<AccessToken, OAuthError> {
        let tokens = self.load_connected(tenant).await?;
        if !tokens.expires_within(self.clock.now(), self.config.refresh_margin) {
            return Ok(AccessToken {
                token: tokens.access_token,
                token_calls: 0,
            });
        }
        self.refresh(tenant, &tokens.access_token).await
    }

    /// Refreshes `tenant`'s tokens when they have not been refreshed for
    /// `older_than`. The last refresh is read from the stored access
    /// token's expiry (a refresh happens at most one token lifetime before
    /// it); a set without expiry counts as idle.
    pub async fn refresh_if_idle(
        self: &Arc<Self>,
        tenant: &TenantId,
        older_than: Duration,
    ) -> IdleRefresh {
        let provider = self.config.provider.key;
        let tokens = match self.store.load(tenant).await {
            Ok(Some(tokens)) => tokens,
            Ok(None) => return IdleRefresh::NotConnected,
            Err(e) => return IdleRefresh::Failed(e),
        };
        let idle_for = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
        if let Some(at) = tokens.expires_at
            && self.clock.now().signed_duration_since(at) < idle_for
        {
            return IdleRefresh::NotIdle {
                access_expires_at: at,
            };
        }
        match self.refresh(tenant, &tokens.access_token).await {
            Ok(_) => {
                let expires_at = match self.store.load(tenant).await {
                    Ok(Some(t)) => t.expires_at,
                    _ => None,
                };
                tracing::info!(provider, %tenant, "idle connection refreshed");
                IdleRefresh::Refreshed { expires_at }
            }
            Err(e @ (OAuthError::ReconnectRequired { .. } | OAuthError::NotConnected { .. })) => {
                tracing::warn!(provider, %tenant, error = %e, "idle connection can no longer be refreshed");
                match e {
                    OAuthError::NotConnected { .. } => IdleRefresh::NotConnected,
                    other => IdleRefresh::ReconnectRequired {
                        reason: other.to_string(),
                    },
                }
            }
            Err(e) => IdleRefresh::Failed(e.into()),
        }
    }

    /// A new access token after the provider refused `rejected` with a 401
    /// (or because it expires soon). Single-flight per tenant: when another
    /// caller already replaced `rejected` with a valid token, that one is
    /// returned without a new refresh. Across processes, the store's
    /// refresh lease is waited for (at most twice the request timeout).
    pub async fn refresh(
        self: &Arc<Self>,
        tenant: &TenantId,
        rejected: &Secret,
    ) -> Result<AccessToken, OAuthError> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.entry(tenant.clone()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        // Across processes: wait for the store's refresh lease; whoever
        // holds it may be replacing `rejected` right now.
        let lease = self.config.request_timeout.saturating_mul(2);
        let deadline = tokio::time::Instant::now() + lease;
        let current = loop {
            let current = self.load_connected(tenant).await?;
            if self.usable(&current, rejected) {
                return Ok(AccessToken {
                    token: current.access_token,
                    token_calls: 0,
                });
            }
            if self.store.lock_refresh(tenant, lease).await? {
                // another process may have finished just before the lease
                // was free: read once more under the lease
                let current = self.load_connected(tenant).await?;
                if self.usable(&current, rejected) {
                    self.store.unlock_refresh(tenant).await?;
                    return Ok(AccessToken {
                        token: current.access_token,
                        token_calls: 0,
                    });
                }
                break current;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(OAuthError::Other(Error::Transport {
                    provider: self.config.provider.key.to_owned(),
                    message: format!(
                        "another process has been refreshing the tokens of tenant `{tenant}` for {}s",
                        lease.as_secs()
                    ),
                }));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // The refresh and the save run on their own task: if this caller is
        // dropped mid-way, the rotated refresh token is still saved.
        let this = Arc::clone(self);
        let tenant_owned = tenant.clone();
        let task = tokio::spawn(async move {
            let _guard = guard;
            let result = this.refresh_now(&tenant_owned, current).await;
            let unlocked = this.store.unlock_refresh(&tenant_owned).await;
            let token = result?;
            unlocked?;
            Ok::<Secret, OAuthError>(token)
        });
        match task.await {
            Ok(result) => result.map(|token| AccessToken {
                token,
                token_calls: 1,
            }),
            Err(e) => Err(OAuthError::Other(Error::config(format!(
                "the token refresh task failed: {e}"
            )))),
        }
    }

    /// Whether `current` is another token than `rejected` and not about to
    /// expire: someone else refreshed already.
    fn usable(&self, current: &TokenSet, rejected: &Secret) -> bool {
        current.access_token != *rejected
            && !current.expires_within(self.clock.now(), self.config.refresh_margin)
    }

    async fn load_connected(&self, tenant: &TenantId) -> Result<TokenSet, OAuthError> {
        self.store
            .load(tenant)
            .await?
            .ok_or_else(|| OAuthError::NotConnected {
                provider: self.config.provider,
                tenant: tenant.clone(),
            })
    }

    async fn refresh_now(
        &self,
        tenant: &TenantId,
        current: TokenSet,
    ) -> Result<Secret, OAuthError> {
        let provider = self.config.provider;
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(OAuthError::ReconnectRequired {
                provider,
                tenant: tenant.clone(),
                status: None,
                code: None,
                reason: format!("no refresh token is stored{}", self.config.hint()),
            });
        };
        let client = self.client()?;
        let secret = RefreshToken::new(refresh_token.expose().to_owned());
        let answer = client
            .exchange_refresh_token(&secret)
            .request_async(&self.http)
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => return Err(token_error(provider, tenant, e, true)),
        };
        let tokens = token_set(&response, Some(&current), self.clock.now());
        let access = tokens.access_token.clone();
        self.store.save(tenant, tokens).await?;
        tracing::debug!(provider = provider.key, %tenant, "access token refreshed");
        Ok(access)
    }
}

fn oauth_client(app: &OAuthApp, config: &OAuthConfig) -> Result<OAuthClient, Error> {
    let redirect = RedirectUrl::new(app.redirect_uri.clone())
        .map_err(|e| Error::config(format!("invalid OAuth redirect URI: {e}")))?;
    Ok(
        oauth2::basic::BasicClient::new(ClientId::new(app.client_id.clone()))
            .set_client_secret(ClientSecret::new(app.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::from_url(config.authorize_url.clone()))
            .set_token_uri(TokenUrl::from_url(config.token_url.clone()))
            .set_redirect_uri(redirect)
            // client_id and client_secret as form fields of the body
            .set_auth_type(AuthType::RequestBody),
    )
}

/// The token endpoint's answer as a [`TokenSet`]; a refresh that carries no
/// new refresh token (or scope) keeps the previous one.
fn token_set(
    response: &BasicTokenResponse,
    previous: Option<&TokenSet>,
    now: DateTime<Utc>,
) -> TokenSet {
    let expires_at = response
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .and_then(|d| now.checked_add_signed(d));
    let scope = response
        .scopes()
        .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "));
    TokenSet {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone()))
            .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
        expires_at,
        scope: scope.or_else(|| previous.and_then(|p| p.scope.clone())),
    }
}

/// Maps a token-endpoint failure to a typed error.
fn token_error(
    provider: ProviderName,
    tenant: &TenantId,
    e: RequestTokenError<TokenHttpError, BasicErrorResponse>,
    refreshing: bool,
) -> OAuthError {
    let key = provider.key.to_owned();
    match e {
        RequestTokenError::Request(TokenHttpError::Status {
            status,
            retry_after,
            body,
        }) => {
            if status == 429 {
                return OAuthError::Other(Error::RateLimited {
                    provider: key,
                    retry_after,
                });
            }
            let parsed: TokenError = decode_json(&body).unwrap_or_default();
            let code = parsed.error.filter(|c| !c.trim().is_empty());
            let description = parsed.error_description.filter(|d| !d.trim().is_empty());
            let reconnect = refreshing
                && (400..500).contains(&status)
                && code
                    .as_deref()
                    .is_some_and(|c| RECONNECT_CODES.contains(&c));
            if reconnect {
                let reason = match (&code, &description) {
                    (Some(c), Some(d)) => format!("{c}: {d}"),
                    (Some(c), None) => c.clone(),
                    _ => format!("HTTP {status}"),
                };
                return OAuthError::ReconnectRequired {
                    provider,
                    tenant: tenant.clone(),
                    status: Some(status),
                    code,
                    reason,
                };
            }
            let message = description.or_else(|| code.clone()).unwrap_or_else(|| {
                let status =
                    http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
                ProviderMessage::generic(status, &body).message
            });
            OAuthError::Other(Error::ProviderRejected {
                provider: key,
                status,
                code,
                message: format!("token endpoint: {message}"),
            })
        }
        RequestTokenError::Request(TokenHttpError::Transport(message)) => {
            OAuthError::Other(Error::Transport {
                provider: key,
                message: format!("token endpoint: {message}"),
            })
        }
        RequestTokenError::Request(e @ TokenHttpError::TooLarge) => {
            OAuthError::Other(Error::malformed("token_response", e.to_string()))
        }
        RequestTokenError::ServerResponse(r) => OAuthError::Other(Error::ProviderRejected {
            provider: key,
            status: 400,
            code: Some(r.error().to_string()),
            message: format!(
                "token endpoint: {}",
                r.error_description().cloned().unwrap_or_default()
            ),
        }),
        RequestTokenError::Parse(e, _) => OAuthError::Other(Error::malformed(
            format!("token_response.{}", e.path()),
            e.into_inner().to_string(),
        )),
        RequestTokenError::Other(message) => {
            OAuthError::Other(Error::malformed("token_response", message))
        }
    }
}

/// The largest token endpoint answer read (64 KiB: a token answer is a few
/// hundred bytes; an error answer is read this far for its message).
const MAX_TOKEN_ANSWER_BYTES: usize = 64 * 1024;

/// The HTTP client given to `oauth2`: reqwest without redirects, keeping
/// the status and `Retry-After` of error answers (which `oauth2` would
/// otherwise reduce to a parsed error body).
#[derive(Clone, Debug)]
struct TokenHttp {
    client: reqwest::Client,
}

/// A failed call to the token endpoint.
#[derive(Debug, thiserror::Error)]
enum TokenHttpError {
    #[error("token endpoint answered HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
        body: Vec<u8>,
    },
    #[error("{0}")]
    Transport(String),
    #[error("the answer is larger than {MAX_TOKEN_ANSWER_BYTES} bytes, the most read")]
    TooLarge,
}

impl<'c> AsyncHttpClient<'c> for TokenHttp {
    type Error = TokenHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TokenHttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| TokenHttpError::Transport(e.without_url().to_string()))?;
            let status = response.status();
            let headers = response.headers().clone();
            let read = crate::client::read_capped(response, MAX_TOKEN_ANSWER_BYTES)
                .await
                .map_err(|e| TokenHttpError::Transport(e.without_url().to_string()))?;
            let bytes = read.bytes;
            if !status.is_success() {
                return Err(TokenHttpError::Status {
                    status: status.as_u16(),
                    retry_after: crate::retry::retry_after(&headers),
                    body: bytes.to_vec(),
                });
            }
            if read.truncated {
                return Err(TokenHttpError::TooLarge);
            }
            let mut builder = http::Response::builder().status(status);
            for (name, value) in &headers {
                builder = builder.header(name, value);
            }
            builder
                .body(bytes.to_vec())
                .map_err(|e| TokenHttpError::Transport(e.to_string()))
        })
    }
}

/// A random `state` value (16 random bytes, base64url encoded).
pub fn random_state() -> String {
    CsrfToken::new_random_len(16).secret().clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_string, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const EXAMPLE: ProviderName = ProviderName::new("example", "Example ATS");

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn config(server: &str) -> OAuthConfig {
        OAuthConfig::new(
            EXAMPLE,
            format!("{server}/authorize").parse().unwrap(),
            format!("{server}/oauth/token").parse().unwrap(),
        )
        .app(OAuthApp::new(
            "client-1",
            "client-secret-1",
            "https://vendor.example.com/cb",
        ))
        .scopes(["offline_access", "notes:write"])
        .request_timeout(Duration::from_secs(2))
    }

    fn manager(config: OAuthConfig, store: Arc<dyn TokenStore>, now: &str) -> Arc<TokenManager> {
        Arc::new(TokenManager::new(config, store, Clock::fixed(at(now))).unwrap())
    }

    fn token_answer(access: &str, refresh: Option<&str>) -> ResponseTemplate {
        let mut body = serde_json::json!({
            "access_token": access, "token_type": "Bearer", "expires_in": 3600,
        });
        if let Some(r) = refresh {
            body["refresh_token"] = r.into();
        }
        ResponseTemplate::new(200).set_body_json(body)
    }

    #[test]
    fn callback_checks_state_then_code_or_error() {
        let state = Secret::new("5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0");
        assert_eq!(
            EXAMPLE
                .parse_callback(
                    "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&code=Hq4TzW9c",
                    &state
                )
                .unwrap(),
            "Hq4TzW9c"
        );
        // the first value of a repeated parameter counts
        assert_eq!(
            EXAMPLE
                .parse_callback(
                    "?code=first&state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&code=second&state=x",
                    &state
                )
                .unwrap(),
            "first"
        );
        assert!(matches!(
            EXAMPLE.parse_callback("?code=Hq4TzW9c&state=other", &state),
            Err(OAuthError::StateMismatch)
        ));
        assert!(matches!(
            EXAMPLE.parse_callback("code=Hq4TzW9c", &state),
            Err(OAuthError::StateMismatch)
        ));
        let e = EXAMPLE
            .parse_callback(
                "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&error=access_denied&error_description=user_did_not_authorize_the_request",
                &state,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Example ATS refused the authorization: access_denied (user_did_not_authorize_the_request)"
        );
        let e = EXAMPLE
            .parse_callback(
                "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&error=access_denied&error_description=",
                &state,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Example ATS refused the authorization: access_denied"
        );
        let e = EXAMPLE
            .parse_callback(
                "state=5f0c9a7e2b6d41c3a8e1f4b7d2c6e9a0&code=&error=",
                &state,
            )
            .unwrap_err();
        assert!(
            matches!(&e, OAuthError::AuthorizationDenied { error, .. } if error == "missing_code"),
            "{e}"
        );
        let core: Error = e.into();
        assert_eq!(
            core.to_string(),
            "example answered HTTP 400 (missing_code): Example ATS refused the authorization: missing_code (the redirect carried neither `code` nor `error`)"
        );
        assert!(matches!(
            EXAMPLE.parse_callback("state=", &Secret::new("")),
            Err(OAuthError::StateMismatch)
        ));
    }

    #[test]
    fn expiry_margin() {
        let now = at("2026-01-01T10:00:00Z");
        let t = TokenSet::new("a", "r", at("2026-01-01T10:04:00Z"));
        assert!(t.expires_within(now, Duration::from_secs(300)));
        assert!(t.expires_within(now, Duration::from_secs(240)));
        assert!(!t.expires_within(now, Duration::from_secs(239)));
        assert!(!t.expires_within(now, Duration::from_secs(60)));
        assert!(t.expires_within(now, Duration::MAX));
        let unknown = TokenSet {
            expires_at: None,
            ..t
        };
        assert!(!unknown.expires_within(now, Duration::from_secs(300)));
    }

    #[test]
    fn errors_convert_to_typed_core_errors() {
        let e: Error = OAuthError::ReconnectRequired {
            provider: EXAMPLE,
            tenant: TenantId::new("acme"),
            status: Some(403),
            code: Some("invalid_grant".into()),
            reason: "invalid_grant: Unknown or invalid refresh token.".into(),
        }
        .into();
        assert!(!e.is_retryable());
        assert!(EXAMPLE.needs_reconnect(&e));
        assert!(!ProviderName::new("other", "Other").needs_reconnect(&e));
        assert_eq!(
            e.to_string(),
            "example answered HTTP 403 (invalid_grant): Example ATS no longer accepts the refresh token of tenant `acme` (invalid_grant: Unknown or invalid refresh token.): the customer must reconnect Example ATS"
        );
        let e: Error = OAuthError::ReconnectRequired {
            provider: EXAMPLE,
            tenant: TenantId::new("acme"),
            status: None,
            code: None,
            reason: "no refresh token is stored".into(),
        }
        .into();
        assert!(matches!(
            &e,
            Error::ProviderRejected { status: 401, code: Some(c), .. } if c == "invalid_grant"
        ));
        let e: Error = OAuthError::NotConnected {
            provider: EXAMPLE,
            tenant: TenantId::new("acme"),
        }
        .into();
        assert_eq!(
            e.to_string(),
            "configuration error: tenant `acme` has not connected Example ATS: the customer must authorize the app"
        );
        assert!(EXAMPLE.needs_reconnect(&e));
        assert!(!ProviderName::new("other", "Other").needs_reconnect(&e));
        assert!(!EXAMPLE.needs_reconnect(&Error::config("other")));
        let rejected = Error::ProviderRejected {
            provider: "example".into(),
            status: 400,
            code: Some("invalid_request".into()),
            message: "bad".into(),
        };
        assert!(!EXAMPLE.needs_reconnect(&rejected));
        assert!(!EXAMPLE.needs_reconnect(&Error::unauthenticated("has not connected Example ATS")));
        let e: Error = OAuthError::StateMismatch.into();
        assert!(matches!(e, Error::Unauthenticated { .. }), "{e:?}");
        let e: Error = OAuthError::NotConfigured("no app".into()).into();
        assert_eq!(
            e.to_string(),
            "configuration error: OAuth is not configured: no app"
        );
        assert!(
            OAuthError::NotConnected {
                provider: EXAMPLE,
                tenant: TenantId::new("acme")
            }
            .reconnect_required()
        );
        assert!(!OAuthError::StateMismatch.reconnect_required());
        assert!(!OAuthError::NotConfigured("x".into()).reconnect_required());
    }

    fn status_failure(status: u16, body: &[u8], refreshing: bool) -> Error {
        let e = RequestTokenError::Request(TokenHttpError::Status {
            status,
            retry_after: Some(Duration::from_secs(7)),
            body: body.to_vec(),
        });
        Error::from(token_error(EXAMPLE, &TenantId::new("acme"), e, refreshing))
    }

    #[test]
    fn token_endpoint_error_bodies_are_read_like_other_provider_errors() {
        let failure = |status: u16, body: &[u8]| status_failure(status, body, true).to_string();
        assert_eq!(
            failure(503, b""),
            "example answered HTTP 503: token endpoint: Service Unavailable"
        );
        assert_eq!(
            failure(502, b"  upstream unavailable  "),
            "example answered HTTP 502: token endpoint: upstream unavailable"
        );
        assert_eq!(
            failure(500, br#"{"message": "auth service degraded"}"#),
            "example answered HTTP 500: token endpoint: auth service degraded"
        );
        assert_eq!(
            failure(
                400,
                br#"{"error": "invalid_request", "error_description": "Missing code"}"#
            ),
            "example answered HTTP 400 (invalid_request): token endpoint: Missing code"
        );
        assert_eq!(
            failure(
                400,
                br#"{"error": "invalid_client", "error_description": " "}"#
            ),
            "example answered HTTP 400 (invalid_client): token endpoint: invalid_client"
        );
        let limited = status_failure(429, b"", true);
        assert!(
            matches!(&limited, Error::RateLimited { provider, retry_after: Some(d) } if provider == "example" && *d == Duration::from_secs(7)),
            "{limited:?}"
        );
    }

    #[test]
    fn only_a_refused_refresh_token_asks_for_a_new_authorization() {
        let grant = br#"{"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}"#;
        let reconnect = |status: u16, body: &[u8], refreshing: bool| {
            let e = RequestTokenError::Request(TokenHttpError::Status {
                status,
                retry_after: None,
                body: body.to_vec(),
            });
            token_error(EXAMPLE, &TenantId::new("acme"), e, refreshing)
        };
        let e = reconnect(403, grant, true);
        assert!(
            matches!(&e, OAuthError::ReconnectRequired { status: Some(403), code: Some(c), reason, .. }
                if c == "invalid_grant" && reason == "invalid_grant: Unknown or invalid refresh token."),
            "{e:?}"
        );
        let e = reconnect(400, br#"{"error": "invalid_grant"}"#, true);
        assert!(
            matches!(&e, OAuthError::ReconnectRequired { reason, .. } if reason == "invalid_grant"),
            "{e:?}"
        );
        let e = reconnect(499, br#"{"error": "invalid_grant"}"#, true);
        assert!(e.reconnect_required(), "{e:?}");
        // a code exchange that fails is not a lost connection
        assert!(!reconnect(400, grant, false).reconnect_required());
        // nor is a server error, or another code
        assert!(!reconnect(500, grant, true).reconnect_required());
        assert!(!reconnect(399, grant, true).reconnect_required());
        assert!(!reconnect(400, br#"{"error": "invalid_client"}"#, true).reconnect_required());
    }

    #[test]
    fn transport_and_unreadable_answers_are_typed() {
        let e = RequestTokenError::Request(TokenHttpError::Transport("connection reset".into()));
        let core: Error = token_error(EXAMPLE, &TenantId::new("acme"), e, true).into();
        assert!(core.is_retryable());
        assert!(
            matches!(&core, Error::Transport { provider, message } if provider == "example" && message == "token endpoint: connection reset"),
            "{core:?}"
        );
        let e = RequestTokenError::<TokenHttpError, BasicErrorResponse>::Other("odd".into());
        let core: Error = token_error(EXAMPLE, &TenantId::new("acme"), e, true).into();
        assert!(
            matches!(&core, Error::Malformed { path, .. } if path == "token_response"),
            "{core:?}"
        );
    }

    #[test]
    fn token_store_debug_shows_tenants_only() {
        let store = InMemoryTokenStore::new()
            .with(
                "globex",
                TokenSet::new("at-secret", "rt-secret", Utc::now()),
            )
            .with("acme", TokenSet::new("at-secret", "rt-secret", Utc::now()));
        let dbg = format!("{store:?}");
        assert_eq!(
            dbg,
            r#"InMemoryTokenStore { tenants: [TenantId("acme"), TenantId("globex")] }"#
        );
    }

    #[test]
    fn random_states_differ() {
        let (a, b) = (random_state(), random_state());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
    }

    #[test]
    fn the_authorization_url_carries_the_app_scopes_state_and_extra_parameters() {
        let tokens = manager(
            config("https://auth.example.com")
                .authorize_param("audience", "https://api.example.com/v1/"),
            Arc::new(InMemoryTokenStore::new()),
            "2026-01-01T10:00:00Z",
        );
        assert_eq!(
            tokens.authorization_url("st-1").unwrap().as_str(),
            "https://auth.example.com/authorize?response_type=code&client_id=client-1&state=st-1&redirect_uri=https%3A%2F%2Fvendor.example.com%2Fcb&scope=offline_access+notes%3Awrite&audience=https%3A%2F%2Fapi.example.com%2Fv1%2F"
        );
        let request = tokens.authorization_request().unwrap();
        let state = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned());
        assert_eq!(state.as_deref(), Some(request.state.expose()));
        assert_eq!(request.state.expose().len(), 22);
        assert!(tokens.has_app());
        let dbg = format!("{tokens:?}");
        assert!(!dbg.contains("client-secret-1"), "{dbg}");
        assert!(
            dbg.starts_with(
                r#"TokenManager { config: OAuthConfig { provider: ProviderName { key: "example", display: "Example ATS" }, app: Some(OAuthApp { client_id: "client-1", client_secret: ***, "#
            ),
            "{dbg}"
        );
        assert!(
            dbg.ends_with(r#"store: InMemoryTokenStore { tenants: [] }, .. }"#),
            "{dbg}"
        );
    }

    #[tokio::test]
    async fn the_in_memory_store_loads_saves_and_forgets_tenants() {
        let store = InMemoryTokenStore::new()
            .with(
                "acme",
                TokenSet::new("at-1", "rt-1", at("2026-01-01T11:00:00Z")),
            )
            .with(
                "globex",
                TokenSet::new("at-g", "rt-g", at("2026-01-01T11:00:00Z")),
            );
        let (acme, globex) = (TenantId::new("acme"), TenantId::new("globex"));
        let loaded = store.load(&acme).await.unwrap().unwrap();
        assert_eq!(loaded.access_token, Secret::new("at-1"));
        store.remove(&acme).await.unwrap();
        assert_eq!(store.load(&acme).await.unwrap(), None);
        assert_eq!(
            format!("{store:?}"),
            r#"InMemoryTokenStore { tenants: [TenantId("globex")] }"#
        );
        // removing a tenant that is not there is no error
        store.remove(&acme).await.unwrap();
        assert!(store.get(&globex).is_some());
        // a store of one process grants the refresh lease at once
        assert!(
            store
                .lock_refresh(&globex, Duration::from_secs(1))
                .await
                .unwrap()
        );
        store.unlock_refresh(&globex).await.unwrap();
    }

    #[tokio::test]
    async fn without_an_app_nothing_is_authorized_or_refreshed() {
        let mut bare = config("https://auth.example.com");
        bare.app = None;
        let store = Arc::new(InMemoryTokenStore::new().with(
            "acme",
            TokenSet::new("at-1", "rt-1", at("2026-01-01T09:00:00Z")),
        ));
        let tokens = manager(bare, store, "2026-01-01T10:00:00Z");
        assert!(!tokens.has_app());
        assert!(matches!(
            tokens.authorization_url("s"),
            Err(OAuthError::NotConfigured(_))
        ));
        assert!(matches!(
            tokens.exchange_code(&TenantId::new("acme"), "c").await,
            Err(OAuthError::NotConfigured(_))
        ));
        assert!(matches!(
            tokens.access_token(&TenantId::new("acme")).await,
            Err(OAuthError::NotConfigured(_))
        ));
        let bad = config("https://auth.example.com").app(OAuthApp::new("c", "s", "not a url"));
        assert!(
            TokenManager::new(bad, Arc::new(InMemoryTokenStore::new()), Clock::system()).is_err()
        );
    }

    #[tokio::test]
    async fn a_code_is_exchanged_with_the_app_in_the_body_and_the_tokens_stored() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .and(header("accept", "application/json"))
            .and(body_string(
                "grant_type=authorization_code&code=c-42&client_id=client-1&client_secret=client-secret-1&redirect_uri=https%3A%2F%2Fvendor.example.com%2Fcb",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": "at-1", "refresh_token": "rt-1", "token_type": "Bearer",
                "expires_in": 3600, "scope": "offline_access notes:write"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let store = Arc::new(InMemoryTokenStore::new());
        let tokens = manager(config(&server.uri()), store.clone(), "2026-01-01T10:00:00Z");
        let state = Secret::new("st-1");
        let acme = TenantId::new("acme");
        let set = tokens
            .complete_authorization(&acme, "code=c-42&state=st-1", &state)
            .await
            .unwrap();
        let expected = TokenSet {
            access_token: Secret::new("at-1"),
            refresh_token: Some(Secret::new("rt-1")),
            expires_at: Some(at("2026-01-01T11:00:00Z")),
            scope: Some("offline_access notes:write".into()),
        };
        assert_eq!(set, expected);
        assert_eq!(store.get(&acme), Some(expected));
        // a forged state sends nothing
        assert!(matches!(
            tokens
                .complete_authorization(&acme, "code=c-42&state=forged", &state)
                .await,
            Err(OAuthError::StateMismatch)
        ));
        server.verify().await;
    }

    #[tokio::test]
    async fn tokens_are_refreshed_before_expiry_and_the_rotated_pair_saved_whole() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(body_string(
                "grant_type=refresh_token&refresh_token=rt-1&client_id=client-1&client_secret=client-secret-1",
            ))
            .respond_with(token_answer("at-2", Some("rt-2")).set_delay(Duration::from_millis(100)))
            .expect(1)
            .mount(&server)
            .await;
        let acme = TenantId::new("acme");
        let mut first = TokenSet::new("at-1", "rt-1", at("2026-01-01T10:04:00Z"));
        first.scope = Some("offline_access".into());
        let store = Arc::new(InMemoryTokenStore::new().with("acme", first));
        let tokens = manager(config(&server.uri()), store.clone(), "2026-01-01T10:00:00Z");
        // eight callers at once: one refresh
        let mut calls = Vec::new();
        for _ in 0..8 {
            let (t, tenant) = (tokens.clone(), acme.clone());
            calls.push(tokio::spawn(async move { t.access_token(&tenant).await }));
        }
        let mut token_calls = 0;
        for c in calls {
            let token = c.await.unwrap().unwrap();
            assert_eq!(token.token.expose(), "at-2");
            token_calls += token.token_calls;
        }
        assert_eq!(token_calls, 1);
        assert_eq!(
            store.get(&acme),
            Some(TokenSet {
                access_token: Secret::new("at-2"),
                refresh_token: Some(Secret::new("rt-2")),
                expires_at: Some(at("2026-01-01T11:00:00Z")),
                scope: Some("offline_access".into()),
            })
        );
        // valid now: no call
        let again = tokens.access_token(&acme).await.unwrap();
        assert_eq!((again.token.expose(), again.token_calls), ("at-2", 0));
        server.verify().await;
    }

    #[tokio::test]
    async fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(token_answer("at-2", None))
            .expect(1)
            .mount(&server)
            .await;
        let acme = TenantId::new("acme");
        let store = Arc::new(InMemoryTokenStore::new().with(
            "acme",
            TokenSet::new("at-1", "rt-1", at("2026-01-01T11:00:00Z")),
        ));
        let tokens = manager(config(&server.uri()), store.clone(), "2026-01-01T10:00:00Z");
        // refused with a 401 although valid: refreshed once
        let fresh = tokens.refresh(&acme, &Secret::new("at-1")).await.unwrap();
        assert_eq!((fresh.token.expose(), fresh.token_calls), ("at-2", 1));
        let stored = store.get(&acme).unwrap();
        assert_eq!(stored.refresh_token, Some(Secret::new("rt-1")));
        assert_eq!(stored.expires_at, Some(at("2026-01-01T11:00:00Z")));
        // another caller that saw the old token gets the new one without a call
        let same = tokens.refresh(&acme, &Secret::new("at-1")).await.unwrap();
        assert_eq!((same.token.expose(), same.token_calls), ("at-2", 0));
        server.verify().await;
    }

    #[tokio::test]
    async fn a_refused_or_missing_refresh_token_means_reconnecting() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
                "error": "invalid_grant", "error_description": "Unknown or invalid refresh token."
            })))
            .expect(1)
            .mount(&server)
            .await;
        let expired = at("2026-01-01T09:00:00Z");
        let store = Arc::new(
            InMemoryTokenStore::new()
                .with("acme", TokenSet::new("at-1", "rt-1", expired))
                .with(
                    "globex",
                    TokenSet {
                        refresh_token: None,
                        ..TokenSet::new("at-g", "unused", expired)
                    },
                ),
        );
        let tokens = manager(
            config(&server.uri()).missing_refresh_token_hint("was `offline_access` granted?"),
            store.clone(),
            "2026-01-01T10:00:00Z",
        );
        let e = tokens
            .access_token(&TenantId::new("acme"))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Example ATS no longer accepts the refresh token of tenant `acme` (invalid_grant: Unknown or invalid refresh token.): the customer must reconnect Example ATS"
        );
        let e = tokens
            .access_token(&TenantId::new("globex"))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Example ATS no longer accepts the refresh token of tenant `globex` (no refresh token is stored (was `offline_access` granted?)): the customer must reconnect Example ATS"
        );
        let e = tokens
            .access_token(&TenantId::new("initech"))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, OAuthError::NotConnected { tenant, .. } if tenant.as_str() == "initech"),
            "{e:?}"
        );
        // the stored tokens are left as they were
        assert_eq!(
            store.get(&TenantId::new("acme")).unwrap().refresh_token,
            Some(Secret::new("rt-1"))
        );
        server.verify().await;
    }

    /// A store shared with another process that holds the refresh lease.
    #[derive(Debug, Default)]
    struct Leased {
        inner: InMemoryTokenStore,
        free: std::sync::atomic::AtomicBool,
        locks: std::sync::atomic::AtomicU32,
        unlocks: std::sync::atomic::AtomicU32,
    }

    #[async_trait]
    impl TokenStore for Leased {
        async fn load(&self, tenant: &TenantId) -> Result<Option<TokenSet>, Error> {
            self.inner.load(tenant).await
        }
        async fn save(&self, tenant: &TenantId, tokens: TokenSet) -> Result<(), Error> {
            self.inner.save(tenant, tokens).await
        }
        async fn remove(&self, tenant: &TenantId) -> Result<(), Error> {
            self.inner.remove(tenant).await
        }
        async fn lock_refresh(&self, _: &TenantId, ttl: Duration) -> Result<bool, Error> {
            use std::sync::atomic::Ordering;
            assert_eq!(ttl, Duration::from_millis(400));
            self.locks.fetch_add(1, Ordering::SeqCst);
            Ok(self.free.load(Ordering::SeqCst))
        }
        async fn unlock_refresh(&self, _: &TenantId) -> Result<(), Error> {
            self.unlocks
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_store_lease_decides_which_process_refreshes() {
        use std::sync::atomic::Ordering;
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(token_answer("at-2", Some("rt-2")))
            .expect(1)
            .mount(&server)
            .await;
        let acme = TenantId::new("acme");
        let store = Arc::new(Leased::default());
        store.inner.insert(
            acme.clone(),
            TokenSet::new("at-1", "rt-1", at("2026-01-01T09:00:00Z")),
        );
        let cfg = config(&server.uri()).request_timeout(Duration::from_millis(200));
        let tokens = manager(cfg, store.clone(), "2026-01-01T10:00:00Z");
        // held elsewhere for longer than the lease: given up, nothing sent
        let e = Error::from(tokens.access_token(&acme).await.unwrap_err());
        assert!(e.is_retryable(), "{e:?}");
        assert_eq!(
            e.to_string(),
            "transport error calling example: another process has been refreshing the tokens of tenant `acme` for 0s"
        );
        assert!(store.locks.load(Ordering::SeqCst) >= 2);
        assert_eq!(store.unlocks.load(Ordering::SeqCst), 0);
        // the other process saved new tokens while this one waited
        let waiting = {
            let (t, tenant) = (tokens.clone(), acme.clone());
            tokio::spawn(async move { t.access_token(&tenant).await })
        };
        tokio::time::sleep(Duration::from_millis(120)).await;
        store.inner.insert(
            acme.clone(),
            TokenSet::new("at-other", "rt-other", at("2026-01-01T11:00:00Z")),
        );
        let got = waiting.await.unwrap().unwrap();
        assert_eq!((got.token.expose(), got.token_calls), ("at-other", 0));
        // free: this process refreshes and gives the lease back
        store.inner.insert(
            acme.clone(),
            TokenSet::new("at-1", "rt-1", at("2026-01-01T09:00:00Z")),
        );
        store.free.store(true, Ordering::SeqCst);
        let got = tokens.access_token(&acme).await.unwrap();
        assert_eq!((got.token.expose(), got.token_calls), ("at-2", 1));
        assert_eq!(store.unlocks.load(Ordering::SeqCst), 1);
        server.verify().await;
    }

    #[tokio::test]
    async fn idle_connections_are_refreshed_and_busy_ones_left_alone() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(body_string(
                "grant_type=refresh_token&refresh_token=rt-idle&client_id=client-1&client_secret=client-secret-1",
            ))
            .respond_with(token_answer("at-2", Some("rt-2")))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(body_string(
                "grant_type=refresh_token&refresh_token=rt-revoked&client_id=client-1&client_secret=client-secret-1",
            ))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "invalid_grant"})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(body_string(
                "grant_type=refresh_token&refresh_token=rt-down&client_id=client-1&client_secret=client-secret-1",
            ))
            .respond_with(ResponseTemplate::new(503))
            .expect(1)
            .mount(&server)
            .await;
        let store = Arc::new(
            InMemoryTokenStore::new()
                .with(
                    "idle",
                    TokenSet::new("at-i", "rt-idle", at("2025-11-01T10:00:00Z")),
                )
                .with(
                    "busy",
                    TokenSet::new("at-b", "rt-busy", at("2025-12-31T10:00:00Z")),
                )
                .with(
                    "revoked",
                    TokenSet::new("at-r", "rt-revoked", at("2025-11-01T10:00:00Z")),
                )
                .with(
                    "down",
                    TokenSet::new("at-d", "rt-down", at("2025-11-01T10:00:00Z")),
                ),
        );
        let tokens = manager(config(&server.uri()), store.clone(), "2026-01-01T10:00:00Z");
        let month = Duration::from_secs(30 * 24 * 3600);
        let idle = tokens.refresh_if_idle(&TenantId::new("idle"), month).await;
        assert!(
            matches!(idle, IdleRefresh::Refreshed { expires_at: Some(t) } if t == at("2026-01-01T11:00:00Z")),
            "{idle:?}"
        );
        assert_eq!(
            store.get(&TenantId::new("idle")).unwrap().refresh_token,
            Some(Secret::new("rt-2"))
        );
        let busy = tokens.refresh_if_idle(&TenantId::new("busy"), month).await;
        assert!(
            matches!(busy, IdleRefresh::NotIdle { access_expires_at } if access_expires_at == at("2025-12-31T10:00:00Z")),
            "{busy:?}"
        );
        // exactly `older_than` ago counts as idle
        let day = Duration::from_secs(24 * 3600);
        let edge = tokens.refresh_if_idle(&TenantId::new("busy"), day).await;
        assert!(matches!(edge, IdleRefresh::Failed(_)), "{edge:?}");
        let revoked = tokens
            .refresh_if_idle(&TenantId::new("revoked"), month)
            .await;
        assert!(
            matches!(&revoked, IdleRefresh::ReconnectRequired { reason } if reason.contains("(invalid_grant)")),
            "{revoked:?}"
        );
        let down = tokens.refresh_if_idle(&TenantId::new("down"), month).await;
        assert!(
            matches!(
                &down,
                IdleRefresh::Failed(Error::ProviderRejected { status: 503, .. })
            ),
            "{down:?}"
        );
        let gone = tokens.refresh_if_idle(&TenantId::new("gone"), month).await;
        assert!(matches!(gone, IdleRefresh::NotConnected), "{gone:?}");
    }

    #[tokio::test]
    async fn an_unreadable_token_answer_names_the_field() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": 42, "token_type": "Bearer"
            })))
            .mount(&server)
            .await;
        let tokens = manager(
            config(&server.uri()),
            Arc::new(InMemoryTokenStore::new()),
            "2026-01-01T10:00:00Z",
        );
        let e: Error = tokens
            .exchange_code(&TenantId::new("acme"), "c")
            .await
            .unwrap_err()
            .into();
        assert!(
            matches!(&e, Error::Malformed { path, .. } if path == "token_response.access_token"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn a_token_answer_over_the_limit_is_refused_unread() {
        let server = MockServer::start().await;
        // a valid token answer, padded past the limit
        let padded = format!(
            r#"{{"access_token":"at","token_type":"Bearer","padding":"{}"}}"#,
            "x".repeat(MAX_TOKEN_ANSWER_BYTES)
        );
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(200).set_body_string(padded))
            .expect(1)
            .mount(&server)
            .await;
        let store = Arc::new(InMemoryTokenStore::new());
        let tokens = manager(config(&server.uri()), store.clone(), "2026-01-01T10:00:00Z");
        let acme = TenantId::new("acme");
        let e: Error = tokens.exchange_code(&acme, "c").await.unwrap_err().into();
        assert_eq!(
            e.to_string(),
            "malformed payload at `token_response`: the answer is larger than 65536 bytes, \
             the most read"
        );
        assert!(!e.is_retryable());
        assert_eq!(store.load(&acme).await.unwrap(), None, "nothing stored");
    }
}
