//! Keys the vendor issues to customers (stored as digests, looked up by
//! digest) and sealed per-tenant secrets, as the [`KeyDirectory`] and
//! [`SecretStore`] the adapters take.

use std::fmt;

use ats_core::auth::{KeyDirectory, SecretStore};
use ats_core::{Error, Secret, TenantId, async_trait};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{OsRng, rand_core::RngCore};
use sha2::{Digest, Sha256};
use sqlx::Row;
use subtle::ConstantTimeEq;

use crate::cipher::KeyRing;
use crate::error::StoreError;
use crate::store::{Store, duration_ms};

/// The secret name under which an issued key's sealed copy is kept, for
/// providers that authenticate the vendor's outbound calls with the same
/// key (see [`IssuedKeys`]).
pub const ISSUED_KEY: &str = "issued_key";

fn digest(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

fn context(provider: &str, tenant: &str, name: &str) -> String {
    format!("{provider}/{tenant}/{name}")
}

/// A sealed secret and the version it was read at.
#[derive(Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The secret.
    pub secret: Secret,
    /// Increases with every write; for [`Store::swap_secret`].
    pub version: i64,
}

impl fmt::Debug for Versioned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Versioned(***, v{})", self.version)
    }
}

/// A random, unguessable token: 16 bytes from the operating system's
/// generator, base64url without padding (22 characters). For links that
/// are their own credential (a rejection page, an OAuth `state`).
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Store {
    /// Issues a new random key to `tenant` for `provider` (32 random bytes,
    /// `ats_` + base64url), stores its digest and a sealed copy, and
    /// returns it: show it to the customer once.
    pub async fn issue_key(&self, provider: &str, tenant: &TenantId) -> Result<Secret, StoreError> {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let key = Secret::new(format!("ats_{}", URL_SAFE_NO_PAD.encode(bytes)));
        self.add_key(provider, tenant, &key).await?;
        Ok(key)
    }

    /// Records `key` as issued to `tenant` (replacing the tenant's earlier
    /// keys for `provider`): its SHA-256 digest for look-ups and a sealed
    /// copy for providers that reuse it on outbound calls.
    pub async fn add_key(
        &self,
        provider: &str,
        tenant: &TenantId,
        key: &Secret,
    ) -> Result<(), StoreError> {
        if key.is_empty() {
            return Err(StoreError::Config("an issued key cannot be empty".into()));
        }
        let now = self.now_ms();
        let mut tx = self.inner.pool.begin().await?;
        sqlx::query("DELETE FROM issued_keys WHERE provider = $1 AND tenant = $2")
            .bind(provider)
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO issued_keys (key_hash, provider, tenant, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(digest(key.expose()))
        .bind(provider)
        .bind(tenant.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Config("this key is already issued to another tenant".into())
            }
            other => other.into(),
        })?;
        let sealed = self.inner.keys.seal(
            &context(provider, tenant.as_str(), ISSUED_KEY),
            key.expose().as_bytes(),
        )?;
        upsert_secret(&mut tx, provider, tenant.as_str(), ISSUED_KEY, &sealed, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes every key issued to `tenant` for `provider`.
    pub async fn revoke_keys(&self, provider: &str, tenant: &TenantId) -> Result<u64, StoreError> {
        let mut tx = self.inner.pool.begin().await?;
        let n = sqlx::query("DELETE FROM issued_keys WHERE provider = $1 AND tenant = $2")
            .bind(provider)
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM secrets WHERE provider = $1 AND tenant = $2 AND name = $3")
            .bind(provider)
            .bind(tenant.as_str())
            .bind(ISSUED_KEY)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The tenant `presented` was issued to for `provider`.
    ///
    /// The look-up is by SHA-256 digest (one index probe, whatever the
    /// number of tenants); the digest found is compared again in constant
    /// time. A presented key's digest cannot be chosen, so the index walk
    /// reveals nothing about stored keys.
    pub async fn tenant_for_key(
        &self,
        provider: &str,
        presented: &Secret,
    ) -> Result<Option<TenantId>, StoreError> {
        let wanted = digest(presented.expose());
        let row = sqlx::query(
            "SELECT tenant, key_hash FROM issued_keys WHERE key_hash = $1 AND provider = $2",
        )
        .bind(wanted.clone())
        .bind(provider)
        .fetch_optional(&self.inner.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored: Vec<u8> = row.try_get("key_hash")?;
        if !bool::from(stored.ct_eq(&wanted)) {
            return Ok(None);
        }
        Ok(Some(TenantId::new(row.try_get::<String, _>("tenant")?)))
    }

    /// Seals and stores a secret (replacing any earlier value).
    pub async fn put_secret(
        &self,
        provider: &str,
        tenant: &TenantId,
        name: &str,
        secret: &Secret,
    ) -> Result<(), StoreError> {
        let sealed = self.inner.keys.seal(
            &context(provider, tenant.as_str(), name),
            secret.expose().as_bytes(),
        )?;
        let mut conn = self.inner.pool.acquire().await?;
        upsert_secret(
            &mut conn,
            provider,
            tenant.as_str(),
            name,
            &sealed,
            self.now_ms(),
        )
        .await
    }

    /// A secret, opened.
    pub async fn secret(
        &self,
        provider: &str,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<Secret>, StoreError> {
        Ok(self
            .secret_versioned(provider, tenant, name)
            .await?
            .map(|v| v.secret))
    }

    /// A secret, opened, with its version.
    pub async fn secret_versioned(
        &self,
        provider: &str,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<Versioned>, StoreError> {
        let row = sqlx::query(
            "SELECT sealed, version FROM secrets WHERE provider = $1 AND tenant = $2 AND name = $3",
        )
        .bind(provider)
        .bind(tenant.as_str())
        .bind(name)
        .fetch_optional(&self.inner.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Vec<u8> = row.try_get("sealed")?;
        let plain = self
            .inner
            .keys
            .open(&context(provider, tenant.as_str(), name), &sealed)?;
        let text = String::from_utf8(plain).map_err(|_| {
            StoreError::Corrupt(format!("secret {provider}/{tenant}/{name} is not UTF-8"))
        })?;
        Ok(Some(Versioned {
            secret: Secret::new(text),
            version: row.try_get("version")?,
        }))
    }

    /// Replaces a secret only if it is still at `expected` version (`None`:
    /// only if there is none). Returns whether it was written: two
    /// instances racing to rotate a credential cannot both win.
    pub async fn swap_secret(
        &self,
        provider: &str,
        tenant: &TenantId,
        name: &str,
        expected: Option<i64>,
        secret: &Secret,
    ) -> Result<bool, StoreError> {
        let sealed = self.inner.keys.seal(
            &context(provider, tenant.as_str(), name),
            secret.expose().as_bytes(),
        )?;
        let key_id = i64::from(KeyRing::key_id_of(&sealed).unwrap_or_default());
        let now = self.now_ms();
        let n = match expected {
            Some(version) => sqlx::query(
                "UPDATE secrets SET sealed = $1, key_id = $2, version = version + 1, updated_at = $3 \
                 WHERE provider = $4 AND tenant = $5 AND name = $6 AND version = $7",
            )
            .bind(sealed)
            .bind(key_id)
            .bind(now)
            .bind(provider)
            .bind(tenant.as_str())
            .bind(name)
            .bind(version)
            .execute(&self.inner.pool)
            .await?
            .rows_affected(),
            None => sqlx::query(
                "INSERT INTO secrets (provider, tenant, name, sealed, key_id, version, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6) ON CONFLICT DO NOTHING",
            )
            .bind(provider)
            .bind(tenant.as_str())
            .bind(name)
            .bind(sealed)
            .bind(key_id)
            .bind(now)
            .execute(&self.inner.pool)
            .await?
            .rows_affected(),
        };
        Ok(n == 1)
    }

    /// Deletes a secret.
    pub async fn delete_secret(
        &self,
        provider: &str,
        tenant: &TenantId,
        name: &str,
    ) -> Result<bool, StoreError> {
        let n =
            sqlx::query("DELETE FROM secrets WHERE provider = $1 AND tenant = $2 AND name = $3")
                .bind(provider)
                .bind(tenant.as_str())
                .bind(name)
                .execute(&self.inner.pool)
                .await?
                .rows_affected();
        Ok(n == 1)
    }

    /// Takes a lease on a secret (e.g. the right to spend a rotating
    /// refresh token) for `ttl`, unless another holder has an unexpired
    /// one. Returns whether `holder` holds it now.
    pub async fn lease_secret(
        &self,
        provider: &str,
        tenant: &TenantId,
        name: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let n = sqlx::query(
            "UPDATE secrets SET lease_holder = $1, lease_until = $2 \
             WHERE provider = $3 AND tenant = $4 AND name = $5 \
             AND (lease_until IS NULL OR lease_until < $6 OR lease_holder = $1)",
        )
        .bind(holder)
        .bind(now.saturating_add(duration_ms(ttl)))
        .bind(provider)
        .bind(tenant.as_str())
        .bind(name)
        .bind(now)
        .execute(&self.inner.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Gives a lease back.
    pub async fn release_secret_lease(
        &self,
        provider: &str,
        tenant: &TenantId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE secrets SET lease_holder = NULL, lease_until = NULL \
             WHERE provider = $1 AND tenant = $2 AND name = $3 AND lease_holder = $4",
        )
        .bind(provider)
        .bind(tenant.as_str())
        .bind(name)
        .bind(holder)
        .execute(&self.inner.pool)
        .await?;
        Ok(())
    }

    /// Re-seals every secret not sealed with the ring's first key (after a
    /// key rotation). Returns how many were re-sealed.
    pub async fn reseal_secrets(&self) -> Result<u64, StoreError> {
        let primary = i64::from(self.inner.keys.primary_id());
        let rows = sqlx::query(
            "SELECT provider, tenant, name, sealed, version FROM secrets WHERE key_id <> $1",
        )
        .bind(primary)
        .fetch_all(&self.inner.pool)
        .await?;
        let mut done = 0;
        for row in rows {
            let provider: String = row.try_get("provider")?;
            let tenant: String = row.try_get("tenant")?;
            let name: String = row.try_get("name")?;
            let version: i64 = row.try_get("version")?;
            let ctx = context(&provider, &tenant, &name);
            let plain = self
                .inner
                .keys
                .open(&ctx, &row.try_get::<Vec<u8>, _>("sealed")?)?;
            let sealed = self.inner.keys.seal(&ctx, &plain)?;
            done += sqlx::query(
                "UPDATE secrets SET sealed = $1, key_id = $2 \
                 WHERE provider = $3 AND tenant = $4 AND name = $5 AND version = $6",
            )
            .bind(sealed)
            .bind(primary)
            .bind(provider)
            .bind(tenant)
            .bind(name)
            .bind(version)
            .execute(&self.inner.pool)
            .await?
            .rows_affected();
        }
        Ok(done)
    }

    /// The keys issued for `provider`, as the adapters' [`KeyDirectory`]
    /// (and, for providers whose outbound calls carry the same key, their
    /// [`SecretStore`]).
    pub fn issued_keys(&self, provider: &str) -> IssuedKeys {
        IssuedKeys {
            store: self.clone(),
            provider: provider.to_owned(),
        }
    }

    /// The secrets called `name` for `provider`, as the adapters'
    /// [`SecretStore`] (a customer's API key, a callback token).
    pub fn secrets(&self, provider: &str, name: &str) -> Secrets {
        Secrets {
            store: self.clone(),
            provider: provider.to_owned(),
            name: name.to_owned(),
        }
    }
}

async fn upsert_secret(
    conn: &mut sqlx::AnyConnection,
    provider: &str,
    tenant: &str,
    name: &str,
    sealed: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    let key_id = i64::from(KeyRing::key_id_of(sealed).unwrap_or_default());
    sqlx::query(
        "INSERT INTO secrets (provider, tenant, name, sealed, key_id, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6) \
         ON CONFLICT (provider, tenant, name) DO UPDATE SET \
         sealed = excluded.sealed, key_id = excluded.key_id, \
         version = secrets.version + 1, updated_at = excluded.updated_at",
    )
    .bind(provider)
    .bind(tenant)
    .bind(name)
    .bind(sealed.to_vec())
    .bind(key_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The keys issued for one provider: a [`KeyDirectory`] looking up by
/// digest, and a [`SecretStore`] returning a tenant's issued key (for
/// providers whose outbound calls carry it).
#[derive(Clone)]
pub struct IssuedKeys {
    store: Store,
    provider: String,
}

impl fmt::Debug for IssuedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKeys")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl KeyDirectory for IssuedKeys {
    async fn tenant_for_key(&self, presented: &Secret) -> Result<Option<TenantId>, Error> {
        Ok(self.store.tenant_for_key(&self.provider, presented).await?)
    }
}

#[async_trait]
impl SecretStore for IssuedKeys {
    async fn secret_for(&self, tenant: &TenantId) -> Result<Option<Secret>, Error> {
        Ok(self
            .store
            .secret(&self.provider, tenant, ISSUED_KEY)
            .await?)
    }
}

/// One kind of sealed per-tenant secret of one provider, as a [`SecretStore`].
#[derive(Clone)]
pub struct Secrets {
    store: Store,
    provider: String,
    name: String,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("provider", &self.provider)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SecretStore for Secrets {
    async fn secret_for(&self, tenant: &TenantId) -> Result<Option<Secret>, Error> {
        Ok(self
            .store
            .secret(&self.provider, tenant, &self.name)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let v = Versioned {
            secret: Secret::new("hunter2"),
            version: 7,
        };
        assert_eq!(format!("{v:?}"), "Versioned(***, v7)");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn stores_debug_name_what_they_hold_not_its_values() {
        let store = Store::in_memory().await.unwrap();
        let keys = store.issued_keys("kombo");
        assert_eq!(
            format!("{keys:?}"),
            r#"IssuedKeys { provider: "kombo", .. }"#
        );
        let secrets = store.secrets("lever", "webhook_token");
        assert_eq!(
            format!("{secrets:?}"),
            r#"Secrets { provider: "lever", name: "webhook_token", .. }"#
        );
    }

    /// Only a unique violation means the key belongs to another tenant;
    /// any other database error is reported as one.
    #[tokio::test(flavor = "current_thread")]
    async fn add_key_names_a_clash_and_passes_other_errors_on() {
        let store = Store::in_memory().await.unwrap();
        let tenant = TenantId::new("acme");
        let key = Secret::new("issued-key-1");
        store.add_key("kombo", &tenant, &key).await.unwrap();
        let clash = store
            .add_key("kombo", &TenantId::new("globex"), &key)
            .await
            .unwrap_err();
        assert!(
            matches!(&clash, StoreError::Config(m) if m.contains("already issued")),
            "{clash:?}"
        );
        sqlx::query(
            "CREATE TRIGGER refuse BEFORE INSERT ON issued_keys \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let refused = store
            .add_key("kombo", &tenant, &Secret::new("issued-key-2"))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, StoreError::Database(m) if m.contains("refused by the test")),
            "{refused:?}"
        );
        // the failed write left the tenant's first key in place
        assert_eq!(
            store
                .tenant_for_key("kombo", &key)
                .await
                .unwrap()
                .map(|t| t.as_str().to_owned()),
            Some("acme".to_owned())
        );
    }
}
