//! Services and their methods.

use prost_reflect::{MethodDescriptor, ServiceDescriptor};

use super::{Category, Finding};
use crate::describe::Renames;
use crate::options::{HttpRule, http_rule, idempotency_level};
use crate::protoset::ProtoSet;

/// Checks services and methods. `renames` maps the messages and enums
/// renamed between the sets, so a renamed request type is not reported twice.
pub(super) fn check(old: &ProtoSet, new: &ProtoSet, renames: &Renames, out: &mut Vec<Finding>) {
    for old_service in old.services() {
        let name = old_service.full_name();
        match new.pool().get_service_by_name(name) {
            Some(new_service) => check_methods(&old_service, &new_service, renames, out),
            None => out.push(Finding::new(
                Category::ServiceRemoved,
                name,
                "service",
                "absent",
            )),
        }
    }
}

fn check_methods(
    old: &ServiceDescriptor,
    new: &ServiceDescriptor,
    renames: &Renames,
    out: &mut Vec<Finding>,
) {
    let mut added: Vec<_> = new
        .methods()
        .filter(|method| !old.methods().any(|m| m.name() == method.name()))
        .collect();
    for old_method in old.methods() {
        if let Some(new_method) = new.methods().find(|m| m.name() == old_method.name()) {
            compare_method(&old_method, &new_method, renames, out);
            continue;
        }
        let old_signature = signature(&old_method, renames);
        let renamed_to = added
            .iter()
            .position(|m| signature(m, &Renames::new()) == old_signature)
            .map(|index| added.remove(index));
        let element = old_method.full_name();
        let finding = match renamed_to {
            Some(m) => Finding::new(Category::RpcRenamed, element, old_method.name(), m.name()),
            None => Finding::new(Category::RpcRemoved, element, old_signature, "absent"),
        };
        out.push(finding);
    }
}

/// Request and response types and streaming, as in a `.proto` file:
/// `(GetThingRequest) returns (Thing)`.
fn signature(method: &MethodDescriptor, renames: &Renames) -> String {
    let stream = |streaming: bool| if streaming { "stream " } else { "" };
    format!(
        "({}{}) returns ({}{})",
        stream(method.is_client_streaming()),
        renamed(method.input().full_name(), renames),
        stream(method.is_server_streaming()),
        renamed(method.output().full_name(), renames),
    )
}

fn renamed(name: &str, renames: &Renames) -> String {
    renames
        .get(name)
        .map_or_else(|| name.to_string(), Clone::clone)
}

fn streaming_text(method: &MethodDescriptor) -> &'static str {
    match (method.is_client_streaming(), method.is_server_streaming()) {
        (false, false) => "unary",
        (true, false) => "client streaming",
        (false, true) => "server streaming",
        (true, true) => "bidirectional streaming",
    }
}

fn compare_method(
    old: &MethodDescriptor,
    new: &MethodDescriptor,
    renames: &Renames,
    out: &mut Vec<Finding>,
) {
    let element = old.full_name();
    let old_input = renamed(old.input().full_name(), renames);
    if old_input != new.input().full_name() {
        let category = Category::MethodInputChanged;
        out.push(Finding::new(
            category,
            element,
            old_input,
            new.input().full_name(),
        ));
    }
    let old_output = renamed(old.output().full_name(), renames);
    if old_output != new.output().full_name() {
        let category = Category::MethodOutputChanged;
        out.push(Finding::new(
            category,
            element,
            old_output,
            new.output().full_name(),
        ));
    }
    if streaming_text(old) != streaming_text(new) {
        let category = Category::MethodStreamingChanged;
        out.push(Finding::new(
            category,
            element,
            streaming_text(old),
            streaming_text(new),
        ));
    }
    let (old_level, new_level) = (idempotency_level(old), idempotency_level(new));
    if old_level != new_level {
        let category = Category::MethodIdempotencyChanged;
        out.push(Finding::new(category, element, old_level, new_level));
    }
    compare_http(old, new, out);
}

fn compare_http(old: &MethodDescriptor, new: &MethodDescriptor, out: &mut Vec<Finding>) {
    // A method without a rule gains REST access by getting one: not a break.
    let Some(old_rule) = http_rule(old) else {
        return;
    };
    let new_rule = http_rule(new);
    if new_rule
        .as_ref()
        .is_some_and(|rule| keeps_bindings(&old_rule, rule))
    {
        return;
    }
    let new_text = new_rule.map_or_else(|| "no http rule".to_string(), |rule| rule.to_string());
    let category = Category::HttpRuleChanged;
    out.push(Finding::new(
        category,
        old.full_name(),
        old_rule.to_string(),
        new_text,
    ));
}

/// Returns whether `new` serves every binding of `old` the same way: same
/// primary verb, path and body, and every additional binding still present.
/// Added bindings are not a break.
fn keeps_bindings(old: &HttpRule, new: &HttpRule) -> bool {
    let same_primary = old.verb == new.verb && old.path == new.path && old.body == new.body;
    same_primary
        && old
            .additional_bindings
            .iter()
            .all(|binding| new.additional_bindings.contains(binding))
}
