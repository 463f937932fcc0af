//! The `cwsctl` command line tool.
//!
//! Exit status: 0 on success, 1 when a call fails or the server's state
//! blocks the command, 2 when the command line or an input file is wrong and
//! nothing was sent.

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

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command, EmulatorCommand};
use context::Context;
use error::{CliResult, EXIT_USAGE};

/// Runs `cwsctl` with the process arguments and returns its exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
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
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(error::EXIT_FAILURE);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::debug!(?error, "command failed");
            eprintln!("{error}");
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
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
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "cwsctl", &mut std::io::stdout());
            Ok(())
        }
        Command::Demo => demo::run().await,
    }
}
