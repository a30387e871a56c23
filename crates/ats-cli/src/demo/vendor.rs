//! The demo's vendor: an assessment service behind the gateway, written
//! the way a vendor in any language writes one (`docs/gateway.md`). It
//! checks each event's Standard Webhooks signature, answers from a small
//! catalogue (an order for a package it does not sell is rejected), and a
//! moment after accepting an order reports a completed result through the
//! gateway's REST API.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::simulate::Api;

/// The package every demo order asks for.
pub const PACKAGE: &str = "pkg-rust-senior";
/// A package the vendor does not sell: the demo's rejected orders ask for it.
pub const UNKNOWN_PACKAGE: &str = "pkg-cobol-legacy";

/// How the vendor's note of a rejection begins.
const REJECTED: &str = "rejected an order for ";
/// How the vendor's note of a cancellation ends.
const CANCELLED: &str = " cancelled: no result will follow";

/// How long grading takes before the result is reported.
const GRADING_MS: u64 = 100;

/// What the vendor sells.
pub fn catalogue() -> Value {
    json!([
        {"id": PACKAGE, "name": "Rust (senior)", "kind": "coding",
         "description": "A 90-minute take-home in Rust"},
        {"id": "6f0d3c1e-8a52-4c1b-9b8e-2f4a7d9e1c01", "name": "SQL basics", "kind": "skills"}
    ])
}

/// The running vendor: what it was sent, and its task.
pub struct DemoVendor {
    state: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    webhook: standardwebhooks::Webhook,
    api: Api,
    http: reqwest::Client,
    /// One line per event (provider, what), in order of arrival.
    seen: Mutex<Vec<(String, String)>>,
    /// Orders cancelled before they were graded: no result goes back.
    cancelled: Mutex<std::collections::BTreeSet<String>>,
}

impl Drop for DemoVendor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DemoVendor {
    /// Serves `POST /events` on `listener`, checking signatures with
    /// `signing_secret` (`whsec_…`) and reporting results to `api`.
    pub fn start(
        listener: tokio::net::TcpListener,
        signing_secret: &str,
        api: Api,
    ) -> Result<Self, String> {
        let webhook = standardwebhooks::Webhook::new(signing_secret)
            .map_err(|e| format!("the vendor's signing secret: {e:?}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let state = Arc::new(Shared {
            webhook,
            api,
            http,
            seen: Mutex::new(Vec::new()),
            cancelled: Mutex::new(std::collections::BTreeSet::new()),
        });
        let router = axum::Router::new()
            .route("/events", axum::routing::post(event))
            .with_state(state.clone());
        // stopping early shows as events the gateway could not deliver
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { state, task })
    }

    /// How many cancellations of `provider`'s orders the vendor was told of.
    pub fn cancellations(&self, provider: &str) -> usize {
        self.count(provider, |line| line.ends_with(CANCELLED))
    }

    /// How many of `provider`'s orders the vendor rejected.
    pub fn rejections(&self, provider: &str) -> usize {
        self.count(provider, |line| line.starts_with(REJECTED))
    }

    fn count(&self, provider: &str, matches: impl Fn(&str) -> bool) -> usize {
        self.state
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(p, line)| p == provider && matches(line))
            .count()
    }

    /// What `provider`'s events made the vendor do since the last call,
    /// one line each.
    pub fn take_seen(&self, provider: &str) -> Vec<String> {
        let mut seen = self
            .state
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (mine, others) = std::mem::take(&mut *seen)
            .into_iter()
            .partition(|(p, _)| p == provider);
        *seen = others;
        mine.into_iter().map(|(_, line)| line).collect()
    }
}

async fn event(State(vendor): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if vendor.webhook.verify(&body, &headers).is_err() {
        vendor.note(
            "?",
            "refused an event whose signature did not verify".into(),
        );
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    axum::Json(vendor.answer(&event)).into_response()
}

impl Shared {
    fn note(&self, provider: &str, line: String) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((provider.to_owned(), line));
    }

    fn answer(self: &Arc<Self>, event: &Value) -> Value {
        let kind = event["type"].as_str().unwrap_or_default();
        let provider = provider_of(event);
        match kind {
            "packages_requested" => {
                self.note(provider, "asked for the package list".into());
                json!({"type": "packages", "packages": catalogue()})
            }
            "order_received" => self.order(event),
            "status_requested" => json!({"type": "status", "status": "invited"}),
            "order_cancelled" => {
                let id = event["order"]["vendor_assessment_id"]
                    .as_str()
                    .unwrap_or("?");
                self.note(provider, format!("order {id}{CANCELLED}"));
                self.cancelled
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id.to_owned());
                json!({"type": "acknowledged"})
            }
            other => {
                self.note(provider, other.replace('_', " "));
                json!({"type": "acknowledged"})
            }
        }
    }

    fn order(self: &Arc<Self>, event: &Value) -> Value {
        let package = event["package_id"].as_str().unwrap_or_default();
        let provider = provider_of(event);
        let known = catalogue()
            .as_array()
            .is_some_and(|l| l.iter().any(|p| p["id"] == package));
        if !known {
            self.note(provider, format!("{REJECTED}{package} (not sold)"));
            return json!({"type": "rejected", "reason": "unknown_package",
                "message": format!("No test called {package}.")});
        }
        // asynchronous providers: the gateway minted the id and sent it
        let id = event["gateway"]["vendor_assessment_id"]
            .as_str()
            .map_or_else(
                || format!("demo-{:012x}", fastrand::u64(..) >> 16),
                str::to_owned,
            );
        self.note(provider, format!("accepted an order for {package} as {id}"));
        let this = self.clone();
        let (reported, provider) = (id.clone(), provider.to_owned());
        tokio::spawn(async move { this.report(&provider, &reported).await });
        json!({"type": "accepted", "vendor_assessment_id": id,
            "candidate_url": format!("https://quiz.example.com/take/{id}")})
    }

    /// Reports a completed result for `id` through the REST API, trying
    /// again while the gateway has not stored the order yet (it stores a
    /// synchronous order once the provider has its answer).
    async fn report(&self, provider: &str, id: &str) {
        let url = format!(
            "{}/api/v1/orders/{id}/result",
            self.api.url.trim_end_matches('/')
        );
        let result = json!({
            "status": "completed", "score": {"value": 81, "max": 100}, "passed": true,
            "report_url": format!("https://quiz.example.com/reports/{id}"),
            "summary": "Strong on ownership; async needs practice.",
            "completed_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
        for attempt in 0..40 {
            // grading takes a moment; a cancellation may come first
            tokio::time::sleep(Duration::from_millis(if attempt == 0 {
                GRADING_MS
            } else {
                250
            }))
            .await;
            if self
                .cancelled
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(id)
            {
                return;
            }
            match self
                .http
                .post(&url)
                .bearer_auth(&self.api.key)
                .header("content-type", "application/json")
                .body(result.to_string())
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    self.note(
                        provider,
                        format!("reported {id}: HTTP {}", r.status().as_u16()),
                    );
                    return;
                }
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => {}
                Ok(r) => {
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap_or_default();
                    self.note(
                        provider,
                        format!("could not report {id}: HTTP {status} {text}"),
                    );
                    return;
                }
                Err(e) => self.note(provider, format!("could not report {id} yet: {e}")),
            }
        }
        self.note(
            provider,
            format!("gave up reporting {id}: the gateway never knew it"),
        );
    }
}

/// The provider an event came from: its `provider`, or its order's.
fn provider_of(event: &Value) -> &str {
    event["provider"]
        .as_str()
        .or_else(|| {
            event
                .as_object()?
                .values()
                .find_map(|v| v.get("provider")?.as_str())
        })
        .unwrap_or("?")
}
