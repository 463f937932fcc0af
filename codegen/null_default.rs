//! Makes pbjson's generated field reads accept `null` as the default value.
//!
//! The proto3 JSON mapping says that `null` is accepted for every field type and
//! means the field's default. pbjson 0.9 reads optional and message fields
//! through `Option<_>`, but reads strings, numbers, enums, repeated fields and
//! maps as bare values, so `"labels": null` fails. This pass wraps each bare
//! `map_.next_value::<T>()?` in `Option<T>` and falls back to the default.

const CALL: &str = "map_.next_value::<";
const UNTYPED_SOME: &str = "Some(map_.next_value()?)";
const OPTION: &str = "::std::option::Option<";

/// Rewrites every bare field read in pbjson output to accept `null`.
pub(crate) fn rewrite(source: &str) -> String {
    let source = source.replace(
        UNTYPED_SOME,
        "Some(map_.next_value::<::std::option::Option<_>>()?.unwrap_or_default())",
    );

    let mut output = String::with_capacity(source.len() + source.len() / 8);
    let mut rest = source.as_str();
    while let Some(start) = rest.find(CALL) {
        output.push_str(&rest[..start]);
        let after = &rest[start + CALL.len()..];
        let Some(type_len) = generic_argument_len(after) else {
            output.push_str(&rest[start..]);
            return output;
        };
        let ty = &after[..type_len];
        let tail = &after[type_len + 1..];
        let Some(tail) = tail.strip_prefix("()?") else {
            output.push_str(&rest[start..start + CALL.len() + type_len + 1]);
            rest = tail;
            continue;
        };
        output.push_str(&replacement(ty, tail));
        rest = tail
            .strip_prefix(".0")
            .filter(|_| is_wrapper(ty))
            .unwrap_or(tail);
    }
    output.push_str(rest);
    output
}

/// Returns the text that replaces one `map_.next_value::<ty>()?` read.
fn replacement(ty: &str, tail: &str) -> String {
    let already_optional = ty.starts_with(OPTION)
        || ty.starts_with("serde::de::IgnoredAny")
        || ty.starts_with("GeneratedField");
    if already_optional {
        return format!("{CALL}{ty}>()?");
    }
    // `NumberDeserialize<_>` and `BytesDeserialize<_>` have no `Default`, so the
    // unwrapping `.0` that follows the read moves inside the `map`.
    if is_wrapper(ty) && tail.starts_with(".0") {
        return format!("{CALL}{OPTION}{ty}>>()?.map(|x| x.0).unwrap_or_default()");
    }
    format!("{CALL}{OPTION}{ty}>>()?.unwrap_or_default()")
}

fn is_wrapper(ty: &str) -> bool {
    ty.starts_with("::pbjson::private::NumberDeserialize")
        || ty.starts_with("::pbjson::private::BytesDeserialize")
}

/// Returns the length of the generic argument that starts `text`, up to its
/// closing `>`.
fn generic_argument_len(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'<' => depth += 1,
            b'>' if depth == 0 => return Some(index),
            b'>' => depth -= 1,
            _ => {}
        }
    }
    None
}
