//! Proto lint: `buf lint` plus checks that buf does not have.
//!
//! The checks here cover the packages of the set except `google.*`:
//! - every message, field, enum, enum value, service and method has a
//!   leading comment;
//! - every method has a `google.api.http` rule;
//! - every request field that an http path template binds is REQUIRED;
//! - the `id`, `organization_id`, `created_at` and `updated_at` fields of a
//!   resource (a message that a method returns, other than `*Response` and
//!   `google.protobuf.Empty`) are OUTPUT_ONLY.

use std::fmt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use prost_reflect::{FileDescriptor, MessageDescriptor, MethodDescriptor};

use crate::options::{Position, field_behaviors, http_rule, source_info};
use crate::protoset::ProtoSet;

/// Fields of a resource that only the server sets.
pub const OUTPUT_ONLY_FIELDS: [&str; 4] = ["id", "organization_id", "created_at", "updated_at"];

/// One lint finding, printed like a compiler diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// File name relative to the proto root.
    pub file: String,
    /// Position of the element.
    pub position: Position,
    /// Short rule name, for example `comment-missing`.
    pub rule: &'static str,
    /// Description of the problem, naming the element.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Position { line, column } = self.position;
        write!(
            f,
            "{}:{line}:{column}: {}: {}",
            self.file, self.rule, self.message
        )
    }
}

fn issue(file: &FileDescriptor, path: &[i32], rule: &'static str, message: String) -> Issue {
    let (_, position) = source_info(file, path);
    Issue {
        file: file.name().to_string(),
        position,
        rule,
        message,
    }
}

fn is_checked(package: &str) -> bool {
    !package.starts_with("google.")
}

/// Runs the checks on `set` and returns the findings in file order.
pub fn check(set: &ProtoSet) -> Vec<Issue> {
    let mut issues = Vec::new();
    check_comments(set, &mut issues);
    for service in set
        .services()
        .iter()
        .filter(|s| is_checked(s.package_name()))
    {
        for method in service.methods() {
            check_method(&method, &mut issues);
        }
    }
    check_resources(set, &mut issues);
    issues.sort_by(|a, b| (&a.file, a.position.line).cmp(&(&b.file, b.position.line)));
    issues.dedup();
    issues
}

fn require_comment(
    file: &FileDescriptor,
    path: &[i32],
    kind: &str,
    name: &str,
    issues: &mut Vec<Issue>,
) {
    if source_info(file, path).0.is_none() {
        let message = format!("{kind} {name} has no leading comment");
        issues.push(issue(file, path, "comment-missing", message));
    }
}

fn check_comments(set: &ProtoSet, issues: &mut Vec<Issue>) {
    for message in set
        .messages()
        .iter()
        .filter(|m| is_checked(m.package_name()))
    {
        let file = message.parent_file();
        require_comment(
            &file,
            message.path(),
            "message",
            message.full_name(),
            issues,
        );
        for field in message.fields() {
            require_comment(&file, field.path(), "field", field.full_name(), issues);
        }
    }
    for enum_type in set.enums().iter().filter(|e| is_checked(e.package_name())) {
        let file = enum_type.parent_file();
        require_comment(
            &file,
            enum_type.path(),
            "enum",
            enum_type.full_name(),
            issues,
        );
        for value in enum_type.values() {
            let name = format!("{}.{}", enum_type.full_name(), value.name());
            require_comment(&file, value.path(), "enum value", &name, issues);
        }
    }
    for service in set
        .services()
        .iter()
        .filter(|s| is_checked(s.package_name()))
    {
        let file = service.parent_file();
        require_comment(
            &file,
            service.path(),
            "service",
            service.full_name(),
            issues,
        );
        for method in service.methods() {
            require_comment(&file, method.path(), "method", method.full_name(), issues);
        }
    }
}

fn check_method(method: &MethodDescriptor, issues: &mut Vec<Issue>) {
    let file = method.parent_file();
    let Some(rule) = http_rule(method) else {
        let message = format!("method {} has no google.api.http rule", method.full_name());
        issues.push(issue(&file, method.path(), "http-rule-missing", message));
        return;
    };
    let input = method.input();
    for name in rule.path_fields() {
        let Some(field) = input.get_field_by_name(&name) else {
            let message = format!(
                "path {} of method {} binds {name}, which {} does not have",
                rule.path,
                method.full_name(),
                input.full_name()
            );
            issues.push(issue(
                &file,
                method.path(),
                "http-path-field-unknown",
                message,
            ));
            continue;
        };
        if !field_behaviors(&field).iter().any(|b| b == "REQUIRED") {
            let message = format!(
                "field {} is bound by the path of {} and must carry (google.api.field_behavior) = REQUIRED",
                field.full_name(),
                method.full_name()
            );
            issues.push(issue(
                &input.parent_file(),
                field.path(),
                "required-missing",
                message,
            ));
        }
    }
}

/// Messages that a method of a checked package returns directly.
fn resources(set: &ProtoSet) -> Vec<MessageDescriptor> {
    let mut resources: Vec<MessageDescriptor> = Vec::new();
    for service in set
        .services()
        .iter()
        .filter(|s| is_checked(s.package_name()))
    {
        for method in service.methods() {
            let output = method.output();
            let is_wrapper = output.full_name() == "google.protobuf.Empty"
                || output.name().ends_with("Response");
            if !is_wrapper
                && !resources
                    .iter()
                    .any(|r| r.full_name() == output.full_name())
            {
                resources.push(output);
            }
        }
    }
    resources
}

fn check_resources(set: &ProtoSet, issues: &mut Vec<Issue>) {
    for resource in resources(set) {
        for name in OUTPUT_ONLY_FIELDS {
            let Some(field) = resource.get_field_by_name(name) else {
                continue;
            };
            if !field_behaviors(&field).iter().any(|b| b == "OUTPUT_ONLY") {
                let message = format!(
                    "field {} of resource {} must carry (google.api.field_behavior) = OUTPUT_ONLY",
                    field.full_name(),
                    resource.full_name()
                );
                let file = resource.parent_file();
                issues.push(issue(&file, field.path(), "output-only-missing", message));
            }
        }
    }
}

/// Runs `buf lint` in `repo`, whose `buf.yaml` configures it, and returns
/// whether it passed. buf prints its findings itself.
pub fn run_buf(buf: &Path, repo: &Path) -> Result<bool> {
    let status = Command::new(buf)
        .arg("lint")
        .current_dir(repo)
        .status()
        .with_context(|| format!("failed to run {} lint", buf.display()))?;
    Ok(status.success())
}
