//! Text snapshot of the API surface, one line per element.

use std::collections::BTreeMap;

use prost_reflect::{
    EnumDescriptor, FieldDescriptor, MessageDescriptor, MethodDescriptor, ServiceDescriptor,
};

use crate::describe::{Renames, label, oneof_name, type_name};
use crate::options::{field_behaviors, http_rule, idempotency_level};
use crate::protoset::ProtoSet;

/// First line of the snapshot file.
pub const HEADER: &str =
    "# API surface of the protos, written by `cargo xtask descriptor`. Do not edit by hand.";

/// One element of the API surface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `package`, `message`, `field`, `enum`, `value`, `service` or `method`.
    pub kind: &'static str,
    /// Fully qualified name. Enum values are named after their enum:
    /// `pkg.Enum.VALUE`.
    pub element: String,
    /// Everything that describes the element besides its name; empty for
    /// packages, messages, enums and services.
    pub detail: String,
}

impl Entry {
    fn new(kind: &'static str, element: &str, detail: String) -> Entry {
        Entry {
            kind,
            element: element.to_string(),
            detail,
        }
    }

    /// Returns the snapshot line of the element.
    pub fn line(&self) -> String {
        if self.detail.is_empty() {
            format!("{} {}", self.kind, self.element)
        } else {
            format!("{} {} {}", self.kind, self.element, self.detail)
        }
    }
}

/// Returns the entries of every package of `set` except `google.*`, grouped by
/// package: messages with their fields by number, enums with their values by
/// number, services with their methods by name.
pub fn entries(set: &ProtoSet) -> Vec<Entry> {
    let mut packages: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    let mut add = |package: &str, entries: Vec<Entry>| {
        if !package.starts_with("google.") {
            packages
                .entry(package.to_string())
                .or_default()
                .extend(entries);
        }
    };
    for message in sorted(set.messages(), |m| m.full_name().to_string()) {
        add(message.package_name(), message_entries(&message));
    }
    for enum_type in sorted(set.enums(), |e| e.full_name().to_string()) {
        add(enum_type.package_name(), enum_entries(&enum_type));
    }
    for service in sorted(set.services(), |s| s.full_name().to_string()) {
        add(service.package_name(), service_entries(&service));
    }
    let mut all = Vec::new();
    for (package, entries) in packages {
        all.push(Entry::new("package", &package, String::new()));
        all.extend(entries);
    }
    all
}

/// Returns the snapshot file contents.
pub fn render(set: &ProtoSet) -> String {
    let mut text = format!("{HEADER}\n");
    for entry in entries(set) {
        text.push_str(&entry.line());
        text.push('\n');
    }
    text
}

fn sorted<T, K: Ord>(mut items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    items.sort_by_key(|item| key(item));
    items
}

fn message_entries(message: &MessageDescriptor) -> Vec<Entry> {
    let mut entries = vec![Entry::new("message", message.full_name(), String::new())];
    let fields = sorted(message.fields().collect(), FieldDescriptor::number);
    entries.extend(fields.iter().map(field_entry));
    entries
}

fn field_entry(field: &FieldDescriptor) -> Entry {
    let mut detail = format!(
        "= {} {} {} json={}",
        field.number(),
        type_name(field, &Renames::new()),
        label(field),
        field.json_name()
    );
    if let Some(oneof) = oneof_name(field) {
        detail.push_str(&format!(" oneof={oneof}"));
    }
    let behaviors = field_behaviors(field);
    if !behaviors.is_empty() {
        detail.push_str(&format!(" behavior={}", behaviors.join(",")));
    }
    Entry::new("field", field.full_name(), detail)
}

fn enum_entries(enum_type: &EnumDescriptor) -> Vec<Entry> {
    let mut entries = vec![Entry::new("enum", enum_type.full_name(), String::new())];
    let values = sorted(enum_type.values().collect(), |value| value.number());
    for value in values {
        let element = format!("{}.{}", enum_type.full_name(), value.name());
        entries.push(Entry::new(
            "value",
            &element,
            format!("= {}", value.number()),
        ));
    }
    entries
}

fn service_entries(service: &ServiceDescriptor) -> Vec<Entry> {
    let mut entries = vec![Entry::new("service", service.full_name(), String::new())];
    let methods = sorted(service.methods().collect(), |m| m.name().to_string());
    entries.extend(methods.iter().map(method_entry));
    entries
}

fn method_entry(method: &MethodDescriptor) -> Entry {
    let mut detail = format!(
        "input={} output={} idempotency={}",
        method.input().full_name(),
        method.output().full_name(),
        idempotency_level(method)
    );
    if method.is_client_streaming() {
        detail.push_str(" client_streaming");
    }
    if method.is_server_streaming() {
        detail.push_str(" server_streaming");
    }
    match http_rule(method) {
        Some(rule) => detail.push_str(&format!(" http={rule}")),
        None => detail.push_str(" http=none"),
    }
    Entry::new("method", method.full_name(), detail)
}
