//! Static descriptions of RPC methods, emitted by the code generator.

/// How a method may be repeated, from the proto option `idempotency_level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
///
/// ```
/// use cwsandbox_control::connect::Idempotency;
/// use cwsandbox_control::v1beta2::runner_management_service::{CREATE_MANAGED_RUNNER, GET_RUNNER};
///
/// assert_eq!(GET_RUNNER.idempotency, Idempotency::NoSideEffects);
/// assert_eq!(CREATE_MANAGED_RUNNER.idempotency, Idempotency::Unknown);
/// ```
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
    ///
    /// ```
    /// use cwsandbox_control::connect::Idempotency;
    ///
    /// assert!(Idempotency::NoSideEffects.is_safe_to_retry());
    /// assert!(Idempotency::Idempotent.is_safe_to_retry());
    /// assert!(!Idempotency::Unknown.is_safe_to_retry());
    /// ```
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
    ///
    /// ```
    /// use cwsandbox_control::connect::HttpVerb;
    ///
    /// assert_eq!(HttpVerb::Patch.as_method(), http::Method::PATCH);
    /// ```
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
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cwsandbox_control::connect::{
///     Channel, Code, HttpRule, HttpVerb, Idempotency, MethodDescriptor, Request,
/// };
/// use cwsandbox_control::emulator::Emulator;
/// use cwsandbox_control::v1beta2::{GetRunnerRequest, Runner};
/// # use std::sync::{Arc, Mutex};
/// # use cwsandbox_control::connect::{Interceptor, Status};
/// # /// Records the method and path of every request.
/// # #[derive(Clone, Default)]
/// # struct Paths(Arc<Mutex<Vec<String>>>);
/// # impl Interceptor for Paths {
/// #     fn before(&self, _: &MethodDescriptor, request: &mut http::request::Parts) -> Result<(), Status> {
/// #         let line = format!("{} {}", request.method, request.uri.path());
/// #         self.0.lock().unwrap().push(line);
/// #         Ok(())
/// #     }
/// # }
///
/// /// GetRunner, described by hand the way the code generator describes it.
/// const GET_RUNNER: MethodDescriptor = MethodDescriptor {
///     service: "coreweave.sandbox.v1beta2.RunnerManagementService",
///     method: "GetRunner",
///     procedure: "/coreweave.sandbox.v1beta2.RunnerManagementService/GetRunner",
///     input_type: "coreweave.sandbox.v1beta2.GetRunnerRequest",
///     output_type: "coreweave.sandbox.v1beta2.Runner",
///     idempotency: Idempotency::NoSideEffects,
///     http: Some(HttpRule {
///         verb: HttpVerb::Get,
///         path: "/v1beta2/sandbox/managed-runners/{id}",
///         body: "",
///         response_body: "",
///     }),
/// };
///
/// let emulator = Emulator::start().await?;
/// let paths = Paths::default();
/// let channel = Channel::builder(emulator.base_url())
///     .bearer_token(emulator.admin_token())
///     .interceptor(paths.clone())
///     .build()?;
///
/// // `{id}` takes the request's `id`, percent-encoded as one path segment.
/// let request = Request::new(GetRunnerRequest { id: "lab west/1".into() });
/// let status = channel.unary::<_, Runner>(&GET_RUNNER, request).await.unwrap_err();
/// assert_eq!(status.code(), Code::NotFound);
/// assert_eq!(
///     paths.0.lock().unwrap()[0],
///     "GET /v1beta2/sandbox/managed-runners/lab%20west%2F1"
/// );
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
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
///
/// ```
/// use cwsandbox_control::connect::HttpVerb;
/// use cwsandbox_control::v1beta2::runner_management_service::{GET_RUNNER, METHODS};
///
/// assert_eq!(GET_RUNNER.procedure, "/coreweave.sandbox.v1beta2.RunnerManagementService/GetRunner");
/// assert_eq!(GET_RUNNER.output_type, "coreweave.sandbox.v1beta2.Runner");
/// let rule = GET_RUNNER.http.unwrap();
/// assert_eq!(rule.verb, HttpVerb::Get);
/// assert_eq!(rule.path, "/v1beta2/sandbox/managed-runners/{id}");
/// assert!(METHODS.iter().all(|method| method.service == GET_RUNNER.service));
/// ```
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
