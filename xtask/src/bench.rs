//! `cargo xtask bench [ARGS]`: builds the components, finds (or starts) PostgreSQL the way
//! `up` and `test` do, then runs the benchmark binary (crate `bench`) optimised, passing it
//! the server's admin URL. Extra arguments go to the benchmark (e.g. `--scale 0.3`).
//! Results land in docs/bench/ (results.json, results.svg, plans.txt). The development host
//! binary is built the same way first: phase 7 runs it as replica processes behind nginx.

use std::path::Path;

use crate::{build, cargo, db, run_command, step};

/// The workspace's release profile is tuned for small `.wasm` files (opt-level "s", fat
/// LTO, one codegen unit, which takes long to build for Wasmtime). The benchmark
/// measures the native host, so it is built optimised for speed instead.
const NATIVE_RELEASE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "3"),
    ("CARGO_PROFILE_RELEASE_LTO", "false"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
    ("CARGO_PROFILE_RELEASE_PANIC", "unwind"),
];

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    build(root)?;
    step("cargo build --release -p devhost (the replicas of phase 7)");
    let mut host = cargo();
    host.current_dir(root)
        .args(["build", "--release", "-p", "devhost"]);
    for (name, value) in NATIVE_RELEASE {
        host.env(name, value);
    }
    run_command(&mut host)?;
    let runtime = tokio::runtime::Runtime::new()?;
    step("database");
    let server = runtime.block_on(db::find_or_start(root, db::Purpose::Tests))?;
    step("cargo run --release -p bench (development host + load generator)");
    let mut cmd = cargo();
    cmd.current_dir(root)
        .args(["run", "--release", "-p", "bench", "--", "--admin-url"])
        .arg(server.admin_url())
        .arg("--root")
        .arg(root)
        .args(args);
    for (name, value) in NATIVE_RELEASE {
        cmd.env(name, value);
    }
    let result = run_command(&mut cmd);
    runtime.block_on(async { drop(server) });
    result
}
