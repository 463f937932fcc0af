//! Well-known protobuf types (`google.protobuf.*`) with their proto3 JSON forms.
//!
//! The generated messages refer to these types through `extern_path`, so their JSON follows
//! the proto3 JSON mapping rather than the shape of the Rust structs:
//!
//! | type | JSON form |
//! | --- | --- |
//! | [`Timestamp`] | RFC 3339 string in UTC: `"2024-05-01T12:30:00.250Z"` |
//! | [`Duration`] | decimal seconds: `"1.500s"` |
//! | [`FieldMask`] | one string of lowerCamelCase paths: `"managedSpec.releaseChannel,labels"` |
//! | [`Any`] | `{"@type": "type.googleapis.com/google.rpc.ErrorInfo", ...members}` |
//! | [`Empty`] | `{}` |
//!
//! Serializing a value that has no valid JSON form (a Timestamp after the year 9999, a
//! Duration whose fields disagree in sign, a field mask path that does not convert to
//! camelCase) is an error rather than an approximation. Every type also implements the
//! `prost::Message` and `prost::Name` traits for the binary encoding.

mod any;
mod any_type;
mod duration;
mod empty;
mod error;
mod field_mask;
mod fraction;
mod timestamp;

pub use any::Any;
pub use any_type::{AnyType, FromJsonFn, ToJsonFn, find_any_type, register_any_types};
pub use duration::Duration;
pub use empty::Empty;
pub use error::WktError;
pub use field_mask::FieldMask;
pub use timestamp::Timestamp;
