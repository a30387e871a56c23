//! `ats outbox`: the results a running service writes back to providers,
//! read from its database, and dead ones put back in the queue by hand.

use ats_store::{ItemState, OutboxFilter, OutboxItem, Store};
use serde::Serialize;

use crate::log::{aligned, cell, with_store};

/// What `ats outbox` was asked.
pub struct OutboxArgs {
    pub database: String,
    pub state: Option<String>,
    pub limit: u32,
    pub json: bool,
    pub retry: Vec<i64>,
}

/// One item with the order it belongs to, as printed.
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

pub fn run(args: OutboxArgs) -> Result<(), String> {
    if !args.retry.is_empty() {
        return retry(&args.database, &args.retry);
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
    let (counts, rows) = with_store(&args.database, async |store| {
        let counts = store.outbox_counts().await.map_err(|e| e.to_string())?;
        let items = store
            .outbox_items(&OutboxFilter {
                state,
                limit: Some(args.limit),
                ..OutboxFilter::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok((counts, rows(store, items).await?))
    })?;
    if args.json {
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", table(&counts, &rows));
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
fn retry(database: &str, ids: &[i64]) -> Result<(), String> {
    let refused = with_store(database, async |store| {
        let mut refused = Vec::new();
        for &id in ids {
            if store.retry_dead(id).await.map_err(|e| e.to_string())? {
                println!("item {id}: back in the queue, due now (the service's workers send it)");
                continue;
            }
            refused.push(
                match store.outbox_item(id).await.map_err(|e| e.to_string())? {
                    Some(item) => format!(
                        "item {id} is {}, not dead: only a dead item is retried",
                        item.state.as_str()
                    ),
                    None => format!("no outbox item {id}"),
                },
            );
        }
        Ok(refused)
    })?;
    if refused.is_empty() {
        Ok(())
    } else {
        Err(refused.join("; "))
    }
}

/// The counts by state, then the items as an aligned table, oldest first.
pub fn table(counts: &[(ItemState, u64)], rows: &[Row]) -> String {
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
    let mut out = format!("outbox: {}\n", summary.join(", "));
    let header = [
        "id",
        "enqueued",
        "provider",
        "tenant",
        "order",
        "result",
        "state",
        "tries",
        "due",
        "http",
        "last error",
    ];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    for r in rows.iter().rev() {
        let i = &r.item;
        let waiting = matches!(i.state, ItemState::Pending | ItemState::Delivering);
        lines.push(vec![
            i.id.to_string(),
            i.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            cell(r.provider.as_deref()).to_owned(),
            cell(r.tenant.as_deref()).to_owned(),
            cell(r.order.as_deref()).to_owned(),
            i.result.status.to_string(),
            i.state.as_str().to_owned(),
            i.attempts.to_string(),
            if waiting {
                i.next_attempt_at.format("%Y-%m-%d %H:%M:%S").to_string()
            } else {
                "-".to_owned()
            },
            i.last_http_status
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
            cell(i.last_error.as_deref()).to_owned(),
        ]);
    }
    out.push_str(&aligned(&lines));
    if rows.is_empty() {
        out.push_str("(no item matches)\n");
    }
    out
}
