//! Scheduled requests: the runtime sends a request into the app every interval, as a cron
//! trigger or an external scheduler would, through the same path as a client's request
//! (routing, the `spin-*` headers, a fresh instance of the routed component). The app decides
//! what the path does; the runtime knows only the method, path, interval and headers.
//!
//! `crm-host up --schedule "60s POST /internal/tick" --schedule-header "X-Tick-Secret: {{ tick_secret }}"`:
//! an interval (`500ms`, `30s`, `5m`, `1h`), a method and a path (with a query if any); each
//! `--schedule-header` is sent with every schedule, its value a template over the app's
//! `[variables]` filled in at start (so a secret stays in the app's configuration). The first
//! request goes one interval after start; a schedule never overlaps itself (the next waits for
//! the previous answer, and intervals missed meanwhile are skipped). Each answer is one line
//! of the access log marked `scheduled`; a non-2xx is also logged to stderr.

use std::time::Duration;

/// One schedule as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// How often.
    pub every: Duration,
    /// The request method.
    pub method: http::Method,
    /// The path and query.
    pub path: String,
    /// Headers as `(name, value template)`.
    pub headers: Vec<(String, String)>,
}

impl Schedule {
    /// Parses `"<interval> <METHOD> <path>"`.
    pub fn parse(spec: &str) -> Result<Schedule, String> {
        let parts: Vec<&str> = spec.split_whitespace().collect();
        let [every, method, path] = parts[..] else {
            return Err(format!(
                "`{spec}`: expected \"<interval> <METHOD> <path>\", e.g. \"60s POST /internal/tick\""
            ));
        };
        let every = parse_interval(every)?;
        let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("`{method}` is not an HTTP method"))?;
        if !path.starts_with('/') || path.parse::<http::uri::PathAndQuery>().is_err() {
            return Err(format!("`{path}` is not a path (it starts with /)"));
        }
        Ok(Schedule {
            every,
            method,
            path: path.to_string(),
            headers: Vec::new(),
        })
    }
}

/// Parses `"Name: value"` (the value may be a `{{ variable }}` template).
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}`: expected \"Name: value\""))?;
    let name = name.trim();
    http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("`{name}` is not a header name"))?;
    Ok((name.to_string(), value.trim().to_string()))
}

/// `500ms`, `30s`, `5m`, `1h` (at least 100 ms).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an interval such as 500ms, 30s, 5m or 1h"))?;
    let every = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(format!("`{text}` is not an interval such as 500ms, 30s, 5m or 1h")),
    };
    if every < Duration::from_millis(100) {
        return Err(format!("`{text}`: the shortest interval is 100ms"));
    }
    Ok(every)
}

/// A schedule with its header values filled in, ready to run.
#[derive(Debug, Clone)]
pub struct Ready {
    /// How often.
    pub every: Duration,
    /// The request method.
    pub method: http::Method,
    /// The path and query.
    pub path: String,
    /// The headers, values filled in.
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

impl Ready {
    /// Fills `schedule`'s header templates with `render` (the app's variables).
    pub fn new(schedule: &Schedule, render: impl Fn(&str) -> Result<String, String>) -> Result<Ready, String> {
        let mut headers = Vec::new();
        for (name, template) in &schedule.headers {
            let value = render(template).map_err(|e| format!("--schedule-header {name}: {e}"))?;
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("{name}: {e}"))?;
            let value = http::HeaderValue::from_str(&value)
                .map_err(|_| format!("--schedule-header {name}: the value is not a header value"))?;
            headers.push((name, value));
        }
        Ok(Ready {
            every: schedule.every,
            method: schedule.method.clone(),
            path: schedule.path.clone(),
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_intervals_and_headers_parse_strictly() {
        let s = Schedule::parse("60s POST /internal/tick").unwrap();
        assert_eq!(
            (s.every, s.method.as_str(), s.path.as_str()),
            (Duration::from_secs(60), "POST", "/internal/tick")
        );
        assert_eq!(parse_interval("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_interval("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_interval("1h").unwrap(), Duration::from_secs(3600));
        for bad in ["", "60", "s", "10ms", "1d", "-5s", "1.5s"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
        for bad in [
            "60s POST",
            "60s POST internal",
            "x POST /a",
            "60s P@ST /a",
            "60s GET /a b",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_header("X-Tick-Secret: {{ tick_secret }}").unwrap(),
            ("X-Tick-Secret".to_string(), "{{ tick_secret }}".to_string())
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
        let mut s = s;
        s.headers.push(("X-A".into(), "{{ a }}-1".into()));
        let ready = Ready::new(&s, |t| Ok(t.replace("{{ a }}", "v"))).unwrap();
        assert_eq!(ready.headers[0].1, "v-1");
        assert!(Ready::new(&s, |_| Err("variable `a` has no value".into())).is_err());
    }
}
