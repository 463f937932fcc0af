//! Durable state: the whole state is written to a temporary file, fsynced,
//! renamed over the state file and the directory fsynced, before the write
//! that changed it is acknowledged. A kill at any point leaves either the old
//! or the new file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::state::State;

/// Version of the file layout; a file of another version is rejected at load.
const FILE_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: u32,
    state: State,
}

/// Saves and loads the state at one path.
#[derive(Debug, Clone)]
pub(crate) struct Persister {
    path: PathBuf,
}

impl Persister {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the saved state; `Ok(None)` when no file exists yet.
    pub(crate) fn load(&self) -> io::Result<Option<State>> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(annotate(error, "cannot read state file", &self.path)),
        };
        let file: StateFile = serde_json::from_slice(&bytes).map_err(|error| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "state file {} is not valid: {error}; move it away to start empty",
                    self.path.display()
                ),
            )
        })?;
        if file.format != FILE_FORMAT {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "state file {} has format {}, this emulator reads format {FILE_FORMAT}",
                    self.path.display(),
                    file.format
                ),
            ));
        }
        Ok(Some(file.state))
    }

    /// Replaces the saved state with `state`, durably.
    pub(crate) fn save(&self, state: &State) -> io::Result<()> {
        let file = StateFile {
            format: FILE_FORMAT,
            state: state.clone(),
        };
        let bytes = serde_json::to_vec(&file)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        let temporary = self.temporary_path();
        let mut output = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)
            .map_err(|error| annotate(error, "cannot create", &temporary))?;
        output
            .write_all(&bytes)
            .and_then(|()| output.sync_all())
            .map_err(|error| annotate(error, "cannot write", &temporary))?;
        drop(output);
        fs::rename(&temporary, &self.path)
            .map_err(|error| annotate(error, "cannot replace state file", &self.path))?;
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(directory)
            .and_then(|directory| directory.sync_all())
            .map_err(|error| annotate(error, "cannot sync directory", directory))
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

fn annotate(error: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{what} {}: {error}", path.display()))
}
