//! Reading the options and comments that the checks and the snapshot use.

use std::fmt;

use prost_reflect::{
    DynamicMessage, FieldDescriptor, FileDescriptor, MethodDescriptor, ReflectMessage, Value,
};

/// Number of the `google.api.http` extension of `google.protobuf.MethodOptions`.
pub const HTTP_EXTENSION: u32 = 72_295_728;

/// Number of the `google.api.field_behavior` extension of `google.protobuf.FieldOptions`.
pub const FIELD_BEHAVIOR_EXTENSION: u32 = 1052;

const HTTP_VERBS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// A `google.api.http` rule: verb, path template, body and extra bindings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRule {
    /// Upper-case verb, or the custom verb as written.
    pub verb: String,
    /// Path template, for example `/v1/things/{id}`.
    pub path: String,
    /// Request field mapped to the body: empty, `*` or a field name.
    pub body: String,
    /// Rules of `additional_bindings`.
    pub additional_bindings: Vec<HttpRule>,
}

impl HttpRule {
    fn from_message(rule: &DynamicMessage) -> Option<HttpRule> {
        let (verb, path) = rule_pattern(rule)?;
        let body = string_field(rule, "body");
        let additional_bindings = match rule.get_field_by_name("additional_bindings").as_deref() {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|item| item.as_message().and_then(HttpRule::from_message))
                .collect(),
            _ => Vec::new(),
        };
        Some(HttpRule {
            verb,
            path,
            body,
            additional_bindings,
        })
    }

    /// Top-level names of the request fields that the path template binds,
    /// for example `profile_template` for `{profile_template.id}`.
    pub fn path_fields(&self) -> Vec<String> {
        let mut fields = Vec::new();
        for segment in self.path.split('{').skip(1) {
            let variable = segment.split(['}', '=']).next().unwrap_or_default();
            let top = variable.split('.').next().unwrap_or_default();
            if !top.is_empty() {
                fields.push(top.to_string());
            }
        }
        fields
    }
}

impl fmt::Display for HttpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.path)?;
        if !self.body.is_empty() {
            write!(f, " body={}", self.body)?;
        }
        for binding in &self.additional_bindings {
            write!(f, " + {binding}")?;
        }
        Ok(())
    }
}

fn rule_pattern(rule: &DynamicMessage) -> Option<(String, String)> {
    for verb in HTTP_VERBS {
        if rule.has_field_by_name(verb) {
            return Some((verb.to_uppercase(), string_field(rule, verb)));
        }
    }
    let custom = rule.get_field_by_name("custom")?;
    let custom = custom.as_message()?;
    Some((string_field(custom, "kind"), string_field(custom, "path")))
}

fn string_field(message: &DynamicMessage, name: &str) -> String {
    message
        .get_field_by_name(name)
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Returns the `google.api.http` rule of a method, if it has one.
pub fn http_rule(method: &MethodDescriptor) -> Option<HttpRule> {
    let options = method.options();
    let extension = options.descriptor().get_extension(HTTP_EXTENSION)?;
    if !options.has_extension(&extension) {
        return None;
    }
    let value = options.get_extension(&extension);
    HttpRule::from_message(value.as_message()?)
}

/// Returns the `google.api.field_behavior` names of a field, in declaration
/// order, for example `["REQUIRED", "IMMUTABLE"]`.
pub fn field_behaviors(field: &FieldDescriptor) -> Vec<String> {
    let options = field.options();
    let Some(extension) = options.descriptor().get_extension(FIELD_BEHAVIOR_EXTENSION) else {
        return Vec::new();
    };
    if !options.has_extension(&extension) {
        return Vec::new();
    }
    let enum_type = extension.kind();
    let enum_type = enum_type.as_enum();
    let value = options.get_extension(&extension);
    let Value::List(items) = value.as_ref() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_enum_number)
        .map(|number| match enum_type.and_then(|e| e.get_value(number)) {
            Some(value) => value.name().to_string(),
            None => number.to_string(),
        })
        .collect()
}

/// Returns the `idempotency_level` name of a method (`IDEMPOTENCY_UNKNOWN`
/// when unset).
pub fn idempotency_level(method: &MethodDescriptor) -> String {
    let options = method.options();
    let number = options
        .get_field_by_name("idempotency_level")
        .and_then(|value| value.as_enum_number())
        .unwrap_or(0);
    let level = options
        .descriptor()
        .get_field_by_name("idempotency_level")
        .and_then(|field| field.kind().as_enum().and_then(|e| e.get_value(number)));
    match level {
        Some(value) => value.name().to_string(),
        None => number.to_string(),
    }
}

/// A position in a source file, 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Line number.
    pub line: i32,
    /// Column number.
    pub column: i32,
}

/// Returns the leading comment and the position of the element at `path`
/// (the descriptor path that prost-reflect reports) in `file`.
pub fn source_info(file: &FileDescriptor, path: &[i32]) -> (Option<String>, Position) {
    let Some(info) = &file.file_descriptor_proto().source_code_info else {
        return (None, Position::default());
    };
    let Some(location) = info.location.iter().find(|location| location.path == path) else {
        return (None, Position::default());
    };
    let position = Position {
        line: location.span.first().map_or(0, |line| line + 1),
        column: location.span.get(1).map_or(0, |column| column + 1),
    };
    let comment = location
        .leading_comments
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string);
    (comment, position)
}
