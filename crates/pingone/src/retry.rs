//! When to send a request again: capped exponential backoff with full jitter, `Retry-After`
//! (RFC 9110 §10.2.3), and the rule that a create whose answer was lost is looked up before it
//! is ever sent again. Time and randomness come from the caller.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; it doubles per attempt.
    pub base_delay_ms: u64,
    /// No wait is longer than this, `Retry-After` included.
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    /// Eight attempts: at a 25% failure rate one call still fails for good only about once in
    /// 65,000, and the waits add up to at most ~24 s (usually half that, with full jitter).
    fn default() -> Self {
        RetryPolicy { max_attempts: 8, base_delay_ms: 250, max_delay_ms: 8_000 }
    }
}

/// Whether sending a request twice can do harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Idempotency {
    /// GET, PUT, DELETE, or a POST whose repetition is harmless (client_credentials).
    Idempotent,
    /// A POST that creates an object: repeating it may create a second one.
    Create,
    /// Must not be repeated automatically (a flow action, a code exchange: single-use inputs).
    Once,
}

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The server answered with this status (and maybe a `Retry-After` header).
    Answered { status: u16, retry_after: Option<&'a str> },
    /// No answer arrived (network error, timeout, proxy down): the request may or may not
    /// have taken effect.
    Lost,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryDecision {
    /// Send the same request again after this many milliseconds.
    Retry { after_ms: u64 },
    /// Do not send it again (also the answer for anything that is not a failure).
    GiveUp,
    /// The create may have happened: look the object up (and adopt it) before any new attempt.
    LookUpBeforeRetry,
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, `None` when `attempt` was the last allowed.
    /// Full jitter: a uniform share (`jitter` in [0, 1)) of `min(max, base * 2^(attempt-1))`.
    pub fn backoff_ms(&self, attempt: u32, jitter: f64) -> Option<u64> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exp = attempt.saturating_sub(1).min(62);
        let ceiling = self.base_delay_ms.saturating_mul(1u64 << exp).min(self.max_delay_ms);
        let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        Some(((ceiling as f64) * jitter) as u64)
    }

    /// Decides after attempt number `attempt` (1 for the first) ended with `outcome`.
    /// `now_ms` (epoch ms) resolves an HTTP-date `Retry-After`.
    pub fn decide(&self, attempt: u32, outcome: Outcome<'_>, kind: Idempotency, jitter: f64, now_ms: u64) -> RetryDecision {
        let backoff = || match self.backoff_ms(attempt, jitter) {
            Some(after_ms) => RetryDecision::Retry { after_ms },
            None => RetryDecision::GiveUp,
        };
        let unknown_effect = || match kind {
            Idempotency::Idempotent => backoff(),
            Idempotency::Create => RetryDecision::LookUpBeforeRetry,
            Idempotency::Once => RetryDecision::GiveUp,
        };
        match outcome {
            Outcome::Lost => unknown_effect(),
            // The server refused before doing anything: any request may be sent again.
            Outcome::Answered { status: 429 | 503, retry_after } => {
                if attempt >= self.max_attempts {
                    return RetryDecision::GiveUp;
                }
                match retry_after.and_then(|v| parse_retry_after(v, now_ms).ok()) {
                    Some(ms) => RetryDecision::Retry { after_ms: ms.min(self.max_delay_ms) },
                    None => backoff(),
                }
            }
            // 500, 502, 504...: the request may have been processed (or lost behind a gateway).
            Outcome::Answered { status, .. } if status >= 500 => unknown_effect(),
            Outcome::Answered { .. } => RetryDecision::GiveUp,
        }
    }
}

/// Why a `Retry-After` value was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RetryAfterError {
    #[error("Retry-After is neither delay-seconds nor an HTTP-date: `{0}`")]
    Unparsable(String),
}

/// The wait a `Retry-After` value asks for, in ms from `now_ms`: delay-seconds, or an HTTP-date
/// (IMF-fixdate, or the obsolete RFC 850 and asctime forms). A date in the past means 0.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Result<u64, RetryAfterError> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = v.parse::<u64>().unwrap_or(u64::MAX);
        return Ok(seconds.saturating_mul(1000));
    }
    let at_s = parse_http_date(v).ok_or_else(|| RetryAfterError::Unparsable(value.to_string()))?;
    Ok(at_s.saturating_mul(1000).saturating_sub(now_ms))
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// An HTTP-date (RFC 9110 §5.6.7) as unix seconds.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let t: Vec<&str> = s.split(' ').filter(|p| !p.is_empty()).collect();
    let (day, month, year, time) = match t.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [wd, d, m, y, time, "GMT"] if wd.strip_suffix(',').is_some_and(|w| DAYS.contains(&w)) && d.len() == 2 && y.len() == 4 => {
            (d.parse().ok()?, *m, y.parse().ok()?, *time)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [wd, date, time, "GMT"] if wd.strip_suffix(',').is_some_and(|w| LONG_DAYS.contains(&w)) => {
            let mut p = date.split('-');
            let (d, m, y) = (p.next()?, p.next()?, p.next()?);
            if p.next().is_some() || d.len() != 2 || y.len() != 2 {
                return None;
            }
            let yy: u64 = y.parse().ok()?;
            (d.parse().ok()?, m, if yy < 70 { 2000 + yy } else { 1900 + yy }, *time)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [wd, m, d, time, y] if DAYS.contains(wd) && y.len() == 4 => (d.parse().ok()?, *m, y.parse().ok()?, *time),
        _ => return None,
    };
    if !s.is_ascii() {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let mut hms = time.split(':');
    let (h, mi, sec) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() || [h, mi, sec].iter().any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (h, mi, sec): (u64, u64, u64) = (h.parse().ok()?, mi.parse().ok()?, sec.parse().ok()?);
    if h > 23 || mi > 59 || sec > 60 || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day)? * 86_400 + h * 3600 + mi * 60 + sec)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm); `None` before 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let y = if month <= 2 { year.checked_sub(1)? } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;
    use Idempotency::*;
    use RetryDecision::*;

    const NOW: u64 = 784_111_777_000; // Sun, 06 Nov 1994 08:49:37 GMT

    fn answered(status: u16) -> Outcome<'static> {
        Outcome::Answered { status, retry_after: None }
    }

    #[test]
    fn http_dates_in_all_three_forms() {
        for s in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(parse_http_date(s), Some(784_111_777), "{s}");
        }
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Tue, 29 Feb 2000 23:59:59 GMT"), Some(951_868_799));
        assert_eq!(parse_http_date("Sat, 25 Jul 2026 16:00:00 GMT"), Some(1_784_995_200));
        for bad in ["Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                    "Mon, 29 Feb 1900 00:00:00 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "06 Nov 1994", "", "Sun, 06 Foo 1994 08:49:37 GMT"] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        assert_eq!(parse_retry_after("120", NOW), Ok(120_000));
        assert_eq!(parse_retry_after(" 0 ", NOW), Ok(0));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", NOW), Ok(30_000));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", NOW), Ok(0), "a past date means now");
        assert!(parse_retry_after("-5", NOW).is_err());
        assert!(parse_retry_after("soon", NOW).is_err());
        assert_eq!(parse_retry_after("99999999999999999999999", NOW), Ok(u64::MAX));
    }

    #[test]
    fn backoff_is_capped_exponential_with_full_jitter() {
        let p = RetryPolicy::default();
        assert_eq!((p.max_attempts, p.base_delay_ms, p.max_delay_ms), (8, 250, 8_000));
        assert_eq!(p.backoff_ms(1, 0.999_999), Some(249));
        assert_eq!(p.backoff_ms(2, 0.5), Some(250));
        assert_eq!(p.backoff_ms(3, 0.5), Some(500));
        assert_eq!(p.backoff_ms(1, 0.0), Some(0));
        assert_eq!(p.backoff_ms(4, 0.5), Some(1_000));
        assert_eq!(p.backoff_ms(8, 0.5), None, "the eighth attempt was the last");
        let long = RetryPolicy { max_attempts: 100, ..p };
        assert_eq!(long.backoff_ms(99, 0.5), Some(4_000), "capped at max_delay");
        assert_eq!(long.backoff_ms(3, f64::NAN), Some(0));
        assert_eq!(long.backoff_ms(3, 7.0), Some(1_000), "jitter is clamped");
    }

    #[test]
    fn rate_limits_and_unavailability_honour_retry_after() {
        let p = RetryPolicy::default();
        let with = |status, v| Outcome::Answered { status, retry_after: Some(v) };
        assert_eq!(p.decide(1, with(429, "2"), Create, 0.5, NOW), Retry { after_ms: 2_000 });
        assert_eq!(p.decide(1, with(503, "Sun, 06 Nov 1994 08:49:40 GMT"), Once, 0.5, NOW), Retry { after_ms: 3_000 });
        assert_eq!(p.decide(1, with(429, "3600"), Idempotent, 0.5, NOW), Retry { after_ms: 8_000 }, "capped");
        assert_eq!(p.decide(2, with(429, "garbage"), Idempotent, 0.5, NOW), Retry { after_ms: 250 }, "backoff without a usable Retry-After");
        assert_eq!(p.decide(8, with(429, "1"), Idempotent, 0.5, NOW), GiveUp, "attempts exhausted");
    }

    #[test]
    fn lost_answers_depend_on_idempotency() {
        let p = RetryPolicy::default();
        assert_eq!(p.decide(1, Outcome::Lost, Idempotent, 0.5, NOW), Retry { after_ms: 125 });
        assert_eq!(p.decide(1, Outcome::Lost, Create, 0.5, NOW), LookUpBeforeRetry);
        assert_eq!(p.decide(4, Outcome::Lost, Create, 0.5, NOW), LookUpBeforeRetry, "look up even when no retry is left");
        assert_eq!(p.decide(1, Outcome::Lost, Once, 0.5, NOW), GiveUp);
        assert_eq!(p.decide(8, Outcome::Lost, Idempotent, 0.5, NOW), GiveUp);
        for status in [500, 502, 504] {
            assert_eq!(p.decide(1, answered(status), Idempotent, 0.5, NOW), Retry { after_ms: 125 });
            assert_eq!(p.decide(1, answered(status), Create, 0.5, NOW), LookUpBeforeRetry);
            assert_eq!(p.decide(1, answered(status), Once, 0.5, NOW), GiveUp);
        }
    }

    #[test]
    fn client_errors_and_successes_are_never_retried() {
        let p = RetryPolicy::default();
        for status in [200, 201, 204, 302, 400, 401, 403, 404, 405, 409, 415] {
            for kind in [Idempotent, Create, Once] {
                assert_eq!(p.decide(1, answered(status), kind, 0.5, NOW), GiveUp, "{status} {kind:?}");
            }
        }
    }
}
