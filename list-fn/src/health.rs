//! `GET /api/health`: the database is reachable and migrated to this build's schema.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::migrations::check_migrated;
use drinks_core::problem::chain;
use drinks_core::{ApiError, DbFailure, InfraError, shapes, sql};
use spin_sdk::http::Response;

pub fn endpoint(_: &Request, _: &PathParams) -> Result<Response, ApiError> {
    let applied = match db::query_raw(sql::HEALTH, &[]) {
        Ok(json) => shapes::applied_migration(json.as_deref())?,
        // No schema_migrations table yet: nothing applied.
        Err(Ok(DbFailure::Query { code, .. })) if code == "42P01" => 0,
        Err(Ok(failure)) => {
            let error = failure.final_error();
            if let ApiError::Infra(InfraError::SchemaMissing(_)) = error {
                // schema_migrations is there but not as this build knows it.
                return Err(error);
            }
            // Readiness failures must be visible in the pod log (an untrusted CA, a wrong
            // db_host/db_port): one line per probe, bounded by the probe period. Logged
            // here, as the 503 below is not logged where responses are built.
            let level = if error.is_internal() {
                "error"
            } else {
                "warning"
            };
            eprintln!("{level}: health check: {}", chain(&error));
            return Err(InfraError::DatabaseUnavailable(Box::new(error)).into());
        }
        Err(Err(error)) => return Err(error),
    };
    Ok(respond::json(200, to_json(&check_migrated(applied)?)?))
}
