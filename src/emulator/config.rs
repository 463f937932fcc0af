//! Configuration of the emulator: who may call it, which clusters exist, how
//! fast runners move through their lifecycle and which faults to inject.
//!
//! Every field has a default, so an empty JSON or YAML document is a valid
//! configuration. A list that is given (`tokens`, `clusters`) replaces the
//! default list. Durations are written as text (`"1s"`, `"250ms"`, `"2m"`) or
//! as a number of seconds. In YAML:
//!
//! ```yaml
//! tokens:
//!   - {token: admin-token, organization: org-example, role: admin}
//!   - {token: user-token, organization: org-example, role: user}
//! clusters:
//!   - {id: cl-lab-west-09b, name: lab-west-cks, zone: US-WEST-09B, extra_zones: [US-WEST-09C]}
//!   - {id: cl-east-01a, name: cks-east-01a-offline, zone: US-EAST-01A, status: unreachable}
//! timings: {pending: 1s, provisioning: 2s, deleting: 1s, rollout: 3s, liveness_window: 10s}
//! faults:
//!   GetRunner: {unavailable_ratio: 0.2, retry_delay: 500ms, delay: 50ms}
//! fault_seed: 7
//! state_path: /var/lib/cwsandbox-emulator/state.json
//! max_body_bytes: 1048576
//! ```

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::routes::Method;

/// Everything that shapes one emulator instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
///
/// ```
/// use std::time::Duration;
/// use cwsandbox_control::emulator::{EmulatorConfig, Role};
///
/// let config: EmulatorConfig = serde_json::from_str(
///     r#"{
///         "tokens": [{"token": "ci-token", "organization": "org-ci", "role": "admin"}],
///         "timings": {"pending": "250ms", "provisioning": 2},
///         "faults": {"GetRunner": {"unavailable_ratio": 0.2}}
///     }"#,
/// )?;
/// assert_eq!(config.tokens.len(), 1, "a given list replaces the default one");
/// assert_eq!(config.tokens[0].role, Role::Admin);
/// assert_eq!(config.timings.pending, Duration::from_millis(250));
/// assert_eq!(config.timings.provisioning, Duration::from_secs(2));
/// assert_eq!(config.clusters, EmulatorConfig::default().clusters);
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EmulatorConfig {
    /// Bearer tokens the emulator accepts, each bound to an organization and a role.
    pub tokens: Vec<TokenConfig>,
    /// Clusters that runners may be created on.
    pub clusters: Vec<ClusterConfig>,
    /// Durations of the runner lifecycle.
    pub timings: Timings,
    /// Faults per method name (such as `GetRunner`), applied to every call of it.
    pub faults: BTreeMap<String, Fault>,
    /// Seed of the random choices of fault injection; `None` seeds from the OS.
    pub fault_seed: Option<u64>,
    /// File that keeps the state across restarts; `None` keeps it in memory only.
    pub state_path: Option<PathBuf>,
    /// Maximum size of a request body in bytes, after decompression.
    pub max_body_bytes: usize,
    /// Maximum total size of a request's headers in bytes.
    pub max_header_bytes: usize,
    /// Maximum nesting depth of a JSON request body.
    pub max_json_depth: usize,
    /// Time allowed to receive a request's headers and body.
    #[serde(with = "duration_text")]
    pub read_timeout: Duration,
    /// Smallest response body that is gzip-compressed when the client accepts gzip.
    pub compress_min_bytes: usize,
    /// Starts the clock frozen; it moves only through `EmulatorHandle::advance`.
    pub manual_clock: bool,
    /// Newest runner version of each release channel when the emulator starts.
    pub release_versions: ReleaseVersions,
    /// Runner image repository; the runner version is appended as the tag.
    pub runner_image: String,
    /// Gateway address written into each runner's deployment spec.
    pub gateway_server: String,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            tokens: default_tokens(),
            clusters: default_clusters(),
            timings: Timings::default(),
            faults: BTreeMap::new(),
            fault_seed: None,
            state_path: None,
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 16 * 1024,
            max_json_depth: 64,
            read_timeout: Duration::from_secs(10),
            compress_min_bytes: 1024,
            manual_clock: false,
            release_versions: ReleaseVersions::default(),
            runner_image: "cwsandbox/runner".to_string(),
            gateway_server: "gateway.cwsandbox.invalid:443".to_string(),
        }
    }
}

/// A bearer token and the identity it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cwsandbox_control::emulator::{Emulator, EmulatorConfig, Role, TokenConfig};
///
/// let token = TokenConfig {
///     token: "ci-token".into(),
///     organization: "org-ci".into(),
///     role: Role::Admin,
/// };
/// let config = EmulatorConfig { tokens: vec![token], ..EmulatorConfig::default() };
/// let emulator = Emulator::builder().config(config).start().await?;
/// assert_eq!(emulator.admin_token(), "ci-token");
/// assert_eq!(emulator.user_token(), "", "no user token was configured");
/// # Ok(())
/// # }
/// ```
pub struct TokenConfig {
    /// The secret sent as `Authorization: Bearer <token>`.
    pub token: String,
    /// Organization whose resources the token may access.
    pub organization: String,
    /// IAM role of the token.
    pub role: Role,
}

/// IAM role of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
///
/// ```
/// use cwsandbox_control::emulator::Role;
///
/// assert_eq!(serde_json::from_str::<Role>(r#""user""#)?, Role::User);
/// assert_eq!(serde_json::from_str::<Role>(r#""SANDBOX_ADMIN""#)?, Role::Admin);
/// assert_eq!(serde_json::to_string(&Role::Admin)?, r#""admin""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub enum Role {
    /// `SANDBOX_ADMIN`: read, create, update and delete.
    #[serde(alias = "SANDBOX_ADMIN")]
    Admin,
    /// `SANDBOX_USER`: Get and List only.
    #[serde(alias = "SANDBOX_USER")]
    User,
}

/// A Kubernetes cluster that can hold one managed runner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
///
/// ```
/// use cwsandbox_control::emulator::{ClusterConfig, ClusterStatus};
///
/// let cluster: ClusterConfig = serde_json::from_str(
///     r#"{"id": "cl-1", "name": "cks-1", "zone": "US-EAST-04A", "extra_zones": ["US-EAST-04B"]}"#,
/// )?;
/// assert_eq!(cluster.status, ClusterStatus::Ready);
/// assert!(cluster.serves_zone("US-EAST-04B"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct ClusterConfig {
    /// Cluster id, matched exactly against `identity.clusterId`.
    pub id: String,
    /// Cluster name, matched exactly against `identity.clusterName`.
    pub name: String,
    /// Home zone of the cluster, such as `US-WEST-09B`.
    pub zone: String,
    /// Further zones the cluster's nodes span; a runner's zone may be any of
    /// `zone` and these, compared case-insensitively.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_zones: Vec<String>,
    /// Health of the cluster, which decides how installs on it end.
    #[serde(default)]
    pub status: ClusterStatus,
}

impl ClusterConfig {
    /// Returns whether a runner in `zone` may run on this cluster.
    ///
    /// ```
    /// use cwsandbox_control::emulator::EmulatorConfig;
    ///
    /// let config = EmulatorConfig::default();
    /// let lab = config.clusters.iter().find(|cluster| cluster.name == "lab-west-cks").unwrap();
    /// assert!(lab.serves_zone("US-WEST-09B"));
    /// assert!(lab.serves_zone("us-west-09c"), "zones compare case-insensitively");
    /// assert!(!lab.serves_zone("US-EAST-04A"));
    /// ```
    pub fn serves_zone(&self, zone: &str) -> bool {
        self.zone.eq_ignore_ascii_case(zone)
            || self
                .extra_zones
                .iter()
                .any(|extra| extra.eq_ignore_ascii_case(zone))
    }
}

/// Health of a cluster, which decides how runner installs on it end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
///
/// ```
/// use cwsandbox_control::emulator::{ClusterStatus, EmulatorConfig};
///
/// let status: ClusterStatus = serde_json::from_str(r#""insufficient_capacity""#)?;
/// assert_eq!(status, ClusterStatus::InsufficientCapacity);
///
/// // Installs on this default cluster fail as CLUSTER_UNREACHABLE.
/// let config = EmulatorConfig::default();
/// let offline = config.clusters.iter().find(|cluster| cluster.name == "cks-east-01a-offline");
/// assert_eq!(offline.unwrap().status, ClusterStatus::Unreachable);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub enum ClusterStatus {
    /// Installs succeed.
    #[default]
    Ready,
    /// Installs fail with `RUNNER_INSTALL_ERROR_REASON_CLUSTER_UNREACHABLE`.
    Unreachable,
    /// Installs fail with `RUNNER_INSTALL_ERROR_REASON_INSUFFICIENT_CAPACITY`.
    InsufficientCapacity,
    /// Installs fail with `RUNNER_INSTALL_ERROR_REASON_PERMISSION_DENIED`.
    PermissionDenied,
}

/// Durations of the runner lifecycle. Each may be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
///
/// ```
/// use std::time::Duration;
/// use cwsandbox_control::emulator::Timings;
///
/// let timings: Timings = serde_json::from_str(r#"{"rollout": "1.5s", "liveness_window": 30}"#)?;
/// assert_eq!(timings.rollout, Duration::from_millis(1500));
/// assert_eq!(timings.liveness_window, Duration::from_secs(30));
/// assert_eq!(timings.pending, Timings::default().pending, "fields left out keep their default");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Timings {
    /// Time in `PENDING` after create.
    #[serde(with = "duration_text")]
    pub pending: Duration,
    /// Time in `PROVISIONING` before `READY`.
    #[serde(with = "duration_text")]
    pub provisioning: Duration,
    /// Time in `DELETING` before the runner is gone.
    #[serde(with = "duration_text")]
    pub deleting: Duration,
    /// Time from a configuration change until `activeRevision` catches up.
    #[serde(with = "duration_text")]
    pub rollout: Duration,
    /// A runner whose last heartbeat is older than this is `DISCONNECTED`.
    #[serde(with = "duration_text")]
    pub liveness_window: Duration,
    /// Time between two heartbeats of a connected runner; zero means continuous.
    #[serde(with = "duration_text")]
    pub heartbeat_interval: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            pending: Duration::from_secs(1),
            provisioning: Duration::from_secs(2),
            deleting: Duration::from_secs(1),
            rollout: Duration::from_secs(3),
            liveness_window: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(2),
        }
    }
}

impl Timings {
    /// Timings where every step finishes at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::emulator::Timings;
    ///
    /// let timings = Timings::instant();
    /// assert_eq!(timings.provisioning, Duration::ZERO);
    /// assert_eq!(Timings::default().provisioning, Duration::from_secs(2));
    /// ```
    pub fn instant() -> Self {
        Self {
            pending: Duration::ZERO,
            provisioning: Duration::ZERO,
            deleting: Duration::ZERO,
            rollout: Duration::ZERO,
            liveness_window: Duration::ZERO,
            heartbeat_interval: Duration::ZERO,
        }
    }
}

/// Faults injected into the calls of one method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
///
/// ```
/// use std::time::Duration;
/// use cwsandbox_control::emulator::Fault;
///
/// let fault: Fault = serde_json::from_str(r#"{"unavailable_ratio": 0.2, "retry_delay": "500ms"}"#)?;
/// assert_eq!(fault.unavailable_ratio, 0.2);
/// assert_eq!(fault.retry_delay, Duration::from_millis(500));
/// assert_eq!(fault.delay, Duration::ZERO);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Fault {
    /// Share of calls, from 0.0 to 1.0, that fail with `UNAVAILABLE`.
    pub unavailable_ratio: f64,
    /// Delay suggested to the client in the `RetryInfo` of a failed call.
    #[serde(with = "duration_text")]
    pub retry_delay: Duration,
    /// Time every call waits before it is handled.
    #[serde(with = "duration_text")]
    pub delay: Duration,
}

/// Newest runner version of each release channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
///
/// ```
/// use cwsandbox_control::emulator::{EmulatorConfig, ReleaseVersions};
///
/// let versions = ReleaseVersions { stable: "2.0.0".into(), rapid: "2.1.0".into() };
/// let config = EmulatorConfig { release_versions: versions, ..EmulatorConfig::default() };
/// assert!(config.validate().is_ok());
///
/// let versions = ReleaseVersions { stable: "latest".into(), ..ReleaseVersions::default() };
/// let config = EmulatorConfig { release_versions: versions, ..EmulatorConfig::default() };
/// assert!(config.validate().unwrap_err().to_string().contains("latest"));
/// ```
pub struct ReleaseVersions {
    /// Version of `RELEASE_CHANNEL_STABLE` (and of an unset channel).
    pub stable: String,
    /// Version of `RELEASE_CHANNEL_RAPID`.
    pub rapid: String,
}

impl Default for ReleaseVersions {
    fn default() -> Self {
        Self {
            stable: "1.4.0".to_string(),
            rapid: "1.5.0".to_string(),
        }
    }
}

fn default_tokens() -> Vec<TokenConfig> {
    let token = |token: &str, organization: &str, role| TokenConfig {
        token: token.to_string(),
        organization: organization.to_string(),
        role,
    };
    vec![
        token("admin-token", "org-example", Role::Admin),
        token("user-token", "org-example", Role::User),
        token("other-admin-token", "org-other", Role::Admin),
    ]
}

fn default_clusters() -> Vec<ClusterConfig> {
    let cluster = |id: &str, name: &str, zone: &str, extra: &[&str], status| ClusterConfig {
        id: id.to_string(),
        name: name.to_string(),
        zone: zone.to_string(),
        extra_zones: extra.iter().map(|zone| (*zone).to_string()).collect(),
        status,
    };
    vec![
        cluster(
            "cl-lab-west-09b",
            "lab-west-cks",
            "US-WEST-09B",
            &["US-WEST-09C"],
            ClusterStatus::Ready,
        ),
        cluster(
            "cl-east-04a",
            "cks-east-04a",
            "US-EAST-04A",
            &[],
            ClusterStatus::Ready,
        ),
        cluster(
            "cl-central-02a",
            "cks-central-02a",
            "US-CENTRAL-02A",
            &[],
            ClusterStatus::Ready,
        ),
        cluster(
            "cl-east-01a",
            "cks-east-01a-offline",
            "US-EAST-01A",
            &[],
            ClusterStatus::Unreachable,
        ),
        cluster(
            "cl-east-13a",
            "cks-east-13a-full",
            "US-EAST-13A",
            &[],
            ClusterStatus::InsufficientCapacity,
        ),
    ]
}

impl EmulatorConfig {
    /// Checks the configuration for values the emulator cannot serve.
    ///
    /// # Errors
    ///
    /// Returns an `InvalidInput` error naming the first bad value.
    ///
    /// ```
    /// use cwsandbox_control::emulator::{EmulatorConfig, Fault};
    ///
    /// assert!(EmulatorConfig::default().validate().is_ok());
    ///
    /// let mut config = EmulatorConfig::default();
    /// config.faults.insert("GetRunner".into(), Fault { unavailable_ratio: 1.5, ..Fault::default() });
    /// let error = config.validate().unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// assert!(error.to_string().contains("1.5"), "{error}");
    /// ```
    pub fn validate(&self) -> io::Result<()> {
        let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        let mut tokens = HashSet::new();
        for entry in &self.tokens {
            if entry.token.is_empty() || entry.organization.is_empty() {
                return invalid("every token needs a non-empty token and organization".into());
            }
            if !tokens.insert(entry.token.as_str()) {
                return invalid(format!(
                    "a token of organization {:?} appears twice; tokens must be unique",
                    entry.organization
                ));
            }
        }
        let (mut ids, mut names) = (HashSet::new(), HashSet::new());
        for cluster in &self.clusters {
            if cluster.id.is_empty() || cluster.name.is_empty() || cluster.zone.is_empty() {
                return invalid(format!(
                    "cluster {:?} needs a non-empty id, name and zone",
                    cluster.name
                ));
            }
            if !ids.insert(cluster.id.as_str()) || !names.insert(cluster.name.as_str()) {
                return invalid(format!(
                    "cluster id {:?} or name {:?} appears twice; both must be unique",
                    cluster.id, cluster.name
                ));
            }
        }
        for (method, fault) in &self.faults {
            if Method::from_name(method).is_none() {
                return invalid(format!(
                    "fault names unknown method {method:?}; use a method name such as GetRunner"
                ));
            }
            if !(0.0..=1.0).contains(&fault.unavailable_ratio) {
                return invalid(format!(
                    "fault of {method}: unavailable_ratio {} is outside 0.0..=1.0",
                    fault.unavailable_ratio
                ));
            }
        }
        for (channel, version) in [
            ("stable", &self.release_versions.stable),
            ("rapid", &self.release_versions.rapid),
        ] {
            if super::state::parse_version(version).is_none() {
                return invalid(format!(
                    "release_versions.{channel} {version:?} is not a dotted version such as 1.4.0"
                ));
            }
        }
        if self.max_body_bytes == 0 || self.max_header_bytes == 0 || self.max_json_depth == 0 {
            return invalid(
                "max_body_bytes, max_header_bytes and max_json_depth must be above 0".into(),
            );
        }
        Ok(())
    }
}

/// Serde for durations as text (`"1.5s"`, `"250ms"`, `"2m"`, `"1h"`) or seconds.
pub(crate) mod duration_text {
    use std::time::Duration;

    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;

    pub(crate) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if value.subsec_nanos() == 0 {
            serializer.serialize_str(&format!("{}s", value.as_secs()))
        } else if value.subsec_nanos().is_multiple_of(1_000_000) {
            serializer.serialize_str(&format!("{}ms", value.as_millis()))
        } else {
            serializer.serialize_str(&format!("{}ns", value.as_nanos()))
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        deserializer.deserialize_any(DurationVisitor)
    }

    struct DurationVisitor;

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("a duration such as \"1.5s\", \"250ms\" or a number of seconds")
        }

        fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Duration, E> {
            Ok(Duration::from_secs(seconds))
        }

        fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Duration, E> {
            u64::try_from(seconds)
                .map(Duration::from_secs)
                .map_err(|_| E::custom(format!("duration {seconds} is negative")))
        }

        fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<Duration, E> {
            Duration::try_from_secs_f64(seconds)
                .map_err(|_| E::custom(format!("duration {seconds} is negative or too large")))
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
            parse(text).ok_or_else(|| {
                E::custom(format!(
                    "invalid duration {text:?}; write a number with a unit: ns, us, ms, s, m or h"
                ))
            })
        }
    }

    /// Parses `<number><unit>` with units ns, us, ms, s, m, h; a bare number is seconds.
    pub(crate) fn parse(text: &str) -> Option<Duration> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().ok()?;
        let seconds_per_unit = match unit.trim() {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "" | "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        Duration::try_from_secs_f64(number * seconds_per_unit).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_document_is_the_default() {
        let config: EmulatorConfig = serde_json::from_str("{}").expect("empty config parses");
        assert_eq!(config, EmulatorConfig::default());
        assert!(config.validate().is_ok());
    }

    #[test]
    fn full_document_parses() {
        let config: EmulatorConfig = serde_json::from_str(
            r#"{
                "tokens": [{"token": "t", "organization": "o", "role": "SANDBOX_USER"}],
                "clusters": [{"id": "c", "name": "n", "zone": "US-EAST-04A", "status": "insufficient_capacity"}],
                "timings": {"pending": "0s", "liveness_window": "30s"},
                "faults": {"GetRunner": {"unavailable_ratio": 0.25, "retry_delay": "500ms", "delay": 0.05}},
                "fault_seed": 7,
                "state_path": "/tmp/state.json",
                "max_body_bytes": 2048,
                "read_timeout": "2s",
                "manual_clock": true,
                "release_versions": {"stable": "2.0.0", "rapid": "2.1.0"}
            }"#,
        )
        .expect("full config parses");
        assert!(config.validate().is_ok());
        assert_eq!(config.tokens[0].role, Role::User);
        assert_eq!(
            config.clusters[0].status,
            ClusterStatus::InsufficientCapacity
        );
        assert_eq!(config.timings.liveness_window, Duration::from_secs(30));
        assert_eq!(
            config.timings.provisioning,
            Duration::from_secs(2),
            "unset timings keep defaults"
        );
        assert_eq!(config.faults["GetRunner"].delay, Duration::from_millis(50));
        assert!(
            serde_json::from_str::<EmulatorConfig>(r#"{"token": []}"#).is_err(),
            "unknown keys fail"
        );
    }

    #[test]
    fn durations_accept_text_and_seconds() {
        let timings: Timings = serde_json::from_str(
            r#"{"pending": "250ms", "provisioning": 2, "deleting": 0.5, "rollout": "1m"}"#,
        )
        .expect("timings parse");
        assert_eq!(timings.pending, Duration::from_millis(250));
        assert_eq!(timings.provisioning, Duration::from_secs(2));
        assert_eq!(timings.deleting, Duration::from_millis(500));
        assert_eq!(timings.rollout, Duration::from_secs(60));
        assert!(serde_json::from_str::<Timings>(r#"{"pending": "soon"}"#).is_err());
        assert!(serde_json::from_str::<Timings>(r#"{"pending": -1}"#).is_err());
    }

    #[test]
    fn validate_rejects_bad_values() {
        let mut duplicate = EmulatorConfig::default();
        duplicate.tokens.push(duplicate.tokens[0].clone());
        let mut ratio = EmulatorConfig::default();
        ratio.faults.insert(
            "GetRunner".into(),
            Fault {
                unavailable_ratio: 1.5,
                ..Fault::default()
            },
        );
        let mut method = EmulatorConfig::default();
        method.faults.insert("Fetch".into(), Fault::default());
        for config in [duplicate, ratio, method] {
            assert!(config.validate().is_err(), "{config:?}");
        }
    }
}
