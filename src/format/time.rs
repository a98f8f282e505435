//! Instants and durations without a clock: the core never reads the time, it is
//! always handed one. RFC 3339 is parsed here rather than through a date crate
//! to keep the wasm build small; only the subset RFC 3339 defines is accepted.

use std::fmt;

/// A point in time, in microseconds since the Unix epoch (UTC). Microseconds,
/// not milliseconds, so that two RFC 3339 times a microsecond apart compare
/// as different.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest representable instant; used for "since the beginning of time".
    pub const MIN: Timestamp = Timestamp(i64::MIN);

    /// An instant from milliseconds since the Unix epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch (rounded down).
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// An instant from microseconds since the Unix epoch.
    pub const fn from_micros(us: i64) -> Self {
        Timestamp(us)
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 date-time such as `2026-12-01T16:00:00Z` or
    /// `2026-12-01T17:00:00.250+01:00`. Fractions finer than a microsecond are
    /// truncated.
    pub fn parse(s: &str) -> Option<Self> {
        parse_rfc3339(s.as_bytes()).map(Timestamp)
    }

    /// This instant moved by `ms` milliseconds, saturating at the ends.
    pub fn add_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms.saturating_mul(1000)))
    }
}

impl fmt::Display for Timestamp {
    /// Formats as RFC 3339 in UTC, with a fraction only when it is not zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400_000_000);
        let us_of_day = self.0.rem_euclid(86_400_000_000);
        let ms_of_day = us_of_day / 1000;
        let us = us_of_day % 1000;
        let (y, m, d) = civil_from_days(days);
        let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
        let (min, rest) = (rest / 60_000, rest % 60_000);
        let (s, ms) = (rest / 1000, rest % 1000);
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}")?;
        if us != 0 {
            write!(f, ".{ms:03}{us:03}")?;
        } else if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let part = b.get(start..start + len)?;
    part.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn parse_rfc3339(b: &[u8]) -> Option<i64> {
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(16) != Some(&b':') {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // A leap second (60) is valid RFC 3339; it is folded into the next second.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 6 {
                micros = micros * 10 + i64::from(d - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..6 {
            micros *= 10;
        }
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b.get(i + 3) == Some(&b':') => {
            let (oh, om) = (digits(b, i + 1, 2)?, digits(b, i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let total = oh * 60 + om;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days-from-civil algorithm, proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses a duration such as `12h`, `90m`, `1d12h` or `30s` into milliseconds.
/// Units: `ms`, `s`, `m`, `h`, `d`, `w`.
pub fn parse_duration(s: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !c.is_ascii_digit())?;
        if n_end == 0 {
            return None;
        }
        let n: i64 = rest.get(..n_end)?.parse().ok()?;
        rest = rest.get(n_end..)?;
        let u_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match rest.get(..u_end)? {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = rest.get(u_end..)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_round_trip() {
        let t = Timestamp::parse("2026-12-01T16:00:00Z").unwrap();
        assert_eq!(t.as_millis(), 1_796_140_800_000);
        assert_eq!(t.to_string(), "2026-12-01T16:00:00Z");
        let off = Timestamp::parse("2026-12-01T17:00:00.25+01:00").unwrap();
        assert_eq!(off.as_millis(), t.as_millis() + 250);
        let fine = Timestamp::parse("2026-12-01T16:00:00.000001Z").unwrap();
        assert!(fine > t);
        assert_eq!(fine.to_string(), "2026-12-01T16:00:00.000001Z");
        assert_eq!(
            Timestamp::parse("1969-12-31T23:59:59Z")
                .unwrap()
                .as_millis(),
            -1000
        );
        assert_eq!(
            Timestamp::from_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn rejects_what_rfc3339_rejects() {
        for bad in [
            "2026-12-01",
            "2026-12-01T16:00:00",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T16:00:00+0100",
            "2026-12-01T16:00:00.Z",
            "2026-12-01T16:00:00Zjunk",
            "",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("12h"), Some(43_200_000));
        assert_eq!(parse_duration("1d12h"), Some(129_600_000));
        assert_eq!(parse_duration("250ms"), Some(250));
        assert_eq!(parse_duration("12"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("3y"), None);
    }
}
