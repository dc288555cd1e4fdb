//! HTTP routing as Spin's HTTP trigger does it: an exact route beats a wildcard, among
//! wildcards (`/prefix/...`) the longest prefix wins, `/...` catches everything else.

use anyhow::bail;

#[derive(Debug, Clone)]
struct Route {
    /// The route as written in spin.toml, e.g. `/api/orders/...` or `/api/menu`.
    raw: String,
    /// For wildcards the prefix without `/...` (`/api/orders`, or `` for `/...`).
    prefix: String,
    wildcard: bool,
    component: String,
}

#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

/// The result of routing one request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    /// `spin-raw-component-route` and `spin-matched-route` (base path is `/`).
    pub raw_route: String,
    /// `spin-component-route`: the route without its trailing wildcard.
    pub component_route: String,
    /// `spin-path-info`: what the wildcard matched (empty for exact routes).
    pub path_info: String,
}

impl Router {
    pub fn build<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> anyhow::Result<Self> {
        let mut out = Router::default();
        for (raw, component) in routes {
            if !raw.starts_with('/') {
                bail!("route {raw:?} must start with '/'");
            }
            if raw.contains("/:") {
                bail!("route {raw:?}: named path parameters are not supported by this host");
            }
            let (prefix, wildcard) = match raw.strip_suffix("/...") {
                Some(prefix) => (prefix.to_string(), true),
                None if raw.contains("...") => bail!("route {raw:?}: `...` must end the route"),
                None => (raw.trim_end_matches('/').to_string(), false),
            };
            if out
                .routes
                .iter()
                .any(|r| r.prefix == prefix && r.wildcard == wildcard)
            {
                bail!("route {raw:?} is defined twice");
            }
            out.routes.push(Route {
                raw: raw.to_string(),
                prefix,
                wildcard,
                component: component.to_string(),
            });
        }
        Ok(out)
    }

    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        if let Some(exact) = self
            .routes
            .iter()
            .find(|r| !r.wildcard && (r.prefix == path || (r.prefix.is_empty() && path == "/")))
        {
            return Some(RouteMatch {
                component: exact.component.clone(),
                raw_route: exact.raw.clone(),
                component_route: exact.raw.clone(),
                path_info: String::new(),
            });
        }
        self.routes
            .iter()
            .filter(|r| r.wildcard)
            .filter(|r| {
                path == r.prefix
                    || (path.starts_with(&r.prefix) && path[r.prefix.len()..].starts_with('/'))
            })
            .max_by_key(|r| r.prefix.len())
            .map(|r| RouteMatch {
                component: r.component.clone(),
                raw_route: r.raw.clone(),
                component_route: r.prefix.clone(),
                path_info: path[r.prefix.len()..].to_string(),
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
        let root = router().route("/").expect("routed");
        assert_eq!(root.path_info, "/");
    }

    #[test]
    fn without_a_catch_all_unknown_paths_do_not_route() {
        let r = Router::build([("/api/menu", "list")]).expect("valid");
        assert!(r.route("/other").is_none());
        assert!(r.route("/api/menu/x").is_none());
    }

    #[test]
    fn duplicate_and_malformed_routes_are_refused() {
        assert!(Router::build([("/a/...", "x"), ("/a/...", "y")]).is_err());
        assert!(Router::build([("a", "x")]).is_err());
        assert!(Router::build([("/a/.../b", "x")]).is_err());
    }
}
