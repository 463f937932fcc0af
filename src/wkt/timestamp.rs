//! `google.protobuf.Timestamp`, printed and parsed as an RFC 3339 string.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{WktError, quoted};
use super::fraction::{MAX_FRACTION_DIGITS, NANOS_PER_SECOND, nanos_from_digits, write_fraction};

/// Seconds from the Unix epoch to 0001-01-01T00:00:00Z, the earliest valid Timestamp.
const MIN_SECONDS: i64 = -62_135_596_800;

/// Seconds from the Unix epoch to 9999-12-31T23:59:59Z, the latest valid Timestamp.
const MAX_SECONDS: i64 = 253_402_300_799;

const SECONDS_PER_DAY: i64 = 86_400;

/// Example appended to parse errors so that the caller sees the expected form.
const EXPECTED_FORM: &str = "expected RFC 3339 such as \"2024-05-01T12:30:00Z\" or \
                             \"2024-05-01T14:30:00.250+02:00\"";

/// A point in time: seconds and nanoseconds since the Unix epoch, in UTC.
///
/// The proto3 JSON form is an RFC 3339 string in UTC, such as `"2024-05-01T12:30:00.250Z"`.
/// A valid Timestamp lies between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z and
/// has `nanos` in `0..1_000_000_000`. Serializing an invalid Timestamp is an error.
///
/// Parsing (with [`FromStr`] or serde) accepts an offset of `Z`, `z`, `+hh:mm` or `-hh:mm`
/// and converts it to UTC, a `T` or `t` between date and time, and 0 to 9 fraction digits.
/// It rejects dates that do not exist, hour 24, the leap second `:60` and years outside
/// 0001-9999, before or after the offset is applied.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Message)]
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use cwsandbox_control::wkt::Timestamp;
///
/// let time: Timestamp = "2024-05-01T14:30:00.250+02:00".parse()?;
/// assert_eq!(time.to_string(), "2024-05-01T12:30:00.250Z");
/// assert_eq!(serde_json::to_string(&time).unwrap(), r#""2024-05-01T12:30:00.250Z""#);
///
/// let system: SystemTime = time.try_into()?;
/// assert_eq!(system, UNIX_EPOCH + Duration::from_millis(1_714_566_600_250));
/// assert_eq!(Timestamp::try_from(system)?, time);
///
/// assert!("2024-05-01T24:00:00Z".parse::<Timestamp>().is_err(), "hour 24");
/// # Ok::<(), cwsandbox_control::wkt::WktError>(())
/// ```
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Non-negative fraction of a second in nanoseconds, below 1,000,000,000.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl prost::Name for Timestamp {
    const NAME: &'static str = "Timestamp";
    const PACKAGE: &'static str = "google.protobuf";

    fn type_url() -> String {
        "type.googleapis.com/google.protobuf.Timestamp".into()
    }
}

impl Timestamp {
    /// Returns the current time of the system clock.
    ///
    /// A clock set past the year 292,277,026,596 saturates at `i64::MAX` seconds instead of
    /// wrapping. Such a Timestamp is invalid, like any beyond the year 9999.
    ///
    /// ```
    /// use cwsandbox_control::wkt::Timestamp;
    ///
    /// let now = Timestamp::now();
    /// assert!(now.is_valid());
    /// assert!(now > "2024-01-01T00:00:00Z".parse().unwrap());
    /// ```
    pub fn now() -> Self {
        Self::from_system_time_unchecked(SystemTime::now())
    }

    /// Creates a Timestamp from seconds and nanoseconds since the Unix epoch.
    ///
    /// # Errors
    ///
    /// Fails when `nanos` is 1,000,000,000 or more, or when the time falls outside
    /// 0001-01-01T00:00:00Z..=9999-12-31T23:59:59.999999999Z.
    ///
    /// ```
    /// use cwsandbox_control::wkt::Timestamp;
    ///
    /// assert_eq!(Timestamp::from_unix(0, 5_000_000)?.to_string(), "1970-01-01T00:00:00.005Z");
    /// assert!(Timestamp::from_unix(0, 1_000_000_000).is_err());
    /// assert!(Timestamp::from_unix(253_402_300_800, 0).is_err(), "the year 10000");
    /// # Ok::<(), cwsandbox_control::wkt::WktError>(())
    /// ```
    pub fn from_unix(seconds: i64, nanos: u32) -> Result<Self, WktError> {
        // Values of 2^31 and above fail the range check as -1 after this conversion.
        let timestamp = Self {
            seconds,
            nanos: i32::try_from(nanos).unwrap_or(-1),
        };
        timestamp.check()?;
        Ok(timestamp)
    }

    /// Returns whether the Timestamp is in the range that its JSON form can print.
    ///
    /// ```
    /// use cwsandbox_control::wkt::Timestamp;
    ///
    /// assert!(Timestamp { seconds: -62_135_596_800, nanos: 0 }.is_valid(), "0001-01-01");
    /// assert!(!Timestamp { seconds: 0, nanos: -1 }.is_valid());
    /// ```
    pub fn is_valid(&self) -> bool {
        (MIN_SECONDS..=MAX_SECONDS).contains(&self.seconds)
            && u32::try_from(self.nanos).is_ok_and(|nanos| nanos < NANOS_PER_SECOND)
    }

    fn check(&self) -> Result<(), WktError> {
        if self.is_valid() {
            return Ok(());
        }
        Err(WktError::new(format!(
            "invalid Timestamp {{ seconds: {}, nanos: {} }}: seconds must lie in \
             {MIN_SECONDS}..={MAX_SECONDS} (years 0001 to 9999) and nanos in 0..=999999999",
            self.seconds, self.nanos
        )))
    }

    fn from_system_time_unchecked(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(since) => Self {
                seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
                nanos: nanos_as_i32(since.subsec_nanos()),
            },
            Err(before) => {
                let before = before.duration();
                let seconds = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                match before.subsec_nanos() {
                    0 => Self {
                        seconds: -seconds,
                        nanos: 0,
                    },
                    // A time 0.25 s before the epoch is -1 s plus 0.75 s.
                    nanos => Self {
                        seconds: (-seconds).saturating_sub(1),
                        nanos: nanos_as_i32(NANOS_PER_SECOND - nanos),
                    },
                }
            }
        }
    }

    /// Writes the RFC 3339 form. The Timestamp must be valid.
    fn write_rfc3339(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let days = self.seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = self.seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            out,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60
        )?;
        write_fraction(out, self.nanos.unsigned_abs())?;
        out.write_char('Z')
    }

    /// Returns the RFC 3339 form in UTC, as the JSON form prints it.
    ///
    /// # Errors
    ///
    /// Fails when the Timestamp is not valid (see [`Timestamp::is_valid`]).
    ///
    /// ```
    /// use cwsandbox_control::wkt::Timestamp;
    ///
    /// let time = Timestamp { seconds: 1_714_566_600, nanos: 0 };
    /// assert_eq!(time.to_rfc3339()?, "2024-05-01T12:30:00Z");
    /// assert!(Timestamp { seconds: i64::MAX, nanos: 0 }.to_rfc3339().is_err());
    /// # Ok::<(), cwsandbox_control::wkt::WktError>(())
    /// ```
    pub fn to_rfc3339(&self) -> Result<String, WktError> {
        self.check()?;
        let mut out = String::with_capacity(30);
        // Writing to a String cannot fail.
        let _ = self.write_rfc3339(&mut out);
        Ok(out)
    }
}

/// Converts nanoseconds below one second, which always fit an i32.
fn nanos_as_i32(nanos: u32) -> i32 {
    i32::try_from(nanos).unwrap_or(i32::MAX)
}

/// Prints the RFC 3339 form of a valid Timestamp. An invalid one prints as
/// `Timestamp { seconds: S, nanos: N } (invalid)` because `Display` cannot fail.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_valid() {
            self.write_rfc3339(f)
        } else {
            write!(
                f,
                "Timestamp {{ seconds: {}, nanos: {} }} (invalid)",
                self.seconds, self.nanos
            )
        }
    }
}

/// Parses an RFC 3339 string with the rules of the type documentation.
impl FromStr for Timestamp {
    type Err = WktError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_rfc3339(text)
    }
}

/// Fails when the Timestamp lies outside 0001-9999 or its time is not valid.
impl TryFrom<SystemTime> for Timestamp {
    type Error = WktError;

    fn try_from(time: SystemTime) -> Result<Self, Self::Error> {
        let timestamp = Self::from_system_time_unchecked(time);
        timestamp.check()?;
        Ok(timestamp)
    }
}

/// Fails when the Timestamp is not valid or the platform's `SystemTime` cannot hold it.
impl TryFrom<Timestamp> for SystemTime {
    type Error = WktError;

    fn try_from(timestamp: Timestamp) -> Result<Self, Self::Error> {
        timestamp.check()?;
        let nanos = std::time::Duration::from_nanos(u64::from(timestamp.nanos.unsigned_abs()));
        let whole = std::time::Duration::from_secs(timestamp.seconds.unsigned_abs());
        let time = if timestamp.seconds >= 0 {
            UNIX_EPOCH.checked_add(whole)
        } else {
            UNIX_EPOCH.checked_sub(whole)
        };
        time.and_then(|time| time.checked_add(nanos))
            .ok_or_else(|| {
                WktError::new(format!(
                    "Timestamp {timestamp} is outside the range of SystemTime on this platform"
                ))
            })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_rfc3339().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp string such as \"2024-05-01T12:30:00Z\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        parse_rfc3339(text).map_err(E::custom)
    }
}

/// Reads ASCII fields from the input, one byte at a time.
struct Cursor<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, position: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.position).copied()
    }

    /// Consumes the next byte if `accept` returns true for it.
    fn take(&mut self, accept: impl Fn(u8) -> bool) -> Option<u8> {
        let byte = self.peek().filter(|&byte| accept(byte))?;
        self.position += 1;
        Some(byte)
    }

    /// Consumes exactly `width` ASCII digits and returns their value.
    fn number(&mut self, width: usize) -> Option<u32> {
        let digits = self
            .text
            .as_bytes()
            .get(self.position..self.position + width)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.position += width;
        Some(
            digits
                .iter()
                .fold(0, |value, &digit| value * 10 + u32::from(digit - b'0')),
        )
    }

    /// Consumes a run of ASCII digits, possibly empty.
    fn digit_run(&mut self) -> &'a [u8] {
        let bytes = self.text.as_bytes();
        let start = self.position;
        while bytes.get(self.position).is_some_and(u8::is_ascii_digit) {
            self.position += 1;
        }
        &bytes[start..self.position]
    }

    /// Returns the character at the cursor for an error message. The cursor only moves over
    /// ASCII bytes, so it always sits on a character boundary.
    fn next_char(&self) -> Option<char> {
        self.text.get(self.position..)?.chars().next()
    }
}

/// A date and time as written, before range checks.
struct Fields {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// Offset east of UTC, in seconds.
    offset_seconds: i64,
}

fn parse_rfc3339(text: &str) -> Result<Timestamp, WktError> {
    let invalid = |reason: String| {
        WktError::new(format!(
            "invalid Timestamp {}: {reason}; {EXPECTED_FORM}",
            quoted(text)
        ))
    };
    let fields = read_fields(text).map_err(invalid)?;
    check_fields(&fields).map_err(invalid)?;

    let days = days_from_civil(i64::from(fields.year), fields.month, fields.day);
    let second_of_day =
        i64::from(fields.hour) * 3600 + i64::from(fields.minute) * 60 + i64::from(fields.second);
    let seconds = days * SECONDS_PER_DAY + second_of_day - fields.offset_seconds;
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return Err(invalid(
            "the time falls outside the years 0001 to 9999 once converted to UTC".into(),
        ));
    }
    Ok(Timestamp {
        seconds,
        nanos: nanos_as_i32(fields.nanos),
    })
}

/// Splits the text into its fields, checking only the layout.
fn read_fields(text: &str) -> Result<Fields, String> {
    let mut cursor = Cursor::new(text);
    let year = cursor
        .number(4)
        .ok_or("the date must start with a 4-digit year")?;
    let month = cursor
        .take(|byte| byte == b'-')
        .and_then(|_| cursor.number(2));
    let day = cursor
        .take(|byte| byte == b'-')
        .and_then(|_| cursor.number(2));
    let (Some(month), Some(day)) = (month, day) else {
        return Err("the date must have the form YYYY-MM-DD".into());
    };
    cursor
        .take(|byte| byte == b'T' || byte == b't')
        .ok_or("the date must be followed by 'T' and the time")?;

    let hour = cursor.number(2);
    let minute = cursor
        .take(|byte| byte == b':')
        .and_then(|_| cursor.number(2));
    let second = cursor
        .take(|byte| byte == b':')
        .and_then(|_| cursor.number(2));
    let (Some(hour), Some(minute), Some(second)) = (hour, minute, second) else {
        return Err("the time must have the form hh:mm:ss".into());
    };

    let nanos = match cursor.take(|byte| byte == b'.') {
        None => 0,
        Some(_) => {
            let digits = cursor.digit_run();
            if digits.len() > MAX_FRACTION_DIGITS {
                return Err(format!(
                    "the fraction of a second has {} digits, more than the 9 of nanosecond \
                     precision",
                    digits.len()
                ));
            }
            nanos_from_digits(digits).ok_or("the '.' must be followed by 1 to 9 digits")?
        }
    };

    let offset_seconds = read_offset(&mut cursor)?;
    if let Some(extra) = cursor.next_char() {
        return Err(format!("unexpected {extra:?} after the UTC offset"));
    }
    Ok(Fields {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset_seconds,
    })
}

/// Reads `Z`, `z`, `+hh:mm` or `-hh:mm` and returns the offset east of UTC in seconds.
fn read_offset(cursor: &mut Cursor<'_>) -> Result<i64, String> {
    let sign = match cursor.take(|byte| matches!(byte, b'Z' | b'z' | b'+' | b'-')) {
        Some(b'Z' | b'z') => return Ok(0),
        Some(b'-') => -1,
        Some(_) => 1,
        None => {
            return Err(match cursor.next_char() {
                None => "the UTC offset ('Z' or +hh:mm) is missing".into(),
                Some(found) => {
                    format!("expected the UTC offset ('Z' or +hh:mm) but found {found:?}")
                }
            });
        }
    };
    let hours = cursor.number(2);
    let minutes = cursor
        .take(|byte| byte == b':')
        .and_then(|_| cursor.number(2));
    let (Some(hours), Some(minutes)) = (hours, minutes) else {
        return Err("the UTC offset must have the form +hh:mm or -hh:mm".into());
    };
    if hours > 23 || minutes > 59 {
        return Err(format!(
            "the UTC offset {hours:02}:{minutes:02} is out of range; hours go up to 23 and \
             minutes up to 59"
        ));
    }
    Ok(sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60))
}

/// Checks that the date exists and the time of day is in range.
fn check_fields(fields: &Fields) -> Result<(), String> {
    let Fields {
        year,
        month,
        day,
        hour,
        minute,
        second,
        ..
    } = *fields;
    if year == 0 {
        return Err("year 0000 is out of range; years go from 0001 to 9999".into());
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} is out of range 01-12"));
    }
    let last_day = days_in_month(year, month);
    if !(1..=last_day).contains(&day) {
        return Err(format!(
            "day {day:02} does not exist in {year:04}-{month:02}, which has {last_day} days"
        ));
    }
    if hour > 23 {
        return Err(format!("hour {hour:02} is out of range 00-23"));
    }
    if minute > 59 {
        return Err(format!("minute {minute:02} is out of range 00-59"));
    }
    if second == 60 {
        return Err(
            "the leap second :60 is not supported; protobuf time has no leap seconds".into(),
        );
    }
    if second > 59 {
        return Err(format!("second {second:02} is out of range 00-59"));
    }
    Ok(())
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// Days in `month` (1-12) of `year` in the proleptic Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to 0000-03-01, the origin of the era arithmetic below.
const DAYS_FROM_MARCH_0000_TO_EPOCH: i64 = 719_468;

/// Days in a 400-year era of the Gregorian calendar, which repeats after that.
const DAYS_PER_ERA: i64 = 146_097;

/// Returns the number of days from 1970-01-01 to a date of the proleptic Gregorian calendar.
///
/// The calculation counts years from March 1, so that the leap day is the last day of a
/// counted year and each month's first day follows from a linear formula.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    // March is 0 and February is 11.
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - DAYS_FROM_MARCH_0000_TO_EPOCH
}

/// Returns the (year, month, day) that lies `days` days after 1970-01-01; the inverse of
/// [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + DAYS_FROM_MARCH_0000_TO_EPOCH;
    let era = days.div_euclid(DAYS_PER_ERA);
    let day_of_era = days.rem_euclid(DAYS_PER_ERA);
    // The corrections remove the leap days of the era before dividing by 365.
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524
        - day_of_era / (DAYS_PER_ERA - 1))
        / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    // Month is 1-12 and day is 1-31 by construction.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_civil_matches_day_by_day_count() {
        // Walk every day from 0001-01-01 to 2500-12-31 and compare with a running count.
        let mut expected = days_from_civil(1, 1, 1);
        assert_eq!(expected * SECONDS_PER_DAY, MIN_SECONDS);
        for year in 1..=2500u32 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let days = days_from_civil(i64::from(year), month, day);
                    assert_eq!(days, expected, "{year:04}-{month:02}-{day:02}");
                    assert_eq!(civil_from_days(days), (i64::from(year), month, day));
                    expected += 1;
                }
            }
        }
    }

    #[test]
    fn days_from_civil_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(
            days_from_civil(9999, 12, 31) * SECONDS_PER_DAY + 86_399,
            MAX_SECONDS
        );
    }

    #[test]
    fn leap_years_follow_gregorian_rules() {
        assert!(is_leap_year(2024));
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2023));
    }

    #[test]
    fn system_time_before_epoch_borrows_a_second() {
        let time = UNIX_EPOCH - std::time::Duration::from_millis(250);
        let timestamp = Timestamp::from_system_time_unchecked(time);
        assert_eq!(timestamp.seconds, -1);
        assert_eq!(timestamp.nanos, 750_000_000);
    }
}
