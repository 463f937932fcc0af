//! Conversions between `SystemTime`, `google.protobuf.Timestamp` and the text
//! forms of proto3 JSON: RFC 3339 timestamps and `1.500s` durations.
//!
//! The emulator formats and parses these itself, so its wire output does not
//! depend on the serde of the well-known types.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::wkt::Timestamp;

/// Seconds from 0001-01-01T00:00:00Z to the Unix epoch.
const MIN_SECONDS: i64 = -62_135_596_800;
/// Seconds from the Unix epoch to 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// Adds `duration` to `time`, saturating at 9999-12-31T23:59:59Z instead of
/// overflowing, so large configured durations cannot panic.
pub(crate) fn add(time: SystemTime, duration: Duration) -> SystemTime {
    let limit = UNIX_EPOCH + Duration::from_secs(MAX_SECONDS.unsigned_abs());
    time.checked_add(duration)
        .map_or(limit, |sum| sum.min(limit))
}

/// Returns whether a timestamp lies in 0001-01-01..=9999-12-31 with nanos in 0..1e9.
pub(crate) fn is_valid_timestamp(timestamp: &Timestamp) -> bool {
    (MIN_SECONDS..=MAX_SECONDS).contains(&timestamp.seconds)
        && (0..1_000_000_000).contains(&timestamp.nanos)
}

/// Converts a `SystemTime` into a `Timestamp`, clamping times before the epoch to it.
pub(crate) fn timestamp(time: SystemTime) -> Timestamp {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(MAX_SECONDS),
        nanos: i32::try_from(since.subsec_nanos()).unwrap_or(0),
    }
}

/// Formats a timestamp as RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits.
pub(crate) fn format_rfc3339(seconds: i64, nanos: i32) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
    );
    format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{}Z",
        fraction(nanos)
    )
}

/// Formats a duration as proto3 JSON: seconds with 0, 3, 6 or 9 fraction digits and `s`.
pub(crate) fn format_duration(duration: Duration) -> String {
    let nanos = i32::try_from(duration.subsec_nanos()).unwrap_or(0);
    format!("{}{}s", duration.as_secs(), fraction(nanos))
}

fn fraction(nanos: i32) -> String {
    if nanos == 0 {
        String::new()
    } else if nanos % 1_000_000 == 0 {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    }
}

/// Parses an RFC 3339 timestamp such as `2026-12-20T00:00:00Z` or
/// `2026-12-20T01:00:00.5+01:00` into seconds and nanoseconds since the epoch.
pub(crate) fn parse_rfc3339(text: &str) -> Result<(i64, i32), String> {
    let bytes = text.as_bytes();
    let invalid = || format!("{text:?} is not an RFC 3339 timestamp such as 2026-12-20T00:00:00Z");
    if !text.is_ascii()
        || bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[13] != b':'
    {
        return Err(invalid());
    }
    if !matches!(bytes[10], b'T' | b't') || bytes[16] != b':' {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = &text[range];
        if part.bytes().all(|byte| byte.is_ascii_digit()) {
            part.parse::<i64>().map_err(|_| invalid())
        } else {
            Err(invalid())
        }
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(invalid());
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(invalid());
    }

    let mut rest = &text[19..];
    let mut nanos: i64 = 0;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(invalid());
        }
        nanos = after_dot[..digits].parse::<i64>().map_err(|_| invalid())?;
        nanos *= 10_i64.pow(u32::try_from(9 - digits).unwrap_or(0));
        rest = &after_dot[digits..];
    }
    let offset_seconds = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return Err(invalid());
            }
            let hours = i64::from(h1 - b'0') * 10 + i64::from(h2 - b'0');
            let minutes = i64::from(m1 - b'0') * 10 + i64::from(m2 - b'0');
            if hours > 23 || minutes > 59 {
                return Err(invalid());
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return Err(invalid()),
    };

    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return Err(format!(
            "{text:?} is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z"
        ));
    }
    Ok((seconds, i32::try_from(nanos).unwrap_or(0)))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Converts days since 1970-01-01 back to a date, the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0, 0),
            ("2026-12-20T00:00:00Z", 1_797_724_800, 0),
            ("2024-02-29T12:30:45.500Z", 1_709_209_845, 500_000_000),
            ("0001-01-01T00:00:00Z", MIN_SECONDS, 0),
            ("9999-12-31T23:59:59.000000001Z", MAX_SECONDS, 1),
        ];
        for (text, seconds, nanos) in cases {
            assert_eq!(parse_rfc3339(text), Ok((seconds, nanos)), "{text}");
            assert_eq!(format_rfc3339(seconds, nanos), text);
        }
    }

    #[test]
    fn rfc3339_offsets_apply() {
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Ok((0, 0)));
        assert_eq!(parse_rfc3339("1969-12-31T23:30:00-00:30"), Ok((0, 0)));
    }

    #[test]
    fn rfc3339_rejects_malformed() {
        for text in [
            "",
            "2026-12-2\u{e9}T00:00:00Z",
            "2026-12-20",
            "2026-12-20T00:00:00",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-12-20T24:00:00Z",
            "2026-12-20T00:00:00.Z",
            "2026-12-20T00:00:00.1234567890Z",
            "2026-12-20T00:00:00+1:00",
            "+026-12-20T00:00:00Z",
        ] {
            assert!(parse_rfc3339(text).is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn durations_use_proto_json_fractions() {
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.500s");
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_micros(1)), "0.000001s");
        assert_eq!(format_duration(Duration::from_nanos(5)), "0.000000005s");
    }
}
