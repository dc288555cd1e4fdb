//! Small helpers on `postgres://` URLs shared by the harness and `cargo xtask`.

/// `url` with its database name replaced by `db` (query string kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (before, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // postgres://user@host:port/dbname: what follows the third '/' is the database.
    let base = match before.match_indices('/').nth(2) {
        Some((i, _)) => &before[..i],
        None => before,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Host and port of a `postgres://` URL (5432 when none is given), for `db_host`/`db_port`.
pub fn host_and_port(url: &str) -> (String, u16) {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    match host_port.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(']') => {
            (h.to_string(), p.parse().unwrap_or(5432))
        }
        _ => (host_port.to_string(), 5432),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_of_a_url_is_replaced() {
        assert_eq!(
            with_database(
                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
                "x"
            ),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1/db", "x"),
            "postgres://u:p@h:1/x"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }

    #[test]
    fn host_and_port_come_from_the_authority() {
        assert_eq!(
            host_and_port("postgres://u:p@db.example:21699/x?sslmode=require"),
            ("db.example".to_string(), 21699)
        );
        assert_eq!(host_and_port("postgres://h/x"), ("h".to_string(), 5432));
        assert_eq!(
            host_and_port("postgres://[::1]/x"),
            ("[::1]".to_string(), 5432)
        );
    }
}
