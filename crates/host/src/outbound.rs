//! Outbound HTTP: `allowed_outbound_hosts` and the `wasi:http` send hook that enforces it.
//!
//! Like Spin, a component may call only the scheme, host and port its manifest lists
//! (matched by [`crate::allowed_hosts`]); anything else fails inside the guest with `HttpRequestDenied` and is logged.
//! `http://self` lets a component call its own app: such requests (and requests with
//! no authority) are sent to the address this runtime listens on.

use std::net::SocketAddr;
use std::sync::Arc;

use http::uri::{Authority, Scheme};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::allowed_hosts::{AllowedHosts, Host};

/// A component's outbound policy, shared by all its requests.
#[derive(Debug, Default)]
pub struct OutboundPolicy {
    /// Its `allowed_outbound_hosts`, parsed and with templates filled in.
    pub allowed: AllowedHosts,
    /// Where `self` requests go: the address the runtime listens on.
    pub self_addr: Option<SocketAddr>,
    /// The component id, for the log.
    pub component: String,
}

impl OutboundPolicy {
    /// The policy of component `component`.
    pub fn new(component: &str, allowed: AllowedHosts, self_addr: Option<SocketAddr>) -> OutboundPolicy {
        OutboundPolicy {
            allowed,
            self_addr,
            component: component.to_string(),
        }
    }

    /// Whether an absolute URL's parts are allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed.allows(scheme, Host::Name(host), port)
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
            match (policy.allowed.allows_self(), policy.self_addr) {
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
    fn urls_are_matched_with_ipv6_brackets_removed() {
        let allowed = AllowedHosts::resolve(&["http://[::1]:8080".into(), "https://*.example.com".into()], |t| {
            Ok(t.into())
        })
        .unwrap();
        let p = OutboundPolicy::new("c", allowed, None);
        assert!(p.allows("http", "[::1]", 8080));
        assert!(p.allows("https", "api.example.com", 443));
        assert!(!p.allows("https", "example.com", 443));
    }
}
