#!/usr/bin/env bash
# Instruction-count benches (bench/instructions, gungraun under Valgrind's
# callgrind), compared with bench/baseline/instructions.json: prints the
# table of deltas and fails when a bench costs more than 5 % above it.
#
#   bash .ci/bench.sh                 (CI; also fine locally)
#   MAX_REGRESSION=2 bash .ci/bench.sh
#   bash .ci/bench.sh --update        (rewrite the baseline: bench/update-baseline.sh)
#
# Installs valgrind (Debian) and gungraun-runner (the version Cargo.lock
# names) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}

if ! command -v valgrind >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi

# The runner must be the very version of the gungraun library in Cargo.lock.
VERSION=$(awk '/^name = "gungraun"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
[ -n "$VERSION" ] || { echo "gungraun is not in Cargo.lock" >&2; exit 2; }
# Installed into cargo's home (on PATH), so that a machine that keeps it
# builds the runner once: ~4 CPU-minutes (measured here: 3m32s user + 20s sys).
RUNNER=$(command -v gungraun-runner || true)
if [ -z "$RUNNER" ] || [ "$("$RUNNER" --version 2>/dev/null)" != "gungraun-runner $VERSION" ]; then
  cargo install --locked --quiet --force gungraun-runner --version "=$VERSION"
  RUNNER=${CARGO_HOME:-$HOME/.cargo}/bin/gungraun-runner
fi
export GUNGRAUN_RUNNER=$RUNNER

RESULTS=$TARGET/bench/instructions.jsonl
mkdir -p "$(dirname "$RESULTS")"
cargo bench --locked --quiet -p preflight-instructions --bench instructions -- \
  --output-format=json >"$RESULTS"
if [ "${1:-}" = --update ]; then
  python3 bench/compare_instructions.py --write bench/baseline/instructions.json "$RESULTS"
else
  python3 bench/compare_instructions.py bench/baseline/instructions.json "$RESULTS" \
    --max-regression "${MAX_REGRESSION:-5}"
fi
