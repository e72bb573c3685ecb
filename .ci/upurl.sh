#!/usr/bin/env bash
# Upload by URL (issue 19): crates/preflight-cli/tests/upload_remote.rs with
# moto_server required, so that the presigned-URL upload from an S3 prefix
# cannot skip (the final `cargo test` runs these tests too, and skips the S3
# one when moto_server is not on PATH). Reuses the moto venv of .ci/remote.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/remote-venv"
if [ ! -x "$venv/bin/moto_server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'moto[s3]==5.2.5' flask flask-cors
fi
export PREFLIGHT_MOTO_SERVER="$venv/bin/moto_server"
export PREFLIGHT_REQUIRE_MOTO=1
# `--workspace`, as .ci/remote.sh: the same features, so the builds are shared.
cargo test --locked --workspace --test upload_remote
