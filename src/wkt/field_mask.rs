//! `google.protobuf.FieldMask`, printed and parsed as one string of lowerCamelCase paths.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{WktError, quoted};

/// A set of field paths that an update or a read applies to.
///
/// `paths` contains proto field names in snake_case, joined by dots:
/// `managed_spec.release_channel`. The proto3 JSON form is a single string of the paths in
/// lowerCamelCase, separated by commas: `"managedSpec.releaseChannel,profileBindings"`. The
/// empty string is the empty mask.
///
/// Converting to JSON turns each `_x` into `X`. A path must convert back unchanged, so it may
/// contain only `a-z`, `0-9`, `_` and `.`, every `_` must be followed by a lowercase letter,
/// and no segment between dots may be empty. Serializing a mask with another path is an
/// error that names the path.
///
/// Parsing JSON turns each uppercase letter `X` into `_x`. It also accepts a path already
/// written in snake_case, such as `managed_spec.release_channel`, when that path follows the
/// rules above and so converts to camelCase and back without loss. Go's protojson and
/// Python's json_format (protobuf 7.36.2) reject any `_` in a JSON path, so a mask printed
/// by this type always uses camelCase. A path that mixes `_` and uppercase letters
/// is ambiguous and is rejected, as are empty segments, any character outside
/// `A-Za-z0-9_.`, and spaces around the commas.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
///
/// ```
/// use cwsandbox_control::wkt::FieldMask;
///
/// let mask: FieldMask = "managedSpec.releaseChannel,profileBindings".parse()?;
/// assert_eq!(mask.paths, ["managed_spec.release_channel", "profile_bindings"]);
/// assert_eq!(
///     serde_json::to_string(&mask).unwrap(),
///     r#""managedSpec.releaseChannel,profileBindings""#
/// );
/// assert!("managed_Spec".parse::<FieldMask>().is_err(), "mixes _ and uppercase");
/// # Ok::<(), cwsandbox_control::wkt::WktError>(())
/// ```
pub struct FieldMask {
    /// The paths, in proto field names: `managed_spec.release_channel`.
    #[prost(string, repeated, tag = "1")]
    pub paths: Vec<String>,
}

impl prost::Name for FieldMask {
    const NAME: &'static str = "FieldMask";
    const PACKAGE: &'static str = "google.protobuf";

    fn type_url() -> String {
        "type.googleapis.com/google.protobuf.FieldMask".into()
    }
}

impl FieldMask {
    /// Creates a mask from snake_case paths such as `"managed_spec.release_channel"`.
    ///
    /// The paths are stored as given. [`FieldMask::validate`] checks them, and so does
    /// serialization.
    ///
    /// ```
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// let mask = FieldMask::new(["display_name", "labels"]);
    /// assert_eq!(mask.paths, ["display_name", "labels"]);
    /// ```
    pub fn new<I>(paths: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self {
            paths: paths.into_iter().map(Into::into).collect(),
        }
    }

    /// Returns whether the mask has no paths.
    ///
    /// ```
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// assert!(FieldMask::default().is_empty());
    /// assert!("".parse::<FieldMask>().unwrap().is_empty());
    /// assert!(!FieldMask::new(["labels"]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Returns whether the snake_case `path` is in the mask: listed itself, or below a listed
    /// path. A mask of `managed_spec` contains `managed_spec.release_channel`, but a mask of
    /// `managed_spec.release_channel` does not contain `managed_spec`.
    ///
    /// ```
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// let mask = FieldMask::new(["managed_spec"]);
    /// assert!(mask.contains("managed_spec.release_channel"));
    /// assert!(!mask.contains("managed"));
    /// assert!(!FieldMask::new(["managed_spec.release_channel"]).contains("managed_spec"));
    /// ```
    pub fn contains(&self, path: &str) -> bool {
        self.paths
            .iter()
            .any(|listed| is_same_or_below(path, listed))
    }

    /// Returns the mask with its paths sorted, without duplicates, and without paths that a
    /// listed parent path already covers: `b,a.x,a,b` becomes `a,b`.
    ///
    /// ```
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// let mask = FieldMask::new(["b", "a.x", "a", "b"]);
    /// assert_eq!(mask.normalized().paths, ["a", "b"]);
    /// ```
    pub fn normalized(&self) -> Self {
        let mut paths = self.paths.clone();
        paths.sort();
        paths.dedup();
        let listed: HashSet<&str> = paths.iter().map(String::as_str).collect();
        let minimal_paths = paths
            .iter()
            .filter(|path| !parent_paths(path).any(|parent| listed.contains(parent)))
            .cloned()
            .collect();
        Self {
            paths: minimal_paths,
        }
    }

    /// Checks that every path can be printed in JSON and read back unchanged.
    ///
    /// # Errors
    ///
    /// Fails on the first path that breaks the rules in the type documentation, and names it.
    ///
    /// ```
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// assert!(FieldMask::new(["managed_spec.release_channel"]).validate().is_ok());
    /// assert!(FieldMask::new(["managed__spec"]).validate().is_err());
    /// assert!(FieldMask::new(["labels."]).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), WktError> {
        for path in &self.paths {
            snake_to_camel(path)?;
        }
        Ok(())
    }

    /// Returns the JSON form: the paths in lowerCamelCase, joined by commas.
    ///
    /// # Errors
    ///
    /// Fails on the first path that cannot be printed, and names it.
    ///
    /// ```
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// let mask = FieldMask::new(["managed_spec.release_channel", "display_name"]);
    /// assert_eq!(mask.to_json_string()?, "managedSpec.releaseChannel,displayName");
    /// # Ok::<(), cwsandbox_control::wkt::WktError>(())
    /// ```
    pub fn to_json_string(&self) -> Result<String, WktError> {
        let mut out = String::new();
        for (index, path) in self.paths.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(&snake_to_camel(path)?);
        }
        Ok(out)
    }
}

/// Parses the JSON form, comma-separated lowerCamelCase paths, with the rules of the type
/// documentation. The empty string is the empty mask.
impl FromStr for FieldMask {
    type Err = WktError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Ok(Self::default());
        }
        let paths = text
            .split(',')
            .map(json_path_to_snake)
            .collect::<Result<_, _>>()?;
        Ok(Self { paths })
    }
}

impl Serialize for FieldMask {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_json_string().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for FieldMask {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FieldMaskVisitor)
    }
}

struct FieldMaskVisitor;

impl Visitor<'_> for FieldMaskVisitor {
    type Value = FieldMask;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field mask string such as \"managedSpec.releaseChannel,profileBindings\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<FieldMask, E> {
        text.parse().map_err(E::custom)
    }
}

/// Returns whether `path` equals `listed` or names a field below it.
fn is_same_or_below(path: &str, listed: &str) -> bool {
    match path.strip_prefix(listed) {
        Some(rest) => rest.is_empty() || rest.starts_with('.'),
        None => false,
    }
}

/// Yields the proper parent paths of `path`: `a.b.c` gives `a` and `a.b`.
fn parent_paths(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('.').map(move |(dot, _)| &path[..dot])
}

/// Checks the characters and segments that every path needs, in either case style.
fn check_path_shape(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.split('.').any(str::is_empty) {
        return Err("a segment between dots is empty".into());
    }
    if let Some(bad) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(format!(
            "the character {bad:?} is not allowed; paths use only A-Z, a-z, 0-9, '_' and '.'"
        ));
    }
    Ok(())
}

/// Checks that a snake_case path converts to camelCase and back unchanged.
fn check_reversible_snake(path: &str) -> Result<(), String> {
    if let Some(upper) = path.chars().find(char::is_ascii_uppercase) {
        return Err(format!(
            "the uppercase letter {upper:?} would not survive conversion to camelCase and \
             back; paths use snake_case proto field names"
        ));
    }
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '_' {
            continue;
        }
        let found = match chars.peek() {
            Some(next) if next.is_ascii_lowercase() => continue,
            Some(next) => format!("by {next:?}"),
            None => "by the end of the path".into(),
        };
        return Err(format!(
            "'_' is followed {found}, but only a lowercase letter after '_' survives \
             conversion to camelCase and back"
        ));
    }
    Ok(())
}

/// Converts a snake_case path to its lowerCamelCase JSON form.
fn snake_to_camel(path: &str) -> Result<String, WktError> {
    check_path_shape(path)
        .and_then(|()| check_reversible_snake(path))
        .map_err(|reason| {
            WktError::new(format!(
                "field mask path {} cannot be written in JSON: {reason}",
                quoted(path)
            ))
        })?;
    let mut camel = String::with_capacity(path.len());
    let mut upper_next = false;
    for c in path.chars() {
        if c == '_' {
            upper_next = true;
        } else if upper_next {
            camel.push(c.to_ascii_uppercase());
            upper_next = false;
        } else {
            camel.push(c);
        }
    }
    Ok(camel)
}

/// Converts one path of the JSON form to snake_case, accepting snake_case input that converts
/// without loss.
fn json_path_to_snake(path: &str) -> Result<String, WktError> {
    let invalid = |reason: String| {
        WktError::new(format!(
            "invalid field mask path {}: {reason}; expected comma-separated lowerCamelCase \
             paths such as \"managedSpec.releaseChannel,profileBindings\"",
            quoted(path)
        ))
    };
    check_path_shape(path).map_err(invalid)?;

    if path.contains('_') {
        // Already snake_case: keep it only when it has a single meaning.
        check_reversible_snake(path).map_err(|reason| {
            invalid(format!(
                "{reason}; a path that contains '_' is read as snake_case"
            ))
        })?;
        return Ok(path.to_owned());
    }

    let mut snake = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    Ok(snake)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_paths_lists_each_prefix() {
        let parents: Vec<&str> = parent_paths("a.b.c").collect();
        assert_eq!(parents, ["a", "a.b"]);
        assert_eq!(parent_paths("a").count(), 0);
    }

    #[test]
    fn is_same_or_below_needs_a_dot_boundary() {
        assert!(is_same_or_below("a.b", "a"));
        assert!(is_same_or_below("a", "a"));
        assert!(!is_same_or_below("ab", "a"));
        assert!(!is_same_or_below("a", "a.b"));
    }
}
