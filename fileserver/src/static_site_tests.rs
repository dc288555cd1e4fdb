//! Checks of the real `static/` directory, served through [`crate::serve`] from disk exactly
//! as the component serves it from its WASI mount.

use std::path::{Path, PathBuf};

use crate::serve::{DiskFiles, Reply, RequestInfo, respond};

fn static_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../static")
}

/// Relative paths (with `/`) of every file under `static/`.
fn static_files() -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let entries = std::fs::read_dir(dir).expect("read static dir");
        for entry in entries {
            let entry = entry.expect("dir entry");
            let name = entry.file_name().into_string().expect("UTF-8 file name");
            let rel = format!("{prefix}{name}");
            if entry.file_type().expect("file type").is_dir() {
                walk(&entry.path(), &format!("{rel}/"), out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(&static_root(), "", &mut out);
    out.sort();
    out
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
    let files = DiskFiles {
        root: static_root(),
    };
    respond(
        &RequestInfo {
            method: "GET",
            target,
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
            "{rel}: dotfiles are never served, keep them out of static/"
        );
        let reply = get(&encode_path(rel));
        assert_eq!(reply.status, 200, "{rel}");
        let on_disk = std::fs::read(static_root().join(rel)).expect("read");
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
        let html = std::fs::read_to_string(static_root().join(rel))
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
        let html = std::fs::read_to_string(static_root().join(rel)).expect("read");
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
