//! The `devhost` binary: serves a manifest, logs one line per request, stops cleanly on
//! Ctrl-C (SIGINT) and SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::Write;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("read");
    out
}

fn stops_cleanly_on(signal: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let wasm = root.join("target/wasm32-wasip2/release/probe_fn.wasm");
    assert!(
        wasm.exists(),
        "build the components first: cargo xtask build"
    );
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_devhost"))
        .current_dir(&root)
        .args([
            "serve",
            "--manifest",
            "tests/fixtures/probe.toml",
            "--listen",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .env("SPIN_VARIABLE_DB_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start devhost");
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "devhost did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    let response = http_get(port, "/probe/headers");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "devhost did not stop after {signal}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit}");
    let mut log = String::new();
    for stream in [
        child.stdout.take().map(|s| Box::new(s) as Box<dyn Read>),
        child.stderr.take().map(|s| Box::new(s) as Box<dyn Read>),
    ]
    .into_iter()
    .flatten()
    {
        for line in BufReader::new(stream).lines() {
            log.push_str(&line.unwrap_or_default());
            log.push('\n');
        }
    }
    assert!(
        log.contains("GET /probe/headers probe 200"),
        "one line per request with method, path, component, status: {log}"
    );
    assert!(log.contains("shutting down"), "{log}");
}

#[test]
fn devhost_stops_cleanly_on_ctrl_c() {
    stops_cleanly_on("-INT");
}

#[test]
fn devhost_stops_cleanly_on_sigterm() {
    stops_cleanly_on("-TERM");
}

fn exchange(port: u16, request: &str) -> String {
    use std::io::Write;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.write_all(request.as_bytes()).expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("read");
    out
}

/// Stops a devhost the test started, also when the test fails before stopping it.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Issue 11: a password in a secret variable (here inside `db_url`) appears neither in
/// what the host answers nor in what it logs, whether the address is refused or allowed
/// and unreachable.
#[test]
fn secret_values_never_appear_in_answers_or_logs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(
        root.join("target/wasm32-wasip2/release/probe_fn.wasm")
            .exists(),
        "build the components first: cargo xtask build"
    );
    let port = free_port();
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_devhost"))
            .current_dir(&root)
            .args([
                "serve",
                "--manifest",
                "tests/fixtures/probe.toml",
                "--cache-dir",
                "target/devhost-cache",
                "--listen",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .env(
                "SPIN_VARIABLE_DB_URL",
                "postgres://app:hunter2@127.0.0.1:1/none",
            )
            .env("SPIN_VARIABLE_DB_PORT", "1")
            .env("RUST_LOG", "info,devhost=trace")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start devhost"),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(exit) = child.0.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.0.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("devhost exited with {exit}: {err}");
        }
        assert!(Instant::now() < deadline, "devhost did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut answers = String::new();
    for body in [
        // Allowed (db_port is 1) but nothing listens there.
        r#"{"sql": "SELECT 1"}"#.to_string(),
        // Refused: not in allowed_outbound_hosts.
        r#"{"sql": "SELECT 1", "address": "postgres://app:hunter2@127.0.0.1:5432/x"}"#.to_string(),
    ] {
        let answer = exchange(
            port,
            &format!(
                "POST /probe/sql HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        answers.push_str(&answer);
    }
    assert!(
        answers.contains("address postgres://127.0.0.1:5432 is not permitted"),
        "{answers}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.0.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "devhost did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut log = String::new();
    if let Some(mut out) = child.0.stdout.take() {
        out.read_to_string(&mut log).expect("stdout");
    }
    if let Some(mut err) = child.0.stderr.take() {
        err.read_to_string(&mut log).expect("stderr");
    }
    assert!(log.contains("POST /probe/sql probe 200"), "{log}");
    assert!(!answers.contains("hunter2"), "{answers}");
    assert!(!log.contains("hunter2"), "{log}");
}
