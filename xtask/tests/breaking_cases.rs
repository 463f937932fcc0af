//! Runs the breaking-change check on every crafted case under `tests/cases`
//! and asserts the categories it reports.

mod common;

use std::collections::BTreeSet;

use common::{case_names, check_case, report};

/// Every case with the categories the check must report; an empty list means
/// the change is safe.
const EXPECTED: &[(&str, &[&str])] = &[
    ("enum_removed", &["enum-removed"]),
    ("enum_renamed", &["enum-renamed"]),
    ("enum_value_number_reused", &["enum-value-number-reused"]),
    ("enum_value_removed", &["enum-value-removed"]),
    ("enum_value_renamed", &["enum-value-renamed"]),
    ("enum_value_renumbered", &["enum-value-renumbered"]),
    (
        "field_made_map",
        &["field-cardinality-changed", "field-type-changed"],
    ),
    ("field_made_optional", &["field-cardinality-changed"]),
    ("field_made_repeated", &["field-cardinality-changed"]),
    ("field_message_type_changed", &["field-type-changed"]),
    ("field_moved_into_oneof", &["field-oneof-changed"]),
    ("field_number_reused", &["field-number-reused"]),
    ("field_number_taken", &["field-number-reused"]),
    ("field_removed", &["field-removed"]),
    ("field_removed_number_reserved_only", &["field-removed"]),
    ("field_renamed", &["field-renamed"]),
    ("field_type_changed", &["field-type-changed"]),
    ("go_package_changed", &[]),
    ("http_path_changed", &["http-rule-changed"]),
    ("http_verb_changed", &["http-rule-changed"]),
    ("json_name_changed", &["json-name-changed"]),
    ("message_removed", &["message-removed"]),
    ("message_renamed", &["message-renamed"]),
    (
        "method_idempotency_changed",
        &["method-idempotency-changed"],
    ),
    ("method_input_changed", &["method-input-changed"]),
    ("method_output_changed", &["method-output-changed"]),
    ("method_streaming_changed", &["method-streaming-changed"]),
    ("nested_field_removed", &["field-removed"]),
    ("reserved_removed", &["reserved-removed"]),
    ("rpc_removed", &["rpc-removed"]),
    ("rpc_renamed", &["rpc-renamed"]),
    ("safe_comment_changed", &[]),
    ("safe_enum_value_added", &[]),
    ("safe_enum_value_removed_reserved", &[]),
    ("safe_field_added", &[]),
    ("safe_field_behavior_added", &[]),
    ("safe_field_removed_reserved", &[]),
    ("safe_http_binding_added", &[]),
    ("safe_message_added", &[]),
    ("safe_message_moved_file", &[]),
    ("safe_rpc_added", &[]),
    ("service_removed", &["service-removed"]),
];

fn expected(case: &str) -> BTreeSet<&'static str> {
    let (_, categories) = EXPECTED
        .iter()
        .find(|(name, _)| *name == case)
        .unwrap_or_else(|| panic!("case {case} has no entry in EXPECTED"));
    categories.iter().copied().collect()
}

fn assert_case(case: &str) {
    let findings = check_case(case);
    let found: BTreeSet<&str> = findings.iter().map(|f| f.category.name()).collect();
    assert_eq!(
        found,
        expected(case),
        "case {case}: categories differ; the check reported:\n{}",
        report(&findings)
    );
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                assert_case(stringify!($name));
            }
        )*

        #[test]
        fn every_case_directory_has_a_test() {
            let tested = [$(stringify!($name)),*];
            for case in case_names() {
                assert!(tested.contains(&case.as_str()), "case directory {case} has no test");
            }
        }
    };
}

cases!(
    enum_removed,
    enum_renamed,
    enum_value_number_reused,
    enum_value_removed,
    enum_value_renamed,
    enum_value_renumbered,
    field_made_map,
    field_made_optional,
    field_made_repeated,
    field_message_type_changed,
    field_moved_into_oneof,
    field_number_reused,
    field_number_taken,
    field_removed,
    field_removed_number_reserved_only,
    field_renamed,
    field_type_changed,
    go_package_changed,
    http_path_changed,
    http_verb_changed,
    json_name_changed,
    message_removed,
    message_renamed,
    method_idempotency_changed,
    method_input_changed,
    method_output_changed,
    method_streaming_changed,
    nested_field_removed,
    reserved_removed,
    rpc_removed,
    rpc_renamed,
    safe_comment_changed,
    safe_enum_value_added,
    safe_enum_value_removed_reserved,
    safe_field_added,
    safe_field_behavior_added,
    safe_field_removed_reserved,
    safe_http_binding_added,
    safe_message_added,
    safe_message_moved_file,
    safe_rpc_added,
    service_removed,
);

#[test]
fn every_category_has_a_case() {
    let covered: BTreeSet<&str> = EXPECTED
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .collect();
    for category in xtask::breaking::Category::ALL {
        assert!(
            covered.contains(category.name()),
            "no case covers {category}"
        );
    }
}

#[test]
fn findings_name_the_element() {
    let findings = check_case("field_removed");
    assert_eq!(findings.len(), 1, "{}", report(&findings));
    assert_eq!(findings[0].element, "example.v1.Thing.count");
    assert_eq!(findings[0].old, "int32 count = 3");
    assert_eq!(findings[0].new, "absent, number and name not reserved");
}
