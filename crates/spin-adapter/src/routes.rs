//! A component's route table: which handler answers which method on which path, declared once
//! ([`Routes`]), and the one entry point every component uses ([`component!`](crate::component)).
//!
//! ```ignore
//! crm_spin_adapter::component!(routes());
//!
//! fn routes() -> Routes {
//!     Routes::new("/api/pipelines")
//!         .get("", list)
//!         .post("", create)
//!         .get("/<id:id>", get)
//!         .patch("/<id:id>/stages/<code>", update_stage)
//! }
//! ```
//!
//! Patterns are the request's whole path, written below the table's base: literal segments,
//! `<name>` (any non-empty segment), `<name:id>` (a positive integer id, as records have) and a
//! parameter with a literal tail (`<key>.js`). Trailing slashes do not matter; an empty
//! segment never matches. When several patterns match, the most specific wins, segment by
//! segment (literal, then a parameter with a tail, then an id, then any text), whatever their
//! order in the table.
//!
//! The table answers what is not a handler's business, before any handler (so before the
//! database is opened or the caller authenticated): a path no pattern matches is a 404
//! problem (or the table's [`fallback`](Routes::fallback)), a method the matched pattern does
//! not take is a 405 problem with `Allow` listing the methods it does take, in table order.
//! A table may answer `HEAD` as `GET` ([`head_as_get`](Routes::head_as_get)): the handler sees
//! a `GET`, the body is dropped. Every handler error becomes problem+json through
//! [`crate::problem`], the one place that makes one.
//!
//! A route may stream its body ([`Routes::get_streamed`], a [`Streamed`] answer): a component
//! whose entry is [`streaming_component!`](crate::streaming_component) sends it chunk by chunk
//! ([`crate::stream`]); served the plain way, its chunks are collected into one body.
//!
//! The matching ([`Routes::find`]) is a pure function of method and path, tested natively.

use crm_core::CoreError;
use crm_core::acl::Caller;
use crm_core::audit::ClientInfo;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request, Response};
use std::borrow::Cow;

use crate::SpinDb;
use crate::auth::{client_info, open_signed_in};
use crate::problem::{ApiError, error_response};
use crate::request::{RequestError, if_match, json_body, query_pairs};
use crate::stream::{Reply, Streamed};

/// What a handler answers: a response, or an error that becomes a problem.
pub type Answer = Result<Response, ApiError>;

/// A handler of one route: a plain one (every component's), or a streamed one. Plain handlers
/// are stored as given, so a component without streamed routes carries no wrapper per route.
enum Handler {
    Plain(Box<dyn Fn(&Cx) -> Answer>),
    Streamed(Box<StreamedHandler>),
}

/// A streamed route's handler.
type StreamedHandler = dyn Fn(&Cx) -> Result<Streamed, ApiError>;

/// What answers a path no pattern matches.
type Fallback = Box<dyn Fn(&Request) -> Answer>;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Exactly this text.
    Literal(String),
    /// A parameter: `name`, whether it must be an id, and a literal tail (`.js`) or `""`.
    Param { name: String, id: bool, tail: String },
}

impl Segment {
    fn parse(text: &str) -> Segment {
        let Some(inner) = text.strip_prefix('<') else {
            return Segment::Literal(text.to_owned());
        };
        let (spec, tail) = inner.split_once('>').unwrap_or((inner, ""));
        let (name, id) = match spec.split_once(':') {
            Some((name, "id")) => (name, true),
            _ => (spec, false),
        };
        Segment::Param {
            name: name.to_owned(),
            id,
            tail: tail.to_owned(),
        }
    }

    /// How specific a match of this segment is (higher wins), if `text` matches it.
    fn matches<'p>(&self, text: &'p str) -> Option<(u8, Option<&'p str>)> {
        match self {
            Segment::Literal(literal) => (literal == text).then_some((4, None)),
            Segment::Param { id, tail, .. } => {
                let value = text.strip_suffix(tail.as_str()).filter(|v| !v.is_empty())?;
                if *id && parse_id(value).is_none() {
                    return None;
                }
                let rank = if !tail.is_empty() {
                    3
                } else if *id {
                    2
                } else {
                    1
                };
                Some((rank, Some(value)))
            }
        }
    }
}

/// A positive integer of at most 18 digits (an id), as records are addressed.
fn parse_id(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|id| *id > 0)
}

/// A path parameter percent-decoded (`C2%3AWON` is the stage code `C2:WON`); text that does
/// not decode to UTF-8 stays as sent.
fn decoded(value: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .unwrap_or(Cow::Borrowed(value))
}

/// The segments of a path: trailing slashes dropped; the root is no segment at all.
fn segments(path: &str) -> Vec<&str> {
    let path = path.trim_end_matches('/');
    match path.strip_prefix('/') {
        Some(rest) => rest.split('/').collect(),
        None if path.is_empty() => Vec::new(),
        None => path.split('/').collect(),
    }
}

struct Route {
    method: Method,
    pattern: String,
    segments: Vec<Segment>,
    handler: Handler,
}

/// What [`Routes::find`] found for a method and a path.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<'r, 'p> {
    /// The route at this position of the table answers, with the path's parameters.
    Route(usize, Vec<(&'r str, Cow<'p, str>)>),
    /// A pattern matches but not for this method; these are the methods it takes.
    MethodNotAllowed(Vec<&'static str>),
    /// No pattern matches.
    NotFound,
}

/// A component's route table. See the [module docs](self).
pub struct Routes {
    base: String,
    routes: Vec<Route>,
    head_as_get: bool,
    fallback: Option<Fallback>,
}

impl Routes {
    /// An empty table whose patterns are written below `base` (`""` for whole paths).
    pub fn new(base: &str) -> Routes {
        Routes {
            base: base.to_owned(),
            routes: Vec::new(),
            head_as_get: false,
            fallback: None,
        }
    }

    /// Adds a route: `handler` answers `method` on `base` + `pattern`.
    pub fn route(self, method: Method, pattern: &str, handler: impl Fn(&Cx) -> Answer + 'static) -> Routes {
        self.route_reply(method, pattern, Handler::Plain(Box::new(handler)))
    }

    /// A `GET` route whose body is streamed (see [`crate::stream`]).
    pub fn get_streamed(self, pattern: &str, handler: impl Fn(&Cx) -> Result<Streamed, ApiError> + 'static) -> Routes {
        self.route_reply(Method::Get, pattern, Handler::Streamed(Box::new(handler)))
    }

    fn route_reply(mut self, method: Method, pattern: &str, handler: Handler) -> Routes {
        let pattern = format!("{}{pattern}", self.base);
        self.routes.push(Route {
            method,
            segments: segments(&pattern).into_iter().map(Segment::parse).collect(),
            pattern,
            handler,
        });
        self
    }

    /// A `GET` route.
    pub fn get(self, pattern: &str, handler: impl Fn(&Cx) -> Answer + 'static) -> Routes {
        self.route(Method::Get, pattern, handler)
    }

    /// A `POST` route.
    pub fn post(self, pattern: &str, handler: impl Fn(&Cx) -> Answer + 'static) -> Routes {
        self.route(Method::Post, pattern, handler)
    }

    /// A `PUT` route.
    pub fn put(self, pattern: &str, handler: impl Fn(&Cx) -> Answer + 'static) -> Routes {
        self.route(Method::Put, pattern, handler)
    }

    /// A `PATCH` route.
    pub fn patch(self, pattern: &str, handler: impl Fn(&Cx) -> Answer + 'static) -> Routes {
        self.route(Method::Patch, pattern, handler)
    }

    /// A `DELETE` route.
    pub fn delete(self, pattern: &str, handler: impl Fn(&Cx) -> Answer + 'static) -> Routes {
        self.route(Method::Delete, pattern, handler)
    }

    /// An `OPTIONS` route.
    pub fn options(self, pattern: &str, handler: impl Fn(&Cx) -> Answer + 'static) -> Routes {
        self.route(Method::Options, pattern, handler)
    }

    /// The routes of `other` too (each keeps its own base).
    pub fn merge(mut self, other: Routes) -> Routes {
        self.routes.extend(other.routes);
        self.head_as_get |= other.head_as_get;
        if self.fallback.is_none() {
            self.fallback = other.fallback;
        }
        self
    }

    /// Answers `HEAD` wherever there is a `GET`, as that `GET` without the body (and lists
    /// `HEAD` in `Allow`).
    pub fn head_as_get(mut self) -> Routes {
        self.head_as_get = true;
        self
    }

    /// What answers a path no pattern matches, instead of the 404 problem (a page for people,
    /// say).
    pub fn fallback(mut self, answer: impl Fn(&Request) -> Answer + 'static) -> Routes {
        self.fallback = Some(Box::new(answer));
        self
    }

    /// Which route answers `method` on `path`: the most specific pattern that matches the
    /// path, then the route of that pattern for the method.
    pub fn find<'r, 'p>(&'r self, method: &Method, path: &'p str) -> Found<'r, 'p> {
        let parts = segments(path);
        let mut best: Option<(Vec<u8>, &str)> = None;
        for route in &self.routes {
            if route.segments.len() != parts.len() {
                continue;
            }
            let ranks: Option<Vec<u8>> = route
                .segments
                .iter()
                .zip(&parts)
                .map(|(segment, part)| segment.matches(part).map(|(rank, _)| rank))
                .collect();
            if let Some(ranks) = ranks
                && best.as_ref().is_none_or(|(top, _)| ranks > *top)
            {
                best = Some((ranks, &route.pattern));
            }
        }
        let Some((_, pattern)) = best else {
            return Found::NotFound;
        };
        let wanted = match method {
            Method::Head if self.head_as_get => &Method::Get,
            other => other,
        };
        let same = || {
            self.routes
                .iter()
                .enumerate()
                .filter(move |(_, r)| r.pattern == pattern)
        };
        if let Some((at, route)) = same().find(|(_, r)| r.method == *wanted) {
            let params = route
                .segments
                .iter()
                .zip(&parts)
                .filter_map(|(segment, part)| match (segment, segment.matches(part)) {
                    (Segment::Param { name, .. }, Some((_, Some(value)))) => Some((name.as_str(), decoded(value))),
                    _ => None,
                })
                .collect();
            return Found::Route(at, params);
        }
        let mut allow = Vec::new();
        for (_, route) in same() {
            let name = method_name(&route.method);
            if !allow.contains(&name) {
                allow.push(name);
            }
            if self.head_as_get && route.method == Method::Get && !allow.contains(&"HEAD") {
                allow.push("HEAD");
            }
        }
        Found::MethodNotAllowed(allow)
    }

    /// Answers a request: the route's handler, or the table's 404 / 405; errors as problems
    /// (a streamed body collected whole).
    pub fn serve(&self, request: &Request) -> Response {
        self.reply(request).into_whole()
    }

    /// Answers a request, a streamed route's body left to stream.
    pub fn reply(&self, request: &Request) -> Reply {
        let head = self.head_as_get && *request.method() == Method::Head;
        let as_get;
        let request = if head {
            as_get = with_method(request, Method::Get);
            &as_get
        } else {
            request
        };
        let reply = self
            .answer(request)
            .unwrap_or_else(|e| Reply::Whole(error_response(&e)));
        match (reply, head) {
            (Reply::Whole(mut response), true) => {
                response.body_mut().clear();
                Reply::Whole(response)
            }
            (Reply::Streamed(streamed), true) => Reply::Streamed(Streamed {
                chunks: Box::new(|| Ok(None)),
                ..streamed
            }),
            (reply, false) => reply,
        }
    }

    fn answer(&self, request: &Request) -> Result<Reply, ApiError> {
        match self.find(request.method(), request.path()) {
            Found::Route(at, params) => {
                let cx = Cx { request, params };
                match &self.routes[at].handler {
                    Handler::Plain(handler) => handler(&cx).map(Reply::Whole),
                    Handler::Streamed(handler) => handler(&cx).map(Reply::Streamed),
                }
            }
            Found::MethodNotAllowed(allow) => Err(RequestError::MethodNotAllowed { allow }.into()),
            Found::NotFound => match &self.fallback {
                Some(answer) => answer(request).map(Reply::Whole),
                None => Err(CoreError::NotFound.into()),
            },
        }
    }
}

/// The upper-case name of a method a table can hold.
fn method_name(method: &Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
        Method::Options => "OPTIONS",
        Method::Connect => "CONNECT",
        Method::Trace => "TRACE",
        Method::Other(_) => "OTHER",
    }
}

/// `request` with another method, headers, URI and body kept.
fn with_method(request: &Request, method: Method) -> Request {
    let mut builder = Request::builder();
    builder.method(method).uri(request.uri());
    for (name, value) in request.headers() {
        builder.header(name, String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    builder.body(request.body().to_vec());
    builder.build()
}

/// `scheme://host[:port]` of an absolute URL (`""` if it is not one).
fn origin(url: &str) -> &str {
    match url.find("://").map(|i| i + 3) {
        Some(start) => {
            let end = url[start..].find('/').map_or(url.len(), |e| start + e);
            &url[..end]
        }
        None => "",
    }
}

/// What a handler gets: the request, the path's parameters, and the usual readings of both.
pub struct Cx<'r> {
    /// The request.
    pub request: &'r Request,
    params: Vec<(&'r str, Cow<'r, str>)>,
}

/// A signed-in caller's request: the migrated database, who is calling, and from where.
pub struct SignedIn {
    /// The `default` database, migrated.
    pub db: SpinDb,
    /// Who is calling (Bearer token or session cookie with CSRF).
    pub caller: Caller,
    /// The client's address and agent, for the audit log.
    pub client: ClientInfo,
}

impl<'r> Cx<'r> {
    /// The path parameter `name` (`<name>` in the pattern).
    pub fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
            .ok_or_else(|| CoreError::Internal(format!("the route has no parameter <{name}>")).into())
    }

    /// The id parameter `name` (`<name:id>` in the pattern).
    pub fn id(&self, name: &str) -> Result<i64, ApiError> {
        parse_id(self.param(name)?).ok_or_else(|| CoreError::NotFound.into())
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&'r str> {
        self.request.header(name).and_then(|v| v.as_str())
    }

    /// The first language of `Accept-Language` the app speaks (`en`, `ru`), if the client named one.
    pub fn language(&self) -> Option<&'static str> {
        crate::language::preferred(self.header("accept-language")?)
    }

    /// `scheme://host[:port]` the client called (from the runtime's `spin-full-url`), for
    /// absolute links in answers; `""` if the runtime does not say.
    pub fn origin(&self) -> &'r str {
        origin(self.header("spin-full-url").unwrap_or_default())
    }

    /// The decoded query pairs, in order.
    pub fn query(&self) -> Vec<(String, String)> {
        query_pairs(self.request)
    }

    /// The JSON body (415, 413, 400 as [`crate::request::parse_json`] says).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        Ok(json_body(self.request)?)
    }

    /// The version `If-Match` names, if any.
    pub fn if_match(&self) -> Result<Option<i64>, ApiError> {
        Ok(if_match(self.request)?)
    }

    /// The client's address and agent.
    pub fn client(&self) -> ClientInfo {
        client_info(self.request)
    }

    /// The `default` database, migrated (for a handler that needs no caller).
    pub fn db(&self) -> Result<SpinDb, ApiError> {
        Ok(SpinDb::open_migrated()?)
    }

    /// The database and the authenticated caller (401 without valid credentials).
    pub fn signed_in(&self) -> Result<SignedIn, ApiError> {
        let (db, caller) = open_signed_in(self.request)?;
        Ok(SignedIn {
            db,
            caller,
            client: self.client(),
        })
    }
}

/// Anything a component can be: a route table, a CRUD collection, or a plain function.
pub trait Serve {
    /// Answers one request.
    fn serve(&self, request: &Request) -> Response;

    /// Answers one request, a streamed body left to stream.
    fn reply(&self, request: &Request) -> Reply {
        Reply::Whole(self.serve(request))
    }
}

impl Serve for Routes {
    fn serve(&self, request: &Request) -> Response {
        Routes::serve(self, request)
    }

    fn reply(&self, request: &Request) -> Reply {
        Routes::reply(self, request)
    }
}

impl<F: Fn(&Request) -> Answer> Serve for F {
    fn serve(&self, request: &Request) -> Response {
        self(request).unwrap_or_else(|e| error_response(&e))
    }
}

/// A component's Spin entry point, once for all: `crm_spin_adapter::component!(routes());`
/// serves every request with the expression's [`Serve`] (a [`Routes`] table, a
/// [`crate::crud::Crud`] collection, or a `fn(&Request) -> Answer`), evaluated per request.
///
/// `#[http_component]` expands to wit-bindgen's export glue, which needs `unsafe`; the
/// allowance is scoped to the generated module, so the component stays under the workspace's
/// `unsafe_code = "deny"`. The component depends on `spin-sdk` itself (the glue names it).
#[macro_export]
macro_rules! component {
    ($serve:expr) => {
        /// Answers one request with the component's table (see `crm_spin_adapter::component!`).
        fn __crm_serve(request: &::spin_sdk::http::Request) -> ::spin_sdk::http::Response {
            $crate::routes::Serve::serve(&$serve, request)
        }

        /// The Spin entry point (see `crm_spin_adapter::component!`).
        #[allow(unsafe_code)]
        mod __crm_entry {
            /// Entry point for the component's routes.
            #[::spin_sdk::http_component]
            fn handle(request: ::spin_sdk::http::Request) -> ::spin_sdk::http::Response {
                super::__crm_serve(&request)
            }
        }
    };
}

/// [`component!`](crate::component) for a component with streamed routes: the entry takes
/// Spin's response outparam and sends a [`Streamed`] body chunk by chunk as it is made
/// ([`crate::stream::send`]); whole responses go out as they do through `component!`.
#[macro_export]
macro_rules! streaming_component {
    ($serve:expr) => {
        /// Answers one request with the component's table (see `crm_spin_adapter::streaming_component!`).
        fn __crm_reply(request: &::spin_sdk::http::Request) -> $crate::stream::Reply {
            $crate::routes::Serve::reply(&$serve, request)
        }

        /// The Spin entry point (see `crm_spin_adapter::streaming_component!`).
        #[allow(unsafe_code)]
        mod __crm_entry {
            /// Entry point for the component's routes, streaming.
            #[::spin_sdk::http_component]
            async fn handle(request: ::spin_sdk::http::Request, out: ::spin_sdk::http::ResponseOutparam) {
                $crate::stream::send(super::__crm_reply(&request), out).await
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::problem_for;

    fn ok(_: &Cx) -> Answer {
        Ok(Response::builder().status(200).build())
    }

    /// A table shaped like the components' own.
    fn table() -> Routes {
        Routes::new("/api/pipelines")
            .get("", ok)
            .post("", ok)
            .get("/<id:id>", ok)
            .patch("/<id:id>", ok)
            .delete("/<id:id>", ok)
            .get("/board", ok)
            .post("/<id:id>/stages", ok)
            .patch("/<id:id>/stages/<code>", ok)
            .delete("/<id:id>/stages/<code>", ok)
            .merge(Routes::new("/api/me").get("", ok))
    }

    fn route(found: Found) -> (usize, Vec<(String, String)>) {
        match found {
            Found::Route(at, params) => (
                at,
                params
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.into_owned()))
                    .collect(),
            ),
            other => panic!("expected a route, got {other:?}"),
        }
    }

    /// Method, path, the route's position and its parameters.
    type Case<'a> = (Method, &'a str, usize, &'a [(&'a str, &'a str)]);

    #[test]
    fn paths_match_their_routes_with_parameters() {
        let routes = table();
        let cases: &[Case] = &[
            (Method::Get, "/api/pipelines", 0, &[]),
            (Method::Get, "/api/pipelines/", 0, &[]),
            (Method::Post, "/api/pipelines", 1, &[]),
            (Method::Get, "/api/pipelines/7", 2, &[("id", "7")]),
            (Method::Get, "/api/pipelines/7/", 2, &[("id", "7")]),
            (Method::Delete, "/api/pipelines/7", 4, &[("id", "7")]),
            (Method::Post, "/api/pipelines/7/stages", 6, &[("id", "7")]),
            (
                Method::Patch,
                "/api/pipelines/2/stages/C2:NEW",
                7,
                &[("id", "2"), ("code", "C2:NEW")],
            ),
            (
                Method::Patch,
                "/api/pipelines/2/stages/C2%3ANEW",
                7,
                &[("id", "2"), ("code", "C2:NEW")],
            ),
            (Method::Get, "/api/me", 9, &[]),
        ];
        for (method, path, at, params) in cases {
            let (found, got) = route(routes.find(method, path));
            let params: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            assert_eq!((found, got), (*at, params), "{method} {path}");
        }
    }

    #[test]
    fn a_literal_segment_beats_a_parameter_whatever_the_order() {
        let routes = Routes::new("/f")
            .get("/<key>", ok)
            .get("/<key>.js", ok)
            .get("/<key>/thanks", ok)
            .get("/<n:id>", ok)
            .get("/new", ok);
        assert_eq!(route(routes.find(&Method::Get, "/f/abc")).0, 0);
        assert_eq!(
            route(routes.find(&Method::Get, "/f/abc.js")),
            (1, vec![("key".into(), "abc".into())])
        );
        assert_eq!(route(routes.find(&Method::Get, "/f/abc/thanks")).0, 2);
        assert_eq!(route(routes.find(&Method::Get, "/f/12")).0, 3, "an id beats any text");
        assert_eq!(route(routes.find(&Method::Get, "/f/new")).0, 4);
        assert_eq!(
            route(routes.find(&Method::Get, "/f/.js")).0,
            0,
            "a tail needs a value before it"
        );
    }

    #[test]
    fn paths_no_pattern_matches_are_not_found() {
        let routes = table();
        for path in [
            "/api/pipelines/0",
            "/api/pipelines/-1",
            "/api/pipelines/x",
            "/api/pipelines/1e3",
            "/api/pipelines/99999999999999999999",
            "/api/pipelines/7/other",
            "/api/pipelines//7",
            "/api/pipelines/7/stages/C1/x",
            "/api/pipelinesx",
            "/api/me/x",
            "/",
            "",
        ] {
            assert_eq!(routes.find(&Method::Get, path), Found::NotFound, "{path}");
        }
    }

    #[test]
    fn a_method_the_pattern_does_not_take_is_405_with_allow_in_table_order() {
        let routes = table();
        let cases: &[(Method, &str, &[&str])] = &[
            (Method::Put, "/api/pipelines", &["GET", "POST"]),
            (Method::Post, "/api/pipelines/7", &["GET", "PATCH", "DELETE"]),
            (Method::Get, "/api/pipelines/7/stages", &["POST"]),
            (Method::Get, "/api/pipelines/7/stages/X", &["PATCH", "DELETE"]),
            (Method::Head, "/api/me", &["GET"]),
        ];
        for (method, path, allow) in cases {
            assert_eq!(
                routes.find(method, path),
                Found::MethodNotAllowed(allow.to_vec()),
                "{method} {path}"
            );
        }
        let problem = problem_for(
            &RequestError::MethodNotAllowed {
                allow: vec!["GET", "POST"],
            }
            .into(),
        );
        assert_eq!(problem.status, 405);
        assert_eq!(problem.headers, [("allow", "GET, POST".to_owned())]);
    }

    #[test]
    fn head_is_get_only_where_the_table_says_so() {
        let plain = Routes::new("/f").get("/<key>", ok).post("/<key>", ok);
        assert_eq!(
            plain.find(&Method::Head, "/f/k"),
            Found::MethodNotAllowed(vec!["GET", "POST"])
        );
        let head = Routes::new("/f").get("/<key>", ok).post("/<key>", ok).head_as_get();
        assert_eq!(route(head.find(&Method::Head, "/f/k")).0, 0);
        assert_eq!(
            head.find(&Method::Put, "/f/k"),
            Found::MethodNotAllowed(vec!["GET", "HEAD", "POST"])
        );
    }

    fn request(method: Method, uri: &str) -> Request {
        Request::builder().method(method).uri(uri).build()
    }

    fn echo(cx: &Cx) -> Answer {
        let body = format!("{} {} {}", cx.request.method(), cx.param("code")?, cx.id("id")?);
        Ok(Response::builder().status(200).body(body).build())
    }

    #[test]
    fn serving_runs_the_handler_or_answers_404_and_405_as_problems() {
        let routes = Routes::new("/api/x").get("/<id:id>/<code>", echo).head_as_get();
        let response = routes.serve(&request(Method::Get, "http://h/api/x/7/AB?q=1"));
        assert_eq!(response.status(), &200);
        assert_eq!(response.body(), b"GET AB 7");
        let head = routes.serve(&request(Method::Head, "http://h/api/x/7/AB"));
        assert_eq!(head.status(), &200);
        assert!(head.body().is_empty(), "HEAD drops the body");
        let missing = routes.serve(&request(Method::Get, "http://h/api/x/0/AB"));
        assert_eq!(missing.status(), &404);
        assert_eq!(
            missing.header("content-type").and_then(|v| v.as_str()),
            Some("application/problem+json")
        );
        let refused = routes.serve(&request(Method::Delete, "http://h/api/x/7/AB"));
        assert_eq!(refused.status(), &405);
        assert_eq!(refused.header("allow").and_then(|v| v.as_str()), Some("GET, HEAD"));
    }

    #[test]
    fn a_streamed_route_is_collected_when_served_whole_and_empty_for_head() {
        let routes = Routes::new("/x")
            .get_streamed("", |_| {
                let mut left = 3;
                Ok(Streamed {
                    status: 200,
                    headers: vec![("content-type".into(), "text/plain".into())],
                    chunks: Box::new(move || {
                        left -= 1;
                        Ok((left >= 0).then(|| format!("chunk{left};").into_bytes()))
                    }),
                })
            })
            .get_streamed("/broken", |_| {
                Ok(Streamed {
                    status: 200,
                    headers: Vec::new(),
                    chunks: Box::new(|| Err(CoreError::Internal("page 2 failed".into()).into())),
                })
            })
            .head_as_get();
        let response = routes.serve(&request(Method::Get, "http://h/x"));
        assert_eq!(
            (response.status(), response.body()),
            (&200, &b"chunk2;chunk1;chunk0;"[..])
        );
        match routes.reply(&request(Method::Head, "http://h/x")) {
            Reply::Streamed(mut streamed) => assert!((streamed.chunks)().expect("no error").is_none()),
            Reply::Whole(_) => panic!("a streamed route stays streamed"),
        }
        assert_eq!(routes.serve(&request(Method::Get, "http://h/x/broken")).status(), &500);
    }

    #[test]
    fn a_fallback_answers_what_no_pattern_matches() {
        let routes = Routes::new("/f")
            .get("/<key>", ok)
            .fallback(|_| Ok(Response::builder().status(404).body("page").build()));
        let response = routes.serve(&request(Method::Get, "http://h/f/a/b"));
        assert_eq!((response.status(), response.body()), (&404, &b"page"[..]));
    }

    #[test]
    fn the_origin_is_scheme_and_host_of_the_full_url() {
        assert_eq!(origin("http://127.0.0.1:3000/api/forms/3?x=1"), "http://127.0.0.1:3000");
        assert_eq!(origin("https://crm.example"), "https://crm.example");
        assert_eq!(origin("/api/forms"), "");
        assert_eq!(origin(""), "");
    }

    #[test]
    fn a_parameter_the_route_lacks_is_an_internal_error() {
        let cx = Cx {
            request: &request(Method::Get, "/"),
            params: vec![("id", "7".into())],
        };
        assert_eq!(cx.id("id"), Ok(7));
        assert!(matches!(cx.param("code"), Err(ApiError::Core(CoreError::Internal(_)))));
    }
}
