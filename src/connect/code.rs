//! Status codes and their names on the wire.
//!
//! The names are the Connect protocol's (<https://connectrpc.com/docs/protocol#error-codes>),
//! the numbers are google.rpc.Code's.

use std::fmt;
use std::str::FromStr;

/// The canonical error code of a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
///
/// ```
/// use cwsandbox_control::connect::Code;
///
/// let code: Code = "not_found".parse()?;
/// assert_eq!(code, Code::NotFound);
/// assert_eq!(code.to_string(), "not_found");
/// assert_eq!(code.as_i32(), 5);
/// # Ok::<(), cwsandbox_control::connect::UnknownCodeName>(())
/// ```
pub enum Code {
    /// The caller cancelled the call.
    Canceled = 1,
    /// An error with no better code, including codes this client does not know.
    Unknown = 2,
    /// The request is invalid whatever the system state.
    InvalidArgument = 3,
    /// The deadline passed before the call finished.
    DeadlineExceeded = 4,
    /// The resource does not exist or is not visible to the caller.
    NotFound = 5,
    /// The resource the caller tried to create already exists.
    AlreadyExists = 6,
    /// The caller lacks permission for the call.
    PermissionDenied = 7,
    /// A quota or rate limit was exhausted.
    ResourceExhausted = 8,
    /// The system is not in the state the call requires.
    FailedPrecondition = 9,
    /// The call was aborted, typically by a concurrency conflict.
    Aborted = 10,
    /// A value is outside its valid range.
    OutOfRange = 11,
    /// The method is not implemented, or the path is not an RPC endpoint.
    Unimplemented = 12,
    /// An invariant of the server broke.
    Internal = 13,
    /// The service is temporarily unavailable; the call may be retried.
    Unavailable = 14,
    /// Data was lost or corrupted.
    DataLoss = 15,
    /// The request has no valid credentials.
    Unauthenticated = 16,
}

/// Every code with its Connect name, in numeric order.
const NAMES: [(Code, &str); 16] = [
    (Code::Canceled, "canceled"),
    (Code::Unknown, "unknown"),
    (Code::InvalidArgument, "invalid_argument"),
    (Code::DeadlineExceeded, "deadline_exceeded"),
    (Code::NotFound, "not_found"),
    (Code::AlreadyExists, "already_exists"),
    (Code::PermissionDenied, "permission_denied"),
    (Code::ResourceExhausted, "resource_exhausted"),
    (Code::FailedPrecondition, "failed_precondition"),
    (Code::Aborted, "aborted"),
    (Code::OutOfRange, "out_of_range"),
    (Code::Unimplemented, "unimplemented"),
    (Code::Internal, "internal"),
    (Code::Unavailable, "unavailable"),
    (Code::DataLoss, "data_loss"),
    (Code::Unauthenticated, "unauthenticated"),
];

impl Code {
    /// Returns every code, in numeric order.
    ///
    /// ```
    /// use cwsandbox_control::connect::Code;
    ///
    /// let codes: Vec<Code> = Code::all().collect();
    /// assert_eq!(codes.len(), 16);
    /// assert_eq!(codes[0], Code::Canceled);
    /// assert_eq!(codes[15], Code::Unauthenticated);
    /// ```
    pub fn all() -> impl Iterator<Item = Code> {
        NAMES.iter().map(|(code, _)| *code)
    }

    /// Returns the Connect name, such as `not_found`.
    ///
    /// ```
    /// use cwsandbox_control::connect::Code;
    ///
    /// assert_eq!(Code::FailedPrecondition.as_str(), "failed_precondition");
    /// ```
    pub fn as_str(self) -> &'static str {
        NAMES[self as usize - 1].1
    }

    /// Returns the google.rpc.Code number, such as 5 for `NotFound`.
    ///
    /// ```
    /// use cwsandbox_control::connect::Code;
    /// use cwsandbox_control::rpc;
    ///
    /// assert_eq!(Code::NotFound.as_i32(), 5);
    /// assert_eq!(Code::Unavailable.as_i32(), rpc::Code::Unavailable as i32);
    /// ```
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// Returns the code of a google.rpc.Code number. `0` (OK) and unknown
    /// numbers become [`Code::Unknown`], because neither describes an error.
    ///
    /// ```
    /// use cwsandbox_control::connect::Code;
    ///
    /// assert_eq!(Code::from_i32(6), Code::AlreadyExists);
    /// assert_eq!(Code::from_i32(0), Code::Unknown, "OK is no error code");
    /// assert_eq!(Code::from_i32(99), Code::Unknown);
    /// ```
    pub fn from_i32(number: i32) -> Code {
        usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|index| NAMES.get(index))
            .map_or(Code::Unknown, |(code, _)| *code)
    }

    /// Returns the code of a Connect name, or of a google.rpc.Code enum name
    /// such as `NOT_FOUND` (AIP-193 bodies carry those). `CANCELLED` is accepted
    /// as the google.rpc spelling of `canceled`.
    ///
    /// ```
    /// use cwsandbox_control::connect::Code;
    ///
    /// assert_eq!(Code::from_name("permission_denied"), Some(Code::PermissionDenied));
    /// assert_eq!(Code::from_name("PERMISSION_DENIED"), Some(Code::PermissionDenied));
    /// assert_eq!(Code::from_name("CANCELLED"), Some(Code::Canceled));
    /// assert_eq!(Code::from_name("ok"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Code> {
        if name.eq_ignore_ascii_case("cancelled") {
            return Some(Code::Canceled);
        }
        NAMES
            .iter()
            .find(|(_, connect)| connect.eq_ignore_ascii_case(name))
            .map(|(code, _)| *code)
    }

    /// Returns the HTTP status a Connect server sends with this code.
    ///
    /// ```
    /// use cwsandbox_control::connect::Code;
    /// use http::StatusCode;
    ///
    /// assert_eq!(Code::NotFound.http_status(), StatusCode::NOT_FOUND);
    /// assert_eq!(Code::FailedPrecondition.http_status(), StatusCode::BAD_REQUEST);
    /// assert_eq!(Code::Canceled.http_status().as_u16(), 499);
    /// ```
    pub fn http_status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Code::Canceled => S::from_u16(499).unwrap_or(S::BAD_REQUEST),
            Code::Unknown | Code::Internal | Code::DataLoss => S::INTERNAL_SERVER_ERROR,
            Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => S::BAD_REQUEST,
            Code::DeadlineExceeded => S::GATEWAY_TIMEOUT,
            Code::NotFound => S::NOT_FOUND,
            Code::AlreadyExists | Code::Aborted => S::CONFLICT,
            Code::PermissionDenied => S::FORBIDDEN,
            Code::ResourceExhausted => S::TOO_MANY_REQUESTS,
            Code::Unimplemented => S::NOT_IMPLEMENTED,
            Code::Unavailable => S::SERVICE_UNAVAILABLE,
            Code::Unauthenticated => S::UNAUTHORIZED,
        }
    }

    /// Returns the code for an HTTP error status whose body is not a Connect
    /// error, per the Connect protocol's table: a proxy's 404 means the
    /// procedure is not served, so it is `Unimplemented`, not `NotFound`.
    ///
    /// ```
    /// use cwsandbox_control::connect::Code;
    /// use http::StatusCode;
    ///
    /// assert_eq!(Code::from_connect_http_status(StatusCode::NOT_FOUND), Code::Unimplemented);
    /// assert_eq!(Code::from_connect_http_status(StatusCode::BAD_GATEWAY), Code::Unavailable);
    /// assert_eq!(Code::from_connect_http_status(StatusCode::IM_A_TEAPOT), Code::Unknown);
    /// ```
    pub fn from_connect_http_status(status: http::StatusCode) -> Code {
        match status.as_u16() {
            400 => Code::Internal,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::Unimplemented,
            429 | 502 | 503 | 504 => Code::Unavailable,
            _ => Code::Unknown,
        }
    }

    /// Returns the code for an HTTP error status of a REST (google.api.http)
    /// response whose body is not a google.rpc.Status, per the HTTP mapping
    /// documented on google.rpc.Code: other 4xx statuses are
    /// `FailedPrecondition`, other statuses `Unknown`.
    ///
    /// ```
    /// use cwsandbox_control::connect::Code;
    /// use http::StatusCode;
    ///
    /// assert_eq!(Code::from_rest_http_status(StatusCode::NOT_FOUND), Code::NotFound);
    /// assert_eq!(Code::from_rest_http_status(StatusCode::CONFLICT), Code::Aborted);
    /// assert_eq!(Code::from_rest_http_status(StatusCode::IM_A_TEAPOT), Code::FailedPrecondition);
    /// assert_eq!(Code::from_rest_http_status(StatusCode::HTTP_VERSION_NOT_SUPPORTED), Code::Unknown);
    /// ```
    pub fn from_rest_http_status(status: http::StatusCode) -> Code {
        match status.as_u16() {
            400 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            409 => Code::Aborted,
            416 => Code::OutOfRange,
            429 => Code::ResourceExhausted,
            499 => Code::Canceled,
            500 => Code::Internal,
            501 => Code::Unimplemented,
            502 | 503 => Code::Unavailable,
            504 => Code::DeadlineExceeded,
            _ if status.is_client_error() => Code::FailedPrecondition,
            _ => Code::Unknown,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a string that is not a code name.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// ```
/// use cwsandbox_control::connect::{Code, UnknownCodeName};
///
/// let error = "missing".parse::<Code>().unwrap_err();
/// assert_eq!(error, UnknownCodeName("missing".to_string()));
/// assert!(error.to_string().contains("expected a Connect name"), "{error}");
/// ```
pub struct UnknownCodeName(pub String);

impl fmt::Display for UnknownCodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown status code name {:?}; expected a Connect name such as not_found",
            self.0
        )
    }
}

impl std::error::Error for UnknownCodeName {}

impl FromStr for Code {
    type Err = UnknownCodeName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Code::from_name(name).ok_or_else(|| UnknownCodeName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for code in Code::all() {
            assert_eq!(Code::from_name(code.as_str()), Some(code));
            assert_eq!(Code::from_i32(code.as_i32()), code);
        }
    }

    #[test]
    fn google_enum_names_parse() {
        assert_eq!(Code::from_name("NOT_FOUND"), Some(Code::NotFound));
        assert_eq!(Code::from_name("CANCELLED"), Some(Code::Canceled));
        assert_eq!(Code::from_name("nope"), None);
    }

    #[test]
    fn out_of_range_numbers_are_unknown() {
        for number in [0, -1, 17, i32::MAX, i32::MIN] {
            assert_eq!(Code::from_i32(number), Code::Unknown);
        }
    }

    #[test]
    fn proxy_404_is_unimplemented_on_connect() {
        assert_eq!(
            Code::from_connect_http_status(http::StatusCode::NOT_FOUND),
            Code::Unimplemented
        );
        assert_eq!(
            Code::from_rest_http_status(http::StatusCode::NOT_FOUND),
            Code::NotFound
        );
    }
}
