//! Retry policy: exponential backoff with jitter, and `Retry-After`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How the [`OtlpExporter`](super::OtlpExporter) retries an export that
/// failed for a transient reason: a connection error, a timeout, or HTTP
/// 429, 502, 503 or 504.
///
/// The wait before retry *n* (1, 2, ...) is `initial_backoff × 2^(n-1)`,
/// capped at `max_backoff`, times a random factor in `[0.5, 1.5)`. When the
/// collector sends `Retry-After`, that wait is used instead. Retries stop
/// after `max_attempts` attempts, or when the next attempt could not start
/// before the export's deadline (the exporter's
/// [`timeout`](super::OtlpExporterBuilder::timeout), and the processor's
/// export timeout): the total time is bounded.
///
/// Available with the `otlp` feature.
///
/// ```
/// use std::time::Duration;
/// use tracer_core::export::otlp::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .initial_backoff(Duration::from_millis(100))
///     .max_attempts(3);
/// assert_eq!(policy.max_backoff, Duration::from_secs(5));
/// assert_eq!(RetryPolicy::disabled().max_attempts, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per export, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the first retry, before jitter.
    pub initial_backoff: Duration,
    /// The longest wait between attempts, before jitter.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waits from 500 ms doubling up to 5 s.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt per export.
    pub fn disabled() -> RetryPolicy {
        RetryPolicy::default().max_attempts(1)
    }

    /// Sets [`max_attempts`](Self::max_attempts) (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> RetryPolicy {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets [`initial_backoff`](Self::initial_backoff).
    pub fn initial_backoff(mut self, wait: Duration) -> RetryPolicy {
        self.initial_backoff = wait;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    pub fn max_backoff(mut self, wait: Duration) -> RetryPolicy {
        self.max_backoff = wait;
        self
    }

    /// The wait before retry number `retry` (1-based), jittered by
    /// `random`, a uniformly random `u64`.
    pub(crate) fn backoff(&self, retry: u32, random: u64) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        // A factor in [0.5, 1.5), from the top 53 bits of `random`.
        let unit = (random >> 11) as f64 / (1u64 << 53) as f64;
        base.mul_f64(0.5 + unit)
    }
}

/// The most a `Retry-After` may ask for; larger values are taken as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Parses a `Retry-After` header: delay-seconds or an HTTP date
/// (`Sun, 06 Nov 1994 08:49:37 GMT`). A date in the past means "now".
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// IMF-fixdate, the HTTP date format: `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let rest = value.split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let hour: u64 = hms.next()?.parse().ok()?;
    let minute: u64 = hms.next()?.parse().ok()?;
    let second: u64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(1000));
        let mid = 1u64 << 63; // factor 1.0
        assert_eq!(policy.backoff(1, mid), Duration::from_millis(100));
        assert_eq!(policy.backoff(2, mid), Duration::from_millis(200));
        assert_eq!(policy.backoff(3, mid), Duration::from_millis(400));
        assert_eq!(policy.backoff(5, mid), Duration::from_millis(1000));
        assert_eq!(policy.backoff(99, mid), Duration::from_millis(1000));
        assert_eq!(policy.backoff(1, 0), Duration::from_millis(50));
        let high = policy.backoff(1, u64::MAX);
        assert!(
            high <= Duration::from_millis(150) && high > Duration::from_millis(149),
            "{high:?}"
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let cases: &[(&str, Option<Duration>)] = &[
            ("0", Some(Duration::ZERO)),
            ("3", Some(Duration::from_secs(3))),
            (" 120 ", Some(Duration::from_secs(120))),
            ("99999999999999999999999", Some(MAX_RETRY_AFTER)),
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)),
            ("Sun, 06 Nov 1994 08:49:40 GMT", Some(Duration::from_secs(3))),
            ("Sun, 06 Nov 1994 09:49:37 GMT", Some(Duration::from_secs(3600))),
            ("Sat, 05 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)),
            ("-1", None),
            ("1.5", None),
            ("soon", None),
            ("Sun, 06 Foo 1994 08:49:37 GMT", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(parse_retry_after(header, now), *want, "Retry-After: {header:?}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1994, 11, 6), 784_111_777 / 86_400);
    }
}
