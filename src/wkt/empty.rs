//! `google.protobuf.Empty`, printed and parsed as `{}`.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The empty message, returned by methods with no result.
///
/// The proto3 JSON form is `{}`. Parsing accepts any object and ignores its members, so that
/// a server that adds fields to a response does not break a client. JSON `null` for a field
/// of this type is handled by the message that contains the field.
#[derive(Clone, Copy, PartialEq, Eq, Hash, ::prost::Message)]
///
/// ```
/// use cwsandbox_control::wkt::Empty;
///
/// assert_eq!(serde_json::to_string(&Empty {})?, "{}");
/// let parsed: Empty = serde_json::from_str(r#"{"addedLater": 1}"#)?;
/// assert_eq!(parsed, Empty {});
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Empty {}

impl prost::Name for Empty {
    const NAME: &'static str = "Empty";
    const PACKAGE: &'static str = "google.protobuf";

    fn type_url() -> String {
        "type.googleapis.com/google.protobuf.Empty".into()
    }
}

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EmptyVisitor)
    }
}

struct EmptyVisitor;

impl<'de> Visitor<'de> for EmptyVisitor {
    type Value = Empty;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an empty object {}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Empty, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Empty {})
    }

    /// Reads a unit as Empty too, for formats that give one for an empty value.
    fn visit_unit<E: de::Error>(self) -> Result<Empty, E> {
        Ok(Empty {})
    }
}
