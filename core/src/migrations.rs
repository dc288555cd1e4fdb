//! The schema versions this build was made for.
//!
//! `migrations/NNNN_name.sql` are the source of truth; this module embeds them so that
//! tools can apply exactly the files this build knows, and so list-fn's health check can
//! tell whether the database is current.

use crate::problem::{ApiError, InfraError};

/// One migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Kept in sync with the directory by a unit test.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "write_functions",
        sql: include_str!("../../migrations/0002_write_functions.sql"),
    },
    Migration {
        version: 3,
        name: "json_shapes",
        sql: include_str!("../../migrations/0003_json_shapes.sql"),
    },
];

/// The highest migration this build needs. Kept in sync with the directory by a unit test.
pub const LATEST_MIGRATION: i64 = 3;

/// Readiness from the highest applied migration. A database that is ahead of this build
/// (a newer release migrated it during a rolling update) still serves this build.
pub fn check_migrated(applied: i64) -> Result<crate::api::Health, ApiError> {
    if applied >= LATEST_MIGRATION {
        Ok(crate::api::Health {
            status: "ok",
            migration: applied,
        })
    } else {
        Err(InfraError::NotMigrated {
            applied,
            required: LATEST_MIGRATION,
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn files() -> Vec<(i64, String, String)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut out: Vec<(i64, String, String)> = std::fs::read_dir(&dir)
            .expect("migrations directory")
            .map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|n| n.ends_with(".sql"))
            .map(|n| {
                let (num, rest) = n.split_once('_').expect("NNNN_name.sql");
                assert_eq!(num.len(), 4, "{n}: four-digit version");
                let version = num.parse().expect("numeric version");
                let name = rest.trim_end_matches(".sql").to_owned();
                let sql = std::fs::read_to_string(dir.join(&n)).expect("readable");
                (version, name, sql)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn latest_migration_matches_the_highest_file() {
        let max = files().iter().map(|f| f.0).max().unwrap();
        assert_eq!(LATEST_MIGRATION, max);
    }

    #[test]
    fn embedded_migrations_match_the_directory() {
        let files = files();
        assert_eq!(files.len(), MIGRATIONS.len());
        for (file, embedded) in files.iter().zip(MIGRATIONS) {
            assert_eq!(file.0, embedded.version);
            assert_eq!(file.1, embedded.name);
            assert_eq!(file.2, embedded.sql);
        }
    }

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (i, f) in files().iter().enumerate() {
            assert_eq!(f.0, i as i64 + 1, "{}", f.1);
        }
    }

    /// The text outside dollar-quoted bodies (`$tag$ … $tag$`): a PL/pgSQL body's `begin`
    /// opens a block, not a transaction.
    fn outside_dollar_quotes(sql: &str) -> String {
        let mut out = String::new();
        let mut rest = sql;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let tag_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let is_quote = after[tag_len..].starts_with('$')
                && !after.starts_with(|c: char| c.is_ascii_digit());
            if !is_quote {
                out.push('$');
                rest = after;
                continue;
            }
            let delimiter = &rest[i..i + tag_len + 2];
            let body = &rest[i + delimiter.len()..];
            let end = body.find(delimiter).expect("closed dollar quote");
            rest = &body[end + delimiter.len()..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn dollar_quoted_bodies_are_skipped() {
        let sql = "create function f() returns int language plpgsql as $fn$\nbegin\n  \
                   return 1;\nend\n$fn$;\nselect $$begin$$, $1;";
        let outside = outside_dollar_quotes(sql);
        assert!(!outside.contains("begin"), "{outside}");
        assert!(outside.contains("select , $1;"), "{outside}");
    }

    #[test]
    fn migrations_do_not_manage_their_own_transaction() {
        for (v, name, sql) in files() {
            let sql = outside_dollar_quotes(&sql);
            for line in sql.lines().map(|l| l.trim().to_ascii_lowercase()) {
                if line.starts_with("--") {
                    continue;
                }
                for word in [
                    "begin",
                    "begin;",
                    "commit",
                    "commit;",
                    "rollback",
                    "rollback;",
                ] {
                    assert!(
                        !line.split_whitespace().any(|w| w == word),
                        "{v}_{name}: {line}"
                    );
                }
            }
        }
    }

    #[test]
    fn first_migration_seeds_the_original_menu() {
        let sql = MIGRATIONS[0].sql;
        for id in ["espresso", "cappuccino", "tea", "water", "fruit-juice"] {
            assert!(sql.contains(&format!("('{id}'")), "{id}");
        }
        assert!(sql.contains("('beer', 'Beer', 60, false)"));
        assert!(sql.contains("('wine', 'Wine', 70, false)"));
    }

    #[test]
    fn current_database_is_healthy_and_older_one_is_not() {
        assert!(check_migrated(LATEST_MIGRATION).is_ok());
        assert!(check_migrated(LATEST_MIGRATION + 1).is_ok());
        let e = check_migrated(LATEST_MIGRATION - 1).unwrap_err();
        assert_eq!(e.problem().status, 503);
    }
}
