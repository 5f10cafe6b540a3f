//! The response envelope: `result`, `total`, `next`, `time{...}`; errors as `{error,
//! error_description}` (issue 19, transport helper).
//!
//! Every answer carries `time` as Bitrix24's does: `start`/`finish` as unix seconds with
//! microseconds, `duration` and `processing` in seconds, `date_start`/`date_finish` as
//! ISO-8601 with the UTC offset of the firm's time zone, as the methods write dates (UTC when unset),
//! `operating_reset_at` (when the ten-minute window of the method's time budget ends) and
//! `operating` (the time this call spent). A successful body never has an `error` key.

use super::{Reply, RestError};
use serde_json::{Map, Value as Json, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The window of Bitrix24's time budget per method, in seconds (`operating_reset_at`).
const OPERATING_WINDOW: u64 = 600;

/// When a call started and ended, and in which time zone its dates are written.
#[derive(Debug, Clone)]
pub struct Timing {
    /// When the request came in.
    pub start: SystemTime,
    /// When the answer was ready.
    pub finish: SystemTime,
    /// An IANA zone name (the firm's), or `None` for UTC.
    pub zone: Option<String>,
}

impl Timing {
    /// A timing from `start` to now.
    pub fn since(start: SystemTime, zone: Option<String>) -> Timing {
        Timing {
            start,
            finish: SystemTime::now(),
            zone,
        }
    }

    /// The `time` object.
    pub fn to_json(&self) -> Json {
        let start = seconds(self.start);
        let finish = seconds(self.finish).max(start);
        let duration = round6(finish - start);
        let reset = self.start.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() + OPERATING_WINDOW;
        json!({
            "start": round6(start),
            "finish": round6(finish),
            "duration": duration,
            "processing": duration,
            "date_start": iso(self.start, self.zone.as_deref()),
            "date_finish": iso(self.finish, self.zone.as_deref()),
            "operating_reset_at": reset,
            "operating": duration,
        })
    }
}

/// Unix seconds with their fraction.
fn seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs_f64()
}

/// Rounded to microseconds, as Bitrix24 writes them.
fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// `2024-01-20T18:35:32+03:00` in `zone` (UTC when unknown).
pub fn iso(at: SystemTime, zone: Option<&str>) -> String {
    let Ok(timestamp) = jiff::Timestamp::try_from(at) else {
        return String::new();
    };
    let zone = crate::tz::get_or_utc(zone.unwrap_or("UTC"));
    timestamp.to_zoned(zone).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// A success body: `result`, then `total` and `next` when the reply has them, then `time`.
pub fn success(reply: &Reply, timing: &Timing) -> Json {
    let mut body = Map::new();
    body.insert("result".into(), reply.result.clone());
    if let Some(total) = reply.total {
        body.insert("total".into(), total.into());
    }
    if let Some(next) = reply.next {
        body.insert("next".into(), next.into());
    }
    body.insert("time".into(), timing.to_json());
    Json::Object(body)
}

/// An error body: `{error, error_description}`.
pub fn failure(error: &RestError) -> Json {
    json!({"error": error.code, "error_description": error.description})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_has_result_total_next_and_time_but_no_error() {
        let start = UNIX_EPOCH + Duration::from_micros(1_705_764_932_998_683);
        let timing = Timing {
            start,
            finish: start + Duration::from_millis(1500),
            zone: Some("Europe/Moscow".into()),
        };
        let body = success(
            &Reply {
                result: json!([1]),
                total: Some(51),
                next: Some(50),
            },
            &timing,
        );
        assert_eq!(body["result"], json!([1]));
        assert_eq!((body["total"].as_u64(), body["next"].as_u64()), (Some(51), Some(50)));
        assert!(body.get("error").is_none());
        let time = &body["time"];
        assert_eq!(time["start"], json!(1_705_764_932.998_683));
        assert_eq!(time["duration"], json!(1.5));
        assert_eq!(time["date_start"], "2024-01-20T18:35:32+03:00");
        assert_eq!(time["date_finish"], "2024-01-20T18:35:34+03:00");
        assert_eq!(time["operating_reset_at"], json!(1_705_765_532));
        let plain = success(&Reply::of(json!(true)), &Timing { zone: None, ..timing });
        assert!(plain.get("total").is_none() && plain.get("next").is_none());
        assert_eq!(plain["time"]["date_start"], "2024-01-20T15:35:32+00:00");
    }

    #[test]
    fn failure_is_error_and_description() {
        assert_eq!(
            failure(&RestError::method_not_found()),
            json!({"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"})
        );
    }
}
