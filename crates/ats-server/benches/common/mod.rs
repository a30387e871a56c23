//! What the load benches share: a server on a loopback port and a
//! directory removed at the end.

use std::error::Error;
use std::path::PathBuf;

use axum::Router;
use tokio::task::JoinHandle;

pub type BoxError = Box<dyn Error + Send + Sync>;

/// A router served on a loopback port until dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on a free loopback port.
pub async fn serve(router: Router) -> Result<Server, BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        // `ATS_LOAD_ACCEPT=serve_router`: the accept loop `ats_server::serve`
        // uses (header timeout, HTTP/1.1 only) instead of `axum::serve`
        if std::env::var("ATS_LOAD_ACCEPT").is_ok_and(|v| v == "serve_router") {
            let limits = ats_server::ConnectionLimits::default();
            ats_server::serve_router(listener, router, limits, std::future::pending()).await;
        } else if let Err(e) = axum::serve(listener, router).await {
            eprintln!("bench: server stopped: {e}");
        }
    });
    Ok(Server {
        base: format!("http://{addr}"),
        task,
    })
}

/// A new directory under the system's temporary one, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `<tmp>/<prefix>-<pid>-<nanos>`.
    pub fn new(prefix: &str) -> Result<Self, BoxError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("bench: could not remove {}: {e}", self.0.display());
        }
    }
}

/// Calls per second: `calls` answered in `elapsed`.
pub fn rate(calls: usize, elapsed: std::time::Duration) -> f64 {
    calls as f64 / elapsed.as_secs_f64()
}

/// Nearest-rank percentile `q` (0–1) of `sorted`; NaN when it is empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
