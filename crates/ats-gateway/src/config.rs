//! The gateway's configuration file (`ats.toml`).
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! database_url = "sqlite://ats.db"            # postgres://… for several instances
//! encryption_key = "${ATS_ENCRYPTION_KEY}"    # `ats keygen` prints one
//! public_url = "https://ats.vendor.example"   # where providers reach this gateway
//!
//! [vendor]
//! url = "http://127.0.0.1:9000/ats/events"    # your service's endpoint for events
//! signing_secret = "${ATS_VENDOR_SIGNING_SECRET}"   # whsec_… (Standard Webhooks)
//! deadline_ms = 8000                          # synchronous calls wait this long
//!
//! [api]
//! key = "${ATS_API_KEY}"                      # your service's key for the REST API
//!
//! [providers.greenhouse]
//! [providers.ashby]
//! [providers.kombo]
//! api_key = "${ATS_KOMBO_API_KEY}"
//! webhook_secret = "file:/run/secrets/kombo-webhook"
//! ```
//!
//! Secret values (`encryption_key`, `signing_secret`, `api.key`, and every
//! provider setting its adapter declares secret: `api_key`,
//! `webhook_secret`, `signing_secret`, `client_secret`, `partner_secret`, …)
//! must be `${VARIABLE}` or `file:PATH`: never written in the file itself.
//! A provider section takes `base_url` (where the adapter allows one) and
//! the settings its adapter declares (`ats serve --check` names them).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use ats_core::Secret;
use ats_server::{ProviderSettings, StockOptions, registrations, stock_names};
use serde::Deserialize;

use crate::api::oauth_callback_path;
use crate::error::GatewayError;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<String>,
    database_url: Option<String>,
    encryption_key: String,
    public_url: Option<String>,
    vendor: VendorFile,
    api: ApiFile,
    #[serde(default)]
    providers: BTreeMap<String, ProviderFile>,
    #[serde(default)]
    runtime: RuntimeFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorFile {
    url: String,
    signing_secret: String,
    deadline_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiFile {
    key: String,
}

/// A `[providers.<name>]` section: `base_url`, `oauth_base_url` (Lever)
/// and the settings the adapter declares.
type ProviderFile = BTreeMap<String, String>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuntimeFile {
    workers: Option<usize>,
    body_limit: Option<usize>,
    header_timeout_ms: Option<u64>,
    body_timeout_ms: Option<u64>,
    max_connections: Option<usize>,
    keep_bodies: Option<bool>,
    retention_days: Option<u64>,
    insecure_callback_hosts: Option<Vec<String>>,
    instance: Option<String>,
}

/// A checked configuration, secrets resolved.
#[derive(Debug)]
pub struct GatewayConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The database URL.
    pub database_url: String,
    /// The key ring, as text (`id:base64,…`).
    pub encryption_key: Secret,
    /// How providers reach the gateway (for connection instructions).
    pub public_url: String,
    /// The vendor's event endpoint.
    pub vendor_url: url::Url,
    /// The Standard Webhooks secret (`whsec_…`).
    pub vendor_signing_secret: Secret,
    /// How long synchronous calls wait for the vendor.
    pub vendor_deadline: Duration,
    /// The vendor's key for the REST API.
    pub api_key: Secret,
    /// Which adapters, and how.
    pub stock: StockOptions,
    /// Account-wide settings of each provider.
    pub settings: ProviderSettings,
    /// Outbox workers.
    pub workers: Option<usize>,
    /// Largest inbound body.
    pub body_limit: Option<usize>,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Option<Duration>,
    /// How long a provider may take to send a call's body.
    pub body_timeout: Option<Duration>,
    /// The most connections served at once.
    pub max_connections: Option<usize>,
    /// Whether the log keeps redacted bodies.
    pub keep_bodies: bool,
    /// Log retention.
    pub retention: Option<Duration>,
    /// This instance's name.
    pub instance: String,
}

/// Resolves `${VAR}` and `file:PATH`; `what` names the setting in errors.
fn secret(value: &str, what: &str) -> Result<Secret, GatewayError> {
    let value = value.trim();
    if let Some(name) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        return match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
            _ => Err(GatewayError::Config(format!(
                "{what}: environment variable {name} is not set"
            ))),
        };
    }
    if let Some(path) = value.strip_prefix("file:") {
        let text = std::fs::read_to_string(path)
            .map_err(|e| GatewayError::Config(format!("{what}: cannot read {path}: {e}")))?;
        let text = text.trim();
        if text.is_empty() {
            return Err(GatewayError::Config(format!("{what}: {path} is empty")));
        }
        return Ok(Secret::new(text));
    }
    Err(GatewayError::Config(format!(
        "{what}: secrets are not written in the file; use \"${{VARIABLE}}\" or \"file:PATH\""
    )))
}

impl GatewayConfig {
    /// Reads and checks a configuration file.
    pub fn from_file(path: &Path) -> Result<Self, GatewayError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| GatewayError::Config(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text)
    }

    /// Parses and checks configuration text.
    pub fn parse(text: &str) -> Result<Self, GatewayError> {
        let file: File = toml::from_str(text)
            .map_err(|e| GatewayError::Config(format!("invalid configuration: {e}")))?;
        let listen: SocketAddr = file
            .listen
            .as_deref()
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|_| {
                GatewayError::Config("listen: expected host:port, e.g. 0.0.0.0:8080".into())
            })?;
        let vendor_url = url::Url::parse(&file.vendor.url)
            .map_err(|e| GatewayError::Config(format!("vendor.url: {e}")))?;
        if !matches!(vendor_url.scheme(), "http" | "https") {
            return Err(GatewayError::Config(
                "vendor.url: expected http or https".into(),
            ));
        }
        let signing = secret(&file.vendor.signing_secret, "vendor.signing_secret")?;
        standardwebhooks::Webhook::new(signing.expose()).map_err(|_| {
            GatewayError::Config(
                "vendor.signing_secret: expected `whsec_` followed by base64".into(),
            )
        })?;
        if file.providers.is_empty() {
            return Err(GatewayError::Config(format!(
                "no [providers.…] section: name at least one of {}",
                stock_names().join(", ")
            )));
        }
        let public_url = file
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        let mut stock = StockOptions {
            only: Some(file.providers.keys().cloned().collect()),
            insecure_callback_hosts: file
                .runtime
                .insecure_callback_hosts
                .clone()
                .unwrap_or_default(),
            ..StockOptions::default()
        };
        let mut settings = ProviderSettings::default();
        let registrations = registrations();
        for (name, p) in &file.providers {
            let Some(served) = registrations
                .iter()
                .find(|r| r.name == name)
                .and_then(|r| r.served)
            else {
                return Err(GatewayError::Config(format!(
                    "[providers.{name}]: unknown provider; known: {}",
                    stock_names().join(", ")
                )));
            };
            for (key, value) in p {
                let what = format!("providers.{name}.{key}");
                if key == "base_url" && served.base_url {
                    stock.base_urls.insert(name.clone(), value.clone());
                } else if key == "oauth_base_url" && name == "lever" {
                    stock.oauth_base_urls.insert(name.clone(), value.clone());
                } else if let Some(setting) = served.settings.iter().find(|s| s.name == key) {
                    let value = if setting.secret {
                        secret(value, &what)?
                    } else {
                        Secret::new(value.trim())
                    };
                    settings.set(name, key, value);
                } else {
                    let mut known: Vec<&str> = served.settings.iter().map(|s| s.name).collect();
                    if served.base_url {
                        known.insert(0, "base_url");
                    }
                    if name == "lever" {
                        known.push("oauth_base_url");
                    }
                    return Err(GatewayError::Config(format!(
                        "[providers.{name}]: unknown key `{key}`; {name} takes {}",
                        if known.is_empty() {
                            "no keys (customers' keys are issued per connection)".to_owned()
                        } else {
                            known.join(", ")
                        }
                    )));
                }
            }
            let takes_redirect = served.settings.iter().any(|s| s.name == "redirect_uri");
            if takes_redirect && settings.get(name, "redirect_uri").is_none() {
                // an OAuth app: the gateway serves its callback; an explicit
                // URI is for a proxy in front that rewrites paths
                settings.set(
                    name,
                    "redirect_uri",
                    Secret::new(format!("{public_url}{}", oauth_callback_path(name))),
                );
            }
        }
        Ok(Self {
            listen,
            database_url: file
                .database_url
                .unwrap_or_else(|| ats_store::DEFAULT_DATABASE_URL.to_owned()),
            encryption_key: secret(&file.encryption_key, "encryption_key")?,
            public_url,
            vendor_url,
            vendor_signing_secret: signing,
            vendor_deadline: Duration::from_millis(file.vendor.deadline_ms.unwrap_or(8000)),
            api_key: secret(&file.api.key, "api.key")?,
            stock,
            settings,
            workers: file.runtime.workers,
            body_limit: file.runtime.body_limit,
            header_timeout: file.runtime.header_timeout_ms.map(Duration::from_millis),
            body_timeout: file.runtime.body_timeout_ms.map(Duration::from_millis),
            max_connections: file.runtime.max_connections,
            keep_bodies: file.runtime.keep_bodies.unwrap_or(false),
            retention: file
                .runtime
                .retention_days
                .map(|d| Duration::from_secs(d.saturating_mul(86_400))),
            instance: file
                .runtime
                .instance
                .unwrap_or_else(|| format!("ats-{:08x}", fastrand::u32(..))),
        })
    }

    /// What the gateway would serve, in lines, secrets left out.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("listen        {}\n", self.listen));
        out.push_str(&format!(
            "database      {}\n",
            ats_store::redact_url(&self.database_url)
        ));
        out.push_str(&format!("public URL    {}\n", self.public_url));
        out.push_str(&format!(
            "vendor        {} (deadline {} ms, Standard Webhooks signatures)\n",
            self.vendor_url,
            self.vendor_deadline.as_millis()
        ));
        out.push_str(&format!(
            "REST API      {}/api/v1 (Bearer key)\n",
            self.public_url
        ));
        for name in self.stock.only.iter().flatten() {
            let base = self
                .stock
                .base_urls
                .get(name)
                .map(|u| format!(" → {u}"))
                .unwrap_or_default();
            let mut path = if name == "lever" {
                "/lever/{tenant}/webhook".to_owned()
            } else {
                format!("/{name}/…")
            };
            if let Some(redirect) = self.settings.get(name, "redirect_uri") {
                path.push_str(&format!("; OAuth redirect URI {}", redirect.expose()));
            }
            out.push_str(&format!(
                "provider      {name:<11} {}{path}{base}\n",
                self.public_url
            ));
        }
        out
    }
}
