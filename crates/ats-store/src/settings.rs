//! Plain per-tenant settings and id maps, seen delivery ids, and the
//! durable versions of the adapters' stores: any provider's OAuth
//! [`TokenStore`] ([`OAuthTokens`]), Lever's [`ConnectionStore`], StackOne's
//! [`PackageIdStore`].
//!
//! The synchronous stores (connections, package ids) answer from a cache
//! that the store loads at start and writes through; [`LeverConnections::reload`]
//! picks up changes made by other instances.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use ats_core::oauth::{TokenSet, TokenStore};
use ats_core::replay::DeliveryLog;
use ats_core::{Error, Secret, TenantId, async_trait};
use ats_lever::{ConnectionStore, LeverConnection};
use ats_stackone::PackageIdStore;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::Row;
use tokio::sync::mpsc;

use crate::error::StoreError;
use crate::store::{Store, from_ms};

const LEVER: &str = "lever";
const STACKONE: &str = "stackone";
/// The secret name under which a tenant's OAuth tokens are sealed, for
/// every provider.
pub const OAUTH_TOKENS: &str = "oauth_tokens";
/// The secret name of a Lever tenant's OAuth tokens ([`OAUTH_TOKENS`]).
pub const LEVER_TOKENS: &str = OAUTH_TOKENS;
const LEVER_SIGNATURE_TOKENS: &str = "signature_tokens";

impl Store {
    /// Sets a plain (not secret) value.
    pub async fn put_setting(
        &self,
        provider: &str,
        tenant: &TenantId,
        kind: &str,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (provider, tenant, kind, name, value, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, tenant, kind, name) \
             DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(provider)
        .bind(tenant.as_str())
        .bind(kind)
        .bind(name)
        .bind(value)
        .bind(self.now_ms())
        .execute(&self.inner.pool)
        .await?;
        Ok(())
    }

    /// Deletes a value.
    pub async fn delete_setting(
        &self,
        provider: &str,
        tenant: &TenantId,
        kind: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM settings WHERE provider = $1 AND tenant = $2 AND kind = $3 AND name = $4",
        )
        .bind(provider)
        .bind(tenant.as_str())
        .bind(kind)
        .bind(name)
        .execute(&self.inner.pool)
        .await?;
        Ok(())
    }

    /// The value `name` of `kind` for `provider`, whatever its tenant, with
    /// the tenant: for values named by a token. `None` when absent.
    pub async fn find_setting(
        &self,
        provider: &str,
        kind: &str,
        name: &str,
    ) -> Result<Option<(TenantId, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT tenant, value FROM settings WHERE provider = $1 AND kind = $2 AND name = $3",
        )
        .bind(provider)
        .bind(kind)
        .bind(name)
        .fetch_optional(&self.inner.pool)
        .await?;
        row.map(|r| tenant_and_value(&r)).transpose()
    }

    /// Removes the value `name` of `kind` for `provider`, whatever its
    /// tenant, and returns the tenant and the value: for single-use values
    /// such as an OAuth `state` (two callers cannot both take it). `None`
    /// when there is no such value.
    pub async fn take_setting(
        &self,
        provider: &str,
        kind: &str,
        name: &str,
    ) -> Result<Option<(TenantId, String)>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM settings WHERE provider = $1 AND kind = $2 AND name = $3 \
             RETURNING tenant, value",
        )
        .bind(provider)
        .bind(kind)
        .bind(name)
        .fetch_optional(&self.inner.pool)
        .await?;
        row.map(|r| tenant_and_value(&r)).transpose()
    }

    /// Every value of `kind` for `provider`: tenant → name → value.
    pub async fn settings(
        &self,
        provider: &str,
        kind: &str,
    ) -> Result<BTreeMap<TenantId, BTreeMap<String, String>>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant, name, value FROM settings WHERE provider = $1 AND kind = $2",
        )
        .bind(provider)
        .bind(kind)
        .fetch_all(&self.inner.pool)
        .await?;
        let mut out: BTreeMap<TenantId, BTreeMap<String, String>> = BTreeMap::new();
        for row in rows {
            out.entry(TenantId::new(row.try_get::<String, _>("tenant")?))
                .or_default()
                .insert(row.try_get("name")?, row.try_get("value")?);
        }
        Ok(out)
    }

    /// Records a signed delivery's id until `expires_at`. `false` when it
    /// was already recorded and has not expired (a replay) — decided by the
    /// primary key, so two instances cannot both accept the same delivery.
    pub async fn remember_delivery(
        &self,
        provider: &str,
        delivery_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.inner.pool.begin().await?;
        sqlx::query(
            "DELETE FROM deliveries WHERE provider = $1 AND delivery_id = $2 AND expires_at < $3",
        )
        .bind(provider)
        .bind(delivery_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query(
            "INSERT INTO deliveries (provider, delivery_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(provider)
        .bind(delivery_id)
        .bind(expires_at.timestamp_millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Whether a delivery id is recorded and not expired.
    pub async fn delivery_seen(
        &self,
        provider: &str,
        delivery_id: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT expires_at FROM deliveries WHERE provider = $1 AND delivery_id = $2 AND expires_at >= $3",
        )
        .bind(provider)
        .bind(delivery_id)
        .bind(self.now_ms())
        .fetch_optional(&self.inner.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Forgets a delivery id, so its redelivery is let through.
    pub async fn forget_delivery(
        &self,
        provider: &str,
        delivery_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM deliveries WHERE provider = $1 AND delivery_id = $2")
            .bind(provider)
            .bind(delivery_id)
            .execute(&self.inner.pool)
            .await?;
        Ok(())
    }

    /// Deletes expired delivery ids.
    pub async fn prune_deliveries(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM deliveries WHERE expires_at < $1")
            .bind(self.now_ms())
            .execute(&self.inner.pool)
            .await?
            .rows_affected())
    }

    /// The delivery ids of `provider`'s signed webhooks, as the
    /// [`DeliveryLog`] a replay guard shares across instances.
    pub fn delivery_log(&self, provider: &str) -> StoreDeliveries {
        StoreDeliveries {
            store: self.clone(),
            provider: provider.to_owned(),
        }
    }

    /// `provider`'s OAuth tokens, sealed, as its [`TokenStore`]. `holder`
    /// names this instance in refresh leases.
    pub fn oauth_tokens(
        &self,
        provider: impl Into<String>,
        holder: impl Into<String>,
    ) -> OAuthTokens {
        OAuthTokens {
            store: self.clone(),
            provider: provider.into(),
            holder: holder.into(),
        }
    }

    /// Lever's OAuth tokens: [`oauth_tokens`](Self::oauth_tokens) of `lever`.
    pub fn lever_tokens(&self, holder: impl Into<String>) -> LeverTokens {
        self.oauth_tokens(LEVER, holder)
    }
}

/// Seen delivery ids of one provider, as a [`DeliveryLog`].
#[derive(Clone)]
pub struct StoreDeliveries {
    store: Store,
    provider: String,
}

impl fmt::Debug for StoreDeliveries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreDeliveries")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl DeliveryLog for StoreDeliveries {
    async fn remember(&self, id: &str, until: DateTime<Utc>) -> Result<bool, Error> {
        Ok(self
            .store
            .remember_delivery(&self.provider, id, until)
            .await?)
    }

    async fn seen(&self, id: &str) -> Result<bool, Error> {
        Ok(self.store.delivery_seen(&self.provider, id).await?)
    }

    fn forget(&self, id: &str) {
        let (store, provider, id) = (self.store.clone(), self.provider.clone(), id.to_owned());
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Err(e) = store.forget_delivery(&provider, &id).await {
                        tracing::warn!(error = %e, "a delivery id could not be forgotten; its redelivery will be refused until it expires");
                    }
                });
            }
            Err(_) => tracing::warn!("no async runtime: a delivery id was not forgotten"),
        }
    }
}

/// One provider's OAuth tokens in the store: each tenant's [`TokenSet`]
/// sealed in one secret row ([`OAUTH_TOKENS`]), replaced as one unit, and a
/// lease on that row so only one instance spends a rotating refresh token.
#[derive(Clone)]
pub struct OAuthTokens {
    store: Store,
    provider: String,
    holder: String,
}

/// Lever's OAuth tokens ([`Store::lever_tokens`]).
pub type LeverTokens = OAuthTokens;

impl fmt::Debug for OAuthTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokens")
            .field("provider", &self.provider)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

fn tokens_to_json(tokens: &TokenSet) -> String {
    json!({
        "access_token": tokens.access_token.expose(),
        "refresh_token": tokens.refresh_token.as_ref().map(Secret::expose),
        "expires_at": tokens.expires_at.map(|t| t.timestamp_millis()),
        "scope": tokens.scope,
    })
    .to_string()
}

fn tokens_from_json(provider: &str, text: &str) -> Result<TokenSet, StoreError> {
    let v: Value = serde_json::from_str(text)?;
    let access = v
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            StoreError::Corrupt(format!("stored {provider} OAuth tokens lack access_token"))
        })?;
    Ok(TokenSet {
        access_token: Secret::new(access),
        refresh_token: v
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(Secret::new),
        expires_at: v.get("expires_at").and_then(Value::as_i64).map(from_ms),
        scope: v.get("scope").and_then(Value::as_str).map(str::to_owned),
    })
}

#[async_trait]
impl TokenStore for OAuthTokens {
    async fn load(&self, tenant: &TenantId) -> Result<Option<TokenSet>, Error> {
        match self
            .store
            .secret(&self.provider, tenant, OAUTH_TOKENS)
            .await?
        {
            Some(s) => Ok(Some(tokens_from_json(&self.provider, s.expose())?)),
            None => Ok(None),
        }
    }

    async fn save(&self, tenant: &TenantId, tokens: TokenSet) -> Result<(), Error> {
        let text = Secret::new(tokens_to_json(&tokens));
        self.store
            .put_secret(&self.provider, tenant, OAUTH_TOKENS, &text)
            .await?;
        Ok(())
    }

    async fn remove(&self, tenant: &TenantId) -> Result<(), Error> {
        self.store
            .delete_secret(&self.provider, tenant, OAUTH_TOKENS)
            .await?;
        Ok(())
    }

    async fn lock_refresh(&self, tenant: &TenantId, ttl: Duration) -> Result<bool, Error> {
        Ok(self
            .store
            .lease_secret(&self.provider, tenant, OAUTH_TOKENS, &self.holder, ttl)
            .await?)
    }

    async fn unlock_refresh(&self, tenant: &TenantId) -> Result<(), Error> {
        self.store
            .release_secret_lease(&self.provider, tenant, OAUTH_TOKENS, &self.holder)
            .await?;
        Ok(())
    }
}

/// Lever connections (trigger stages, `perform_as`, sealed signature
/// tokens) in the store, served from a cache.
#[derive(Clone)]
pub struct LeverConnections {
    store: Store,
    cache: Arc<RwLock<HashMap<TenantId, LeverConnection>>>,
}

impl fmt::Debug for LeverConnections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let mut tenants: Vec<&TenantId> = guard.keys().collect();
        tenants.sort();
        f.debug_struct("LeverConnections")
            .field("tenants", &tenants)
            .finish()
    }
}

impl LeverConnections {
    /// Loads every connection into the cache.
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let this = Self {
            store: store.clone(),
            cache: Arc::default(),
        };
        this.reload().await?;
        Ok(this)
    }

    /// Reloads the cache from the database (changes by other instances).
    pub async fn reload(&self) -> Result<(), StoreError> {
        let configs = self.store.settings(LEVER, "connection").await?;
        let mut fresh = HashMap::new();
        for (tenant, values) in configs {
            let Some(config) = values.get("config") else {
                continue;
            };
            let v: Value = serde_json::from_str(config)?;
            let mut connection = LeverConnection::new();
            if let Some(stages) = v.get("stages").and_then(Value::as_object) {
                for (stage, package) in stages {
                    if let Some(p) = package.as_str() {
                        connection = connection.trigger_stage(stage.clone(), p);
                    }
                }
            }
            if let Some(user) = v.get("perform_as").and_then(Value::as_str) {
                connection = connection.perform_as(user);
            }
            if let Some(base) = v.get("api_base").and_then(Value::as_str) {
                connection = connection.api_base(base);
            }
            if let Some(tokens) = self
                .store
                .secret(LEVER, &tenant, LEVER_SIGNATURE_TOKENS)
                .await?
            {
                let list: Vec<String> = serde_json::from_str(tokens.expose())?;
                for t in list {
                    connection = connection.signature_token(t);
                }
            }
            fresh.insert(tenant, connection);
        }
        *self.cache.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Stores (or replaces) a connection.
    pub async fn put(
        &self,
        tenant: &TenantId,
        connection: LeverConnection,
    ) -> Result<(), StoreError> {
        let config = connection_config(&connection);
        let tokens: Vec<&str> = connection
            .signature_tokens
            .iter()
            .map(Secret::expose)
            .collect();
        self.store
            .put_secret(
                LEVER,
                tenant,
                LEVER_SIGNATURE_TOKENS,
                &Secret::new(serde_json::to_string(&tokens)?),
            )
            .await?;
        self.store
            .put_setting(LEVER, tenant, "connection", "config", &config.to_string())
            .await?;
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant.clone(), connection);
        Ok(())
    }

    /// Records the API base Lever serves `tenant` from (learned from a
    /// redirect to another region) in the stored connection.
    pub async fn put_api_base(&self, tenant: &TenantId, api_base: &str) -> Result<(), StoreError> {
        let connection = {
            let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
            let Some(connection) = cache.get_mut(tenant) else {
                return Ok(());
            };
            connection.api_base = Some(api_base.to_owned());
            connection.clone()
        };
        self.store
            .put_setting(
                LEVER,
                tenant,
                "connection",
                "config",
                &connection_config(&connection).to_string(),
            )
            .await
    }

    /// Removes a connection (and its tokens).
    pub async fn remove(&self, tenant: &TenantId) -> Result<(), StoreError> {
        self.store
            .delete_setting(LEVER, tenant, "connection", "config")
            .await?;
        self.store
            .delete_secret(LEVER, tenant, LEVER_SIGNATURE_TOKENS)
            .await?;
        self.store
            .delete_secret(LEVER, tenant, LEVER_TOKENS)
            .await?;
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant);
        Ok(())
    }
}

impl ConnectionStore for LeverConnections {
    fn connection(&self, tenant: &TenantId) -> Option<LeverConnection> {
        self.cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
    }

    fn tenants(&self) -> Option<Vec<TenantId>> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let mut tenants: Vec<TenantId> = cache.keys().cloned().collect();
        tenants.sort();
        Some(tenants)
    }

    fn remember_api_base(&self, tenant: &TenantId, api_base: &url::Url) {
        // the cache at once; the database in the background (the adapter
        // calls this from a synchronous context)
        let (this, tenant, base) = (self.clone(), tenant.clone(), api_base.to_string());
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Err(e) = this.put_api_base(&tenant, &base).await {
                        tracing::error!(%tenant, error = %e, "could not store Lever's API base for the tenant");
                    }
                });
            }
            Err(_) => tracing::warn!(%tenant, "no runtime: Lever's API base is not stored"),
        }
    }
}

enum Write {
    Record(TenantId, String, String),
    Forget(TenantId, String),
    Flush(tokio::sync::oneshot::Sender<Result<(), StoreError>>),
}

/// StackOne's published package ids in the store: answered from a cache,
/// written through in order by a background task ([`flush`](Self::flush)
/// waits for it).
#[derive(Clone)]
pub struct StackOnePackageIds {
    cache: Arc<RwLock<BTreeMap<TenantId, BTreeMap<String, String>>>>,
    writes: mpsc::UnboundedSender<Write>,
}

impl fmt::Debug for StackOnePackageIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("StackOnePackageIds")
            .field("tenants", &guard.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl StackOnePackageIds {
    /// Loads the map and starts the writer (call inside a Tokio runtime).
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let cache = Arc::new(RwLock::new(store.settings(STACKONE, "package_id").await?));
        let (tx, mut rx) = mpsc::unbounded_channel::<Write>();
        let writer = store.clone();
        tokio::spawn(async move {
            let mut failed: Option<StoreError> = None;
            while let Some(write) = rx.recv().await {
                let result = match write {
                    Write::Record(t, v, s) => {
                        writer.put_setting(STACKONE, &t, "package_id", &v, &s).await
                    }
                    Write::Forget(t, v) => {
                        writer.delete_setting(STACKONE, &t, "package_id", &v).await
                    }
                    Write::Flush(done) => {
                        let _ = done.send(match failed.take() {
                            Some(e) => Err(e),
                            None => Ok(()),
                        });
                        continue;
                    }
                };
                if let Err(e) = result {
                    tracing::error!(error = %e, "could not persist a StackOne package id");
                    failed = Some(e);
                }
            }
        });
        Ok(Self { cache, writes: tx })
    }

    /// Waits until every write so far is in the database; reports the
    /// first write that failed since the last flush.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.writes
            .send(Write::Flush(tx))
            .map_err(|_| StoreError::Database("the package id writer stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Database("the package id writer stopped".into()))?
    }

    fn send(&self, write: Write) -> Result<(), Error> {
        self.writes
            .send(write)
            .map_err(|_| Error::config("the package id writer stopped"))
    }
}

impl PackageIdStore for StackOnePackageIds {
    fn published(&self, tenant: &TenantId) -> Result<BTreeMap<String, String>, Error> {
        Ok(self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
            .unwrap_or_default())
    }

    fn record(
        &self,
        tenant: &TenantId,
        vendor_package_id: &str,
        stackone_package_id: &str,
    ) -> Result<(), Error> {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(tenant.clone())
            .or_default()
            .insert(vendor_package_id.to_owned(), stackone_package_id.to_owned());
        self.send(Write::Record(
            tenant.clone(),
            vendor_package_id.to_owned(),
            stackone_package_id.to_owned(),
        ))
    }

    fn forget(&self, tenant: &TenantId, vendor_package_id: &str) -> Result<(), Error> {
        if let Some(map) = self
            .cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(tenant)
        {
            map.remove(vendor_package_id);
        }
        self.send(Write::Forget(tenant.clone(), vendor_package_id.to_owned()))
    }
}

fn tenant_and_value(row: &sqlx::any::AnyRow) -> Result<(TenantId, String), StoreError> {
    Ok((
        TenantId::new(row.try_get::<String, _>("tenant")?),
        row.try_get("value")?,
    ))
}

/// The stored (not secret) part of a Lever connection.
fn connection_config(connection: &LeverConnection) -> Value {
    let mut config = json!({
        "stages": connection.stages,
        "perform_as": connection.perform_as,
    });
    if let Some(base) = &connection.api_base {
        config["api_base"] = Value::from(base.clone());
    }
    config
}
