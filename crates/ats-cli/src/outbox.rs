//! `ats outbox`: the results a running service writes back to providers
//! (or, with `--events`, the gateway's events for the vendor), read from its
//! database, and dead ones put back in the queue by hand.

use ats_store::{ItemState, OutboxFilter, OutboxItem, Store, VendorEvent};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::log::{aligned, cell, with_store};

/// What `ats outbox` was asked.
#[derive(clap::Args, Debug)]
pub struct OutboxArgs {
    /// The service's database.
    #[arg(long, env = "ATS_DATABASE_URL", default_value = ats_store::DEFAULT_DATABASE_URL)]
    pub database: String,
    /// The gateway's events for the vendor instead of the results for providers.
    #[arg(long)]
    pub events: bool,
    /// Only items in this state: pending, delivering, delivered, dead or superseded.
    #[arg(long)]
    pub state: Option<String>,
    /// At most this many items (the newest).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Put this dead item back in the queue (repeatable).
    #[arg(long, value_name = "ID", conflicts_with_all = ["state", "json"])]
    pub retry: Vec<i64>,
}

/// One result with the order it belongs to, as printed.
#[derive(Serialize)]
pub struct Row {
    /// The adapter the result goes out through.
    pub provider: Option<String>,
    /// The tenant.
    pub tenant: Option<String>,
    /// The order: the vendor's assessment id, else the provider's order id.
    pub order: Option<String>,
    /// The item.
    #[serde(flatten)]
    pub item: OutboxItem,
}

/// Which queue: results for providers, or the gateway's events for the vendor.
#[derive(Clone, Copy)]
enum Queue {
    Results,
    Events,
}

impl Queue {
    fn name(self) -> &'static str {
        match self {
            Self::Results => "outbox",
            Self::Events => "events",
        }
    }
}

pub fn run(args: OutboxArgs) -> Result<(), String> {
    let queue = if args.events {
        Queue::Events
    } else {
        Queue::Results
    };
    if !args.retry.is_empty() {
        return retry(&args.database, queue, &args.retry);
    }
    let state = match args.state.as_deref() {
        None => None,
        Some(name) => Some(
            ItemState::ALL
                .into_iter()
                .find(|s| s.as_str() == name)
                .ok_or_else(|| {
                    format!(
                        "--state `{name}`: expected pending, delivering, delivered, dead or superseded"
                    )
                })?,
        ),
    };
    let limit = args.limit;
    let (counts, lines, json) = with_store(&args.database, async |store| {
        let err = |e: ats_store::StoreError| e.to_string();
        Ok(match queue {
            Queue::Results => {
                let counts = store.outbox_counts().await.map_err(err)?;
                let filter = OutboxFilter {
                    state,
                    limit: Some(limit),
                    ..OutboxFilter::default()
                };
                let items = store.outbox_items(&filter).await.map_err(err)?;
                let rows = rows(store, items).await?;
                let lines = rows.iter().map(result_line).collect();
                (counts, lines, serde_json::to_string_pretty(&rows))
            }
            Queue::Events => {
                let counts = store.vendor_event_counts().await.map_err(err)?;
                let events = store.vendor_events_in(state, limit).await.map_err(err)?;
                let lines = events.iter().map(event_line).collect();
                (counts, lines, serde_json::to_string_pretty(&events))
            }
        })
    })?;
    if args.json {
        println!("{}", json.map_err(|e| e.to_string())?);
    } else {
        print!("{}", table(queue, &counts, lines));
    }
    Ok(())
}

async fn rows(store: &Store, items: Vec<OutboxItem>) -> Result<Vec<Row>, String> {
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let order = store
            .order(item.order_id)
            .await
            .map_err(|e| e.to_string())?;
        let handle = order.as_ref().map(|o| &o.handle);
        rows.push(Row {
            provider: handle.map(|h| h.provider.clone()),
            tenant: handle.and_then(|h| h.tenant.as_ref().map(|t| t.as_str().to_owned())),
            order: handle.and_then(|h| {
                h.vendor_assessment_id
                    .clone()
                    .or_else(|| h.provider_order_id.clone())
            }),
            item,
        });
    }
    Ok(rows)
}

/// Puts each dead item back in the queue; says which could not be.
fn retry(database: &str, queue: Queue, ids: &[i64]) -> Result<(), String> {
    let refused = with_store(database, async |store| {
        let err = |e: ats_store::StoreError| e.to_string();
        let mut refused = Vec::new();
        for &id in ids {
            let revived = match queue {
                Queue::Results => store.retry_dead(id).await,
                Queue::Events => store.retry_dead_event(id).await,
            };
            if revived.map_err(err)? {
                println!("item {id}: back in the queue, due now (the service's workers send it)");
                continue;
            }
            let state = match queue {
                Queue::Results => store.outbox_item(id).await.map(|i| i.map(|i| i.state)),
                Queue::Events => store.vendor_event(id).await.map(|e| e.map(|e| e.state)),
            };
            refused.push(match state.map_err(err)? {
                Some(state) => format!(
                    "item {id} is {}, not dead: only a dead item is retried",
                    state.as_str()
                ),
                None => match queue {
                    Queue::Results => format!("no outbox item {id}"),
                    Queue::Events => format!("no event {id}"),
                },
            });
        }
        Ok(refused)
    })?;
    if refused.is_empty() {
        Ok(())
    } else {
        Err(refused.join("; "))
    }
}

/// What a table line shows of an item of either queue.
struct Line {
    id: i64,
    at: DateTime<Utc>,
    provider: Option<String>,
    tenant: Option<String>,
    order: Option<String>,
    /// A result's status, or an event's kind.
    what: String,
    state: ItemState,
    attempts: u32,
    due: DateTime<Utc>,
    http: Option<u16>,
    error: Option<String>,
}

fn result_line(r: &Row) -> Line {
    let i = &r.item;
    Line {
        id: i.id,
        at: i.created_at,
        provider: r.provider.clone(),
        tenant: r.tenant.clone(),
        order: r.order.clone(),
        what: i.result.status.to_string(),
        state: i.state,
        attempts: i.attempts,
        due: i.next_attempt_at,
        http: i.last_http_status,
        error: i.last_error.clone(),
    }
}

fn event_line(e: &VendorEvent) -> Line {
    Line {
        id: e.id,
        at: e.created_at,
        provider: Some(e.provider.clone()),
        tenant: e.tenant.clone(),
        // stored as `v:<vendor id>` or `p:<provider id>`
        order: e
            .order_key
            .as_deref()
            .map(|k| k.get(2..).unwrap_or(k).to_owned()),
        what: e.kind.clone(),
        state: e.state,
        attempts: e.attempts,
        due: e.next_attempt_at,
        http: e.last_http_status,
        error: e.last_error.clone(),
    }
}

/// The counts by state, then the items as an aligned table, oldest first
/// (`items` come newest first).
fn table(queue: Queue, counts: &[(ItemState, u64)], items: Vec<Line>) -> String {
    let count = |state: ItemState| {
        counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    };
    let summary: Vec<String> = ItemState::ALL
        .into_iter()
        .map(|s| format!("{} {}", count(s), s.as_str()))
        .collect();
    let mut out = format!("{}: {}\n", queue.name(), summary.join(", "));
    let what = match queue {
        Queue::Results => "result",
        Queue::Events => "event",
    };
    let header = [
        "id",
        "enqueued",
        "provider",
        "tenant",
        "order",
        what,
        "state",
        "tries",
        "due",
        "http",
        "last error",
    ];
    let time = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    let empty = items.is_empty();
    for l in items.into_iter().rev() {
        let waiting = matches!(l.state, ItemState::Pending | ItemState::Delivering);
        lines.push(vec![
            l.id.to_string(),
            time(l.at),
            cell(l.provider.as_deref()).to_owned(),
            cell(l.tenant.as_deref()).to_owned(),
            cell(l.order.as_deref()).to_owned(),
            l.what,
            l.state.as_str().to_owned(),
            l.attempts.to_string(),
            if waiting { time(l.due) } else { "-".to_owned() },
            l.http.map_or_else(|| "-".to_owned(), |s| s.to_string()),
            cell(l.error.as_deref()).to_owned(),
        ]);
    }
    out.push_str(&aligned(&lines));
    if empty {
        out.push_str("(no item matches)\n");
    }
    out
}
