//! Browser tests (issue 5): the static frontend in headless Chromium against the development
//! host and a fresh PostgreSQL database per test.
//!
//! Each test starts the app, then runs one scenario script `web/tests/<name>.mjs` with Node
//! (playwright-core driving `/usr/bin/chromium`), passing `APP_URL`, `BAR_TOKEN` and
//! `SCREENSHOT_DIR` (target/screenshots). The script exits 0 on success; on failure its
//! output is printed. Needs `cargo xtask build` (npm packages and the built `web/dist/`).
//!
//! Without /usr/bin/chromium (or node) the tests FAIL. A developer without a browser may opt
//! out with `SKIP_BROWSER_TESTS=1`: then each test is skipped with a loud message. The opt-out
//! is ignored when `CI` is set: in CI a missing browser is always a failure.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::Semaphore;

const CHROMIUM: &str = "/usr/bin/chromium";
/// The developers' opt-out when no browser is installed; never honoured in CI.
const SKIP_VARIABLE: &str = "SKIP_BROWSER_TESTS";
/// Chromium instances at once (each scenario opens one browser with several contexts).
const PARALLEL_BROWSERS: usize = 3;
const SCENARIO_LIMIT: Duration = Duration::from_secs(180);

fn browsers() -> &'static Semaphore {
    static SEMAPHORE: OnceLock<Semaphore> = OnceLock::new();
    SEMAPHORE.get_or_init(|| Semaphore::new(PARALLEL_BROWSERS))
}

fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CHROMIUM))
}

fn node_available() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `None` when the browser tests can run; `Some(why)` when a tool is missing and the developer
/// opted out with `SKIP_BROWSER_TESTS=1`. Otherwise a missing tool is a failure, and always
/// when `CI` is set.
fn missing_tools() -> Option<String> {
    let mut missing = Vec::new();
    if !chromium_path().exists() {
        missing.push(format!(
            "{} (apt-get install -y chromium)",
            chromium_path().display()
        ));
    }
    if !node_available() {
        missing.push("node (apt-get install -y nodejs npm)".to_string());
    }
    if missing.is_empty() {
        return None;
    }
    let message = format!("browser tests need {}", missing.join(" and "));
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    let opted_out = std::env::var(SKIP_VARIABLE).is_ok_and(|v| v == "1");
    if ci {
        panic!(
            "{message}; CI is set, so this is a failure (the {SKIP_VARIABLE} opt-out does not apply in CI)"
        );
    }
    if !opted_out {
        panic!(
            "{message}; to skip the browser tests on a machine without them, set {SKIP_VARIABLE}=1"
        );
    }
    Some(message)
}

/// Starts the app and runs `web/tests/<name>.mjs` against it; returns the app (for database
/// assertions) or `None` when skipped.
async fn run_scenario(name: &str) -> Option<e2e::TestApp> {
    if !prerequisites(name) {
        return None;
    }
    let app = e2e::spawn_app().await;
    run_script(name, &app, &[]).await;
    Some(app)
}

/// Checks what every scenario needs; `false` when skipped (developer opt-out only).
fn prerequisites(name: &str) -> bool {
    if let Some(why) = missing_tools() {
        eprintln!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !!! SKIPPED browser scenario {name}: {why}\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
        return false;
    }
    let root = e2e::workspace_root();
    assert!(
        root.join("web/node_modules/playwright-core").exists(),
        "web/node_modules is missing: run `cargo xtask build` (or `npm ci --prefix web`)"
    );
    assert!(
        root.join("web/dist/manifest.tsv").exists(),
        "web/dist is missing: run `cargo xtask build` (or `node web/build.mjs`)"
    );
    true
}

/// Runs `web/tests/<name>.mjs` against `app` (with extra environment variables); panics with
/// the script's output when it fails.
async fn run_script(name: &str, app: &e2e::TestApp, env: &[(&str, &Path)]) {
    let root = e2e::workspace_root();
    let _permit = browsers().acquire().await.expect("semaphore");
    let screenshots = root.join("target/screenshots");
    let mut command = tokio::process::Command::new("node");
    command
        .arg(root.join(format!("web/tests/{name}.mjs")))
        .current_dir(&root)
        .env("APP_URL", &app.address)
        .env("BAR_TOKEN", &app.bar_token)
        .env("SCREENSHOT_DIR", &screenshots)
        .env("CHROMIUM", chromium_path())
        .envs(env.iter().map(|(k, v)| (k, v.as_os_str())))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(SCENARIO_LIMIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("scenario {name} ran longer than {SCENARIO_LIMIT:?}"))
        .expect("start node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser scenario {name} failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );
    println!("{stdout}");
}

async fn count_where(app: &e2e::TestApp, sql: &str) -> i64 {
    app.db
        .client()
        .await
        .query_one(sql, &[])
        .await
        .expect("count")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitor_sees_ready_after_the_bar_advances_the_order() {
    let Some(app) = run_scenario("visitor_ready").await else {
        return;
    };
    let served = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Ana' AND status = 'served'",
    )
    .await;
    assert_eq!(served, 1, "the order went all the way to served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_visitor_sees_how_many_orders_are_before_theirs_and_when_it_should_be_ready() {
    run_scenario("queue_place").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_starts_exactly_the_waiting_espressos_and_reports_what_another_tablet_changed() {
    let Some(app) = run_scenario("bar_batch").await else {
        return;
    };
    let count = |sql: &'static str| count_where(&app, sql);
    assert_eq!(
        count("SELECT count(*) FROM orders WHERE nickname = 'Ana' AND status = 'cancelled' AND version = 2")
            .await,
        1,
        "the espresso the other tablet cancelled stays cancelled"
    );
    assert_eq!(
        count("SELECT count(*) FROM orders WHERE nickname IN ('Ben', 'Cleo', 'Dora') AND status = 'preparing' AND version = 2")
            .await,
        3,
        "each waiting espresso moved once"
    );
    assert_eq!(
        count("SELECT count(*) FROM orders WHERE nickname IN ('Tom', 'Tina') AND status = 'preparing' AND version = 2")
            .await,
        2,
        "the selected teas moved once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_tablet_stays_awake_keeps_polling_while_hidden_and_purges_after_the_event() {
    run_scenario("bar_tablet").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_by_the_bar_with_a_reason_shows_on_the_visitors_page_and_the_done_list_finds_it() {
    let Some(app) = run_scenario("bar_cancel_reason").await else {
        return;
    };
    let stored = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Ana' AND status = 'cancelled' \
         AND cancelled_by = 'bar' AND cancel_reason = 'Out of oat milk <b>sorry</b>'",
    )
    .await;
    assert_eq!(stored, 1, "the reason is stored with the bar's cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undoing_a_mistaken_served_brings_the_order_back_to_ready_on_the_bar_and_the_phone() {
    let Some(app) = run_scenario("bar_undo").await else {
        return;
    };
    let ready = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Ana' AND status = 'ready' AND served_at IS NULL",
    )
    .await;
    assert_eq!(
        ready, 1,
        "the order is ready again, its served time cleared"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_or_critical_violation_on_the_bar_page() {
    run_scenario("bar_a11y").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_nickname_is_text_everywhere_and_runs_nothing() {
    let Some(app) = run_scenario("xss").await else {
        return;
    };
    let stored = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = '<img src=x onerror=alert(1)>'",
    )
    .await;
    assert_eq!(stored, 1, "the nickname is stored as typed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_follows_an_order_through_the_bar_passes_axe_and_never_scrolls() {
    let Some(app) = run_scenario("board").await else {
        return;
    };
    let served = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Ana' AND status = 'served'",
    )
    .await;
    assert_eq!(served, 1, "the order went all the way to served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_nickname_leaves_an_open_board_and_poster_and_a_refused_word_is_explained() {
    let Some(app) = run_scenario("moderation").await else {
        return;
    };
    let hidden = count_where(
        &app,
        "SELECT count(*) FROM order_events WHERE kind = 'moderated'",
    )
    .await;
    assert_eq!(hidden, 2, "hidden once, shown once");
    let refused = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Super-ÏDIOT'",
    )
    .await;
    assert_eq!(refused, 0, "the refused nickname was never placed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sold_out_shows_live_on_the_visitor_page() {
    run_scenario("sold_out").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_keeps_the_order() {
    let Some(app) = run_scenario("reload").await else {
        return;
    };
    let orders = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Reloader'",
    )
    .await;
    assert_eq!(orders, 1, "reloads and the pending change made one order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_then_online_delivers_exactly_one_order() {
    let Some(app) = run_scenario("offline").await else {
        return;
    };
    assert_eq!(app.count("orders").await, 1, "exactly one order");
    let placed = count_where(
        &app,
        "SELECT count(*) FROM order_events WHERE kind = 'placed'",
    )
    .await;
    assert_eq!(placed, 1, "exactly one placed event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bar_sets_up_the_event_pauses_ordering_and_requires_the_posters_key_and_phones_follow()
{
    let Some(app) = run_scenario("event").await else {
        return;
    };
    let event = app
        .db
        .client()
        .await
        .query_one(
            "SELECT title ->> 'de', ordering, busy_limit, order_key IS NOT NULL
             FROM event_settings",
            &[],
        )
        .await
        .expect("the event's settings");
    assert_eq!(
        (
            event.get::<_, Option<String>>(0),
            event.get::<_, String>(1),
            event.get::<_, Option<i32>>(2),
            event.get::<_, bool>(3)
        ),
        (Some("Sommerfest".into()), "open".into(), None, true)
    );
    let scanned = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Scanned Sam'",
    )
    .await;
    assert_eq!(scanned, 1, "the guest who scanned the poster ordered");
    let refused = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Late Lou'",
    )
    .await;
    assert_eq!(refused, 0, "the busy guest's order was not placed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bar_adds_renames_moves_and_retires_drinks_and_phones_follow() {
    let Some(app) = run_scenario("menu").await else {
        return;
    };
    let row = app
        .db
        .client()
        .await
        .query_one(
            "SELECT names ->> 'de', stock, (SELECT retired FROM drinks WHERE id = 'water')
             FROM drinks WHERE id = 'club-mate'",
            &[],
        )
        .await
        .expect("the new drink");
    assert_eq!(
        (
            row.get::<_, Option<String>>(0),
            row.get::<_, Option<i32>>(1),
            row.get::<_, bool>(2)
        ),
        (Some("Mate-Limo".into()), Some(11), true),
        "the new drink's German name, its stock after one order; water retired"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poster_qr_code_decodes_to_the_visitor_url() {
    run_scenario("qr").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bar_page_refuses_a_wrong_token() {
    run_scenario("bar_auth").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_translated_and_fits_320_px() {
    run_scenario("i18n").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_three_pages_at_phone_and_tablet_size() {
    let Some(_app) = run_scenario("screenshots").await else {
        return;
    };
    let dir = e2e::workspace_root().join("target/screenshots");
    for page in ["visitor", "bar", "poster"] {
        for size in ["phone", "tablet"] {
            let file = dir.join(format!("{page}-{size}.png"));
            let len = std::fs::metadata(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
                .len();
            assert!(len > 10_000, "{} looks empty ({len} bytes)", file.display());
        }
    }
}

/// Copies a directory tree (the deploy test's private copy of static/).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A private web root the app serves, so that a "deploy" (a rebuild with a change) touches
/// no other test: sources copied from static/, built by web/build.mjs into `dist`, and a
/// manifest that is spin.toml with the fileserver's `files` pointed there.
struct PrivateSite {
    dir: PathBuf,
}

impl PrivateSite {
    fn new() -> Self {
        let root = e2e::workspace_root();
        let dir = root
            .join("target/deploy-test")
            .join(uuid::Uuid::new_v4().simple().to_string());
        copy_tree(&root.join("static"), &dir.join("src"));
        let status = std::process::Command::new("node")
            .arg(root.join("web/build.mjs"))
            .arg("--src")
            .arg(dir.join("src"))
            .arg("--out")
            .arg(dir.join("dist"))
            .status()
            .expect("run node web/build.mjs");
        assert!(status.success(), "web/build.mjs failed: {status}");
        let manifest = std::fs::read_to_string(root.join("spin.toml")).expect("spin.toml");
        let target = format!("source = \"{}/target/", root.display());
        let files = format!("{{ source = \"{}\"", dir.join("dist").display());
        let pointed = manifest
            .replace("source = \"target/", &target)
            .replace("{ source = \"web/dist\"", &files);
        assert!(
            pointed.contains(&files),
            "spin.toml mounts web/dist for the fileserver"
        );
        std::fs::write(dir.join("spin.toml"), pointed).expect("write spin.toml");
        PrivateSite { dir }
    }
}

impl Drop for PrivateSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_after_a_deploy_runs_only_the_new_modules() {
    if !prerequisites("deploy") {
        return;
    }
    let site = PrivateSite::new();
    let manifest = site.dir.join("spin.toml");
    // The "deploy" rebuilds the files in place while the app runs; Spin (and the host) copy
    // `files` at start, so serve the live directory as `spin up --direct-mounts` does.
    let app = e2e::app_builder()
        .manifest(manifest.to_str().expect("UTF-8 path"))
        .direct_mounts()
        .spawn()
        .await;
    let src = site.dir.join("src");
    let out = site.dir.join("dist");
    run_script(
        "deploy",
        &app,
        &[("DEPLOY_SRC", src.as_path()), ("DEPLOY_OUT", out.as_path())],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_visitor_page_installs_notifies_in_the_visitors_language_and_reloads_offline() {
    let Some(app) = run_scenario("pwa").await else {
        return;
    };
    let offline = count_where(
        &app,
        "SELECT count(*) FROM orders WHERE nickname = 'Offline Otto'",
    )
    .await;
    assert_eq!(offline, 1, "the order saved offline arrived once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_of_one_visitor_stay_in_step() {
    let Some(app) = run_scenario("tabs").await else {
        return;
    };
    let orders = count_where(&app, "SELECT count(*) FROM orders WHERE nickname = 'Tabby'").await;
    assert_eq!(orders, 2, "one order served, one cancelled, no duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_serious_on_the_visitor_page_the_bar_and_the_poster() {
    run_scenario("a11y").await;
}
