use std::collections::HashMap;

use super::*;

const INDEX: &str = "<!doctype html><title>Drink Orders</title><p>Drink Orders is running</p>";
/// Stand-ins for the build's precompressed variants: the server never looks inside them.
const SCRIPT_GZ: &[u8] = b"gzip bytes of app.js";
const SCRIPT_BR: &[u8] = b"brotli bytes of app.js";

/// Files kept in memory, keyed by relative path.
struct MemFiles(HashMap<String, Vec<u8>>);

impl FileSource for MemFiles {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.0.get(path).cloned())
    }
}

/// A file system that fails every read, like a broken mount.
struct BrokenFiles;

impl FileSource for BrokenFiles {
    fn read(&self, _path: &str) -> io::Result<Option<Vec<u8>>> {
        Err(io::Error::new(ErrorKind::PermissionDenied, "denied"))
    }
}

fn big_script() -> Vec<u8> {
    "export const drinks = ['cola', 'tea', 'lemonade'];\n"
        .repeat(40)
        .into_bytes()
}

/// What the build writes: the served files, their variants and `manifest.tsv`. `.env` and
/// `img/.hidden.png` exist on disk but, like every file the build did not list, are not served.
fn site() -> MemFiles {
    let manifest = "# Drink Orders static files\n\
        index.html\t\"i1\"\t-\t-\n\
        app.js\t\"a1\"\t\"a1-gz\"\t\"a1-br\"\n\
        app.3f2a9c1b.js\t\"b1\"\t\"b1-gz\"\t\"b1-br\"\n\
        app.css\t\"c1\"\t-\t-\n\
        img/logo.png\t\"p1\"\t-\t-\n\
        my file.txt\t\"t1\"\t-\t-\n\
        gone.js\t\"g1\"\t-\t-\n";
    let files: [(&str, Vec<u8>); 12] = [
        ("manifest.tsv", manifest.as_bytes().to_vec()),
        ("index.html", INDEX.as_bytes().to_vec()),
        ("app.js", big_script()),
        ("app.js.gz", SCRIPT_GZ.to_vec()),
        ("app.js.br", SCRIPT_BR.to_vec()),
        ("app.3f2a9c1b.js", big_script()),
        ("app.css", b"body { margin: 0 }".to_vec()),
        (
            "img/logo.png",
            [0x89, b'P', b'N', b'G', 0, 1, 2, 3].repeat(100),
        ),
        ("my file.txt", b"spaces work".to_vec()),
        ("unlisted.js", b"export {};".to_vec()),
        (".env", b"SECRET=1".to_vec()),
        ("img/.hidden.png", b"x".to_vec()),
    ];
    MemFiles(
        files
            .into_iter()
            .map(|(path, bytes)| (path.to_owned(), bytes))
            .collect(),
    )
}

fn get(target: &str) -> Reply {
    request("GET", target, None, None)
}

fn request(method: &str, target: &str, inm: Option<&str>, ae: Option<&str>) -> Reply {
    let req = RequestInfo {
        method,
        target,
        if_none_match: inm,
        accept_encoding: ae,
    };
    respond(&req, &site())
}

fn assert_security_headers(reply: &Reply) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(
            reply.header(name),
            Some(value),
            "{name} on {}",
            reply.status
        );
    }
}

fn assert_problem(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.body.as_ref().expect("problem body");
    let json: serde_json::Value = serde_json::from_slice(body).expect("problem json");
    assert_eq!(json["status"], u64::from(status));
    let kind = match status {
        404 => "/problems/not-found",
        405 => "/problems/method-not-allowed",
        _ => "/problems/internal",
    };
    assert_eq!(json["type"], kind, "the API's problem types");
    assert!(json["title"].is_string() && json["detail"].is_string());
    assert_eq!(
        reply.header("content-length"),
        Some(body.len().to_string().as_str())
    );
}

#[test]
fn the_root_serves_index_html_as_utf8_html() {
    let reply = get("/");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.body.as_deref(), Some(INDEX.as_bytes()));
    assert_eq!(
        reply.header("content-length"),
        Some(INDEX.len().to_string().as_str())
    );
}

#[test]
fn the_bar_and_poster_queries_serve_the_index() {
    for target in ["/?bar", "/?qr", "/index.html?bar"] {
        let reply = get(target);
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(reply.body.as_deref(), Some(INDEX.as_bytes()), "{target}");
    }
}

#[test]
fn html_is_revalidated_and_assets_are_cached_briefly_or_forever() {
    assert_eq!(get("/").header("cache-control"), Some("no-cache"));
    assert_eq!(
        get("/app.js").header("cache-control"),
        Some("public, max-age=300")
    );
    assert_eq!(
        get("/app.3f2a9c1b.js").header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[test]
fn every_response_carries_the_security_headers() {
    let etag = get("/").header("etag").expect("etag").to_owned();
    let replies = [
        get("/"),
        get("/img/logo.png"),
        request("HEAD", "/", None, None),
        request("GET", "/", Some(&etag), None),
        get("/missing.js"),
        request("HEAD", "/missing.js", None, None),
        request("POST", "/", None, None),
        respond(
            &RequestInfo {
                method: "GET",
                target: "/",
                ..Default::default()
            },
            &BrokenFiles,
        ),
    ];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 304, 404, 404, 405, 500]);
    replies.iter().for_each(assert_security_headers);
}

#[test]
fn a_matching_if_none_match_gives_304_with_validators_and_no_body() {
    let full = get("/app.js");
    let etag = full.header("etag").expect("etag");
    let reply = request("GET", "/app.js", Some(etag), None);
    assert_eq!(reply.status, 304);
    assert_eq!(reply.body, None);
    assert_eq!(reply.header("etag"), Some(etag));
    assert_eq!(reply.header("cache-control"), full.header("cache-control"));
    assert_eq!(reply.header("vary"), Some("Accept-Encoding"));
    assert_eq!(reply.header("content-length"), None);
}

#[test]
fn if_none_match_lists_weak_tags_and_star_give_304() {
    let etag = get("/").header("etag").expect("etag").to_owned();
    for field in [
        format!("\"nope\", {etag}"),
        format!("W/{etag}"),
        "*".to_owned(),
    ] {
        assert_eq!(
            request("GET", "/", Some(&field), None).status,
            304,
            "{field}"
        );
        assert_eq!(
            request("HEAD", "/", Some(&field), None).status,
            304,
            "{field}"
        );
    }
}

#[test]
fn a_stale_if_none_match_gives_the_full_file() {
    let reply = request("GET", "/", Some("\"0000000000000000-0\""), None);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.as_deref(), Some(INDEX.as_bytes()));
}

#[test]
fn if_none_match_star_on_a_missing_file_is_still_404() {
    assert_eq!(request("GET", "/missing", Some("*"), None).status, 404);
}

#[test]
fn the_precompressed_gzip_variant_is_sent_when_the_client_accepts_only_gzip() {
    let reply = request("GET", "/app.js", None, Some("gzip, deflate"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert_eq!(reply.header("vary"), Some("Accept-Encoding"));
    assert_eq!(reply.header("etag"), Some("\"a1-gz\""));
    assert_eq!(
        reply.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(reply.body.as_deref(), Some(SCRIPT_GZ));
    assert_eq!(
        reply.header("content-length"),
        Some(SCRIPT_GZ.len().to_string().as_str())
    );
}

#[test]
fn browsers_that_accept_brotli_get_the_brotli_variant() {
    let reply = request("GET", "/app.js", None, Some("gzip, deflate, br, zstd"));
    assert_eq!(reply.header("content-encoding"), Some("br"));
    assert_eq!(reply.header("etag"), Some("\"a1-br\""));
    assert_eq!(reply.body.as_deref(), Some(SCRIPT_BR));
}

#[test]
fn uncompressed_text_still_varies_on_accept_encoding() {
    let plain = request("GET", "/app.js", None, None);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
    assert_eq!(plain.body, Some(big_script()));
    let refused = request("GET", "/app.js", None, Some("gzip;q=0"));
    assert_eq!(refused.header("content-encoding"), None);
    assert_eq!(refused.header("vary"), Some("Accept-Encoding"));
}

#[test]
fn text_without_variants_is_sent_as_it_is_but_still_varies() {
    let reply = request("GET", "/app.css", None, Some("gzip, br"));
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.header("vary"), Some("Accept-Encoding"));
    assert_eq!(reply.body.as_deref(), Some(&b"body { margin: 0 }"[..]));
}

#[test]
fn images_are_never_compressed_and_do_not_vary() {
    let reply = request("GET", "/img/logo.png", None, Some("gzip, br"));
    assert_eq!(reply.header("content-type"), Some("image/png"));
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.header("vary"), None);
}

#[test]
fn each_representation_has_its_own_etag_from_the_manifest() {
    let plain = request("GET", "/app.js", None, None);
    let packed = request("GET", "/app.js", None, Some("gzip"));
    let plain_tag = plain.header("etag").expect("etag");
    let packed_tag = packed.header("etag").expect("etag");
    assert_eq!(plain_tag, "\"a1\"");
    assert_ne!(plain_tag, packed_tag);
    // A cache holding the identity copy does not get a 304 for the gzip one, and vice versa.
    assert_eq!(
        request("GET", "/app.js", Some(plain_tag), Some("gzip")).status,
        200
    );
    assert_eq!(
        request("GET", "/app.js", Some(packed_tag), None).status,
        200
    );
    assert_eq!(
        request("GET", "/app.js", Some(packed_tag), Some("gzip")).status,
        304
    );
    let both = format!("{plain_tag}, {packed_tag}");
    assert_eq!(request("GET", "/app.js", Some(&both), None).status, 304);
}

#[test]
fn a_304_reads_nothing_but_the_manifest() {
    /// Only the manifest can be read: any other read would fail the request.
    struct OnlyManifest(MemFiles);
    impl FileSource for OnlyManifest {
        fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
            if path == "manifest.tsv" {
                self.0.read(path)
            } else {
                Err(io::Error::other("read of a file body"))
            }
        }
    }
    let files = OnlyManifest(site());
    let reply = respond(
        &RequestInfo {
            method: "GET",
            target: "/app.js",
            if_none_match: Some("\"a1-br\""),
            accept_encoding: Some("br"),
        },
        &files,
    );
    assert_eq!(reply.status, 304);
}

#[test]
fn only_files_the_manifest_lists_are_served() {
    for target in [
        "/unlisted.js",
        "/manifest.tsv",
        "/app.js.gz",
        "/app.js.br",
        "/.env",
    ] {
        assert_problem(&get(target), 404);
    }
}

#[test]
fn a_listed_file_that_is_missing_or_a_missing_manifest_is_a_500() {
    assert_problem(&get("/gone.js"), 500);
    let mut files = site();
    files.0.remove("manifest.tsv");
    let reply = respond(
        &RequestInfo {
            method: "GET",
            target: "/",
            ..Default::default()
        },
        &files,
    );
    assert_problem(&reply, 500);
}

#[test]
fn head_sends_the_get_headers_without_a_body() {
    for ae in [None, Some("gzip"), Some("br")] {
        let get = request("GET", "/app.js", None, ae);
        let head = request("HEAD", "/app.js", None, ae);
        assert_eq!(head.status, 200);
        assert_eq!(head.body, None);
        assert_eq!(head.headers, get.headers, "{ae:?}");
        assert_eq!(
            head.header("content-length"),
            Some(get.body.expect("body").len().to_string().as_str())
        );
    }
}

#[test]
fn missing_files_are_404_problems() {
    let reply = get("/nope.js");
    assert_problem(&reply, 404);
    assert_eq!(reply.header("etag"), None);
}

#[test]
fn head_of_a_missing_file_is_a_404_without_a_body() {
    let reply = request("HEAD", "/nope.js", None, None);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body, None);
    let get_len = get("/nope.js").body.expect("body").len().to_string();
    assert_eq!(reply.header("content-length"), Some(get_len.as_str()));
}

#[test]
fn traversal_attempts_and_dotfiles_are_404s() {
    for target in [
        "/../.env",
        "/%2e%2e/.env",
        "/img/..%2f.env",
        "/.env",
        "/%2eenv",
        "/img/.hidden.png",
        "/img%5clogo.png",
        "/index.html%00",
        "/%252e%252e/.env",
    ] {
        assert_problem(&get(target), 404);
    }
}

#[test]
fn percent_encoded_names_are_found() {
    let reply = get("/my%20file.txt");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.as_deref(), Some(&b"spaces work"[..]));
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}

#[test]
fn other_methods_are_405_with_allow() {
    for method in [
        "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "get", "BREW",
    ] {
        let reply = request(method, "/", None, None);
        assert_problem(&reply, 405);
        assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{method}");
    }
}

#[test]
fn read_errors_are_500_problems() {
    let req = RequestInfo {
        method: "GET",
        target: "/app.js",
        ..Default::default()
    };
    assert_problem(&respond(&req, &BrokenFiles), 500);
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("fileserver-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("img")).expect("mkdir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn disk_files_serve_regular_files_and_hide_directories() {
    let tmp = TempDir::new("disk");
    std::fs::write(tmp.0.join("index.html"), INDEX).expect("write");
    std::fs::write(tmp.0.join("with space.svg"), "<svg/>").expect("write");
    std::fs::write(tmp.0.join("img").join("a.webp"), [1, 2, 3]).expect("write");
    std::fs::write(
        tmp.0.join("manifest.tsv"),
        "index.html\t\"i\"\t-\t-\nwith space.svg\t\"s\"\t-\t-\nimg/a.webp\t\"w\"\t-\t-\n",
    )
    .expect("write");
    let files = DiskFiles {
        root: tmp.0.clone(),
    };
    assert_eq!(
        files.read("img").expect("read"),
        None,
        "a directory is no file"
    );
    assert_eq!(files.read("nothing").expect("read"), None);
    let get = |target: &str| {
        respond(
            &RequestInfo {
                method: "GET",
                target,
                ..Default::default()
            },
            &files,
        )
    };
    assert_eq!(get("/?qr").body.as_deref(), Some(INDEX.as_bytes()));
    let svg = get("/with%20space.svg");
    assert_eq!(svg.status, 200);
    assert_eq!(
        svg.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    assert_eq!(
        get("/img/a.webp").header("content-type"),
        Some("image/webp")
    );
    assert_problem(&get("/img"), 404);
    assert_problem(&get("/img/"), 404);
    assert_problem(&get("/img/missing.png"), 404);
    assert_problem(&get("/index.html/x"), 404);
}
