#!/usr/bin/env bash
# The core as an integrator links it: a throwaway crate outside the workspace
# that depends on `preflight` with `default-features = false, features =
# ["serde"]`. Checks that it compiles at most 30 crates, and that it builds
# for wasm32-unknown-unknown into a .wasm with no imports at all.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "lean-core-check"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
preflight = { path = "$root/crates/preflight", default-features = false, features = ["serde"] }

[profile.release]
opt-level = "s"

[workspace]
TOML
cat > "$work/src/lib.rs" <<'RS'
//! Exports one function that runs the whole core on bytes in wasm memory.
use preflight::{check, probe_bytes, ProbeLimits, Profile};

#[no_mangle]
pub extern "C" fn verdict_of(ptr: *const u8, len: usize) -> u32 {
    // SAFETY: the caller hands over `len` readable bytes at `ptr`.
    let data = unsafe { core::slice::from_raw_parts(ptr, len) };
    match probe_bytes(data, &ProbeLimits::default()) {
        Ok(info) => check(&info, &Profile::seedance2()).violations.len() as u32,
        Err(_) => u32::MAX,
    }
}
RS
cp "$root/Cargo.lock" "$work/Cargo.lock" 2>/dev/null || true
cd "$work"
n=$(cargo tree -e normal,build --prefix none 2>/dev/null | sed 's/ (\*)$//; s/ (proc-macro)$//' | sort -u | grep -vc '^lean-core-check ')
echo "core with default-features = false, features = [\"serde\"]: $n crates"
cargo tree -e normal,build --prefix none | sed 's/ (\*)$//' | sort -u | sed 's/^/  /'
if [ "$n" -gt 30 ]; then
  echo "FAIL: more than 30 crates" >&2
  exit 1
fi
CARGO_TARGET_DIR="$work/target" cargo build --quiet --release --target wasm32-unknown-unknown
wasm="$work/target/wasm32-unknown-unknown/release/lean_core_check.wasm"
python3 - "$wasm" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
assert data[:4] == b"\0asm", "not a wasm module"
def uleb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return r, i
i, imports = 8, []
while i < len(data):
    sid = data[i]; size, i = uleb(data, i + 1)
    if sid == 2:
        n, j = uleb(data, i)
        for _ in range(n):
            ml, j = uleb(data, j); m = data[j:j+ml].decode(); j += ml
            fl, j = uleb(data, j); f = data[j:j+fl].decode(); j += fl
            kind = data[j]; j += 1
            imports.append(f"{m}.{f}")
            # skip the import's description
            if kind == 0: _, j = uleb(data, j)
            elif kind == 1: j += 1; flags = data[j]; j += 1; _, j = uleb(data, j); j = uleb(data, j)[1] if flags & 1 else j
            elif kind == 2: flags = data[j]; j += 1; _, j = uleb(data, j); j = uleb(data, j)[1] if flags & 1 else j
            elif kind == 3: j += 2
    i += size
print(f"{sys.argv[1].rsplit('/',1)[-1]}: {len(data)} bytes, {len(imports)} imports")
if imports:
    print("FAIL: the wasm imports " + ", ".join(imports), file=sys.stderr)
    sys.exit(1)
PY
