//! The methods of `RunnerManagementService` and how HTTP requests reach them:
//! REST paths from the `google.api.http` rules and Connect procedure paths.

use http::Method as HttpMethod;
use percent_encoding::percent_decode_str;

use super::wire::{CONNECT_PREFIX, REST_PREFIX};

/// One method of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Method {
    CreateProfileTemplate,
    GetProfileTemplate,
    ListProfileTemplates,
    UpdateProfileTemplate,
    DeleteProfileTemplate,
    CreateManagedRunner,
    GetRunner,
    ListManagedRunners,
    UpdateManagedRunner,
    DeleteManagedRunner,
    ApplyManagedRunnerUpdate,
}

impl Method {
    /// Every method, in the order of the service definition.
    pub(crate) const ALL: [Method; 11] = [
        Method::CreateProfileTemplate,
        Method::GetProfileTemplate,
        Method::ListProfileTemplates,
        Method::UpdateProfileTemplate,
        Method::DeleteProfileTemplate,
        Method::CreateManagedRunner,
        Method::GetRunner,
        Method::ListManagedRunners,
        Method::UpdateManagedRunner,
        Method::DeleteManagedRunner,
        Method::ApplyManagedRunnerUpdate,
    ];

    /// The method name of the proto service, such as `GetRunner`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::CreateProfileTemplate => "CreateProfileTemplate",
            Method::GetProfileTemplate => "GetProfileTemplate",
            Method::ListProfileTemplates => "ListProfileTemplates",
            Method::UpdateProfileTemplate => "UpdateProfileTemplate",
            Method::DeleteProfileTemplate => "DeleteProfileTemplate",
            Method::CreateManagedRunner => "CreateManagedRunner",
            Method::GetRunner => "GetRunner",
            Method::ListManagedRunners => "ListManagedRunners",
            Method::UpdateManagedRunner => "UpdateManagedRunner",
            Method::DeleteManagedRunner => "DeleteManagedRunner",
            Method::ApplyManagedRunnerUpdate => "ApplyManagedRunnerUpdate",
        }
    }

    /// The method with the proto name `name`.
    pub(crate) fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|method| method.name() == name)
    }

    /// Whether the method has no side effects (`idempotency_level = NO_SIDE_EFFECTS`):
    /// Get and List, which `SANDBOX_USER` may call and Connect may send as GET.
    pub(crate) fn is_read_only(self) -> bool {
        matches!(
            self,
            Method::GetProfileTemplate
                | Method::ListProfileTemplates
                | Method::GetRunner
                | Method::ListManagedRunners
        )
    }
}

/// The target of a REST request: the method and the `{id}` path variable, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestRoute {
    pub(crate) method: Method,
    pub(crate) id: Option<String>,
}

/// Result of matching a REST request against the `google.api.http` rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RestMatch {
    Found(RestRoute),
    /// The path exists but not with this HTTP method; carries the allowed ones.
    WrongMethod(&'static str),
    NotFound,
}

/// Matches an HTTP method and path against the REST rules of the service.
pub(crate) fn match_rest(http_method: &HttpMethod, path: &str) -> RestMatch {
    let Some(rest) = path.strip_prefix(REST_PREFIX) else {
        return RestMatch::NotFound;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let (collection, id, action) = match segments.as_slice() {
        [collection] => (*collection, None, None),
        [collection, id] => (*collection, Some(*id), None),
        [collection, id, action] => (*collection, Some(*id), Some(*action)),
        _ => return RestMatch::NotFound,
    };
    let id = match id.map(decode_segment) {
        Some(Some(id)) if !id.is_empty() => Some(id),
        Some(_) => return RestMatch::NotFound,
        None => None,
    };

    let (candidates, allowed): (&[(HttpMethod, Method)], &'static str) =
        match (collection, id.is_some(), action) {
            ("profile-templates", false, None) => (
                &[
                    (HttpMethod::POST, Method::CreateProfileTemplate),
                    (HttpMethod::GET, Method::ListProfileTemplates),
                ],
                "GET, POST",
            ),
            ("profile-templates", true, None) => (
                &[
                    (HttpMethod::GET, Method::GetProfileTemplate),
                    (HttpMethod::PATCH, Method::UpdateProfileTemplate),
                    (HttpMethod::DELETE, Method::DeleteProfileTemplate),
                ],
                "GET, PATCH, DELETE",
            ),
            ("managed-runners", false, None) => (
                &[
                    (HttpMethod::POST, Method::CreateManagedRunner),
                    (HttpMethod::GET, Method::ListManagedRunners),
                ],
                "GET, POST",
            ),
            ("managed-runners", true, None) => (
                &[
                    (HttpMethod::GET, Method::GetRunner),
                    (HttpMethod::PATCH, Method::UpdateManagedRunner),
                    (HttpMethod::DELETE, Method::DeleteManagedRunner),
                ],
                "GET, PATCH, DELETE",
            ),
            ("managed-runners", true, Some("apply-update")) => (
                &[(HttpMethod::POST, Method::ApplyManagedRunnerUpdate)],
                "POST",
            ),
            _ => return RestMatch::NotFound,
        };
    match candidates
        .iter()
        .find(|(candidate, _)| candidate == http_method)
    {
        Some((_, method)) => RestMatch::Found(RestRoute {
            method: *method,
            id,
        }),
        None => RestMatch::WrongMethod(allowed),
    }
}

/// Percent-decodes one path segment; `None` when it is not UTF-8 or contains a `/`.
fn decode_segment(segment: &str) -> Option<String> {
    let decoded = percent_decode_str(segment).decode_utf8().ok()?;
    if decoded.contains('/') {
        return None;
    }
    Some(decoded.into_owned())
}

/// Result of matching a path against the Connect procedures of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectMatch {
    Found(Method),
    /// A path of the Connect form (`/package.Service/Method`) that names no
    /// procedure of this service.
    Unknown,
    /// Not a Connect path at all.
    NotConnect,
}

/// Matches a path against `/coreweave.sandbox.v1beta2.RunnerManagementService/<Method>`.
pub(crate) fn match_connect(path: &str) -> ConnectMatch {
    if let Some(name) = path.strip_prefix(CONNECT_PREFIX) {
        return match Method::from_name(name) {
            Some(method) => ConnectMatch::Found(method),
            None => ConnectMatch::Unknown,
        };
    }
    if is_connect_shaped(path) {
        ConnectMatch::Unknown
    } else {
        ConnectMatch::NotConnect
    }
}

/// Returns whether a path looks like `/<package>.<Service>/<Method>`.
pub(crate) fn is_connect_shaped(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    match rest.split_once('/') {
        Some((service, method)) => {
            service.contains('.')
                && !method.is_empty()
                && !method.contains('/')
                && !path.starts_with(REST_PREFIX)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(method: Method, id: Option<&str>) -> RestMatch {
        RestMatch::Found(RestRoute {
            method,
            id: id.map(str::to_string),
        })
    }

    #[test]
    fn rest_rules_match() {
        let cases = [
            (
                "POST",
                "/v1beta2/sandbox/profile-templates",
                found(Method::CreateProfileTemplate, None),
            ),
            (
                "GET",
                "/v1beta2/sandbox/profile-templates",
                found(Method::ListProfileTemplates, None),
            ),
            (
                "GET",
                "/v1beta2/sandbox/profile-templates/a%2Db",
                found(Method::GetProfileTemplate, Some("a-b")),
            ),
            (
                "PATCH",
                "/v1beta2/sandbox/profile-templates/x",
                found(Method::UpdateProfileTemplate, Some("x")),
            ),
            (
                "DELETE",
                "/v1beta2/sandbox/profile-templates/x",
                found(Method::DeleteProfileTemplate, Some("x")),
            ),
            (
                "POST",
                "/v1beta2/sandbox/managed-runners",
                found(Method::CreateManagedRunner, None),
            ),
            (
                "GET",
                "/v1beta2/sandbox/managed-runners",
                found(Method::ListManagedRunners, None),
            ),
            (
                "GET",
                "/v1beta2/sandbox/managed-runners/lab",
                found(Method::GetRunner, Some("lab")),
            ),
            (
                "PATCH",
                "/v1beta2/sandbox/managed-runners/lab",
                found(Method::UpdateManagedRunner, Some("lab")),
            ),
            (
                "DELETE",
                "/v1beta2/sandbox/managed-runners/lab",
                found(Method::DeleteManagedRunner, Some("lab")),
            ),
            (
                "POST",
                "/v1beta2/sandbox/managed-runners/lab/apply-update",
                found(Method::ApplyManagedRunnerUpdate, Some("lab")),
            ),
            (
                "PUT",
                "/v1beta2/sandbox/managed-runners/lab",
                RestMatch::WrongMethod("GET, PATCH, DELETE"),
            ),
            (
                "GET",
                "/v1beta2/sandbox/managed-runners/lab/apply-update",
                RestMatch::WrongMethod("POST"),
            ),
            (
                "GET",
                "/v1beta2/sandbox/managed-runners/",
                RestMatch::NotFound,
            ),
            (
                "GET",
                "/v1beta2/sandbox/managed-runners/a%2Fb",
                RestMatch::NotFound,
            ),
            ("GET", "/v1beta2/sandbox/clusters", RestMatch::NotFound),
            ("GET", "/v1/sandbox/managed-runners", RestMatch::NotFound),
        ];
        for (http_method, path, expected) in cases {
            let http_method = HttpMethod::from_bytes(http_method.as_bytes()).expect("valid method");
            assert_eq!(
                match_rest(&http_method, path),
                expected,
                "{http_method} {path}"
            );
        }
    }

    #[test]
    fn connect_paths_match() {
        let prefix = CONNECT_PREFIX;
        assert_eq!(
            match_connect(&format!("{prefix}GetRunner")),
            ConnectMatch::Found(Method::GetRunner)
        );
        assert_eq!(
            match_connect(&format!("{prefix}Watch")),
            ConnectMatch::Unknown
        );
        assert_eq!(
            match_connect("/other.v1.Service/Get"),
            ConnectMatch::Unknown
        );
        assert_eq!(match_connect("/healthz"), ConnectMatch::NotConnect);
        assert_eq!(
            match_connect("/v1beta2/sandbox/x.y"),
            ConnectMatch::NotConnect
        );
    }
}
