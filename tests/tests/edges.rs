//! The development host answers like Spin 3.6.3 at the edges (issue 11): route matching
//! around slashes, Spin's own `/.well-known/spin/` endpoints, requests refused before any
//! component runs, empty 404s and 500s, the per-instance memory limit, copied file mounts
//! and HTTP/2. Each test cites the Spin source it pins; all of them run against a real Spin
//! too (`E2E_SPIN_BIN`).

use e2e::{json, spawn_app};

/// spinframework/spin v3.6.3 crates/routes/src/lib.rs:189-208: routefinder ignores leading
/// and trailing slashes of the path, so these reach list-fn and feed-fn (which answer their
/// own 404 problem), not the fileserver (whose answers carry a CSP).
#[tokio::test]
async fn a_trailing_slash_on_an_exact_route_reaches_the_api_component() {
    let app = spawn_app().await;
    for path in [
        "/api/menu/",
        "/api/menu//",
        "/api/health/",
        "/api/feed/",
        "/api/queue/",
        "/api/stats/",
        "/api/mine/",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.headers().get("content-security-policy").is_none(),
            "{path} was answered by the fileserver"
        );
        let problem = json(response).await;
        assert_eq!(problem["type"], "/problems/not-found", "{path}: {problem}");
    }
}

#[tokio::test]
async fn a_doubled_slash_inside_an_exact_route_falls_through_to_the_fileserver() {
    let app = spawn_app().await;
    let response = app.get("/api//menu").await;
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("content-security-policy"));
}
