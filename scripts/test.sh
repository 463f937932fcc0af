#!/usr/bin/env bash
# Runs every test: installs the interop peers (npm and PyPI packages, pinned),
# then the Rust tests of the workspace, interop with the peers included.
# Needs only the package registries; every server it starts listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/peers/setup.sh

report="${CARGO_TARGET_DIR:-target}/tmp/interop-report.txt"
rm -f "$report"
cargo test --workspace --all-features --locked

echo "== interop with the peer servers"
cat "$report"
