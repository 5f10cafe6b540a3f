//! What one client may hold of the server, and for how long: [`Limits`].
//!
//! Every limit protects the server from clients, not the guest from itself:
//!
//! | limit | default | bounds |
//! | --- | --- | --- |
//! | [`header_timeout`](Limits::header_timeout) | 10 s | a new connection's TLS handshake and first request head; any later head from its first byte |
//! | [`idle_timeout`](Limits::idle_timeout) | 60 s | a keep-alive connection's wait between the end of a response and the next request |
//! | [`body_timeout`](Limits::body_timeout) | 30 s | reading one whole request body (answered 408) |
//! | [`max_body_bytes`](Limits::max_body_bytes) | 64 MiB | one request body (answered 413) |
//! | [`max_connections`](Limits::max_connections) | 1024, less if the open-file limit is low | open connections; more are answered 503 |
//!
//! The enforcement lives in [`crate::connection`] (timeouts, the connection cap) and
//! [`crate::body`] (the body limits).

use std::time::Duration;

/// The connection and request limits. [`Limits::default`] holds the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long a new connection has for its TLS handshake (if any) and its first request
    /// head, and a keep-alive connection for a request head once its first byte arrived. The
    /// connection is closed, unanswered, when it runs out. A total deadline: a client
    /// trickling one header line every few seconds is cut off too. Default 10 s.
    pub header_timeout: Duration,
    /// How long a keep-alive connection may sit idle between the end of one response and
    /// the first byte of the next request before it is closed. Default 60 s.
    pub idle_timeout: Duration,
    /// How long the runtime waits for a whole request body, from the end of its head; a
    /// client slower than that is answered 408. Default 30 s.
    pub body_timeout: Duration,
    /// The largest request body, in bytes; a larger one is answered 413. Default 64 MiB.
    pub max_body_bytes: u64,
    /// How many connections may be open at once; at the cap a new connection is answered
    /// 503 with `Retry-After` and closed (a TLS one is closed). Default 1024, or what the
    /// process's open-file limit leaves room for when that is less (see
    /// [`default_max_connections`]).
    pub max_connections: usize,
}

/// Default [`Limits::header_timeout`].
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Limits::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default [`Limits::body_timeout`].
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`Limits::max_body_bytes`]: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// [`Limits::max_connections`] when the open-file limit leaves room for it.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// File descriptors kept out of the connection budget: compiled components, databases,
/// outbound requests, refusals in progress, stdio.
const RESERVED_FDS: u64 = 192;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections: default_max_connections(),
        }
    }
}

impl Limits {
    /// Refuses limits that would make the server unusable (a zero timeout or cap).
    pub fn check(&self) -> anyhow::Result<()> {
        for (name, value) in [
            ("header timeout", self.header_timeout),
            ("idle timeout", self.idle_timeout),
            ("body timeout", self.body_timeout),
        ] {
            anyhow::ensure!(!value.is_zero(), "the {name} must be more than zero");
        }
        anyhow::ensure!(self.max_connections > 0, "max connections must be at least 1");
        Ok(())
    }
}

/// [`DEFAULT_MAX_CONNECTIONS`], or fewer when the soft open-file limit (`ulimit -n`) leaves
/// less room once a reserve for the runtime's own files is kept, so that the cap, not
/// `accept` failing with "too many open files", is what turns clients away.
pub fn default_max_connections() -> usize {
    match connection_budget() {
        Some(budget) => DEFAULT_MAX_CONNECTIONS.min(budget),
        None => DEFAULT_MAX_CONNECTIONS,
    }
}

/// How many connections the soft open-file limit leaves room for, where it can be read.
pub fn connection_budget() -> Option<usize> {
    let soft = open_file_limit()?;
    let budget = if soft > 2 * RESERVED_FDS {
        soft - RESERVED_FDS
    } else {
        soft / 2
    };
    Some(usize::try_from(budget).unwrap_or(usize::MAX).max(1))
}

/// The soft `RLIMIT_NOFILE`, read from `/proc/self/limits` (Linux); `None` elsewhere or
/// when unlimited.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limit(&limits)
}

fn parse_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_open_file_limit_is_read_from_proc_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max processes             63557                63557                processes \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(parse_open_file_limit(text), Some(1024));
        assert_eq!(
            parse_open_file_limit("Max open files            unlimited            unlimited            files"),
            None
        );
    }

    #[test]
    fn zero_limits_are_refused() {
        assert!(Limits::default().check().is_ok());
        let zero = Limits {
            header_timeout: Duration::ZERO,
            ..Limits::default()
        };
        assert!(zero.check().is_err());
        let no_connections = Limits {
            max_connections: 0,
            ..Limits::default()
        };
        assert!(no_connections.check().is_err());
    }
}
