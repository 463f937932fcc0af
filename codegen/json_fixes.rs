//! Closes two gaps between pbjson 0.9's output and the proto3 JSON mapping.
//!
//! - `null` is accepted for every field and means the field's default. pbjson
//!   reads optional and message fields through `Option<_>`, but reads strings,
//!   numbers, enums, repeated fields and maps as bare values, so `"labels": null`
//!   fails. Each bare `map_.next_value::<T>()?` is wrapped in `Option<T>` and
//!   falls back to the default.
//! - Enums are open in proto3: a number the schema does not name must survive a
//!   round trip. pbjson fails to print such a value and reads it as the default.
//!   Singular enum fields are printed and read through `OpenEnum`, which keeps
//!   the number.

const CALL: &str = "map_.next_value::<";
const UNTYPED_SOME: &str = "Some(map_.next_value()?)";
const OPTION: &str = "::std::option::Option<";

/// Helper types appended to each rewritten file.
const HELPERS: &str = r#"
/// A singular enum field in proto3 JSON: the value's name when the schema
/// names it, else its number.
struct OpenEnum<E>(i32, ::std::marker::PhantomData<E>);

impl<E> serde::Serialize for OpenEnum<E>
where
    E: TryFrom<i32> + serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match E::try_from(self.0) {
            Ok(known) => known.serialize(serializer),
            Err(_) => serializer.serialize_i32(self.0),
        }
    }
}

impl<'de, E> serde::Deserialize<'de> for OpenEnum<E>
where
    E: serde::Deserialize<'de> + Into<i32>,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<E>(::std::marker::PhantomData<E>);
        impl<'de, E> serde::de::Visitor<'de> for Visitor<E>
        where
            E: serde::Deserialize<'de> + Into<i32>,
        {
            type Value = i32;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("an enum value name or a 32-bit number")
            }
            fn visit_i64<Er: serde::de::Error>(self, v: i64) -> Result<i32, Er> {
                i32::try_from(v).map_err(|_| Er::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<Er: serde::de::Error>(self, v: u64) -> Result<i32, Er> {
                i32::try_from(v).map_err(|_| Er::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<Er: serde::de::Error>(self, v: &str) -> Result<i32, Er> {
                let deserializer = serde::de::value::StrDeserializer::<Er>::new(v);
                E::deserialize(deserializer).map(Into::into)
            }
        }
        deserializer
            .deserialize_any(Visitor::<E>(::std::marker::PhantomData))
            .map(|number| OpenEnum(number, ::std::marker::PhantomData))
    }
}
"#;

/// Rewrites pbjson output: `null` reads as the default and singular enum
/// fields keep numbers the schema does not name.
pub(crate) fn rewrite(source: &str) -> String {
    let source = open_enum_writes(source);
    let source = rewrite_reads(&source);
    if source.contains("OpenEnum<") {
        format!("{source}{HELPERS}")
    } else {
        source
    }
}

/// Replaces pbjson's failing conversion of a singular enum field before it is
/// printed with an `OpenEnum` that prints unknown numbers as numbers.
fn open_enum_writes(source: &str) -> String {
    const PREFIX: &str = "let v = ";
    const FAIL: &str = ".map_err(|_| serde::ser::Error::custom(format!(\"Invalid variant {}\", ";
    let mut output = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(fail) = rest.find(FAIL) {
        let statement_start = rest[..fail].rfind(PREFIX);
        let conversion = statement_start.map(|start| rest[start + PREFIX.len()..fail].trim_end());
        let end = rest[fail..]
            .find(")))?;")
            .map(|offset| fail + offset + ")))?;".len());
        match (statement_start, conversion.and_then(parse_try_from), end) {
            (Some(start), Some((enum_type, field)), Some(end)) => {
                output.push_str(&rest[..start]);
                output.push_str(&format!(
                    "let v = OpenEnum::<{enum_type}>({field}, ::std::marker::PhantomData);"
                ));
                rest = &rest[end..];
            }
            _ => {
                output.push_str(&rest[..fail + FAIL.len()]);
                rest = &rest[fail + FAIL.len()..];
            }
        }
    }
    output.push_str(rest);
    output
}

/// Splits `Type::try_from(self.field)` into the type and the field expression.
fn parse_try_from(conversion: &str) -> Option<(&str, &str)> {
    let (enum_type, argument) = conversion.split_once("::try_from(")?;
    let field = argument.strip_suffix(')')?;
    let simple = |text: &str| {
        text.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == ':')
    };
    (simple(enum_type) && field.starts_with("self.") && simple(field)).then_some((enum_type, field))
}

/// Wraps every bare field read in `Option` so that `null` reads as the default.
fn rewrite_reads(source: &str) -> String {
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
    if is_enum_read(ty, tail) {
        return format!("{CALL}{OPTION}OpenEnum<{ty}>>>()?.map(|x| x.0).unwrap_or_default()");
    }
    format!("{CALL}{OPTION}{ty}>>()?.unwrap_or_default()")
}

/// Returns true for a singular enum read: a plain type path followed by `as i32`.
fn is_enum_read(ty: &str, tail: &str) -> bool {
    tail.starts_with(" as i32")
        && ty
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ':')
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
