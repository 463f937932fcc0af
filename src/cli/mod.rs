//! The `cwsctl` command line tool.
//!
//! Exit status: 0 on success, 1 when a call fails or the server's state
//! blocks the command, 2 when the command line or an input file is wrong and
//! nothing was sent.
//!
//! A closed stdout (`cwsctl ... | head -1`) stops the command at the failed
//! write with status 0 and no message, as ripgrep does. Rust ignores SIGPIPE,
//! so the write returns EPIPE where a C or Go program such as kubectl would
//! be killed by the signal (status 141 in a shell). Status 0 keeps
//! `set -o pipefail` scripts that cut the output short from failing.

mod apply;
mod args;
mod context;
mod demo;
mod emulator;
mod error;
mod input;
mod output;
mod profile;
mod progress;
mod resolve;
mod runner;
mod schema;
mod unique_keys;

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command, EmulatorCommand};
use context::Context;
use error::{CliError, CliResult, EXIT_USAGE};

/// Runs `cwsctl` with the process arguments and returns its exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap ignores a closed stdout or stderr here.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging(cli.global.verbose);

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            output::write_stderr(&format!("error: cannot start the async runtime: {error}"));
            return ExitCode::from(error::EXIT_FAILURE);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::StdoutClosed) => {
            tracing::debug!("stdout was closed; stopping");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::debug!(?error, "command failed");
            output::write_stderr(&error.to_string());
            ExitCode::from(error.exit_code())
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let color = use_color(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .try_init();
}

/// Returns whether log lines get ANSI colour: only when stderr is a terminal
/// and NO_COLOR is unset or empty, following <https://no-color.org>.
fn use_color(stderr_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(OsStr::is_empty)
}

async fn run(cli: Cli) -> CliResult {
    let mut context = Context::new(cli.global);
    let result = dispatch(&mut context, cli.command).await;
    context.shutdown().await;
    result
}

async fn dispatch(context: &mut Context, command: Command) -> CliResult {
    match command {
        Command::Profile(command) => profile::run(context, command).await,
        Command::Runner(command) => runner::run(context, command).await,
        Command::Apply(args) => apply::run(context, args).await,
        Command::Emulator(EmulatorCommand::Serve(args)) => emulator::serve(args).await,
        Command::Completions { shell } => {
            // clap_complete panics when its writer fails, so the script is
            // built in memory and written with the closed-stdout handling.
            let mut command = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "cwsctl", &mut script);
            output::write_stdout_bytes(&script)
        }
        Command::Demo => demo::run().await,
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::use_color;

    #[test]
    fn color_only_on_terminal() {
        assert!(use_color(true, None));
        assert!(!use_color(false, None));
    }

    #[test]
    fn color_honours_no_color() {
        assert!(!use_color(true, Some(OsStr::new("1"))));
        assert!(use_color(true, Some(OsStr::new(""))));
        assert!(!use_color(false, Some(OsStr::new(""))));
    }
}
