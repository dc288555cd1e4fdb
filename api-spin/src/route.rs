//! A component's route table: path patterns (`/api/orders/{id}`) and methods to endpoints.
//! A path no route matches is a 404 problem; a method the path does not take is a 405 with
//! `Allow` listing the methods the table has for it, in table order.

use drinks_core::{ApiError, RequestError};
use spin_sdk::http::{Method, Response};

use crate::Request;
use crate::stream::Reply;

/// An endpoint: the request and the path's `{param}` values.
pub type Endpoint = fn(&Request, &PathParams) -> Result<Response, ApiError>;

/// An endpoint that may answer with a body written while it is produced
/// ([`Reply::Streamed`]); only components served with [`crate::serve_streaming`] have them.
pub type StreamingEndpoint = fn(&Request, &PathParams) -> Result<Reply, ApiError>;

/// What a route runs.
#[derive(Clone, Copy)]
pub enum Handler {
    Whole(Endpoint),
    Streaming(StreamingEndpoint),
}

/// One line of a route table.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub handler: Handler,
}

impl Route {
    pub const fn new(method: Method, path: &'static str, endpoint: Endpoint) -> Self {
        Self {
            method,
            path,
            handler: Handler::Whole(endpoint),
        }
    }

    /// A route whose endpoint may stream its answer.
    pub const fn streaming(
        method: Method,
        path: &'static str,
        endpoint: StreamingEndpoint,
    ) -> Self {
        Self {
            method,
            path,
            handler: Handler::Streaming(endpoint),
        }
    }
}

/// What a `{name}` segment of a path must be, or the path is no resource (404, before the
/// method is looked at: `GET /api/orders/abc` is not found, not "method not allowed").
pub struct Param {
    pub name: &'static str,
    pub valid: fn(&str) -> bool,
}

impl Param {
    pub const fn new(name: &'static str, valid: fn(&str) -> bool) -> Self {
        Self { name, valid }
    }
}

/// A component's route table and the rules of its path parameters.
pub struct Routes {
    pub routes: &'static [Route],
    pub params: &'static [Param],
}

/// The `{name}` segments of the matched path, as sent (not percent-decoded).
#[derive(Debug, Default)]
pub struct PathParams(Vec<(String, String)>);

impl PathParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter parsed into a domain value; one that does not parse is no such
    /// resource (404), like a path no route matches.
    pub fn parse<T, E>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        self.get(name)
            .and_then(|raw| parse(raw).ok())
            .ok_or(ApiError::Request(RequestError::NotFound))
    }
}

/// Finds the endpoint of a request in the table and runs it.
pub fn dispatch(req: &Request, table: &Routes) -> Result<Reply, ApiError> {
    let (route, params) = find(table, req.method(), req.path())?;
    match route.handler {
        Handler::Whole(endpoint) => endpoint(req, &params).map(Reply::Full),
        Handler::Streaming(endpoint) => endpoint(req, &params),
    }
}

/// The route for a method and a path (as sent), with the path's parameters: 404 when no
/// route has the path or a parameter is not valid, 405 + `Allow` when none of the path's
/// routes has the method.
pub fn find<'r>(
    table: &'r Routes,
    method: &Method,
    path: &str,
) -> Result<(&'r Route, PathParams), ApiError> {
    let (routes, rules) = (table.routes, table.params);
    // Routes of one path share an entry, in table order (that is the order of `Allow`).
    let mut paths: Vec<(&str, Vec<&Route>)> = Vec::new();
    for route in routes {
        match paths.iter_mut().find(|(p, _)| *p == route.path) {
            Some((_, same)) => same.push(route),
            None => paths.push((route.path, vec![route])),
        }
    }
    let mut table = matchit::Router::new();
    for (p, same) in paths {
        table
            .insert(p, same)
            .map_err(|e| ApiError::internal_because(format!("route table: {p}"), e))?;
    }
    let matched = table
        .at(path)
        .map_err(|_| ApiError::Request(RequestError::NotFound))?;
    let params = PathParams(
        matched
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    for (name, value) in &params.0 {
        let rule = rules.iter().find(|p| p.name == name);
        if !rule.is_some_and(|p| (p.valid)(value)) {
            return Err(RequestError::NotFound.into());
        }
    }
    match matched.value.iter().find(|r| r.method == *method) {
        Some(route) => Ok((route, params)),
        None => Err(RequestError::MethodNotAllowed {
            allow: matched
                .value
                .iter()
                .map(|r| r.method.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &Request, _: &PathParams) -> Result<Response, ApiError> {
        Err(ApiError::Request(RequestError::NotFound))
    }

    const ROUTES: &Routes = &Routes {
        routes: &[
            Route::new(Method::Post, "/api/orders", nothing),
            Route::new(Method::Delete, "/api/orders", nothing),
            Route::new(Method::Delete, "/api/orders/{id}", nothing),
            Route::new(Method::Patch, "/api/orders/{id}", nothing),
            Route::new(Method::Patch, "/api/drinks/{drink}", nothing),
        ],
        params: &[
            Param::new("id", |raw| drinks_core::OrderId::parse(raw).is_ok()),
            Param::new("drink", |raw| drinks_core::DrinkId::parse(raw).is_ok()),
        ],
    };

    #[test]
    fn a_path_with_a_parameter_matches_and_hands_over_its_value() {
        let (route, params) = find(ROUTES, &Method::Patch, "/api/orders/12").unwrap();
        assert_eq!(route.path, "/api/orders/{id}");
        assert_eq!(params.get("id"), Some("12"));
        assert_eq!(
            params
                .parse("id", drinks_core::OrderId::parse)
                .unwrap()
                .get(),
            12
        );
        let drink = find(ROUTES, &Method::Patch, "/api/drinks/fruit-juice")
            .unwrap()
            .1;
        assert_eq!(drink.get("drink"), Some("fruit-juice"));
    }

    #[test]
    fn paths_no_route_has_are_not_found() {
        for path in [
            "/api/orders/",
            "/api/orders/1/2",
            "/api/ordersx",
            "/api/drinks",
            "/api/drinks/",
            "/api/drinks/tea/x",
            "/api/drinks/Tea",
            "/api/orders/abc",
            "/api/orders/0",
            "/",
        ] {
            assert!(
                matches!(
                    find(ROUTES, &Method::Post, path),
                    Err(ApiError::Request(RequestError::NotFound))
                ),
                "{path}"
            );
        }
    }

    #[test]
    fn a_method_the_path_does_not_take_is_405_with_the_tables_methods_in_order() {
        for (path, allow) in [
            ("/api/orders", "POST, DELETE"),
            ("/api/orders/7", "DELETE, PATCH"),
            ("/api/drinks/tea", "PATCH"),
        ] {
            assert!(matches!(
                find(ROUTES, &Method::Get, "/api/orders/abc"),
                Err(ApiError::Request(RequestError::NotFound))
            ));
            match find(ROUTES, &Method::Get, path) {
                Err(ApiError::Request(RequestError::MethodNotAllowed { allow: got })) => {
                    assert_eq!(got, allow)
                }
                other => panic!("{path}: {:?}", other.map(|(r, _)| r.path)),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_route_table_never_panics_and_finds_every_order_and_drink(
            path in "(/api/(orders|drinks)(/[^/]{0,12}){0,2})|\\PC{0,40}",
            id in 1i64..=i64::MAX,
        ) {
            if let Err(e) = find(ROUTES, &Method::Delete, &path) {
                proptest::prop_assert!(e.problem().status < 500, "{:?}", e);
            }
            let (route, params) = find(ROUTES, &Method::Delete, &format!("/api/orders/{id}"))
                .expect("an order route");
            proptest::prop_assert_eq!(route.path, "/api/orders/{id}");
            proptest::prop_assert_eq!(params.parse("id", drinks_core::OrderId::parse).ok().map(|i| i.get()), Some(id));
        }
    }
}
