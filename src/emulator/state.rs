//! The emulator's resources and the serde form they are persisted in.
//!
//! Runners store their configuration and a few timestamps; every status a
//! response shows is derived from those and the clock (see `lifecycle`).

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::config::ReleaseVersions;
use crate::v1beta2::{ProfileTemplate, ReleaseChannel, Runner};

/// Every resource of every organization, plus the release channel versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct State {
    /// Profile templates by id.
    pub(crate) templates: BTreeMap<String, TemplateRecord>,
    /// Runners by id, including those being deleted.
    pub(crate) runners: BTreeMap<String, RunnerRecord>,
    /// Newest version of each release channel.
    pub(crate) versions: ChannelVersions,
}

/// A stored profile template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TemplateRecord {
    pub(crate) organization: String,
    /// The template as returned to clients, output-only fields included.
    #[serde(with = "proto_base64")]
    pub(crate) template: ProfileTemplate,
}

/// A stored runner: its configuration and the events its status derives from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunnerRecord {
    pub(crate) organization: String,
    /// Configuration fields plus id, identity, organization and timestamps;
    /// derived status fields are left empty.
    #[serde(with = "proto_base64")]
    pub(crate) runner: Runner,
    /// Start of the current install: creation, or the change that retried a failed install.
    pub(crate) install_started_at: SystemTime,
    pub(crate) deleted_at: Option<SystemTime>,
    pub(crate) failure: Option<InstallFailure>,
    pub(crate) heartbeats_stopped_at: Option<SystemTime>,
    /// The newest revision; the rollout moves to it.
    pub(crate) target: Revision,
    /// The revision that was active when `target` was made.
    pub(crate) previous: Option<Revision>,
}

/// One revision of a runner's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Revision {
    pub(crate) number: i32,
    /// Runner software version, such as `1.5.0`.
    pub(crate) runner_version: String,
    /// Hash of the runner configuration of the revision.
    pub(crate) config_version: String,
    /// Hash of the bound profiles of the revision.
    pub(crate) profile_spec_version: String,
    pub(crate) started_at: SystemTime,
}

/// The cause and time of an install failure. `at` may lie in the future: a
/// runner on an unhealthy cluster fails when its provisioning would have ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InstallFailure {
    /// A `RunnerInstallErrorReason` value.
    pub(crate) reason: i32,
    pub(crate) message: String,
    pub(crate) at: SystemTime,
}

/// Newest runner version of each release channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChannelVersions {
    pub(crate) stable: String,
    pub(crate) rapid: String,
}

impl From<&ReleaseVersions> for ChannelVersions {
    fn from(versions: &ReleaseVersions) -> Self {
        Self {
            stable: versions.stable.clone(),
            rapid: versions.rapid.clone(),
        }
    }
}

impl ChannelVersions {
    /// Version of a channel; an unset channel follows STABLE.
    pub(crate) fn get(&self, channel: ReleaseChannel) -> &str {
        match channel {
            ReleaseChannel::Rapid => &self.rapid,
            ReleaseChannel::Stable | ReleaseChannel::Unspecified => &self.stable,
        }
    }

    /// Publishes the next patch version on a channel and returns it.
    pub(crate) fn publish(&mut self, channel: ReleaseChannel) -> String {
        let slot = match channel {
            ReleaseChannel::Rapid => &mut self.rapid,
            ReleaseChannel::Stable | ReleaseChannel::Unspecified => &mut self.stable,
        };
        *slot = next_patch(slot);
        slot.clone()
    }
}

/// Parses a dotted version such as `1.4.0` into its numbers.
pub(crate) fn parse_version(version: &str) -> Option<Vec<u64>> {
    let version = version.strip_prefix('v').unwrap_or(version);
    version
        .split('.')
        .map(|part| part.parse::<u64>().ok())
        .collect::<Option<Vec<_>>>()
        .filter(|parts| !parts.is_empty())
}

/// Whether `candidate` is a newer version than `current`.
pub(crate) fn is_newer(candidate: &str, current: &str) -> bool {
    match (parse_version(candidate), parse_version(current)) {
        (Some(candidate), Some(current)) => candidate > current,
        _ => candidate != current,
    }
}

fn next_patch(version: &str) -> String {
    match parse_version(version) {
        Some(mut parts) => {
            if let Some(last) = parts.last_mut() {
                *last += 1;
            }
            let text: Vec<String> = parts.iter().map(u64::to_string).collect();
            text.join(".")
        }
        None => format!("{version}.1"),
    }
}

/// Serde of a prost message as base64 of its binary encoding, so the state
/// file does not depend on the JSON form of the well-known types.
mod proto_base64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub(crate) fn serialize<M: prost::Message, S: Serializer>(
        message: &M,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(message.encode_to_vec()))
    }

    pub(crate) fn deserialize<'de, M: prost::Message + Default, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<M, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = STANDARD
            .decode(text)
            .map_err(|error| de::Error::custom(format!("invalid base64: {error}")))?;
        M::decode(bytes.as_slice())
            .map_err(|error| de::Error::custom(format!("invalid message: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(is_newer("1.10.0", "1.9.0"));
        assert!(!is_newer("1.4.0", "1.5.0"));
        assert!(!is_newer("1.5.0", "1.5.0"));
        assert_eq!(next_patch("1.5.9"), "1.5.10");
    }

    #[test]
    fn publish_moves_one_channel() {
        let mut versions = ChannelVersions::from(&ReleaseVersions::default());
        assert_eq!(versions.publish(ReleaseChannel::Rapid), "1.5.1");
        assert_eq!(versions.get(ReleaseChannel::Rapid), "1.5.1");
        assert_eq!(versions.get(ReleaseChannel::Unspecified), "1.4.0");
    }
}
