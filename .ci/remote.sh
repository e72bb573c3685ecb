#!/usr/bin/env bash
# Remote media (crates/preflight-remote, `preflight check s3://…`): installs an
# S3-compatible server (moto_server, in a venv) and runs the tests that need it,
# with a missing moto_server a failure (PREFLIGHT_REQUIRE_MOTO=1). The HTTP
# range tests need nothing installed and run in the final `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The crate alone (no feature unification hides a missing feature).
cargo check --locked -p preflight-remote --all-targets

target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/moto-venv"
if [ ! -x "$venv/bin/moto_server" ]; then
  python3 -m venv "$venv"
  # moto's S3 backend and what moto_server serves it with (the `server`
  # extra pulls every AWS service's dependencies: twice the size and time).
  "$venv/bin/pip" install -q --disable-pip-version-check 'moto[s3]==5.2.5' flask flask-cors
fi
export PREFLIGHT_MOTO_SERVER="$venv/bin/moto_server"
export PATH="$venv/bin:$PATH"
export PREFLIGHT_REQUIRE_MOTO=1
export PREFLIGHT_S3_OBJECTS=10000
# 10,000 objects: verdicts equal local, objects/s beside plain ranged GETs.
# `--workspace` resolves features as the final `cargo test` does, which then
# reuses these builds instead of compiling the crates again.
cargo test --locked --workspace --test s3 --test remote -- --nocapture
