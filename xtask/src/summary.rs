//! Changes to the generated API between two proto sets, from their snapshots.

use std::collections::BTreeMap;
use std::fmt;

use crate::descriptor::{Entry, entries};
use crate::protoset::ProtoSet;

/// Kind of change to one element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// The element is new.
    Added,
    /// The element is gone.
    Removed,
    /// The element's snapshot line changed.
    Changed,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Action::Added => "added",
            Action::Removed => "removed",
            Action::Changed => "changed",
        };
        f.pad(name)
    }
}

/// One changed element of the generated API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Kind of change.
    pub action: Action,
    /// `message`, `field`, `enum`, `value`, `service`, `method` or `package`.
    pub kind: &'static str,
    /// Fully qualified name.
    pub element: String,
    /// Snapshot detail before the change; empty when added.
    pub old: String,
    /// Snapshot detail after the change; empty when removed.
    pub new: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<8} {:<8} {}", self.action, self.kind, self.element)?;
        match self.action {
            Action::Added if !self.new.is_empty() => write!(f, " {}", self.new),
            Action::Changed => write!(f, ": {} -> {}", self.old, self.new),
            _ => Ok(()),
        }
    }
}

/// Returns the elements that differ between `old` and `new`, in snapshot
/// order of `new`, then the removed ones.
pub fn changes(old: &ProtoSet, new: &ProtoSet) -> Vec<Change> {
    let old_entries = entries(old);
    let new_entries = entries(new);
    let old_by_key: BTreeMap<_, _> = old_entries.iter().map(|e| (key(e), e)).collect();
    let new_by_key: BTreeMap<_, _> = new_entries.iter().map(|e| (key(e), e)).collect();
    let mut changes = Vec::new();
    for entry in &new_entries {
        match old_by_key.get(&key(entry)) {
            None => changes.push(change(Action::Added, entry, "", &entry.detail)),
            Some(before) if before.detail != entry.detail => {
                changes.push(change(
                    Action::Changed,
                    entry,
                    &before.detail,
                    &entry.detail,
                ));
            }
            Some(_) => {}
        }
    }
    for entry in &old_entries {
        if !new_by_key.contains_key(&key(entry)) {
            changes.push(change(Action::Removed, entry, &entry.detail, ""));
        }
    }
    changes
}

fn key(entry: &Entry) -> (&'static str, String) {
    (entry.kind, entry.element.clone())
}

fn change(action: Action, entry: &Entry, old: &str, new: &str) -> Change {
    Change {
        action,
        kind: entry.kind,
        element: entry.element.clone(),
        old: old.to_string(),
        new: new.to_string(),
    }
}

/// Returns the report printed after `update-protos`: a count line, then one
/// line per change.
pub fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "generated API: no changes\n".to_string();
    }
    let count = |action| changes.iter().filter(|c| c.action == action).count();
    let mut text = format!(
        "generated API: {} added, {} removed, {} changed\n",
        count(Action::Added),
        count(Action::Removed),
        count(Action::Changed)
    );
    for change in changes {
        text.push_str(&format!("  {change}\n"));
    }
    text
}
