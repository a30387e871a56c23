//! [`RecruiteeBuilder`]: configuration of the Recruitee adapter.

use std::sync::Arc;

use ats_core::auth::{InMemoryKeys, KeyDirectory};
use ats_core::client::HttpClient;
use ats_core::http::{fit_for_path, parse_base_url};
use ats_core::{Error, RetryConfig, Secret};

use crate::provider::Recruitee;
use crate::translate::{PROVIDER, PartnerKind};

/// Recruitee's production Partners API.
pub const PRODUCTION_API: &str = "https://integrations.recruitee.com/api";
/// Recruitee's Release Candidate Partners API, where a partner is developed
/// before Recruitee promotes it.
pub const RELEASE_CANDIDATE_API: &str = "https://integrations.rc.recruitee.dev/api";

/// Builds a [`Recruitee`] adapter.
///
/// Two kinds of credential, kept apart: the tokens the vendor issued to its
/// customers (Recruitee presents one on every call, [`keys`](Self::keys))
/// and the partner secret (`partner.secret`, one per partner and
/// environment) the vendor presents on report updates
/// ([`partner_secret`](Self::partner_secret)). The partner's `codename`
/// names it in every report URL.
///
/// ```
/// use ats_core::auth::InMemoryKeys;
/// use ats_recruitee::RecruiteeBuilder;
///
/// let recruitee = RecruiteeBuilder::new()
///     .keys(InMemoryKeys::new().with("acme", "rc_tok_acme_3b7e9d1f5a2c"))
///     .codename("acme-assess")
///     .partner_secret("SFVSHA1VFeYC1Wtd65wWhH8Rgh3l4588")
///     .build()
///     .unwrap();
/// ```
#[derive(Debug)]
pub struct RecruiteeBuilder {
    keys: Arc<dyn KeyDirectory>,
    partner_secret: Option<Secret>,
    codename: Option<String>,
    api_base: String,
    kind: PartnerKind,
    retry: RetryConfig,
    http: Option<reqwest::Client>,
}

impl Default for RecruiteeBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl RecruiteeBuilder {
    /// A builder with no credentials, no codename, the production API, an
    /// `assessment` partner and the default retry policy.
    pub fn new() -> Self {
        Self {
            keys: Arc::new(InMemoryKeys::new()),
            partner_secret: None,
            codename: None,
            api_base: PRODUCTION_API.to_owned(),
            kind: PartnerKind::default(),
            retry: RetryConfig::default(),
            http: None,
        }
    }

    /// The tokens the vendor issued to its customers; Recruitee presents one
    /// as `Authorization: Bearer` on every call, and it identifies the tenant.
    pub fn keys<K: KeyDirectory + 'static>(mut self, keys: K) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    /// The inbound token directory, shared (e.g. a database-backed one).
    pub fn key_directory(mut self, keys: Arc<dyn KeyDirectory>) -> Self {
        self.keys = keys;
        self
    }

    /// The partner secret (`partner.secret` of `GET /partner`, or of
    /// `POST /partner/regenerate-secret` once promoted to production), sent
    /// as `RT-PARTNER-SECRET` on report updates.
    pub fn partner_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.partner_secret = Some(secret.into());
        self
    }

    /// The partner's `codename`, the `{codename}` of the report URL.
    pub fn codename(mut self, codename: impl Into<String>) -> Self {
        self.codename = Some(codename.into());
        self
    }

    /// The Partners API base URL (default [`PRODUCTION_API`]).
    pub fn api_base(mut self, url: impl Into<String>) -> Self {
        self.api_base = url.into();
        self
    }

    /// The same as [`api_base`](Self::api_base), under the name every
    /// adapter's builder uses for the provider's API.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.api_base(url)
    }

    /// Uses the Release Candidate environment ([`RELEASE_CANDIDATE_API`]).
    pub fn release_candidate(self) -> Self {
        self.api_base(RELEASE_CANDIDATE_API)
    }

    /// The partner's `kind` (default `assessment`): background and
    /// reference check reports take no `subtitle` or `properties`.
    pub fn partner_kind(mut self, kind: PartnerKind) -> Self {
        self.kind = kind;
        self
    }

    /// The retry policy of the report update.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Shares an existing HTTP client (and its connection pool).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the adapter. Succeeds without any credential or codename
    /// (translation and rendering need none); fails on an invalid API base
    /// URL or a codename that cannot stand in a URL path.
    pub fn build(self) -> Result<Recruitee, Error> {
        let api_base = parse_base_url("Recruitee API base URL", &self.api_base)?;
        if let Some(c) = &self.codename
            && (!fit_for_path(c) || c.contains(['/', '?', '#']))
        {
            return Err(Error::config(format!(
                "invalid Recruitee partner codename {c:?}"
            )));
        }
        let http = HttpClient::shared_or_new(PROVIDER, self.http, self.retry)?;
        Ok(Recruitee {
            keys: self.keys,
            partner_secret: self.partner_secret,
            codename: self.codename,
            api_base,
            kind: self.kind,
            http,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ats_core::AtsProvider;

    #[test]
    fn builds_without_credentials() {
        let r = RecruiteeBuilder::new().build().unwrap();
        assert_eq!(r.name(), "recruitee");
        assert_eq!(
            r.api_base.as_str(),
            "https://integrations.recruitee.com/api"
        );
        assert_eq!(r.kind, PartnerKind::Assessment);
        let r = RecruiteeBuilder::new().release_candidate().build().unwrap();
        assert_eq!(
            r.api_base.as_str(),
            "https://integrations.rc.recruitee.dev/api"
        );
    }

    #[test]
    fn refuses_bad_configuration() {
        for bad in ["a/b", "..", " ", "x?y"] {
            let e = RecruiteeBuilder::new().codename(bad).build().unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{bad:?}: {e}");
        }
        let e = RecruiteeBuilder::new()
            .api_base("ftp://x.example.com")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let r = RecruiteeBuilder::new()
            .keys(InMemoryKeys::new().with("acme", "rc_tok_acme_3b7e9d1f5a2c"))
            .partner_secret("SFVSHA1VFeYC1Wtd65wWhH8Rgh3l4588")
            .codename("acme-assess")
            .build()
            .unwrap();
        let debug = format!("{r:?}");
        assert!(!debug.contains("rc_tok_acme_3b7e9d1f5a2c"), "{debug}");
        assert!(
            !debug.contains("SFVSHA1VFeYC1Wtd65wWhH8Rgh3l4588"),
            "{debug}"
        );
        assert!(debug.contains("acme-assess"), "{debug}");
    }
}
