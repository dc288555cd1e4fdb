//! Checks of the real build output, `web/dist/` (written by `node web/build.mjs` from
//! `static/`), served through [`crate::serve`] from disk exactly as the component serves it
//! from its WASI mount.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cache;
use crate::serve::{DiskFiles, Reply, RequestInfo, respond};

fn dist_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
    assert!(
        root.join("manifest.tsv").exists(),
        "{} has no manifest.tsv: build the frontend first (`cargo xtask build` or `node web/build.mjs`)",
        root.display()
    );
    root
}

/// `(path, etag, gzip etag, br etag)` of every line of the manifest.
fn manifest() -> Vec<[String; 4]> {
    let text = std::fs::read_to_string(dist_root().join("manifest.tsv")).expect("read manifest");
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
            fields
                .try_into()
                .unwrap_or_else(|f| panic!("manifest line with {} fields: {line}", Vec::len(&f)))
        })
        .collect()
}

/// Relative paths (with `/`) of every served file.
fn static_files() -> Vec<String> {
    manifest().into_iter().map(|[path, ..]| path).collect()
}

/// Percent-encodes every byte of a relative path that is not unreserved (`/` stays).
fn encode_path(rel: &str) -> String {
    let mut target = String::from("/");
    for b in rel.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            target.push(char::from(b));
        } else {
            target.push_str(&format!("%{b:02X}"));
        }
    }
    target
}

fn get(target: &str) -> Reply {
    get_encoded(target, None)
}

fn get_encoded(target: &str, accept_encoding: Option<&str>) -> Reply {
    let files = DiskFiles { root: dist_root() };
    respond(
        &RequestInfo {
            method: "GET",
            target,
            accept_encoding,
            ..Default::default()
        },
        &files,
    )
}

#[test]
fn every_static_file_is_served_with_a_specific_content_type() {
    let files = static_files();
    assert!(files.iter().any(|f| f == "index.html"), "{files:?}");
    for rel in &files {
        assert!(
            !rel.split('/').any(|seg| seg.starts_with('.')),
            "{rel}: dotfiles are never served"
        );
        let reply = get(&encode_path(rel));
        assert_eq!(reply.status, 200, "{rel}");
        let on_disk = std::fs::read(dist_root().join(rel)).expect("read");
        assert_eq!(reply.body.as_ref(), Some(&on_disk), "{rel}");
        assert_ne!(
            reply.header("content-type"),
            Some("application/octet-stream"),
            "{rel}: give it a known extension"
        );
    }
}

#[test]
fn html_pages_need_no_unsafe_inline_under_the_csp() {
    for rel in static_files().iter().filter(|f| f.ends_with(".html")) {
        let html = std::fs::read_to_string(dist_root().join(rel))
            .expect("read")
            .to_ascii_lowercase();
        assert!(!html.contains("<style"), "{rel}: inline <style>");
        assert!(!html.contains(" style="), "{rel}: style attribute");
        assert!(!html.contains("javascript:"), "{rel}: javascript: URL");
        for tag in html.split("<script").skip(1) {
            let open_tag = tag.split('>').next().unwrap_or_default();
            assert!(open_tag.contains(" src="), "{rel}: inline <script>");
        }
        for attr in html.split_whitespace() {
            let name = attr.split('=').next().unwrap_or_default();
            assert!(
                !(attr.contains('=') && name.starts_with("on") && name.len() > 2),
                "{rel}: inline event handler {attr}"
            );
        }
    }
}

#[test]
fn local_references_in_html_pages_resolve_to_served_files() {
    for rel in static_files().iter().filter(|f| f.ends_with(".html")) {
        let html = std::fs::read_to_string(dist_root().join(rel)).expect("read");
        let mut checked = 0;
        for attr in ["src=\"", "href=\""] {
            for rest in html.split(attr).skip(1) {
                let url = rest.split('"').next().unwrap_or_default();
                if url.starts_with('/') && !url.starts_with("//") {
                    let reply = get(url);
                    assert_eq!(reply.status, 200, "{rel} refers to {url}");
                    checked += 1;
                }
            }
        }
        if rel == "index.html" {
            assert!(checked >= 2, "index.html loads its stylesheet and module");
        }
    }
}

#[test]
fn scripts_and_styles_have_fingerprinted_names_cached_for_a_year() {
    let files = static_files();
    let assets: Vec<&String> = files
        .iter()
        .filter(|f| f.ends_with(".js") || f.ends_with(".mjs") || f.ends_with(".css"))
        .filter(|f| f.as_str() != cache::SERVICE_WORKER)
        .collect();
    assert!(assets.len() >= 5, "{files:?}");
    // The service worker keeps its URL and is revalidated on every use.
    assert_eq!(get("/sw.js").header("cache-control"), Some(cache::HTML));
    for rel in assets {
        assert!(cache::is_fingerprinted(rel), "{rel}");
        assert_eq!(
            get(&encode_path(rel)).header("cache-control"),
            Some(cache::FINGERPRINTED),
            "{rel}"
        );
    }
    assert_eq!(get("/").header("cache-control"), Some(cache::HTML));
}

#[test]
fn the_gzip_variants_hold_the_same_bytes_as_the_files() {
    let mut checked = 0;
    for [rel, etag, gzip, br] in manifest() {
        let plain = get(&encode_path(&rel));
        assert_eq!(plain.header("etag"), Some(etag.as_str()), "{rel}");
        if gzip != "-" {
            let packed = get_encoded(&encode_path(&rel), Some("gzip"));
            assert_eq!(packed.header("content-encoding"), Some("gzip"), "{rel}");
            assert_eq!(packed.header("etag"), Some(gzip.as_str()), "{rel}");
            let mut unpacked = Vec::new();
            flate2::read::GzDecoder::new(&packed.body.expect("body")[..])
                .read_to_end(&mut unpacked)
                .expect("gunzip");
            assert_eq!(Some(unpacked), plain.body, "{rel}");
            checked += 1;
        }
        if br != "-" {
            let packed = get_encoded(&encode_path(&rel), Some("br, gzip"));
            assert_eq!(packed.header("content-encoding"), Some("br"), "{rel}");
            assert_eq!(packed.header("etag"), Some(br.as_str()), "{rel}");
        }
    }
    assert!(checked >= 5, "only {checked} gzip variants");
}
