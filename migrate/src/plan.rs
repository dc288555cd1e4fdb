//! Pure planning for the migration runner: statement splitting, checksums, and deciding
//! which migrations to apply given what the database has recorded.

use drinks_core::migrations::Migration;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of a migration's text, recorded in `schema_migrations.checksum`.
pub fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A migration recorded in `schema_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub name: String,
    pub checksum: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// The database was migrated by a newer build: refuse rather than guess.
    NewerSchema {
        database: i64,
        database_name: String,
        known: i64,
    },
    /// A migration file was edited after it was applied.
    Changed { version: i64, name: String },
    /// The database records a version this build does not have (a gap or a deleted file).
    Unknown { version: i64, name: String },
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::NewerSchema {
                database,
                database_name,
                known,
            } => write!(
                f,
                "the database schema is at version {database} ({database_name}), newer than \
                 the newest migration of this build ({known}); run the newer build's migrations"
            ),
            PlanError::Changed { version, name } => write!(
                f,
                "migration {version:04}_{name} was changed after it was applied; \
                 add a new migration instead of editing an applied one"
            ),
            PlanError::Unknown { version, name } => write!(
                f,
                "the database records migration {version:04}_{name}, which this build does not have"
            ),
        }
    }
}

/// The migrations still to apply, in order.
pub fn plan<'a>(
    known: &'a [Migration],
    applied: &[Applied],
) -> Result<Vec<&'a Migration>, PlanError> {
    let newest_known = known.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(newest) = applied.iter().max_by_key(|a| a.version)
        && newest.version > newest_known
    {
        return Err(PlanError::NewerSchema {
            database: newest.version,
            database_name: newest.name.clone(),
            known: newest_known,
        });
    }
    for a in applied {
        match known.iter().find(|m| m.version == a.version) {
            None => {
                return Err(PlanError::Unknown {
                    version: a.version,
                    name: a.name.clone(),
                });
            }
            Some(m) if checksum(m.sql) != a.checksum => {
                return Err(PlanError::Changed {
                    version: m.version,
                    name: m.name.to_string(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(known
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .collect())
}

/// Splits a migration into single statements (pg4 prepares each statement, and a prepared
/// statement holds one command). Semicolons inside quotes, quoted identifiers,
/// dollar-quoted bodies and comments do not split. Empty statements are dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut only_comments = true;
    let push = |out: &mut Vec<String>, text: &str, only_comments: bool| {
        let t = text.trim();
        if !t.is_empty() && !only_comments {
            out.push(t.to_string());
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 1;
                i += 2;
                while i < bytes.len() && depth > 0 {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'\'' | b'"' => {
                only_comments = false;
                let backslash_escapes = c == b'\'' && i > 0 && matches!(bytes[i - 1], b'e' | b'E');
                i += 1;
                while i < bytes.len() {
                    if backslash_escapes && bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == c {
                        if bytes.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'$' => {
                only_comments = false;
                // $tag$ ... $tag$ where tag is empty or an identifier.
                let rest = &sql[i + 1..];
                let tag_len = rest
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                if rest.as_bytes().get(tag_len) == Some(&b'$')
                    && !rest[..tag_len].starts_with(|ch: char| ch.is_ascii_digit())
                {
                    let delimiter = &sql[i..i + tag_len + 2];
                    let body_start = i + tag_len + 2;
                    match sql[body_start..].find(delimiter) {
                        Some(end) => i = body_start + end + delimiter.len(),
                        None => i = bytes.len(),
                    }
                    continue;
                }
            }
            b';' => {
                push(&mut out, &sql[start..i], only_comments);
                start = i + 1;
                only_comments = true;
                i += 1;
                continue;
            }
            c if !c.is_ascii_whitespace() => only_comments = false,
            _ => {}
        }
        i += 1;
    }
    push(&mut out, &sql[start..], only_comments);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: Migration = Migration {
        version: 1,
        name: "init",
        sql: "create table a (x int);",
    };
    const M2: Migration = Migration {
        version: 2,
        name: "more",
        sql: "alter table a add y int;",
    };

    fn applied(m: &Migration) -> Applied {
        Applied {
            version: m.version,
            name: m.name.to_string(),
            checksum: checksum(m.sql),
        }
    }

    #[test]
    fn a_fresh_database_gets_every_migration_in_order() {
        let todo = plan(&[M1, M2], &[]).expect("plan");
        assert_eq!(todo.iter().map(|m| m.version).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn applied_migrations_are_not_applied_again() {
        let todo = plan(&[M1, M2], &[applied(&M1)]).expect("plan");
        assert_eq!(todo.iter().map(|m| m.version).collect::<Vec<_>>(), [2]);
        assert!(
            plan(&[M1, M2], &[applied(&M1), applied(&M2)])
                .expect("plan")
                .is_empty()
        );
    }

    #[test]
    fn a_database_newer_than_this_build_is_refused() {
        let err = plan(&[M1], &[applied(&M1), applied(&M2)]).unwrap_err();
        assert!(matches!(
            err,
            PlanError::NewerSchema {
                database: 2,
                known: 1,
                ..
            }
        ));
        assert!(err.to_string().contains("newer"));
    }

    #[test]
    fn an_edited_applied_migration_is_refused() {
        let mut edited = applied(&M1);
        edited.checksum = checksum("something else");
        assert!(matches!(
            plan(&[M1, M2], &[edited]).unwrap_err(),
            PlanError::Changed { version: 1, .. }
        ));
    }

    #[test]
    fn a_recorded_version_this_build_lacks_is_refused() {
        let ghost = Applied {
            version: 1,
            name: "ghost".into(),
            checksum: "x".into(),
        };
        assert!(matches!(
            plan(&[M2], &[ghost]).unwrap_err(),
            PlanError::Unknown { version: 1, .. }
        ));
    }

    #[test]
    fn statements_split_on_semicolons() {
        assert_eq!(
            split_statements("create table a (x int);\ninsert into a values (1);"),
            ["create table a (x int)", "insert into a values (1)"]
        );
    }

    #[test]
    fn semicolons_in_strings_identifiers_and_comments_do_not_split() {
        let sql = "insert into t values ('a;b', 'it''s;');\n\
                   -- a comment; with a semicolon\n\
                   create table \"we;ird\" (x int); /* block; /* nested; */ still */ select 1;";
        assert_eq!(
            split_statements(sql),
            [
                "insert into t values ('a;b', 'it''s;')",
                "-- a comment; with a semicolon\ncreate table \"we;ird\" (x int)",
                "/* block; /* nested; */ still */ select 1"
            ]
        );
    }

    #[test]
    fn dollar_quoted_bodies_stay_whole() {
        let sql = "create function f() returns int language sql as $$ select 1; $$;\n\
                   create function g() returns int language plpgsql as $body$ begin return 2; end; $body$;";
        let parts = split_statements(sql);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].ends_with("$$ select 1; $$"));
        assert!(parts[1].ends_with("$body$ begin return 2; end; $body$"));
    }

    #[test]
    fn escaped_quotes_in_e_strings_do_not_end_the_string() {
        assert_eq!(
            split_statements("select E'a\\';b'; select 2"),
            ["select E'a\\';b'", "select 2"]
        );
    }

    #[test]
    fn positional_parameters_are_not_dollar_quotes() {
        assert_eq!(
            split_statements("prepare p as select $1; select 2"),
            ["prepare p as select $1", "select 2"]
        );
    }

    #[test]
    fn trailing_comments_and_blank_statements_are_dropped() {
        assert_eq!(split_statements("select 1;;\n-- end\n"), ["select 1"]);
    }

    #[test]
    fn every_real_migration_splits_into_statements() {
        for m in drinks_core::migrations::MIGRATIONS {
            let parts = split_statements(m.sql);
            assert!(!parts.is_empty(), "{}", m.name);
            assert!(parts.iter().all(|p| !p.trim_end().ends_with(';')));
        }
    }
}
