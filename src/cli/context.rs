//! The state every command shares: the options, the client and the output.

use std::io::IsTerminal;
use std::time::Duration;

use super::args::{GlobalArgs, TOKEN_ENV, WireProtocol};
use super::error::{CliError, CliResult};
use super::output::{self, Format};
use crate::Client;

/// The time limit of one call when `--timeout` is not given.
pub(crate) const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The time limit of a wait when `--timeout` is not given.
pub(crate) const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

/// The state of one command run.
pub(crate) struct Context {
    global: GlobalArgs,
    client: Option<Client>,
    emulator: Option<EmulatorSession>,
}

/// An in-process emulator that `--emulator` started.
pub(crate) struct EmulatorSession {
    pub(crate) handle: crate::emulator::EmulatorHandle,
}

impl Context {
    pub(crate) fn new(global: GlobalArgs) -> Self {
        Self {
            global,
            client: None,
            emulator: None,
        }
    }

    pub(crate) fn format(&self) -> Format {
        self.global.output
    }

    /// Returns the time limit of one wait.
    pub(crate) fn wait_timeout(&self) -> Duration {
        self.global.timeout.unwrap_or(DEFAULT_WAIT_TIMEOUT)
    }

    /// Returns the client, connecting on first use. The token check runs
    /// before anything touches the network.
    pub(crate) async fn client(&mut self) -> CliResult<Client> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        let client = if self.global.emulator {
            self.start_emulator().await?
        } else {
            let token = self.token()?;
            connect(&self.global, &self.global.endpoint.clone(), &token)?
        };
        self.client = Some(client.clone());
        Ok(client)
    }

    fn token(&self) -> CliResult<String> {
        match self.global.token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() => Ok(token.to_string()),
            _ => Err(CliError::usage(format!(
                "no API token for {}: set {TOKEN_ENV} or pass --token with a CoreWeave API \
                 access token, or pass --emulator to work against the local emulator",
                self.global.endpoint
            ))),
        }
    }

    async fn start_emulator(&mut self) -> CliResult<Client> {
        let handle = super::emulator::start_in_process().await?;
        let client = connect(&self.global, &handle.base_url(), handle.admin_token())?;
        self.emulator = Some(EmulatorSession { handle });
        Ok(client)
    }

    /// Stops the in-process emulator, if one runs.
    pub(crate) async fn shutdown(&mut self) {
        if let Some(session) = self.emulator.take() {
            session.handle.shutdown().await;
        }
    }

    /// Prints a note for a person: on stdout with table output, on stderr
    /// otherwise, so that stdout stays one JSON or YAML document. Fails only
    /// when stdout fails.
    pub(crate) fn note(&self, text: &str) -> CliResult {
        if self.format() == Format::Table {
            output::write_stdout(&format!("{text}\n"))
        } else {
            output::write_stderr(text);
            Ok(())
        }
    }

    /// Prints a message in the structured formats, or `table` with table output.
    pub(crate) fn print<T: serde::Serialize>(
        &self,
        message: &T,
        table: impl FnOnce() -> String,
    ) -> CliResult {
        let text = match self.format() {
            Format::Table => table(),
            format => output::render_structured(format, message)?,
        };
        output::write_stdout(&text)
    }

    /// Returns true when stderr is a terminal, for progress bars.
    pub(crate) fn stderr_is_terminal(&self) -> bool {
        std::io::stderr().is_terminal()
    }
}

/// Builds the client for `endpoint`.
fn connect(global: &GlobalArgs, endpoint: &str, token: &str) -> CliResult<Client> {
    check_plaintext(endpoint)?;
    let protocol = match global.protocol {
        WireProtocol::Rest => crate::connect::Protocol::Rest,
        WireProtocol::Connect => crate::connect::Protocol::Connect,
    };
    let channel = crate::connect::Channel::builder(endpoint)
        .protocol(protocol)
        .bearer_token(token.to_string())
        .default_timeout(global.timeout.unwrap_or(DEFAULT_CALL_TIMEOUT))
        .build()
        .map_err(|error| CliError::usage(format!("invalid endpoint {endpoint:?}: {error}")))?;
    Ok(Client::new(channel))
}

/// Rejects a plain `http://` endpoint that is not on loopback, because the
/// token would cross the network unencrypted.
fn check_plaintext(endpoint: &str) -> CliResult {
    let Ok(uri) = endpoint.parse::<http::Uri>() else {
        return Ok(());
    };
    if uri.scheme_str() != Some("http") {
        return Ok(());
    }
    let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "will not send the API token over plain HTTP to {host}: \
             use an https:// endpoint (plain http:// is accepted for loopback addresses only)"
        )))
    }
}
