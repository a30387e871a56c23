//! How fast every registered adapter translates, as ratios to a plain parse
//! of the same bytes measured in the same run (so the machine cancels out).
//!
//! For each adapter, on the order its demo plays and the result it writes
//! back (its recorded fixtures):
//!
//! * **a** — `serde_json::from_slice::<IgnoredAny>`: every byte read and
//!   checked, nothing kept. The floor of any JSON translation.
//! * **w** — `serde_json::from_slice` into the adapter's own wire struct:
//!   the typed parse every translation starts from (only the fields the
//!   adapter reads, the rest skipped). The floor a translation is held to.
//! * **b** — `serde_json::from_slice::<Value>`: the payload as a tree.
//! * **c** — the adapter's `translate`: the body to a core event (pure: no
//!   credential check, no I/O).
//! * **e** — the whole call through `serve::handle`: authentication
//!   (keys, signatures), routing, translation, a scripted vendor's answer
//!   and the rendered response, on a current-thread runtime. Left out
//!   (`–`) where the call cannot be repeated without I/O: an adapter that
//!   fetches the order's details from the provider first, or a replay guard
//!   that refuses the second copy of a signed delivery.
//! * **d** — the adapter's `prepare` of the result: a core result to the
//!   exact request it sends (pure).
//!
//! `cargo bench -p ats-server --bench translate` prints one table (median of
//! 15 batches of at least 20 ms each), ready for `docs/benchmarks.md`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use ats_testkit::FixtureFile;

/// The typed parse the demo order's translation starts from: the body into
/// the adapter's wire struct, and where that struct keeps a nested payload
/// as JSON text for a second reader (Lever's `data`, Knit's relayed
/// `originData`), that payload into its typed struct too.
fn wire_parse(adapter: &str) -> Option<fn(&[u8]) -> bool> {
    fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> bool {
        serde_json::from_slice::<T>(body).is_ok()
    }
    fn lever(body: &[u8]) -> bool {
        let Ok(envelope) = serde_json::from_slice::<ats_lever::wire::WebhookDelivery>(body) else {
            return false;
        };
        envelope
            .data
            .is_some_and(|d| parse::<ats_lever::wire::EventData>(d.get().as_bytes()))
    }
    fn knit(body: &[u8]) -> bool {
        let Ok(webhook) = serde_json::from_slice::<ats_knit::wire::Webhook>(body) else {
            return false;
        };
        webhook
            .event_data
            .and_then(|d| d.candidate_assessment)
            .and_then(|a| a.origin_data)
            .is_some_and(|o| parse::<ats_ashby::wire::StartRequest>(o.get().as_bytes()))
    }
    Some(match adapter {
        "greenhouse" => parse::<ats_greenhouse::wire::SendTestRequest>,
        "ashby" => parse::<ats_ashby::wire::StartRequest>,
        "lever" => lever,
        "workable" => parse::<ats_workable::wire::CreateAssessmentRequest>,
        "kombo" => parse::<ats_kombo::wire::OrderReceivedWebhook>,
        "stackone" => parse::<ats_stackone::wire::WebhookEnvelope>,
        "knit" => knit,
        "recruitee" => parse::<ats_recruitee::wire::SendCandidateRequest>,
        "teamtailor" => parse::<ats_teamtailor::wire::WebhookRequest>,
        "smartrecruiters" => parse::<ats_smartrecruiters::wire::OrderRequest>,
        "hibob" => parse::<ats_hibob::wire::WebhookDelivery>,
        _ => return None,
    })
}

/// Median time of one call of `f`, in nanoseconds.
fn time(mut f: impl FnMut()) -> f64 {
    // how many calls make a batch of at least 20 ms
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        if t.elapsed() >= Duration::from_millis(20) {
            break;
        }
        n *= 2;
    }
    let mut batches: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[batches.len() / 2]
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let dir = ats_testkit::fixtures_dir();
    println!(
        "| adapter | body | a: parse, keep nothing | w: parse to wire struct | b: parse to Value | c: translate | c / w | c / a | c / b | e: serve::handle | e / w | d: prepare result |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for r in ats_server::registrations() {
        if !filter.is_empty() && !filter.iter().any(|f| r.name.contains(f.as_str())) {
            continue;
        }
        let Some(demo) = r.demo else { continue };
        let server = "http://127.0.0.1:9";
        let adapter = (r.recorded)(server).unwrap();
        let order = FixtureFile::read(dir.join(r.name).join(demo.order))
            .unwrap()
            .parse(server)
            .unwrap();
        let request = order.inbound_request().unwrap();
        let operation = adapter.route(&request).unwrap();
        adapter.translate(operation, &request).unwrap();
        let body = request.body.clone();
        let a = time(|| {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&body)).unwrap());
        });
        let wire = wire_parse(r.name).expect("every adapter names its wire struct");
        assert!(
            wire(&body),
            "{}: the wire struct reads the demo order",
            r.name
        );
        let w = time(|| {
            black_box(wire(black_box(&body)));
        });
        let b = time(|| {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap());
        });
        let c = time(|| {
            black_box(adapter.translate(operation, black_box(&request)).unwrap());
        });
        let vendor = ats_testkit::ScriptedVendor::new(
            order
                .reply
                .clone()
                .unwrap_or(ats_core::VendorReply::Acknowledged),
        );
        let handle = || {
            rt.block_on(ats_core::serve::handle(
                adapter.as_ref(),
                &vendor,
                black_box(&request),
            ))
            .response
        };
        let first = handle();
        let repeatable = order
            .response
            .as_ref()
            .is_some_and(|want| want.check(&first).is_ok())
            && handle() == first;
        let (e, e_w) = if repeatable {
            let e = time(|| {
                black_box(handle());
            });
            (format!("{:.2} µs", e / 1000.0), format!("{:.2}×", e / w))
        } else {
            ("–".to_owned(), "–".to_owned())
        };
        let result = FixtureFile::read(dir.join(r.name).join(demo.result))
            .unwrap()
            .parse(server)
            .unwrap();
        let call = result.call.unwrap();
        let d = match adapter.prepare(&call) {
            Ok(_) => format!(
                "{:.2} µs",
                time(|| {
                    black_box(adapter.prepare(black_box(&call)).unwrap());
                }) / 1000.0
            ),
            // a write that needs I/O before its request exists (a token)
            Err(e) => format!("– ({:?})", e.kind()),
        };
        println!(
            "| {} | {} B | {:.2} µs | {:.2} µs | {:.2} µs | {:.2} µs | {:.2}× | {:.1}× | {:.1}× | {e} | {e_w} | {d} |",
            r.name,
            body.len(),
            a / 1000.0,
            w / 1000.0,
            b / 1000.0,
            c / 1000.0,
            c / w,
            c / a,
            c / b
        );
    }
}
