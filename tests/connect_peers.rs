//! Interop with Connect servers that no one here wrote: connect-node and
//! connect-python, from `tests/peers/` (install them with
//! `bash tests/peers/setup.sh`).
//!
//! Each peer runs the matrix {h2c, HTTP/1.1} x {JSON, proto} x {POST, GET}
//! x {gzip on, off}: every configuration creates, reads, lists, updates and
//! deletes a template and a runner, and checks that each forced error
//! decodes to its code and typed details. Failures are collected and
//! reported together; each peer prints one line with its count of passed
//! cases.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cwsandbox_control::connect::{
    Channel, Code, Codec, Interceptor, MethodDescriptor, Protocol, Request, RetryPolicy, Status,
};
use cwsandbox_control::v1beta2::runner_management_service::GET_PROFILE_TEMPLATE;
use cwsandbox_control::v1beta2::{
    ApplyManagedRunnerUpdateRequest, CreateManagedRunnerRequest, CreateProfileTemplateRequest,
    DeleteManagedRunnerRequest, DeleteProfileTemplateRequest, GetProfileTemplateRequest,
    GetRunnerRequest, ListManagedRunnersRequest, ListProfileTemplatesRequest, ProfileSpec,
    ProfileTemplate, ResourceDefaults, Runner, RunnerIdentity, RunnerInstallStatus,
    RunnerManagementServiceClient, RunnerProfileBinding, UpdateManagedRunnerRequest,
    UpdateProfileTemplateRequest,
};
use cwsandbox_control::wkt::FieldMask;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn setup_hint(missing: &Path) -> String {
    format!(
        "interop peer files are missing ({}); install the peers with \
         `bash tests/peers/setup.sh` from the repository root, then rerun",
        missing.display()
    )
}

/// A peer server process, killed when dropped.
struct PeerProcess {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl PeerProcess {
    /// Starts a peer and waits for its `listening 127.0.0.1:PORT` line.
    fn start(mut command: Command, name: &str) -> PeerProcess {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("failed to start the {name} peer: {error}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut stderr_pipe = child.stderr.take().expect("stderr pipe");
        let collected = stderr.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stderr_pipe.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                text.push_str(&String::from_utf8_lossy(&buffer[..read]));
                *collected.lock().expect("stderr lock") = text.clone();
            }
        });

        let stdout = child.stdout.take().expect("stdout pipe");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("listening ") {
                    let _ = sender.send(addr.trim().to_string());
                }
            }
        });
        match receiver.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => PeerProcess {
                child,
                addr,
                stderr,
            },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = stderr.lock().expect("stderr lock").clone();
                panic!("the {name} peer did not print its address within 30 s; stderr:\n{log}");
            }
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_node(http1: bool) -> PeerProcess {
    let root = manifest_dir();
    let node_dir = root.join("tests/peers/node");
    for required in [node_dir.join("node_modules"), node_dir.join("gen")] {
        assert!(required.exists(), "{}", setup_hint(&required));
    }
    let mut command = Command::new("node");
    command.arg(node_dir.join("server.mjs")).current_dir(&root);
    if http1 {
        command.arg("--http1");
    }
    PeerProcess::start(command, "connect-node")
}

fn start_python() -> PeerProcess {
    let python_dir = manifest_dir().join("tests/peers/python");
    let interpreter = python_dir.join(".venv/bin/python");
    for required in [interpreter.clone(), python_dir.join("gen")] {
        assert!(required.exists(), "{}", setup_hint(&required));
    }
    let mut command = Command::new(interpreter);
    command.arg("run_server.py").current_dir(&python_dir);
    PeerProcess::start(command, "connect-python")
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy)]
struct Config {
    http2: bool,
    codec: Codec,
    get: bool,
    gzip: bool,
}

impl Config {
    fn all() -> Vec<Config> {
        let mut configs = Vec::new();
        for http2 in [true, false] {
            for codec in [Codec::Json, Codec::Proto] {
                for get in [false, true] {
                    for gzip in [false, true] {
                        configs.push(Config {
                            http2,
                            codec,
                            get,
                            gzip,
                        });
                    }
                }
            }
        }
        configs
    }

    /// Returns a short lowercase tag that makes resource names unique per cell.
    fn tag(&self) -> String {
        format!(
            "{}-{}-{}-{}",
            if self.http2 { "h2c" } else { "h1" },
            self.codec.name(),
            if self.get { "get" } else { "post" },
            if self.gzip { "gz" } else { "id" },
        )
    }
}

/// Records the HTTP method and content encoding of every request.
#[derive(Default)]
struct WireLog(Mutex<Vec<(&'static str, http::Method, bool)>>);

struct WireLogInterceptor(Arc<WireLog>);

impl Interceptor for WireLogInterceptor {
    fn before(
        &self,
        method: &MethodDescriptor,
        request: &mut http::request::Parts,
    ) -> Result<(), Status> {
        let gzipped = request
            .headers
            .get(http::header::CONTENT_ENCODING)
            .is_some()
            || request
                .uri
                .query()
                .is_some_and(|query| query.contains("compression=gzip"));
        self.0.0.lock().expect("wire log lock").push((
            method.method,
            request.method.clone(),
            gzipped,
        ));
        Ok(())
    }
}

/// Passed and failed cases of one peer.
#[derive(Default)]
struct Report {
    passed: usize,
    failures: Vec<String>,
}

impl Report {
    fn check(&mut self, config: &Config, case: &str, result: Result<(), String>) {
        match result {
            Ok(()) => self.passed += 1,
            Err(error) => self
                .failures
                .push(format!("[{}] {case}: {error}", config.tag())),
        }
    }
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: T,
    expected: T,
) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {actual:?}"))
    }
}

fn status_text(status: &Status) -> String {
    format!("{status} (http {:?})", status.http_status())
}

fn build_channel(url: &str, config: &Config, log: Arc<WireLog>) -> Channel {
    let builder = Channel::builder(url)
        .protocol(Protocol::Connect)
        .codec(config.codec)
        .connect_get(config.get)
        .request_compression_threshold(config.gzip.then_some(0))
        .bearer_token("interop-token")
        .default_timeout(Duration::from_secs(10))
        // Each forced error must reach the assertions as the peer sent it.
        .retry_policy(RetryPolicy::none())
        .interceptor(WireLogInterceptor(log));
    let builder = if config.http2 {
        builder.http2_prior_knowledge()
    } else {
        builder.http1_only()
    };
    builder.build().expect("channel")
}

/// Runs every case of one configuration against a peer.
async fn run_config(url: &str, config: Config, report: &mut Report) {
    let log = Arc::new(WireLog::default());
    let channel = build_channel(url, &config, log.clone());
    let client = RunnerManagementServiceClient::new(channel.clone());
    let tag = config.tag();

    run_template_and_runner_cases(&client, &tag, &config, report).await;
    run_version_case(&channel, &config, report).await;
    run_forced_error_cases(&client, &config, report).await;
    check_wire_log(&log, &config, report);
}

async fn run_template_and_runner_cases(
    client: &RunnerManagementServiceClient,
    tag: &str,
    config: &Config,
    report: &mut Report,
) {
    let display_name = format!("tpl-{tag}");
    let create = CreateProfileTemplateRequest {
        profile_template: Some(ProfileTemplate {
            display_name: display_name.clone(),
            description: "interop template".to_string(),
            spec: Some(ProfileSpec {
                container_image: "registry.example.com/ml/train:2.4".to_string(),
                runtime_class: "gvisor".to_string(),
                resource_defaults: Some(ResourceDefaults {
                    cpu_request: "500m".to_string(),
                    memory_request: "1Gi".to_string(),
                    cpu_limit: "2".to_string(),
                    memory_limit: "4Gi".to_string(),
                }),
                instance_types: vec!["gd-8xh100ib-i128".to_string()],
                tags: vec!["interop".to_string(), "é ü 日本".to_string()],
                ..Default::default()
            }),
            labels: [("team".to_string(), "ml".to_string())].into(),
            ..Default::default()
        }),
    };
    let template = match client.create_profile_template(create).await {
        Ok(template) => template,
        Err(status) => {
            report.check(config, "create template", Err(status_text(&status)));
            return;
        }
    };
    report.check(config, "create template", {
        expect_eq(
            "displayName",
            template.display_name.as_str(),
            display_name.as_str(),
        )
        .and_then(|()| expect_eq("id is set", template.id.is_empty(), false))
        .and_then(|()| {
            let tags = template.spec.as_ref().map(|spec| spec.tags.clone());
            expect_eq(
                "spec.tags",
                tags,
                Some(vec!["interop".to_string(), "é ü 日本".to_string()]),
            )
        })
    });

    let fetched = client
        .get_profile_template(GetProfileTemplateRequest {
            id: template.id.clone(),
        })
        .await;
    report.check(
        config,
        "get template",
        fetched
            .map_err(|status| status_text(&status))
            .and_then(|fetched| expect_eq("template", fetched, template.clone())),
    );

    let listed = client
        .list_profile_templates(ListProfileTemplatesRequest {
            page_size: 100,
            page_token: String::new(),
        })
        .await;
    report.check(
        config,
        "list templates",
        listed
            .map_err(|status| status_text(&status))
            .and_then(|page| {
                let found = page
                    .profile_templates
                    .iter()
                    .any(|item| item.id == template.id);
                expect_eq("template in the page", found, true)
            }),
    );

    let updated = client
        .update_profile_template(UpdateProfileTemplateRequest {
            profile_template: Some(ProfileTemplate {
                id: template.id.clone(),
                description: "updated description".to_string(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["description".to_string()],
            }),
        })
        .await;
    report.check(
        config,
        "update template",
        updated
            .map_err(|status| status_text(&status))
            .and_then(|updated| {
                expect_eq(
                    "description",
                    updated.description.as_str(),
                    "updated description",
                )
                .and_then(|()| expect_eq("displayName kept", updated.display_name, display_name))
            }),
    );

    run_runner_cases(client, tag, &template.id, config, report).await;

    let deleted = client
        .delete_profile_template(DeleteProfileTemplateRequest {
            id: template.id.clone(),
        })
        .await;
    report.check(
        config,
        "delete template",
        deleted.map(|_| ()).map_err(|status| status_text(&status)),
    );

    let gone = client
        .get_profile_template(GetProfileTemplateRequest {
            id: template.id.clone(),
        })
        .await;
    report.check(
        config,
        "get deleted template is not_found",
        match gone {
            Ok(template) => Err(format!("expected not_found, got {template:?}")),
            Err(status) => expect_eq("code", status.code(), Code::NotFound).and_then(|()| {
                let reason = status.error_info().map(|info| info.reason.as_str());
                expect_eq(
                    "ErrorInfo reason",
                    reason,
                    Some("CWSANDBOX_PROFILE_NOT_FOUND"),
                )
            }),
        },
    );
}

async fn run_runner_cases(
    client: &RunnerManagementServiceClient,
    tag: &str,
    template_id: &str,
    config: &Config,
    report: &mut Report,
) {
    let runner_id = format!("run-{tag}");
    let create = CreateManagedRunnerRequest {
        runner_id: runner_id.clone(),
        runner: Some(Runner {
            display_name: "interop runner".to_string(),
            identity: Some(RunnerIdentity {
                runner_id: runner_id.clone(),
                zone: "US-EAST-04A".to_string(),
                cluster_name: "cks-east-04a".to_string(),
                ..Default::default()
            }),
            profile_bindings: vec![RunnerProfileBinding {
                profile_template_id: template_id.to_string(),
                profile_name: "default".to_string(),
                is_default: true,
                overrides_json: String::new(),
            }],
            ..Default::default()
        }),
    };
    let runner = match client.create_managed_runner(create).await {
        Ok(runner) => runner,
        Err(status) => {
            report.check(config, "create runner", Err(status_text(&status)));
            return;
        }
    };
    report.check(
        config,
        "create runner",
        expect_eq(
            "installStatus",
            runner.install_status,
            RunnerInstallStatus::Pending as i32,
        ),
    );

    let fetched = client
        .get_runner(GetRunnerRequest {
            id: runner_id.clone(),
        })
        .await;
    report.check(
        config,
        "get runner",
        fetched
            .map_err(|status| status_text(&status))
            .and_then(|fetched| {
                expect_eq("id", fetched.id.as_str(), runner.id.as_str()).and_then(|()| {
                    expect_eq(
                        "installStatus",
                        fetched.install_status,
                        RunnerInstallStatus::Ready as i32,
                    )
                })
            }),
    );

    let listed = client
        .list_managed_runners(ListManagedRunnersRequest {
            page_size: 10,
            page_token: String::new(),
        })
        .await;
    report.check(
        config,
        "list runners",
        listed
            .map_err(|status| status_text(&status))
            .and_then(|page| {
                let found = page.runners.iter().any(|item| item.id == runner.id);
                expect_eq("runner in the page", found, true)
            }),
    );

    let updated = client
        .update_managed_runner(UpdateManagedRunnerRequest {
            runner: Some(Runner {
                id: runner.id.clone(),
                display_name: "renamed runner".to_string(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["display_name".to_string()],
            }),
        })
        .await;
    report.check(
        config,
        "update runner",
        updated
            .map_err(|status| status_text(&status))
            .and_then(|updated| {
                expect_eq(
                    "displayName",
                    updated.display_name.as_str(),
                    "renamed runner",
                )
            }),
    );

    let applied = client
        .apply_managed_runner_update(ApplyManagedRunnerUpdateRequest {
            id: runner.id.clone(),
        })
        .await;
    report.check(
        config,
        "apply runner update",
        applied.map(|_| ()).map_err(|status| status_text(&status)),
    );

    let deleted = client
        .delete_managed_runner(DeleteManagedRunnerRequest {
            id: runner.id.clone(),
        })
        .await;
    report.check(
        config,
        "delete runner",
        deleted.map(|_| ()).map_err(|status| status_text(&status)),
    );
}

/// Checks that the call went over the configured HTTP version.
async fn run_version_case(channel: &Channel, config: &Config, report: &mut Report) {
    let request = Request::new(GetProfileTemplateRequest {
        id: "fail-not_found".to_string(),
    });
    let result = channel
        .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
        .await;
    let result = match result {
        Ok(_) => Err("expected not_found".to_string()),
        Err(status) => expect_eq("code", status.code(), Code::NotFound),
    };
    report.check(config, "forced error through channel.unary", result);

    let list = channel
        .unary::<_, cwsandbox_control::v1beta2::ListProfileTemplatesResponse>(
            &cwsandbox_control::v1beta2::runner_management_service::LIST_PROFILE_TEMPLATES,
            Request::new(ListProfileTemplatesRequest {
                page_size: 5,
                page_token: String::new(),
            }),
        )
        .await;
    let expected = if config.http2 {
        http::Version::HTTP_2
    } else {
        http::Version::HTTP_11
    };
    report.check(
        config,
        "HTTP version",
        list.map_err(|status| status_text(&status))
            .and_then(|response| expect_eq("version", response.http_version(), expected)),
    );
}

/// Checks each code's forced error: code, message, HTTP status and details.
async fn run_forced_error_cases(
    client: &RunnerManagementServiceClient,
    config: &Config,
    report: &mut Report,
) {
    for code in Code::all() {
        let name = code.as_str();
        let result = client
            .get_profile_template(GetProfileTemplateRequest {
                id: format!("fail-{name}"),
            })
            .await;
        let outcome = match result {
            Ok(template) => Err(format!("expected {name}, got {template:?}")),
            Err(status) => check_forced(&status, code),
        };
        report.check(config, &format!("forced {name}"), outcome);
    }
}

fn check_forced(status: &Status, code: Code) -> Result<(), String> {
    let name = code.as_str();
    expect_eq("code", status.code(), code)?;
    expect_eq(
        "message",
        status.message(),
        format!("forced {name}").as_str(),
    )?;
    expect_eq("from server", status.is_from_server(), true)?;
    expect_eq(
        "http status",
        status.http_status(),
        Some(code.http_status()),
    )?;
    match code {
        Code::Unavailable => expect_eq(
            "retry delay",
            status.retry_delay(),
            Some(Duration::from_millis(1500)),
        ),
        Code::InvalidArgument => {
            let field = status
                .bad_request()
                .and_then(|bad| bad.field_violations.first())
                .map(|violation| violation.field.as_str());
            expect_eq("BadRequest field", field, Some("id"))
        }
        Code::ResourceExhausted => {
            expect_eq(
                "retry delay",
                status.retry_delay(),
                Some(Duration::from_secs(2)),
            )?;
            let subject = status.details().iter().find_map(|detail| match detail {
                cwsandbox_control::connect::Detail::QuotaFailure(quota) => quota
                    .violations
                    .first()
                    .map(|violation| violation.subject.clone()),
                _ => None,
            });
            expect_eq(
                "QuotaFailure subject",
                subject.as_deref(),
                Some("organization"),
            )
        }
        _ => {
            let info = status.error_info().ok_or("no ErrorInfo detail")?;
            expect_eq("reason", info.reason.as_str(), "CWSANDBOX_FORCED")?;
            expect_eq("domain", info.domain.as_str(), "cwsandbox.com")?;
            expect_eq(
                "metadata code",
                info.metadata.get("code").map(String::as_str),
                Some(name),
            )
        }
    }
}

/// Checks that side-effect-free calls used GET when enabled, and that
/// requests were compressed exactly when gzip was on.
fn check_wire_log(log: &WireLog, config: &Config, report: &mut Report) {
    let entries = log.0.lock().expect("wire log lock").clone();
    let mut by_method: BTreeMap<(&str, http::Method), usize> = BTreeMap::new();
    let mut compressed = 0;
    for (method, verb, gzipped) in &entries {
        *by_method.entry((*method, verb.clone())).or_default() += 1;
        if *gzipped {
            compressed += 1;
        }
    }
    let side_effect_free = [
        "GetProfileTemplate",
        "GetRunner",
        "ListProfileTemplates",
        "ListManagedRunners",
    ];
    let wrong_verb: Vec<String> = by_method
        .keys()
        .filter(|(method, verb)| {
            let expected = if config.get && side_effect_free.contains(method) {
                http::Method::GET
            } else {
                http::Method::POST
            };
            *verb != expected
        })
        .map(|(method, verb)| format!("{method} as {verb}"))
        .collect();
    report.check(
        config,
        "HTTP methods",
        expect_eq(
            "requests with the wrong method",
            wrong_verb,
            Vec::<String>::new(),
        ),
    );
    let expected_compressed = if config.gzip { entries.len() } else { 0 };
    report.check(
        config,
        "request compression",
        expect_eq("compressed requests", compressed, expected_compressed),
    );
}

/// Appends a line to the interop report that `scripts/test.sh` prints.
fn append_to_report(line: &str) {
    use std::io::Write as _;
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-report.txt");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path);
    if let Ok(mut file) = file {
        let _ = writeln!(file, "{line}");
    }
}

/// Runs the configurations that `configs_for` picks against the peer servers
/// it starts, then prints the count and fails on any failed case.
async fn run_peer(name: &str, servers: Vec<(PeerProcess, Vec<Config>)>) {
    let mut report = Report::default();
    let mut configurations = 0;
    for (server, configs) in &servers {
        for config in configs {
            configurations += 1;
            run_config(&server.url(), *config, &mut report).await;
        }
    }
    let total = report.passed + report.failures.len();
    let summary = format!(
        "{name}: {}/{total} cases passed across {configurations} configurations",
        report.passed
    );
    println!("{summary}");
    append_to_report(&summary);
    if !report.failures.is_empty() {
        let logs: Vec<String> = servers
            .iter()
            .map(|(server, _)| server.stderr.lock().expect("stderr lock").clone())
            .collect();
        panic!(
            "{} of {total} {name} cases failed:\n{}\npeer stderr:\n{}",
            report.failures.len(),
            report.failures.join("\n"),
            logs.join("\n---\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_node_interop_matrix() {
    let (h2c, http1): (Vec<Config>, Vec<Config>) =
        Config::all().into_iter().partition(|config| config.http2);
    let servers = vec![(start_node(false), h2c), (start_node(true), http1)];
    run_peer("connect-node", servers).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_python_interop_matrix() {
    let servers = vec![(start_python(), Config::all())];
    run_peer("connect-python", servers).await;
}
