//! The registry of message types whose JSON form [`Any`](super::Any) can print and parse.
//!
//! The JSON form of an Any contains the fields of the packed message, so printing one needs the
//! message type to decode the bytes, and parsing one needs it to encode them. The
//! `google.protobuf` types of this module are built in. Other types are added at run time
//! with [`register_any_types`]; an Any of a type that nobody registered keeps its JSON
//! members instead (see [`Any`](super::Any)).

use std::borrow::Cow;
use std::sync::{PoisonError, RwLock};

use prost::{Message, Name};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Any, Duration, Empty, FieldMask, Timestamp};

/// Decodes the binary encoding of a message and returns its proto3 JSON form.
///
/// ```
/// use cwsandbox_control::wkt::{FromJsonFn, ToJsonFn};
/// use serde_json::{Value, json};
///
/// /// Converts a message whose encoding is its UTF-8 text.
/// fn text_to_json(bytes: &[u8]) -> Result<Value, String> {
///     String::from_utf8(bytes.to_vec()).map(Value::String).map_err(|error| error.to_string())
/// }
///
/// fn text_from_json(json: Value) -> Result<Vec<u8>, String> {
///     json.as_str().map(|text| text.as_bytes().to_vec()).ok_or(format!("{json} is not a string"))
/// }
///
/// let (to_json, from_json): (ToJsonFn, FromJsonFn) = (text_to_json, text_from_json);
/// assert_eq!(to_json(b"hi")?, json!("hi"));
/// assert_eq!(from_json(json!("hi"))?, b"hi");
/// assert!(from_json(json!(7)).is_err());
/// # Ok::<(), String>(())
/// ```
pub type ToJsonFn = fn(&[u8]) -> Result<Value, String>;

/// Reads the proto3 JSON form of a message and returns its binary encoding.
pub type FromJsonFn = fn(Value) -> Result<Vec<u8>, String>;

/// Placement of the packed message's JSON form in the JSON object of an Any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Embedding {
    /// The message's JSON is an object whose members sit beside `@type`.
    Members,
    /// The message's JSON sits under the member `value`, as proto3 JSON requires for the
    /// well-known types with a special JSON form: `{"@type": "...Duration", "value": "1s"}`.
    ValueMember,
}

/// A message type that [`Any`](super::Any) can convert between its binary encoding and its
/// JSON form.
///
/// Create one with [`AnyType::of`] and install it with [`register_any_types`].
#[derive(Clone, Debug)]
///
/// ```
/// use cwsandbox_control::v1beta2::GetRunnerRequest;
/// use cwsandbox_control::wkt::AnyType;
/// use prost::Message as _;
/// use serde_json::json;
///
/// let any_type = AnyType::of::<GetRunnerRequest>();
/// assert_eq!(any_type.full_name(), "coreweave.sandbox.v1beta2.GetRunnerRequest");
///
/// let bytes = GetRunnerRequest { id: "lab-west".into() }.encode_to_vec();
/// assert_eq!(any_type.to_json(&bytes)?, json!({"id": "lab-west"}));
/// assert_eq!(any_type.from_json(json!({"id": "lab-west"}))?, bytes);
/// assert!(any_type.from_json(json!({"id": 7})).is_err());
/// # Ok::<(), String>(())
/// ```
pub struct AnyType {
    full_name: Cow<'static, str>,
    to_json: ToJsonFn,
    from_json: FromJsonFn,
    pub(crate) embedding: Embedding,
}

impl AnyType {
    /// Describes the message type `M`, whose serde implementations must follow the proto3
    /// JSON mapping and give a JSON object, as pbjson-generated messages do.
    pub fn of<M>() -> Self
    where
        M: Message + Name + Default + Serialize + DeserializeOwned,
    {
        Self {
            full_name: Cow::Owned(M::full_name()),
            to_json: message_to_json::<M>,
            from_json: message_from_json::<M>,
            embedding: Embedding::Members,
        }
    }

    /// Returns the full message name, such as `google.rpc.ErrorInfo`.
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    /// Decodes the binary encoding `value` and returns the message's JSON form.
    ///
    /// # Errors
    ///
    /// Fails with a description when `value` does not decode or the message does not
    /// serialize.
    pub fn to_json(&self, value: &[u8]) -> Result<Value, String> {
        (self.to_json)(value)
    }

    /// Reads the message's JSON form and returns its binary encoding.
    ///
    /// # Errors
    ///
    /// Fails with a description when `json` is not a valid JSON form of the message.
    pub fn from_json(&self, json: Value) -> Result<Vec<u8>, String> {
        (self.from_json)(json)
    }
}

fn message_to_json<M>(value: &[u8]) -> Result<Value, String>
where
    M: Message + Default + Serialize,
{
    let message = M::decode(value).map_err(|error| error.to_string())?;
    serde_json::to_value(&message).map_err(|error| error.to_string())
}

fn message_from_json<M>(json: Value) -> Result<Vec<u8>, String>
where
    M: Message + DeserializeOwned,
{
    let message: M = serde_json::from_value(json).map_err(|error| error.to_string())?;
    Ok(message.encode_to_vec())
}

/// Describes a well-known type whose JSON sits under `value` in an Any.
const fn well_known(full_name: &'static str, to_json: ToJsonFn, from_json: FromJsonFn) -> AnyType {
    AnyType {
        full_name: Cow::Borrowed(full_name),
        to_json,
        from_json,
        embedding: Embedding::ValueMember,
    }
}

/// The types of this module, which every Any can print and parse. Registering one of these
/// names again is ignored, so that their `value` embedding cannot be replaced by mistake.
static BUILT_IN: [AnyType; 5] = [
    well_known(
        "google.protobuf.Timestamp",
        message_to_json::<Timestamp>,
        message_from_json::<Timestamp>,
    ),
    well_known(
        "google.protobuf.Duration",
        message_to_json::<Duration>,
        message_from_json::<Duration>,
    ),
    well_known(
        "google.protobuf.FieldMask",
        message_to_json::<FieldMask>,
        message_from_json::<FieldMask>,
    ),
    // Go's protojson writes Empty under `value` too, but Python's json_format (protobuf
    // 7.36.2) writes only `@type`. Parsing accepts both, as protojson does.
    well_known(
        "google.protobuf.Empty",
        message_to_json::<Empty>,
        message_from_json::<Empty>,
    ),
    well_known(
        "google.protobuf.Any",
        message_to_json::<Any>,
        message_from_json::<Any>,
    ),
];

/// Describes a message whose JSON members sit beside `@type` in an Any.
const fn members(full_name: &'static str, to_json: ToJsonFn, from_json: FromJsonFn) -> AnyType {
    AnyType {
        full_name: Cow::Borrowed(full_name),
        to_json,
        from_json,
        embedding: Embedding::Members,
    }
}

/// Generates the registry entries of the google.rpc error detail types.
macro_rules! rpc_details {
    ($($name:ident),* $(,)?) => {
        [$(members(
            concat!("google.rpc.", stringify!($name)),
            message_to_json::<crate::rpc::$name>,
            message_from_json::<crate::rpc::$name>,
        )),*]
    };
}

/// The google.rpc error details, known to every Any so that error bodies print and parse
/// without registration.
static RPC_DETAILS: [AnyType; 11] = rpc_details![
    ErrorInfo,
    RetryInfo,
    DebugInfo,
    QuotaFailure,
    PreconditionFailure,
    BadRequest,
    RequestInfo,
    ResourceInfo,
    Help,
    LocalizedMessage,
    Status,
];

/// Types added with [`register_any_types`], in registration order.
static REGISTERED: RwLock<Vec<AnyType>> = RwLock::new(Vec::new());

/// Adds message types to the registry that every [`Any`](super::Any) uses for its JSON form.
///
/// Registering is idempotent: a type whose full name is already registered replaces the
/// earlier entry. Entries for the built-in `google.protobuf` types (Timestamp, Duration,
/// FieldMask, Empty and Any) and the google.rpc error details are ignored. An Any read from JSON before its type was
/// registered keeps the JSON members it was read with.
///
/// ```
/// use cwsandbox_control::v1beta2::RunnerIdentity;
/// use cwsandbox_control::wkt::{Any, AnyType, register_any_types};
/// use serde_json::json;
///
/// let identity = RunnerIdentity { runner_id: "lab-west".into(), ..RunnerIdentity::default() };
/// let any = Any::pack(&identity);
///
/// // Until its type is registered, an Any cannot print the message's fields.
/// # if cwsandbox_control::wkt::find_any_type("coreweave.sandbox.v1beta2.RunnerIdentity").is_none() {
/// assert!(serde_json::to_value(&any).is_err());
/// # }
/// register_any_types([AnyType::of::<RunnerIdentity>()]);
/// assert_eq!(
///     serde_json::to_value(&any)?,
///     json!({
///         "@type": "type.googleapis.com/coreweave.sandbox.v1beta2.RunnerIdentity",
///         "runnerId": "lab-west",
///     })
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn register_any_types(types: impl IntoIterator<Item = AnyType>) {
    // Collect before locking, in case the iterator itself looks up a type.
    let types: Vec<AnyType> = types.into_iter().collect();
    let mut registered = REGISTERED.write().unwrap_or_else(PoisonError::into_inner);
    for any_type in types {
        if built_in(&any_type.full_name).is_some() {
            continue;
        }
        match registered
            .iter_mut()
            .find(|entry| entry.full_name == any_type.full_name)
        {
            Some(entry) => *entry = any_type,
            None => registered.push(any_type),
        }
    }
}

/// Returns the registry entry for a full message name such as `google.rpc.ErrorInfo`,
/// built-in or registered.
///
/// ```
/// use cwsandbox_control::wkt::find_any_type;
///
/// let error_info = find_any_type("google.rpc.ErrorInfo").unwrap();
/// assert_eq!(error_info.full_name(), "google.rpc.ErrorInfo");
/// assert!(find_any_type("acme.v1.NeverRegistered").is_none());
/// ```
pub fn find_any_type(full_name: &str) -> Option<AnyType> {
    if let Some(any_type) = built_in(full_name) {
        return Some(any_type.clone());
    }
    let registered = REGISTERED.read().unwrap_or_else(PoisonError::into_inner);
    registered
        .iter()
        .find(|entry| entry.full_name == full_name)
        .cloned()
}

fn built_in(full_name: &str) -> Option<&'static AnyType> {
    BUILT_IN
        .iter()
        .chain(&RPC_DETAILS)
        .find(|entry| entry.full_name == full_name)
}

/// Returns how the JSON of `full_name` sits in an Any; registered and unknown types embed
/// their members.
pub(crate) fn embedding_of(full_name: &str) -> Embedding {
    built_in(full_name).map_or(Embedding::Members, |entry| entry.embedding)
}
