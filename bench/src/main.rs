//! `cargo xtask bench`: a load benchmark of Drink Orders on the development host.
//!
//! Starts the development host in-process on 127.0.0.1 against a fresh database (created
//! on the server given by `--admin-url`, migrated by the migrate component, dropped after),
//! drives it from a load generator in the same process (reqwest, connection reuse), and
//! writes `results.json` and `results.svg` into `--out` (default `docs/bench`).
//!
//! ```text
//! bench --admin-url postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//!       [--root DIR] [--out DIR] [--scale 1.0] [--rush-secs 30]
//!       [--phones 2500] [--phones-poll visit|feed] [--orders-per-sec 20] [--tablets 3]
//!       [--replicas 3] [--secs 60]
//!       [--only-replicas] [--devhost-bin ROOT/target/release/devhost]
//! ```
//! Every phase is bounded in time; `--scale 0.3` shortens phases 1-6 for a smoke run. Phase
//! 7, the rush on replicas (`::bench::replicas`), runs `devhost serve` processes behind
//! nginx, sized by its own flags.

use ::bench::load;
use ::bench::replicas::{self as replicated, PhonePoll, Plan, RushOnReplicas, Setup};
mod phases;
mod report;
mod rush;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

/// Everything the phases need to reach the app and the database.
pub struct Target {
    pub base: String,
    pub db_url: String,
    pub bar_token: String,
    pub http: reqwest::Client,
    /// Multiplies every phase's duration.
    pub scale: f64,
}

impl Target {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn secs(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64((seconds * self.scale).max(0.5))
    }
}

#[derive(Debug, clap::Parser)]
#[command(
    name = "bench",
    about = "Load benchmark of Drink Orders on the development host."
)]
struct Args {
    /// Admin connection to the PostgreSQL server (databases are created and dropped on it).
    #[arg(long, env = "DATABASE_URL")]
    admin_url: String,
    /// The repository root (spin.toml, migrate/, target/).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/.."))]
    root: PathBuf,
    /// Where results go (default: ROOT/docs/bench).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Multiplies every phase's duration (0.05..10).
    #[arg(long, default_value_t = 1.0, value_parser = within(0.05, 10.0))]
    scale: f64,
    /// Seconds of the order rush (1..600).
    #[arg(long, default_value_t = 30.0, value_parser = within(1.0, 600.0))]
    rush_secs: f64,
    /// Phase 7 (rush on replicas): phones polling every 2 s.
    #[arg(long, default_value_t = 2_500)]
    phones: usize,
    /// Phase 7: what the phones poll: `visit` (GET /api/visit, as the visitor page does) or
    /// `feed` (the whole public feed, as it did before).
    #[arg(long, value_enum, default_value_t = PhonePoll::Visit)]
    phones_poll: PhonePoll,
    /// Phase 7: orders per second, each from a new guest.
    #[arg(long, default_value_t = 20.0, value_parser = within(0.1, 1_000.0))]
    orders_per_sec: f64,
    /// Phase 7: bar tablets moving orders on.
    #[arg(long, default_value_t = 3)]
    tablets: usize,
    /// Phase 7: replicas behind nginx in the run with the kill (the first run has one).
    #[arg(long, default_value_t = 3)]
    replicas: usize,
    /// Phase 7: seconds of each rush (the kill falls at a third, the restart at half).
    #[arg(long, default_value_t = 60.0, value_parser = within(3.0, 600.0))]
    secs: f64,
    /// Run only phase 7 and print it (nothing is written).
    #[arg(long)]
    only_replicas: bool,
    /// The development host binary of the replicas (default: ROOT/target/release/devhost).
    #[arg(long)]
    devhost_bin: Option<PathBuf>,
}

/// Phase 7: the rush on one replica, then on `--replicas` with one killed and restarted.
fn rush_on_replicas(
    args: &Args,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Vec<RushOnReplicas>> {
    let binary = args
        .devhost_bin
        .clone()
        .unwrap_or_else(|| args.root.join("target/release/devhost"));
    anyhow::ensure!(
        binary.is_file(),
        "{} is missing: build it with `cargo build --release -p devhost` (`cargo xtask bench` does)",
        binary.display()
    );
    let setup = Setup {
        binary,
        root: args.root.clone(),
        admin_url: args.admin_url.clone(),
    };
    let mut runs = vec![(1, false)];
    if args.replicas >= 2 {
        runs.push((args.replicas, true));
    }
    let mut out = Vec::new();
    for (replicas, kill) in runs {
        let plan = Plan {
            phones: args.phones,
            poll: args.phones_poll,
            orders_per_sec: args.orders_per_sec,
            tablets: args.tablets,
            replicas,
            secs: args.secs,
            kill,
        };
        println!("bench: [7] rush on replicas: {}", plan.describe());
        out.push(rt.block_on(replicated::run(&setup, &plan))?);
    }
    Ok(out)
}

/// A value parser for a number within `low..=high`.
fn within(low: f64, high: f64) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |raw| {
        let value: f64 = raw.parse().map_err(|e| format!("{raw}: {e}"))?;
        if (low..=high).contains(&value) {
            Ok(value)
        } else {
            Err(format!("{value} is not within {low}..{high}"))
        }
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    if args.only_replicas {
        let rt = tokio::runtime::Runtime::new()?;
        let mut results = report::Results {
            replicas: rush_on_replicas(&args, &rt)?,
            ..Default::default()
        };
        results.add_replica_targets();
        for rush in &results.replicas {
            println!("\n{}", rush.markdown());
        }
        for t in &results.targets {
            println!(
                "{} | {} | {}",
                t.target,
                t.measured,
                if t.pass { "PASS" } else { "MISS" }
            );
        }
        return Ok(());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.root.join("docs/bench"));
    // The host gets its own runtime (its own worker threads), as it would be its own
    // process; the load generator runs on another. Both share the machine's cores.
    let host_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("devhost")
        .enable_all()
        .build()?;
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("loadgen")
        .enable_all()
        .build()?;

    // The main database, and a second one that holds 1k orders for the table-size
    // comparison (served by a second host).
    let id = uuid::Uuid::new_v4().simple().to_string();
    let names = [
        format!("drinks_bench_{id}"),
        format!("drinks_bench_{id}_1k"),
    ];
    println!("bench: databases {} and {}", names[0], names[1]);
    let created = load_rt.block_on(async {
        let admin = devhost::connect(&args.admin_url).await?;
        for name in &names {
            admin
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .await
                .with_context(|| format!("creating database {name}"))?;
        }
        anyhow::Ok(())
    });
    let urls = names
        .clone()
        .map(|name| devhost::dburl::with_database(&args.admin_url, &name));
    let result = created.and_then(|()| bench(&args, &out, &urls, &host_rt, &load_rt));

    load_rt.block_on(async {
        if let Ok(admin) = devhost::connect(&args.admin_url).await {
            for name in &names {
                let dropped = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
                if let Err(e) = dropped {
                    eprintln!("bench: could not drop {name}: {e}");
                }
            }
        }
    });
    result
}

/// Migrates `db_url` and serves spin.toml against it on a free port of 127.0.0.1.
fn start_host(
    args: &Args,
    engine: &wasmtime::Engine,
    db_url: &str,
    bar_token: &str,
    host_rt: &tokio::runtime::Runtime,
) -> anyhow::Result<devhost::RunningHost> {
    let printed = host_rt
        .block_on(devhost::migrate(
            engine,
            &args.root.join("migrate/spin.toml"),
            db_url,
        ))
        .map_err(|e| anyhow::anyhow!(devhost::error_chain(&e)))
        .context("migrating the bench database")?;
    for line in printed.lines() {
        println!("bench: migrate: {line}");
    }
    let (db_host, db_port) = devhost::dburl::host_and_port(db_url);
    let options = devhost::AppOptions {
        manifest: args.root.join("spin.toml"),
        variables: devhost::VariableSource {
            overrides: [
                ("db_url".to_string(), db_url.to_string()),
                ("db_host".to_string(), db_host),
                ("db_port".to_string(), db_port.to_string()),
                ("bar_token".to_string(), bar_token.to_string()),
            ]
            .into(),
            read_environment: false,
        },
        ..Default::default()
    };
    host_rt
        .block_on(devhost::spawn(
            engine,
            &options,
            "127.0.0.1:0".parse().expect("address"),
        ))
        .map_err(|e| anyhow::anyhow!(devhost::error_chain(&e)))
        .context("starting the development host (run `cargo xtask build` first)")
}

fn bench(
    args: &Args,
    out: &std::path::Path,
    urls: &[String; 2],
    host_rt: &tokio::runtime::Runtime,
    load_rt: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    let engine = devhost::new_engine(Some(&args.root.join("target/devhost-cache")))?;
    let bar_token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let host = start_host(args, &engine, &urls[0], &bar_token, host_rt)?;
    let small_host = start_host(args, &engine, &urls[1], &bar_token, host_rt)?;
    println!(
        "bench: development hosts on http://{} and http://{} (1k orders)",
        host.addr, small_host.addr
    );

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(2_000)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let target = |host: &devhost::RunningHost, db_url: &str| {
        std::sync::Arc::new(Target {
            base: format!("http://{}", host.addr),
            db_url: db_url.to_string(),
            bar_token: bar_token.clone(),
            http: http.clone(),
            scale: args.scale,
        })
    };
    let (main_target, small_target) = (target(&host, &urls[0]), target(&small_host, &urls[1]));

    let started = std::time::Instant::now();
    let machine = report::Machine::describe(&args.admin_url, load_rt);
    let results = load_rt.block_on(phases::all(
        main_target,
        small_target,
        args.rush_secs * args.scale,
    ));
    let stopped = host_rt.block_on(async {
        small_host.stop().await?;
        host.stop().await
    });
    let mut results = results?;
    stopped.context("stopping the host")?;
    results.replicas = rush_on_replicas(args, load_rt)?;
    results.add_replica_targets();
    results.machine = machine;
    results.total_seconds = load::round3(started.elapsed().as_secs_f64());
    results.scale = args.scale;

    report::print(&results);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let json = serde_json::to_string_pretty(&results)?;
    std::fs::write(out.join("results.json"), json + "\n")?;
    std::fs::write(out.join("results.svg"), report::svg(&results))?;
    std::fs::write(out.join("plans.txt"), &results.plans_text)?;
    println!(
        "\nbench: wrote {}/results.json, results.svg, plans.txt ({:.0} s)",
        out.display(),
        results.total_seconds
    );
    Ok(())
}
