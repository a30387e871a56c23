//! `ats log`: the activity log of a running service, read from its database.

use std::io::IsTerminal as _;
use std::time::Duration;

use ats_store::{Activity, ActivityQuery, Flow, KeyRing, Store};
use chrono::{DateTime, Utc};

/// What `ats log` was asked.
#[derive(clap::Args, Debug)]
pub struct LogArgs {
    /// The service's database.
    #[arg(long, env = "ATS_DATABASE_URL", default_value = ats_store::DEFAULT_DATABASE_URL)]
    pub database: String,
    /// Only this tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Only this order (vendor assessment id, else provider order id).
    #[arg(long)]
    pub order: Option<String>,
    /// Only this provider.
    #[arg(long)]
    pub provider: Option<String>,
    /// Only failures.
    #[arg(long)]
    pub errors: bool,
    /// Only since then: 30s, 15m, 1h, 2d or an RFC 3339 time.
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many rows (the newest).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `30s`, `15m`, `1h`, `2d`, or an RFC 3339 time.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let bad = || format!("--since `{text}`: expected e.g. 30s, 15m, 1h, 2d or an RFC 3339 time");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(bad()),
    };
    let back = chrono::Duration::from_std(Duration::from_secs(secs)).map_err(|_| bad())?;
    now.checked_sub_signed(back).ok_or_else(bad)
}

/// How long `ats log` and `ats outbox` wait for a database that does not
/// answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `work` on the store of a running service at `database`, as one
/// more client of it: no migrations, and a throw-away key ring, since
/// neither the activity log nor the outbox holds a secret. A SQLite file
/// that does not exist is an error rather than a new empty database; a
/// database without the service's schema is named as such.
pub fn with_store<T>(
    database: &str,
    work: impl AsyncFnOnce(&Store) -> Result<T, String>,
) -> Result<T, String> {
    if let Some(path) = database.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        if !std::path::Path::new(file).exists() {
            return Err(format!(
                "no database at {file} (--database or ATS_DATABASE_URL)"
            ));
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async {
        let connect = Store::builder()
            .with_url(database)
            .with_key_ring(KeyRing::ephemeral())
            .with_migrations(false)
            .with_acquire_timeout(CONNECT_TIMEOUT)
            .build();
        tokio::pin!(connect);
        // a database that does not answer at once: say what is awaited
        let store = tokio::select! {
            built = &mut connect => built,
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                if std::io::stderr().is_terminal() {
                    eprintln!(
                        "connecting to {} (for up to {} s)…",
                        ats_store::redact_url(database),
                        CONNECT_TIMEOUT.as_secs()
                    );
                }
                connect.await
            }
        }
        .map_err(|e| e.to_string())?;
        let mut done = work(&store).await;
        if let Err(e) = &done {
            // a database without the service's tables: say so, not only
            // which table is missing
            if store.ready().await.is_err() {
                done = Err(format!(
                    "{} is not the database of a running runtime or gateway: {e}",
                    ats_store::redact_url(database)
                ));
            }
        }
        store.close().await;
        done
    })
}

pub fn run(args: LogArgs) -> Result<(), String> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, Utc::now()))
        .transpose()?;
    let rows = with_store(&args.database, async |store| {
        store
            .activity(&ActivityQuery {
                tenant: args.tenant,
                order_id: args.order,
                provider: args.provider,
                errors_only: args.errors,
                since,
                limit: Some(args.limit),
            })
            .await
            .map_err(|e| e.to_string())
    })?;
    if args.json {
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", table(&rows));
    }
    Ok(())
}

pub fn cell(v: Option<&str>) -> &str {
    v.filter(|s| !s.is_empty()).unwrap_or("-")
}

/// Lines of cells as text: each column as wide as its widest cell, two
/// spaces apart, the last column as it is.
pub fn aligned(lines: &[Vec<String>]) -> String {
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            lines
                .iter()
                .filter_map(|l| l.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in lines {
        let mut cells = Vec::new();
        for (i, c) in line.iter().enumerate() {
            if i + 1 == line.len() {
                cells.push(c.clone());
            } else {
                cells.push(format!("{c:<w$}", w = widths[i]));
            }
        }
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The rows as an aligned table, oldest first.
pub fn table(rows: &[Activity]) -> String {
    let header = [
        "time",
        "dir",
        "provider",
        "tenant",
        "operation",
        "order",
        "http",
        "try",
        "ms",
        "outcome",
    ];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    for a in rows.iter().rev() {
        let outcome = if a.ok {
            format!(
                "ok{}",
                a.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )
        } else {
            format!(
                "{}: {}",
                cell(a.error_kind.as_deref()),
                cell(a.message.as_deref())
            )
        };
        lines.push(vec![
            a.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            match a.direction {
                Flow::Inbound => "in".to_owned(),
                Flow::Outbound => "out".to_owned(),
            },
            a.provider.clone(),
            cell(a.tenant.as_deref()).to_owned(),
            a.operation.clone(),
            cell(a.order_id.as_deref()).to_owned(),
            a.http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            a.attempt
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            a.duration_ms.to_string(),
            outcome,
        ]);
    }
    let mut out = aligned(&lines);
    if rows.is_empty() {
        out.push_str("(no activity matches)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_and_times() {
        let now: DateTime<Utc> = "2026-12-02T12:00:00Z".parse().unwrap_or_default();
        assert_eq!(
            parse_since("1h", now).ok(),
            "2026-12-02T11:00:00Z".parse().ok()
        );
        assert_eq!(
            parse_since("2d", now).ok(),
            "2026-11-30T12:00:00Z".parse().ok()
        );
        assert_eq!(
            parse_since("2026-12-01T00:00:00+01:00", now).ok(),
            "2026-11-30T23:00:00Z".parse().ok()
        );
        for bad in ["", "h", "1y", "-1h", "1.5h"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }
}
