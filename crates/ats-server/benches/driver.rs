//! What one durable SQLite write costs an HTTP call, by the way it reaches
//! SQLite. Loopback only, bounded in count.
//!
//! Each target is an axum handler behind the same listener settings as the
//! runtime's router; every call writes the body it received under a new key
//! with the same statement, `INSERT OR REPLACE INTO bench (k, v) VALUES (?, ?)`,
//! to its own SQLite file (WAL, `synchronous = NORMAL`, as the store sets
//! them), one commit per call unless said otherwise:
//!
//! * **bare axum**: no write, a constant answer (the baseline);
//! * **store pool (sqlx `Any`)**: through the pool an [`ats_store::Store`]
//!   builds, i.e. sqlx's `Any` driver over its SQLite driver, one connection;
//! * **sqlx SQLite**: sqlx's SQLite driver directly, one connection;
//! * **native, writer thread**: SQLite's C library (through `rusqlite`) on a
//!   thread of its own that owns the connection, fed by a channel;
//! * **native, writer thread, grouped**: the same, with the writes waiting in
//!   the channel committed together, one transaction per batch;
//! * **native, on the task**: the same library called on the request's own
//!   task, behind a mutex (no hand-off, but a tokio worker blocked while it
//!   writes).
//!
//! Before them, a native connection commits single-row writes in a loop,
//! with no HTTP: what a commit itself costs on this disk.
//!
//! The sqlx drivers run every statement on a thread of their own too, and
//! hand the answer back through a channel; the native rows tell how much of
//! the cost of a durable call is the write itself and how much the way to it.
//!
//! `cargo bench -p ats-server --bench driver`; prints a Markdown table.
//! `ATS_DRIVER_REQUESTS` (default 4,000) sets the calls per row,
//! `ATS_DRIVER_LEVELS` (default `1,16,64`) the concurrency levels.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ats_store::{KeyRing, Store};
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{mpsc, oneshot};

mod common;

use common::{BoxError, TempDir, serve};

const TABLE: &str = "CREATE TABLE IF NOT EXISTS bench (k TEXT PRIMARY KEY, v TEXT NOT NULL)";
const INSERT: &str = "INSERT OR REPLACE INTO bench (k, v) VALUES (?1, ?2)";
/// A Kombo `assessment:order-received` body of the load bench's size.
const BODY: &str = r#"{"id":"evt_4dbd2ba4","type":"assessment:order-received","data":{"id":"ord_9d0c1e","package_id":"pkg_typescript","candidate":{"first_name":"Ada","last_name":"Example","email":"ada@example.com","phone":null},"application":{"id":"app_1","job":{"id":"job_1","name":"Backend Engineer"}},"integration_id":"greenhouse:8mQzT4vXc2LpR7nWd9KsYb3H","remote_data":null}}"#;

fn main() -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let requests = env_usize("ATS_DRIVER_REQUESTS", 4_000)?;
    let levels = match std::env::var("ATS_DRIVER_LEVELS") {
        Ok(list) => list
            .split(',')
            .map(|n| n.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()?,
        Err(_) => vec![1, 16, 64],
    };
    let dir = TempDir::new("ats-driver")?;
    let keys = Arc::new(AtomicUsize::new(0));

    let bare = serve(Router::new().route("/w", post(|| async { "ok" }))).await?;

    let store = Store::builder()
        .with_url(format!("sqlite://{}", dir.0.join("store.db").display()))
        .with_key_ring(KeyRing::ephemeral())
        .build()
        .await?;
    sqlx::query(TABLE).execute(store.pool()).await?;
    let any = serve(sqlx_writing(&keys, store.pool().clone())).await?;

    let options = SqliteConnectOptions::new()
        .filename(dir.0.join("sqlx.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let sqlite = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    sqlx::query(TABLE).execute(&sqlite).await?;
    let typed = serve(sqlx_writing(&keys, sqlite.clone())).await?;

    let mut writers = Vec::new();
    let mut native = Vec::new();
    for (target, grouped) in [
        ("native, writer thread", false),
        ("native, writer thread, grouped", true),
    ] {
        let (queue, writer) = writer_thread(&dir.0.join(format!("native-{grouped}.db")), grouped)?;
        writers.push(writer);
        let server = serve(writing(&keys, move |k, v| {
            let queue = queue.clone();
            async move {
                let (answer, answered) = oneshot::channel();
                queue.send((k, v, answer)).is_ok() && answered.await.unwrap_or(false)
            }
        }))
        .await?;
        native.push((target, server));
    }

    let inline = {
        let conn = Arc::new(Mutex::new(open_native(&dir.0.join("inline.db"))?));
        serve(writing(&keys, move |k, v| {
            let written = conn.lock().is_ok_and(|conn| {
                conn.prepare_cached(INSERT)
                    .and_then(|mut insert| insert.execute((k, v)))
                    .is_ok()
            });
            std::future::ready(written)
        }))
        .await?
    };

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut out = String::new();
    let loops = COMMIT_LOOP;
    let per_commit = commit_loop(&dir.0.join("loop.db"), loops)?;
    eprintln!("driver: {loops} commits in a loop, no HTTP: {per_commit:.1} µs per commit");
    writeln!(
        out,
        "A native connection committing one row at a time in a loop, no HTTP: \
         {per_commit:.1} µs per commit ({loops} commits).\n"
    )?;
    writeln!(
        out,
        "| target | concurrency | requests/s | p50 ms | p99 ms | / bare | errors |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|")?;
    for c in levels {
        let mut targets = vec![
            ("bare axum", &bare.base),
            ("store pool (sqlx Any)", &any.base),
            ("sqlx SQLite", &typed.base),
        ];
        targets.extend(native.iter().map(|(t, s)| (*t, &s.base)));
        targets.push(("native, on the task", &inline.base));
        let mut baseline = None;
        for (target, base) in targets {
            let url = format!("{base}/w");
            // opens the connections and warms the caches; not counted
            drive(&client, &url, (2 * c).max(200), c).await;
            let level = drive(&client, &url, requests, c).await;
            let rate = common::rate(level.latencies.len(), level.elapsed);
            let (p50, p99) = (
                common::percentile(&level.latencies, 0.5),
                common::percentile(&level.latencies, 0.99),
            );
            let of_bare = *baseline.get_or_insert(rate);
            eprintln!(
                "driver: {target:<32} c={c:<2} {rate:>7.0} req/s p50 {p50:.3} ms p99 {p99:.3} ms errors {}",
                level.errors
            );
            writeln!(
                out,
                "| {target} | {c} | {rate:.0} | {p50:.3} | {p99:.3} | {:.1} % | {} |",
                100.0 * rate / of_bare,
                level.errors
            )?;
        }
    }
    println!("{out}");

    drop((bare, any, typed, native, inline));
    for writer in writers {
        // the channel closed with its last sender, so each thread ends
        if writer.join().is_err() {
            eprintln!("driver: a writer thread panicked");
        }
    }
    store.close().await;
    sqlite.close().await;
    Ok(())
}

/// Single-row commits in [`commit_loop`].
const COMMIT_LOOP: usize = 20_000;

/// Commits `n` single-row writes one after another on a native connection
/// to `path`; the time per commit in microseconds.
fn commit_loop(path: &Path, n: usize) -> Result<f64, BoxError> {
    let conn = open_native(path)?;
    let mut insert = conn.prepare(INSERT)?;
    let started = Instant::now();
    for k in 0..n {
        insert.execute((k.to_string(), BODY))?;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / n as f64)
}

/// One write for a writer thread: key, value, where to say if it committed.
type Write = (String, String, oneshot::Sender<bool>);

fn open_native(path: &Path) -> Result<rusqlite::Connection, BoxError> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    conn.execute_batch(TABLE)?;
    Ok(conn)
}

/// A thread owning a native connection to `path`, writing what arrives on
/// the returned channel; with `grouped`, everything queued at once shares
/// one transaction.
fn writer_thread(
    path: &Path,
    grouped: bool,
) -> Result<(mpsc::UnboundedSender<Write>, std::thread::JoinHandle<()>), BoxError> {
    let mut conn = open_native(path)?;
    let (queue, mut writes) = mpsc::unbounded_channel::<Write>();
    let thread = std::thread::spawn(move || {
        while let Some(first) = writes.blocking_recv() {
            let mut batch = vec![first];
            if grouped {
                while let Ok(next) = writes.try_recv() {
                    batch.push(next);
                }
            }
            let committed = commit(&mut conn, &batch);
            for (_, _, answer) in batch {
                let _ = answer.send(committed);
            }
        }
    });
    Ok((queue, thread))
}

fn commit(conn: &mut rusqlite::Connection, batch: &[Write]) -> bool {
    let Ok(tx) = conn.transaction() else {
        return false;
    };
    let written = tx.prepare_cached(INSERT).and_then(|mut insert| {
        batch
            .iter()
            .try_for_each(|(k, v, _)| insert.execute((k, v)).map(drop))
    });
    written.is_ok() && tx.commit().is_ok()
}

/// [`writing`] through a sqlx pool of any driver.
fn sqlx_writing<DB>(keys: &Arc<AtomicUsize>, pool: sqlx::Pool<DB>) -> Router
where
    DB: sqlx::Database,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    writing(keys, move |k, v| {
        let pool = pool.clone();
        async move {
            let done = sqlx::query(INSERT).bind(k).bind(v).execute(&pool).await;
            done.is_ok()
        }
    })
}

/// A router whose one route hands each body to `write` under a new key,
/// and answers 200 when it says the write committed, 503 otherwise.
fn writing<F, Fut>(keys: &Arc<AtomicUsize>, write: F) -> Router
where
    F: Fn(String, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let keys = keys.clone();
    Router::new().route(
        "/w",
        post(move |body: Bytes| {
            let key = keys.fetch_add(1, Ordering::Relaxed).to_string();
            let written = write(key, String::from_utf8_lossy(&body).into_owned());
            async move {
                if written.await {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }
        }),
    )
}

fn env_usize(var: &str, default: usize) -> Result<usize, BoxError> {
    match std::env::var(var) {
        Ok(n) => Ok(n.trim().parse()?),
        Err(_) => Ok(default),
    }
}

/// One row: how long `requests` calls took and each call's latency (sorted,
/// in milliseconds).
struct Level {
    elapsed: Duration,
    latencies: Vec<f64>,
    errors: usize,
}

/// Posts [`BODY`] `requests` times to `url` from `concurrency` tasks; counts
/// only the calls answered 200.
async fn drive(client: &reqwest::Client, url: &str, requests: usize, concurrency: usize) -> Level {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, next) = (client.clone(), url.to_owned(), next.clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let sent = Instant::now();
                    let answered = match client.post(&url).body(BODY).send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if answered {
                        latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::with_capacity(requests), 0);
    for task in tasks {
        match task.await {
            Ok((l, e)) => {
                latencies.extend(l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_by(f64::total_cmp);
    Level {
        elapsed,
        latencies,
        errors,
    }
}
