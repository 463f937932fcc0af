//! Durable state: a snapshot file plus an append-only journal beside it.
//!
//! Each acknowledged write first appends one line, the [`Delta`] of the
//! keys it changed, to the journal and fsyncs it. At every start, and when
//! the journal grows past [`COMPACT_FACTOR`] times the snapshot (and at least
//! `compact_min_bytes`), the whole state becomes a new snapshot. It is
//! written to a temporary file, fsynced, renamed over the snapshot and the
//! directory fsynced; only then is the journal emptied.
//!
//! Replaying a journal line that the snapshot already contains changes
//! nothing, so a kill at any point leaves a snapshot and journal that load to
//! the last acknowledged write. A line cut off by a kill was never
//! acknowledged and is skipped at load.
//!
//! The snapshot also keeps the page token key, so page tokens stay valid
//! across restarts.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::page_token::SECRET_LEN;
use super::state::{Delta, State};

/// Version of the file layout; a file of another version is rejected at load.
/// Format 1 had no journal and no page token key, and still loads.
const FILE_FORMAT: u32 = 2;
const OLDEST_FILE_FORMAT: u32 = 1;

/// The journal is compacted when it exceeds this many times the snapshot size.
const COMPACT_FACTOR: u64 = 2;
/// Journal size below which no compaction happens, so a small state is not
/// rewritten every few writes.
const COMPACT_MIN_BYTES: u64 = 1 << 20;

#[derive(Serialize)]
struct SnapshotRef<'a> {
    format: u32,
    /// Base64 of the HMAC key of page tokens.
    page_token_key: String,
    state: &'a State,
}

#[derive(Deserialize)]
struct Snapshot {
    format: u32,
    #[serde(default)]
    page_token_key: Option<String>,
    state: State,
}

/// The contents of a state file and its journal at start.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The state after the journal; `None` when no snapshot exists.
    pub(crate) state: Option<State>,
    /// The page token key; `None` when no snapshot exists or it has none.
    pub(crate) page_token_key: Option<[u8; SECRET_LEN]>,
    /// Journal lines replayed on top of the snapshot.
    pub(crate) journal_lines: usize,
}

/// Saves and loads the state at one path.
pub(crate) struct Persister {
    path: PathBuf,
    page_token_key: [u8; SECRET_LEN],
    /// The journal, open for appending.
    journal: File,
    journal_bytes: u64,
    snapshot_bytes: u64,
    compact_min_bytes: u64,
    /// Set when a failed append could not be undone, so the journal may end
    /// in a partial line; later writes are rejected.
    broken: bool,
}

impl std::fmt::Debug for Persister {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Persister")
            .field("path", &self.path)
            .field("journal_bytes", &self.journal_bytes)
            .field("snapshot_bytes", &self.snapshot_bytes)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

/// Returns the path of the journal that belongs to the state file `path`.
pub(crate) fn journal_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_else(|| "state".into());
    name.push(".journal");
    path.with_file_name(name)
}

/// Reads the snapshot at `path` and replays its journal.
///
/// # Errors
///
/// Returns an error when a file cannot be read, is not valid, or has a format
/// this emulator does not read.
pub(crate) fn load(path: &Path) -> io::Result<Loaded> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return load_journal_without_snapshot(path);
        }
        Err(error) => return Err(annotate(error, "cannot read state file", path)),
    };
    let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(|error| {
        invalid_data(format!(
            "state file {} is not valid: {error}; move it and its journal away to start empty",
            path.display()
        ))
    })?;
    if !(OLDEST_FILE_FORMAT..=FILE_FORMAT).contains(&snapshot.format) {
        return Err(invalid_data(format!(
            "state file {} has format {}, this emulator reads formats {OLDEST_FILE_FORMAT} to {FILE_FORMAT}",
            path.display(),
            snapshot.format
        )));
    }
    let page_token_key = snapshot
        .page_token_key
        .map(|text| decode_key(&text, path))
        .transpose()?;
    let mut state = snapshot.state;
    let journal_lines = replay(&mut state, &journal_path(path))?;
    Ok(Loaded {
        state: Some(state),
        page_token_key,
        journal_lines,
    })
}

/// Rejects a journal whose snapshot is missing, since replaying it on an
/// empty state would lose the writes the snapshot had.
fn load_journal_without_snapshot(path: &Path) -> io::Result<Loaded> {
    let journal = journal_path(path);
    match fs::metadata(&journal) {
        Ok(metadata) if metadata.len() > 0 => Err(invalid_data(format!(
            "journal {} exists but state file {} does not; restore the state file, or move the journal away to start empty",
            journal.display(),
            path.display()
        ))),
        _ => Ok(Loaded {
            state: None,
            page_token_key: None,
            journal_lines: 0,
        }),
    }
}

/// Applies every complete line of the journal at `journal` to `state`;
/// returns the number of lines.
fn replay(state: &mut State, journal: &Path) -> io::Result<usize> {
    let bytes = match fs::read(journal) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(annotate(error, "cannot read journal", journal)),
    };
    let mut lines = 0;
    for (index, line) in bytes.split_inclusive(|byte| *byte == b'\n').enumerate() {
        let Some(line) = line.strip_suffix(b"\n") else {
            // Only the last piece can lack a newline: a write cut off before
            // it was fsynced, so it was never acknowledged.
            tracing::warn!(
                path = %journal.display(),
                bytes = line.len(),
                "skipping an incomplete last line of the emulator journal"
            );
            break;
        };
        let delta: Delta = serde_json::from_slice(line).map_err(|error| {
            invalid_data(format!(
                "journal {} line {} is not valid: {error}; move the state file and the journal away to start empty",
                journal.display(),
                index + 1
            ))
        })?;
        state.apply(delta);
        state.forget_changes();
        lines += 1;
    }
    Ok(lines)
}

impl Persister {
    /// Writes `state` and `page_token_key` as the snapshot at `path`, empties
    /// the journal and opens it for appending.
    ///
    /// # Errors
    ///
    /// Returns an error when a file cannot be written or synced.
    pub(crate) fn start(
        path: PathBuf,
        state: &State,
        page_token_key: [u8; SECRET_LEN],
    ) -> io::Result<Self> {
        let journal_file = journal_path(&path);
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            // Owner-only like the snapshot, because both contain the same data.
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let journal = options
            .open(&journal_file)
            .map_err(|error| annotate(error, "cannot open journal", &journal_file))?;
        let mut persister = Self {
            path,
            page_token_key,
            journal,
            journal_bytes: 0,
            snapshot_bytes: 0,
            compact_min_bytes: COMPACT_MIN_BYTES,
            broken: false,
        };
        persister.compact(state)?;
        Ok(persister)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `delta`, the change that made `state`, to the journal and
    /// fsyncs it. Compacts the journal into a new snapshot when it has grown
    /// large; a failed compaction is logged and leaves the write durable.
    ///
    /// # Errors
    ///
    /// Returns an error when the line cannot be written and synced, in which
    /// case the write must not be acknowledged.
    pub(crate) fn append(&mut self, delta: &Delta, state: &State) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::other(format!(
                "an earlier write to journal {} failed and could not be undone; restart the emulator",
                journal_path(&self.path).display()
            )));
        }
        let mut line = serde_json::to_vec(delta).map_err(io::Error::other)?;
        line.push(b'\n');
        let written = self
            .journal
            .write_all(&line)
            .and_then(|()| self.journal.sync_data());
        if let Err(error) = written {
            // Cut the journal back, so a later line does not follow a partial one.
            if let Err(truncate_error) = self
                .journal
                .set_len(self.journal_bytes)
                .and_then(|()| self.journal.sync_data())
            {
                tracing::error!(
                    error = %truncate_error,
                    path = %journal_path(&self.path).display(),
                    "cannot cut the emulator journal back after a failed write; later writes are rejected"
                );
                self.broken = true;
            }
            return Err(annotate(
                error,
                "cannot write journal",
                &journal_path(&self.path),
            ));
        }
        self.journal_bytes += line.len() as u64;
        let limit = self
            .snapshot_bytes
            .saturating_mul(COMPACT_FACTOR)
            .max(self.compact_min_bytes);
        if self.journal_bytes > limit
            && let Err(error) = self.compact(state)
        {
            tracing::warn!(
                %error,
                path = %self.path.display(),
                "cannot compact the emulator journal; it keeps growing"
            );
        }
        Ok(())
    }

    /// Writes `state` as the new snapshot, then empties the journal.
    fn compact(&mut self, state: &State) -> io::Result<()> {
        let snapshot = SnapshotRef {
            format: FILE_FORMAT,
            page_token_key: STANDARD.encode(self.page_token_key),
            state,
        };
        let bytes = serde_json::to_vec(&snapshot).map_err(io::Error::other)?;
        let temporary = self.temporary_path();
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            // The file contains the page token key, so only its owner may read it.
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut output = options
            .open(&temporary)
            .map_err(|error| annotate(error, "cannot create", &temporary))?;
        output
            .write_all(&bytes)
            .and_then(|()| output.sync_all())
            .map_err(|error| annotate(error, "cannot write", &temporary))?;
        drop(output);
        fs::rename(&temporary, &self.path)
            .map_err(|error| annotate(error, "cannot replace state file", &self.path))?;
        sync_directory(&self.path)?;
        self.snapshot_bytes = bytes.len() as u64;

        let journal = journal_path(&self.path);
        self.journal
            .set_len(0)
            .map_err(|error| annotate(error, "cannot empty journal", &journal))?;
        self.journal_bytes = 0;
        self.journal
            .sync_all()
            .map_err(|error| annotate(error, "cannot sync journal", &journal))
    }

    fn temporary_path(&self) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".to_string());
        self.path.with_file_name(format!(".{name}.tmp"))
    }
}

/// Fsyncs the directory of `path`, so a rename or a new file in it is durable.
fn sync_directory(path: &Path) -> io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(directory)
        .and_then(|directory| directory.sync_all())
        .map_err(|error| annotate(error, "cannot sync directory", directory))
}

fn decode_key(text: &str, path: &Path) -> io::Result<[u8; SECRET_LEN]> {
    STANDARD
        .decode(text)
        .ok()
        .and_then(|bytes| <[u8; SECRET_LEN]>::try_from(bytes).ok())
        .ok_or_else(|| {
            invalid_data(format!(
                "state file {} has an invalid page_token_key: expected base64 of {SECRET_LEN} bytes; delete the field to draw a new key",
                path.display()
            ))
        })
}

fn invalid_data(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn annotate(error: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{what} {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::config::ReleaseVersions;
    use crate::emulator::state::{ChannelVersions, TemplateRecord};
    use crate::v1beta2::ProfileTemplate;

    const KEY: [u8; SECRET_LEN] = [7; SECRET_LEN];

    fn empty() -> State {
        State::new(ChannelVersions::from(&ReleaseVersions::default()))
    }

    /// Creates template `index` in `state` and journals the change.
    fn create(state: &mut State, persister: &mut Persister, index: usize) {
        state.put_template(TemplateRecord {
            organization: "org-a".to_string(),
            template: ProfileTemplate {
                id: format!("id-{index:04}"),
                display_name: format!("template {index}"),
                ..ProfileTemplate::default()
            },
        });
        let delta = state.delta();
        persister.append(&delta, state).expect("append");
        state.forget_changes();
    }

    fn journal_len(path: &Path) -> u64 {
        fs::metadata(journal_path(path)).expect("journal").len()
    }

    #[test]
    fn journal_replays_after_restart() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let mut state = empty();
        let mut persister = Persister::start(path.clone(), &state, KEY).expect("start");
        for index in 0..5 {
            create(&mut state, &mut persister, index);
        }
        drop(persister);

        let loaded = load(&path).expect("load");
        assert_eq!(loaded.journal_lines, 5);
        assert_eq!(loaded.page_token_key, Some(KEY));
        assert_eq!(loaded.state.as_ref(), Some(&state));

        // Starting again writes the journal into the snapshot.
        let restored = loaded.state.expect("state");
        let persister = Persister::start(path.clone(), &restored, KEY).expect("restart");
        drop(persister);
        assert_eq!(journal_len(&path), 0);
        let loaded = load(&path).expect("load after restart");
        assert_eq!(loaded.journal_lines, 0);
        assert_eq!(loaded.state, Some(state));
    }

    #[test]
    fn incomplete_last_line_is_skipped() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let mut state = empty();
        let mut persister = Persister::start(path.clone(), &state, KEY).expect("start");
        create(&mut state, &mut persister, 0);
        create(&mut state, &mut persister, 1);
        drop(persister);
        let mut journal = OpenOptions::new()
            .append(true)
            .open(journal_path(&path))
            .expect("journal");
        journal.write_all(b"{\"templates\":{\"id-9").expect("write");
        drop(journal);

        let loaded = load(&path).expect("load");
        assert_eq!(loaded.journal_lines, 2);
        assert_eq!(loaded.state, Some(state));
    }

    #[test]
    fn invalid_journal_line_is_rejected() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let state = empty();
        drop(Persister::start(path.clone(), &state, KEY).expect("start"));
        fs::write(journal_path(&path), b"{}\nnot json\n").expect("write");

        let error = load(&path).expect_err("invalid line");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("line 2"), "{error}");
    }

    #[test]
    fn journal_without_snapshot_is_rejected() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        fs::write(journal_path(&path), b"{}\n").expect("write");

        let error = load(&path).expect_err("journal without snapshot");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("does not"), "{error}");
    }

    #[test]
    fn missing_files_load_as_empty() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let loaded = load(&directory.path().join("state.json")).expect("load");
        assert!(loaded.state.is_none());
        assert!(loaded.page_token_key.is_none());
    }

    #[test]
    fn compaction_keeps_every_write() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let mut state = empty();
        let mut persister = Persister::start(path.clone(), &state, KEY).expect("start");
        persister.compact_min_bytes = 0;
        let mut appended = 0;
        for index in 0..40 {
            let before = journal_len(&path);
            create(&mut state, &mut persister, index);
            appended += journal_len(&path).saturating_sub(before);
        }
        let snapshot_len = fs::metadata(&path).expect("snapshot").len();
        assert!(
            journal_len(&path) <= COMPACT_FACTOR * snapshot_len,
            "journal of {} bytes was not compacted",
            journal_len(&path)
        );
        assert!(journal_len(&path) < appended);
        drop(persister);

        let loaded = load(&path).expect("load");
        assert_eq!(loaded.state, Some(state));
    }

    #[test]
    fn format_one_file_loads_without_key() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let file = serde_json::json!({
            "format": 1,
            "state": {"templates": {}, "runners": {}, "versions": {"stable": "1.4.0", "rapid": "1.5.0"}},
        });
        fs::write(&path, file.to_string()).expect("write");

        let loaded = load(&path).expect("load");
        assert!(loaded.page_token_key.is_none());
        assert_eq!(loaded.state, Some(empty()));
    }

    #[test]
    fn unknown_format_is_rejected() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let file = serde_json::json!({
            "format": 3,
            "state": {"templates": {}, "runners": {}, "versions": {"stable": "1.4.0", "rapid": "1.5.0"}},
        });
        fs::write(&path, file.to_string()).expect("write");

        let error = load(&path).expect_err("format 3");
        assert!(error.to_string().contains("format 3"), "{error}");
    }
}
