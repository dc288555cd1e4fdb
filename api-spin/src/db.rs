//! One statement per request on spin's pg4: the JSON text it answers, errors classified by
//! core.

use drinks_core::{ApiError, DbFailure, DbVerdict, InfraError};
use spin_sdk::pg4::{Connection, DbValue, ParameterValue, PgError, QueryError};

/// The connection string (the Spin variable `db_url`).
fn db_url() -> Result<String, ApiError> {
    spin_sdk::variables::get("db_url")
        .map_err(|e| ApiError::internal_because("reading the Spin variable db_url", e))
}

/// Runs one statement on a fresh connection (one pool checkout) and returns the one JSON
/// text it answers (`None` when it returns no row). A unique-violation race (a concurrent
/// twin of the same request) is answered by running it once more. `name` is the
/// statement's constant name, used in logs.
pub fn query(name: &str, sql: &str, params: &[ParameterValue]) -> Result<Option<String>, ApiError> {
    Session::open(name)?.query(name, sql, params)
}

/// One connection (one pool checkout) for a request that runs several statements one
/// after another (the pages of the streamed export).
pub struct Session {
    conn: Connection,
}

impl Session {
    /// Opens the connection; `name` (the first statement's) is the context of a failure.
    pub fn open(name: &str) -> Result<Self, ApiError> {
        let url = db_url()?;
        let conn = Connection::open(&url)
            .map_err(|e| failure(e).final_error().context(statement(name)))?;
        Ok(Self { conn })
    }

    /// Runs one statement, as [`query`] does.
    pub fn query(
        &self,
        name: &str,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<Option<String>, ApiError> {
        let conn = &self.conn;
        let result = match run(conn, sql, params) {
            Ok(json) => Ok(json),
            Err(first) => match first.verdict() {
                DbVerdict::Retry => {
                    run(conn, sql, params).map_err(|second| match second.verdict() {
                        DbVerdict::Retry => InfraError::Contention.into(),
                        DbVerdict::Fail(e) => e,
                    })
                }
                DbVerdict::Fail(e) => Err(e),
            },
        };
        result.map_err(|e| e.context(statement(name)))
    }
}

/// Like [`query`] but hands back the raw failure, for callers that classify it themselves.
pub fn query_raw(
    sql: &str,
    params: &[ParameterValue],
) -> Result<Option<String>, Result<DbFailure, ApiError>> {
    let url = db_url().map_err(Err)?;
    let conn = Connection::open(&url).map_err(|e| Ok(failure(e)))?;
    run(&conn, sql, params).map_err(Ok)
}

/// A statement that answers a type and bytes (a stored picture), or no row.
pub fn query_bytes(
    name: &str,
    sql: &str,
    params: &[ParameterValue],
) -> Result<Option<(String, Vec<u8>)>, ApiError> {
    let session = Session::open(name)?;
    let rows = session
        .conn
        .query(sql, params)
        .map_err(|e| failure(e).final_error().context(statement(name)))?;
    match rows.rows.into_iter().next() {
        None => Ok(None),
        Some(row) => match <[DbValue; 2]>::try_from(row) {
            Ok([DbValue::Str(kind), DbValue::Binary(bytes)]) => Ok(Some((kind, bytes))),
            Ok(other) => Err(ApiError::internal(format!(
                "{}: expected a text and a bytea column, got {other:?}",
                statement(name)
            ))),
            Err(row) => Err(ApiError::internal(format!(
                "{}: expected two columns, got {}",
                statement(name),
                row.len()
            ))),
        },
    }
}

/// The statement's single JSON text column of its single row (or no row).
fn run(
    conn: &Connection,
    sql: &str,
    params: &[ParameterValue],
) -> Result<Option<String>, DbFailure> {
    let rows = conn.query(sql, params).map_err(failure)?;
    let mut rows = rows.rows.into_iter();
    let json = match rows.next() {
        None => return Ok(None),
        Some(row) => match <[DbValue; 1]>::try_from(row) {
            Ok([DbValue::Str(json)]) => json,
            Ok([other]) => {
                return Err(DbFailure::Other(format!(
                    "expected one JSON text column, got {other:?}"
                )));
            }
            Err(row) => {
                return Err(DbFailure::Other(format!(
                    "expected one JSON text column, got {} columns",
                    row.len()
                )));
            }
        },
    };
    if rows.next().is_some() {
        return Err(DbFailure::Other("expected at most one row".into()));
    }
    Ok(Some(json))
}

/// The context an error of statement `name` is logged with.
fn statement(name: &str) -> String {
    format!("statement {name}")
}

/// Classifies a pg4 error without spin types leaking into core.
pub fn failure(e: PgError) -> DbFailure {
    match e {
        PgError::ConnectionFailed(msg) => DbFailure::Connection(msg),
        PgError::QueryFailed(QueryError::DbError(db)) => DbFailure::Query {
            code: db.code,
            message: db.as_text,
        },
        PgError::QueryFailed(QueryError::Text(msg)) => DbFailure::Query {
            code: String::new(),
            message: msg,
        },
        PgError::BadParameter(msg) => DbFailure::Other(format!("bad parameter: {msg}")),
        PgError::ValueConversionFailed(msg) => {
            DbFailure::Other(format!("value conversion failed: {msg}"))
        }
        PgError::Other(msg) => DbFailure::Other(msg),
    }
}
