//! HTTP routing as Spin 3.6.3's HTTP trigger does it.
//!
//! Spin matches paths with the `routefinder` crate (0.5.4, the version Spin 3.6.3 locks), so
//! this router does too, and reproduces what Spin does around it
//! (spinframework/spin v3.6.3 crates/routes/src/lib.rs):
//!
//! - a route loses one trailing slash and `/...` becomes routefinder's `/*` (lines 150-164,
//!   382-407);
//! - routefinder ignores leading and trailing slashes of the request path, so `/api/menu/`
//!   and `/api/menu//` reach the exact route `/api/menu`; a doubled slash inside the path
//!   does not match;
//! - an exact segment beats a wildcard, a longer prefix beats a shorter one, an exact route
//!   beats the wildcard ending in the same prefix;
//! - the path info (`spin-path-info`) is what the wildcard captured, with a leading slash,
//!   and a trailing slash when the request path had one (lines 353-378);
//! - a route written twice is kept once, the later one wins (lines 101-118; Spin logs it).

use anyhow::{Context, bail};

#[derive(Debug, Clone)]
struct Handler {
    /// The route as written in spin.toml, e.g. `/api/orders/...` or `/api/menu`.
    raw: String,
    /// The route with one trailing slash removed (Spin's "based" route with base `/`).
    based: String,
    component: String,
}

#[derive(Debug, Default)]
pub struct Router {
    inner: routefinder::Router<Handler>,
}

/// The result of routing one request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    /// `spin-raw-component-route`: the route as written.
    pub raw_route: String,
    /// `spin-matched-route`: the route with one trailing slash removed.
    pub matched_route: String,
    /// `spin-component-route`: the route without its trailing `/...`.
    pub component_route: String,
    /// `spin-path-info`: what the wildcard matched (empty for exact routes).
    pub path_info: String,
}

/// Spin's `sanitize_with_base("/", route)`: absolute, one trailing slash removed.
fn based(raw: &str) -> String {
    let absolute = if raw.starts_with('/') {
        raw.to_string()
    } else {
        format!("/{raw}")
    };
    match absolute.strip_suffix('/') {
        Some(stripped) => stripped.to_string(),
        None => absolute,
    }
}

impl Router {
    pub fn build<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> anyhow::Result<Self> {
        // Later duplicates replace earlier ones, keeping the first one's position.
        let mut unique: Vec<Handler> = Vec::new();
        for (raw, component) in routes {
            if raw.contains("/:") {
                bail!("route {raw:?}: named path parameters are not supported by this host");
            }
            let based = based(raw);
            if based.contains("...") && !based.ends_with("/...") {
                bail!("route {raw:?}: `...` must end the route");
            }
            let handler = Handler {
                raw: raw.to_string(),
                based,
                component: component.to_string(),
            };
            match unique.iter_mut().find(|h| h.raw == raw) {
                Some(existing) => {
                    tracing::error!(
                        "route {raw} of component {} duplicates the one of {} and is never used",
                        existing.component,
                        component
                    );
                    *existing = handler;
                }
                None => unique.push(handler),
            }
        }
        let mut inner = routefinder::Router::new();
        for handler in unique {
            let spec = match handler.based.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => handler.based.clone(),
            };
            let raw = handler.raw.clone();
            inner
                .add(spec.as_str(), handler)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("parsing route {raw:?}"))?;
        }
        Ok(Self { inner })
    }

    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let found = self.inner.best_match(path)?;
        let handler = found.handler();
        let captures = found.captures();
        // routefinder does not capture the slashes around the wildcard; Spin puts them back.
        let path_info = match captures.wildcard() {
            None => String::new(),
            Some("") if path.ends_with('/') => "/".to_string(),
            Some("") => String::new(),
            Some(rest) if path.ends_with('/') => format!("/{rest}/"),
            Some(rest) => format!("/{rest}"),
        };
        Some(RouteMatch {
            component: handler.component.clone(),
            raw_route: handler.raw.clone(),
            matched_route: handler.based.clone(),
            component_route: handler
                .raw
                .strip_suffix("/...")
                .unwrap_or(&handler.raw)
                .to_string(),
            path_info,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::build([
            ("/api/orders/...", "order"),
            ("/api/menu", "list"),
            ("/api/...", "api"),
            ("/...", "files"),
        ])
        .expect("valid routes")
    }

    fn component(path: &str) -> String {
        router()
            .route(path)
            .map(|m| m.component)
            .unwrap_or_else(|| "-".into())
    }

    #[test]
    fn an_exact_route_beats_a_wildcard() {
        let m = router().route("/api/menu").expect("routed");
        assert_eq!(m.component, "list");
        assert_eq!(m.path_info, "");
        assert_eq!(m.component_route, "/api/menu");
    }

    #[test]
    fn the_longest_wildcard_prefix_wins() {
        let m = router().route("/api/orders/17").expect("routed");
        assert_eq!(m.component, "order");
        assert_eq!(m.path_info, "/17");
        assert_eq!(m.component_route, "/api/orders");
        assert_eq!(m.raw_route, "/api/orders/...");
    }

    #[test]
    fn a_wildcard_matches_its_bare_prefix() {
        let m = router().route("/api/orders").expect("routed");
        assert_eq!(m.component, "order");
        assert_eq!(m.path_info, "");
    }

    #[test]
    fn a_prefix_only_matches_whole_segments() {
        let m = router().route("/api/ordersx").expect("routed");
        assert_eq!(m.component, "api");
        assert_eq!(m.path_info, "/ordersx");
    }

    #[test]
    fn the_catch_all_takes_everything_else() {
        let m = router().route("/index.html").expect("routed");
        assert_eq!(m.component, "files");
        assert_eq!(m.path_info, "/index.html");
        assert_eq!(m.component_route, "");
        assert_eq!(m.matched_route, "/...");
        let root = router().route("/").expect("routed");
        assert_eq!(root.path_info, "/");
    }

    #[test]
    fn without_a_catch_all_unknown_paths_do_not_route() {
        let r = Router::build([("/api/menu", "list")]).expect("valid");
        assert!(r.route("/other").is_none());
        assert!(r.route("/api/menu/x").is_none());
    }

    /// spinframework/spin v3.6.3 crates/routes/src/lib.rs:197 (`best_match`): routefinder
    /// trims every leading and trailing slash of the path before matching.
    #[test]
    fn a_trailing_slash_on_an_exact_route_reaches_the_exact_route() {
        for path in ["/api/menu/", "/api/menu//", "/api/menu///"] {
            let m = router().route(path).expect("routed");
            assert_eq!(m.component, "list", "{path}");
            assert_eq!(m.path_info, "", "{path}");
        }
    }

    #[test]
    fn leading_slashes_are_ignored_too() {
        assert_eq!(component("//api/menu"), "list");
    }

    #[test]
    fn a_doubled_slash_inside_the_path_does_not_match_an_exact_route() {
        assert_eq!(component("/api//menu"), "api");
        let m = router().route("/api//menu").expect("routed");
        assert_eq!(m.path_info, "//menu");
    }

    /// spinframework/spin v3.6.3 crates/routes/src/lib.rs:766-783.
    #[test]
    fn the_path_info_keeps_a_trailing_slash_like_spin() {
        let m = router().route("/api/orders/").expect("routed");
        assert_eq!((m.component.as_str(), m.path_info.as_str()), ("order", "/"));
        let m = router().route("/api/orders/17/").expect("routed");
        assert_eq!(m.path_info, "/17/");
        let m = router().route("/api/orders/17//").expect("routed");
        assert_eq!(m.path_info, "/17/");
    }

    #[test]
    fn a_suffix_after_an_exact_route_is_not_the_exact_route() {
        assert_eq!(component("/api/menu.json"), "api");
        assert_eq!(component("/api/menux"), "api");
        assert_eq!(component("/api/menu/x"), "api");
    }

    /// spinframework/spin v3.6.3 crates/routes/src/lib.rs:398-407: one trailing slash of
    /// the route itself is removed.
    #[test]
    fn a_route_written_with_a_trailing_slash_is_the_route_without_it() {
        let r = Router::build([("/api/menu/", "list")]).expect("valid");
        let m = r.route("/api/menu").expect("routed");
        assert_eq!(m.raw_route, "/api/menu/");
        assert_eq!(m.matched_route, "/api/menu");
    }

    /// spinframework/spin v3.6.3 crates/routes/src/lib.rs:101-118.
    #[test]
    fn a_duplicate_route_is_kept_once_and_the_later_one_wins() {
        let r = Router::build([("/a/...", "x"), ("/a/...", "y")]).expect("valid");
        assert_eq!(r.route("/a/b").map(|m| m.component), Some("y".into()));
    }

    #[test]
    fn an_asterisk_target_goes_to_the_catch_all() {
        assert_eq!(component("*"), "files");
    }

    #[test]
    fn malformed_routes_are_refused() {
        assert!(Router::build([("/a/.../b", "x")]).is_err());
        assert!(Router::build([("/a/:id", "x")]).is_err());
    }
}
