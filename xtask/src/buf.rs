//! Locating the `buf` binary.

use std::env;
use std::path::{Path, PathBuf};

/// Path of the binary that the npm package `@bufbuild/buf` installs when
/// `tests/peers/setup.sh` sets up the test peers.
pub const PEERS_BUF: &str = "tests/peers/node/node_modules/.bin/buf";

/// Returns the `buf` binary to run: `$BUF` when set, else the one the test
/// peers installed under `repo`, else `buf` from `PATH`. Returns `None` when
/// none of these exists.
pub fn find(repo: &Path) -> Option<PathBuf> {
    if let Some(path) = env::var_os("BUF").filter(|value| !value.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let installed = repo.join(PEERS_BUF);
    if installed.is_file() {
        return Some(installed);
    }
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join("buf"))
        .find(|candidate| candidate.is_file())
}
