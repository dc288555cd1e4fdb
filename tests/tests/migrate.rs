//! Production migrations: the `migrate` command component (migrate/spin.toml), run by the
//! development host exactly as the Kubernetes Job runs it on SpinKube.

use drinks_core::migrations::LATEST_MIGRATION;
use e2e::{TestDatabase, workspace_root};

async fn run_migrate(url: &str) -> anyhow::Result<String> {
    devhost::migrate(
        &e2e::engine(),
        &workspace_root().join("migrate/spin.toml"),
        url,
    )
    .await
}

async fn versions(db: &TestDatabase) -> Vec<i64> {
    db.client()
        .await
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("schema_migrations")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_fresh_database_is_migrated_to_the_latest_version() {
    let db = TestDatabase::create(false).await;
    let printed = run_migrate(&db.url).await.expect("migrates");
    assert!(printed.contains("applied 0001_init"), "{printed}");
    assert_eq!(versions(&db).await.last(), Some(&LATEST_MIGRATION));
    let drinks: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM drinks", &[])
        .await
        .expect("drinks")
        .get(0);
    assert_eq!(drinks, 7, "the menu is seeded");
}

#[tokio::test]
async fn migrating_a_current_database_again_changes_nothing() {
    let db = TestDatabase::create(true).await;
    let before = versions(&db).await;
    let printed = run_migrate(&db.url).await.expect("migrates again");
    assert!(printed.contains("0 applied now"), "{printed}");
    assert_eq!(versions(&db).await, before);
}

#[tokio::test]
async fn concurrent_runs_apply_each_migration_once() {
    let db = TestDatabase::create(false).await;
    let runs = (0..4).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { run_migrate(&url).await })
    });
    for run in runs {
        run.await.expect("join").expect("every run succeeds");
    }
    let v = versions(&db).await;
    let mut unique = v.clone();
    unique.dedup();
    assert_eq!(v, unique);
    assert_eq!(v.last(), Some(&LATEST_MIGRATION));
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_build_is_refused() {
    let db = TestDatabase::create(true).await;
    db.client()
        .await
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')",
            &[],
        )
        .await
        .expect("insert");
    let err = run_migrate(&db.url).await.expect_err("refused");
    assert!(format!("{err:#}").contains("newer"), "{err:#}");
}

#[tokio::test]
async fn an_edited_applied_migration_is_refused() {
    let db = TestDatabase::create(true).await;
    db.client()
        .await
        .execute(
            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1",
            &[],
        )
        .await
        .expect("update");
    let err = run_migrate(&db.url).await.expect_err("refused");
    assert!(
        format!("{err:#}").contains("changed after it was applied"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_failing_migration_leaves_no_trace() {
    // A database where the first migration cannot apply (a conflicting table exists).
    let db = TestDatabase::create(false).await;
    db.client()
        .await
        .batch_execute("CREATE TABLE orders (conflict int)")
        .await
        .expect("arrange");
    let err = run_migrate(&db.url).await.expect_err("fails");
    assert!(format!("{err:#}").contains("rolled back"), "{err:#}");
    let drinks_exists: bool = db
        .client()
        .await
        .query_one("SELECT to_regclass('drinks') IS NOT NULL", &[])
        .await
        .expect("query")
        .get(0);
    assert!(!drinks_exists, "the half-applied migration was rolled back");
    assert!(versions(&db).await.is_empty());
}
