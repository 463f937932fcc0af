//! Reserved numbers and names of messages and enums.

use std::ops::RangeInclusive;

use prost_reflect::{EnumDescriptor, MessageDescriptor};

use super::{Category, Finding};

/// Reserved number ranges (inclusive) and names of one message or enum.
pub(super) struct Reserved {
    ranges: Vec<RangeInclusive<i64>>,
    names: Vec<String>,
}

/// An element that uses a number: its full name and declaration.
pub(super) struct NumberUser {
    pub number: i64,
    pub element: String,
    pub declaration: String,
}

impl Reserved {
    pub fn of_message(message: &MessageDescriptor) -> Reserved {
        Reserved {
            ranges: message
                .reserved_ranges()
                .map(|range| i64::from(range.start)..=i64::from(range.end) - 1)
                .collect(),
            names: message.reserved_names().map(str::to_string).collect(),
        }
    }

    pub fn of_enum(enum_type: &EnumDescriptor) -> Reserved {
        Reserved {
            ranges: enum_type
                .reserved_ranges()
                .map(|range| i64::from(*range.start())..=i64::from(*range.end()))
                .collect(),
            names: enum_type.reserved_names().map(str::to_string).collect(),
        }
    }

    pub fn has_number(&self, number: i64) -> bool {
        self.ranges.iter().any(|range| range.contains(&number))
    }

    pub fn has_name(&self, name: &str) -> bool {
        self.names.iter().any(|reserved| reserved == name)
    }

    /// Returns whether the union of the ranges covers `range`.
    fn covers(&self, range: &RangeInclusive<i64>) -> bool {
        let mut sorted: Vec<_> = self.ranges.clone();
        sorted.sort_by_key(|r| *r.start());
        let mut next = *range.start();
        for r in &sorted {
            if *r.start() <= next && *r.end() >= next {
                next = r.end() + 1;
            }
        }
        next > *range.end()
    }
}

/// Reports reservations of `old` that `new` dropped. A dropped number that a
/// new element uses is reported as `reuse`, once per user.
pub(super) fn check(
    element: &str,
    old: &Reserved,
    new: &Reserved,
    users: &[NumberUser],
    reuse: Category,
    out: &mut Vec<Finding>,
) {
    for range in &old.ranges {
        if new.covers(range) {
            continue;
        }
        let in_range: Vec<_> = users
            .iter()
            .filter(|user| range.contains(&user.number))
            .collect();
        if in_range.is_empty() {
            let old_text = format!("reserved {}", range_text(range));
            out.push(Finding::new(
                Category::ReservedRemoved,
                element,
                old_text,
                "not reserved",
            ));
        }
        for user in in_range {
            let old_text = format!("reserved {}", user.number);
            out.push(Finding::new(
                reuse,
                &user.element,
                old_text,
                &user.declaration,
            ));
        }
    }
    for name in &old.names {
        if !new.has_name(name) {
            let old_text = format!("reserved \"{name}\"");
            out.push(Finding::new(
                Category::ReservedRemoved,
                element,
                old_text,
                "not reserved",
            ));
        }
    }
}

fn range_text(range: &RangeInclusive<i64>) -> String {
    if range.start() == range.end() {
        range.start().to_string()
    } else {
        format!("{} to {}", range.start(), range.end())
    }
}
