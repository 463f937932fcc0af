//! Messages and their fields.

use std::collections::BTreeMap;

use prost_reflect::{FieldDescriptor, MessageDescriptor};

use super::renames::match_renames;
use super::reserved::{self, NumberUser, Reserved};
use super::{Category, Finding};
use crate::describe::{Renames, declaration, label, oneof_name, type_name};
use crate::protoset::ProtoSet;

/// Checks messages and fields, and returns the message renames it found.
/// `enum_renames` maps the enums renamed between the sets.
pub(super) fn check(
    old: &ProtoSet,
    new: &ProtoSet,
    enum_renames: &Renames,
    out: &mut Vec<Finding>,
) -> Renames {
    let old_messages = by_name(old.messages());
    let new_messages = by_name(new.messages());
    let removed = missing_from(&old_messages, &new_messages);
    let added = missing_from(&new_messages, &old_messages);
    let message_renames = match_renames(&removed, &added, full_name, shape);
    report_removed(&removed, &message_renames, out);

    let mut renames = enum_renames.clone();
    renames.extend(message_renames.clone());
    for (name, old_message) in &old_messages {
        if let Some(new_message) = new_messages.get(name) {
            check_fields(old_message, new_message, &renames, out);
        }
    }
    message_renames
}

fn by_name(messages: Vec<MessageDescriptor>) -> BTreeMap<String, MessageDescriptor> {
    messages
        .into_iter()
        .map(|message| (message.full_name().to_string(), message))
        .collect()
}

fn missing_from(
    from: &BTreeMap<String, MessageDescriptor>,
    other: &BTreeMap<String, MessageDescriptor>,
) -> Vec<MessageDescriptor> {
    from.iter()
        .filter(|(name, _)| !other.contains_key(*name))
        .map(|(_, message)| message.clone())
        .collect()
}

fn full_name(message: &MessageDescriptor) -> String {
    message.full_name().to_string()
}

/// Fields of a message by number, name, label and type: two messages with
/// the same shape encode the same way.
fn shape(message: &MessageDescriptor) -> String {
    let no_renames = Renames::new();
    let mut fields: Vec<_> = message
        .fields()
        .map(|field| (field.number(), declaration(&field, &no_renames)))
        .collect();
    fields.sort();
    let fields: Vec<_> = fields.into_iter().map(|(_, text)| text).collect();
    fields.join("; ")
}

fn report_removed(removed: &[MessageDescriptor], renames: &Renames, out: &mut Vec<Finding>) {
    for message in removed {
        let name = message.full_name();
        let finding = match renames.get(name) {
            Some(new_name) => Finding::new(Category::MessageRenamed, name, name, new_name),
            None => Finding::new(Category::MessageRemoved, name, "message", "absent"),
        };
        out.push(finding);
    }
}

fn check_fields(
    old: &MessageDescriptor,
    new: &MessageDescriptor,
    renames: &Renames,
    out: &mut Vec<Finding>,
) {
    for old_field in old.fields() {
        match new.get_field(old_field.number()) {
            Some(new_field) => compare_field(&old_field, &new_field, renames, out),
            None => check_removed_field(&old_field, new, renames, out),
        }
    }
    let users: Vec<_> = new.fields().map(|field| number_user(&field)).collect();
    let old_reserved = Reserved::of_message(old);
    let new_reserved = Reserved::of_message(new);
    let reuse = Category::FieldNumberReused;
    reserved::check(
        old.full_name(),
        &old_reserved,
        &new_reserved,
        &users,
        reuse,
        out,
    );
}

fn number_user(field: &FieldDescriptor) -> NumberUser {
    NumberUser {
        number: i64::from(field.number()),
        element: field.full_name().to_string(),
        declaration: declaration(field, &Renames::new()),
    }
}

fn compare_field(
    old: &FieldDescriptor,
    new: &FieldDescriptor,
    renames: &Renames,
    out: &mut Vec<Finding>,
) {
    let element = old.full_name();
    let no_renames = Renames::new();
    let old_type = type_name(old, renames);
    let new_type = type_name(new, &no_renames);
    if old.name() != new.name() {
        let same_shape = old_type == new_type && label(old) == label(new);
        let category = match same_shape {
            true => Category::FieldRenamed,
            false => Category::FieldNumberReused,
        };
        let old_text = declaration(old, renames);
        out.push(Finding::new(
            category,
            element,
            old_text,
            declaration(new, &no_renames),
        ));
        return;
    }
    if old_type != new_type {
        out.push(Finding::new(
            Category::FieldTypeChanged,
            element,
            old_type,
            new_type,
        ));
    }
    if label(old) != label(new) {
        let category = Category::FieldCardinalityChanged;
        out.push(Finding::new(category, element, label(old), label(new)));
    }
    let (old_oneof, new_oneof) = (oneof_name(old), oneof_name(new));
    if old_oneof != new_oneof {
        let category = Category::FieldOneofChanged;
        out.push(Finding::new(
            category,
            element,
            oneof_text(old_oneof),
            oneof_text(new_oneof),
        ));
    }
    if old.json_name() != new.json_name() {
        let category = Category::JsonNameChanged;
        out.push(Finding::new(
            category,
            element,
            old.json_name(),
            new.json_name(),
        ));
    }
}

fn oneof_text(oneof: Option<String>) -> String {
    match oneof {
        Some(name) => format!("in oneof {name}"),
        None => "not in a oneof".to_string(),
    }
}

fn check_removed_field(
    old: &FieldDescriptor,
    new: &MessageDescriptor,
    renames: &Renames,
    out: &mut Vec<Finding>,
) {
    let reserved = Reserved::of_message(new);
    let number_reserved = reserved.has_number(i64::from(old.number()));
    let name_reserved = reserved.has_name(old.name());
    let new_text = match (
        new.get_field_by_name(old.name()),
        number_reserved,
        name_reserved,
    ) {
        (_, true, true) => return,
        (Some(moved), _, _) => format!("moved to number {}", moved.number()),
        (None, false, false) => "absent, number and name not reserved".to_string(),
        (None, true, false) => "absent, name not reserved".to_string(),
        (None, false, true) => "absent, number not reserved".to_string(),
    };
    let category = Category::FieldRemoved;
    out.push(Finding::new(
        category,
        old.full_name(),
        declaration(old, renames),
        new_text,
    ));
}
