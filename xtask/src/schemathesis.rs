//! `cargo xtask schemathesis`: property-based API testing of the running app against
//! docs/openapi.yaml with Schemathesis (PyPI: `python3 -m pip install schemathesis`).
//!
//! A fresh database is created and migrated, the development host serves spin.toml on a
//! free port with a generated bar token, Schemathesis runs every check (no 5xx, status
//! codes, content types, headers and bodies as documented, invalid input refused, auth
//! enforced, ...) with a fixed seed and a bounded number of examples; then the host stops
//! and the database is dropped. Failures make the command fail.
//!
//! The few places where a schema cannot say everything about "valid" input are tuned in
//! [`CONFIG`] (and explained there), never by switching a check off for the whole API.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::db;

/// The version .ci/run installs; other versions work but may report differently.
pub const PINNED_VERSION: &str = "4.32.5";

/// The whole run is stopped (and fails) after this long; it normally takes under a minute.
const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Tuning of the run (written to target/schemathesis/schemathesis.toml).
///
/// `positive_data_acceptance` sends requests that the schema calls valid and expects them
/// accepted. A schema cannot know which drinks (422 `unknown-drink` for a well-formed drink
/// id) or orders (404 for hiding a name) exist nor which cursors this server issued (400 for a well-formed but foreign
/// cursor), nor express "`format=csv` takes no other parameter" / "`limit` only with
/// `after`", nor "an integer written as an integer" (JSON Schema counts `5.0` as an
/// integer; the API refuses it with 422), nor "each order at most once in a batch" (422),
/// nor that up to 100 changes, each with unknown fields (ignored), can be over the 16 KiB
/// body limit (413 for the batch), nor that a push subscription's `p256dh` must be a point on
/// the P-256 curve and its endpoint on a known push service (422): those answers are
/// expected there, and only there.
const CONFIG: &str = r#"# Written by `cargo xtask schemathesis` (xtask/src/schemathesis.rs); edit it there.
# Links inferred by "dependency analysis" feed integer response fields into the X-Visitor-Id
# header, which Schemathesis 4.32 then fails to send ("Header part ... must be of type str").
# The links written in docs/openapi.yaml are used.
[phases.stateful.inference]
algorithms = ["location-headers"]

[[operations]]
include-operation-id = "placeOrder"
checks.positive_data_acceptance.expected-statuses = ["2xx", "403", "409", "422"]

[[operations]]
include-operation-id = "setOrderStatus"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "422"]

[[operations]]
include-operation-id = "undoOrderStatus"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "422"]

[[operations]]
include-operation-id = "setOrdersStatus"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "413", "422"]
checks.negative_data_rejection.expected-statuses = ["400", "401", "413", "415", "422"]

[[operations]]
include-operation-id = "createDrink"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "409", "422"]

[[operations]]
include-operation-id = "updateDrink"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "422"]

[[operations]]
include-operation-id = "updateEvent"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "422"]

[[operations]]
include-operation-id = "subscribePush"
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "422"]

[[operations]]
include-operation-id = "hideName"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404"]

[[operations]]
include-operation-id = "showName"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404"]

[[operations]]
include-operation-id = "getFeed"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400"]

[[operations]]
include-operation-id = "getQueue"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

# Negative cases of GET /api/visit are header values outside printable ASCII, which Spin
# answers with 500 before the app runs (docs/openapi.yaml, HeaderText). Its 400s for a bad
# X-Visitor-Id or any parameter are tested end to end (tests/tests/visit.rs).
[[operations]]
include-operation-id = "getVisit"
generation.mode = "positive"
"#;

/// How much to generate.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Test cases per operation and phase.
    #[arg(long, default_value_t = 300)]
    pub max_examples: u32,
    #[arg(long, default_value_t = 20261121)]
    pub seed: u64,
    /// One worker by default: with two, Hypothesis parses source in two threads at once,
    /// which CPython 3.11 can fail with "AST constructor recursion depth mismatch" (a
    /// Schemathesis runtime error that failed one CI run, not a finding about the API).
    #[arg(long, default_value_t = 1)]
    pub workers: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_examples: 300,
            seed: 20261121,
            workers: 1,
        }
    }
}

fn installed_version(program: &str) -> Option<String> {
    match Command::new(program).arg("--version").output() {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        _ => None,
    }
}

/// The `schemathesis` executable. When it is missing (and `SCHEMATHESIS` does not name
/// another one), the pinned version is installed from PyPI, as `build` installs the npm
/// packages, so `cargo xtask test` works on a fresh machine.
fn executable() -> anyhow::Result<String> {
    if let Ok(program) = std::env::var("SCHEMATHESIS") {
        return match installed_version(&program) {
            Some(version) => {
                println!("    {version}");
                Ok(program)
            }
            None => bail!("SCHEMATHESIS={program} does not run"),
        };
    }
    let program = "schemathesis".to_string();
    if let Some(version) = installed_version(&program)
        && version.ends_with(PINNED_VERSION)
    {
        println!("    {version}");
        return Ok(program);
    }
    println!("    installing schemathesis=={PINNED_VERSION} from PyPI");
    let package = format!("schemathesis=={PINNED_VERSION}");
    let pip = |extra: &[&str]| {
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(extra)
            .arg(&package)
            .status()
            .is_ok_and(|s| s.success())
    };
    // Debian's Python refuses system-wide installs without the flag (PEP 668).
    if !pip(&[]) && !pip(&["--break-system-packages"]) {
        bail!(
            "could not install {package}: run `python3 -m pip install {package}` \
             (needs Python 3 with pip), or set SCHEMATHESIS to an installed executable"
        );
    }
    match installed_version(&program) {
        Some(version) => {
            println!("    {version}");
            Ok(program)
        }
        None => bail!("{package} was installed but `schemathesis` is not on PATH"),
    }
}

/// Runs Schemathesis against a fresh app. `admin_url`: the PostgreSQL server to use (from
/// `test`); `None` finds one like `test` does.
pub fn run(root: &Path, admin_url: Option<String>, options: &Options) -> anyhow::Result<()> {
    crate::step("schemathesis: docs/openapi.yaml against the development host");
    let program = executable()?;
    let out_dir = root.join("target/schemathesis");
    std::fs::create_dir_all(&out_dir)?;
    let config = out_dir.join("schemathesis.toml");
    std::fs::write(&config, CONFIG)?;

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (server, admin) = match admin_url {
            Some(url) => (None, url),
            None => {
                let server = db::find_or_start(root, db::Purpose::Tests).await?;
                let url = server.admin_url();
                (Some(server), url)
            }
        };
        let database = FreshDatabase::create(&admin).await?;
        let result = serve_and_test(root, &database.url, &program, &config, options).await;
        database.drop_now().await;
        drop(server);
        result
    })
}

async fn serve_and_test(
    root: &Path,
    url: &str,
    program: &str,
    config: &Path,
    options: &Options,
) -> anyhow::Result<()> {
    let engine = devhost::new_engine(Some(&root.join("target/devhost-cache")))?;
    devhost::migrate(&engine, &root.join("migrate/spin.toml"), url)
        .await
        .map_err(|e| anyhow::anyhow!(devhost::error_chain(&e)))
        .context("migrating the schemathesis database")?;
    let token = format!(
        "st-{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let (db_host, db_port) = devhost::dburl::host_and_port(url);
    let variables = devhost::VariableSource {
        overrides: [
            ("db_url", url.to_string()),
            ("db_host", db_host),
            ("db_port", db_port.to_string()),
            ("bar_token", token.clone()),
            // Push configured as in production, so that valid subscriptions are accepted.
            ("vapid_key", crate::new_vapid_key()?),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        read_environment: false,
    };
    let app = devhost::AppOptions {
        manifest: root.join("spin.toml"),
        variables,
        ..Default::default()
    };
    let host = devhost::spawn(&engine, &app, "127.0.0.1:0".parse()?)
        .await
        .map_err(|e| anyhow::anyhow!(devhost::error_chain(&e)))
        .context("starting the development host (did `cargo xtask build` run?)")?;
    let base = format!("http://{}", host.addr);
    println!("    serving on {base}");

    let mut cmd = tokio::process::Command::new(program);
    // Run from target/schemathesis so its caches (.hypothesis/, .schemathesis/) land there.
    cmd.current_dir(root.join("target/schemathesis"))
        .env("NO_COLOR", "1")
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(root.join("docs/openapi.yaml"))
        .args(["--url", &base])
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .args(["--checks", "all"])
        .args(["--max-examples", &options.max_examples.to_string()])
        .args(["--seed", &options.seed.to_string()])
        .args(["--workers", &options.workers.to_string()])
        .args(["--request-timeout", "10"])
        .args(["--generation-database", "none"])
        .args(["--max-failures", "50"])
        .arg("--no-color")
        .args(["--report", "junit"])
        .arg("--report-dir")
        .arg(root.join("target/schemathesis/report"));
    let started = std::time::Instant::now();
    let outcome = match cmd.kill_on_drop(true).spawn() {
        Ok(mut child) => match tokio::time::timeout(TIME_LIMIT, child.wait()).await {
            Ok(status) => status.with_context(|| format!("waiting for {program}")),
            Err(_) => {
                let _ = child.kill().await;
                Err(anyhow::anyhow!(
                    "schemathesis did not finish within {} s (a hanging request?)",
                    TIME_LIMIT.as_secs()
                ))
            }
        },
        Err(e) => Err(anyhow::Error::new(e).context(format!("starting {program}"))),
    };
    println!(
        "    schemathesis finished in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    host.stop().await?;
    let status = outcome?;
    if !status.success() {
        bail!("schemathesis found failures ({status}); see its report above");
    }
    Ok(())
}

/// A database for one run, dropped afterwards.
struct FreshDatabase {
    admin: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    async fn create(admin: &str) -> anyhow::Result<Self> {
        let name = format!("drinks_schemathesis_{}", uuid::Uuid::new_v4().simple());
        let client = devhost::connect(admin).await?;
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("creating database {name}"))?;
        Ok(Self {
            admin: admin.to_string(),
            url: devhost::dburl::with_database(admin, &name),
            name,
        })
    }

    async fn drop_now(self) {
        match devhost::connect(&self.admin).await {
            Ok(client) => {
                if let Err(e) = client
                    .batch_execute(&format!(
                        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                        self.name
                    ))
                    .await
                {
                    eprintln!("    warning: dropping {}: {e}", self.name);
                }
            }
            Err(e) => eprintln!("    warning: dropping {}: {e:#}", self.name),
        }
    }
}
