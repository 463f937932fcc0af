#!/usr/bin/env bash
# Checks that the library builds with each feature on its own, with none and
# with all, and that an embedding build pulls in none of the CLI's crates.
#
# Uses cargo-hack, and installs it when it is missing (about 2 minutes from
# crates.io on 2 cores). If it cannot be installed, a plain loop over the same
# feature sets runs instead. Examples are built with every feature.
set -euo pipefail
cd "$(dirname "$0")/.."

package=cwsandbox-control
features=(tls-ring-webpki tls-ring-native emulator cli)
# Crates that only the cwsctl binary needs.
cli_only=(clap clap_complete indicatif comfy-table tracing-subscriber serde_yaml_ng prost-reflect)

if ! cargo hack --version >/dev/null 2>&1; then
    echo "== installing cargo-hack"
    cargo install cargo-hack --locked || echo "cargo-hack install failed; checking with a loop"
fi

if cargo hack --version >/dev/null 2>&1; then
    echo "== cargo hack check --each-feature"
    # --no-dev-deps checks that no feature needs a dev-dependency to build;
    # cargo-hack edits Cargo.toml while it runs and restores it after.
    cargo hack check --package "$package" --each-feature --no-dev-deps
else
    echo "== cargo check per feature"
    cargo check --package "$package" --lib --no-default-features
    for feature in "${features[@]}"; do
        echo "-- --features $feature"
        cargo check --package "$package" --lib --bins --no-default-features --features "$feature"
    done
    cargo check --package "$package" --lib --bins --all-features
fi

# Prints the crates of the library's normal dependency tree with `$1` features.
normal_deps() {
    cargo tree --package "$package" --edges normal --prefix none --no-default-features \
        --features "$1" --locked | awk '{print $1}' | sort -u
}

status=0
for set in tls-ring-webpki emulator "tls-ring-webpki emulator"; do
    echo "== dependency tree with --no-default-features --features \"$set\""
    deps=$(normal_deps "$set")
    for crate in "${cli_only[@]}"; do
        if grep -qx "$crate" <<<"$deps"; then
            echo "error: $crate is a dependency with features \"$set\"; make it optional under the cli feature"
            status=1
        fi
    done
done
if [[ $status -eq 0 ]]; then
    echo "no CLI crate in the embedding builds: ${cli_only[*]}"
fi

echo "== cargo build --examples --all-features"
cargo build --workspace --examples --all-features --locked
exit $status
