//! `google.protobuf.Any`, printed and parsed as `{"@type": ..., <fields of the message>}`.

use std::borrow::Cow;
use std::cell::Cell;

use prost::bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType};
use prost::{DecodeError, Message, Name};
use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::any_type::{Embedding, embedding_of, find_any_type};
use super::error::{WktError, quoted};

/// Type URL prefix that proto3 JSON peers expect in `@type`.
const TYPE_URL_PREFIX: &str = "type.googleapis.com";

/// Full name of Any itself, which can be packed in another Any.
const ANY_FULL_NAME: &str = "google.protobuf.Any";

/// JSON member that names the packed message type.
const TYPE_MEMBER: &str = "@type";

/// JSON member that contains a well-known type with a special JSON form.
const VALUE_MEMBER: &str = "value";

const MISSING_VALUE: &str = "the \"value\" member is missing";

/// Maximum number of Any messages nested inside one another that JSON conversion follows.
/// Each level converts through serde again, so the limit bounds the stack that a hostile
/// binary message can make the conversion use.
const MAX_NESTING: u32 = 64;

thread_local! {
    /// Number of Any conversions in progress on this thread.
    static NESTING: Cell<u32> = const { Cell::new(0) };
}

/// Marks one Any conversion in progress until dropped.
struct NestingGuard;

impl NestingGuard {
    fn enter() -> Result<Self, WktError> {
        let depth = NESTING.with(Cell::get);
        if depth >= MAX_NESTING {
            return Err(WktError::new(format!(
                "google.protobuf.Any values are nested more than {MAX_NESTING} levels deep"
            )));
        }
        NESTING.with(|nesting| nesting.set(depth + 1));
        Ok(Self)
    }
}

impl Drop for NestingGuard {
    fn drop(&mut self) {
        NESTING.with(|nesting| nesting.set(nesting.get().saturating_sub(1)));
    }
}

/// A message of any type, identified by its type URL.
///
/// The proto3 JSON form is an object with the type URL under `@type` and the members of the
/// packed message beside it:
/// `{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "NOT_FOUND"}`. The
/// well-known types Timestamp, Duration, FieldMask, Empty and Any have a special JSON form,
/// which sits under `value`: `{"@type": ".../google.protobuf.Duration", "value": "1.5s"}`.
///
/// Printing and parsing the members needs the message type, which the registry provides
/// (see [`register_any_types`](super::register_any_types)). Parsing an object whose `@type`
/// is not registered is not an error. The Any then keeps the other members as JSON
/// ([`Any::json_fields`]) and prints them back as they were read, possibly in another member
/// order. [`Any::unpack`] reads them with the serde of the target type. Those members are not
/// part of the binary encoding, so encoding such an Any writes only its type URL and an
/// empty `value`.
///
/// The empty object `{}` parses as the empty Any, which prints as `{}`. An object with other
/// members and no `@type` is an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
///
/// ```
/// use cwsandbox_control::rpc::ErrorInfo;
/// use cwsandbox_control::wkt::Any;
/// use serde_json::json;
///
/// let info = ErrorInfo { reason: "STOCKOUT".into(), ..ErrorInfo::default() };
/// let any = Any::pack(&info);
/// let json = serde_json::to_value(&any)?;
/// assert_eq!(json, json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "STOCKOUT"}));
///
/// let back: Any = serde_json::from_value(json)?;
/// assert_eq!(back.unpack::<ErrorInfo>()?, Some(info));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Any {
    /// The type URL, `type.googleapis.com/<full message name>`.
    pub type_url: String,
    /// The binary encoding of the message.
    pub value: Vec<u8>,
    /// The JSON members of a message whose type was not registered when it was parsed.
    json: Option<Map<String, Value>>,
}

impl Name for Any {
    const NAME: &'static str = "Any";
    const PACKAGE: &'static str = "google.protobuf";

    fn type_url() -> String {
        "type.googleapis.com/google.protobuf.Any".into()
    }
}

impl Any {
    /// Creates an Any from a type URL and the binary encoding of a message of that type.
    ///
    /// ```
    /// use cwsandbox_control::wkt::{Any, Duration};
    /// use prost::Message as _;
    ///
    /// let bytes = Duration { seconds: 3, nanos: 0 }.encode_to_vec();
    /// let any = Any::new("type.googleapis.com/google.protobuf.Duration", bytes);
    /// assert_eq!(serde_json::to_string(&any)?, r#"{"@type":"type.googleapis.com/google.protobuf.Duration","value":"3s"}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn new(type_url: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Self {
            type_url: type_url.into(),
            value: value.into(),
            json: None,
        }
    }

    /// Packs `message` with its type URL.
    ///
    /// The type URL is `M::type_url()`. When that has no host, as with prost's default of
    /// `/<full name>`, the host `type.googleapis.com` is added, because proto3 JSON peers
    /// expect it.
    ///
    /// ```
    /// use cwsandbox_control::wkt::{Any, Timestamp};
    ///
    /// let any = Any::pack(&Timestamp::from_unix(0, 0)?);
    /// assert_eq!(any.type_url, "type.googleapis.com/google.protobuf.Timestamp");
    /// assert_eq!(any.type_name(), "google.protobuf.Timestamp");
    /// # Ok::<(), cwsandbox_control::wkt::WktError>(())
    /// ```
    pub fn pack<M: Message + Name>(message: &M) -> Self {
        let mut type_url = M::type_url();
        if type_url.starts_with('/') {
            type_url.insert_str(0, TYPE_URL_PREFIX);
        }
        Self::new(type_url, message.encode_to_vec())
    }

    /// Returns the full message name: the part of the type URL after the last `/`, such as
    /// `google.rpc.ErrorInfo`.
    ///
    /// ```
    /// use cwsandbox_control::wkt::Any;
    ///
    /// let any = Any::new("type.googleapis.com/google.rpc.ErrorInfo", Vec::new());
    /// assert_eq!(any.type_name(), "google.rpc.ErrorInfo");
    /// ```
    pub fn type_name(&self) -> &str {
        type_name_of(&self.type_url)
    }

    /// Returns the JSON members (without `@type`) of a message whose type was not
    /// registered when this Any was parsed from JSON, or `None` when the Any contains the binary
    /// encoding.
    ///
    /// ```
    /// use cwsandbox_control::wkt::Any;
    /// use serde_json::json;
    ///
    /// // Nobody registered acme.v1.QuotaHint, so its members stay JSON.
    /// let json = json!({"@type": "type.googleapis.com/acme.v1.QuotaHint", "bucket": "cpu"});
    /// let any: Any = serde_json::from_value(json.clone())?;
    /// assert_eq!(any.json_fields().unwrap()["bucket"], "cpu");
    /// assert_eq!(serde_json::to_value(&any)?, json);
    ///
    /// let packed = Any::pack(&cwsandbox_control::wkt::Empty {});
    /// assert_eq!(packed.json_fields(), None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn json_fields(&self) -> Option<&Map<String, Value>> {
        self.json.as_ref()
    }

    /// Returns the packed message when it is of type `M`, or `None` for another type.
    ///
    /// An Any parsed from JSON of a type that was not registered is read from its JSON
    /// members with the serde of `M`.
    ///
    /// # Errors
    ///
    /// Fails when the type matches but the binary encoding or the JSON members are not a
    /// valid `M`.
    ///
    /// ```
    /// use cwsandbox_control::rpc::{ErrorInfo, RetryInfo};
    /// use cwsandbox_control::wkt::Any;
    ///
    /// let any = Any::pack(&ErrorInfo { reason: "STOCKOUT".into(), ..ErrorInfo::default() });
    /// assert_eq!(any.unpack::<ErrorInfo>()?.unwrap().reason, "STOCKOUT");
    /// assert_eq!(any.unpack::<RetryInfo>()?, None, "another type");
    ///
    /// let broken = Any::new(any.type_url.clone(), vec![0xff]);
    /// assert!(broken.unpack::<ErrorInfo>().is_err());
    /// # Ok::<(), cwsandbox_control::wkt::WktError>(())
    /// ```
    pub fn unpack<M>(&self) -> Result<Option<M>, WktError>
    where
        M: Message + Name + Default + DeserializeOwned,
    {
        let full_name = M::full_name();
        if self.type_name() != full_name {
            return Ok(None);
        }
        let failed = || {
            format!(
                "cannot unpack google.protobuf.Any of type {} as {full_name}",
                quoted(&self.type_url)
            )
        };
        let Some(fields) = &self.json else {
            return M::decode(self.value.as_slice())
                .map(Some)
                .map_err(|error| WktError::with_source(failed(), error));
        };
        let json = match embedding_of(&full_name) {
            Embedding::Members => Value::Object(fields.clone()),
            Embedding::ValueMember => fields.get(VALUE_MEMBER).cloned().unwrap_or(Value::Null),
        };
        serde_json::from_value(json)
            .map(Some)
            .map_err(|error| WktError::with_source(failed(), error))
    }

    /// Returns the JSON members to print beside `@type`.
    fn json_members(&self) -> Result<Cow<'_, Map<String, Value>>, WktError> {
        if let Some(fields) = &self.json {
            return Ok(Cow::Borrowed(fields));
        }
        let cannot_print = |reason: String| {
            WktError::new(format!(
                "cannot print google.protobuf.Any of type {} as JSON: {reason}",
                quoted(&self.type_url)
            ))
        };
        if self.type_url.is_empty() {
            return Err(cannot_print(
                "the type URL is empty but the value is not".into(),
            ));
        }

        let name = self.type_name();
        let Some(any_type) = find_any_type(name) else {
            // An empty encoding is a message with every field at its default, whose JSON
            // object has no members, unless it is a well-known type with a special form.
            if self.value.is_empty() && !name.starts_with("google.protobuf.") {
                return Ok(Cow::Owned(Map::new()));
            }
            return Err(cannot_print(format!(
                "the message type {name} is not registered; register its Rust type M \
                 with wkt::register_any_types([AnyType::of::<M>()])"
            )));
        };

        let _guard = NestingGuard::enter()?;
        let json = any_type.to_json(&self.value).map_err(&cannot_print)?;
        match (any_type.embedding, json) {
            (Embedding::ValueMember, json) => Ok(Cow::Owned(Map::from_iter([(
                VALUE_MEMBER.to_owned(),
                json,
            )]))),
            (Embedding::Members, Value::Object(members)) => Ok(Cow::Owned(members)),
            (Embedding::Members, other) => Err(cannot_print(format!(
                "the JSON form of {name} is {other}, not an object"
            ))),
        }
    }

    /// Builds an Any from the members of its JSON object.
    fn from_json_object(mut members: Map<String, Value>) -> Result<Self, WktError> {
        if members.is_empty() {
            return Ok(Self::default());
        }
        let type_url = match members.remove(TYPE_MEMBER) {
            Some(Value::String(url)) if !url.is_empty() => url,
            Some(other) => {
                return Err(WktError::new(format!(
                    "invalid \"@type\" {other} in google.protobuf.Any; expected a type URL \
                     string such as \"type.googleapis.com/google.rpc.ErrorInfo\""
                )));
            }
            None => {
                let names: Vec<&String> = members.keys().take(5).collect();
                return Err(WktError::new(format!(
                    "missing \"@type\" in google.protobuf.Any with the members {names:?}; \
                     an Any object must name its message type in \"@type\""
                )));
            }
        };
        let name = type_name_of(&type_url).to_owned();
        let Some(any_type) = find_any_type(&name) else {
            return Ok(Self {
                type_url,
                value: Vec::new(),
                json: Some(members),
            });
        };
        let invalid = |reason: String| {
            WktError::new(format!(
                "invalid JSON for {} in google.protobuf.Any: {reason}",
                quoted(&type_url)
            ))
        };

        let _guard = NestingGuard::enter()?;
        let json = match any_type.embedding {
            Embedding::Members => Value::Object(members),
            Embedding::ValueMember if name == ANY_FULL_NAME => {
                return Self::nested_from_json_object(type_url, members);
            }
            Embedding::ValueMember => match members.get(VALUE_MEMBER) {
                Some(json) => json.clone(),
                // Python's json_format (protobuf 7.36.2) writes an Empty in an Any without
                // `value`.
                None if name == "google.protobuf.Empty" => Value::Object(Map::new()),
                None => return Err(invalid(MISSING_VALUE.into())),
            },
        };
        let value = any_type.from_json(json).map_err(invalid)?;
        Ok(Self::new(type_url, value))
    }

    /// Builds an Any that packs another Any, whose JSON sits under `value`.
    fn nested_from_json_object(
        type_url: String,
        members: Map<String, Value>,
    ) -> Result<Self, WktError> {
        let invalid = |reason: String| {
            WktError::new(format!(
                "invalid JSON for {} in google.protobuf.Any: {reason}",
                quoted(&type_url)
            ))
        };
        let json = members
            .get(VALUE_MEMBER)
            .ok_or_else(|| invalid(MISSING_VALUE.into()))?;
        let inner = Self::deserialize(json).map_err(|error| invalid(error.to_string()))?;

        // An inner Any that keeps JSON members has no binary encoding, so the outer Any keeps
        // its members too rather than encode the inner one without them.
        if inner.json.is_some() {
            return Ok(Self {
                type_url,
                value: Vec::new(),
                json: Some(members),
            });
        }
        Ok(Self::new(type_url, inner.encode_to_vec()))
    }
}

/// Returns the part of a type URL after the last `/`, or all of it when it has none.
fn type_name_of(type_url: &str) -> &str {
    match type_url.rsplit_once('/') {
        Some((_, name)) => name,
        None => type_url,
    }
}

/// The binary encoding has `type_url` (field 1) and `value` (field 2). JSON members kept for
/// an unregistered type are not encoded, and decoding a field into an Any drops them.
impl Message for Any {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        if !self.type_url.is_empty() {
            prost::encoding::string::encode(1, &self.type_url, buf);
        }
        if !self.value.is_empty() {
            prost::encoding::bytes::encode(2, &self.value, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => {
                self.json = None;
                prost::encoding::string::merge(wire_type, &mut self.type_url, buf, ctx).map_err(
                    |mut error| {
                        error.push("Any", "type_url");
                        error
                    },
                )
            }
            2 => {
                self.json = None;
                prost::encoding::bytes::merge(wire_type, &mut self.value, buf, ctx).map_err(
                    |mut error| {
                        error.push("Any", "value");
                        error
                    },
                )
            }
            _ => prost::encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        let mut len = 0;
        if !self.type_url.is_empty() {
            len += prost::encoding::string::encoded_len(1, &self.type_url);
        }
        if !self.value.is_empty() {
            len += prost::encoding::bytes::encoded_len(2, &self.value);
        }
        len
    }

    fn clear(&mut self) {
        self.type_url.clear();
        self.value.clear();
        self.json = None;
    }
}

impl Serialize for Any {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.type_url.is_empty() && self.value.is_empty() && self.json.is_none() {
            return serializer.serialize_map(Some(0))?.end();
        }
        let members = self.json_members().map_err(serde::ser::Error::custom)?;
        let mut map = serializer.serialize_map(Some(members.len() + 1))?;
        map.serialize_entry(TYPE_MEMBER, &self.type_url)?;
        for (name, value) in members.iter().filter(|(name, _)| *name != TYPE_MEMBER) {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Any {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = Map::<String, Value>::deserialize(deserializer)?;
        Self::from_json_object(members).map_err(serde::de::Error::custom)
    }
}
