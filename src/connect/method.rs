//! Static descriptions of RPC methods, emitted by the code generator.

/// How a method may be repeated, from the proto option `idempotency_level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// The method may change state; repeating it may repeat the change.
    Unknown,
    /// Repeating the method has the same effect as calling it once.
    Idempotent,
    /// The method changes nothing; Connect clients may send it as a GET.
    NoSideEffects,
}

impl Idempotency {
    /// Returns true when repeating the call cannot change the outcome.
    pub fn is_safe_to_retry(self) -> bool {
        !matches!(self, Self::Unknown)
    }
}

/// An HTTP verb of a google.api.http rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpVerb {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
}

impl HttpVerb {
    /// Returns the verb as an [`http::Method`].
    pub fn as_method(self) -> http::Method {
        match self {
            Self::Get => http::Method::GET,
            Self::Put => http::Method::PUT,
            Self::Post => http::Method::POST,
            Self::Delete => http::Method::DELETE,
            Self::Patch => http::Method::PATCH,
        }
    }
}

/// The REST mapping of a method, from its google.api.http option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HttpRule {
    /// The HTTP verb.
    pub verb: HttpVerb,
    /// The path template, such as `/v1beta2/sandbox/managed-runners/{runner.id}`.
    /// Variables name request fields by their proto (snake_case) path.
    pub path: &'static str,
    /// The request field sent as the body: `*` for every field the path does not
    /// bind, a field name for that field alone, empty for no body.
    pub body: &'static str,
    /// The response field returned as the body; empty for the whole response.
    pub response_body: &'static str,
}

/// One RPC method: its names, its wire paths and how it may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MethodDescriptor {
    /// Fully qualified service name, such as `coreweave.sandbox.v1beta2.RunnerManagementService`.
    pub service: &'static str,
    /// Method name, such as `GetRunner`.
    pub method: &'static str,
    /// Connect procedure path: `/<service>/<method>`.
    pub procedure: &'static str,
    /// Fully qualified name of the request message.
    pub input_type: &'static str,
    /// Fully qualified name of the response message.
    pub output_type: &'static str,
    /// How the method may be repeated.
    pub idempotency: Idempotency,
    /// The REST mapping, when the method has one.
    pub http: Option<HttpRule>,
}
