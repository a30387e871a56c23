//! [`Script`]: statements written together, run one by one in the caller's
//! transaction, or on SQLite as one command with its own transaction.
//!
//! sqlx hands each statement to SQLite's connection thread and waits for
//! the answer: a trip between threads per statement, which costs more than
//! the statement itself (measured in `docs/benchmarks.md`). SQLite runs a
//! string of several statements in one trip, each bound from one list of
//! numbered parameters, so a script is sent as
//! `BEGIN IMMEDIATE; …; COMMIT` with every statement's `$n` shifted past the
//! ones before it. PostgreSQL prepares one statement at a time, so there
//! the statements go one by one.
//!
//! Statements that return rows name their kind in a first column, `kind`,
//! so that the rows of a script can be told apart.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Executor};

use crate::error::StoreError;

/// A value bound to a numbered parameter.
#[derive(Clone, Debug)]
pub(crate) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Vec<u8>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}

impl From<Vec<u8>> for Param {
    fn from(v: Vec<u8>) -> Self {
        Self::Bytes(v)
    }
}

/// Statements with their parameters, each numbered from `$1`.
#[derive(Debug, Default)]
pub(crate) struct Script {
    statements: Vec<(String, Vec<Param>)>,
}

impl Script {
    /// Appends a statement (`$1`… are `params`, in order).
    pub(crate) fn push(&mut self, sql: String, params: Vec<Param>) {
        self.statements.push((sql, params));
    }

    /// Runs the statements one by one on `conn` (inside the caller's
    /// transaction). Returns every row they returned.
    pub(crate) async fn run(&self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, StoreError> {
        let mut rows = Vec::new();
        for (sql, params) in &self.statements {
            let mut q = sqlx::query(sql);
            for p in params {
                q = bind(q, p);
            }
            rows.extend(q.fetch_all(&mut *conn).await?);
        }
        Ok(rows)
    }

    /// SQLite only: `BEGIN IMMEDIATE`, the statements and `COMMIT` as one
    /// command, so one trip to the connection's thread; rolled back if any
    /// statement fails. `conn` must not be inside a transaction. `cache`:
    /// whether to keep the prepared script (for a text that recurs).
    pub(crate) async fn run_in_one_trip(
        &self,
        conn: &mut AnyConnection,
        cache: bool,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let (sql, params) = self.joined();
        let mut q = sqlx::query(&sql).persistent(cache);
        for p in &params {
            q = bind(q, p);
        }
        match q.fetch_all(&mut *conn).await {
            Ok(rows) => Ok(rows),
            Err(e) => {
                // the statements after the failing one did not run, the
                // COMMIT included: end the transaction here (an error from
                // ROLLBACK means SQLite has already rolled back)
                let _ = conn.execute("ROLLBACK").await;
                Err(e.into())
            }
        }
    }

    /// Runs the script as one transaction on a connection from `pool`: in
    /// one trip (`one_trip`, SQLite) or statement by statement between
    /// `BEGIN` and `COMMIT`. `cache` as for
    /// [`run_in_one_trip`](Self::run_in_one_trip).
    pub(crate) async fn run_as_transaction(
        &self,
        pool: &AnyPool,
        one_trip: bool,
        cache: bool,
    ) -> Result<Vec<AnyRow>, StoreError> {
        if one_trip {
            let mut conn = pool.acquire().await?;
            self.run_in_one_trip(&mut conn, cache).await
        } else {
            let mut tx = pool.begin().await?;
            let rows = self.run(&mut tx).await?;
            tx.commit().await?;
            Ok(rows)
        }
    }

    /// The statements as one string inside a transaction, their parameters
    /// renumbered into one list.
    fn joined(&self) -> (String, Vec<&Param>) {
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let mut params = Vec::new();
        for (statement, own) in &self.statements {
            sql.push_str(&shift(statement, params.len()));
            sql.push_str(";\n");
            params.extend(own);
        }
        sql.push_str("COMMIT;");
        (sql, params)
    }
}

fn bind<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    p: &'q Param,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match p {
        Param::Int(v) => q.bind(*v),
        Param::Text(v) => q.bind(v.as_deref()),
        Param::Bytes(v) => q.bind(v.as_slice()),
    }
}

/// `sql` with every `$n` made `$(n + by)`. The store's statements have no
/// `$` anywhere else (no string literal holds one).
fn shift(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_past_the_statements_before() {
        assert_eq!(
            shift("VALUES ($1, $2), ($3, $10)", 4),
            "VALUES ($5, $6), ($7, $14)"
        );
        assert_eq!(shift("a = $1 AND b = $1", 0), "a = $1 AND b = $1");
        assert_eq!(shift("x $ y $z", 3), "x $ y $z");
        let mut s = Script::default();
        s.push(
            "INSERT INTO t VALUES ($1, $2)".into(),
            vec![1.into(), "a".into()],
        );
        s.push(
            "UPDATE t SET a = $1 WHERE b = $2 OR c = $2".into(),
            vec![2.into(), "b".into()],
        );
        let (sql, params) = s.joined();
        assert_eq!(
            sql,
            "BEGIN IMMEDIATE;\nINSERT INTO t VALUES ($1, $2);\n\
             UPDATE t SET a = $3 WHERE b = $4 OR c = $4;\nCOMMIT;"
        );
        assert_eq!(params.len(), 4);
    }
}
