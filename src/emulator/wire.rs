//! Wire constants of the two protocols the emulator serves, kept in one place
//! so they read against their specifications.
//!
//! - HTTP status per code: the mapping of `google/rpc/code.proto`, which the
//!   Connect protocol reference (<https://connectrpc.com/docs/protocol>) uses too.
//! - Connect code names: the lower_snake_case names of the Connect reference
//!   (note `canceled` with one `l`).

use http::StatusCode;

use crate::rpc::Code;

/// Path prefix of every Connect procedure of the service.
pub(crate) const CONNECT_PREFIX: &str = "/coreweave.sandbox.v1beta2.RunnerManagementService/";

/// Path prefix of every REST route.
pub(crate) const REST_PREFIX: &str = "/v1beta2/sandbox/";

/// Media type of JSON bodies.
pub(crate) const APPLICATION_JSON: &str = "application/json";

/// Media type of binary protobuf bodies in the Connect protocol.
pub(crate) const APPLICATION_PROTO: &str = "application/proto";

/// Connect request header carrying the protocol version, `1`.
pub(crate) const CONNECT_PROTOCOL_VERSION: &str = "connect-protocol-version";

/// Connect request header carrying the client's timeout in milliseconds.
pub(crate) const CONNECT_TIMEOUT_MS: &str = "connect-timeout-ms";

/// Domain of every `google.rpc.ErrorInfo` the emulator sends.
pub(crate) const ERROR_DOMAIN: &str = "cwsandbox.com";

/// Type URL prefix of `google.protobuf.Any` in JSON error details.
pub(crate) const TYPE_URL_PREFIX: &str = "type.googleapis.com/";

/// HTTP status for a code, as `google/rpc/code.proto` and the Connect reference map it.
pub(crate) fn http_status(code: Code) -> StatusCode {
    let number = match code {
        Code::Ok => 200,
        Code::Cancelled => 499,
        Code::Unknown => 500,
        Code::InvalidArgument => 400,
        Code::DeadlineExceeded => 504,
        Code::NotFound => 404,
        Code::AlreadyExists => 409,
        Code::PermissionDenied => 403,
        Code::ResourceExhausted => 429,
        Code::FailedPrecondition => 400,
        Code::Aborted => 409,
        Code::OutOfRange => 400,
        Code::Unimplemented => 501,
        Code::Internal => 500,
        Code::Unavailable => 503,
        Code::DataLoss => 500,
        Code::Unauthenticated => 401,
    };
    StatusCode::from_u16(number).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Connect name of a code, as written in Connect error bodies.
pub(crate) fn connect_code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "canceled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_cover_every_code() {
        let expected = [
            (Code::Cancelled, 499, "canceled"),
            (Code::Unknown, 500, "unknown"),
            (Code::InvalidArgument, 400, "invalid_argument"),
            (Code::DeadlineExceeded, 504, "deadline_exceeded"),
            (Code::NotFound, 404, "not_found"),
            (Code::AlreadyExists, 409, "already_exists"),
            (Code::PermissionDenied, 403, "permission_denied"),
            (Code::ResourceExhausted, 429, "resource_exhausted"),
            (Code::FailedPrecondition, 400, "failed_precondition"),
            (Code::Aborted, 409, "aborted"),
            (Code::OutOfRange, 400, "out_of_range"),
            (Code::Unimplemented, 501, "unimplemented"),
            (Code::Internal, 500, "internal"),
            (Code::Unavailable, 503, "unavailable"),
            (Code::DataLoss, 500, "data_loss"),
            (Code::Unauthenticated, 401, "unauthenticated"),
        ];
        for (code, status, name) in expected {
            assert_eq!(http_status(code).as_u16(), status, "{code:?}");
            assert_eq!(connect_code_name(code), name, "{code:?}");
        }
    }
}
