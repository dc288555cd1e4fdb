//! The fileserver component and the route table, through the development host.

use e2e::{raw_http, spawn_app};
use reqwest::StatusCode;

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn the_root_serves_index_html_with_type_caching_and_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/?bar", "/?qr", "/index.html"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert!(!header(&response, "referrer-policy").is_empty());
        let csp = header(&response, "content-security-policy").to_string();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(header(&response, "etag").starts_with('"'));
        let body = response.text().await.expect("body");
        assert!(body.to_ascii_lowercase().contains("<!doctype html>"));
    }
}

/// The paths the build's manifest lists (web/dist/manifest.tsv, written by web/build.mjs).
fn served_paths() -> Vec<String> {
    let manifest = e2e::workspace_root().join("web/dist/manifest.tsv");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the frontend first (`cargo xtask build`)",
            manifest.display()
        )
    });
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split('\t').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_file_gets_the_content_type_of_its_kind() {
    let app = spawn_app().await;
    let mut checked = 0;
    for rel in served_paths() {
        let expected = match rel.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml; charset=utf-8",
            Some("json") => "application/json",
            Some("txt") => "text/plain; charset=utf-8",
            Some("png") => "image/png",
            _ => continue,
        };
        let response = app.get(&format!("/{rel}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{rel}");
        assert_eq!(header(&response, "content-type"), expected, "{rel}");
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} files checked");
}

#[tokio::test]
async fn scripts_and_styles_are_immutable_under_fingerprinted_names() {
    let app = spawn_app().await;
    let index = app.get("/").await.text().await.expect("body");
    let mut checked = 0;
    for rel in served_paths() {
        if !(rel.ends_with(".js") || rel.ends_with(".mjs") || rel.ends_with(".css")) {
            continue;
        }
        let response = app.get(&format!("/{rel}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{rel}");
        // The service worker keeps its URL (/sw.js) and is revalidated on every use.
        let expected = if rel == "sw.js" {
            "no-cache"
        } else {
            "public, max-age=31536000, immutable"
        };
        assert_eq!(header(&response, "cache-control"), expected, "{rel}");
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} files checked");
    // The page names the fingerprinted files; the source names are not served at all.
    assert!(!index.contains("/js/main.js"), "{index}");
    assert!(!index.contains("/css/app.css"), "{index}");
    for source_name in ["/js/main.js", "/js/api.js", "/css/app.css"] {
        assert_eq!(
            app.get(source_name).await.status(),
            StatusCode::NOT_FOUND,
            "{source_name}"
        );
    }
}

#[tokio::test]
async fn an_unchanged_file_answers_304_to_its_etag() {
    let app = spawn_app().await;
    let first = app.get("/").await;
    let etag = header(&first, "etag").to_string();
    let again = app
        .http
        .get(app.url("/"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(header(&again, "x-content-type-options"), "nosniff");
    assert!(again.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn text_is_sent_precompressed_when_the_client_accepts_it_and_varies_on_it() {
    let app = spawn_app().await;
    let plain = app.get("/").await;
    let encoded = |accept: &'static str| {
        app.http
            .get(app.url("/"))
            .header("Accept-Encoding", accept)
            .send()
    };
    let gzipped = encoded("gzip").await.expect("GET");
    let brotli = encoded("gzip, deflate, br, zstd").await.expect("GET");
    assert_eq!(header(&gzipped, "content-encoding"), "gzip");
    assert_eq!(header(&brotli, "content-encoding"), "br");
    for response in [&plain, &gzipped, &brotli] {
        assert!(
            header(response, "vary")
                .to_ascii_lowercase()
                .contains("accept-encoding")
        );
    }
    assert_ne!(header(&plain, "etag"), header(&gzipped, "etag"));
    assert_ne!(header(&gzipped, "etag"), header(&brotli, "etag"));
}

#[tokio::test]
async fn head_sends_the_headers_of_get_without_a_body() {
    let app = spawn_app().await;
    let get = app.get("/").await;
    let length = get.bytes().await.expect("body").len();
    let (status, headers, body) = raw_http(
        app.addr,
        "HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-length"), Some(&length.to_string()));
    assert!(body.is_empty());
}

#[tokio::test]
async fn missing_files_are_404_problems_and_other_methods_405() {
    let app = spawn_app().await;
    let missing = app.get("/no-such-file.js").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(header(&missing, "content-type").starts_with("application/problem+json"));
    let post = app
        .http
        .post(app.url("/index.html"))
        .body("x")
        .send()
        .await
        .expect("POST");
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&post, "allow"), "GET, HEAD");
}

#[tokio::test]
async fn path_traversal_in_any_spelling_is_refused() {
    let app = spawn_app().await;
    let attempts = [
        "/../spin.toml",
        "/%2e%2e/spin.toml",
        "/%2E%2E/spin.toml",
        "/..%2fspin.toml",
        "/%2e%2e%2fspin.toml",
        "/..\\spin.toml",
        "/%5c..%5cspin.toml",
        "/%252e%252e/spin.toml",
        "/css/../../spin.toml",
        "/.%2e/spin.toml",
        "/%00index.html",
    ];
    for path in attempts {
        let (status, _, body) = raw_http(
            app.addr,
            &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        )
        .await;
        let text = String::from_utf8_lossy(&body);
        assert!(status == 404 || status == 400, "{path} answered {status}");
        assert!(
            !text.contains("spin_manifest_version"),
            "{path} leaked spin.toml"
        );
    }
}

#[tokio::test]
async fn each_route_prefix_reaches_its_component() {
    let app = spawn_app().await;
    // order-fn answers GET on its routes with 405 + Allow; list-fn and feed-fn with JSON.
    let orders = app.get("/api/orders").await;
    assert_eq!(orders.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(header(&orders, "allow").contains("POST"));
    let drinks = app.get("/api/drinks/tea").await;
    assert!(drinks.status().is_client_error());
    assert!(header(&drinks, "content-type").starts_with("application/problem+json"));
    assert_eq!(app.get("/api/menu").await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/health").await.status(), StatusCode::OK);
    assert_eq!(app.get("/api/feed").await.status(), StatusCode::OK);
    // Unknown API paths fall through to the fileserver catch-all: a 404 problem.
    let unknown = app.get("/api/nothing-here").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
