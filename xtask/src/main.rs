//! `cargo xtask`: repository tasks for the protos.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use xtask::protoset::ProtoSet;
use xtask::{
    breaking, buf, descriptor, fuzz, git, golden, lint, repo_root, semver, summary, update,
};

/// Exit code when a check found something: breaking changes, lint findings
/// or snapshot drift.
const FINDINGS: u8 = 1;
/// Exit code when a task could not run.
const FAILURE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Repository tasks for the protos"
)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Report breaking changes of the protos against a git ref or a directory.
    Breaking(BreakingArgs),
    /// Run buf lint and the project's own proto checks.
    LintProtos(LintArgs),
    /// Take in a proto release: check it, copy it in, build, test.
    UpdateProtos(UpdateArgs),
    /// Write the API snapshot `descriptor.txt`, or check it is current.
    Descriptor(DescriptorArgs),
    /// Write the generator's golden files for `tests/golden/proto`, or check them.
    Codegen(CodegenArgs),
    /// Check the library's Rust API for semver breaks with cargo-semver-checks.
    Semver(SemverArgs),
    /// Check that no dependency needs a newer Rust than the crate's rust-version.
    Msrv,
    /// Run each fuzz target of fuzz/ for a bounded time and report executions.
    Fuzz(FuzzArgs),
    /// Measure unary calls/s and latency against the connect-node peer server.
    BenchPeers(xtask::bench::BenchPeersArgs),
}

#[derive(Args)]
struct ProtoDirArg {
    /// Proto root, relative to the repository root unless absolute.
    #[arg(long, value_name = "DIR", default_value = "proto")]
    proto_dir: PathBuf,
}

#[derive(Args)]
struct BreakingArgs {
    /// Git ref to compare with. Default: the latest tag, else `main`.
    #[arg(long, value_name = "GIT_REF", conflicts_with = "against_dir")]
    against: Option<String>,
    /// Directory of protos to compare with, instead of a git ref.
    #[arg(long, value_name = "DIR")]
    against_dir: Option<PathBuf>,
    /// Extra import path for both sides, searched after the proto roots and
    /// before the repository's `proto/` (repeatable).
    #[arg(long, value_name = "DIR")]
    include: Vec<PathBuf>,
    #[command(flatten)]
    proto: ProtoDirArg,
}

#[derive(Args)]
struct LintArgs {
    /// Skip `buf lint` and run only the project's own checks. `buf lint`
    /// always checks the module that the root `buf.yaml` names.
    #[arg(long)]
    no_buf: bool,
    #[command(flatten)]
    proto: ProtoDirArg,
}

#[derive(Args)]
struct UpdateArgs {
    /// Root of the new proto release (the directory that holds `coreweave/`).
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Take the release in even when it has breaking changes.
    #[arg(long)]
    allow_breaking: bool,
    /// Skip `cargo test` after the build.
    #[arg(long)]
    no_test: bool,
    #[command(flatten)]
    proto: ProtoDirArg,
}

#[derive(Args)]
struct DescriptorArgs {
    /// Compare the snapshot with the protos instead of writing it; exit 1 on drift.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    proto: ProtoDirArg,
}

#[derive(Args)]
struct CodegenArgs {
    /// Compare the golden files with the generator instead of writing them; exit 1 on drift.
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
struct FuzzArgs {
    /// Seconds to fuzz each target.
    #[arg(long, value_name = "N", default_value_t = 60)]
    seconds: u64,
    /// Target to run (repeatable). Default: every target.
    #[arg(long, value_name = "NAME")]
    target: Vec<String>,
    /// Engine: libfuzzer (`cargo fuzz`), stable (fuzz/'s own runner), or auto, which picks
    /// libfuzzer when `cargo fuzz` is installed.
    #[arg(long, value_name = "ENGINE", default_value = "auto", value_parser = ["auto", "libfuzzer", "stable"])]
    engine: String,
    /// Seed of the random generator, to repeat a run.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

#[derive(Args)]
struct SemverArgs {
    /// Git ref of the baseline release. Default: the latest tag, else `main`.
    #[arg(long, value_name = "GIT_REF")]
    baseline_rev: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let repo = repo_root();
    let result = match cli.command {
        Task::Breaking(args) => run_breaking(&repo, &args),
        Task::LintProtos(args) => run_lint(&repo, &args),
        Task::UpdateProtos(args) => run_update(&repo, &args),
        Task::Descriptor(args) => run_descriptor(&repo, &args),
        Task::Codegen(args) => run_codegen(&repo, &args),
        Task::Semver(args) => run_semver(&repo, &args),
        Task::Msrv => xtask::msrv::run(&repo),
        Task::Fuzz(args) => run_fuzz(&repo, &args),
        Task::BenchPeers(args) => xtask::bench::run(&repo, &args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(FINDINGS),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(FAILURE)
        }
    }
}

impl ProtoDirArg {
    fn resolve(&self, repo: &Path) -> PathBuf {
        repo.join(&self.proto_dir)
    }
}

fn run_fuzz(repo: &Path, args: &FuzzArgs) -> Result<bool> {
    let engine = match args.engine.as_str() {
        "libfuzzer" => Some(fuzz::Engine::LibFuzzer),
        "stable" => Some(fuzz::Engine::Stable),
        _ => None,
    };
    let options = fuzz::FuzzOptions {
        seconds: args.seconds,
        targets: args.target.clone(),
        engine,
        seed: args.seed,
    };
    let (engine, results) = fuzz::run(repo, &options)?;
    fuzz::print_summary(engine, &results);
    Ok(results.iter().all(|result| result.findings.is_empty()))
}

fn run_codegen(repo: &Path, args: &CodegenArgs) -> Result<bool> {
    if !args.check {
        for name in golden::write(repo)? {
            println!(
                "wrote {}",
                shown(repo, &golden::expected_dir(repo).join(name))
            );
        }
        return Ok(true);
    }
    let drifts = golden::check(repo)?;
    for drift in &drifts {
        print!("{}", drift.diff);
    }
    if drifts.is_empty() {
        println!("golden files are current");
    } else {
        println!(
            "{} golden file(s) differ: run `cargo xtask codegen` and review the diff",
            drifts.len()
        );
    }
    Ok(drifts.is_empty())
}

/// Prints the breaking changes and returns whether there were none.
fn report_breaking(findings: &[breaking::Finding], subject: &str) -> bool {
    if findings.is_empty() {
        println!("no breaking changes: {subject}");
        return true;
    }
    println!("breaking changes: {subject}");
    for finding in findings {
        println!("  {finding}");
    }
    let plural = if findings.len() == 1 { "" } else { "s" };
    println!("{} breaking change{plural}", findings.len());
    false
}

fn run_breaking(repo: &Path, args: &BreakingArgs) -> Result<bool> {
    let proto_dir = args.proto.resolve(repo);
    let mut fallback = args.include.clone();
    fallback.push(repo.join("proto"));
    let current = ProtoSet::compile(&proto_dir, &fallback)?;
    let scratch = tempfile::tempdir().context("failed to create a temporary directory")?;
    let (baseline_dir, label) = match &args.against_dir {
        Some(dir) => (dir.clone(), dir.display().to_string()),
        None => {
            let rev = default_ref(repo, args.against.as_deref())?;
            let relative = relative_to(repo, &proto_dir)?;
            git::materialize_protos(repo, &rev, &relative, scratch.path())?;
            (scratch.path().to_path_buf(), format!("git ref {rev}"))
        }
    };
    // The current root comes first so a baseline that lacks vendored
    // imports (google/api) still compiles.
    let mut includes = vec![proto_dir.clone()];
    includes.extend(fallback);
    let baseline = ProtoSet::compile(&baseline_dir, &includes)?;
    let findings = breaking::check(&baseline, &current);
    let subject = format!("{} against {label}", args.proto.proto_dir.display());
    Ok(report_breaking(&findings, &subject))
}

fn run_semver(repo: &Path, args: &SemverArgs) -> Result<bool> {
    let rev = default_ref(repo, args.baseline_rev.as_deref())?;
    semver::run(repo, &rev)
}

fn default_ref(repo: &Path, requested: Option<&str>) -> Result<String> {
    if let Some(rev) = requested {
        return Ok(rev.to_string());
    }
    Ok(git::latest_tag(repo)?.unwrap_or_else(|| "main".to_string()))
}

fn relative_to(repo: &Path, dir: &Path) -> Result<String> {
    let canonical_repo = repo.canonicalize()?;
    let canonical_dir = dir
        .canonicalize()
        .with_context(|| format!("proto directory {} not found", dir.display()))?;
    match canonical_dir.strip_prefix(&canonical_repo) {
        Ok(relative) => Ok(relative.to_string_lossy().into_owned()),
        Err(_) => bail!(
            "{} is outside the repository {}: compare it with --against-dir instead",
            dir.display(),
            repo.display()
        ),
    }
}

/// Returns `path` relative to the repository root when it is inside it, for
/// shorter messages.
fn shown(repo: &Path, path: &Path) -> String {
    path.strip_prefix(repo)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn run_lint(repo: &Path, args: &LintArgs) -> Result<bool> {
    let mut passed = true;
    if !args.no_buf {
        let Some(buf) = buf::find(repo) else {
            bail!(
                "buf not found: run tests/peers/setup.sh, set BUF to a buf binary, \
                 or pass --no-buf to run only the project's checks"
            );
        };
        let buf_passed = lint::run_buf(&buf, repo)?;
        let verdict = if buf_passed { "passed" } else { "failed" };
        println!("buf lint ({}): {verdict}", shown(repo, &buf));
        passed &= buf_passed;
    }
    let set = ProtoSet::compile(&args.proto.resolve(repo), &[])?;
    let issues = lint::check(&set);
    for issue in &issues {
        println!("{issue}");
    }
    match issues.len() {
        0 => println!("project checks: passed"),
        count => println!("project checks: {count} findings"),
    }
    Ok(passed && issues.is_empty())
}

fn run_descriptor(repo: &Path, args: &DescriptorArgs) -> Result<bool> {
    let proto_dir = args.proto.resolve(repo);
    let set = ProtoSet::compile(&proto_dir, &[])?;
    if !args.check {
        write_descriptor(repo, &proto_dir, &set)?;
        return Ok(true);
    }

    let path = proto_dir.join("descriptor.txt");
    let snapshot = descriptor::render(&set);
    let committed = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err).with_context(|| format!("failed to read {}", path.display())),
    };
    if committed == snapshot {
        println!("{} is up to date", shown(repo, &path));
        return Ok(true);
    }
    let diff = similar::TextDiff::from_lines(&committed, &snapshot);
    let headers = (
        "descriptor.txt (committed)",
        "descriptor.txt (from the protos)",
    );
    print!("{}", diff.unified_diff().header(headers.0, headers.1));
    let shown_path = shown(repo, &path);
    println!("{shown_path} is out of date: run `cargo xtask descriptor` and commit it");
    Ok(false)
}

fn run_update(repo: &Path, args: &UpdateArgs) -> Result<bool> {
    let proto_dir = args.proto.resolve(repo);
    let current = ProtoSet::compile(&proto_dir, &[])?;
    let staged = update::stage(&args.from, &proto_dir)?;
    if !accept_release(&current, &staged, args)? {
        println!("protos not copied: rerun with --allow-breaking to take the release in anyway");
        return Ok(false);
    }

    update::install(&staged, &proto_dir)?;
    let entries = staged.entries.join(", ");
    println!("copied {entries} into {}", shown(repo, &proto_dir));
    let installed = ProtoSet::compile(&proto_dir, &[])?;
    write_descriptor(repo, &proto_dir, &installed)?;

    let built = build_and_test(repo, args.no_test)?;
    print!(
        "{}",
        summary::render(&summary::changes(&current, &installed))
    );
    Ok(built)
}

/// Prints the breaking changes of the staged release and returns whether to
/// take it in.
fn accept_release(current: &ProtoSet, staged: &update::Staged, args: &UpdateArgs) -> Result<bool> {
    let release = ProtoSet::compile(staged.dir.path(), &[])?;
    let findings = breaking::check(current, &release);
    let proto_dir = args.proto.proto_dir.display();
    let subject = format!("{} against {proto_dir}", args.from.display());
    Ok(report_breaking(&findings, &subject) || args.allow_breaking)
}

fn write_descriptor(repo: &Path, proto_dir: &Path, set: &ProtoSet) -> Result<()> {
    let path = proto_dir.join("descriptor.txt");
    let snapshot = descriptor::render(set);
    fs::write(&path, &snapshot).with_context(|| format!("failed to write {}", path.display()))?;
    let lines = snapshot.lines().count();
    println!("wrote {} ({lines} lines)", shown(repo, &path));
    Ok(())
}

fn build_and_test(repo: &Path, no_test: bool) -> Result<bool> {
    println!("running cargo build");
    if !update::cargo(repo, &["build"])? {
        println!("cargo build failed: fix the code, or `git checkout proto/` to undo the update");
        return Ok(false);
    }
    if no_test {
        println!("skipped cargo test (--no-test)");
        return Ok(true);
    }
    println!("running cargo test");
    if !update::cargo(repo, &["test"])? {
        println!("cargo test failed: fix the code, or `git checkout proto/` to undo the update");
        return Ok(false);
    }
    Ok(true)
}
