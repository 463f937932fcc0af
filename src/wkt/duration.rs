//! `google.protobuf.Duration`, printed and parsed as decimal seconds with an `s` suffix.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{WktError, quoted};
use super::fraction::{NANOS_PER_SECOND, nanos_from_digits, write_fraction};

/// Largest magnitude of `seconds`: 10,000 years of 365.25 days, as protobuf defines the range.
const MAX_SECONDS: i64 = 315_576_000_000;

/// Example appended to parse errors so that the caller sees the expected form.
const EXPECTED_FORM: &str =
    "expected decimal seconds with an 's' suffix such as \"3s\", \"1.5s\" or \"-0.250s\"";

/// A signed span of time with nanosecond precision.
///
/// The proto3 JSON form is a string of decimal seconds with an `s` suffix: `"3s"`, `"1.5s"`,
/// `"-0.250s"`. A valid Duration has `seconds` within ±315,576,000,000, `nanos` within
/// ±999,999,999, and no sign disagreement between the two (either may be zero).
/// Serializing an invalid Duration is an error.
///
/// Printing writes 0, 3, 6 or 9 fraction digits, the fewest that are exact. Parsing accepts
/// an optional `-`, at least one digit (leading zeros allowed), an optional `.` with 1 to 9
/// digits, and the `s`. It rejects `+`, spaces, exponents and any other unit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Message)]
///
/// ```
/// use cwsandbox_control::wkt::Duration;
///
/// let duration: Duration = "1.5s".parse()?;
/// assert_eq!(duration, Duration { seconds: 1, nanos: 500_000_000 });
/// assert_eq!(duration.to_string(), "1.500s");
/// assert_eq!(serde_json::to_string(&duration).unwrap(), r#""1.500s""#);
///
/// let std: std::time::Duration = duration.try_into()?;
/// assert_eq!(std, std::time::Duration::from_millis(1500));
/// assert_eq!(Duration::try_from(std::time::Duration::from_secs(3))?.to_string(), "3s");
///
/// assert!("1.5".parse::<Duration>().is_err(), "the s suffix is required");
/// assert!(std::time::Duration::try_from("-1s".parse::<Duration>()?).is_err());
/// # Ok::<(), cwsandbox_control::wkt::WktError>(())
/// ```
pub struct Duration {
    /// Whole seconds of the span.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Fraction of a second in nanoseconds, with the sign of `seconds`.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl prost::Name for Duration {
    const NAME: &'static str = "Duration";
    const PACKAGE: &'static str = "google.protobuf";

    fn type_url() -> String {
        "type.googleapis.com/google.protobuf.Duration".into()
    }
}

impl Duration {
    /// Returns whether the Duration is in range and its two fields agree in sign.
    ///
    /// ```
    /// use cwsandbox_control::wkt::Duration;
    ///
    /// assert!(Duration { seconds: -1, nanos: -500_000_000 }.is_valid());
    /// assert!(!Duration { seconds: 1, nanos: -1 }.is_valid(), "signs disagree");
    /// assert!(!Duration { seconds: 0, nanos: 1_000_000_000 }.is_valid());
    /// ```
    pub fn is_valid(&self) -> bool {
        let nanos_in_range = self.nanos.unsigned_abs() < NANOS_PER_SECOND;
        let seconds_in_range = (-MAX_SECONDS..=MAX_SECONDS).contains(&self.seconds);
        let signs_agree =
            !(self.seconds > 0 && self.nanos < 0 || self.seconds < 0 && self.nanos > 0);
        nanos_in_range && seconds_in_range && signs_agree
    }

    fn check(&self) -> Result<(), WktError> {
        if self.is_valid() {
            return Ok(());
        }
        Err(WktError::new(format!(
            "invalid Duration {{ seconds: {}, nanos: {} }}: seconds must lie within \
             ±{MAX_SECONDS}, nanos within ±999999999, and both must have the same sign",
            self.seconds, self.nanos
        )))
    }

    fn is_negative(&self) -> bool {
        self.seconds < 0 || self.nanos < 0
    }

    /// Writes the JSON form. The Duration must be valid.
    fn write_seconds(&self, out: &mut impl fmt::Write) -> fmt::Result {
        if self.is_negative() {
            out.write_char('-')?;
        }
        write!(out, "{}", self.seconds.unsigned_abs())?;
        write_fraction(out, self.nanos.unsigned_abs())?;
        out.write_char('s')
    }

    /// Returns the JSON form, such as `"1.500s"`.
    ///
    /// # Errors
    ///
    /// Fails when the Duration is not valid (see [`Duration::is_valid`]).
    ///
    /// ```
    /// use cwsandbox_control::wkt::Duration;
    ///
    /// assert_eq!(Duration { seconds: -1, nanos: -250_000_000 }.to_json_string()?, "-1.250s");
    /// let error = Duration { seconds: 1, nanos: -1 }.to_json_string().unwrap_err();
    /// assert!(error.message().contains("same sign"), "{error}");
    /// # Ok::<(), cwsandbox_control::wkt::WktError>(())
    /// ```
    pub fn to_json_string(&self) -> Result<String, WktError> {
        self.check()?;
        let mut out = String::with_capacity(24);
        // Writing to a String cannot fail.
        let _ = self.write_seconds(&mut out);
        Ok(out)
    }
}

/// Prints the JSON form (`1.500s`) of a valid Duration. An invalid one prints as
/// `Duration { seconds: S, nanos: N } (invalid)` because `Display` cannot fail.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_valid() {
            self.write_seconds(f)
        } else {
            write!(
                f,
                "Duration {{ seconds: {}, nanos: {} }} (invalid)",
                self.seconds, self.nanos
            )
        }
    }
}

/// Parses the JSON form with the rules of the type documentation.
impl FromStr for Duration {
    type Err = WktError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_seconds(text)
    }
}

/// Fails when the Duration is not valid or is negative.
impl TryFrom<Duration> for std::time::Duration {
    type Error = WktError;

    fn try_from(duration: Duration) -> Result<Self, Self::Error> {
        duration.check()?;
        if duration.is_negative() {
            return Err(WktError::new(format!(
                "Duration {duration} is negative, but std::time::Duration cannot be negative"
            )));
        }
        Ok(Self::new(
            duration.seconds.unsigned_abs(),
            duration.nanos.unsigned_abs(),
        ))
    }
}

/// Fails when the span is longer than 315,576,000,000 seconds.
impl TryFrom<std::time::Duration> for Duration {
    type Error = WktError;

    fn try_from(duration: std::time::Duration) -> Result<Self, Self::Error> {
        let seconds = i64::try_from(duration.as_secs())
            .ok()
            .filter(|seconds| *seconds <= MAX_SECONDS)
            .ok_or_else(|| {
                WktError::new(format!(
                    "std::time::Duration of {} s is longer than the {MAX_SECONDS} s that a \
                     protobuf Duration can hold",
                    duration.as_secs()
                ))
            })?;
        Ok(Self {
            seconds,
            nanos: i32::try_from(duration.subsec_nanos()).unwrap_or(0),
        })
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_json_string().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DurationVisitor)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration string such as \"1.5s\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        parse_seconds(text).map_err(E::custom)
    }
}

fn parse_seconds(text: &str) -> Result<Duration, WktError> {
    let invalid = |reason: String| {
        WktError::new(format!(
            "invalid Duration {}: {reason}; {EXPECTED_FORM}",
            quoted(text)
        ))
    };

    let body = text
        .strip_suffix('s')
        .ok_or_else(|| invalid("the 's' suffix is missing".into()))?;
    let (negative, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };

    if whole.is_empty() || !whole.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid(
            "the seconds must be decimal digits, with at most a leading '-'".into(),
        ));
    }
    let nanos = match fraction {
        None => 0,
        Some(digits) if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) => {
            return Err(invalid("the '.' must be followed by 1 to 9 digits".into()));
        }
        Some(digits) => nanos_from_digits(digits.as_bytes()).ok_or_else(|| {
            invalid(format!(
                "the fraction of a second has {} digits, more than the 9 of nanosecond \
                 precision",
                digits.len()
            ))
        })?,
    };
    // Only digits remain, so parsing fails only on overflow.
    let seconds = whole
        .parse::<i64>()
        .ok()
        .filter(|seconds| *seconds <= MAX_SECONDS)
        .ok_or_else(|| {
            invalid(format!(
                "the seconds are out of range; a Duration lies within ±{MAX_SECONDS}s \
                 (10,000 years)"
            ))
        })?;

    let nanos = i32::try_from(nanos).unwrap_or(0);
    Ok(if negative {
        Duration {
            seconds: -seconds,
            nanos: -nanos,
        }
    } else {
        Duration { seconds, nanos }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_valid_checks_signs_and_range() {
        let cases = [
            (0, 0, true),
            (1, 500_000_000, true),
            (-1, -500_000_000, true),
            (0, -1, true),
            (0, 999_999_999, true),
            (1, -1, false),
            (-1, 1, false),
            (0, 1_000_000_000, false),
            (0, -1_000_000_000, false),
            (MAX_SECONDS, 999_999_999, true),
            (-MAX_SECONDS, -999_999_999, true),
            (MAX_SECONDS + 1, 0, false),
            (i64::MIN, 0, false),
        ];
        for (seconds, nanos, expected) in cases {
            let duration = Duration { seconds, nanos };
            assert_eq!(duration.is_valid(), expected, "{seconds} s {nanos} ns");
        }
    }
}
