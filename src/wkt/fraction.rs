//! Fractions of a second as Timestamp and Duration print and parse them.

use std::fmt;

/// Nanoseconds in one second.
pub(crate) const NANOS_PER_SECOND: u32 = 1_000_000_000;

/// Most digits a fraction of a second may have: nanosecond precision.
pub(crate) const MAX_FRACTION_DIGITS: usize = 9;

/// Writes `.` and 3, 6 or 9 digits of `nanos`, the fewest that are exact, or nothing when
/// `nanos` is 0. This is the form protobuf's reference JSON printers use.
///
/// `nanos` must be below [`NANOS_PER_SECOND`].
pub(crate) fn write_fraction(out: &mut impl fmt::Write, nanos: u32) -> fmt::Result {
    if nanos == 0 {
        Ok(())
    } else if nanos.is_multiple_of(1_000_000) {
        write!(out, ".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        write!(out, ".{:06}", nanos / 1_000)
    } else {
        write!(out, ".{nanos:09}")
    }
}

/// Converts the digits after the decimal point into nanoseconds: `b"5"` is 500,000,000.
///
/// Returns `None` unless `digits` has 1 to 9 ASCII digits.
pub(crate) fn nanos_from_digits(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > MAX_FRACTION_DIGITS {
        return None;
    }
    let mut nanos: u32 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        nanos = nanos * 10 + u32::from(digit - b'0');
    }
    for _ in digits.len()..MAX_FRACTION_DIGITS {
        nanos *= 10;
    }
    Some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(nanos: u32) -> String {
        let mut out = String::new();
        write_fraction(&mut out, nanos).unwrap();
        out
    }

    #[test]
    fn write_fraction_picks_shortest_exact_width() {
        let cases = [
            (0, ""),
            (500_000_000, ".500"),
            (1_000_000, ".001"),
            (10_000, ".000010"),
            (999_999_000, ".999999"),
            (1, ".000000001"),
            (123_456_789, ".123456789"),
        ];
        for (nanos, expected) in cases {
            assert_eq!(printed(nanos), expected, "nanos {nanos}");
        }
    }

    #[test]
    fn nanos_from_digits_scales_to_nine_digits() {
        let cases: [(&[u8], Option<u32>); 8] = [
            (b"5", Some(500_000_000)),
            (b"05", Some(50_000_000)),
            (b"000000001", Some(1)),
            (b"999999999", Some(999_999_999)),
            (b"", None),
            (b"0000000000", None),
            (b"1a", None),
            (b"-1", None),
        ];
        for (digits, expected) in cases {
            assert_eq!(nanos_from_digits(digits), expected, "digits {digits:?}");
        }
    }
}
