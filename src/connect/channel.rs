//! The channel that carries unary calls.

use super::code::Code;
use super::method::MethodDescriptor;
use super::request::{Request, Response};
use super::status::Status;

/// What a message type must provide to travel over a channel: the binary
/// protobuf encoding and the proto3 JSON form.
pub trait Message:
    prost::Message + Default + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
}

impl<T> Message for T where
    T: prost::Message
        + Default
        + serde::Serialize
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static
{
}

/// A connection to one server that carries unary calls.
#[derive(Debug, Clone)]
pub struct Channel {}

impl Channel {
    /// Sends one unary call.
    pub async fn unary<Req: Message, Resp: Message>(
        &self,
        method: &'static MethodDescriptor,
        request: Request<Req>,
    ) -> Result<Response<Resp>, Status> {
        let _ = request;
        Err(Status::client(
            Code::Unimplemented,
            format!("{} is not wired yet", method.procedure),
        ))
    }
}
