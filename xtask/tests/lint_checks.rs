//! Runs the project's proto checks on the repository's protos and on a
//! crafted proto that breaks each rule once.

use std::path::Path;

use xtask::lint::{Issue, check};
use xtask::protoset::ProtoSet;

fn lint(root: &Path) -> Vec<Issue> {
    let includes = [xtask::repo_root().join("proto")];
    let set = ProtoSet::compile(root, &includes).expect("protos compile");
    check(&set)
}

fn bad_issues() -> Vec<Issue> {
    lint(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint/bad"))
}

fn has_issue(issues: &[Issue], rule: &str, element: &str) -> bool {
    issues
        .iter()
        .any(|issue| issue.rule == rule && issue.message.contains(element))
}

fn listing(issues: &[Issue]) -> String {
    issues.iter().map(|issue| format!("  {issue}\n")).collect()
}

#[test]
fn repository_protos_pass() {
    let issues = lint(&xtask::repo_root().join("proto"));
    assert!(issues.is_empty(), "lint findings:\n{}", listing(&issues));
}

#[test]
fn missing_comments_are_reported() {
    let issues = bad_issues();
    let text = listing(&issues);
    assert!(
        has_issue(&issues, "comment-missing", "message example.v1.Widget "),
        "{text}"
    );
    assert!(
        has_issue(&issues, "comment-missing", "field example.v1.Widget.name "),
        "{text}"
    );
    let zero = "enum value example.v1.Size.SIZE_UNSPECIFIED ";
    assert!(has_issue(&issues, "comment-missing", zero), "{text}");
    let commented = "field example.v1.Widget.id ";
    assert!(!has_issue(&issues, "comment-missing", commented), "{text}");
}

#[test]
fn missing_http_rule_is_reported() {
    let issues = bad_issues();
    let method = "example.v1.WidgetService.ListWidgets ";
    assert!(
        has_issue(&issues, "http-rule-missing", method),
        "{}",
        listing(&issues)
    );
    let method = "example.v1.WidgetService.GetWidget ";
    assert!(
        !has_issue(&issues, "http-rule-missing", method),
        "{}",
        listing(&issues)
    );
}

#[test]
fn path_field_must_be_required() {
    let issues = bad_issues();
    let field = "example.v1.GetWidgetRequest.id ";
    assert!(
        has_issue(&issues, "required-missing", field),
        "{}",
        listing(&issues)
    );
}

#[test]
fn resource_fields_must_be_output_only() {
    let issues = bad_issues();
    let text = listing(&issues);
    let created = "example.v1.Widget.created_at ";
    assert!(has_issue(&issues, "output-only-missing", created), "{text}");
    let id = "example.v1.Widget.id ";
    assert!(!has_issue(&issues, "output-only-missing", id), "{text}");
}

#[test]
fn issues_carry_positions() {
    let issues = bad_issues();
    let issue = issues
        .iter()
        .find(|issue| issue.rule == "http-rule-missing")
        .expect("an http-rule-missing finding");
    assert_eq!(issue.file, "example.proto");
    assert_eq!(issue.position.line, 17);
    assert_eq!(issue.position.column, 3);
}
