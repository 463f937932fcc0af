//! The field path tables that the code generator derives from the compiled
//! descriptors, and lookups in them.

/// The type of value a field path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A string, bytes, boolean or number.
    Scalar,
    /// A protobuf enum, stored as `i32`.
    Enum,
    /// A message, including the well-known types.
    Message,
    /// A `map<K, V>` field.
    Map,
}

/// One field path of a resource, generated from the message descriptors:
/// [`RUNNER_FIELD_PATHS`](crate::v1beta2::RUNNER_FIELD_PATHS) and
/// [`PROFILE_TEMPLATE_FIELD_PATHS`](crate::v1beta2::PROFILE_TEMPLATE_FIELD_PATHS).
///
/// The flags are the field's own `google.api.field_behavior` values. A field
/// inside an output-only or immutable message inherits that behavior, which
/// the flags of its row do not show.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::FieldKind;
/// use cwsandbox_control::v1beta2::RUNNER_FIELD_PATHS;
///
/// let runner_id = RUNNER_FIELD_PATHS.iter().find(|info| info.path == "identity.runner_id").unwrap();
/// assert!(runner_id.immutable);
/// assert_eq!(runner_id.kind, FieldKind::Scalar);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldPathInfo {
    /// Path in proto field names, such as `managed_spec.release_channel`.
    pub path: &'static str,
    /// Type of the value at the path; for a repeated field, of each element.
    pub kind: FieldKind,
    /// Whether the field is `repeated` (maps are not).
    pub repeated: bool,
    /// Whether the field carries `google.api.field_behavior = OUTPUT_ONLY`.
    pub output_only: bool,
    /// Whether the field carries `google.api.field_behavior = IMMUTABLE`.
    pub immutable: bool,
    /// Whether the field carries `google.api.field_behavior = REQUIRED`.
    pub required: bool,
}

/// Returns the row of `path` in `table`.
pub(crate) fn find(table: &'static [FieldPathInfo], path: &str) -> Option<&'static FieldPathInfo> {
    table.iter().find(|info| info.path == path)
}

/// Returns the rows of the proper ancestors of `path` that exist in `table`,
/// nearest first.
pub(crate) fn ancestors<'a>(
    table: &'static [FieldPathInfo],
    path: &'a str,
) -> impl Iterator<Item = &'static FieldPathInfo> + 'a {
    path.rmatch_indices('.')
        .filter_map(move |(end, _)| find(table, &path[..end]))
}
