#!/usr/bin/env bash
# preflight-wasm (bindings/wasm): build the package (the .wasm must stay under
# 400 KB gzipped), then compare it with the CLI: the Node test over every
# fixture, and the demo page in Debian's headless Chromium driven by
# playwright-core. Both also check a 50 MB moov-at-end MP4 from < 1 MB of reads.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
at() { printf '  [%ss] %s\n' "$SECONDS" "$1"; }

if ! [ -x /usr/bin/chromium ]; then
  at "apt-get install chromium"
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
command -v ffmpeg >/dev/null || { echo "wasm.sh: ffmpeg is needed for the 50 MB MP4" >&2; exit 1; }

at "the CLI the tests compare with"
# `cargo test --no-run` builds target/debug/preflight with the features the
# final `cargo test` step uses, so that step compiles nothing again: this
# build adds no time to CI (a `cargo build -p preflight-cli` would, since
# its feature set differs).
cargo test --locked --no-run
at "the package (wasm-bindgen-cli installed on first use)"
bash bindings/wasm/build.sh
at "npm ci (playwright-core with no browser download, typescript)"
(cd bindings/wasm && npm ci --no-audit --no-fund --loglevel=error)
at "the generated TypeScript types (tsc --strict over tests/types.ts)"
(cd bindings/wasm && npx tsc -p tsconfig.json)
at "node --test"
cd bindings/wasm
# One 50 MB MP4 for both tests (each makes its own when run alone).
big="$(mktemp -d)"
trap 'rm -rf "$big"' EXIT
node -e 'import("./tests/common.mjs").then((m) => { const b = m.makeBigMp4(); require("fs").renameSync(b.file, process.argv[1]); b.remove(); })' "$big/moov_at_end.mp4"
PREFLIGHT_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/preflight" PREFLIGHT_BIG_MP4="$big/moov_at_end.mp4" \
  node --test tests/node.test.mjs tests/browser.test.mjs
at "wasm done"
