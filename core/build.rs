//! Embeds `migrations/NNNN_name.sql` (every file, in order) as `MIGRATIONS`, so adding a
//! migration is adding a file. `migrations.rs` includes the generated list; its tests hold
//! the numbering (from one, no gaps) against the directory.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("../migrations");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<(i64, String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("the migrations directory")
        .filter_map(|entry| {
            let path = entry.expect("a directory entry").path();
            let file = path.file_name()?.to_str()?.to_owned();
            let stem = file.strip_suffix(".sql")?;
            let (number, name) = stem.split_once('_')?;
            let version = number.parse().ok().filter(|_| number.len() == 4)?;
            Some((version, name.to_owned(), path))
        })
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for (version, name, path) in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        writeln!(
            out,
            "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({:?}) }},",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push(']');
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("migrations.rs");
    std::fs::write(dest, out).expect("writing the migration list");
}
