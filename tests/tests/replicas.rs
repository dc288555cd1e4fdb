//! Replicas behind a real load balancer: `devhost serve` processes behind nginx (round
//! robin, 127.0.0.1 only) against one database, with the rush of `cargo xtask bench`
//! (phase 7, `bench::replicas`) test-sized: every check it makes must pass — no
//! acknowledged order lost or doubled, every order the tablets saw reached its guest's
//! phone, every phone got every feed event once and in order — and no request may fail
//! except in the seconds after a replica is killed. Latency targets live in the bench.
//!
//! nginx: `$NGINX`, `/usr/sbin/nginx` (Debian's `nginx-light`) or `PATH`. Without it the
//! tests are skipped with a loud message, but only outside CI: when `CI` is set they fail
//! (`.ci/run` installs it).

use bench::replicas::{PhonePoll, Plan, Setup, run};
use e2e::{admin_url, devhost_binary, workspace_root};

/// Whether nginx is there; panics in CI when it is not.
fn nginx_or_skip() -> bool {
    if devhost::replicas::find_nginx().is_some() {
        return true;
    }
    let message = devhost::replicas::NGINX_MISSING;
    if std::env::var_os("CI").is_some() {
        panic!("{message}; CI is set, so this is a failure, not a skip");
    }
    eprintln!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n");
    false
}

/// One rush at a time: each replica's pool keeps the connections it opened (up to 64), and
/// the server's `max_connections` is shared with every other test.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn setup() -> Setup {
    Setup {
        binary: devhost_binary(),
        root: workspace_root(),
        admin_url: admin_url(),
    }
}

/// Small enough for the suite: 6 s of load, a few connections per replica.
fn plan(replicas: usize, kill: bool, poll: PhonePoll) -> Plan {
    Plan {
        phones: 60,
        poll,
        orders_per_sec: 5.0,
        tablets: 2,
        replicas,
        secs: 6.0,
        kill,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rush_on_three_replicas_with_one_killed_loses_no_order_and_every_phone_sees_every_event()
{
    if !nginx_or_skip() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    // The phones read the whole feed here: the strictest check, every event once and in
    // order on every phone, across the kill (what the bar's tablets rely on).
    let rush = run(&setup(), &plan(3, true, PhonePoll::Feed))
        .await
        .expect("the rush runs");
    let report = rush.markdown();
    eprintln!("{report}");
    let c = &rush.checks;
    assert!(
        c.acknowledged >= 30,
        "too few orders to mean anything:\n{report}"
    );
    assert!(c.seen_by_tablets > 0 && rush.status_changes > 0, "{report}");
    assert!(c.events >= c.acknowledged, "{report}");
    assert!(c.passed(), "a check failed:\n{report}");
    assert_eq!(
        rush.unexpected(),
        0,
        "errors outside the fault window:\n{report}"
    );
    assert!(rush.cpu_ms_per_request > 0.0, "{report}");
    assert!(rush.transactions_per_request > 0.0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_rush_on_one_replica_with_phones_polling_their_view_answers_every_request() {
    if !nginx_or_skip() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let rush = run(&setup(), &plan(1, false, PhonePoll::Visit))
        .await
        .expect("the rush runs");
    let report = rush.markdown();
    eprintln!("{report}");
    assert!(rush.checks.passed(), "a check failed:\n{report}");
    assert!(
        rush.checks.seen_by_tablets > 0 && rush.checks.not_latest_on_phone == 0,
        "every order the tablets saw was checked on its phone:\n{report}"
    );
    assert!(rush.poll_200 > 0 && rush.bytes_per_poll > 0.0, "{report}");
    assert!(
        rush.unexpected_errors.is_empty() && rush.fault_errors.is_empty() && rush.retries == 0,
        "{report}"
    );
}
