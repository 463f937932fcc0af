//! An HTTP service that gives a team a managed runner bound to a profile
//! template, built on `cwsandbox-control`.
//!
//! `POST /teams/{team}/runner` with the body `{"profile": "<display name>"}`
//! makes sure that the team's runner `team-<team>` exists on the team's
//! cluster and binds the profile template of that display name:
//!
//! | runner | response |
//! | --- | --- |
//! | missing | `201`: created with the template as its default binding |
//! | exists without the binding | `200`: the template is bound, `changed: true` |
//! | exists with the binding | `200`: nothing sent, `changed: false` |
//!
//! The body of a success is `{"created": bool, "changed": bool, "runner":
//! Runner}`, with the runner in the API's proto3 JSON form. An error is
//! `{"error": "<message>", "code": "<code>"}`: `unknown_team` and
//! `profile_not_found` (404), `invalid_request` (400), or the code of the
//! control plane's status (see [`ApiError`]).
//!
//! Teams and their clusters are configuration. A cluster can have at most one
//! managed runner, so each team needs a cluster of its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex as StdMutex};

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cwsandbox_control::Client;
use cwsandbox_control::connect::{Code, Status};
use cwsandbox_control::ops::{self, BindOptions};
use cwsandbox_control::v1beta2::{
    GetRunnerRequest, ProfileTemplate, Runner, RunnerIdentity, RunnerProfileBinding,
    UpdateManagedRunnerRequest,
};
use cwsandbox_control::wkt::FieldMask;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

/// Maximum length of a team name, so that the runner id `team-<name>` stays
/// within the API's 63 characters.
pub const MAX_TEAM_NAME: usize = 58;

/// The cluster and zone of a team's runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The cluster's name in the control plane.
    pub cluster_name: String,
    /// The zone of the cluster, such as `US-WEST-09B`.
    pub zone: String,
}

impl Placement {
    /// Parses `CLUSTER@ZONE`.
    ///
    /// # Errors
    ///
    /// Returns a message naming `text` when either part is missing.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('@') {
            Some((cluster, zone)) if !cluster.is_empty() && !zone.is_empty() => Ok(Self {
                cluster_name: cluster.to_string(),
                zone: zone.to_string(),
            }),
            _ => Err(format!(
                "invalid placement {text:?}: expected CLUSTER@ZONE, such as lab-west-cks@US-WEST-09B"
            )),
        }
    }
}

/// Checks that `team` can name a runner: 1 to 58 characters of `[a-z0-9-]`,
/// starting and ending with a letter or digit.
///
/// # Errors
///
/// Returns a message naming `team` and the rule it breaks.
pub fn validate_team_name(team: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let valid = !team.is_empty()
        && team.len() <= MAX_TEAM_NAME
        && team.chars().all(allowed)
        && !team.starts_with('-')
        && !team.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid team name {team:?}: use 1 to {MAX_TEAM_NAME} characters of a-z, 0-9 and '-', \
             starting and ending with a letter or digit"
        ))
    }
}

/// Returns the runner id of `team`'s runner.
pub fn runner_id(team: &str) -> String {
    format!("team-{team}")
}

/// The state the handlers share: one client, the teams and a lock per team.
#[derive(Clone)]
pub struct AppState {
    client: Client,
    teams: Arc<BTreeMap<String, Placement>>,
    locks: Arc<StdMutex<HashMap<String, Arc<Mutex<()>>>>>,
}

impl AppState {
    /// Creates the state from a client and the team placements.
    ///
    /// # Errors
    ///
    /// Returns a message naming the first team whose name is invalid.
    pub fn new(client: Client, teams: BTreeMap<String, Placement>) -> Result<Self, String> {
        for team in teams.keys() {
            validate_team_name(team)?;
        }
        Ok(Self {
            client,
            teams: Arc::new(teams),
            locks: Arc::default(),
        })
    }

    /// Returns the lock that serializes the changes to `team`'s runner. The
    /// API has no etag, so two concurrent binding updates would each replace
    /// the list the other wrote.
    // NOTE: the lock covers one process only; replicas of this service need a
    // shared lock or a single writer per team.
    fn team_lock(&self, team: &str) -> Arc<Mutex<()>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(team.to_string()).or_default().clone()
    }
}

/// Builds the service's routes: `POST /teams/{team}/runner` and `GET /healthz`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/teams/{team}/runner", post(give_runner))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state)
}

/// The body of `POST /teams/{team}/runner`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerRequest {
    /// The display name of the profile template to bind.
    pub profile: String,
}

/// The body of a successful `POST /teams/{team}/runner`.
#[derive(Debug, Clone, Serialize)]
pub struct RunnerReply {
    /// True when this request created the runner.
    pub created: bool,
    /// True when this request created the runner or changed its bindings.
    pub changed: bool,
    /// The runner as the control plane returned it.
    pub runner: Runner,
}

async fn give_runner(
    State(state): State<AppState>,
    Path(team): Path<String>,
    body: Result<Json<RunnerRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RunnerReply>), ApiError> {
    let Json(request) = body.map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let Some(placement) = state.teams.get(&team) else {
        return Err(ApiError::unknown_team(&team, &state.teams));
    };
    let profile = request.profile.trim();
    if profile.is_empty() {
        return Err(ApiError::invalid(
            "profile is empty: give a template's display name",
        ));
    }

    let lock = state.team_lock(&team);
    let _guard = lock.lock().await;
    let template = state
        .client
        .find_profile_template(profile)
        .await
        .map_err(ApiError::upstream)?
        .ok_or_else(|| ApiError::profile_not_found(profile))?;

    let id = runner_id(&team);
    match get_runner(&state.client, &id).await? {
        Some(runner) => bind_template(&state.client, runner, &template).await,
        None => create_runner(&state.client, &team, placement, &template).await,
    }
}

/// Returns the runner with runner id `id`, or `None` when there is none.
async fn get_runner(client: &Client, id: &str) -> Result<Option<Runner>, ApiError> {
    let request = GetRunnerRequest { id: id.to_string() };
    match client.get_runner(request).await {
        Ok(runner) => Ok(Some(runner)),
        Err(status) if status.is_not_found() => Ok(None),
        Err(status) => Err(ApiError::upstream(status)),
    }
}

async fn create_runner(
    client: &Client,
    team: &str,
    placement: &Placement,
    template: &ProfileTemplate,
) -> Result<(StatusCode, Json<RunnerReply>), ApiError> {
    let id = runner_id(team);
    let runner = Runner {
        display_name: format!("{team} team"),
        identity: Some(RunnerIdentity {
            zone: placement.zone.clone(),
            cluster_name: placement.cluster_name.clone(),
            ..RunnerIdentity::default()
        }),
        profile_bindings: vec![RunnerProfileBinding {
            profile_template_id: template.id.clone(),
            is_default: true,
            ..RunnerProfileBinding::default()
        }],
        ..Runner::default()
    };
    // The safe create looks the runner up after an ambiguous failure instead
    // of sending the create twice.
    match client.create_managed_runner_safely(&id, runner).await {
        Ok(runner) => {
            tracing::info!(team, runner_id = %id, runner = %runner.id, profile = %template.display_name, "created runner");
            Ok(reply(StatusCode::CREATED, true, true, runner))
        }
        // Another process made the runner since the Get: bind to it instead.
        Err(status) if status.is_already_exists() => match get_runner(client, &id).await? {
            Some(existing) => bind_template(client, existing, template).await,
            // The cluster already has a runner with another runner id.
            None => Err(ApiError::upstream(status)),
        },
        Err(status) => Err(ApiError::upstream(status)),
    }
}

async fn bind_template(
    client: &Client,
    runner: Runner,
    template: &ProfileTemplate,
) -> Result<(StatusCode, Json<RunnerReply>), ApiError> {
    let bindings = ops::bind(&runner, &template.id, BindOptions::default())
        .map_err(|error| ApiError::invalid(error.to_string()))?;
    if bindings == runner.profile_bindings {
        return Ok(reply(StatusCode::OK, false, false, runner));
    }

    let request = UpdateManagedRunnerRequest {
        runner: Some(Runner {
            id: runner.id.clone(),
            profile_bindings: bindings,
            ..Runner::default()
        }),
        update_mask: Some(FieldMask::new(["profile_bindings"])),
    };
    let updated = client
        .update_managed_runner(request)
        .await
        .map_err(ApiError::upstream)?;
    tracing::info!(runner = %updated.id, profile = %template.display_name, "bound profile template");
    Ok(reply(StatusCode::OK, false, true, updated))
}

fn reply(
    status: StatusCode,
    created: bool,
    changed: bool,
    runner: Runner,
) -> (StatusCode, Json<RunnerReply>) {
    let body = RunnerReply {
        created,
        changed,
        runner,
    };
    (status, Json(body))
}

/// An error response: `{"error": "<message>", "code": "<code>"}`.
///
/// A status from the control plane keeps its code name, and its HTTP status
/// follows who can fix it:
///
/// | control plane code | HTTP |
/// | --- | --- |
/// | `not_found` | 404 |
/// | `already_exists`, `failed_precondition` | 409 |
/// | `invalid_argument` | 422: the request is valid here, but the runner it implies is not |
/// | `unavailable`, `deadline_exceeded`, `resource_exhausted` | 503 |
/// | `unauthenticated`, `permission_denied` and the rest | 502: the service's token or the control plane is at fault |
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    code: &'a str,
}

impl ApiError {
    fn invalid(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::info!(error = %message, "rejected an invalid request");
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            message,
        }
    }

    fn unknown_team(team: &str, teams: &BTreeMap<String, Placement>) -> Self {
        let known: Vec<&str> = teams.keys().map(String::as_str).collect();
        tracing::info!(team, "rejected a request for an unknown team");
        Self {
            status: StatusCode::NOT_FOUND,
            code: "unknown_team",
            message: format!(
                "unknown team {team:?}: this service places runners for {}",
                known.join(", ")
            ),
        }
    }

    fn profile_not_found(profile: &str) -> Self {
        tracing::info!(
            profile,
            "no profile template has the requested display name"
        );
        Self {
            status: StatusCode::NOT_FOUND,
            code: "profile_not_found",
            message: format!("no profile template has the display name {profile:?}"),
        }
    }

    fn upstream(status: Status) -> Self {
        let http = match status.code() {
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists | Code::FailedPrecondition => StatusCode::CONFLICT,
            Code::InvalidArgument => StatusCode::UNPROCESSABLE_ENTITY,
            Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::BAD_GATEWAY,
        };
        tracing::warn!(code = %status.code(), error = %status, "control plane call failed");
        Self {
            status: http,
            code: status.code().as_str(),
            message: format!("control plane: {}", status.message()),
        }
    }

    /// Returns the HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
            code: self.code,
        };
        (self.status, Json(body)).into_response()
    }
}
