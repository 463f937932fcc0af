#!/usr/bin/env bash
# Installs the interop peers and generates their protobuf code from proto/.
#
#   bash tests/peers/setup.sh        (from any directory; safe to rerun)
#
# Node: `npm ci` from the committed lockfile, then `buf generate` with the
# local protoc-gen-es plugin into node/gen/. Python: a venv in python/.venv
# with the pinned requirements, then grpc_tools.protoc with the
# connect-python plugin into python/gen/. Needs node, npm and python3 (3.11
# or newer); reaches only the npm registry and PyPI. Set PYTHON to choose the
# interpreter that creates the venv.
set -euo pipefail

PEERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$PEERS_DIR/../.." && pwd)"
PROTO_DIR="$REPO_DIR/proto"
NODE_DIR="$PEERS_DIR/node"
PYTHON_DIR="$PEERS_DIR/python"
VENV_DIR="$PYTHON_DIR/.venv"
PYTHON="${PYTHON:-python3}"

step() {
  echo "==> $*"
}

for tool in node npm "$PYTHON"; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: $tool not found on PATH; install it and rerun" >&2
    exit 1
  fi
done

step "node $(node --version), npm $(npm --version): npm ci in $NODE_DIR"
(cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)

step "node: buf generate from $PROTO_DIR into $NODE_DIR/gen"
(cd "$NODE_DIR" && PATH="$NODE_DIR/node_modules/.bin:$PATH" buf generate)

if [ -x "$VENV_DIR/bin/python" ] && "$VENV_DIR/bin/python" -c "" 2>/dev/null; then
  step "python: reusing the venv in $VENV_DIR"
else
  step "python: creating a venv in $VENV_DIR with $("$PYTHON" --version)"
  rm -rf "$VENV_DIR"
  "$PYTHON" -m venv "$VENV_DIR"
fi

step "python: pip install -r $PYTHON_DIR/requirements.txt"
"$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$PYTHON_DIR/requirements.txt"

mapfile -t PROTO_FILES < <(cd "$PROTO_DIR" && find . -name '*.proto' | sed 's|^\./||' | sort)
step "python: grpc_tools.protoc for ${#PROTO_FILES[@]} files into $PYTHON_DIR/gen"
rm -rf "$PYTHON_DIR/gen"
mkdir -p "$PYTHON_DIR/gen"
# protoc finds the plugin protoc-gen-connect-python on PATH, in the venv's bin.
(cd "$PYTHON_DIR" && PATH="$VENV_DIR/bin:$PATH" "$VENV_DIR/bin/python" -m grpc_tools.protoc \
  -I"$PROTO_DIR" --python_out=gen --connect-python_out=gen "${PROTO_FILES[@]}")

GOLDEN_DIR="$REPO_DIR/tests/golden/proto"
step "python: grpc_tools.protoc for the golden test proto into $PYTHON_DIR/gen"
(cd "$PYTHON_DIR" && "$VENV_DIR/bin/python" -m grpc_tools.protoc \
  -I"$GOLDEN_DIR" -I"$PROTO_DIR" --python_out=gen golden/v1/golden.proto)

step "done: see $PEERS_DIR/README.md for how to start each peer"
