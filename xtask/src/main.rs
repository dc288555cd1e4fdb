//! `cargo xtask <command>`: the project's chores, in Rust so they run the same everywhere.
//!
//! - `build`: the components for wasm32-wasip2 (adding the target if missing).
//! - `up [--listen ADDR]`: build, find or start PostgreSQL, migrate, serve on 127.0.0.1:3000.
//! - `test`: everything CI runs: fmt check, clippy -D warnings, build, all tests.
//! - `bench [ARGS]`: the load benchmark (crate `bench`); results in docs/bench/.
//! - `schemathesis`: fuzz the running app against docs/openapi.yaml (also run by `test`).

mod bench;
mod db;
mod schemathesis;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <command>
  build                 build every component for wasm32-wasip2 (release)
  up [--listen ADDR]    run the app locally (database included) on 127.0.0.1:3000
  test                  everything CI runs: fmt, clippy, build, unit + e2e tests
  bench [ARGS]          load benchmark on the development host; writes docs/bench/
                        (ARGS go to the bench binary, e.g. --scale 0.3 --rush-secs 10)
  schemathesis [--max-examples N] [--seed N] [--workers N]
                        fuzz the app against docs/openapi.yaml (pip install schemathesis)";

/// Components of spin.toml plus the test-only probe, built in one cargo invocation.
const WASM_PACKAGES: &[&str] = &[
    "order-fn",
    "list-fn",
    "feed-fn",
    "fileserver",
    "migrate",
    "probe-fn",
];

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> anyhow::Result<()> {
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    let command = args.first().map(String::as_str).unwrap_or("");
    match command {
        "build" => build(&root),
        "up" => {
            let mut listen = "127.0.0.1:3000".to_string();
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                match flag.as_str() {
                    "--listen" => {
                        listen = rest.next().context("--listen needs an address")?.clone()
                    }
                    other => bail!("unknown flag {other}\n{USAGE}"),
                }
            }
            up(&root, &listen)
        }
        "test" => test(&root),
        "bench" => bench::run(&root, &args[1..]),
        "schemathesis" => {
            schemathesis::run(&root, None, &schemathesis::Options::parse(&args[1..])?)
        }
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other}\n{USAGE}"),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()))
}

fn step(name: &str) {
    println!("\n==> {name}");
}

fn run_command(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).contains("wasm32-wasip2") => Ok(()),
        Ok(_) => run_command(Command::new("rustup").args(["target", "add", "wasm32-wasip2"])),
        // No rustup: assume the toolchain was installed with the target some other way.
        Err(_) => Ok(()),
    }
}

/// The frontend's build step: npm packages from the registry (once, or when the lock file
/// changed), then web/build.mjs copies the vendored libraries into static/vendor/.
fn build_web(root: &Path) -> anyhow::Result<()> {
    let web = root.join("web");
    if !web.join("package.json").exists() {
        return Ok(());
    }
    step("build web assets (npm ci, web/build.mjs)");
    let lock = web.join("package-lock.json");
    let installed = web.join("node_modules/.package-lock.json");
    let stale = match (std::fs::metadata(&lock), std::fs::metadata(&installed)) {
        (Ok(l), Ok(i)) => match (l.modified(), i.modified()) {
            (Ok(l), Ok(i)) => l > i,
            _ => true,
        },
        _ => true,
    };
    if stale {
        run_command(
            Command::new("npm")
                .current_dir(&web)
                .args(["ci", "--no-audit", "--no-fund"]),
        )
        .context("installing npm packages (is Node.js installed? apt-get install nodejs npm)")?;
    }
    run_command(Command::new("node").current_dir(root).arg("web/build.mjs"))
}

fn build(root: &Path) -> anyhow::Result<()> {
    build_web(root)?;
    step("build components (wasm32-wasip2, release)");
    ensure_wasm_target()?;
    let mut cmd = cargo();
    cmd.current_dir(root)
        .args(["build", "--target", "wasm32-wasip2", "--release"]);
    for package in WASM_PACKAGES {
        cmd.args(["-p", package]);
    }
    run_command(&mut cmd)?;
    for package in WASM_PACKAGES {
        let file = root
            .join("target/wasm32-wasip2/release")
            .join(format!("{}.wasm", package.replace('-', "_")));
        let size = std::fs::metadata(&file)
            .with_context(|| format!("{} was not built", file.display()))?
            .len();
        println!(
            "    {:<40} {:>8} KiB",
            file.display().to_string(),
            size / 1024
        );
    }
    Ok(())
}

fn up(root: &Path, listen: &str) -> anyhow::Result<()> {
    build(root)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        step("database");
        let server = db::find_or_start(root, db::Purpose::Development).await?;
        let url = server.ensure_database("drink_orders").await?;
        let engine = devhost::new_engine()?;
        let cache = Some(root.join("target/devhost-cache"));
        let printed = devhost::migrate(&engine, &root.join("migrate/spin.toml"), &url, cache)
            .await
            .context("migrating the development database")?;
        println!("    {}", devhost::pg::redact(&url));
        for line in printed.lines() {
            println!("    migrate: {line}");
        }
        let token = dev_bar_token(root)?;
        let (db_host, db_port) = devhost::dburl::host_and_port(&url);
        let mut variables = devhost::VariableSource::from_environment();
        for (name, value) in [
            ("db_url", url.clone()),
            ("db_host", db_host),
            ("db_port", db_port.to_string()),
            ("bar_token", token.clone()),
        ] {
            variables.overrides.entry(name.to_string()).or_insert(value);
        }
        let options = devhost::AppOptions {
            manifest: root.join("spin.toml"),
            variables,
            cache_dir: Some(root.join("target/devhost-cache")),
            ..Default::default()
        };
        let listen = listen
            .parse()
            .with_context(|| format!("--listen {listen}: expected ADDR:PORT"))?;
        let host = devhost::spawn(&engine, &options, listen).await?;
        let base = format!("http://{}", host.addr);
        println!("\nDrink Orders is running:");
        println!("    visitors   {base}/");
        println!("    bar        {base}/?bar     (bar token: {token})");
        println!("    poster     {base}/?qr");
        println!("Press Ctrl-C to stop.\n");
        tokio::signal::ctrl_c().await?;
        println!("stopping...");
        host.stop().await?;
        drop(server);
        Ok(())
    })
}

/// The local bar token: `SPIN_VARIABLE_BAR_TOKEN` if set, else one generated once and kept
/// in target/dev/bar-token so the bar tablet stays signed in across restarts.
fn dev_bar_token(root: &Path) -> anyhow::Result<String> {
    if let Ok(token) = std::env::var("SPIN_VARIABLE_BAR_TOKEN")
        && !token.is_empty()
    {
        return Ok(token);
    }
    let file = root.join("target/dev/bar-token");
    if let Ok(token) = std::fs::read_to_string(&file)
        && !token.trim().is_empty()
    {
        return Ok(token.trim().to_string());
    }
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    std::fs::create_dir_all(file.parent().expect("has parent"))?;
    std::fs::write(&file, &token)?;
    Ok(token)
}

fn test(root: &Path) -> anyhow::Result<()> {
    step("cargo fmt --check");
    run_command(cargo().args(["fmt", "--all", "--", "--check"]))?;
    step("cargo clippy --workspace --all-targets -- -D warnings");
    run_command(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    build(root)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let server = runtime.block_on(db::find_or_start(root, db::Purpose::Tests))?;
    step("cargo test --workspace (unit, e2e through the .wasm components)");
    let result = run_command(
        cargo()
            .args(["test", "--workspace"])
            .env("DATABASE_URL", server.admin_url()),
    )
    .and_then(|()| {
        schemathesis::run(
            root,
            Some(server.admin_url()),
            &schemathesis::Options::default(),
        )
    });
    runtime.block_on(async { drop(server) });
    result?;
    println!("\nall checks passed");
    Ok(())
}
