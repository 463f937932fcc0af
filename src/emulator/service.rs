//! Request handling as a plain async function from `Request<Bytes>` to
//! `Response<Bytes>`, so tests and fuzzers can call it without sockets.
//!
//! A request passes these steps in order: header and body limits, routing
//! (Connect procedure or REST path), protocol checks and decompression,
//! authentication and role check, fault injection and decoding. Then the call
//! runs, and a mutation is saved durably before it is acknowledged. Last, the
//! response is encoded and gzip-compressed when the client accepts it.

use std::io::{self, Read as _, Write as _};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method as HttpMethod, Request, Response, StatusCode, request};
use percent_encoding::percent_decode;

use super::api::{self, Context};
use super::clock::Clock;
use super::codec::{self, Call, Codec, Reply};
use super::config::{EmulatorConfig, Fault, Role};
use super::error::{ApiError, Violation, reason};
use super::faults::Faults;
use super::page_token::{self, PageTokens};
use super::persist::{self, Persister};
use super::routes::{self, ConnectMatch, Method, RestMatch};
use super::state::{ChannelVersions, State};
use super::wire::{
    APPLICATION_JSON, APPLICATION_PROTO, CONNECT_PREFIX, CONNECT_PROTOCOL_VERSION,
    CONNECT_TIMEOUT_MS,
};
use crate::rpc::Code;
use crate::v1beta2::{
    ApplyManagedRunnerUpdateRequest, DeleteManagedRunnerRequest, DeleteProfileTemplateRequest,
    GetProfileTemplateRequest, GetRunnerRequest, ListManagedRunnersRequest,
    ListProfileTemplatesRequest, ProfileTemplate, ReleaseChannel, Runner, RunnerInstallErrorReason,
};

/// Information about the client connection a request arrived on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::net::SocketAddr;
/// use bytes::Bytes;
/// use cwsandbox_control::emulator::{EmulatorConfig, EmulatorService, PeerInfo};
///
/// let service = EmulatorService::new(EmulatorConfig::default())?;
/// let peer = PeerInfo { remote_addr: Some(SocketAddr::from(([127, 0, 0, 1], 40000))) };
/// let request = http::Request::get("/v1beta2/sandbox/profile-templates").body(Bytes::new())?;
/// let response = service.handle(request, peer).await;
/// assert_eq!(response.status(), http::StatusCode::UNAUTHORIZED);
/// # Ok(())
/// # }
/// ```
pub struct PeerInfo {
    /// Address of the client, when the request came over a socket.
    pub remote_addr: Option<SocketAddr>,
}

/// The emulator's request handler and state, shareable across connections.
#[derive(Debug, Clone)]
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use cwsandbox_control::emulator::{EmulatorConfig, EmulatorService, PeerInfo};
///
/// let service = EmulatorService::new(EmulatorConfig::default())?;
/// let request = http::Request::post(
///     "/coreweave.sandbox.v1beta2.RunnerManagementService/ListProfileTemplates",
/// )
/// .header("authorization", "Bearer admin-token")
/// .header("content-type", "application/json")
/// .body(Bytes::from_static(b"{}"))?;
/// let response = service.handle(request, PeerInfo::default()).await;
/// assert_eq!(response.status(), http::StatusCode::OK);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// # Ok(())
/// # }
/// ```
pub struct EmulatorService {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: EmulatorConfig,
    clock: Clock,
    state: Mutex<State>,
    page_tokens: PageTokens,
    faults: Mutex<Faults>,
    /// Requests routed to each method, in the order of `Method::ALL`.
    counts: [AtomicU64; Method::ALL.len()],
    /// Locked only while `state` is locked.
    persister: Option<Mutex<Persister>>,
}

/// The wire form a response takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Rest,
    Connect,
}

/// A routed request whose body is decompressed and ready to decode.
struct Prepared {
    method: Method,
    codec: Codec,
    body: Vec<u8>,
    /// The `{id}` variable of a REST path.
    rest_id: Option<String>,
    /// Query parameters of a REST request.
    rest_query: Vec<(String, Vec<u8>)>,
    timeout: Option<Duration>,
}

impl EmulatorService {
    /// Builds the handler: checks the configuration, loads the saved state and
    /// writes it back as a fresh snapshot with an empty journal.
    ///
    /// # Errors
    ///
    /// Returns an error when the configuration is invalid or the state file or
    /// its journal cannot be read or written.
    ///
    /// ```
    /// use cwsandbox_control::emulator::{EmulatorConfig, EmulatorService};
    ///
    /// let config = EmulatorConfig { max_body_bytes: 0, ..EmulatorConfig::default() };
    /// let error = EmulatorService::new(config).unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn new(config: EmulatorConfig) -> io::Result<Self> {
        config.validate()?;
        let clock = if config.manual_clock {
            Clock::manual(whole_seconds(SystemTime::now()))
        } else {
            Clock::system()
        };
        let fresh = || State::new(ChannelVersions::from(&config.release_versions));
        let (state, page_token_key, persister) = match &config.state_path {
            Some(path) => {
                let loaded = persist::load(path)?;
                let state = loaded.state.unwrap_or_else(fresh);
                let key = loaded.page_token_key.unwrap_or_else(page_token::new_secret);
                let persister = Persister::start(path.clone(), &state, key)?;
                tracing::info!(
                    path = %persister.path().display(),
                    templates = state.templates().len(),
                    runners = state.runners().len(),
                    journal_lines = loaded.journal_lines,
                    "emulator state loaded"
                );
                (state, key, Some(Mutex::new(persister)))
            }
            None => (fresh(), page_token::new_secret(), None),
        };
        let faults = config
            .faults
            .iter()
            .filter_map(|(name, fault)| Method::from_name(name).map(|method| (method, *fault)));
        let faults = Faults::new(faults, config.fault_seed);
        Ok(Self {
            shared: Arc::new(Shared {
                clock,
                state: Mutex::new(state),
                page_tokens: PageTokens::with_secret(&page_token_key),
                faults: Mutex::new(faults),
                counts: Default::default(),
                persister,
                config,
            }),
        })
    }

    /// Returns the configuration the handler runs with.
    ///
    /// ```
    /// use cwsandbox_control::emulator::{EmulatorConfig, EmulatorService};
    ///
    /// let service = EmulatorService::new(EmulatorConfig::default())?;
    /// assert_eq!(service.config(), &EmulatorConfig::default());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// Handles one request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use bytes::Bytes;
    /// use cwsandbox_control::emulator::{EmulatorConfig, EmulatorService, PeerInfo};
    ///
    /// let service = EmulatorService::new(EmulatorConfig::default())?;
    /// let request = http::Request::get("/v1beta2/sandbox/managed-runners/lab-west")
    ///     .header("authorization", "Bearer admin-token")
    ///     .body(Bytes::new())?;
    /// let response = service.handle(request, PeerInfo::default()).await;
    /// assert_eq!(response.status(), http::StatusCode::NOT_FOUND);
    /// let body: serde_json::Value = serde_json::from_slice(response.body())?;
    /// assert_eq!(body["code"], 5, "a google.rpc.Status with code NOT_FOUND");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn handle(&self, request: Request<Bytes>, peer: PeerInfo) -> Response<Bytes> {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let form = form_of(parts.uri.path());
        let (method, outcome) = self.process(&parts, body, form).await;
        let method_name = method.map_or("-", Method::name);
        let code = match &outcome {
            Ok(_) => Code::Ok,
            Err(error) => error.code,
        };
        let response = match outcome {
            Ok((codec, reply)) => self.success(&parts, codec, &reply),
            Err(error) => {
                tracing::info!(
                    method = method_name,
                    path = parts.uri.path(),
                    code = error.code.as_str_name(),
                    reason = error.reason,
                    message = %error.message,
                    "request rejected"
                );
                error_response(form, &error)
            }
        };
        tracing::debug!(
            method = method_name,
            http_method = %parts.method,
            path = parts.uri.path(),
            status = response.status().as_u16(),
            code = code.as_str_name(),
            elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            peer = ?peer.remote_addr,
            "request handled"
        );
        response
    }

    /// Builds the error response for a request that failed before `handle`,
    /// such as one whose body is over the size limit.
    pub(crate) fn reject(&self, parts: &request::Parts, error: &ApiError) -> Response<Bytes> {
        tracing::info!(
            path = parts.uri.path(),
            code = error.code.as_str_name(),
            reason = error.reason,
            message = %error.message,
            "request rejected"
        );
        error_response(form_of(parts.uri.path()), error)
    }

    async fn process(
        &self,
        parts: &request::Parts,
        body: Bytes,
        form: Form,
    ) -> (Option<Method>, Result<(Codec, Reply), ApiError>) {
        let prepared = match self.prepare(parts, body, form) {
            Ok(prepared) => prepared,
            Err((method, error)) => return (method, Err(error)),
        };
        let method = prepared.method;
        let timeout = prepared.timeout;
        let work = self.run(parts, prepared, form);
        let outcome = match timeout {
            Some(limit) => match tokio::time::timeout(limit, work).await {
                Ok(outcome) => outcome,
                Err(_) => Err(ApiError::new(
                    Code::DeadlineExceeded,
                    reason::DEADLINE_EXCEEDED,
                    format!(
                        "the call did not finish within the client's Connect-Timeout-Ms of {} ms",
                        limit.as_millis()
                    ),
                )),
            },
            None => work.await,
        };
        (Some(method), outcome)
    }

    /// Checks limits, routes the request and unpacks its body.
    fn prepare(
        &self,
        parts: &request::Parts,
        body: Bytes,
        form: Form,
    ) -> Result<Prepared, (Option<Method>, ApiError)> {
        let config = &self.shared.config;
        check_header_size(&parts.headers, config.max_header_bytes).map_err(|e| (None, e))?;
        if body.len() > config.max_body_bytes {
            return Err((None, body_too_large(config.max_body_bytes)));
        }
        let path = parts.uri.path();
        let route = match routes::match_connect(path) {
            ConnectMatch::Found(method) => Ok((method, None)),
            ConnectMatch::Unknown => Err(unknown_procedure(path)),
            ConnectMatch::NotConnect => match routes::match_rest(&parts.method, path) {
                RestMatch::Found(route) => Ok((route.method, route.id)),
                RestMatch::WrongMethod(allowed) => Err(ApiError::new(
                    Code::Unimplemented,
                    reason::METHOD_NOT_ALLOWED,
                    format!("{} is not allowed on {path}; use {allowed}", parts.method),
                )
                .with_http_status(StatusCode::METHOD_NOT_ALLOWED)
                .with_header(header::ALLOW, allowed)),
                RestMatch::NotFound => Err(ApiError::not_found(
                    reason::UNKNOWN_PATH,
                    format!(
                        "no route for {} {path}; REST paths start with /v1beta2/sandbox/",
                        parts.method
                    ),
                )),
            },
        };
        let (method, rest_id) = route.map_err(|error| (None, error))?;
        self.shared.counts[method_index(method)].fetch_add(1, Ordering::Relaxed);

        let prepared = match form {
            Form::Connect => self.prepare_connect(parts, body, method),
            Form::Rest => self.prepare_rest(parts, body, method, rest_id),
        };
        prepared.map_err(|error| (Some(method), error))
    }

    fn prepare_connect(
        &self,
        parts: &request::Parts,
        body: Bytes,
        method: Method,
    ) -> Result<Prepared, ApiError> {
        let limit = self.shared.config.max_body_bytes;
        if let Some(version) = parts.headers.get(CONNECT_PROTOCOL_VERSION)
            && version.as_bytes() != b"1"
        {
            return Err(invalid_header(CONNECT_PROTOCOL_VERSION, "must be 1"));
        }
        let timeout = connect_timeout(&parts.headers)?;
        let (codec, body) = match parts.method {
            HttpMethod::POST => {
                let codec = connect_codec(&parts.headers)?;
                let encoding = header_text(&parts.headers, header::CONTENT_ENCODING);
                (codec, decompress(encoding.as_deref(), &body, limit)?)
            }
            HttpMethod::GET if method.is_read_only() => connect_get_message(parts, limit)?,
            _ => {
                let allowed = if method.is_read_only() {
                    "GET, POST"
                } else {
                    "POST"
                };
                return Err(ApiError::new(
                    Code::Unimplemented,
                    reason::METHOD_NOT_ALLOWED,
                    format!(
                        "{} is not allowed for procedure {}; use {allowed}",
                        parts.method,
                        method.name()
                    ),
                )
                .with_http_status(StatusCode::METHOD_NOT_ALLOWED)
                .with_header(header::ALLOW, allowed));
            }
        };
        Ok(Prepared {
            method,
            codec,
            body,
            rest_id: None,
            rest_query: Vec::new(),
            timeout,
        })
    }

    fn prepare_rest(
        &self,
        parts: &request::Parts,
        body: Bytes,
        method: Method,
        rest_id: Option<String>,
    ) -> Result<Prepared, ApiError> {
        let limit = self.shared.config.max_body_bytes;
        let encoding = header_text(&parts.headers, header::CONTENT_ENCODING);
        let body = decompress(encoding.as_deref(), &body, limit)?;
        let rest_query = parse_query(parts.uri.query().unwrap_or(""))?;
        Ok(Prepared {
            method,
            codec: Codec::Json,
            body,
            rest_id,
            rest_query,
            timeout: None,
        })
    }

    /// Authenticates, injects faults, decodes and executes a prepared request.
    async fn run(
        &self,
        parts: &request::Parts,
        prepared: Prepared,
        form: Form,
    ) -> Result<(Codec, Reply), ApiError> {
        let method = prepared.method;
        let (organization, role) = self.authenticate(&parts.headers)?;
        if role == Role::User && !method.is_read_only() {
            return Err(ApiError::new(
                Code::PermissionDenied,
                reason::PERMISSION_DENIED,
                format!(
                    "SANDBOX_USER may not call {}; it needs SANDBOX_ADMIN",
                    method.name()
                ),
            )
            .with_metadata("method", method.name())
            .with_metadata("required_role", "SANDBOX_ADMIN"));
        }

        let decision = lock(&self.shared.faults).decide(method);
        if !decision.delay.is_zero() {
            tokio::time::sleep(decision.delay).await;
        }
        if let Some(retry_delay) = decision.unavailable_retry_delay {
            let mut error = ApiError::new(
                Code::Unavailable,
                reason::UNAVAILABLE,
                format!(
                    "{} is temporarily unavailable (injected fault); retry later",
                    method.name()
                ),
            )
            .with_metadata("method", method.name());
            error.retry_delay = Some(retry_delay);
            return Err(error);
        }

        let max_depth = self.shared.config.max_json_depth;
        let call = match form {
            Form::Connect => codec::decode_call(method, prepared.codec, &prepared.body, max_depth)?,
            Form::Rest => decode_rest(&prepared, max_depth)?,
        };
        let reply = self.execute(call, &organization, method.is_read_only())?;
        Ok((prepared.codec, reply))
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<(String, Role), ApiError> {
        let unauthenticated = |message: &str| {
            ApiError::new(Code::Unauthenticated, reason::UNAUTHENTICATED, message)
                .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"cwsandbox\"")
        };
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthenticated(
                "missing bearer token; send the header Authorization: Bearer <token>",
            ));
        };
        let value = value.to_str().unwrap_or("");
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(unauthenticated(
                    "the Authorization header must have the form: Bearer <token>",
                ));
            }
        };
        let mut found = None;
        for entry in &self.shared.config.tokens {
            if constant_time_eq(entry.token.as_bytes(), token.as_bytes()) {
                found = Some((entry.organization.clone(), entry.role));
            }
        }
        found.ok_or_else(|| {
            unauthenticated("invalid bearer token; use a token from the emulator's configuration")
        })
    }

    fn execute(&self, call: Call, organization: &str, read_only: bool) -> Result<Reply, ApiError> {
        let shared = &self.shared;
        let cx = Context {
            now: shared.clock.now(),
            config: &shared.config,
            page_tokens: &shared.page_tokens,
            organization,
        };
        if read_only {
            let mut state = lock(&shared.state);
            return api::execute(&mut state, &cx, call);
        }
        self.commit(|state| api::execute(state, &cx, call))
    }

    /// Applies `change` to the state in place and appends it to the journal.
    /// A failed change or save is rolled back, so it leaves the state as it was.
    // NOTE: the journal append and its fsync run on the async worker while the
    // lock is held. So writes are serialized, and each blocks its worker for
    // the fsync time, which suits an emulator but not high write rates.
    fn commit<T>(
        &self,
        change: impl FnOnce(&mut State) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut state = lock(&self.shared.state);
        let result = match change(&mut state) {
            Ok(result) => result,
            Err(error) => {
                state.roll_back();
                return Err(error);
            }
        };
        if let Some(persister) = &self.shared.persister {
            let delta = state.delta();
            let saved = if delta.is_empty() {
                Ok(())
            } else {
                lock(persister).append(&delta, &state)
            };
            if let Err(error) = saved {
                state.roll_back();
                tracing::error!(%error, "cannot save emulator state; the write is rejected");
                return Err(ApiError::internal(format!(
                    "cannot save the emulator state: {error}"
                )));
            }
        }
        state.forget_changes();
        Ok(result)
    }

    fn success(&self, parts: &request::Parts, codec: Codec, reply: &Reply) -> Response<Bytes> {
        let body = codec::encode_reply(reply, codec);
        let content_type = match codec {
            Codec::Json => APPLICATION_JSON,
            Codec::Proto => APPLICATION_PROTO,
        };
        let mut builder = Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::VARY, "Accept-Encoding");
        let body = if body.len() >= self.shared.config.compress_min_bytes
            && accepts_gzip(&parts.headers)
        {
            match gzip(&body) {
                Ok(compressed) => {
                    builder = builder.header(header::CONTENT_ENCODING, "gzip");
                    compressed
                }
                Err(_) => body,
            }
        } else {
            body
        };
        builder
            .body(Bytes::from(body))
            .unwrap_or_else(|_| Response::new(Bytes::new()))
    }

    // ---- operations of the emulator handle ----

    pub(crate) fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    pub(crate) fn request_count(&self, method: &str) -> u64 {
        Method::from_name(method).map_or(0, |method| {
            self.shared.counts[method_index(method)].load(Ordering::Relaxed)
        })
    }

    pub(crate) fn set_fault(&self, method: &str, fault: Option<Fault>) -> io::Result<()> {
        let method = Method::from_name(method).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown method {method:?}; use a method name such as GetRunner"),
            )
        })?;
        lock(&self.shared.faults).set(method, fault);
        Ok(())
    }

    pub(crate) fn publish_version(&self, channel: ReleaseChannel) -> io::Result<String> {
        self.commit(|state| Ok(state.publish(channel)))
            .map_err(to_io_error)
    }

    /// Changes one runner of any organization, found by UUID or runner id.
    pub(crate) fn change_runner(
        &self,
        runner: &str,
        change: impl FnOnce(&mut super::state::RunnerRecord, SystemTime),
    ) -> io::Result<()> {
        let now = self.shared.clock.now();
        self.commit(|state| {
            let key = api::find_any_runner(state, runner)
                .map_err(|message| ApiError::not_found(reason::RUNNER_NOT_FOUND, message))?;
            state.update_runner(&key, |record| change(record, now));
            Ok(())
        })
        .map_err(to_io_error)
    }

    pub(crate) fn fail_install(
        &self,
        runner: &str,
        reason: RunnerInstallErrorReason,
    ) -> io::Result<()> {
        self.change_runner(runner, |record, now| api::fail_install(record, reason, now))
    }
}

fn to_io_error(error: ApiError) -> io::Error {
    let kind = if error.code == Code::NotFound {
        io::ErrorKind::NotFound
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(kind, error.message.clone())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn whole_seconds(time: SystemTime) -> SystemTime {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn method_index(method: Method) -> usize {
    Method::ALL
        .iter()
        .position(|candidate| *candidate == method)
        .unwrap_or(0)
}

fn form_of(path: &str) -> Form {
    if path.starts_with(CONNECT_PREFIX) || routes::is_connect_shaped(path) {
        Form::Connect
    } else {
        Form::Rest
    }
}

fn error_response(form: Form, error: &ApiError) -> Response<Bytes> {
    let body = match form {
        Form::Rest => error.rest_body(),
        Form::Connect => error.connect_body(),
    };
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(APPLICATION_JSON),
    );
    for (name, value) in &error.headers {
        headers.insert(name.clone(), value.clone());
    }
    response
}

/// Builds the error for a request body over `limit` bytes.
pub(crate) fn body_too_large(limit: usize) -> ApiError {
    ApiError::new(
        Code::ResourceExhausted,
        reason::REQUEST_TOO_LARGE,
        format!("request body exceeds the limit of {limit} bytes"),
    )
    .with_metadata("limit_bytes", limit.to_string())
    .with_http_status(StatusCode::PAYLOAD_TOO_LARGE)
}

fn unknown_procedure(path: &str) -> ApiError {
    let names: Vec<&str> = Method::ALL.iter().map(|method| method.name()).collect();
    ApiError::new(
        Code::Unimplemented,
        reason::UNKNOWN_PROCEDURE,
        format!(
            "unknown procedure {path}; {CONNECT_PREFIX} has {}",
            names.join(", ")
        ),
    )
    .with_http_status(StatusCode::NOT_FOUND)
}

fn check_header_size(headers: &HeaderMap, limit: usize) -> Result<(), ApiError> {
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > limit {
        return Err(ApiError::new(
            Code::ResourceExhausted,
            reason::REQUEST_TOO_LARGE,
            format!("request headers total {size} bytes, over the limit of {limit}"),
        )
        .with_http_status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
    }
    Ok(())
}

fn invalid_header(name: &str, description: &str) -> ApiError {
    ApiError::new(
        Code::InvalidArgument,
        reason::MALFORMED_REQUEST,
        format!("header {name} {description}"),
    )
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).map(|value| {
        String::from_utf8_lossy(value.as_bytes())
            .trim()
            .to_ascii_lowercase()
    })
}

/// Reads `Connect-Timeout-Ms`: at most 10 digits, as the Connect reference allows.
fn connect_timeout(headers: &HeaderMap) -> Result<Option<Duration>, ApiError> {
    let Some(value) = headers.get(CONNECT_TIMEOUT_MS) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_header(
            CONNECT_TIMEOUT_MS,
            "must be a positive integer of at most 10 digits",
        ));
    }
    Ok(text.parse::<u64>().ok().map(Duration::from_millis))
}

/// Picks the codec of a Connect POST from its Content-Type.
fn connect_codec(headers: &HeaderMap) -> Result<Codec, ApiError> {
    let content_type = header_text(headers, header::CONTENT_TYPE).unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    match media_type {
        APPLICATION_JSON => Ok(Codec::Json),
        APPLICATION_PROTO => Ok(Codec::Proto),
        _ => Err(ApiError::new(
            Code::Unimplemented,
            reason::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "content type {content_type:?} is not supported; use application/json or application/proto"
            ),
        )
        .with_http_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        .with_header(
            http::HeaderName::from_static("accept-post"),
            "application/json, application/proto",
        )),
    }
}

/// Decodes the message of a Connect GET from its query parameters.
fn connect_get_message(parts: &request::Parts, limit: usize) -> Result<(Codec, Vec<u8>), ApiError> {
    let query = parse_query(parts.uri.query().unwrap_or(""))?;
    let get = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let invalid = |name: &str, description: &str| {
        ApiError::invalid(vec![
            Violation::new(name, description).with_reason(reason::MALFORMED_REQUEST),
        ])
    };
    if let Some(version) = get("connect")
        && version != b"v1"
    {
        return Err(invalid("connect", "must be v1"));
    }
    let codec = match get("encoding").as_deref() {
        Some(b"json") => Codec::Json,
        Some(b"proto") => Codec::Proto,
        Some(_) => return Err(invalid("encoding", "must be json or proto")),
        None => return Err(invalid("encoding", "required; use json or proto")),
    };
    let mut message = get("message").unwrap_or_default();
    if get("base64").as_deref() == Some(b"1") {
        message = decode_base64(&message)
            .ok_or_else(|| invalid("message", "is not valid base64 although base64=1"))?;
    }
    let compression =
        get("compression").map(|value| String::from_utf8_lossy(&value).to_ascii_lowercase());
    let message = decompress(compression.as_deref(), &message, limit)?;
    Ok((codec, message))
}

/// Decodes base64 in the URL-safe or the standard alphabet, padded or not.
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let trimmed: Vec<u8> = text.iter().copied().filter(|byte| *byte != b'=').collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&trimmed))
        .ok()
}

/// Splits a query string into names and raw (percent-decoded) values.
fn parse_query(query: &str) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let mut pairs = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| -> Vec<u8> {
            let spaced = text.replace('+', " ");
            percent_decode(spaced.as_bytes()).collect()
        };
        let name = String::from_utf8(decode(name)).map_err(|_| {
            ApiError::new(
                Code::InvalidArgument,
                reason::MALFORMED_REQUEST,
                "a query parameter name is not UTF-8",
            )
        })?;
        pairs.push((name, decode(value)));
    }
    Ok(pairs)
}

/// Undoes a `Content-Encoding` (or Connect `compression`) of gzip or identity.
fn decompress(encoding: Option<&str>, body: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    match encoding {
        None | Some("" | "identity") => Ok(body.to_vec()),
        Some("gzip") => {
            let mut output = Vec::new();
            let limit_plus_one = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
            GzDecoder::new(body)
                .take(limit_plus_one)
                .read_to_end(&mut output)
                .map_err(|error| {
                    ApiError::new(
                        Code::InvalidArgument,
                        reason::MALFORMED_REQUEST,
                        format!("request body is not valid gzip: {error}"),
                    )
                })?;
            if output.len() > limit {
                return Err(body_too_large(limit));
            }
            Ok(output)
        }
        Some(other) => Err(ApiError::new(
            Code::Unimplemented,
            reason::UNSUPPORTED_COMPRESSION,
            format!("compression {other:?} is not supported; use gzip or identity"),
        )
        .with_header(header::ACCEPT_ENCODING, "gzip, identity")),
    }
}

fn gzip(body: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 2), Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

/// Returns whether `Accept-Encoding` lists gzip (or `*`) with a non-zero quality.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut pieces = item.split(';').map(str::trim);
            let coding = pieces.next().unwrap_or("").to_ascii_lowercase();
            let zero_quality = pieces.any(|parameter| {
                parameter
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding == "gzip" || coding == "*") && !zero_quality
        })
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// Builds the call of a REST request from its path variable, query and body.
fn decode_rest(prepared: &Prepared, max_depth: usize) -> Result<Call, ApiError> {
    let method = prepared.method;
    let id = prepared.rest_id.clone().unwrap_or_default();
    check_query_names(method, &prepared.rest_query)?;
    let call = match method {
        Method::GetProfileTemplate => Call::GetProfileTemplate(GetProfileTemplateRequest { id }),
        Method::DeleteProfileTemplate => {
            Call::DeleteProfileTemplate(DeleteProfileTemplateRequest { id })
        }
        Method::GetRunner => Call::GetRunner(GetRunnerRequest { id }),
        Method::DeleteManagedRunner => Call::DeleteManagedRunner(DeleteManagedRunnerRequest { id }),
        Method::ListProfileTemplates => {
            let (page_size, page_token) = page_query(&prepared.rest_query)?;
            Call::ListProfileTemplates(ListProfileTemplatesRequest {
                page_size,
                page_token,
            })
        }
        Method::ListManagedRunners => {
            let (page_size, page_token) = page_query(&prepared.rest_query)?;
            Call::ListManagedRunners(ListManagedRunnersRequest {
                page_size,
                page_token,
            })
        }
        Method::CreateProfileTemplate | Method::CreateManagedRunner => {
            codec::decode_call(method, Codec::Json, &prepared.body, max_depth)?
        }
        Method::UpdateProfileTemplate => {
            let call = codec::decode_call(method, Codec::Json, &prepared.body, max_depth)?;
            let Call::UpdateProfileTemplate(mut request) = call else {
                return Err(ApiError::internal("decoded the wrong request type"));
            };
            let template = request
                .profile_template
                .get_or_insert_with(ProfileTemplate::default);
            template.id = merge_path_id(&template.id, &id, "profile_template.id")?;
            Call::UpdateProfileTemplate(request)
        }
        Method::UpdateManagedRunner => {
            let call = codec::decode_call(method, Codec::Json, &prepared.body, max_depth)?;
            let Call::UpdateManagedRunner(mut request) = call else {
                return Err(ApiError::internal("decoded the wrong request type"));
            };
            let runner = request.runner.get_or_insert_with(Runner::default);
            runner.id = merge_path_id(&runner.id, &id, "runner.id")?;
            Call::UpdateManagedRunner(request)
        }
        Method::ApplyManagedRunnerUpdate => {
            let call = codec::decode_call(method, Codec::Json, &prepared.body, max_depth)?;
            let Call::ApplyManagedRunnerUpdate(request) = call else {
                return Err(ApiError::internal("decoded the wrong request type"));
            };
            let id = merge_path_id(&request.id, &id, "id")?;
            Call::ApplyManagedRunnerUpdate(ApplyManagedRunnerUpdateRequest { id })
        }
    };
    Ok(call)
}

/// Returns the id of a REST request: the path's, which a body may repeat but not contradict.
fn merge_path_id(body_id: &str, path_id: &str, field: &str) -> Result<String, ApiError> {
    if !body_id.is_empty() && body_id != path_id {
        return Err(ApiError::invalid(vec![Violation::new(
            field,
            format!("{body_id:?} differs from the id {path_id:?} in the path"),
        )]));
    }
    Ok(path_id.to_string())
}

fn check_query_names(method: Method, query: &[(String, Vec<u8>)]) -> Result<(), ApiError> {
    let allowed: &[&str] = match method {
        Method::ListProfileTemplates | Method::ListManagedRunners => {
            &["pageSize", "page_size", "pageToken", "page_token"]
        }
        _ => &[],
    };
    let unknown: Vec<Violation> = query
        .iter()
        .filter(|(name, _)| !allowed.contains(&name.as_str()))
        .map(|(name, _)| {
            let description = if allowed.is_empty() {
                format!("unknown query parameter; {} takes none", method.name())
            } else {
                format!(
                    "unknown query parameter; {} takes pageSize and pageToken",
                    method.name()
                )
            };
            Violation::new(name.clone(), description).with_reason(reason::MALFORMED_REQUEST)
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(unknown))
    }
}

fn page_query(query: &[(String, Vec<u8>)]) -> Result<(i32, String), ApiError> {
    let mut page_size = 0;
    let mut page_token = String::new();
    for (name, value) in query {
        let text = String::from_utf8_lossy(value).into_owned();
        match name.as_str() {
            "pageSize" | "page_size" => {
                page_size = text.trim().parse::<i32>().map_err(|_| {
                    ApiError::invalid(vec![
                        Violation::new("page_size", format!("{text:?} is not an integer"))
                            .with_reason(reason::INVALID_PAGE_SIZE),
                    ])
                })?;
            }
            "pageToken" | "page_token" => page_token = text,
            _ => {}
        }
    }
    Ok((page_size, page_token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_acceptance() {
        let cases = [
            ("gzip", true),
            ("br, gzip;q=0.5", true),
            ("*", true),
            ("gzip;q=0", false),
            ("identity", false),
            ("", false),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            assert_eq!(accepts_gzip(&headers), expected, "{value:?}");
        }
    }

    #[test]
    fn gzip_bombs_stop_at_the_limit() {
        let large = vec![b'a'; 10_000];
        let compressed = gzip(&large).expect("gzip");
        assert!(decompress(Some("gzip"), &compressed, 20_000).is_ok());
        let error = decompress(Some("gzip"), &compressed, 1_000).expect_err("over limit");
        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let error = decompress(Some("br"), &compressed, 1_000).expect_err("unsupported");
        assert_eq!(error.code, Code::Unimplemented);
    }

    #[test]
    fn query_values_are_percent_decoded() {
        let query = parse_query("a=1&b=x%2By&c=d+e&flag").expect("query");
        assert_eq!(
            query,
            vec![
                ("a".to_string(), b"1".to_vec()),
                ("b".to_string(), b"x+y".to_vec()),
                ("c".to_string(), b"d e".to_vec()),
                ("flag".to_string(), Vec::new()),
            ]
        );
    }
}
