//! The command line of `cwsctl`.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::output::Format;

pub(crate) use crate::{DEFAULT_ENDPOINT, TOKEN_ENV};

const AFTER_HELP: &str = "\
Files given to -f are JSON or YAML (`-` reads stdin). A file contains the request body \
({\"profileTemplate\": {...}} or {\"runnerId\": ..., \"runner\": {...}}), the bare resource, \
or the structured form where spec.namespace, spec.network and spec.pod are objects. \
Keys may be camelCase or snake_case, and each may appear once per object; unknown fields and \
duplicate keys are errors. A UTF-8 byte order mark is skipped.

Exit status: 0 on success, 1 when a call fails or the server's state blocks the command, \
2 when the command line or an input file is wrong (nothing was sent).";

/// Manage CoreWeave Sandbox profile templates and managed runners (API v1beta2).
#[derive(Debug, Parser)]
#[command(name = "cwsctl", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options that every command accepts.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalArgs {
    /// API endpoint: scheme, host and optional port.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        default_value = DEFAULT_ENDPOINT,
        conflicts_with = "emulator"
    )]
    pub(crate) endpoint: String,
    /// API access token, sent as a bearer token and never printed.
    #[arg(long, global = true, value_name = "TOKEN", env = TOKEN_ENV, hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Wire protocol: REST transcoding (JSON over HTTP paths) or Connect.
    #[arg(long, global = true, value_enum, default_value_t = WireProtocol::Rest)]
    pub(crate) protocol: WireProtocol,
    /// Output format.
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Format::Table)]
    pub(crate) output: Format,
    /// Time limit of each call, and of the whole wait of `runner wait` and
    /// `--wait` [default: 30s per call, 10m per wait]. Write `30s`, `5m`,
    /// `1h` or `500ms`; a bare number is seconds.
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        allow_hyphen_values = true,
        value_parser = parse_duration
    )]
    pub(crate) timeout: Option<Duration>,
    /// Log debug events on stderr (-vv for trace events).
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Start the in-process emulator with a demo admin token and send every
    /// call to it, so commands work offline. State lasts for one command.
    #[arg(long, global = true)]
    pub(crate) emulator: bool,
}

/// The wire protocols of `--protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WireProtocol {
    /// JSON over the REST paths of google.api.http.
    Rest,
    /// The Connect protocol with JSON messages.
    Connect,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create, read, update and delete profile templates.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Create, read, update and delete managed runners and their bindings.
    #[command(subcommand)]
    Runner(RunnerCommand),
    /// Create or update every resource in files so the server matches them.
    ///
    /// Templates are matched by displayName and runners by runnerId. What is
    /// missing is created, what differs is updated with a mask of exactly the
    /// changed fields, and the diff is printed. Running it again changes
    /// nothing. The file states the whole value of each mutable field, so a
    /// field it leaves out is cleared.
    ///
    /// Templates go first, so a runner's profileTemplateId may name a
    /// template by its displayName: it is resolved to the template's id.
    ///
    /// A YAML file may contain several documents separated by `---`, and a
    /// JSON file a list of them. A document may carry `kind: ProfileTemplate`
    /// or `kind: Runner`; without it, `profileTemplate` or `spec` marks a
    /// template, and `runner`, `runnerId`, `identity`, `managedSpec` or
    /// `profileBindings` a runner. A directory means its .json, .yaml
    /// and .yml files, read in name order.
    Apply(ApplyArgs),
    /// Run the control plane emulator.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Run the getting-started workflow against the in-process emulator.
    Demo,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ProfileCommand {
    /// Create a profile template from a file.
    Create {
        #[command(flatten)]
        file: FileArg,
        #[command(flatten)]
        dry_run: DryRunArg,
    },
    /// Show one profile template, by id or display name.
    Get {
        /// Template id, or display name (resolved by listing).
        id_or_name: String,
    },
    /// List profile templates.
    List(ListArgs),
    /// Update a profile template from a file.
    ///
    /// Without --mask or an updateMask in the file, the mask is computed
    /// from the file and the server's current template, so only the fields
    /// that differ are sent.
    Update {
        /// Template id, or display name.
        id_or_name: String,
        #[command(flatten)]
        file: FileArg,
        #[command(flatten)]
        mask: ProfileMaskArg,
        #[command(flatten)]
        dry_run: DryRunArg,
    },
    /// Delete a profile template.
    Delete {
        /// Template id, or display name.
        id_or_name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RunnerCommand {
    /// Create a managed runner from a file.
    Create {
        /// The runner id: 1-63 characters of [a-z0-9-].
        runner_id: String,
        #[command(flatten)]
        file: FileArg,
        #[command(flatten)]
        dry_run: DryRunArg,
    },
    /// Show one runner, by UUID or runner id.
    Get {
        /// Runner UUID or runner id.
        id: String,
    },
    /// List managed runners.
    List(ListArgs),
    /// Update a runner from a file.
    ///
    /// Without --mask or an updateMask in the file, the mask is computed
    /// from the file and the server's current runner, so only the fields
    /// that differ are sent.
    Update {
        /// Runner UUID or runner id.
        id: String,
        #[command(flatten)]
        file: FileArg,
        #[command(flatten)]
        mask: RunnerMaskArg,
        #[command(flatten)]
        dry_run: DryRunArg,
    },
    /// Delete a runner.
    Delete {
        /// Runner UUID or runner id.
        id: String,
        /// Wait until teardown ends and the runner is gone.
        #[arg(long)]
        wait: bool,
    },
    /// Roll a runner to the newest version of its release channel.
    ApplyUpdate {
        /// Runner UUID or runner id.
        id: String,
    },
    /// Wait until a runner reaches a state, showing its status as it changes.
    Wait {
        /// Runner UUID or runner id.
        id: String,
        /// The state to wait for.
        #[arg(long = "for", value_enum, default_value_t = WaitFor::Ready)]
        condition: WaitFor,
    },
    /// Bind a profile template to a runner, keeping its other bindings.
    Bind {
        /// Runner UUID or runner id.
        runner: String,
        /// Template id or display name.
        profile: String,
        /// Alias that sandboxes select the profile by (default: the template's display name).
        #[arg(long, value_name = "ALIAS")]
        name: Option<String>,
        /// Make this binding the runner's default.
        #[arg(long)]
        default: bool,
        /// Partial profile spec applied over the template, as a JSON object.
        #[arg(long, value_name = "JSON", value_parser = parse_overrides)]
        overrides_json: Option<String>,
    },
    /// Remove a profile template's binding from a runner, keeping the others.
    Unbind {
        /// Runner UUID or runner id.
        runner: String,
        /// Template id or display name.
        profile: String,
    },
}

/// The states of `runner wait --for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WaitFor {
    /// Install status READY.
    Ready,
    /// Install status READY and connection status CONNECTED.
    Connected,
    /// The runner is gone (GetRunner returns NOT_FOUND).
    Deleted,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EmulatorCommand {
    /// Serve the emulator on an address until interrupted.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,
    /// File that keeps the state across restarts (default: memory only).
    /// Its directory must exist. The file is written at start, and each change
    /// is appended to PATH.journal beside it.
    #[arg(long, value_name = "PATH")]
    pub(crate) state: Option<String>,
    /// Emulator configuration file (JSON or YAML).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<String>,
    /// Token with the SANDBOX_ADMIN role (repeatable).
    #[arg(long = "admin-token", value_name = "TOKEN")]
    pub(crate) admin_tokens: Vec<String>,
    /// Token with the SANDBOX_USER role (repeatable).
    #[arg(long = "user-token", value_name = "TOKEN")]
    pub(crate) user_tokens: Vec<String>,
    /// Cluster that runners may be created on, as NAME=ZONE (repeatable).
    #[arg(long = "cluster", value_name = "NAME=ZONE")]
    pub(crate) clusters: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub(crate) files: FilesArg,
    #[command(flatten)]
    pub(crate) dry_run: DryRunArg,
}

#[derive(Debug, Args)]
pub(crate) struct FileArg {
    /// JSON or YAML file, `-` for stdin.
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    pub(crate) file: String,
}

#[derive(Debug, Args)]
pub(crate) struct FilesArg {
    /// JSON or YAML file or directory, `-` for stdin (repeatable).
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR",
        required = true
    )]
    pub(crate) files: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ProfileMaskArg {
    /// Comma-separated field paths to update, camelCase or snake_case, out
    /// of description, spec and labels (`spec,labels`). An updateMask in the
    /// file must name the same paths.
    #[arg(long, value_name = "PATHS")]
    pub(crate) mask: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RunnerMaskArg {
    /// Comma-separated field paths to update, camelCase or snake_case
    /// (`managedSpec.releaseChannel,profileBindings`), out of displayName,
    /// identity.zone, identity.runnerGroupId, managedSpec,
    /// managedSpec.releaseChannel, managedSpec.maintenancePolicy,
    /// managedSpec.overrides and profileBindings. An updateMask in the file
    /// must name the same paths.
    #[arg(long, value_name = "PATHS")]
    pub(crate) mask: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DryRunArg {
    /// Print the request that would be sent, and send nothing that changes
    /// state. Reads still happen where the request needs them: to resolve a
    /// name or to compute a mask.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Items per page requested from the server (the server caps it at 100).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 50,
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(i32).range(1..)
    )]
    pub(crate) page_size: i32,
    /// Stop after N items (default: all).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
}

/// Checks `--overrides-json` before any call is sent.
fn parse_overrides(text: &str) -> Result<String, String> {
    crate::ops::check_overrides(text)
        .map(|()| text.to_string())
        .map_err(|error| error.to_string())
}

/// Parses `30s`, `5m`, `1h`, `500ms` or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|character: char| !character.is_ascii_digit() && character != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let invalid =
        || format!("invalid duration {text:?}: use a number with ms, s, m or h, such as 30s");
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(invalid()),
    };
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 31_536_000.0 {
        return Err(format!(
            "invalid duration {text:?}: expected more than 0 and at most a year"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Returns the long help of `cwsctl SUBCOMMAND update`.
    fn update_help(subcommand: &str) -> String {
        let mut command = Cli::command();
        let update = command
            .find_subcommand_mut(subcommand)
            .and_then(|group| group.find_subcommand_mut("update"))
            .map(|update| update.render_long_help().to_string());
        update.unwrap_or_default()
    }

    /// Converts a snake_case mask path to the camelCase that the help shows.
    fn camel_path(path: &str) -> String {
        let parts: Vec<String> = path
            .split('.')
            .map(|segment| {
                let mut output = String::new();
                let mut upper = false;
                for character in segment.chars() {
                    if character == '_' {
                        upper = true;
                    } else if upper {
                        output.push(character.to_ascii_uppercase());
                        upper = false;
                    } else {
                        output.push(character);
                    }
                }
                output
            })
            .collect();
        parts.join(".")
    }

    #[test]
    fn mask_help_names_each_allowed_path() {
        let cases = [
            ("profile", crate::ops::PROFILE_TEMPLATE_MASK_PATHS),
            ("runner", crate::ops::RUNNER_MASK_PATHS),
        ];
        for (subcommand, paths) in cases {
            let help = update_help(subcommand);
            for path in paths {
                let camel = camel_path(path);
                assert!(
                    help.contains(&camel),
                    "{subcommand}: {camel} missing in\n{help}"
                );
            }
        }
    }

    #[test]
    fn profile_mask_help_has_no_runner_paths() {
        let help = update_help("profile");
        assert!(help.contains("--mask"), "{help}");
        assert!(!help.contains("managedSpec"), "{help}");
        assert!(!help.contains("profileBindings"), "{help}");
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3d").is_err());
    }
}
