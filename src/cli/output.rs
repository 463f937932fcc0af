//! Printing resources as tables, proto3 JSON or YAML.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use comfy_table::presets::NOTHING;
use comfy_table::{CellAlignment, Table};
use serde::Serialize;
use serde_json::Value;

use super::error::{CliError, CliResult};
use crate::v1beta2::{
    ProfileTemplate, ReleaseChannel, Runner, RunnerConnectionStatus, RunnerInstallStatus,
};
use crate::wkt::Timestamp;

/// The `-o` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Columns for people, like kubectl.
    Table,
    /// Pretty proto3 JSON, the API's own field names.
    Json,
    /// The proto3 JSON form as YAML.
    Yaml,
}

/// Writes `text` to stdout and flushes it. A closed stdout becomes
/// [`CliError::StdoutClosed`], which ends the command quietly.
pub(crate) fn write_stdout(text: &str) -> CliResult {
    write_stdout_bytes(text.as_bytes())
}

/// Writes `bytes` to stdout, as [`write_stdout`] does.
pub(crate) fn write_stdout_bytes(bytes: &[u8]) -> CliResult {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|error| {
            if error.kind() == io::ErrorKind::BrokenPipe {
                CliError::StdoutClosed
            } else {
                CliError::failed(format!("cannot write to stdout: {error}"))
            }
        })
}

/// Writes `line` and a newline to stderr. A failed write is ignored, because
/// stderr is where it would be reported; `eprintln!` would panic instead.
pub(crate) fn write_stderr(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

/// Converts a message to its proto3 JSON value.
pub(crate) fn to_json<T: Serialize>(message: &T) -> Result<Value, CliError> {
    serde_json::to_value(message)
        .map_err(|error| CliError::failed(format!("cannot encode the message as JSON: {error}")))
}

/// Renders a message, or any JSON value, as pretty JSON or YAML, with the
/// fields in declaration order.
pub(crate) fn render_structured<T: Serialize>(
    format: Format,
    message: &T,
) -> Result<String, CliError> {
    match format {
        Format::Yaml => serde_yaml_ng::to_string(message).map_err(|error| {
            CliError::failed(format!("cannot encode the message as YAML: {error}"))
        }),
        Format::Json | Format::Table => {
            let mut text = serde_json::to_string_pretty(message).map_err(|error| {
                CliError::failed(format!("cannot encode the message as JSON: {error}"))
            })?;
            text.push('\n');
            Ok(text)
        }
    }
}

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(NOTHING);
    table.set_header(header.iter().copied());
    for column in table.column_iter_mut() {
        column.set_padding((0, 3));
    }
    table
}

fn finish(table: &Table) -> String {
    let mut text = String::new();
    for line in table.to_string().lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Renders profile templates as a table.
pub(crate) fn templates_table(templates: &[ProfileTemplate]) -> String {
    let mut table = new_table(&[
        "NAME",
        "ID",
        "RUNTIME CLASS",
        "INSTANCE TYPES",
        "LABELS",
        "AGE",
    ]);
    for template in templates {
        let spec = template.spec.clone().unwrap_or_default();
        let mut labels: Vec<String> = template
            .labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        labels.sort();
        table.add_row(vec![
            template.display_name.clone(),
            template.id.clone(),
            or_dash(&spec.runtime_class),
            or_dash(&capped_list(&spec.instance_types)),
            or_dash(&capped_list(&labels)),
            age(template.created_at.as_ref()),
        ]);
    }
    finish(&table)
}

/// Renders runners as a table. `template_names` maps template ids to
/// display names for the PROFILES column; the default binding is starred.
pub(crate) fn runners_table(
    runners: &[Runner],
    template_names: &HashMap<String, String>,
) -> String {
    let mut table = new_table(&[
        "RUNNER ID",
        "ZONE",
        "CLUSTER",
        "INSTALL",
        "CONNECTION",
        "CHANNEL",
        "REVISION",
        "PROFILES",
        "AGE",
    ]);
    for runner in runners {
        let identity = runner.identity.clone().unwrap_or_default();
        let channel = runner
            .managed_spec
            .as_ref()
            .map_or(0, |spec| spec.release_channel);
        let mut revision = format!("{}/{}", runner.active_revision, runner.target_revision);
        if runner.update_available {
            revision.push_str(" (update available)");
        }
        table.add_row(vec![
            or_dash(&identity.runner_id),
            or_dash(&identity.zone),
            or_dash(&identity.cluster_name),
            install_status(runner.install_status),
            connection_status(runner.connection_status),
            release_channel(channel),
            revision,
            bindings_summary(runner, template_names),
            age(runner.created_at.as_ref()),
        ]);
    }
    if let Some(column) = table.column_mut(6) {
        column.set_cell_alignment(CellAlignment::Left);
    }
    finish(&table)
}

fn bindings_summary(runner: &Runner, template_names: &HashMap<String, String>) -> String {
    let names: Vec<String> = runner
        .profile_bindings
        .iter()
        .map(|binding| {
            let mut name = if !binding.profile_name.is_empty() {
                binding.profile_name.clone()
            } else if let Some(display_name) = template_names.get(&binding.profile_template_id) {
                display_name.clone()
            } else {
                binding.profile_template_id.clone()
            };
            if binding.is_default {
                name.push('*');
            }
            name
        })
        .collect();
    or_dash(&capped_list(&names))
}

/// Widest list cell of a table (labels, instance types, profiles), in
/// characters. `-o json` and `-o yaml` print every item.
const MAX_LIST_CELL_CHARS: usize = 40;

/// Joins `items` with commas into at most [`MAX_LIST_CELL_CHARS`]
/// characters: the items that fit, then `+N more` for the rest. A first
/// item too wide on its own is cut with an ellipsis.
fn capped_list(items: &[String]) -> String {
    let mut cell = String::new();
    let mut width = 0;
    for (index, item) in items.iter().enumerate() {
        let after = items.len() - index - 1;
        let reserve = if after > 0 {
            format!(" +{after} more").len()
        } else {
            0
        };
        let separator = usize::from(index > 0);
        let item_width = item.chars().count();
        if width + separator + item_width + reserve <= MAX_LIST_CELL_CHARS {
            if index > 0 {
                cell.push(',');
            }
            cell.push_str(item);
            width += separator + item_width;
            continue;
        }
        if index == 0 {
            let kept = MAX_LIST_CELL_CHARS.saturating_sub(reserve + 1).max(1);
            cell.extend(item.chars().take(kept));
            cell.push('\u{2026}');
            if after > 0 {
                cell.push_str(&format!(" +{after} more"));
            }
        } else {
            cell.push_str(&format!(" +{} more", items.len() - index));
        }
        return cell;
    }
    cell
}

/// Returns the short name of an install status: `READY`.
pub(crate) fn install_status(value: i32) -> String {
    RunnerInstallStatus::try_from(value).map_or_else(
        |_| value.to_string(),
        |status| {
            status
                .as_str_name()
                .trim_start_matches("RUNNER_INSTALL_STATUS_")
                .to_string()
        },
    )
}

/// Returns the short name of a connection status: `CONNECTED`.
pub(crate) fn connection_status(value: i32) -> String {
    RunnerConnectionStatus::try_from(value).map_or_else(
        |_| value.to_string(),
        |status| {
            status
                .as_str_name()
                .trim_start_matches("RUNNER_CONNECTION_STATUS_")
                .to_string()
        },
    )
}

/// Returns the short name of a release channel; unset reads as STABLE.
pub(crate) fn release_channel(value: i32) -> String {
    match ReleaseChannel::try_from(value) {
        Ok(ReleaseChannel::Unspecified) => "STABLE".to_string(),
        Ok(channel) => channel
            .as_str_name()
            .trim_start_matches("RELEASE_CHANNEL_")
            .to_string(),
        Err(_) => value.to_string(),
    }
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text.to_string()
    }
}

/// Formats the time since `created` like kubectl: `45s`, `12m`, `5h`, `3d`.
fn age(created: Option<&Timestamp>) -> String {
    let Some(created) = created else {
        return "-".to_string();
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        });
    format_age(now.saturating_sub(created.seconds))
}

fn format_age(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..120 => format!("{seconds}s"),
        120..7200 => format!("{}m", seconds / 60),
        7200..172_800 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1beta2::{ManagedRunnerSpec, RunnerIdentity, RunnerProfileBinding};

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(format_age(5), "5s");
        assert_eq!(format_age(600), "10m");
        assert_eq!(format_age(3 * 3600), "3h");
        assert_eq!(format_age(3 * 86_400), "3d");
        assert_eq!(format_age(-4), "0s");
    }

    #[test]
    fn runner_table_shows_statuses_and_default() {
        let runner = Runner {
            identity: Some(RunnerIdentity {
                runner_id: "lab-west".to_string(),
                zone: "US-WEST-09B".to_string(),
                cluster_name: "lab-west-cks".to_string(),
                ..Default::default()
            }),
            managed_spec: Some(ManagedRunnerSpec {
                release_channel: 2,
                ..Default::default()
            }),
            install_status: 3,
            connection_status: 1,
            active_revision: 2,
            target_revision: 2,
            profile_bindings: vec![
                RunnerProfileBinding {
                    profile_template_id: "p1".to_string(),
                    profile_name: "agents".to_string(),
                    is_default: true,
                    ..Default::default()
                },
                RunnerProfileBinding {
                    profile_template_id: "p2".to_string(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let names = HashMap::from([("p2".to_string(), "train-a100".to_string())]);
        let table = runners_table(&[runner], &names);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2, "{table}");
        assert!(lines[0].contains("RUNNER ID"), "{table}");
        for expected in [
            "lab-west",
            "READY",
            "CONNECTED",
            "RAPID",
            "2/2",
            "agents*,train-a100",
        ] {
            assert!(lines[1].contains(expected), "{expected} missing in {table}");
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn short_list_is_shown_whole() {
        assert_eq!(capped_list(&strings(&["a=1", "b=2"])), "a=1,b=2");
        assert_eq!(capped_list(&[]), "");
    }

    #[test]
    fn long_list_ends_with_count() {
        let items: Vec<String> = (0..30).map(|index| format!("team{index:02}=x")).collect();
        let cell = capped_list(&items);
        assert!(cell.chars().count() <= MAX_LIST_CELL_CHARS, "{cell}");
        assert!(cell.starts_with("team00=x,team01=x,"), "{cell}");
        let shown = cell.split(' ').next().unwrap().split(',').count();
        assert!(cell.ends_with(&format!(" +{} more", 30 - shown)), "{cell}");
    }

    #[test]
    fn wide_first_item_is_cut() {
        let wide = format!("key={}", "v".repeat(60));
        let cell = capped_list(&strings(&[&wide, "b=2"]));
        assert!(cell.chars().count() <= MAX_LIST_CELL_CHARS, "{cell}");
        assert!(cell.starts_with("key=vvv"), "{cell}");
        assert!(cell.ends_with("\u{2026} +1 more"), "{cell}");
        let alone = capped_list(&strings(&[&wide]));
        assert_eq!(alone.chars().count(), MAX_LIST_CELL_CHARS, "{alone}");
    }

    #[test]
    fn yaml_output_uses_json_names() {
        let template = ProfileTemplate {
            display_name: "zone-defaults".to_string(),
            spec: Some(Default::default()),
            ..Default::default()
        };
        let text = render_structured(Format::Yaml, &template).unwrap();
        assert_eq!(text, "displayName: zone-defaults\nspec: {}\n");
    }
}
