//! Text forms of field types and labels, shared by the checks and the snapshot.

use std::collections::BTreeMap;

use prost_reflect::{Cardinality, FieldDescriptor, Kind, Syntax};

/// Old full name -> new full name of renamed messages and enums.
pub type Renames = BTreeMap<String, String>;

/// Returns the type of a field as written in a `.proto` file, with full names
/// for messages and enums (`string`, `google.protobuf.Timestamp`,
/// `map<string, string>`). Names found in `renames` are replaced.
pub fn type_name(field: &FieldDescriptor, renames: &Renames) -> String {
    if let (true, Kind::Message(entry)) = (field.is_map(), field.kind()) {
        let key = kind_name(&entry.map_entry_key_field().kind(), renames);
        let value = kind_name(&entry.map_entry_value_field().kind(), renames);
        return format!("map<{key}, {value}>");
    }
    kind_name(&field.kind(), renames)
}

/// Returns the name of a scalar type, or the full name of a message or enum.
pub fn kind_name(kind: &Kind, renames: &Renames) -> String {
    let name = match kind {
        Kind::Double => "double",
        Kind::Float => "float",
        Kind::Int32 => "int32",
        Kind::Int64 => "int64",
        Kind::Uint32 => "uint32",
        Kind::Uint64 => "uint64",
        Kind::Sint32 => "sint32",
        Kind::Sint64 => "sint64",
        Kind::Fixed32 => "fixed32",
        Kind::Fixed64 => "fixed64",
        Kind::Sfixed32 => "sfixed32",
        Kind::Sfixed64 => "sfixed64",
        Kind::Bool => "bool",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Message(message) => return renamed(message.full_name(), renames),
        Kind::Enum(enum_type) => return renamed(enum_type.full_name(), renames),
    };
    name.to_string()
}

fn renamed(name: &str, renames: &Renames) -> String {
    renames
        .get(name)
        .map_or_else(|| name.to_string(), Clone::clone)
}

/// Returns the label of a field: `map`, `repeated`, `required`, `optional`
/// (explicit presence of a scalar) or `singular`.
pub fn label(field: &FieldDescriptor) -> &'static str {
    if field.is_map() {
        return "map";
    }
    if field.is_list() {
        return "repeated";
    }
    if field.cardinality() == Cardinality::Required {
        return "required";
    }
    if field.field_descriptor_proto().proto3_optional() {
        return "optional";
    }
    let proto2 = field.parent_file().syntax() == Syntax::Proto2;
    let scalar = !matches!(field.kind(), Kind::Message(_));
    if proto2 && scalar && oneof_name(field).is_none() {
        return "optional";
    }
    "singular"
}

/// Returns the name of the oneof a field belongs to. The synthetic oneof of a
/// proto3 `optional` field does not count.
pub fn oneof_name(field: &FieldDescriptor) -> Option<String> {
    field
        .containing_oneof()
        .filter(|oneof| !oneof.is_synthetic())
        .map(|oneof| oneof.name().to_string())
}

/// Returns a field declaration as written in a `.proto` file, for example
/// `repeated string tags = 6` or `string name = 2 (in oneof kind)`.
pub fn declaration(field: &FieldDescriptor, renames: &Renames) -> String {
    let prefix = match label(field) {
        "repeated" => "repeated ",
        "optional" => "optional ",
        "required" => "required ",
        _ => "",
    };
    let mut text = format!(
        "{prefix}{} {} = {}",
        type_name(field, renames),
        field.name(),
        field.number()
    );
    if let Some(oneof) = oneof_name(field) {
        text.push_str(&format!(" (in oneof {oneof})"));
    }
    text
}
