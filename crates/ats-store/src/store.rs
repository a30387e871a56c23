//! [`Store`] and [`StoreBuilder`]: the connection pool, the schema and the
//! key ring every table shares.

use std::fmt;
use std::sync::{Arc, Once};
use std::time::Duration;

use ats_core::Clock;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor, Row};

use crate::cipher::KeyRing;
use crate::error::StoreError;
use crate::group::{GroupCommit, GroupCommitStats};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://ats.db";

/// Which database a [`Store`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: one file (or memory), one writer at a time. The default.
    Sqlite,
    /// PostgreSQL: for several instances sharing one database.
    Postgres,
}

impl Backend {
    /// The backend a database URL names.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL `{}`: use sqlite://PATH, sqlite::memory: or postgres://…",
                redact_url(url)
            )))
        }
    }

    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Durable state on SQLite or PostgreSQL: issued keys, sealed secrets,
/// settings, seen deliveries, the intake, orders, the outbox and the
/// activity log. Cheap to clone (one shared pool).
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: AnyPool,
    /// The intake's group commit, when on.
    pub(crate) group: Option<GroupCommit>,
    pub(crate) backend: Backend,
    pub(crate) keys: KeyRing,
    pub(crate) clock: Clock,
    pub(crate) url: String,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .field("url", &redact_url(&self.inner.url))
            .field("keys", &self.inner.keys)
            .finish()
    }
}

/// Builds a [`Store`]; validates and connects at [`build`](Self::build).
///
/// ```no_run
/// # async fn demo() -> Result<(), ats_store::StoreError> {
/// use ats_store::{KeyRing, Store};
///
/// let store = Store::builder()
///     .with_url("sqlite://ats.db")
///     .with_key_ring(KeyRing::from_env("ATS_ENCRYPTION_KEY")?)
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct StoreBuilder {
    url: String,
    keys: Option<KeyRing>,
    max_connections: Option<u32>,
    acquire_timeout: Duration,
    clock: Clock,
    migrate: bool,
    group_commit: Option<bool>,
}

impl Default for StoreBuilder {
    fn default() -> Self {
        Self {
            url: DEFAULT_DATABASE_URL.to_owned(),
            keys: None,
            max_connections: None,
            acquire_timeout: Duration::from_secs(10),
            clock: Clock::system(),
            migrate: true,
            group_commit: None,
        }
    }
}

impl StoreBuilder {
    /// The database URL: `sqlite://PATH` (created when missing),
    /// `sqlite::memory:`, or `postgres://user:pass@host/db`.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// The keys secrets are sealed with (required).
    pub fn with_key_ring(mut self, keys: KeyRing) -> Self {
        self.keys = Some(keys);
        self
    }

    /// The pool size (default: 1 for SQLite, 16 for PostgreSQL).
    ///
    /// SQLite lets one connection write at a time; with several, the others
    /// wait in SQLite's busy handler, which sleeps 1, 2, 5… ms, and a busy
    /// intake spends more time asleep than writing (measured in
    /// `docs/benchmarks.md`). One connection queues writers in the pool
    /// instead. Raise it only for read-heavy use of a SQLite file (many
    /// `ats log` or gateway API reads next to light traffic).
    pub fn with_max_connections(mut self, n: u32) -> Self {
        self.max_connections = Some(n);
        self
    }

    /// How long to wait for a free connection (default 10 s).
    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Where "now" comes from (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Whether [`build`](Self::build) applies pending migrations (default
    /// `true`). Without, a database behind the code's schema fails
    /// [`Store::ready`].
    pub fn with_migrations(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// Whether the intake's claims and answers of concurrent calls are
    /// written together, one transaction per batch (default: on for
    /// SQLite, off for PostgreSQL).
    ///
    /// Nothing is answered before its batch is committed, so a call is as
    /// durable either way; what changes is the number of commits. On
    /// SQLite, where one connection writes at a time and each commit
    /// appends its pages to the write-ahead log, grouping raises a busy
    /// intake's throughput (measured in `docs/benchmarks.md`). PostgreSQL
    /// writes on several connections at once and groups commits itself
    /// (`commit_delay`).
    pub fn with_group_commit(mut self, on: bool) -> Self {
        self.group_commit = Some(on);
        self
    }

    /// Connects, applies the embedded migrations and returns the store.
    pub async fn build(self) -> Result<Store, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::of_url(&self.url)?;
        let keys = self
            .keys
            .ok_or_else(|| StoreError::Config("no encryption key ring (with_key_ring)".into()))?;
        let url = normalize_url(&self.url);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let max = self.max_connections.unwrap_or(match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 16,
        });
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(self.acquire_timeout)
            // a ping before each use is a round trip to SQLite's connection
            // thread for a file that cannot go away; a PostgreSQL connection
            // can, so it is tested
            .test_before_acquire(backend == Backend::Postgres)
            // an in-memory database lives as long as its one connection
            .idle_timeout((!in_memory).then_some(Duration::from_secs(600)))
            .max_lifetime((!in_memory).then_some(Duration::from_secs(1800)))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        if !in_memory {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await;
        let pool = match pool {
            Ok(pool) => pool,
            Err(e) => {
                let cause = match e {
                    sqlx::Error::PoolTimedOut => why_unreachable(&url, self.acquire_timeout).await,
                    _ => None,
                };
                return Err(StoreError::Database(match cause {
                    Some(cause) => format!(
                        "cannot connect to {} (tried for {} s): {cause}",
                        redact_url(&url),
                        self.acquire_timeout.as_secs_f64()
                    ),
                    None => format!("cannot connect to {}: {e}", redact_url(&url)),
                }));
            }
        };
        let group = self
            .group_commit
            .unwrap_or(backend == Backend::Sqlite)
            .then(|| GroupCommit::new(pool.clone(), backend == Backend::Sqlite));
        let store = Store {
            inner: Arc::new(Inner {
                pool,
                group,
                backend,
                keys,
                clock: self.clock,
                url,
            }),
        };
        if self.migrate {
            store.migrate().await?;
        }
        Ok(store)
    }
}

/// Why a pool that gave up connecting could not: the pool retries until its
/// acquire timeout and then reports only that it timed out, so one more
/// connection is tried directly (for `timeout` at most) and its error
/// returned, e.g. "Connection refused". `None` when that one connects.
async fn why_unreachable(url: &str, timeout: Duration) -> Option<String> {
    use sqlx::Connection as _;
    match tokio::time::timeout(timeout, sqlx::AnyConnection::connect(url)).await {
        Ok(Err(e)) => Some(e.to_string()),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            None
        }
        Err(_) => Some("no answer".to_owned()),
    }
}

impl Store {
    /// A builder (SQLite file `ats.db` unless told otherwise).
    pub fn builder() -> StoreBuilder {
        StoreBuilder::default()
    }

    /// A store on `url` with `keys`, migrations applied.
    pub async fn connect(url: &str, keys: KeyRing) -> Result<Self, StoreError> {
        Self::builder()
            .with_url(url)
            .with_key_ring(keys)
            .build()
            .await
    }

    /// An in-memory SQLite store with an ephemeral key (tests, demos).
    pub async fn in_memory() -> Result<Self, StoreError> {
        Self::connect("sqlite::memory:", KeyRing::ephemeral()).await
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The database URL, password removed.
    pub fn url(&self) -> String {
        redact_url(&self.inner.url)
    }

    /// The pool (for queries of the vendor's own, in the same database).
    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrator().run(&self.inner.pool).await?;
        Ok(())
    }

    fn migrator(&self) -> &'static Migrator {
        match self.inner.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Whether the database answers and every embedded migration is
    /// applied (for a readiness probe).
    pub async fn ready(&self) -> Result<(), StoreError> {
        let applied: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.inner.pool)
                .await?
                .try_get("n")?;
        let expected = self.migrator().iter().count() as i64;
        if applied < expected {
            return Err(StoreError::Migration(format!(
                "{applied} of {expected} migrations applied"
            )));
        }
        Ok(())
    }

    /// What the intake's group commit has written since the store was
    /// built (`None` when it is off: [`StoreBuilder::with_group_commit`]).
    /// `operations / commits` is the number of claims and answers each
    /// commit carried.
    pub fn group_commit_stats(&self) -> Option<GroupCommitStats> {
        self.inner.group.as_ref().map(GroupCommit::stats)
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    pub(crate) fn pg(&self) -> bool {
        self.inner.backend == Backend::Postgres
    }

    /// `sqlite` or `pg`, whichever this store runs on.
    pub(crate) fn sql(&self, sqlite: &'static str, pg: &'static str) -> &'static str {
        if self.pg() { pg } else { sqlite }
    }
}

/// Milliseconds since the epoch as a time (out-of-range values clamp).
/// `rows` groups of `cols` numbered placeholders, `($1, $2), ($3, $4)`,
/// for a statement that writes several rows at once.
pub(crate) fn placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn opt_string(row: &AnyRow, column: &str) -> Result<Option<String>, StoreError> {
    Ok(row.try_get::<Option<String>, _>(column)?)
}

/// `sqlite://path` is created when missing.
fn normalize_url(url: &str) -> String {
    if url.starts_with("sqlite://") && !url.contains('?') && !url.contains(":memory:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_owned()
    }
}

/// The URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(placeholders(1, 2), "($1, $2)");
        assert_eq!(placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders(0, 3), "");
    }

    #[test]
    fn backends_by_url() {
        assert_eq!(Backend::of_url("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::of_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        let e = Backend::of_url("mysql://u:pw@h/db")
            .unwrap_err()
            .to_string();
        assert!(e.contains("mysql://u:***@h/db"), "{e}");
    }

    #[test]
    fn urls_are_redacted_and_files_created() {
        assert_eq!(
            redact_url("postgres://ats:s3cret@db:5432/ats"),
            "postgres://ats:***@db:5432/ats"
        );
        assert_eq!(normalize_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(normalize_url("sqlite::memory:"), "sqlite::memory:");
    }

    /// A server that refuses the connection is named as refusing it, not
    /// as a pool that timed out; the password stays out of the message.
    #[tokio::test(flavor = "current_thread")]
    async fn an_unreachable_database_is_reported_with_its_cause() {
        // a port nothing listens on: bound, then released
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let e = Store::builder()
            .with_url(format!("postgres://ats:s3cret@127.0.0.1:{port}/ats"))
            .with_key_ring(KeyRing::ephemeral())
            .with_acquire_timeout(Duration::from_millis(300))
            .build()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "database error: cannot connect to postgres://ats:***@127.0.0.1:{port}/ats (tried for 0.3 s): "
            )),
            "{e}"
        );
        assert!(e.to_lowercase().contains("refused"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }
}
