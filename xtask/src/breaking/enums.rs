//! Enums and their values.

use std::collections::BTreeMap;

use prost_reflect::{EnumDescriptor, EnumValueDescriptor};

use super::renames::match_renames;
use super::reserved::{self, NumberUser, Reserved};
use super::{Category, Finding};
use crate::describe::Renames;
use crate::protoset::ProtoSet;

/// Checks enums and their values, and returns the enum renames it found.
pub(super) fn check(old: &ProtoSet, new: &ProtoSet, out: &mut Vec<Finding>) -> Renames {
    let old_enums = by_name(old.enums());
    let new_enums = by_name(new.enums());
    let removed: Vec<_> = old_enums
        .values()
        .filter(|e| !new_enums.contains_key(e.full_name()))
        .cloned()
        .collect();
    let added: Vec<_> = new_enums
        .values()
        .filter(|e| !old_enums.contains_key(e.full_name()))
        .cloned()
        .collect();
    let renames = match_renames(&removed, &added, |e| e.full_name().to_string(), shape);
    for enum_type in &removed {
        out.push(removed_finding(enum_type, &renames));
    }
    for (name, old_enum) in &old_enums {
        if let Some(new_enum) = new_enums.get(name) {
            check_values(old_enum, new_enum, out);
        }
    }
    renames
}

fn by_name(enums: Vec<EnumDescriptor>) -> BTreeMap<String, EnumDescriptor> {
    enums
        .into_iter()
        .map(|e| (e.full_name().to_string(), e))
        .collect()
}

fn shape(enum_type: &EnumDescriptor) -> String {
    let values: Vec<_> = enum_type.values().map(|value| value_text(&value)).collect();
    values.join("; ")
}

fn removed_finding(enum_type: &EnumDescriptor, renames: &Renames) -> Finding {
    let name = enum_type.full_name();
    match renames.get(name) {
        Some(new_name) => Finding::new(Category::EnumRenamed, name, name, new_name),
        None => Finding::new(Category::EnumRemoved, name, "enum", "absent"),
    }
}

fn value_text(value: &EnumValueDescriptor) -> String {
    format!("{} = {}", value.name(), value.number())
}

/// Enum value element name: the enum's full name, then the value's name.
fn element(enum_type: &EnumDescriptor, name: &str) -> String {
    format!("{}.{name}", enum_type.full_name())
}

fn check_values(old: &EnumDescriptor, new: &EnumDescriptor, out: &mut Vec<Finding>) {
    for old_value in old.values() {
        if let Some(finding) = compare_value(&old_value, new) {
            out.push(finding);
        }
    }
    let users: Vec<_> = new
        .values()
        .map(|value| NumberUser {
            number: i64::from(value.number()),
            element: element(new, value.name()),
            declaration: value_text(&value),
        })
        .collect();
    let (old_reserved, new_reserved) = (Reserved::of_enum(old), Reserved::of_enum(new));
    let reuse = Category::EnumValueNumberReused;
    reserved::check(
        old.full_name(),
        &old_reserved,
        &new_reserved,
        &users,
        reuse,
        out,
    );
}

fn compare_value(old: &EnumValueDescriptor, new: &EnumDescriptor) -> Option<Finding> {
    let element = element(old.parent_enum(), old.name());
    let old_text = value_text(old);
    if let Some(same_name) = new.get_value_by_name(old.name()) {
        let category = Category::EnumValueRenumbered;
        return (same_name.number() != old.number())
            .then(|| Finding::new(category, element, old_text, value_text(&same_name)));
    }
    if let Some(same_number) = new.get_value(old.number()) {
        let category = Category::EnumValueRenamed;
        return Some(Finding::new(
            category,
            element,
            old_text,
            value_text(&same_number),
        ));
    }
    let reserved = Reserved::of_enum(new);
    let number_reserved = reserved.has_number(i64::from(old.number()));
    let new_text = match (number_reserved, reserved.has_name(old.name())) {
        (true, true) => return None,
        (false, false) => "absent, number and name not reserved",
        (true, false) => "absent, name not reserved",
        (false, true) => "absent, number not reserved",
    };
    Some(Finding::new(
        Category::EnumValueRemoved,
        element,
        old_text,
        new_text,
    ))
}
