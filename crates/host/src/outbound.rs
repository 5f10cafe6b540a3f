//! Outbound HTTP: `allowed_outbound_hosts` and the `wasi:http` send hook that enforces it.
//!
//! Like Spin, a component may call only the scheme, host and port its manifest lists;
//! anything else fails inside the guest with `HttpRequestDenied` and is logged.
//! `http://self` lets a component call its own app: such requests (and requests with
//! no authority) are sent to the address this runtime listens on.

use std::net::SocketAddr;
use std::sync::Arc;

use http::uri::{Authority, Scheme};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// One parsed `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Pattern,
    host: Pattern,
    port: Pattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Any,
    /// `*.example.com`: any subdomain (not the apex).
    Suffix(String),
    Exact(String),
}

impl Pattern {
    fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Suffix(s) => value.len() > s.len() && value.ends_with(s.as_str()),
            Pattern::Exact(e) => e.eq_ignore_ascii_case(value),
        }
    }
}

impl AllowedHost {
    /// Parses `scheme://host[:port]`, where each part may be `*` and the host may be `*.domain`.
    pub fn parse(text: &str) -> Result<AllowedHost, String> {
        if text.contains("{{") {
            return Err("templated hosts are not supported by this runtime".into());
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| "it has no scheme (write `https://host`)".to_string())?;
        if scheme.is_empty() || !(scheme == "*" || scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')) {
            return Err(format!("`{scheme}` is not a scheme"));
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err("it has a path; give only scheme, host and port".into());
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (h, Some(p)),
            _ => (rest, None),
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err("it has no host".into());
        }
        let host_pattern = if host == "*" {
            Pattern::Any
        } else if let Some(domain) = host.strip_prefix("*.") {
            Pattern::Suffix(format!(".{}", domain.to_ascii_lowercase()))
        } else if host.contains('*') {
            return Err("a host wildcard must be `*` or `*.domain`".into());
        } else {
            Pattern::Exact(host.to_ascii_lowercase())
        };
        let port_pattern = match port {
            Some("*") => Pattern::Any,
            Some(p) => {
                p.parse::<u16>().map_err(|_| format!("`{p}` is not a port"))?;
                Pattern::Exact(p.to_string())
            }
            None => match scheme {
                "http" => Pattern::Exact("80".into()),
                "https" => Pattern::Exact("443".into()),
                _ if host == "self" || host == "self.alt" => Pattern::Any,
                _ => return Err(format!("no port given and `{scheme}` has no default port")),
            },
        };
        let port_pattern = if host == "self" || host == "self.alt" {
            Pattern::Any
        } else {
            port_pattern
        };
        Ok(AllowedHost {
            scheme: if scheme == "*" {
                Pattern::Any
            } else {
                Pattern::Exact(scheme.to_ascii_lowercase())
            },
            host: host_pattern,
            port: port_pattern,
        })
    }

    /// Whether this entry allows calling `scheme://host:port`.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        self.scheme.matches(scheme) && self.host.matches(host) && self.port.matches(&port.to_string())
    }

    fn is_self(&self) -> bool {
        matches!(&self.host, Pattern::Exact(h) if h == "self" || h == "self.alt")
    }
}

/// A component's outbound policy, shared by all its requests.
#[derive(Debug, Default)]
pub struct OutboundPolicy {
    allowed: Vec<AllowedHost>,
    /// Where `self` requests go: the address the runtime listens on.
    pub self_addr: Option<SocketAddr>,
    /// The component id, for the log.
    pub component: String,
}

impl OutboundPolicy {
    /// Builds the policy from entries already checked by the manifest.
    pub fn new(component: &str, entries: &[String], self_addr: Option<SocketAddr>) -> OutboundPolicy {
        OutboundPolicy {
            allowed: entries.iter().filter_map(|e| AllowedHost::parse(e).ok()).collect(),
            self_addr,
            component: component.to_string(),
        }
    }

    fn allows_self(&self) -> bool {
        self.allowed.iter().any(AllowedHost::is_self)
    }

    /// Whether an absolute URL's parts are allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        self.allowed.iter().any(|a| a.allows(scheme, host, port))
    }
}

/// The per-request `wasi:http` hooks: Spin's outbound rules in front of the default client.
pub struct OutboundHooks(pub Arc<OutboundPolicy>);

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                )>,
            > + Send,
    > {
        let policy = self.0.clone();
        let uri = request.uri().clone();
        let scheme = uri.scheme().cloned().unwrap_or(Scheme::HTTPS);
        let host = uri.host().unwrap_or("").to_ascii_lowercase();
        let is_self = host.is_empty() || host == "self" || host == "self.alt";
        let decision = if is_self {
            match (policy.allows_self(), policy.self_addr) {
                (true, Some(addr)) => {
                    let mut parts = uri.into_parts();
                    parts.scheme = Some(Scheme::HTTP);
                    parts.authority = Authority::try_from(addr.to_string()).ok();
                    match http::Uri::from_parts(parts) {
                        Ok(u) => {
                            *request.uri_mut() = u;
                            Ok(())
                        }
                        Err(_) => Err(HttpError::HttpRequestUriInvalid),
                    }
                }
                _ => Err(HttpError::HttpRequestDenied),
            }
        } else {
            let port = uri.port_u16().unwrap_or(if scheme == Scheme::HTTP { 80 } else { 443 });
            if policy.allows(scheme.as_str(), &host, port) {
                Ok(())
            } else {
                Err(HttpError::HttpRequestDenied)
            }
        };
        if decision.is_err() {
            eprintln!(
                "[{}] outbound request to {} denied: not in allowed_outbound_hosts",
                policy.component,
                request.uri()
            );
        }
        Box::new(async move {
            decision?;
            let _ = fut;
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), HttpError>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_match_like_spin() {
        let cases: &[(&str, &str, &str, u16, bool)] = &[
            ("https://api.example.com", "https", "api.example.com", 443, true),
            ("https://api.example.com", "http", "api.example.com", 80, false),
            ("https://api.example.com", "https", "api.example.com", 8443, false),
            ("https://api.example.com", "https", "API.example.com", 443, true),
            ("http://localhost:3000", "http", "localhost", 3000, true),
            ("http://localhost:3000", "http", "localhost", 3001, false),
            ("https://*.example.com", "https", "a.example.com", 443, true),
            ("https://*.example.com", "https", "example.com", 443, false),
            ("*://example.com:*", "http", "example.com", 8080, true),
            ("http://127.0.0.1:*", "http", "127.0.0.1", 1234, true),
            ("https://*:*", "https", "anything.org", 9, true),
        ];
        for (entry, scheme, host, port, expected) in cases {
            let a = AllowedHost::parse(entry).unwrap();
            assert_eq!(
                a.allows(scheme, host, *port),
                *expected,
                "{entry} vs {scheme}://{host}:{port}"
            );
        }
    }

    #[test]
    fn malformed_entries_are_refused() {
        for bad in [
            "example.com",
            "https://",
            "https://ex*ample.com",
            "https://a.com/path",
            "https://a.com:port",
            "mqtt://broker",
            "https://{{ host }}",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn self_is_recognised() {
        let p = OutboundPolicy::new("c", &["http://self".into()], None);
        assert!(p.allows_self());
        let p = OutboundPolicy::new("c", &["https://example.com".into()], None);
        assert!(!p.allows_self());
    }
}
