//! The store suite on SQLite: each test on a fresh database file.

mod suite;

use suite::Db;

async fn fresh() -> Option<Db> {
    let dir = std::env::temp_dir().join("ats-store-tests");
    std::fs::create_dir_all(&dir).ok()?;
    let file = dir.join(format!("{}-{}.db", std::process::id(), fastrand_name()));
    Some(Db {
        url: format!("sqlite://{}", file.display()),
    })
}

fn fastrand_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{nanos}-{}", N.fetch_add(1, Ordering::SeqCst))
}

store_suite!(fresh);
