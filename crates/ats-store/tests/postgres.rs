//! The store suite on PostgreSQL: each test in a fresh schema of the
//! database named by `ATS_TEST_POSTGRES_URL` (`scripts/test.sh` starts a
//! server and sets it). Without the variable these tests fail, unless
//! `ATS_SKIP_POSTGRES=1` says to skip them.

mod suite;

use sqlx::Connection;
use suite::Db;

async fn fresh() -> Option<Db> {
    let Ok(base) = std::env::var("ATS_TEST_POSTGRES_URL") else {
        if std::env::var("ATS_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("PostgreSQL suite skipped (ATS_SKIP_POSTGRES=1)");
            return None;
        }
        panic!(
            "ATS_TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh, \
             or set ATS_SKIP_POSTGRES=1 to skip the PostgreSQL suite"
        );
    };
    let schema = format!(
        "t_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {base}: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create schema {schema}: {e}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(Db {
        url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
    })
}

store_suite!(fresh);
