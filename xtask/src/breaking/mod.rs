//! Breaking-change check between two compiled proto sets.
//!
//! Elements are matched by fully qualified name, so moving a message between
//! files of one package is not a break. Each finding names one category, the
//! element and its old and new form.
//!
//! NOTE: extensions (`extend`), file options such as `go_package`, field
//! defaults and field options other than `json_name` are not compared.

mod enums;
mod messages;
mod renames;
mod reserved;
mod services;

use std::fmt;

use crate::protoset::ProtoSet;

/// Kind of breaking change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// A field is gone and its number or name is not reserved.
    FieldRemoved,
    /// A field number is used by a field of another name and type, or a
    /// reserved number is used again.
    FieldNumberReused,
    /// A field keeps its number and name but changes type.
    FieldTypeChanged,
    /// A field changes between singular, `optional`, `repeated` and `map`.
    FieldCardinalityChanged,
    /// A field enters, leaves or changes its oneof.
    FieldOneofChanged,
    /// A field keeps its number and type but changes name, so its JSON name
    /// and text format name change.
    FieldRenamed,
    /// A field keeps its name but its JSON name changes (`json_name`).
    JsonNameChanged,
    /// A reserved number range or name is no longer reserved.
    ReservedRemoved,
    /// An enum is gone.
    EnumRemoved,
    /// An enum is gone and another with the same values appeared.
    EnumRenamed,
    /// An enum value is gone and its number or name is not reserved.
    EnumValueRemoved,
    /// An enum value keeps its name but changes number.
    EnumValueRenumbered,
    /// An enum number keeps its place but changes name, which JSON carries.
    EnumValueRenamed,
    /// A reserved enum number is used again.
    EnumValueNumberReused,
    /// A message is gone.
    MessageRemoved,
    /// A message is gone and another with the same fields appeared.
    MessageRenamed,
    /// A service is gone.
    ServiceRemoved,
    /// A method is gone.
    RpcRemoved,
    /// A method is gone and another with the same types appeared in its service.
    RpcRenamed,
    /// A method's request type changed.
    MethodInputChanged,
    /// A method's response type changed.
    MethodOutputChanged,
    /// A method's client or server streaming changed.
    MethodStreamingChanged,
    /// A method's `idempotency_level` changed, which decides whether Connect
    /// clients may call it with GET.
    MethodIdempotencyChanged,
    /// A method's `google.api.http` verb, path, body or bindings changed.
    HttpRuleChanged,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 24] = [
        Category::FieldRemoved,
        Category::FieldNumberReused,
        Category::FieldTypeChanged,
        Category::FieldCardinalityChanged,
        Category::FieldOneofChanged,
        Category::FieldRenamed,
        Category::JsonNameChanged,
        Category::ReservedRemoved,
        Category::EnumRemoved,
        Category::EnumRenamed,
        Category::EnumValueRemoved,
        Category::EnumValueRenumbered,
        Category::EnumValueRenamed,
        Category::EnumValueNumberReused,
        Category::MessageRemoved,
        Category::MessageRenamed,
        Category::ServiceRemoved,
        Category::RpcRemoved,
        Category::RpcRenamed,
        Category::MethodInputChanged,
        Category::MethodOutputChanged,
        Category::MethodStreamingChanged,
        Category::MethodIdempotencyChanged,
        Category::HttpRuleChanged,
    ];

    /// Kebab-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Category::FieldRemoved => "field-removed",
            Category::FieldNumberReused => "field-number-reused",
            Category::FieldTypeChanged => "field-type-changed",
            Category::FieldCardinalityChanged => "field-cardinality-changed",
            Category::FieldOneofChanged => "field-oneof-changed",
            Category::FieldRenamed => "field-renamed",
            Category::JsonNameChanged => "json-name-changed",
            Category::ReservedRemoved => "reserved-removed",
            Category::EnumRemoved => "enum-removed",
            Category::EnumRenamed => "enum-renamed",
            Category::EnumValueRemoved => "enum-value-removed",
            Category::EnumValueRenumbered => "enum-value-renumbered",
            Category::EnumValueRenamed => "enum-value-renamed",
            Category::EnumValueNumberReused => "enum-value-number-reused",
            Category::MessageRemoved => "message-removed",
            Category::MessageRenamed => "message-renamed",
            Category::ServiceRemoved => "service-removed",
            Category::RpcRemoved => "rpc-removed",
            Category::RpcRenamed => "rpc-renamed",
            Category::MethodInputChanged => "method-input-changed",
            Category::MethodOutputChanged => "method-output-changed",
            Category::MethodStreamingChanged => "method-streaming-changed",
            Category::MethodIdempotencyChanged => "method-idempotency-changed",
            Category::HttpRuleChanged => "http-rule-changed",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// One breaking change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Kind of change.
    pub category: Category,
    /// Fully qualified name of the element, for example
    /// `coreweave.sandbox.v1beta2.Runner.display_name`.
    pub element: String,
    /// The element before the change.
    pub old: String,
    /// The element after the change.
    pub new: String,
}

impl Finding {
    fn new(
        category: Category,
        element: impl Into<String>,
        old: impl Into<String>,
        new: impl Into<String>,
    ) -> Finding {
        Finding {
            category,
            element: element.into(),
            old: old.into(),
            new: new.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<26} {}: {} -> {}",
            self.category, self.element, self.old, self.new
        )
    }
}

/// Compares `new` against `old` and returns the breaking changes, sorted by
/// element, then category.
pub fn check(old: &ProtoSet, new: &ProtoSet) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut renames = enums::check(old, new, &mut findings);
    renames.extend(messages::check(old, new, &renames, &mut findings));
    services::check(old, new, &renames, &mut findings);
    findings.sort_by(|a, b| (&a.element, a.category).cmp(&(&b.element, b.category)));
    findings.dedup();
    findings
}
