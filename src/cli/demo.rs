//! `cwsctl demo`: the admin workflow of CoreWeave's getting-started guide,
//! run against the in-process emulator with the files in `examples/`.
//!
//! Every step prints the `cwsctl` command that does the same by hand, then
//! runs the same code that command runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::args::{
    DryRunArg, FileArg, GlobalArgs, ListArgs, ProfileCommand, RunnerCommand, WaitFor, WireProtocol,
};
use super::context::Context;
use super::emulator::start_with;
use super::error::{CliError, CliResult, render_status};
use super::output::{Format, templates_table, write_stdout};
use super::{profile, runner};
use crate::Client;
use crate::emulator::{EmulatorConfig, EmulatorHandle, ReleaseVersions};
use crate::ops::profile_template_pages;
use crate::v1beta2::{GetRunnerRequest, ReleaseChannel};

/// The example files, compiled in so that the demo runs from any directory.
const EXAMPLES: [(&str, &str); 5] = [
    (
        "profiles/train-a100.yaml",
        include_str!("../../examples/profiles/train-a100.yaml"),
    ),
    (
        "profiles/agents-allowlist.yaml",
        include_str!("../../examples/profiles/agents-allowlist.yaml"),
    ),
    (
        "profiles/zone-defaults.yaml",
        include_str!("../../examples/profiles/zone-defaults.yaml"),
    ),
    (
        "runners/lab-west.yaml",
        include_str!("../../examples/runners/lab-west.yaml"),
    ),
    (
        "updates/lab-west-channel.json",
        include_str!("../../examples/updates/lab-west-channel.json"),
    ),
];

const TEMPLATES: [&str; 3] = ["train-a100", "agents-allowlist", "zone-defaults"];
const RUNNER_ID: &str = "lab-west";

/// Runs the demo and stops the emulator, whatever the outcome.
pub(crate) async fn run() -> CliResult {
    let started = Instant::now();
    // Both channels start on one version, so that the version published on
    // the stable channel later is newer than what the runner runs after it
    // moves there from the rapid channel.
    let config = EmulatorConfig {
        release_versions: ReleaseVersions {
            stable: "1.5.0".to_string(),
            rapid: "1.5.0".to_string(),
        },
        ..EmulatorConfig::default()
    };
    let handle = start_with(config).await?;
    let directory = ExampleDirectory::create()?;

    let result = Demo::new(&handle, &directory.path).run().await;
    handle.shutdown().await;
    drop(directory);
    result?;
    write_stdout(&format!(
        "\nDemo finished in {:.1} s; the emulator has stopped.\n",
        started.elapsed().as_secs_f64()
    ))
}

/// A temporary copy of the example files, removed on drop.
struct ExampleDirectory {
    path: PathBuf,
}

impl ExampleDirectory {
    fn create() -> CliResult<Self> {
        let path = std::env::temp_dir().join(format!("cwsctl-demo-{}", std::process::id()));
        let write = |relative: &str, text: &str| -> std::io::Result<()> {
            let file = path.join(relative);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(file, text)
        };
        for (relative, text) in EXAMPLES {
            write(relative, text).map_err(|error| {
                CliError::failed(format!(
                    "cannot write the example files to {}: {error}",
                    path.display()
                ))
            })?;
        }
        Ok(Self { path })
    }
}

impl Drop for ExampleDirectory {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            tracing::debug!(%error, path = %self.path.display(), "removing the demo files failed");
        }
    }
}

struct Demo<'a> {
    handle: &'a EmulatorHandle,
    files: &'a Path,
    context: Context,
    step: usize,
}

impl<'a> Demo<'a> {
    fn new(handle: &'a EmulatorHandle, files: &'a Path) -> Self {
        let global = GlobalArgs {
            endpoint: handle.base_url(),
            token: Some(handle.admin_token().to_string()),
            protocol: WireProtocol::Rest,
            output: Format::Table,
            timeout: Some(Duration::from_secs(30)),
            verbose: 0,
            emulator: false,
        };
        Self {
            handle,
            files,
            context: Context::new(global),
            step: 0,
        }
    }

    fn file(&self, relative: &str) -> FileArg {
        FileArg {
            file: self.files.join(relative).to_string_lossy().into_owned(),
        }
    }

    /// Prints a step's heading and the commands that do the same by hand.
    fn announce(&mut self, title: &str, commands: &[&str]) -> CliResult {
        self.step += 1;
        let mut text = format!("\n== {}. {title}\n", self.step);
        for command in commands {
            text.push_str(&format!("$ cwsctl {command}\n"));
        }
        write_stdout(&text)
    }

    async fn client(&mut self) -> CliResult<Client> {
        self.context.client().await
    }

    async fn run(mut self) -> CliResult {
        self.introduce()?;
        self.create_templates().await?;
        self.list_two_per_page().await?;
        self.create_runner().await?;
        self.change_release_channel().await?;
        self.swap_default_binding().await?;
        self.duplicate_create().await?;
        self.apply_available_update().await?;
        self.delete_runner().await?;
        self.delete_templates().await
    }

    fn introduce(&self) -> CliResult {
        write_stdout(&format!(
            "cwsctl demo: the getting-started workflow against the in-process emulator\n\
             at {} (lifecycle steps shortened to under a second).\n\
             To run the same commands by hand, start an emulator in another terminal:\n  \
             cwsctl emulator serve --listen 127.0.0.1:8080\n  \
             export COREWEAVE_API_TOKEN={}\n\
             and add --endpoint http://127.0.0.1:8080 to each command below.\n",
            self.handle.base_url(),
            self.handle.admin_token()
        ))
    }

    async fn create_templates(&mut self) -> CliResult {
        self.announce(
            "Create three profile templates: a GPU workbench, an allowlist CPU agent profile \
             and an empty-spec profile",
            &[
                "profile create -f examples/profiles/train-a100.yaml",
                "profile create -f examples/profiles/agents-allowlist.yaml",
                "profile create -f examples/profiles/zone-defaults.yaml",
            ],
        )?;
        for name in TEMPLATES {
            let file = self.file(&format!("profiles/{name}.yaml"));
            let command = ProfileCommand::Create {
                file,
                dry_run: DryRunArg { dry_run: false },
            };
            profile::run(&mut self.context, command).await?;
        }
        Ok(())
    }

    async fn list_two_per_page(&mut self) -> CliResult {
        self.announce(
            "List the templates two per page, following nextPageToken",
            &["profile list --page-size 2"],
        )?;
        let client = self.client().await?;
        let mut pages = Box::pin(profile_template_pages(&client, 2));
        let mut number = 0;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|status| CliError::api("listing profile templates", status))?;
            number += 1;
            let token = if page.next_page_token.is_empty() {
                "none, the last page".to_string()
            } else {
                format!("{:?}", page.next_page_token)
            };
            write_stdout(&format!(
                "page {number} (nextPageToken: {token}):\n{}",
                templates_table(&page.profile_templates)
            ))?;
        }
        Ok(())
    }

    async fn create_runner(&mut self) -> CliResult {
        self.announce(
            "Create a managed runner bound to two templates, referenced by display name, \
             and wait until it is ready and connected",
            &[
                "runner create lab-west -f examples/runners/lab-west.yaml",
                "runner wait lab-west --for connected",
            ],
        )?;
        let command = RunnerCommand::Create {
            runner_id: RUNNER_ID.to_string(),
            file: self.file("runners/lab-west.yaml"),
            dry_run: DryRunArg { dry_run: false },
        };
        runner::run(&mut self.context, command).await?;
        let command = RunnerCommand::Wait {
            id: RUNNER_ID.to_string(),
            condition: WaitFor::Connected,
        };
        runner::run(&mut self.context, command).await
    }

    async fn change_release_channel(&mut self) -> CliResult {
        self.announce(
            "Move the runner to the stable release channel with a field mask \
             (updateMask: managedSpec.releaseChannel)",
            &["runner update lab-west -f examples/updates/lab-west-channel.json"],
        )?;
        let command = RunnerCommand::Update {
            id: RUNNER_ID.to_string(),
            file: self.file("updates/lab-west-channel.json"),
            mask: super::args::RunnerMaskArg { mask: None },
            dry_run: DryRunArg { dry_run: false },
        };
        runner::run(&mut self.context, command).await?;
        self.wait_for_rollout().await
    }

    async fn swap_default_binding(&mut self) -> CliResult {
        self.announce(
            "Make train-a100 the default binding: the runner is read, its binding list \
             changed, and written back with the profile_bindings mask",
            &["runner bind lab-west train-a100 --default"],
        )?;
        let command = RunnerCommand::Bind {
            runner: RUNNER_ID.to_string(),
            profile: "train-a100".to_string(),
            name: None,
            default: true,
            overrides_json: None,
        };
        runner::run(&mut self.context, command).await?;
        self.wait_for_rollout().await
    }

    async fn duplicate_create(&mut self) -> CliResult {
        self.announce(
            "Create the runner a second time: the server answers 409 ALREADY_EXISTS",
            &["runner create lab-west -f examples/runners/lab-west.yaml"],
        )?;
        let command = RunnerCommand::Create {
            runner_id: RUNNER_ID.to_string(),
            file: self.file("runners/lab-west.yaml"),
            dry_run: DryRunArg { dry_run: false },
        };
        match runner::run(&mut self.context, command).await {
            Err(CliError::Api { action, status }) if status.is_already_exists() => {
                write_stdout(&format!(
                    "{}\n(expected: cwsctl exits with status 1 here)\n",
                    render_status(&action, &status)
                ))
            }
            Err(other) => Err(other),
            Ok(()) => Err(CliError::failed(
                "the duplicate create succeeded, but the emulator should reject it",
            )),
        }
    }

    async fn apply_available_update(&mut self) -> CliResult {
        self.announce(
            "Publish a new stable runner version on the emulator, then roll the runner to it",
            &["runner get lab-west", "runner apply-update lab-west"],
        )?;
        let version = self
            .handle
            .publish_version(ReleaseChannel::Stable)
            .map_err(|error| CliError::failed(format!("cannot publish a version: {error}")))?;
        write_stdout(&format!(
            "(the emulator published stable version {version})\n"
        ))?;
        let command = RunnerCommand::Get {
            id: RUNNER_ID.to_string(),
        };
        runner::run(&mut self.context, command).await?;
        let command = RunnerCommand::ApplyUpdate {
            id: RUNNER_ID.to_string(),
        };
        runner::run(&mut self.context, command).await?;
        self.wait_for_rollout().await
    }

    async fn delete_runner(&mut self) -> CliResult {
        self.announce(
            "Delete the runner and wait until it is gone",
            &["runner delete lab-west --wait"],
        )?;
        let command = RunnerCommand::Delete {
            id: RUNNER_ID.to_string(),
            wait: true,
        };
        runner::run(&mut self.context, command).await
    }

    async fn delete_templates(&mut self) -> CliResult {
        self.announce(
            "Delete the templates, now that no runner binds them",
            &[
                "profile delete train-a100",
                "profile delete agents-allowlist",
                "profile delete zone-defaults",
            ],
        )?;
        for name in TEMPLATES {
            let command = ProfileCommand::Delete {
                id_or_name: name.to_string(),
            };
            profile::run(&mut self.context, command).await?;
        }
        let command = ProfileCommand::List(ListArgs {
            page_size: 50,
            limit: None,
        });
        profile::run(&mut self.context, command).await
    }

    /// Polls the runner until its active revision catches up with the target.
    async fn wait_for_rollout(&mut self) -> CliResult {
        let client = self.client().await?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let request = GetRunnerRequest {
                id: RUNNER_ID.to_string(),
            };
            let current = client
                .get_runner(request)
                .await
                .map_err(|status| CliError::api("getting runner \"lab-west\"", status))?;
            if !current.rollout_in_progress {
                return write_stdout(&format!(
                    "rollout done: revision {} active\n",
                    current.active_revision
                ));
            }
            if Instant::now() >= deadline {
                return Err(CliError::failed(
                    "the rollout did not finish within 20 s on the emulator",
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
