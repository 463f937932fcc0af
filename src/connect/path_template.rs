//! Path templates of google.api.http rules and their expansion into URL paths.
//!
//! Grammar (from `google/api/http.proto`):
//!
//! ```text
//! Template = "/" Segments [ Verb ] ;
//! Segments = Segment { "/" Segment } ;
//! Segment  = "*" | "**" | LITERAL | Variable ;
//! Variable = "{" FieldPath [ "=" Segments ] "}" ;
//! FieldPath = IDENT { "." IDENT } ;
//! Verb     = ":" LITERAL ;
//! ```
//!
//! A variable that matches one segment (`{id}` or `{id=*}`) percent-encodes
//! every byte except `[-_.~0-9a-zA-Z]`, `/` included. A variable with a
//! multi-segment pattern (`{name=projects/*}`, `{path=**}`) keeps `/` as is,
//! and its value must match the pattern. Dot segments (`.`, `..`) are
//! percent-encoded as well, which google.api.http leaves open.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Bytes that stay literal in a single-segment variable: RFC 3986 unreserved.
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternSegment {
    Literal(String),
    /// `*`: exactly one non-empty segment.
    Single,
    /// `**`: the rest of the path, any number of segments.
    Rest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Variable(Variable),
}

/// A `{field.path=pattern}` variable of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// The field path, in proto field names: `runner.id`.
    pub field_path: String,
    pattern: Vec<PatternSegment>,
}

impl Variable {
    fn is_single_segment(&self) -> bool {
        self.pattern == [PatternSegment::Single]
    }

    /// Returns the pattern as written in the template, such as `projects/*`.
    fn pattern_text(&self) -> String {
        let parts: Vec<&str> = self
            .pattern
            .iter()
            .map(|segment| match segment {
                PatternSegment::Literal(text) => text.as_str(),
                PatternSegment::Single => "*",
                PatternSegment::Rest => "**",
            })
            .collect();
        parts.join("/")
    }

    /// Returns true when a value matches the pattern, segment by segment.
    fn matches(&self, value: &str) -> bool {
        let mut parts = value.split('/');
        for (index, segment) in self.pattern.iter().enumerate() {
            match segment {
                PatternSegment::Rest => return index + 1 == self.pattern.len(),
                PatternSegment::Single => match parts.next() {
                    Some(part) if !part.is_empty() => {}
                    _ => return false,
                },
                PatternSegment::Literal(text) => {
                    if parts.next() != Some(text.as_str()) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }
}

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathTemplate {
    segments: Vec<Segment>,
    verb: Option<String>,
}

/// The reason a variable's value could not be put into the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpandError {
    /// The value is missing or empty.
    Missing { field_path: String },
    /// The value does not match the variable's multi-segment pattern.
    Mismatch {
        field_path: String,
        value: String,
        pattern: String,
    },
}

impl PathTemplate {
    /// Parses a template such as `/v1/{name=projects/*}/things:cancel`.
    pub(crate) fn parse(template: &str) -> Result<PathTemplate, String> {
        let Some(rest) = template.strip_prefix('/') else {
            return Err(format!("path template {template:?} does not start with /"));
        };
        let (body, verb) = split_verb(rest);
        let mut segments = Vec::new();
        let mut remaining = body;
        while !remaining.is_empty() {
            let (segment, after) = parse_segment(remaining)
                .map_err(|error| format!("invalid path template {template:?}: {error}"))?;
            segments.push(segment);
            remaining = match after.strip_prefix('/') {
                Some(next) if !next.is_empty() => next,
                Some(_) => return Err(format!("path template {template:?} ends with /")),
                None if after.is_empty() => after,
                None => return Err(format!("invalid path template {template:?} near {after:?}")),
            };
        }
        Ok(PathTemplate {
            segments,
            verb: verb.map(str::to_string),
        })
    }

    /// Returns the variables in template order.
    #[cfg(test)]
    fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Variable(variable) => Some(variable),
            Segment::Literal(_) => None,
        })
    }

    /// Expands the template, asking `value_of` for each variable's value.
    pub(crate) fn expand(
        &self,
        mut value_of: impl FnMut(&Variable) -> Option<String>,
    ) -> Result<String, ExpandError> {
        let mut path = String::new();
        for segment in &self.segments {
            path.push('/');
            match segment {
                Segment::Literal(text) => path.push_str(text),
                Segment::Variable(variable) => {
                    let value = value_of(variable).unwrap_or_default();
                    path.push_str(&encode_variable(variable, &value)?);
                }
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        if let Some(verb) = &self.verb {
            path.push(':');
            path.push_str(verb);
        }
        Ok(path)
    }
}

fn encode_variable(variable: &Variable, value: &str) -> Result<String, ExpandError> {
    if value.is_empty() {
        return Err(ExpandError::Missing {
            field_path: variable.field_path.clone(),
        });
    }
    if variable.is_single_segment() {
        return Ok(encode_segment(value));
    }
    if !variable.matches(value) {
        return Err(ExpandError::Mismatch {
            field_path: variable.field_path.clone(),
            value: value.to_string(),
            pattern: variable.pattern_text(),
        });
    }
    let segments: Vec<String> = value.split('/').map(encode_segment).collect();
    Ok(segments.join("/"))
}

/// Percent-encodes one path segment. The dot segments `.` and `..` are
/// encoded too, so that a value cannot move the request to another path
/// when a server or proxy normalizes the URL.
fn encode_segment(segment: &str) -> String {
    if segment == "." || segment == ".." {
        return segment.replace('.', "%2E");
    }
    utf8_percent_encode(segment, UNRESERVED).to_string()
}

/// Splits off a trailing `:verb` that lies outside braces and after the last `/`.
fn split_verb(rest: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let mut verb_at = None;
    for (index, character) in rest.char_indices() {
        match character {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '/' if depth == 0 => verb_at = None,
            ':' if depth == 0 => verb_at = Some(index),
            _ => {}
        }
    }
    match verb_at {
        Some(index) => (&rest[..index], Some(&rest[index + 1..])),
        None => (rest, None),
    }
}

/// Parses one segment and returns it with the text after it.
fn parse_segment(text: &str) -> Result<(Segment, &str), String> {
    if let Some(inner) = text.strip_prefix('{') {
        let end = inner
            .find('}')
            .ok_or_else(|| "a variable has no closing }".to_string())?;
        let variable = parse_variable(&inner[..end])?;
        return Ok((Segment::Variable(variable), &inner[end + 1..]));
    }
    let end = text.find('/').unwrap_or(text.len());
    let literal = &text[..end];
    if literal.is_empty() {
        return Err("empty segment".to_string());
    }
    if literal.contains(['{', '}', '*']) {
        return Err(format!(
            "segment {literal:?} is a wildcard outside a variable, which a client cannot fill"
        ));
    }
    Ok((Segment::Literal(literal.to_string()), &text[end..]))
}

fn parse_variable(text: &str) -> Result<Variable, String> {
    let (field_path, pattern) = text.split_once('=').unwrap_or((text, "*"));
    let valid_ident = |ident: &str| {
        !ident.is_empty()
            && ident
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    };
    if !field_path.split('.').all(valid_ident) {
        return Err(format!("invalid field path {field_path:?} in a variable"));
    }
    let mut segments = Vec::new();
    for part in pattern.split('/') {
        let segment = match part {
            "*" => PatternSegment::Single,
            "**" => PatternSegment::Rest,
            "" => return Err(format!("empty segment in the pattern of {field_path}")),
            literal if literal.contains(['*', '{']) => {
                return Err(format!(
                    "invalid pattern segment {literal:?} in {field_path}"
                ));
            }
            literal => PatternSegment::Literal(literal.to_string()),
        };
        segments.push(segment);
    }
    let rest_count = segments
        .iter()
        .filter(|segment| **segment == PatternSegment::Rest)
        .count();
    if rest_count > 1 || (rest_count == 1 && segments.last() != Some(&PatternSegment::Rest)) {
        return Err(format!(
            "** must be the last segment of the pattern of {field_path}"
        ));
    }
    Ok(Variable {
        field_path: field_path.to_string(),
        pattern: segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(template: &str, value: &str) -> Result<String, ExpandError> {
        PathTemplate::parse(template)
            .unwrap()
            .expand(|_| Some(value.to_string()))
    }

    #[test]
    fn single_segment_encodes_reserved_bytes() {
        let cases = [
            ("abc-_.~09", "/v1/things/abc-_.~09"),
            ("a/b", "/v1/things/a%2Fb"),
            ("a?b", "/v1/things/a%3Fb"),
            ("100%", "/v1/things/100%25"),
            ("a b", "/v1/things/a%20b"),
            ("a#b&c=d+e", "/v1/things/a%23b%26c%3Dd%2Be"),
            ("héllo", "/v1/things/h%C3%A9llo"),
            ("日本", "/v1/things/%E6%97%A5%E6%9C%AC"),
            ("..", "/v1/things/%2E%2E"),
            (".", "/v1/things/%2E"),
            ("...", "/v1/things/..."),
        ];
        for (value, expected) in cases {
            assert_eq!(
                expand("/v1/things/{id}", value).unwrap(),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn multi_segment_keeps_slashes() {
        let path = expand("/v1/{name=projects/*}", "projects/p 1").unwrap();
        assert_eq!(path, "/v1/projects/p%201");
        let path = expand("/v1/{path=**}", "a/b/c?d").unwrap();
        assert_eq!(path, "/v1/a/b/c%3Fd");
        let path = expand("/v1/{name=projects/*/things/**}", "projects/p/things/x/y").unwrap();
        assert_eq!(path, "/v1/projects/p/things/x/y");
        let path = expand("/v1/{path=**}", "a/../b").unwrap();
        assert_eq!(path, "/v1/a/%2E%2E/b");
    }

    #[test]
    fn multi_segment_value_must_match_pattern() {
        for value in ["projects", "projects/", "folders/x", "projects/a/b"] {
            let error = expand("/v1/{name=projects/*}", value).unwrap_err();
            assert!(
                matches!(error, ExpandError::Mismatch { ref pattern, .. } if pattern == "projects/*"),
                "{value}: {error:?}"
            );
        }
    }

    #[test]
    fn empty_variable_is_missing() {
        let error = expand("/v1/things/{thing.id}", "").unwrap_err();
        assert_eq!(
            error,
            ExpandError::Missing {
                field_path: "thing.id".to_string()
            }
        );
    }

    #[test]
    fn verb_is_appended() {
        let path = expand("/v1/{name=runners/*}:restart", "runners/r1").unwrap();
        assert_eq!(path, "/v1/runners/r1:restart");
        let path = expand("/v1/things/{id}:cancel", "a:b").unwrap();
        assert_eq!(path, "/v1/things/a%3Ab:cancel");
    }

    #[test]
    fn variables_are_listed_in_order() {
        let template = PathTemplate::parse("/v1/{a.b}/x/{c=y/*}").unwrap();
        let names: Vec<_> = template
            .variables()
            .map(|variable| variable.field_path.as_str())
            .collect();
        assert_eq!(names, ["a.b", "c"]);
    }

    #[test]
    fn invalid_templates_are_rejected() {
        for template in [
            "v1/things",
            "/v1/{id",
            "/v1/*",
            "/v1/{a-b}",
            "/v1/{a=**/x}",
            "/v1//x",
            "/v1/x/",
            "/v1/{a}b",
        ] {
            assert!(PathTemplate::parse(template).is_err(), "{template}");
        }
    }
}
