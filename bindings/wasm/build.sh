#!/usr/bin/env bash
# Builds the npm package `preflight-wasm` into bindings/wasm/pkg/:
#   preflight_wasm.js (an ES module: `init`, then check/probe/profiles/request),
#   preflight_wasm.d.ts (the TypeScript types), preflight_wasm_bg.wasm,
#   package.json.
# wasm-bindgen's CLI must be the exact version of the wasm-bindgen crate in
# Cargo.lock; it is installed with cargo into $PREFLIGHT_TOOLS (default
# ~/.cache/preflight-tools) the first time. Fails when the gzipped .wasm is
# 400 KB or more.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"

ver="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")"
[ -n "$ver" ] || { echo "build.sh: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
tools="${PREFLIGHT_TOOLS:-$HOME/.cache/preflight-tools}/wasm-bindgen-$ver"
bindgen="$tools/bin/wasm-bindgen"
if ! [ -x "$bindgen" ] || [ "$("$bindgen" --version)" != "wasm-bindgen $ver" ]; then
  echo "installing wasm-bindgen-cli $ver into $tools"
  # Built in a throwaway target dir (not the workspace's). The CLI's own lock
  # file first; if the registry lacks one of its locked versions, the newest
  # compatible ones.
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  CARGO_TARGET_DIR="$scratch" cargo install --quiet wasm-bindgen-cli --version "=$ver" --locked --root "$tools" \
    || CARGO_TARGET_DIR="$scratch" cargo install --quiet wasm-bindgen-cli --version "=$ver" --root "$tools"
fi

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
# Small over fast: the probe reads headers, it is nowhere near hot.
CARGO_PROFILE_RELEASE_OPT_LEVEL=s \
CARGO_PROFILE_RELEASE_LTO=true \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  cargo build --quiet --locked -p preflight-wasm --release --target wasm32-unknown-unknown \
  --manifest-path "$root/Cargo.toml"

out="$here/pkg"
rm -rf "$out"
"$bindgen" --target web --out-dir "$out" --out-name preflight_wasm \
  "$target/wasm32-unknown-unknown/release/preflight_wasm.wasm"
version="$(awk -F'"' '/^version = / { print $2; exit }' "$root/Cargo.toml")"
cat > "$out/package.json" <<JSON
{
  "name": "preflight-wasm",
  "version": "$version",
  "description": "Check a media file against a video-generation service's limits in the browser, before a byte is uploaded.",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "preflight_wasm.js",
  "types": "preflight_wasm.d.ts",
  "files": ["preflight_wasm.js", "preflight_wasm.d.ts", "preflight_wasm_bg.wasm", "preflight_wasm_bg.wasm.d.ts"],
  "sideEffects": ["./snippets/*"]
}
JSON

wasm="$out/preflight_wasm_bg.wasm"
raw=$(wc -c < "$wasm")
gz=$(gzip -9c "$wasm" | wc -c)
echo "$wasm: $raw bytes, $gz gzipped"
if [ "$gz" -ge 409600 ]; then
  echo "FAIL: the .wasm is $gz bytes gzipped, not under 400 KB" >&2
  exit 1
fi
