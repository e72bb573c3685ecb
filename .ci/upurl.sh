#!/usr/bin/env bash
# Upload by URL (issue 19): crates/preflight-cli/tests/upload_remote.rs with
# moto_server required, so that the presigned-URL upload from an S3 prefix
# cannot skip (the final `cargo test` runs these tests too, and skips the S3
# one when moto_server is not on PATH). The venv: .ci/remote-venv.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
source .ci/remote-venv.sh
# `--workspace`, as .ci/remote.sh: the same features, so the builds are shared.
cargo test --locked --workspace --test upload_remote
