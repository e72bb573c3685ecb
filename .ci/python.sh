#!/usr/bin/env bash
# The Python package (bindings/python): `pip install` it into a fresh venv and
# run its pytest suite, which compares every fixture's report with the CLI's
# JSON and runs the Ray Data test on a local 2-CPU Ray cluster, locally and
# over an S3 bucket on moto_server (127.0.0.1), whose venv .ci/remote.sh made.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/python-ci-venv"
rm -rf "$venv"
python3 -m venv "$venv"
export PATH="$venv/bin:$PATH"   # maturin, for pip's build
"$venv/bin/pip" install -q --disable-pip-version-check -r bindings/python/requirements-ci.txt

# The CLI the tests compare with: `cargo test --no-run` builds it with the
# features the final `cargo test` uses (a plain `cargo build -p preflight-cli`
# resolves features differently and would compile the workspace again).
cargo test --locked -q --no-run
# The extension, built by maturin through pip. A dev-profile build: it shares
# the CLI's compiled dependencies (a release build adds minutes for nothing
# the tests check; the benchmark uses one).
MATURIN_PEP517_ARGS="--profile dev --locked" \
  "$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation ./bindings/python

# moto_server for the S3 tests (the venv .ci/remote.sh made, else made here
# the same way). A missing moto_server fails the tests.
source .ci/remote-venv.sh

# Run from outside the source folder, so the installed package is the one imported.
cd bindings/python/tests
PREFLIGHT_BIN="$target/debug/preflight" "$venv/bin/python" -m pytest -q -p no:cacheprovider .
