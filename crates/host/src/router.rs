//! Spin HTTP routing: exact routes, `:name` single-segment wildcards and trailing
//! `/...` wildcards; the most specific route wins; duplicate routes are refused.
//!
//! A match also yields what Spin tells the component about it, as `spin-*`
//! request headers (see [`RouteMatch::spin_headers`]).

use std::collections::HashMap;

use crate::manifest::{HttpTrigger, Problems};

/// Spin's reserved prefix; the runtime answers these paths itself.
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone)]
struct Route {
    written: String,
    segments: Vec<Segment>,
    trailing_wildcard: bool,
    component: String,
}

impl Route {
    fn parse(written: &str, component: &str) -> Route {
        let (base, trailing_wildcard) = match written.strip_suffix("/...") {
            Some(base) => (base, true),
            None if written == "/..." => ("", true),
            None => (written, false),
        };
        let segments = base
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Literal(s.to_string()),
            })
            .collect();
        Route {
            written: written.to_string(),
            segments,
            trailing_wildcard,
            component: component.to_string(),
        }
    }

    /// Two routes are duplicates when they match exactly the same paths.
    fn shape(&self) -> (Vec<Option<&str>>, bool) {
        let segs = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => Some(l.as_str()),
                Segment::Param(_) => None,
            })
            .collect();
        (segs, self.trailing_wildcard)
    }

    /// Higher is more specific.
    fn specificity(&self) -> (usize, Vec<bool>, bool) {
        let literals = self.segments.iter().map(|s| matches!(s, Segment::Literal(_))).collect();
        (self.segments.len(), literals, !self.trailing_wildcard)
    }

    fn matches<'p>(&self, path_segments: &[&'p str]) -> Option<Vec<(String, &'p str)>> {
        if path_segments.len() < self.segments.len()
            || (!self.trailing_wildcard && path_segments.len() != self.segments.len())
        {
            return None;
        }
        let mut params = Vec::new();
        for (seg, actual) in self.segments.iter().zip(path_segments) {
            match seg {
                Segment::Literal(l) if l == actual => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), *actual)),
            }
        }
        Some(params)
    }
}

/// The app's route table.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

/// The result of routing one request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The component that handles the request.
    pub component: String,
    /// The route as written in the manifest.
    pub route: String,
    /// The path below the route's fixed part (`/x/y` for `/api/...` and `/api/x/y`).
    pub path_info: String,
    /// Values of `:name` segments.
    pub params: Vec<(String, String)>,
}

impl Router {
    /// Builds the table, reporting duplicate routes.
    pub fn build(triggers: &[HttpTrigger], problems: &mut Problems) -> Router {
        let mut routes: Vec<Route> = Vec::new();
        let mut seen: HashMap<(Vec<Option<String>>, bool), String> = HashMap::new();
        for t in triggers {
            let Some(written) = &t.route else { continue };
            let route = Route::parse(written, &t.component);
            if written.starts_with(WELL_KNOWN_PREFIX.trim_end_matches('/')) {
                problems.push(
                    format!("route `{written}` is reserved for the runtime"),
                    "choose a route outside /.well-known/spin/",
                );
                continue;
            }
            let (segs, wildcard) = route.shape();
            let key = (segs.into_iter().map(|s| s.map(str::to_string)).collect(), wildcard);
            if let Some(first) = seen.get(&key) {
                problems.push(
                    format!("route `{written}` (component `{}`) duplicates `{first}`", t.component),
                    "give each trigger a distinct route; requests would reach only one of them",
                );
                continue;
            }
            seen.insert(key, format!("{written}` (component `{}`", t.component));
            routes.push(route);
        }
        routes.sort_by_key(|r| std::cmp::Reverse(r.specificity()));
        Router { routes }
    }

    /// Finds the most specific route for `path` (no query string).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.routes.iter().find_map(|r| {
            let params = r.matches(&segments)?;
            let path_info = if r.trailing_wildcard {
                let fixed: usize = segments[..r.segments.len()].iter().map(|s| s.len() + 1).sum();
                let rest = strip_segments(path, fixed);
                if r.segments.is_empty() && rest.is_empty() {
                    "/".to_string()
                } else {
                    rest.to_string()
                }
            } else {
                String::new()
            };
            Some(RouteMatch {
                component: r.component.clone(),
                route: r.written.clone(),
                path_info,
                params: params.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
            })
        })
    }

    /// The components some route reaches.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|r| r.component.as_str())
    }
}

/// Drops the first `fixed` bytes worth of `/segment` parts, tolerating repeated slashes.
fn strip_segments(path: &str, fixed: usize) -> &str {
    let mut consumed = 0;
    let mut idx = 0;
    let bytes = path.as_bytes();
    while consumed < fixed && idx < bytes.len() {
        while idx < bytes.len() && bytes[idx] == b'/' {
            idx += 1;
        }
        let start = idx;
        while idx < bytes.len() && bytes[idx] != b'/' {
            idx += 1;
        }
        consumed += idx - start + 1;
    }
    &path[idx..]
}

impl RouteMatch {
    /// The `spin-*` headers Spin adds to the request for the component.
    pub fn spin_headers(&self, full_url: &str, client_addr: &str) -> Vec<(String, String)> {
        let component_route = self.route.strip_suffix("/...").unwrap_or(&self.route).to_string();
        let mut headers = vec![
            ("spin-full-url".to_string(), full_url.to_string()),
            ("spin-path-info".to_string(), self.path_info.clone()),
            ("spin-matched-route".to_string(), self.route.clone()),
            ("spin-raw-component-route".to_string(), self.route.clone()),
            ("spin-component-route".to_string(), component_route),
            ("spin-base-path".to_string(), "/".to_string()),
            ("spin-client-addr".to_string(), client_addr.to_string()),
        ];
        for (name, value) in &self.params {
            headers.push((path_match_header(name), value.clone()));
        }
        headers
    }
}

/// Spin's header for a `:name` segment: `spin-path-match-` and the name lowercased, with `_`
/// written as `-` (`:User_Id` -> `spin-path-match-user-id`).
pub fn path_match_header(name: &str) -> String {
    format!("spin-path-match-{}", name.to_ascii_lowercase().replace('_', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let triggers: Vec<HttpTrigger> = routes
            .iter()
            .map(|(r, c)| HttpTrigger {
                route: Some(r.to_string()),
                component: c.to_string(),
            })
            .collect();
        let mut problems = Problems(Vec::new());
        let r = Router::build(&triggers, &mut problems);
        assert!(problems.0.is_empty(), "{problems}");
        r
    }

    #[test]
    fn the_most_specific_route_wins() {
        let r = router(&[
            ("/...", "ui"),
            ("/api/...", "api"),
            ("/api/health", "health"),
            ("/api/users/:id", "user"),
            ("/api/users/me", "me"),
            ("/api/users/:id/...", "user-sub"),
        ]);
        let cases = [
            ("/", "ui", "/"),
            ("/index.html", "ui", "/index.html"),
            ("/api", "api", ""),
            ("/api/", "api", "/"),
            ("/api/leads/5", "api", "/leads/5"),
            ("/api/health", "health", ""),
            ("/api/health/x", "api", "/health/x"),
            ("/api/users/7", "user", ""),
            ("/api/users/me", "me", ""),
            ("/api/users/7/roles", "user-sub", "/roles"),
        ];
        for (path, component, info) in cases {
            let m = r.route(path).unwrap_or_else(|| panic!("{path} unrouted"));
            assert_eq!(
                (m.component.as_str(), m.path_info.as_str()),
                (component, info),
                "{path}"
            );
        }
        assert_eq!(
            r.route("/api/users/7").unwrap().params,
            vec![("id".to_string(), "7".to_string())]
        );
    }

    #[test]
    fn unrouted_paths_find_nothing() {
        let r = router(&[("/api/health", "health"), ("/static/...", "ui")]);
        assert!(r.route("/").is_none());
        assert!(r.route("/api/health/more").is_none());
        assert!(r.route("/staticx").is_none());
        assert_eq!(r.route("/static").unwrap().path_info, "");
    }

    #[test]
    fn duplicate_routes_are_reported() {
        let triggers = vec![
            HttpTrigger {
                route: Some("/a/:x".into()),
                component: "one".into(),
            },
            HttpTrigger {
                route: Some("/a/:y".into()),
                component: "two".into(),
            },
            HttpTrigger {
                route: Some("/.well-known/spin/x".into()),
                component: "three".into(),
            },
        ];
        let mut problems = Problems(Vec::new());
        Router::build(&triggers, &mut problems);
        assert_eq!(problems.0.len(), 2, "{problems}");
        assert!(problems.0[0].message.contains("duplicates `/a/:x`"));
    }

    #[test]
    fn path_match_headers_are_lowercase_with_dashes() {
        let cases = [
            ("id", "spin-path-match-id"),
            ("path_segment", "spin-path-match-path-segment"),
            ("User_Id", "spin-path-match-user-id"),
            ("a-b", "spin-path-match-a-b"),
        ];
        for (name, header) in cases {
            assert_eq!(path_match_header(name), header, "{name}");
        }
    }

    #[test]
    fn spin_headers_describe_the_match() {
        let r = router(&[("/api/users/:id/...", "c")]);
        let m = r.route("/api/users/42/x").unwrap();
        let h: HashMap<_, _> = m
            .spin_headers("http://h/api/users/42/x?q=1", "127.0.0.1:5")
            .into_iter()
            .collect();
        assert_eq!(h["spin-path-info"], "/x");
        assert_eq!(h["spin-matched-route"], "/api/users/:id/...");
        assert_eq!(h["spin-component-route"], "/api/users/:id");
        assert_eq!(h["spin-path-match-id"], "42");
        assert_eq!(h["spin-full-url"], "http://h/api/users/42/x?q=1");
        assert_eq!(h["spin-client-addr"], "127.0.0.1:5");
    }
}
