//! The progress display of runner waits.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::output::{connection_status, install_status, write_stderr};
use crate::v1beta2::Runner;

/// Shows a runner's install and connection status as they change: a spinner
/// line on a terminal, one plain line per change on stderr otherwise.
pub(crate) struct RunnerProgress {
    label: String,
    bar: Option<ProgressBar>,
    last: Option<String>,
    started: Instant,
}

impl RunnerProgress {
    pub(crate) fn new(label: impl Into<String>, terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new_spinner();
            let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            label: label.into(),
            bar,
            last: None,
            started: Instant::now(),
        }
    }

    /// Records one poll, printing only when the status changed.
    pub(crate) fn update(&mut self, runner: &Runner) {
        let mut line = format!(
            "install {}, connection {}",
            install_status(runner.install_status),
            connection_status(runner.connection_status)
        );
        if runner.rollout_in_progress {
            line.push_str(&format!(", rollout to revision {}", runner.target_revision));
        }
        self.show(line);
    }

    /// Records that the runner is gone.
    pub(crate) fn gone(&mut self) {
        self.show("deleted".to_string());
    }

    fn show(&mut self, line: String) {
        if self.last.as_deref() == Some(line.as_str()) {
            return;
        }
        let message = format!("{}: {line}", self.label);
        match &self.bar {
            Some(bar) => bar.set_message(message),
            None => write_stderr(&format!(
                "[{:>5.1}s] {message}",
                self.started.elapsed().as_secs_f64()
            )),
        }
        self.last = Some(line);
    }

    /// Ends the display, leaving the last status on screen.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish();
        }
    }
}
