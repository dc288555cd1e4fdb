//! `migrate`: a Spin command component that brings the database to the newest migration.
//!
//! - the migrations are the files of `migrations/`, compiled in (`drinks_core::migrations`),
//!   so the artifact that is deployed carries exactly the schema it was built for;
//! - runs under a session advisory lock, so two runs (two Jobs, a Job and a developer)
//!   never race; each migration and its `schema_migrations` row commit together;
//! - idempotent; refuses a database migrated by a newer build, or an edited migration.
//!
//! Run it with `spin up -f migrate/spin.toml` (Spin with the command trigger plugin), as a
//! Kubernetes Job on SpinKube (deploy/k8s/migrate-job.yaml), or `devhost run -f
//! migrate/spin.toml` (what `cargo xtask up` and the tests do). Exit code 0 = current.

mod plan;

use anyhow::{Context, bail};
use spin_sdk::pg4::{Connection, DbValue, ParameterValue};

/// Key of the session advisory lock held while migrating ("drinks" in ASCII).
const LOCK_KEY: i64 = 0x6472_696e_6b73;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version bigint PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";
const LOCK: &str = "SELECT pg_advisory_lock($1::int8)";
const UNLOCK: &str = "SELECT pg_advisory_unlock($1::int8)";
const APPLIED: &str = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
const RECORD: &str =
    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1::int8, $2::text, $3::text)";

fn text(v: &DbValue) -> anyhow::Result<String> {
    match v {
        DbValue::Str(s) => Ok(s.clone()),
        other => bail!("expected text, got {other:?}"),
    }
}

fn applied(conn: &Connection) -> anyhow::Result<Vec<plan::Applied>> {
    let rows = conn
        .query(APPLIED, &[])
        .context("reading schema_migrations")?;
    rows.rows
        .iter()
        .map(|row| {
            let version = match row.first() {
                Some(DbValue::Int64(v)) => *v,
                other => bail!("unexpected version {other:?}"),
            };
            Ok(plan::Applied {
                version,
                name: text(row.get(1).context("name")?)?,
                checksum: text(row.get(2).context("checksum")?)?,
            })
        })
        .collect()
}

fn migrate(conn: &Connection) -> anyhow::Result<Vec<i64>> {
    conn.execute(CREATE_TABLE, &[])
        .context("creating schema_migrations")?;
    let already = applied(conn)?;
    let todo = plan::plan(drinks_core::migrations::MIGRATIONS, &already)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut done = Vec::new();
    for migration in todo {
        let label = format!("{:04}_{}", migration.version, migration.name);
        conn.execute("BEGIN", &[])?;
        let result = (|| -> anyhow::Result<()> {
            for statement in plan::split_statements(migration.sql) {
                conn.execute(&statement, &[])
                    .with_context(|| format!("in statement: {statement}"))?;
            }
            conn.execute(
                RECORD,
                &[
                    ParameterValue::Int64(migration.version),
                    ParameterValue::Str(migration.name.to_string()),
                    ParameterValue::Str(plan::checksum(migration.sql)),
                ],
            )?;
            Ok(())
        })();
        match result {
            Ok(()) => {
                conn.execute("COMMIT", &[])?;
                println!("applied {label}");
                done.push(migration.version);
            }
            Err(e) => {
                let _ = conn.execute("ROLLBACK", &[]);
                return Err(e.context(format!("migration {label} failed and was rolled back")));
            }
        }
    }
    Ok(done)
}

fn run() -> anyhow::Result<()> {
    let url = spin_sdk::variables::get("db_url").context("variable db_url")?;
    let conn = Connection::open(&url).context("connecting to the database")?;
    conn.query(LOCK, &[ParameterValue::Int64(LOCK_KEY)])
        .context("taking the migration lock")?;
    let result = migrate(&conn);
    let _ = conn.query(UNLOCK, &[ParameterValue::Int64(LOCK_KEY)]);
    let done = result?;
    println!(
        "schema at version {} ({} applied now)",
        drinks_core::migrations::LATEST_MIGRATION,
        done.len()
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("migrate: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
