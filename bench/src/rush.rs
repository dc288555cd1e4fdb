//! The event rush: phones polling the feed, orders arriving at a steady rate, two bar
//! tablets working the queue with optimistic concurrency. Every task stops by a deadline.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::time::MissedTickBehavior;

use crate::Target;
use crate::load::{Outcome, Recorder, Summary, exchange, expect, round3};

pub const PHONES: usize = 1_000;
pub const POLL_EVERY: Duration = Duration::from_secs(2);
pub const ORDERS_PER_SECOND: u64 = 10;
pub const TABLETS: usize = 2;
/// A tablet's pause between two taps.
const TAP_PAUSE: Duration = Duration::from_millis(20);
/// Orders a tablet advances from one queue fetch before it fetches again.
const TAPS_PER_FETCH: usize = 10;

#[derive(Debug, Default, Clone, Serialize)]
pub struct RushResult {
    pub seconds: f64,
    pub phones: usize,
    pub poll_every_s: f64,
    pub orders_per_second: u64,
    pub tablets: usize,
    /// Per endpoint: latencies and outcomes (`expected` = 409 version conflicts).
    pub endpoints: BTreeMap<String, Summary>,
    pub feed_200: u64,
    pub feed_304: u64,
    pub feed_events_received: u64,
    pub status_changes: u64,
    pub version_conflicts: u64,
    /// PATCH answered 405: the build has no bar status endpoint yet.
    pub patch_not_implemented: bool,
    /// Every error, all endpoints.
    pub errors: u64,
}

const FEED: &str = "GET /api/feed";
const PLACE: &str = "POST /api/orders";
const QUEUE: &str = "GET /api/queue";
const PATCH: &str = "PATCH /api/orders/{id}";

pub async fn run(t: Arc<Target>, duration: Duration) -> anyhow::Result<RushResult> {
    let start_cursor = {
        let answer = exchange(t.http.get(t.url("/api/feed")))
            .await
            .map_err(|e| anyhow::anyhow!("GET /api/feed: {e}"))?;
        answer
            .json()
            .and_then(|v| v["next"].as_str().map(str::to_string))
            .ok_or_else(|| anyhow::anyhow!("GET /api/feed has no next"))?
    };
    let start = Instant::now();
    let deadline = start + duration;
    let counters = Arc::new(Counters::default());

    let mut phones = Vec::with_capacity(PHONES);
    for i in 0..PHONES {
        let offset = POLL_EVERY.mul_f64(i as f64 / PHONES as f64);
        phones.push(tokio::spawn(phone(
            t.clone(),
            start_cursor.clone(),
            start + offset,
            deadline,
            counters.clone(),
        )));
    }
    let orders = tokio::spawn(orders(t.clone(), start, deadline));
    let mut tablets = Vec::new();
    for k in 0..TABLETS {
        tablets.push(tokio::spawn(tablet(
            t.clone(),
            k,
            deadline,
            counters.clone(),
        )));
    }

    let mut by_endpoint: BTreeMap<&str, Recorder> = BTreeMap::new();
    for p in phones {
        if let Ok(r) = p.await {
            by_endpoint.entry(FEED).or_default().merge(r);
        }
    }
    if let Ok(r) = orders.await {
        by_endpoint.entry(PLACE).or_default().merge(r);
    }
    for tab in tablets {
        if let Ok((queue, patch)) = tab.await {
            by_endpoint.entry(QUEUE).or_default().merge(queue);
            by_endpoint.entry(PATCH).or_default().merge(patch);
        }
    }
    let endpoints: BTreeMap<String, Summary> = by_endpoint
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.summary()))
        .collect();
    let errors = endpoints.values().map(|s| s.errors).sum();
    let c = &counters;
    Ok(RushResult {
        seconds: round3(start.elapsed().as_secs_f64()),
        phones: PHONES,
        poll_every_s: POLL_EVERY.as_secs_f64(),
        orders_per_second: ORDERS_PER_SECOND,
        tablets: TABLETS,
        endpoints,
        feed_200: c.feed_200.load(Ordering::Relaxed),
        feed_304: c.feed_304.load(Ordering::Relaxed),
        feed_events_received: c.events.load(Ordering::Relaxed),
        status_changes: c.changes.load(Ordering::Relaxed),
        version_conflicts: c.conflicts.load(Ordering::Relaxed),
        patch_not_implemented: c.patch_405.load(Ordering::Relaxed),
        errors,
    })
}

#[derive(Default)]
struct Counters {
    feed_200: AtomicU64,
    feed_304: AtomicU64,
    events: AtomicU64,
    changes: AtomicU64,
    conflicts: AtomicU64,
    patch_405: AtomicBool,
}

/// One phone: polls every 2 s from its own start offset, keeps its cursor.
async fn phone(
    t: Arc<Target>,
    mut cursor: String,
    first: Instant,
    deadline: Instant,
    counters: Arc<Counters>,
) -> Recorder {
    let mut recorder = Recorder::default();
    let mut ticks = tokio::time::interval_at(first.into(), POLL_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let max_polls = (deadline.saturating_duration_since(first).as_secs_f64()
        / POLL_EVERY.as_secs_f64())
    .ceil() as usize
        + 1;
    for _ in 0..max_polls {
        ticks.tick().await;
        let t0 = Instant::now();
        if t0 >= deadline {
            break;
        }
        let answer = exchange(
            t.http
                .get(t.url(&format!("/api/feed?after={cursor}")))
                .header("if-none-match", format!("\"{cursor}\"")),
        )
        .await;
        let outcome = match &answer {
            Ok(a) if a.status == 304 => {
                counters.feed_304.fetch_add(1, Ordering::Relaxed);
                Outcome::Ok
            }
            Ok(a) if a.status == 200 => match a.json() {
                Some(page) => {
                    counters.feed_200.fetch_add(1, Ordering::Relaxed);
                    let n = page["events"].as_array().map_or(0, Vec::len) as u64;
                    counters.events.fetch_add(n, Ordering::Relaxed);
                    if let Some(next) = page["next"].as_str() {
                        cursor = next.to_string();
                    }
                    Outcome::Ok
                }
                None => Outcome::Error("feed 200 without JSON".into()),
            },
            other => expect(other, 200),
        };
        recorder.record(t0.elapsed(), &outcome);
    }
    recorder
}

/// Orders arrive at a steady rate, each from a new visitor, whatever the latency (open
/// loop): every arrival is its own task.
async fn orders(t: Arc<Target>, start: Instant, deadline: Instant) -> Recorder {
    let every = Duration::from_millis(1000 / ORDERS_PER_SECOND);
    let mut ticks = tokio::time::interval_at(start.into(), every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let max =
        (deadline.saturating_duration_since(start).as_millis() / every.as_millis()) as usize + 1;
    let mut inflight = Vec::with_capacity(max);
    for n in 0..max {
        ticks.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let t = t.clone();
        inflight.push(tokio::spawn(async move {
            let drink = ["espresso", "cappuccino", "tea", "water", "fruit-juice"][n % 5];
            let body = serde_json::json!({
                "visitor_id": uuid::Uuid::new_v4().to_string(),
                "nickname": format!("rush {n}"),
                "drink": drink,
                "request_id": uuid::Uuid::new_v4().to_string(),
            });
            let t0 = Instant::now();
            let answer = exchange(
                t.http
                    .post(t.url("/api/orders"))
                    .header("content-type", "application/json")
                    .body(body.to_string()),
            )
            .await;
            (t0.elapsed(), expect(&answer, 201))
        }));
    }
    let mut recorder = Recorder::default();
    for task in inflight {
        if let Ok((latency, outcome)) = task.await {
            recorder.record(latency, &outcome);
        }
    }
    recorder
}

fn next_status(status: &str) -> Option<&'static str> {
    match status {
        "placed" => Some("preparing"),
        "preparing" => Some("ready"),
        "ready" => Some("served"),
        _ => None,
    }
}

/// A bar tablet: fetch the queue, advance orders one step each with the version it saw;
/// a 409 version conflict (the other tablet was faster) means: fetch again. Tablet 0
/// works from the oldest order, tablet 1 from the newest, so they meet in the middle.
async fn tablet(
    t: Arc<Target>,
    k: usize,
    deadline: Instant,
    counters: Arc<Counters>,
) -> (Recorder, Recorder) {
    let mut queue_rec = Recorder::default();
    let mut patch_rec = Recorder::default();
    // Bounded: every iteration takes at least one request or a pause.
    for _ in 0..100_000 {
        if Instant::now() >= deadline {
            break;
        }
        let t0 = Instant::now();
        let answer = exchange(t.http.get(t.url("/api/queue")).bearer_auth(&t.bar_token)).await;
        let outcome = expect(&answer, 200);
        queue_rec.record(t0.elapsed(), &outcome);
        let mut orders: Vec<(i64, String, i64)> = answer
            .ok()
            .and_then(|a| a.json())
            .and_then(|v| v["orders"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|o| {
                Some((
                    o["id"].as_i64()?,
                    o["status"].as_str()?.to_string(),
                    o["version"].as_i64()?,
                ))
            })
            .collect();
        if k % 2 == 1 {
            orders.reverse();
        }
        if orders.is_empty() || counters.patch_405.load(Ordering::Relaxed) {
            // Nothing to do (or nothing we can do): look again in a moment.
            tokio::time::sleep(if orders.is_empty() {
                Duration::from_millis(100)
            } else {
                Duration::from_secs(1)
            })
            .await;
            continue;
        }
        for (id, status, version) in orders.into_iter().take(TAPS_PER_FETCH) {
            if Instant::now() >= deadline {
                break;
            }
            let Some(next) = next_status(&status) else {
                continue;
            };
            let t0 = Instant::now();
            let answer = exchange(
                t.http
                    .patch(t.url(&format!("/api/orders/{id}")))
                    .bearer_auth(&t.bar_token)
                    .header("content-type", "application/json")
                    .body(serde_json::json!({"status": next, "version": version}).to_string()),
            )
            .await;
            let latency = t0.elapsed();
            let (outcome, refetch) = match &answer {
                Ok(a) if a.status == 200 => {
                    counters.changes.fetch_add(1, Ordering::Relaxed);
                    (Outcome::Ok, false)
                }
                Ok(a) if a.status == 409 => {
                    let kind = a
                        .json()
                        .and_then(|v| v["type"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    if kind.ends_with("version-conflict") {
                        counters.conflicts.fetch_add(1, Ordering::Relaxed);
                        (Outcome::Expected, true)
                    } else {
                        (Outcome::Error(format!("HTTP 409 {kind}")), true)
                    }
                }
                Ok(a) if a.status == 405 => {
                    counters.patch_405.store(true, Ordering::Relaxed);
                    (Outcome::Error("HTTP 405 (no PATCH endpoint)".into()), true)
                }
                other => (expect(other, 200), true),
            };
            patch_rec.record(latency, &outcome);
            tokio::time::sleep(TAP_PAUSE).await;
            if refetch {
                break;
            }
        }
    }
    (queue_rec, patch_rec)
}
