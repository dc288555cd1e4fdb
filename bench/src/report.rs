//! Results: the targets, the printed table, results.json and the SVG chart.

use std::fmt::Write as _;

use serde::Serialize;

use crate::load::{Measurement, round3};
use crate::rush::RushResult;
use ::bench::replicas::RushOnReplicas;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub load_average_at_start: String,
    pub postgresql: String,
    pub postgresql_settings: String,
    pub host: String,
    pub git_commit: String,
}

impl Machine {
    pub fn describe(admin_url: &str, rt: &tokio::runtime::Runtime) -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
            .unwrap_or_default();
        let memory_kib: f64 = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        let (postgresql, postgresql_settings) = rt.block_on(async {
            let Ok(client) = devhost::connect(admin_url).await else {
                return (String::new(), String::new());
            };
            let version = client
                .query_one("select version()", &[])
                .await
                .map(|r| r.get::<_, String>(0))
                .unwrap_or_default();
            let settings = client
                .query(
                    "select name || '=' || current_setting(name) from pg_settings \
                     where name in ('fsync', 'synchronous_commit', 'shared_buffers', \
                     'max_connections', 'jit') order by name",
                    &[],
                )
                .await
                .map(|rows| {
                    rows.iter()
                        .map(|r| r.get::<_, String>(0))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            (version, settings)
        });
        let git_commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        Machine {
            nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            memory_gib: round3(memory_kib / 1024.0 / 1024.0),
            load_average_at_start: read("/proc/loadavg")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            postgresql,
            postgresql_settings,
            host: "devhost (Wasmtime 42, in-process, release build) — not Spin; the load \
                   generator runs in the same process on the same cores"
                .into(),
            git_commit,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: String,
    pub group: String,
    pub label: String,
    #[serde(flatten)]
    pub measurement: Measurement,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub target: String,
    pub measured: String,
    pub pass: bool,
}

/// Phase 6: concurrent CSV exports during placement.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ExportResult {
    /// Concurrent export downloads.
    pub exports: usize,
    /// Orders in the table.
    pub orders: i64,
    /// Downloads read to their end, bytes received, failed downloads.
    pub complete: u64,
    pub bytes: u64,
    pub errors: u64,
    /// This process's resident memory (both hosts and the load generator) before the
    /// exports, and its peak while they ran (VmHWM after a reset), in MiB.
    pub rss_before_mib: f64,
    pub peak_rss_mib: f64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Results {
    pub machine: Machine,
    pub scale: f64,
    pub total_seconds: f64,
    pub runs: Vec<Run>,
    pub ratios: Vec<(String, f64)>,
    pub rush: RushResult,
    pub exports: ExportResult,
    /// Phase 7: the rush on replicas behind nginx (one replica, then several with a kill).
    pub replicas: Vec<RushOnReplicas>,
    pub targets: Vec<TargetCheck>,
    /// EXPLAIN ANALYZE output (written to plans.txt, not to the JSON).
    #[serde(skip)]
    pub plans: Vec<String>,
    #[serde(skip)]
    pub plans_text: String,
}

impl Results {
    pub fn run(&self, id: &str) -> Option<&Measurement> {
        self.runs
            .iter()
            .find(|r| r.id == id)
            .map(|r| &r.measurement)
    }

    pub fn evaluate_targets(&mut self) {
        let mut ratios = Vec::new();
        let mut targets = Vec::new();
        let tp = |r: &Results, id: &str| r.run(id).map_or(0.0, |m| m.throughput);
        let p99 = |r: &Results, id: &str| r.run(id).map_or(0.0, |m| m.summary.p99_ms);
        let div = |a: f64, b: f64| if b > 0.0 { round3(a / b) } else { 0.0 };

        for c in [1, 8, 32] {
            let ratio = div(
                tp(self, &format!("placement-c{c}")),
                tp(self, &format!("raw-c{c}")),
            );
            ratios.push((format!("placement / raw INSERT at {c} clients"), ratio));
            if c == 32 {
                targets.push(TargetCheck {
                    target: "order placement >= 50% of raw-insert rate at 32 clients".into(),
                    measured: format!("{:.0}%", ratio * 100.0),
                    pass: ratio >= 0.5,
                });
            }
        }
        for c in [1, 8, 32] {
            let p = p99(self, &format!("placement-c{c}"));
            targets.push(TargetCheck {
                target: format!("placement p99 <= 25 ms ({c} clients, closed loop)"),
                measured: format!("{p:.1} ms"),
                pass: p <= 25.0,
            });
        }
        if let Some(s) = self.rush.endpoints.get("POST /api/orders") {
            targets.push(TargetCheck {
                target: "placement p99 <= 25 ms (rush: 10 orders/s under 500 polls/s)".into(),
                measured: format!("{:.1} ms", s.p99_ms),
                pass: s.p99_ms <= 25.0,
            });
        }
        let feed_ratio = div(tp(self, "feed304-c32"), tp(self, "placement-c32"));
        ratios.push((
            "304 feed polls/s / placements/s at 32 clients".into(),
            feed_ratio,
        ));
        targets.push(TargetCheck {
            target: "304 feed polls/s >= 5x order placements/s (32 clients)".into(),
            measured: format!("{feed_ratio:.1}x"),
            pass: feed_ratio >= 5.0,
        });
        // Each size is one interleaved measurement (see phases::table_size).
        let best_p99 = |r: &Results, group: &str| {
            r.runs
                .iter()
                .filter(|run| run.group == group)
                .map(|run| run.measurement.summary.p99_ms)
                .fold(f64::INFINITY, f64::min)
        };
        for (what, group) in [
            ("GET /api/queue", "queue"),
            ("GET /api/feed?after= (304)", "feed304"),
            ("GET /api/feed?after= (20 events)", "feed200"),
        ] {
            let r = div(
                best_p99(self, &format!("{group}-100k")),
                best_p99(self, &format!("{group}-1k")),
            );
            ratios.push((format!("{what} p99 100k / 1k (interleaved)"), r));
            targets.push(TargetCheck {
                target: format!("{what} p99 at 100k <= 1.5x at 1k"),
                measured: format!("{r:.2}x"),
                pass: r > 0.0 && r <= 1.5,
            });
        }
        // Phase 6 (issue 15): exports never take the app down.
        let (idle, loaded) = (p99(self, "export-idle-c1"), p99(self, "export-load-c1"));
        let export_ratio = div(loaded, idle);
        ratios.push((
            "placement p99 during CSV exports / no export (100k orders)".into(),
            export_ratio,
        ));
        targets.push(TargetCheck {
            target: "placement p99 during 32 CSV exports <= 3x without".into(),
            measured: format!("{export_ratio:.2}x ({loaded:.2} / {idle:.2} ms)"),
            pass: export_ratio > 0.0 && export_ratio <= 3.0,
        });
        let e = &self.exports;
        targets.push(TargetCheck {
            target: format!("{} concurrent CSV exports all complete", e.exports),
            measured: format!("{} complete, {} errors", e.complete, e.errors),
            pass: e.exports > 0 && e.complete >= e.exports as u64 && e.errors == 0,
        });
        targets.push(TargetCheck {
            target: "peak resident memory during the exports < 512 MiB".into(),
            measured: format!("{:.0} MiB", e.peak_rss_mib),
            pass: e.peak_rss_mib > 0.0 && e.peak_rss_mib < 512.0,
        });
        let rush_errors = self.rush.errors;
        targets.push(TargetCheck {
            target: "zero errors in the rush".into(),
            measured: if self.rush.patch_not_implemented {
                format!("{rush_errors} (PATCH /api/orders/{{id}} answers 405 in this build)")
            } else {
                format!("{rush_errors}")
            },
            pass: rush_errors == 0 && !self.rush.patch_not_implemented,
        });
        self.ratios = ratios;
        self.targets = targets;
        self.plans_text = self.plans.join("\n");
    }
}

impl Results {
    /// Adds phase 7's targets (each rush on replicas states its own).
    pub fn add_replica_targets(&mut self) {
        for rush in &self.replicas {
            for (target, measured, pass) in rush.targets() {
                self.targets.push(TargetCheck {
                    target,
                    measured,
                    pass,
                });
            }
        }
    }
}

fn pass(p: bool) -> &'static str {
    if p { "PASS" } else { "MISS" }
}

/// Markdown tables (they read fine in a terminal too).
pub fn markdown(r: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| measurement | clients | req/s | p50 ms | p99 ms | max ms | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    for run in &r.runs {
        let m = &run.measurement;
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {} |",
            run.label,
            m.clients,
            m.throughput,
            m.summary.p50_ms,
            m.summary.p99_ms,
            m.summary.max_ms,
            m.summary.errors
        );
    }
    let _ = writeln!(out, "\n| ratio | value |\n|---|---:|");
    for (name, value) in &r.ratios {
        let _ = writeln!(out, "| {name} | {value:.2} |");
    }
    let rush = &r.rush;
    let _ = writeln!(
        out,
        "\nRush: {} phones polling every {} s, {} orders/s, {} bar tablets, {:.0} s. \
         Feed: {} × 200 ({} events), {} × 304. Status changes: {}, version conflicts \
         (409, expected): {}.\n",
        rush.phones,
        rush.poll_every_s,
        rush.orders_per_second,
        rush.tablets,
        rush.seconds,
        rush.feed_200,
        rush.feed_events_received,
        rush.feed_304,
        rush.status_changes,
        rush.version_conflicts
    );
    let _ = writeln!(
        out,
        "| rush endpoint | requests | p50 ms | p99 ms | max ms | 409 conflicts | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
    for (name, s) in &rush.endpoints {
        let kinds = s
            .error_kinds
            .iter()
            .map(|(k, v)| format!("{v}× {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "| {name} | {} | {:.2} | {:.2} | {:.1} | {} | {}{} |",
            s.count,
            s.p50_ms,
            s.p99_ms,
            s.max_ms,
            s.expected,
            s.errors,
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({kinds})")
            }
        );
    }
    let e = &r.exports;
    let _ = writeln!(
        out,
        "\nExports: {} concurrent CSV exports of {} orders during placement: {} complete \
         ({:.0} MiB), {} errors; resident memory {:.0} MiB before, peak {:.0} MiB.",
        e.exports,
        e.orders,
        e.complete,
        e.bytes as f64 / (1 << 20) as f64,
        e.errors,
        e.rss_before_mib,
        e.peak_rss_mib
    );
    for rush in &r.replicas {
        let _ = writeln!(out, "\n{}", rush.markdown());
    }
    let _ = writeln!(out, "\n| target | measured | |\n|---|---:|---|");
    for t in &r.targets {
        let _ = writeln!(out, "| {} | {} | {} |", t.target, t.measured, pass(t.pass));
    }
    out
}

pub fn print(r: &Results) {
    let m = &r.machine;
    println!(
        "\nMachine: {} × {}, {:.1} GiB; load average at start {}; {}\nHost: {}\n",
        m.nproc, m.cpu_model, m.memory_gib, m.load_average_at_start, m.postgresql, m.host
    );
    println!("{}", markdown(r));
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A two-panel horizontal bar chart: throughput (linear) and p50/p99 latency (log scale).
pub fn svg(r: &Results) -> String {
    let rows: Vec<(String, f64, f64, f64)> = r
        .runs
        .iter()
        .map(|run| {
            let m = &run.measurement;
            (
                format!("{} · c={}", run.label, m.clients),
                m.throughput,
                m.summary.p50_ms,
                m.summary.p99_ms,
            )
        })
        .chain(r.rush.endpoints.iter().map(|(name, s)| {
            (
                format!("rush: {name}"),
                s.count as f64 / r.rush.seconds.max(1.0),
                s.p50_ms,
                s.p99_ms,
            )
        }))
        .collect();
    let (label_w, panel_w, gap, row_h, top) = (430.0, 330.0, 40.0, 20.0, 70.0);
    let width = label_w + 2.0 * panel_w + gap + 30.0;
    let height = top + rows.len() as f64 * row_h + 60.0;
    let x_tp = label_w;
    let x_lat = label_w + panel_w + gap;
    let max_tp = rows.iter().map(|r| r.1).fold(1.0, f64::max);
    // Latency axis: log10 from 0.1 ms to 1000 ms.
    let (lo, hi) = (-1.0_f64, 3.0_f64);
    let lat_x =
        |ms: f64| x_lat + ((ms.max(0.1).log10() - lo) / (hi - lo)).clamp(0.0, 1.0) * panel_w;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>
<text x="10" y="20" font-size="15" font-weight="bold">Drink Orders on the development host — {} × {}</text>
<text x="{x_tp}" y="48" font-weight="bold">throughput (requests/s)</text>
<text x="{x_lat}" y="48" font-weight="bold">latency, ms (log scale): p50 dark, p99 light</text>"##,
        r.machine.nproc,
        esc(&r.machine.cpu_model)
    );
    for tick in [0.1, 1.0, 10.0, 100.0, 1000.0] {
        let x = lat_x(tick);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#dddddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555">{tick}</text>"##,
            top - 8.0,
            top + rows.len() as f64 * row_h,
            top - 12.0
        );
    }
    let x25 = lat_x(25.0);
    let _ = writeln!(
        s,
        r##"<line x1="{x25:.1}" y1="{:.1}" x2="{x25:.1}" y2="{:.1}" stroke="#c0392b" stroke-dasharray="4 3"/><text x="{x25:.1}" y="{:.1}" text-anchor="middle" fill="#c0392b">25 ms</text>"##,
        top - 8.0,
        top + rows.len() as f64 * row_h,
        top + rows.len() as f64 * row_h + 14.0
    );
    for (i, (label, tp, p50, p99)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        if i % 2 == 0 {
            let _ = writeln!(
                s,
                r##"<rect x="5" y="{:.1}" width="{:.1}" height="{row_h}" fill="#f4f6f8"/>"##,
                y,
                width - 10.0
            );
        }
        let w = tp / max_tp * (panel_w - 60.0);
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>
<rect x="{x_tp}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="#2e86c1"/>
<text x="{:.1}" y="{:.1}">{tp:.0}</text>
<rect x="{x_lat}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#f5b041"/>
<rect x="{x_lat}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#af601a"/>
<text x="{:.1}" y="{:.1}">{p50:.1} / {p99:.1}</text>"##,
            label_w - 8.0,
            y + 14.0,
            esc(label),
            y + 4.0,
            row_h - 8.0,
            x_tp + w + 4.0,
            y + 14.0,
            y + 3.0,
            lat_x(*p99) - x_lat,
            row_h - 6.0,
            y + 7.0,
            lat_x(*p50) - x_lat,
            row_h - 14.0,
            lat_x(*p99) + 4.0,
            y + 14.0,
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="10" y="{:.1}" fill="#555">{}. Scale {}. PostgreSQL: {}</text>"##,
        height - 14.0,
        esc(&r.machine.host),
        r.scale,
        esc(r
            .machine
            .postgresql
            .split(" on ")
            .next()
            .unwrap_or_default())
    );
    s.push_str("</svg>\n");
    s
}
