//! `spin:postgres/postgres@4.0.0` on tokio-postgres, shaped like Spin 3.6.3's host:
//!
//! - one connection pool (deadpool, at most 64 connections) per connection string;
//! - every `connection.open` is one checkout, and each checkout first runs deadpool's
//!   `Clean` recycling batch (`CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL;
//!   UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES;`);
//! - statements are prepared anew on every call (no statement cache);
//! - TLS is verified (rustls; trust from the platform store and `SSL_CERT_FILE`) unless the
//!   URL says `sslmode=disable`; there is no plaintext fallback after a failed handshake;
//! - values convert exactly as `types` documents, including Spin's refusal of `timestamptz`
//!   result columns.

mod types;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::config::SslMode;
use tokio_postgres::types::ToSql;
use wasmtime::component::Resource;

use crate::bindings::pg4::{
    self, Column, Error, HostConnection, ParameterValue, QueryError, RowSet,
};
use crate::state::HostState;

/// Spin's per-address pool size.
pub const POOL_SIZE: usize = 64;

/// A checked-out connection, owned by a component instance until it drops the resource.
pub struct PgConnection {
    client: deadpool_postgres::Object,
}

/// Connection pools shared by every component instance of one host, keyed by address.
#[derive(Default)]
pub struct PgPools {
    pools: Mutex<HashMap<String, Pool>>,
}

impl PgPools {
    fn pool_for(&self, address: &str) -> anyhow::Result<Pool> {
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pool) = pools.get(address) {
            return Ok(pool.clone());
        }
        let pool = create_pool(address)?;
        pools.insert(address.to_string(), pool.clone());
        Ok(pool)
    }

    async fn checkout(&self, address: &str) -> anyhow::Result<deadpool_postgres::Object> {
        let pool = self.pool_for(address)?;
        Ok(pool.get().await?)
    }
}

fn create_pool(address: &str) -> anyhow::Result<Pool> {
    let config: tokio_postgres::Config = address
        .parse()
        .context("parsing PostgreSQL connection string")?;
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Clean,
    };
    let manager = if config.get_ssl_mode() == SslMode::Disable {
        Manager::from_config(config, tokio_postgres::NoTls, manager_config)
    } else {
        Manager::from_config(config, crate::tls::make_connector()?, manager_config)
    };
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .build()
        .context("building PostgreSQL connection pool")
}

fn query_failed(e: tokio_postgres::Error) -> Error {
    let as_text = format!("{e:?}");
    match e.as_db_error() {
        None => Error::QueryFailed(QueryError::Text(as_text)),
        Some(db) => {
            let mut extras = Vec::new();
            let mut push = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    extras.push((k.to_string(), v));
                }
            };
            push("column", db.column().map(str::to_string));
            push("constraint", db.constraint().map(str::to_string));
            push("routine", db.routine().map(str::to_string));
            push("hint", db.hint().map(str::to_string));
            push("table", db.table().map(str::to_string));
            push("datatype", db.datatype().map(str::to_string));
            push("schema", db.schema().map(str::to_string));
            push("file", db.file().map(str::to_string));
            push("line", db.line().map(|l| l.to_string()));
            push("where_", db.where_().map(str::to_string));
            Error::QueryFailed(QueryError::DbError(pg4::DbError {
                as_text,
                severity: db.severity().to_string(),
                code: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                extras,
            }))
        }
    }
}

fn params_to_sql(params: &[ParameterValue]) -> anyhow::Result<Vec<Box<dyn ToSql + Send + Sync>>> {
    params.iter().map(types::to_sql).collect()
}

fn as_refs(params: &[Box<dyn ToSql + Send + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

impl pg4::Host for HostState {}

impl HostConnection for HostState {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<PgConnection>, Error>> {
        if !self.component.allowed_hosts.allows_postgres(&address) {
            tracing::warn!(
                component = %self.component.id,
                "refused PostgreSQL connection: address not in allowed_outbound_hosts"
            );
            return Ok(Err(Error::ConnectionFailed(refusal(&address))));
        }
        match self.pools.checkout(&address).await {
            Ok(client) => Ok(Ok(self.table.push(PgConnection { client })?)),
            Err(e) => Ok(Err(Error::ConnectionFailed(crate::error_chain(&e)))),
        }
    }

    async fn query(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<RowSet, Error>> {
        let params = match params_to_sql(&params) {
            Ok(p) => p,
            Err(e) => return Ok(Err(Error::BadParameter(crate::error_chain(&e)))),
        };
        let client = &self.table.get(&conn)?.client;
        let rows = match client.query(&statement, &as_refs(&params)).await {
            Ok(rows) => rows,
            Err(e) => return Ok(Err(query_failed(e))),
        };
        // Spin derives the columns from the first row: an empty result has no columns.
        let Some(first) = rows.first() else {
            return Ok(Ok(RowSet {
                columns: vec![],
                rows: vec![],
            }));
        };
        let columns = first
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                data_type: types::data_type(c.type_()),
            })
            .collect();
        let converted = rows
            .iter()
            .map(|row| (0..row.len()).map(|i| types::from_row(row, i)).collect())
            .collect::<anyhow::Result<Vec<Vec<_>>>>();
        Ok(match converted {
            Ok(rows) => Ok(RowSet { columns, rows }),
            Err(e) => Err(Error::QueryFailed(QueryError::Text(crate::error_chain(&e)))),
        })
    }

    async fn execute(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<u64, Error>> {
        let params = match params_to_sql(&params) {
            Ok(p) => p,
            Err(e) => return Ok(Err(Error::ValueConversionFailed(crate::error_chain(&e)))),
        };
        let client = &self.table.get(&conn)?.client;
        Ok(client
            .execute(&statement, &as_refs(&params))
            .await
            .map_err(query_failed))
    }

    async fn drop(&mut self, conn: Resource<PgConnection>) -> wasmtime::Result<()> {
        // Dropping the deadpool object returns the connection to its pool.
        self.table.delete(conn)?;
        Ok(())
    }
}

/// The message of a refused address, in Spin's words: the scheme, host and port only,
/// never the user, password, database or options (spinframework/spin v3.6.3
/// crates/factor-outbound-pg/src/host.rs:51-77).
pub fn refusal(address: &str) -> String {
    let config = match address.parse::<tokio_postgres::Config>() {
        Ok(config) => config,
        Err(e) => return e.to_string(),
    };
    // The host that was refused is the first one (this host checks one host per address).
    match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => {
            let port = config
                .get_ports()
                .first()
                .map(|p| format!(":{p}"))
                .unwrap_or_default();
            format!("address postgres://{host}{port} is not permitted")
        }
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(_)) => {
            "Unix sockets are not supported on WebAssembly".to_string()
        }
        None => "address is not permitted".to_string(),
    }
}

/// Hides the password of a connection string in messages and logs.
pub fn redact(address: &str) -> String {
    match url::Url::parse(address) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<connection string>".to_string(),
    }
}

/// Shared pools; cheap to clone.
pub type SharedPools = Arc<PgPools>;

#[cfg(test)]
mod tests {
    use super::*;

    /// spinframework/spin v3.6.3 crates/factor-outbound-pg/src/host.rs:66-75.
    #[test]
    fn a_refusal_names_only_the_scheme_host_and_port_like_spin() {
        assert_eq!(
            refusal("postgres://app:hunter2@127.0.0.1:5432/drinks?sslmode=disable"),
            "address postgres://127.0.0.1:5432 is not permitted"
        );
        // tokio-postgres fills in the default port, for Spin as for this host.
        assert_eq!(
            refusal("postgres://app:hunter2@db.example/drinks"),
            "address postgres://db.example:5432 is not permitted"
        );
        assert!(!refusal("host=10.0.0.1 password=hunter2").contains("hunter2"));
    }
}
