//! `allowed_outbound_hosts`: Spin's grammar for what a component may reach, and the match of
//! an address against it. Outbound HTTP ([`crate::outbound`]) and `wasi:sockets`
//! ([`crate::sockets`]) both ask [`AllowedHosts`].
//!
//! An entry is `scheme://host[:port]`:
//!
//! - the scheme is a name (`http`, `https`, `tcp`, `udp`, `redis`...) or `*` for any; sockets
//!   are checked as `tcp` and `udp`;
//! - the host is a name (`api.example.com`, matched without regard to case), `*` (any host),
//!   `*.example.com` (any subdomain, not the domain itself), an IP address (IPv6 in brackets),
//!   a CIDR range (`10.0.0.0/8`, `[fd00::]/8`), or `self` / `self.alt` (this app);
//! - the port is a number, `*`, or a range `start..end` (the end excluded, as in Spin); it may
//!   be left out for a scheme with a well-known port (http 80, https 443, redis 6379, mqtt 1883,
//!   postgres 5432, mysql 3306) and for `self`.
//!
//! Entries may be templates over the app's `[variables]` (`*://{{ prefix }}/{{ len }}:5000`);
//! [`AllowedHosts::resolve`] fills them in at start, so a bad value stops the start like a bad
//! entry does.

use std::net::IpAddr;
use std::ops::Range;

/// One parsed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

/// Which hosts an entry allows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`: the suffix `.example.com`.
    Subdomains(String),
    /// A name, lowercase.
    Name(String),
    /// An address or a CIDR range: the network address and its prefix length.
    Network(IpAddr, u8),
    /// `self` or `self.alt`: the app itself.
    App,
}

/// Which ports an entry allows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Range(Range<u32>),
}

/// What a host is when asked about: a name from a URL, or an address from a socket.
#[derive(Debug, Clone, Copy)]
pub enum Host<'a> {
    /// A name (or an address written in a URL, brackets removed).
    Name(&'a str),
    /// An IP address.
    Ip(IpAddr),
}

impl AllowedHost {
    /// Parses one entry with its templates already filled in.
    pub fn parse(text: &str) -> Result<AllowedHost, String> {
        if text.contains("{{") {
            return Err("it has a template that was not filled in".into());
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| "it has no scheme (write `https://host`)".to_string())?;
        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) => {
                Some(s.to_ascii_lowercase())
            }
            s => return Err(format!("`{s}` is not a scheme")),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = split_port(rest);
        if port.is_some_and(|p| p.contains('/')) {
            return Err("it has a path; give only scheme, host and port".into());
        }
        let host = parse_host(host)?;
        let port = match (port, &host) {
            (_, HostPattern::App) => PortPattern::Any,
            (Some(p), _) => parse_port(p)?,
            (None, _) => match scheme.as_deref().and_then(well_known_port) {
                Some(p) => PortPattern::Range(u32::from(p)..u32::from(p) + 1),
                None => {
                    return Err(format!(
                        "it has no port, and `{}` has no well-known one (add `:PORT`, `:*` or `:START..END`)",
                        scheme.as_deref().unwrap_or("*")
                    ));
                }
            },
        };
        Ok(AllowedHost { scheme, host, port })
    }

    fn allows_scheme(&self, scheme: &str) -> bool {
        self.scheme.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(scheme))
    }

    fn allows_port(&self, port: u16) -> bool {
        match &self.port {
            PortPattern::Any => true,
            PortPattern::Range(r) => r.contains(&u32::from(port)),
        }
    }

    /// Whether this entry allows `scheme://host:port` without looking any name up.
    pub fn allows(&self, scheme: &str, host: Host<'_>, port: u16) -> bool {
        self.allows_scheme(scheme) && self.allows_port(port) && self.host_matches(host)
    }

    fn host_matches(&self, host: Host<'_>) -> bool {
        let ip = match host {
            Host::Ip(ip) => Some(ip.to_canonical()),
            Host::Name(name) => name.parse::<IpAddr>().ok().map(|ip| ip.to_canonical()),
        };
        match (&self.host, host, ip) {
            (HostPattern::Any, _, _) => true,
            (HostPattern::Network(net, len), _, Some(ip)) => in_network(ip, *net, *len),
            (HostPattern::Name(n), Host::Name(name), _) => n.eq_ignore_ascii_case(name),
            (HostPattern::Subdomains(suffix), Host::Name(name), None) => {
                name.len() > suffix.len() && name.to_ascii_lowercase().ends_with(suffix.as_str())
            }
            _ => false,
        }
    }

    /// The name this entry allows, when a socket address must be compared with what it
    /// resolves to.
    pub fn name_for(&self, scheme: &str, port: u16) -> Option<&str> {
        match &self.host {
            HostPattern::Name(n) if self.allows_scheme(scheme) && self.allows_port(port) => Some(n),
            _ => None,
        }
    }

    /// Whether this entry may apply to `scheme` at all.
    pub fn may_use(&self, scheme: &str) -> bool {
        self.allows_scheme(scheme) && self.host != HostPattern::App
    }

    /// Whether this entry is `self` (or `self.alt`).
    pub fn is_self(&self) -> bool {
        self.host == HostPattern::App
    }
}

/// Splits `host[:port]`, where an IPv6 host is in brackets.
fn split_port(rest: &str) -> (&str, Option<&str>) {
    let host_end = if rest.starts_with('[') {
        rest.find(']').map(|i| i + 1).unwrap_or(rest.len())
    } else {
        0
    };
    match rest[host_end..].rfind(':') {
        Some(i) => (&rest[..host_end + i], Some(&rest[host_end + i + 1..])),
        None => (rest, None),
    }
}

fn parse_host(host: &str) -> Result<HostPattern, String> {
    if host.is_empty() {
        return Err("it has no host".into());
    }
    let lower = host.to_ascii_lowercase();
    if lower == "*" {
        return Ok(HostPattern::Any);
    }
    if lower == "self" || lower == "self.alt" {
        return Ok(HostPattern::App);
    }
    if let Some(domain) = lower.strip_prefix("*.") {
        check_name(domain)?;
        return Ok(HostPattern::Subdomains(format!(".{domain}")));
    }
    if lower.contains('*') {
        return Err("a host wildcard must be `*` or `*.domain`".into());
    }
    let (address, prefix) = match lower.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (lower.as_str(), None),
    };
    let address_text = address.trim_start_matches('[').trim_end_matches(']');
    match (address_text.parse::<IpAddr>(), prefix) {
        (Ok(ip), None) => Ok(HostPattern::Network(ip.to_canonical(), max_prefix(ip))),
        (Ok(ip), Some(p)) => {
            let len: u8 = p
                .parse()
                .ok()
                .filter(|l| *l <= max_prefix(ip))
                .ok_or_else(|| format!("`/{p}` is not a prefix length for {ip}"))?;
            Ok(HostPattern::Network(ip.to_canonical(), len))
        }
        (Err(_), Some(_)) => Err("it has a path; give only scheme, host and port".into()),
        (Err(_), None) => {
            check_name(&lower)?;
            Ok(HostPattern::Name(lower))
        }
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .split('.')
            .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a host name"))
    }
}

fn parse_port(port: &str) -> Result<PortPattern, String> {
    if port == "*" {
        return Ok(PortPattern::Any);
    }
    let number = |p: &str| {
        p.parse::<u16>()
            .map(u32::from)
            .map_err(|_| format!("`{p}` is not a port"))
    };
    match port.split_once("..") {
        Some((start, end)) => {
            let (start, end) = (number(start)?, number(end)?);
            if start >= end {
                return Err(format!("the port range `{port}` is empty"));
            }
            Ok(PortPattern::Range(start..end))
        }
        None => {
            let p = number(port)?;
            Ok(PortPattern::Range(p..p + 1))
        }
    }
}

/// The port a scheme implies when an entry (or a service address) gives none.
pub fn well_known_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "http" => 80,
        "https" => 443,
        "redis" => 6379,
        "mqtt" => 1883,
        "postgres" => 5432,
        "mysql" => 3306,
        _ => return None,
    })
}

fn max_prefix(ip: IpAddr) -> u8 {
    match ip.to_canonical() {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn in_network(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            mask_eq(u128::from(ip.to_bits()) << 96, u128::from(net.to_bits()) << 96, len)
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => mask_eq(ip.to_bits(), net.to_bits(), len),
        _ => false,
    }
}

fn mask_eq(a: u128, b: u128, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    };
    a & mask == b & mask
}

/// A component's parsed entries.
#[derive(Debug, Default, Clone)]
pub struct AllowedHosts(pub Vec<AllowedHost>);

impl AllowedHosts {
    /// Fills each entry's templates with `render` and parses it; the errors name the entry
    /// as written.
    pub fn resolve(
        entries: &[String],
        render: impl Fn(&str) -> Result<String, String>,
    ) -> Result<AllowedHosts, Vec<(String, String)>> {
        let mut parsed = Vec::new();
        let mut errors = Vec::new();
        for entry in entries {
            match render(entry).and_then(|text| {
                AllowedHost::parse(&text).map_err(|e| if text == *entry { e } else { format!("`{text}`: {e}") })
            }) {
                Ok(host) => parsed.push(host),
                Err(e) => errors.push((entry.clone(), e)),
            }
        }
        if errors.is_empty() {
            Ok(AllowedHosts(parsed))
        } else {
            Err(errors)
        }
    }

    /// Whether some entry allows `scheme://host:port` (names are not looked up).
    pub fn allows(&self, scheme: &str, host: Host<'_>, port: u16) -> bool {
        self.0.iter().any(|a| a.allows(scheme, host, port))
    }

    /// Whether some entry may allow `scheme` (sockets are enabled only then).
    pub fn may_use(&self, scheme: &str) -> bool {
        self.0.iter().any(|a| a.may_use(scheme))
    }

    /// Whether `self` is allowed.
    pub fn allows_self(&self) -> bool {
        self.0.iter().any(AllowedHost::is_self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entry: &str, scheme: &str, host: &str, port: u16) -> bool {
        let a = AllowedHost::parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"));
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Name(host),
        };
        a.allows(scheme, host, port)
    }

    #[test]
    fn entries_match_like_spin() {
        let cases: &[(&str, &str, &str, u16, bool)] = &[
            ("https://api.example.com", "https", "api.example.com", 443, true),
            ("https://api.example.com", "http", "api.example.com", 80, false),
            ("https://api.example.com", "https", "api.example.com", 8443, false),
            ("https://api.example.com", "https", "API.example.com", 443, true),
            ("http://localhost:3000", "http", "localhost", 3000, true),
            ("http://localhost:3000", "http", "localhost", 3001, false),
            ("https://*.example.com", "https", "a.example.com", 443, true),
            ("https://*.example.com", "https", "a.b.example.com", 443, true),
            ("https://*.example.com", "https", "example.com", 443, false),
            ("*://example.com:*", "http", "example.com", 8080, true),
            ("*://example.com:*", "tcp", "example.com", 22, true),
            ("http://127.0.0.1:*", "http", "127.0.0.1", 1234, true),
            ("http://127.0.0.1:*", "tcp", "127.0.0.1", 1234, false),
            ("https://*:*", "https", "anything.org", 9, true),
            ("tcp://127.0.0.1:5000", "tcp", "127.0.0.1", 5000, true),
            ("tcp://127.0.0.1:5000", "udp", "127.0.0.1", 5000, false),
            ("tcp://127.0.0.1:5000", "tcp", "127.0.0.1", 5001, false),
            ("udp://10.0.0.1:53", "udp", "10.0.0.1", 53, true),
            ("*://127.0.0.0/24:5000", "tcp", "127.0.0.1", 5000, true),
            ("*://127.0.0.0/24:5000", "tcp", "127.0.0.255", 5000, true),
            ("*://127.0.0.0/24:5000", "tcp", "127.0.1.1", 5000, false),
            ("*://127.0.0.0/24:5000", "http", "127.0.0.9", 5000, true),
            ("*://127.0.0.0/24:5000", "tcp", "127.0.0.1", 5001, false),
            ("*://0.0.0.0/0:*", "udp", "8.8.8.8", 53, true),
            ("*://[::1]:80", "tcp", "::1", 80, true),
            ("*://[fd00::]/8:*", "tcp", "fd12::1", 7, true),
            ("*://[fd00::]/8:*", "tcp", "fe80::1", 7, false),
            ("*://127.0.0.1:*", "tcp", "::ffff:127.0.0.1", 9, true),
            ("tcp://127.0.0.1:5000..5003", "tcp", "127.0.0.1", 5000, true),
            ("tcp://127.0.0.1:5000..5003", "tcp", "127.0.0.1", 5002, true),
            ("tcp://127.0.0.1:5000..5003", "tcp", "127.0.0.1", 5003, false),
            ("tcp://127.0.0.1:5000..5003", "tcp", "127.0.0.1", 4999, false),
            ("redis://cache.internal", "redis", "cache.internal", 6379, true),
            ("mqtt://broker", "mqtt", "broker", 1883, true),
            ("postgres://db", "postgres", "db", 5432, true),
            ("mysql://db", "mysql", "db", 3306, true),
        ];
        for (entry, scheme, host, port, expected) in cases {
            assert_eq!(
                allows(entry, scheme, host, *port),
                *expected,
                "{entry} vs {scheme}://{host}:{port}"
            );
        }
    }

    #[test]
    fn malformed_entries_are_refused_with_a_reason() {
        let cases = [
            ("example.com", "no scheme"),
            ("https://", "no host"),
            ("https://ex*ample.com", "wildcard"),
            ("https://a.com/path", "path"),
            ("https://a.com:80/path", "path"),
            ("https://a.com:port", "not a port"),
            ("https://a.com:70000", "not a port"),
            ("tcp://127.0.0.1", "no port"),
            ("*://127.0.0.1", "no port"),
            ("*://127.0.0.0/33:1", "prefix length"),
            ("tcp://127.0.0.1:9..9", "empty"),
            ("https://{{ host }}", "template"),
            ("ht tp://a.com", "not a scheme"),
        ];
        for (entry, reason) in cases {
            let e = AllowedHost::parse(entry).expect_err(entry);
            assert!(e.contains(reason), "{entry}: {e}");
        }
    }

    #[test]
    fn templates_are_filled_from_variables_before_parsing() {
        let render = |t: &str| {
            Ok(t.replace("{{ addr_prefix }}", "127.0.0.0")
                .replace("{{ prefix_len }}", "24"))
        };
        let hosts = AllowedHosts::resolve(&["*://{{ addr_prefix }}/{{ prefix_len }}:5000".into()], render).unwrap();
        assert!(hosts.allows("tcp", Host::Ip("127.0.0.7".parse().unwrap()), 5000));
        let bad = |t: &str| Ok(t.replace("{{ p }}", "x y"));
        let errors = AllowedHosts::resolve(&["tcp://{{ p }}:1".into()], bad).unwrap_err();
        assert_eq!(errors[0].0, "tcp://{{ p }}:1");
        assert!(errors[0].1.contains("`tcp://x y:1`"), "{errors:?}");
    }

    #[test]
    fn self_is_recognised_and_never_a_socket_host() {
        let hosts =
            AllowedHosts::resolve(&["http://self".into(), "https://self.alt".into()], |t| Ok(t.into())).unwrap();
        assert!(hosts.allows_self());
        assert!(!hosts.may_use("tcp"));
        let hosts = AllowedHosts::resolve(&["https://example.com".into()], |t| Ok(t.into())).unwrap();
        assert!(!hosts.allows_self());
    }
}
