//! The stable-toolchain runner: feeds a target its seeds, then mutated inputs, until a time
//! limit, and saves each input that panics, runs slowly or allocates too much.
//!
//! It has no coverage feedback, so it finds less than libFuzzer in the same time. It needs
//! no nightly compiler and no instrumentation, which is what CI has.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Target;
use crate::mutate::{Rng, mutate};

/// Time one input may take before it is saved as slow.
pub const SLOW_INPUT: Duration = Duration::from_secs(1);

/// Memory that one input may allocate, beyond what was live before it ran, before it is
/// saved as a memory finding. Inputs are at most [`Options::max_len`] bytes, so a decoder
/// that needs more than this is amplifying its input.
pub const MAX_ALLOCATION_PER_INPUT: usize = 256 << 20;

/// Live heap size at which the allocator fails instead of growing, so that a runaway
/// allocation aborts the runner rather than the machine.
const HARD_HEAP_LIMIT: usize = 4 << 30;

/// Most distinct findings kept per run; later ones only count.
const MAX_FINDINGS: usize = 20;

/// Most mutated inputs kept for further mutation.
const RECENT_INPUTS: usize = 1024;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

/// A global allocator that tracks live and peak heap bytes for the runner's memory check.
/// The runner binary installs it with `#[global_allocator]`.
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments; the counters do
// not affect the memory returned.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if LIVE_BYTES.load(Ordering::Relaxed) + layout.size() > HARD_HEAP_LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size()
            && LIVE_BYTES.load(Ordering::Relaxed) + (new_size - layout.size()) > HARD_HEAP_LIMIT
        {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            grow(new_size);
        }
        new_ptr
    }
}

fn grow(size: usize) {
    let live = LIVE_BYTES.fetch_add(size, Ordering::Relaxed) + size;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long to mutate after the seeds ran.
    pub duration: Duration,
    /// Seed of the random generator; the same seed, corpus and time give the same inputs.
    pub seed: u64,
    /// Largest input, in bytes.
    pub max_len: usize,
    /// Directory for saved inputs; each target writes to a subdirectory of its name.
    pub artifacts: PathBuf,
}

/// The kind of problem that one saved input caused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// The target panicked.
    Panic,
    /// One run took longer than [`SLOW_INPUT`].
    Slow,
    /// One run allocated more than [`MAX_ALLOCATION_PER_INPUT`].
    Memory,
}

/// One saved input and why it was saved.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The kind of problem.
    pub kind: FindingKind,
    /// The panic message, or the time or memory that the input took.
    pub message: String,
    /// The file that the input was written to.
    pub path: PathBuf,
}

/// The outcome of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Target name.
    pub target: &'static str,
    /// Number of seed inputs loaded.
    pub seeds: usize,
    /// Number of inputs run, seeds included.
    pub execs: u64,
    /// Time spent.
    pub elapsed: Duration,
    /// Maximum time that one input took.
    pub slowest: Duration,
    /// Largest heap growth of one input, in bytes.
    pub max_allocation: usize,
    /// Distinct findings, at most [`MAX_FINDINGS`].
    pub findings: Vec<Finding>,
    /// Inputs that panicked, counted with repeats of known findings.
    pub panics: u64,
}

/// Reads every file of the target's seed directories, cut to `max_len` bytes. Missing
/// directories are skipped.
pub fn load_seeds(target: &Target, repo: &Path, max_len: usize) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for dir in target.seed_dirs {
        let Ok(entries) = fs::read_dir(repo.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .collect();
        paths.sort();
        for path in paths {
            if let Ok(mut bytes) = fs::read(&path) {
                bytes.truncate(max_len);
                seeds.push(bytes);
            }
        }
    }
    seeds
}

/// The message of the last panic, recorded by the hook that [`run`] installs.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Runs `target` on its seeds and then on mutated inputs until `options.duration` passes.
pub fn run(target: &Target, repo: &Path, options: &Options) -> Report {
    let mut seeds = load_seeds(target, repo, options.max_len);
    if seeds.is_empty() {
        seeds.push(b"{}".to_vec());
    }
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let mut last = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner());
        *last = Some(info.to_string());
    }));

    let mut state = RunState {
        target,
        artifacts: options.artifacts.join(target.name),
        report: Report {
            target: target.name,
            seeds: seeds.len(),
            execs: 0,
            elapsed: Duration::ZERO,
            slowest: Duration::ZERO,
            max_allocation: 0,
            findings: Vec::new(),
            panics: 0,
        },
        seen_messages: HashSet::new(),
    };
    let started = Instant::now();
    for seed in &seeds {
        state.execute(seed);
    }

    let mut rng = Rng::new(options.seed);
    let mut recent: Vec<Vec<u8>> = Vec::with_capacity(RECENT_INPUTS);
    let mut input = Vec::with_capacity(options.max_len);
    while started.elapsed() < options.duration {
        for _ in 0..64 {
            input.clear();
            if !recent.is_empty() && rng.one_in(2) {
                input.extend_from_slice(&recent[rng.below(recent.len())]);
            } else {
                input.extend_from_slice(&seeds[rng.below(seeds.len())]);
            }
            let other = &seeds[rng.below(seeds.len())];
            mutate(
                &mut rng,
                &mut input,
                other,
                target.dictionary,
                options.max_len,
            );
            state.execute(&input);
            if rng.one_in(8) {
                if recent.len() < RECENT_INPUTS {
                    recent.push(input.clone());
                } else {
                    let slot = rng.below(RECENT_INPUTS);
                    recent[slot].clone_from(&input);
                }
            }
        }
    }
    state.report.elapsed = started.elapsed();
    panic::set_hook(previous_hook);
    state.report
}

/// Replays saved inputs through `target` and returns the panic message of each input that
/// still panics.
pub fn replay(target: &Target, inputs: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut failures = Vec::new();
    for path in inputs {
        let data = match fs::read(path) {
            Ok(data) => data,
            Err(error) => {
                failures.push((path.clone(), format!("cannot read the input: {error}")));
                continue;
            }
        };
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&data))) {
            failures.push((path.clone(), panic_text(payload.as_ref())));
        }
    }
    failures
}

struct RunState<'a> {
    target: &'a Target,
    artifacts: PathBuf,
    report: Report,
    seen_messages: HashSet<String>,
}

impl RunState<'_> {
    fn execute(&mut self, input: &[u8]) {
        let live_before = LIVE_BYTES.load(Ordering::Relaxed);
        PEAK_BYTES.store(live_before, Ordering::Relaxed);
        let started = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| (self.target.run)(input)));
        let took = started.elapsed();
        let allocated = PEAK_BYTES
            .load(Ordering::Relaxed)
            .saturating_sub(live_before);
        self.report.execs += 1;
        self.report.slowest = self.report.slowest.max(took);
        self.report.max_allocation = self.report.max_allocation.max(allocated);

        if let Err(payload) = outcome {
            self.report.panics += 1;
            let hooked = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
            let message = hooked.unwrap_or_else(|| panic_text(payload.as_ref()));
            self.record(FindingKind::Panic, message, input);
        } else if took > SLOW_INPUT {
            let message = format!("{} bytes took {took:?}", input.len());
            self.record(FindingKind::Slow, message, input);
        } else if allocated > MAX_ALLOCATION_PER_INPUT {
            let message = format!("{} bytes allocated {allocated} bytes", input.len());
            self.record(FindingKind::Memory, message, input);
        }
    }

    /// Saves the input unless a finding with the same first message line was saved.
    fn record(&mut self, kind: FindingKind, message: String, input: &[u8]) {
        let key = message.lines().next().unwrap_or_default().to_string();
        let key = match kind {
            FindingKind::Panic => key,
            FindingKind::Slow | FindingKind::Memory => format!("{kind:?}"),
        };
        if self.report.findings.len() >= MAX_FINDINGS || !self.seen_messages.insert(key) {
            return;
        }
        let prefix = match kind {
            FindingKind::Panic => "crash",
            FindingKind::Slow => "slow",
            FindingKind::Memory => "oom",
        };
        let path = self
            .artifacts
            .join(format!("{prefix}-{:016x}", fnv1a(input)));
        if let Err(error) =
            fs::create_dir_all(&self.artifacts).and_then(|()| fs::write(&path, input))
        {
            eprintln!("failed to save {}: {error}", path.display());
        }
        self.report.findings.push(Finding {
            kind,
            message,
            path,
        });
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// FNV-1a, for artifact names that stay the same for the same input.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
