//! `cargo xtask <command>`: the project's chores, in Rust so they run the same everywhere.
//!
//! - `build`: the components for wasm32-wasip2 (adding the target if missing).
//! - `up [--listen ADDR] [--direct-mounts]`: build, find or start PostgreSQL, migrate, serve
//!   on 127.0.0.1:3000.
//! - `migrate --database-url URL`: apply the migrations with the migrate component on the
//!   development host (what `spin up -f migrate/spin.toml` does with Spin's command trigger).
//! - `test`: everything CI runs: fmt check, clippy -D warnings, build, all tests.
//! - `bench [ARGS]`: the load benchmark (crate `bench`); results in docs/bench/.
//! - `schemathesis`: fuzz the running app against docs/openapi.yaml (also run by `test`).

mod bench;
mod db;
mod schemathesis;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "The project's chores.",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build every component for wasm32-wasip2 (release).
    Build,
    /// Run the app locally (database included) on 127.0.0.1:3000.
    Up {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: String,
        /// Serve static/ itself rather than a copy taken at start (edits show at once).
        #[arg(long)]
        direct_mounts: bool,
    },
    /// Apply the migrations to a database with the migrate component on the development
    /// host (the fallback for `spin up -f migrate/spin.toml` without the trigger-command
    /// plugin).
    Migrate {
        /// postgres://user:password@host:port/database?sslmode=...
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Everything CI runs: fmt, clippy, build, unit + e2e tests.
    Test,
    /// Print a new VAPID private key for the Spin variable `vapid_key` (Web Push).
    VapidKey,
    /// Load benchmark on the development host; writes docs/bench/.
    Bench {
        /// Passed to the bench binary, e.g. --scale 0.3 --rush-secs 10.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Fuzz the app against docs/openapi.yaml (pip install schemathesis).
    Schemathesis(schemathesis::Options),
}

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
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> anyhow::Result<()> {
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match task {
        Task::Build => build(&root),
        Task::Up {
            listen,
            direct_mounts,
        } => up(&root, &listen, direct_mounts),
        Task::Migrate { database_url } => migrate(&root, &database_url),
        Task::Test => test(&root),
        Task::VapidKey => new_vapid_key().map(|key| println!("{key}")),
        Task::Bench { args } => bench::run(&root, &args),
        Task::Schemathesis(options) => schemathesis::run(&root, None, &options),
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

/// Builds the migrate component and runs it on the development host against `url`.
fn migrate(root: &Path, url: &str) -> anyhow::Result<()> {
    build(root)?;
    step("migrate (migrate/spin.toml on the development host)");
    let runtime = tokio::runtime::Runtime::new()?;
    let printed = runtime.block_on(async {
        let engine = devhost::new_engine(Some(&root.join("target/devhost-cache")))?;
        devhost::migrate(&engine, &root.join("migrate/spin.toml"), url).await
    });
    let printed = printed
        .map_err(|e| anyhow::anyhow!(devhost::error_chain(&e)))
        .with_context(|| format!("migrating {}", devhost::pg::redact(url)))?;
    println!("    {}", devhost::pg::redact(url));
    for line in printed.lines() {
        println!("    migrate: {line}");
    }
    Ok(())
}

fn up(root: &Path, listen: &str, direct_mounts: bool) -> anyhow::Result<()> {
    build(root)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        step("database");
        let server = db::find_or_start(root, db::Purpose::Development).await?;
        let url = server.ensure_database("drink_orders").await?;
        let engine = devhost::new_engine(Some(&root.join("target/devhost-cache")))?;
        let printed = devhost::migrate(&engine, &root.join("migrate/spin.toml"), &url)
            .await
            .context("migrating the development database")?;
        println!("    {}", devhost::pg::redact(&url));
        for line in printed.lines() {
            println!("    migrate: {line}");
        }
        let token = dev_bar_token(root)?;
        let vapid_key = dev_vapid_key(root)?;
        let (db_host, db_port) = devhost::dburl::host_and_port(&url);
        let mut variables = devhost::VariableSource::from_environment();
        for (name, value) in [
            ("db_url", url.clone()),
            ("db_host", db_host),
            ("db_port", db_port.to_string()),
            ("bar_token", token.clone()),
            ("vapid_key", vapid_key),
        ] {
            variables.overrides.entry(name.to_string()).or_insert(value);
        }
        let options = devhost::AppOptions {
            manifest: root.join("spin.toml"),
            variables,
            direct_mounts,
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
        println!("    board      {base}/?board");
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

/// The local VAPID key (Web Push): `SPIN_VARIABLE_VAPID_KEY` if set, else one generated once
/// and kept in target/dev/vapid-key, so that browsers' subscriptions stay valid across
/// restarts.
fn dev_vapid_key(root: &Path) -> anyhow::Result<String> {
    if let Ok(key) = std::env::var("SPIN_VARIABLE_VAPID_KEY")
        && !key.is_empty()
    {
        return Ok(key);
    }
    let file = root.join("target/dev/vapid-key");
    if let Ok(key) = std::fs::read_to_string(&file)
        && !key.trim().is_empty()
    {
        return Ok(key.trim().to_string());
    }
    let key = new_vapid_key()?;
    std::fs::create_dir_all(file.parent().expect("has parent"))?;
    std::fs::write(&file, &key)?;
    Ok(key)
}

/// A fresh VAPID private key (base64url P-256 scalar) from the operating system's random
/// source.
fn new_vapid_key() -> anyhow::Result<String> {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random bytes: {e}"))?;
        // Out of range (zero or above the group order): astronomically rare; draw again.
        if let Ok(key) = drinks_core::push::VapidKey::from_bytes(&bytes) {
            return Ok(key.to_variable());
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn up_keeps_its_listen_flag() {
        let cli = Cli::try_parse_from(["cargo xtask", "up", "--listen", "127.0.0.1:4000"])
            .expect("parses");
        assert!(matches!(
            cli.command,
            Task::Up { listen, direct_mounts: false } if listen == "127.0.0.1:4000"
        ));
    }

    #[test]
    fn bench_passes_its_flags_through() {
        let cli = Cli::try_parse_from([
            "cargo xtask",
            "bench",
            "--scale",
            "0.3",
            "--rush-secs",
            "10",
        ])
        .expect("parses");
        let Task::Bench { args } = cli.command else {
            panic!("not bench");
        };
        assert_eq!(args, ["--scale", "0.3", "--rush-secs", "10"]);
    }

    #[test]
    fn schemathesis_takes_its_numbers() {
        let cli = Cli::try_parse_from(["cargo xtask", "schemathesis", "--max-examples", "5"])
            .expect("parses");
        let Task::Schemathesis(options) = cli.command else {
            panic!("not schemathesis");
        };
        assert_eq!(options.max_examples, 5);
        assert_eq!(options.workers, 1);
    }

    #[test]
    fn migrate_needs_a_database_url() {
        let cli = Cli::try_parse_from([
            "cargo xtask",
            "migrate",
            "--database-url",
            "postgres://u@h/db",
        ])
        .expect("parses");
        assert!(
            matches!(cli.command, Task::Migrate { database_url } if database_url == "postgres://u@h/db")
        );
    }
}
