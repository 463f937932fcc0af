//! Well-known protobuf types (`google.protobuf.*`) with proto3 JSON forms.
//!
//! The generated messages refer to these types through `extern_path`, so their
//! JSON follows the proto3 JSON mapping rather than the shape of the Rust structs.

/// A point in time: seconds and nanoseconds since the Unix epoch, in UTC.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    ::prost::Message,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Non-negative fraction of a second in nanoseconds, below 1,000,000,000.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// A signed span of time with nanosecond precision.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    ::prost::Message,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Duration {
    /// Whole seconds of the span.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Fraction of a second in nanoseconds, with the sign of `seconds`.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// A set of field paths (snake_case, dotted) that an update applies to.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message, serde::Serialize, serde::Deserialize)]
pub struct FieldMask {
    /// The paths, in proto field names: `managed_spec.release_channel`.
    #[prost(string, repeated, tag = "1")]
    pub paths: Vec<String>,
}

/// A message of any type, identified by its type URL.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message, serde::Serialize, serde::Deserialize)]
pub struct Any {
    /// The type URL, `type.googleapis.com/<full message name>`.
    #[prost(string, tag = "1")]
    pub type_url: String,
    /// The binary encoding of the message.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// The empty message, returned by methods with no result.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, ::prost::Message, serde::Serialize, serde::Deserialize,
)]
pub struct Empty {}
