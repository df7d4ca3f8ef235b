//! Dates from a caller-supplied `now_ms` (unix epoch milliseconds). No `SystemTime` here: the
//! engine runs in the browser, where it is unavailable on wasm32.

pub const SECOND: u64 = 1_000;
pub const MINUTE: u64 = 60 * SECOND;
pub const DAY: u64 = 24 * 60 * MINUTE;

/// Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    millis: u64,
    weekday: usize,
}

fn parts(ms: u64) -> Parts {
    let days = ms / DAY;
    let rem = ms % DAY;
    // `days` < 2^64 / 86_400_000 < 2^38, so it fits an i64.
    let (year, month, day) = civil_from_days(days as i64);
    Parts {
        year,
        month,
        day,
        hour: rem / 3_600_000,
        minute: (rem / 60_000) % 60,
        second: (rem / 1_000) % 60,
        millis: rem % 1_000,
        // 1970-01-01 was a Thursday.
        weekday: ((days + 4) % 7) as usize,
    }
}

/// `2026-01-01T00:00:00.000Z`, as PingOne writes `createdAt`.
pub fn iso8601(ms: u64) -> String {
    let p = parts(ms);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", p.year, p.month, p.day, p.hour, p.minute, p.second, p.millis)
}

/// `Thu, 01 Jan 2026 00:00:00 GMT` (RFC 7231 IMF-fixdate), for cookie `Expires`.
pub fn http_date(ms: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let p = parts(ms);
    let month = MONTHS.get((p.month as usize).saturating_sub(1)).copied().unwrap_or("Jan");
    format!("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", DAYS[p.weekday], p.day, month, p.year, p.hour, p.minute, p.second)
}

/// Whole seconds, rounded up (for `secondsUntilUnlock`).
pub fn ceil_seconds(ms: u64) -> u64 {
    ms.div_ceil(SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_767_225_600_000), "2026-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601(1_785_000_000_000), "2026-07-25T17:20:00.000Z");
        assert_eq!(http_date(1_767_225_600_000), "Thu, 01 Jan 2026 00:00:00 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn never_panics_at_the_extremes() {
        let _ = iso8601(u64::MAX);
        let _ = http_date(u64::MAX);
        assert_eq!(ceil_seconds(1), 1);
        assert_eq!(ceil_seconds(2_000), 2);
    }
}
