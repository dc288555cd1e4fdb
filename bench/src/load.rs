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

/// The latencies recorded: 1 µs to 60 s, three significant digits.
fn histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|e| unreachable!("constant histogram bounds are valid: {e}"))
}

/// Latencies (an HDR histogram, in microseconds) and outcomes of many requests.
#[derive(Debug, Clone)]
pub struct Recorder {
    latencies_us: hdrhistogram::Histogram<u64>,
    ok: u64,
    expected: u64,
    errors: BTreeMap<String, u64>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            latencies_us: histogram(),
            ok: 0,
            expected: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl Recorder {
    pub fn record(&mut self, latency: Duration, outcome: &Outcome) {
        self.latencies_us
            .saturating_record(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Expected => self.expected += 1,
            Outcome::Error(kind) => *self.errors.entry(kind.clone()).or_default() += 1,
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        // Both histograms have the same bounds, and values beyond them were clamped.
        if let Err(e) = self.latencies_us.add(&other.latencies_us) {
            eprintln!("bench: merging latencies: {e}");
        }
        self.ok += other.ok;
        self.expected += other.expected;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }

    pub fn summary(&self) -> Summary {
        let h = &self.latencies_us;
        let ms = |us: u64| us as f64 / 1000.0;
        let pct = |q: f64| {
            if h.is_empty() {
                0.0
            } else {
                ms(h.value_at_quantile(q))
            }
        };
        Summary {
            count: h.len(),
            ok: self.ok,
            expected: self.expected,
            errors: self.errors.values().sum(),
            error_kinds: self.errors.clone(),
            mean_ms: round3(if h.is_empty() { 0.0 } else { h.mean() / 1000.0 }),
            p50_ms: round3(pct(0.50)),
            p90_ms: round3(pct(0.90)),
            p99_ms: round3(pct(0.99)),
            max_ms: round3(if h.is_empty() { 0.0 } else { ms(h.max()) }),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_histogram_within_a_thousandth() {
        let mut recorder = Recorder::default();
        for ms in 1..=1000u64 {
            recorder.record(Duration::from_millis(ms), &Outcome::Ok);
        }
        let mut other = Recorder::default();
        other.record(Duration::from_millis(5), &Outcome::Error("timeout".into()));
        recorder.merge(other);
        let s = recorder.summary();
        assert_eq!((s.count, s.ok, s.errors), (1001, 1000, 1));
        let close = |got: f64, want: f64| (got - want).abs() <= want / 1000.0;
        assert!(close(s.p50_ms, 500.0), "{}", s.p50_ms);
        assert!(close(s.p99_ms, 990.0), "{}", s.p99_ms);
        assert!(close(s.max_ms, 1000.0), "{}", s.max_ms);
    }

    #[test]
    fn an_empty_recorder_summarises_to_zeros() {
        let s = Recorder::default().summary();
        assert_eq!((s.count, s.p50_ms, s.max_ms, s.mean_ms), (0, 0.0, 0.0, 0.0));
    }
}
