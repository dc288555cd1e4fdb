//! The load generator's core: closed-loop workers bounded in time and count, latency
//! recording, percentiles.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Upper bound on the iterations of one worker (the deadline normally ends it first).
const MAX_ITERATIONS: u64 = 10_000_000;

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The answer we wanted.
    Ok,
    /// An answer the scenario expects now and then (a 409 version conflict of the bar).
    Expected,
    /// Anything else; the text names it (status code, timeout, connection error).
    Error(String),
}

/// Latencies and outcomes of many requests.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    latencies_us: Vec<u64>,
    ok: u64,
    expected: u64,
    errors: BTreeMap<String, u64>,
}

impl Recorder {
    pub fn record(&mut self, latency: Duration, outcome: &Outcome) {
        self.latencies_us
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Expected => self.expected += 1,
            Outcome::Error(kind) => *self.errors.entry(kind.clone()).or_default() += 1,
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        self.latencies_us.extend(other.latencies_us);
        self.ok += other.ok;
        self.expected += other.expected;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }

    pub fn summary(&self) -> Summary {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let ms = |us: u64| us as f64 / 1000.0;
        let pct = |p: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            // Nearest rank.
            let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            ms(sorted[rank - 1])
        };
        let mean = if sorted.is_empty() {
            0.0
        } else {
            ms(sorted.iter().sum::<u64>()) / sorted.len() as f64
        };
        Summary {
            count: sorted.len() as u64,
            ok: self.ok,
            expected: self.expected,
            errors: self.errors.values().sum(),
            error_kinds: self.errors.clone(),
            mean_ms: round3(mean),
            p50_ms: round3(pct(0.50)),
            p90_ms: round3(pct(0.90)),
            p99_ms: round3(pct(0.99)),
            max_ms: round3(sorted.last().copied().map(ms).unwrap_or(0.0)),
        }
    }
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Latency distribution and outcome counts.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub count: u64,
    pub ok: u64,
    pub expected: u64,
    pub errors: u64,
    pub error_kinds: BTreeMap<String, u64>,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One closed-loop measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    pub clients: usize,
    pub seconds: f64,
    /// Successful (or expected) answers per second over the measured window.
    pub throughput: f64,
    #[serde(flatten)]
    pub summary: Summary,
}

/// Runs `clients` workers, each calling `op(worker, iteration)` back to back. Requests
/// started during `warmup` are not recorded; workers stop starting requests after
/// `warmup + duration` (every request is itself bounded by the client's timeout).
pub async fn closed_loop<F, Fut>(
    clients: usize,
    warmup: Duration,
    duration: Duration,
    op: F,
) -> Measurement
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let op = Arc::new(op);
    let mut series = closed_loop_series(clients, warmup, duration, 1, move |w, i| {
        let op = op.clone();
        async move { (0, op(w, i).await) }
    })
    .await;
    series.remove(0)
}

/// Like [`closed_loop`], but each request belongs to one of `series` measurements (the
/// first element of what `op` returns): interleaving two targets request by request makes
/// whatever else runs on the machine weigh on both alike.
pub async fn closed_loop_series<F, Fut>(
    clients: usize,
    warmup: Duration,
    duration: Duration,
    series: usize,
    op: F,
) -> Vec<Measurement>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (usize, Outcome)> + Send + 'static,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let measure_from = start + warmup;
    let deadline = measure_from + duration;
    let mut workers = Vec::with_capacity(clients);
    for worker in 0..clients {
        let op = op.clone();
        workers.push(tokio::spawn(async move {
            let mut recorders = vec![Recorder::default(); series];
            for i in 0..MAX_ITERATIONS {
                let t0 = Instant::now();
                if t0 >= deadline {
                    break;
                }
                let (k, outcome) = op(worker, i).await;
                if t0 >= measure_from
                    && let Some(r) = recorders.get_mut(k)
                {
                    r.record(t0.elapsed(), &outcome);
                }
            }
            recorders
        }));
    }
    let mut all = vec![Recorder::default(); series];
    for w in workers {
        if let Ok(recorders) = w.await {
            for (a, r) in all.iter_mut().zip(recorders) {
                a.merge(r);
            }
        }
    }
    let seconds = duration.as_secs_f64();
    all.into_iter()
        .map(|r| {
            let summary = r.summary();
            Measurement {
                clients,
                seconds: round3(seconds),
                throughput: round3((summary.ok + summary.expected) as f64 / seconds),
                summary,
            }
        })
        .collect()
}

/// A complete answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Sends a request and reads the whole body (so the connection goes back to the pool);
/// returns the answer, or the kind of failure.
pub async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let response = request.send().await.map_err(|e| failure_kind(&e))?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| failure_kind(&e))?;
    Ok(Answer {
        status,
        body: body.to_vec(),
    })
}

fn failure_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect error".into()
    } else {
        "transport error".into()
    }
}

/// The outcome of an exchange that should answer `want`.
pub fn expect(result: &Result<Answer, String>, want: u16) -> Outcome {
    match result {
        Ok(a) if a.status == want => Outcome::Ok,
        Ok(a) => Outcome::Error(format!("HTTP {}", a.status)),
        Err(kind) => Outcome::Error(kind.clone()),
    }
}
