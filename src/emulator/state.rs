//! The emulator's resources and the serde form they are persisted in.
//!
//! Runners store their configuration and a few timestamps; every status a
//! response shows is derived from those and the clock (see `lifecycle`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::config::ReleaseVersions;
use super::page_token::PageKey;
use crate::v1beta2::{ProfileTemplate, ReleaseChannel, Runner};

/// Every resource of every organization, plus the release channel versions.
///
/// The maps are kept with indexes in List order, so a page is a range scan.
/// Every change goes through the methods below. They keep the indexes in
/// step and remember the value each touched key had before the current
/// change. [`State::roll_back`] restores those values, [`State::delta`]
/// returns the new ones for the journal, and [`State::forget_changes`] ends
/// the change.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Profile templates by id.
    templates: BTreeMap<String, TemplateRecord>,
    /// Runners by id, including those being deleted.
    runners: BTreeMap<String, RunnerRecord>,
    /// Newest version of each release channel.
    versions: ChannelVersions,
    /// Templates in List order: organization, then creation time and id.
    template_order: BTreeSet<(String, PageKey)>,
    /// Templates by organization, display name and id.
    template_names: BTreeSet<(String, String, String)>,
    /// Runners in List order: organization, then creation time and id.
    runner_order: BTreeSet<(String, PageKey)>,
    /// Values before the current change.
    undo: Delta,
}

/// New values of the keys one change touched; `None` is a removed key.
///
/// One delta is one line of the journal, so replaying deltas in order on the
/// state they started from gives the state after them. Replaying a delta
/// that the state already contains changes nothing.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Delta {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    templates: BTreeMap<String, Option<TemplateRecord>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    runners: BTreeMap<String, Option<RunnerRecord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    versions: Option<ChannelVersions>,
}

impl Delta {
    pub(crate) fn is_empty(&self) -> bool {
        self.templates.is_empty() && self.runners.is_empty() && self.versions.is_none()
    }
}

/// The serialized form of [`State`]: its maps without the indexes.
#[derive(Serialize)]
struct StateRef<'a> {
    templates: &'a BTreeMap<String, TemplateRecord>,
    runners: &'a BTreeMap<String, RunnerRecord>,
    versions: &'a ChannelVersions,
}

#[derive(Deserialize)]
struct StateData {
    templates: BTreeMap<String, TemplateRecord>,
    runners: BTreeMap<String, RunnerRecord>,
    versions: ChannelVersions,
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StateRef {
            templates: &self.templates,
            runners: &self.runners,
            versions: &self.versions,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let data = StateData::deserialize(deserializer)?;
        let mut state = Self::new(data.versions);
        for (id, record) in data.templates {
            state.index_template(&id, &record);
            state.templates.insert(id, record);
        }
        for (id, record) in data.runners {
            state.runner_order.insert(runner_index(&id, &record));
            state.runners.insert(id, record);
        }
        Ok(state)
    }
}

impl PartialEq for State {
    /// Compares the resources; the indexes follow from them.
    fn eq(&self, other: &Self) -> bool {
        self.templates == other.templates
            && self.runners == other.runners
            && self.versions == other.versions
    }
}

impl State {
    /// Builds an empty state whose release channels start at `versions`.
    pub(crate) fn new(versions: ChannelVersions) -> Self {
        Self {
            versions,
            ..Self::default()
        }
    }

    pub(crate) fn templates(&self) -> &BTreeMap<String, TemplateRecord> {
        &self.templates
    }

    pub(crate) fn runners(&self) -> &BTreeMap<String, RunnerRecord> {
        &self.runners
    }

    pub(crate) fn versions(&self) -> &ChannelVersions {
        &self.versions
    }

    /// Returns whether `organization` has a template named `display_name`.
    pub(crate) fn has_display_name(&self, organization: &str, display_name: &str) -> bool {
        let first = (
            organization.to_string(),
            display_name.to_string(),
            String::new(),
        );
        self.template_names
            .range(first..)
            .next()
            .is_some_and(|(org, name, _)| org == organization && name == display_name)
    }

    /// Returns the templates of `organization` in List order, starting after
    /// `after` (or at the first one).
    pub(crate) fn templates_after<'a>(
        &'a self,
        organization: &'a str,
        after: Option<&PageKey>,
    ) -> impl Iterator<Item = (&'a PageKey, &'a TemplateRecord)> + 'a {
        ordered_after(&self.template_order, organization, after)
            .filter_map(|key| Some((key, self.templates.get(&key.id)?)))
    }

    /// Returns the runners of `organization` in List order, starting after
    /// `after` (or at the first one).
    pub(crate) fn runners_after<'a>(
        &'a self,
        organization: &'a str,
        after: Option<&PageKey>,
    ) -> impl Iterator<Item = (&'a PageKey, &'a RunnerRecord)> + 'a {
        ordered_after(&self.runner_order, organization, after)
            .filter_map(|key| Some((key, self.runners.get(&key.id)?)))
    }

    /// Inserts or replaces the template with the record's id.
    pub(crate) fn put_template(&mut self, record: TemplateRecord) {
        let id = record.template.id.clone();
        self.remember_template(&id);
        if let Some(old) = self.templates.remove(&id) {
            self.unindex_template(&id, &old);
        }
        self.index_template(&id, &record);
        self.templates.insert(id, record);
    }

    pub(crate) fn remove_template(&mut self, id: &str) {
        self.remember_template(id);
        if let Some(old) = self.templates.remove(id) {
            self.unindex_template(id, &old);
        }
    }

    /// Inserts or replaces the runner with key `id`.
    pub(crate) fn put_runner(&mut self, id: String, record: RunnerRecord) {
        self.remember_runner(&id);
        if let Some(old) = self.runners.remove(&id) {
            self.runner_order.remove(&runner_index(&id, &old));
        }
        self.runner_order.insert(runner_index(&id, &record));
        self.runners.insert(id, record);
    }

    pub(crate) fn remove_runner(&mut self, id: &str) {
        self.remember_runner(id);
        if let Some(old) = self.runners.remove(id) {
            self.runner_order.remove(&runner_index(id, &old));
        }
    }

    /// Changes the runner with key `id` in place; returns `None` when there is none.
    pub(crate) fn update_runner<T>(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut RunnerRecord) -> T,
    ) -> Option<T> {
        let mut record = self.runners.get(id)?.clone();
        let result = change(&mut record);
        self.put_runner(id.to_string(), record);
        Some(result)
    }

    /// Publishes the next patch version on a channel and returns it.
    pub(crate) fn publish(&mut self, channel: ReleaseChannel) -> String {
        if self.undo.versions.is_none() {
            self.undo.versions = Some(self.versions.clone());
        }
        self.versions.publish(channel)
    }

    /// Returns the current values of the keys the current change touched.
    pub(crate) fn delta(&self) -> Delta {
        Delta {
            templates: self
                .undo
                .templates
                .keys()
                .map(|id| (id.clone(), self.templates.get(id).cloned()))
                .collect(),
            runners: self
                .undo
                .runners
                .keys()
                .map(|id| (id.clone(), self.runners.get(id).cloned()))
                .collect(),
            versions: self.undo.versions.as_ref().map(|_| self.versions.clone()),
        }
    }

    /// Ends the current change, keeping it.
    pub(crate) fn forget_changes(&mut self) {
        self.undo = Delta::default();
    }

    /// Undoes the current change.
    pub(crate) fn roll_back(&mut self) {
        let undo = std::mem::take(&mut self.undo);
        self.apply(undo);
        self.forget_changes();
    }

    /// Applies a delta, such as a line of the journal, as part of the current change.
    pub(crate) fn apply(&mut self, delta: Delta) {
        for (id, record) in delta.templates {
            match record {
                Some(record) => self.put_template(record),
                None => self.remove_template(&id),
            }
        }
        for (id, record) in delta.runners {
            match record {
                Some(record) => self.put_runner(id, record),
                None => self.remove_runner(&id),
            }
        }
        if let Some(versions) = delta.versions {
            if self.undo.versions.is_none() {
                self.undo.versions = Some(self.versions.clone());
            }
            self.versions = versions;
        }
    }

    fn remember_template(&mut self, id: &str) {
        if !self.undo.templates.contains_key(id) {
            let old = self.templates.get(id).cloned();
            self.undo.templates.insert(id.to_string(), old);
        }
    }

    fn remember_runner(&mut self, id: &str) {
        if !self.undo.runners.contains_key(id) {
            let old = self.runners.get(id).cloned();
            self.undo.runners.insert(id.to_string(), old);
        }
    }

    fn index_template(&mut self, id: &str, record: &TemplateRecord) {
        self.template_order.insert(template_index(id, record));
        self.template_names.insert(template_name(id, record));
    }

    fn unindex_template(&mut self, id: &str, record: &TemplateRecord) {
        self.template_order.remove(&template_index(id, record));
        self.template_names.remove(&template_name(id, record));
    }
}

fn template_index(id: &str, record: &TemplateRecord) -> (String, PageKey) {
    (
        record.organization.clone(),
        PageKey::of(record.template.created_at, id),
    )
}

fn template_name(id: &str, record: &TemplateRecord) -> (String, String, String) {
    (
        record.organization.clone(),
        record.template.display_name.clone(),
        id.to_string(),
    )
}

fn runner_index(id: &str, record: &RunnerRecord) -> (String, PageKey) {
    (
        record.organization.clone(),
        PageKey::of(record.runner.created_at, id),
    )
}

/// Returns the keys of `organization` in `order` after `after`, or from the first.
fn ordered_after<'a>(
    order: &'a BTreeSet<(String, PageKey)>,
    organization: &'a str,
    after: Option<&PageKey>,
) -> impl Iterator<Item = &'a PageKey> + 'a {
    let start = match after {
        Some(after) => Bound::Excluded((organization.to_string(), after.clone())),
        None => Bound::Included((organization.to_string(), PageKey::MIN)),
    };
    order
        .range((start, Bound::Unbounded))
        .take_while(move |(org, _)| org == organization)
        .map(|(_, key)| key)
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
    use crate::wkt::Timestamp;

    /// Builds a template record of `organization` created at `seconds`.
    fn template(id: &str, organization: &str, name: &str, seconds: i64) -> TemplateRecord {
        TemplateRecord {
            organization: organization.to_string(),
            template: ProfileTemplate {
                id: id.to_string(),
                display_name: name.to_string(),
                created_at: Some(Timestamp { seconds, nanos: 0 }),
                ..ProfileTemplate::default()
            },
        }
    }

    fn listed_ids(state: &State, organization: &str, after: Option<&PageKey>) -> Vec<String> {
        state
            .templates_after(organization, after)
            .map(|(_, record)| record.template.id.clone())
            .collect()
    }

    fn filled() -> State {
        let mut state = State::new(ChannelVersions::from(&ReleaseVersions::default()));
        state.put_template(template("c", "org-a", "third", 30));
        state.put_template(template("a", "org-a", "first", 10));
        state.put_template(template("b", "org-a", "second", 10));
        state.put_template(template("x", "org-b", "first", 5));
        state.forget_changes();
        state
    }

    #[test]
    fn templates_list_in_page_order() {
        let state = filled();
        assert_eq!(listed_ids(&state, "org-a", None), ["a", "b", "c"]);
        assert_eq!(listed_ids(&state, "org-b", None), ["x"]);
        assert!(listed_ids(&state, "org-c", None).is_empty());
        let after = PageKey::of(
            Some(Timestamp {
                seconds: 10,
                nanos: 0,
            }),
            "a",
        );
        assert_eq!(listed_ids(&state, "org-a", Some(&after)), ["b", "c"]);
        let after_last = PageKey::of(
            Some(Timestamp {
                seconds: 30,
                nanos: 0,
            }),
            "c",
        );
        assert!(listed_ids(&state, "org-a", Some(&after_last)).is_empty());
    }

    #[test]
    fn display_names_are_per_organization() {
        let mut state = filled();
        assert!(state.has_display_name("org-a", "first"));
        assert!(state.has_display_name("org-b", "first"));
        assert!(!state.has_display_name("org-b", "second"));
        assert!(!state.has_display_name("org-a", "firs"));
        state.remove_template("a");
        assert!(!state.has_display_name("org-a", "first"));
    }

    #[test]
    fn roll_back_restores_maps_and_indexes() {
        let mut state = filled();
        let before = serde_json::to_string(&state).expect("serialize");
        state.put_template(template("d", "org-a", "fourth", 1));
        state.remove_template("b");
        state.put_template(template("c", "org-a", "third", 40));
        let _ = state.publish(ReleaseChannel::Rapid);
        state.roll_back();
        assert_eq!(serde_json::to_string(&state).expect("serialize"), before);
        assert_eq!(listed_ids(&state, "org-a", None), ["a", "b", "c"]);
        assert!(!state.has_display_name("org-a", "fourth"));
        assert!(state.has_display_name("org-a", "second"));
        assert!(state.delta().is_empty());
    }

    #[test]
    fn delta_replays_the_change() {
        let mut state = filled();
        let mut copy: State =
            serde_json::from_str(&serde_json::to_string(&state).expect("serialize"))
                .expect("deserialize");
        assert_eq!(copy, state);
        state.put_template(template("d", "org-a", "fourth", 1));
        state.remove_template("b");
        let _ = state.publish(ReleaseChannel::Stable);
        let line = serde_json::to_string(&state.delta()).expect("serialize delta");
        state.forget_changes();
        let delta: Delta = serde_json::from_str(&line).expect("deserialize delta");
        copy.apply(delta);
        copy.forget_changes();
        assert_eq!(copy, state);
        assert_eq!(listed_ids(&copy, "org-a", None), ["d", "a", "c"]);
        assert!(copy.has_display_name("org-a", "fourth"));
        assert!(!copy.has_display_name("org-a", "second"));
    }

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
