//! `GET /api/health`: the database is reachable and migrated to this build's schema.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::migrations::check_migrated;
use drinks_core::{ApiError, DbFailure, shapes, sql};
use spin_sdk::http::Response;

pub fn endpoint(_: &Request, _: &PathParams) -> Result<Response, ApiError> {
    let applied = match db::query_raw(sql::HEALTH, &[]) {
        Ok(json) => shapes::applied_migration(json.as_deref())?,
        // No schema_migrations table yet: nothing applied.
        Err(Ok(DbFailure::Query { code, .. })) if code == "42P01" => 0,
        Err(Ok(failure)) => {
            let error = failure.final_error();
            if let ApiError::SchemaMissing(_) = error {
                // schema_migrations is there but not as this build knows it.
                return Err(error);
            }
            if error.is_internal() {
                eprintln!("error: health check: {error}");
            } else {
                // Readiness failures must be visible in the pod log (an untrusted CA, a
                // wrong db_host/db_port): one line per probe, bounded by the probe period.
                eprintln!("warning: health check: database unavailable: {error}");
            }
            return Err(ApiError::DatabaseUnavailable(error.to_string()));
        }
        Err(Err(error)) => return Err(error),
    };
    Ok(respond::json(200, to_json(&check_migrated(applied)?)?))
}
