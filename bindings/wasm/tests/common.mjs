// Helpers shared by the Node and the browser tests: where things are, the
// CLI's reports to compare with, and the large moov-at-end MP4.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const binding = path.resolve(here, "..");
export const root = path.resolve(binding, "../..");
export const pkg = path.join(binding, "pkg");

/** The `preflight` binary: $PREFLIGHT_BIN, else the debug build in the target dir. */
export function cliPath() {
  const bin = process.env.PREFLIGHT_BIN
    ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "debug", "preflight");
  if (!existsSync(bin)) {
    throw new Error(`no preflight binary at ${bin}: build it (cargo build -p preflight-cli) or set PREFLIGHT_BIN`);
  }
  return bin;
}

/** `preflight check --format json ARGS…` run in the repository root: its `files`. */
export function cliReports(args) {
  const r = spawnSync(cliPath(), ["check", "--format", "json", "--quiet", ...args], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  // 0: all pass; 1: some fail. Anything else is not a run to compare with.
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`preflight check ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout).files;
}

/** Every file under testdata/, as paths relative to the repository root, sorted. */
export function fixtures() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.isFile()) out.push(rel);
    }
  };
  walk("testdata");
  return out.sort();
}

export const BIG_MIN_BYTES = 50_000_000;

/**
 * A real MP4 of at least 50 MB with its `moov` after the media data (ffmpeg
 * writes it there unless asked for `+faststart`): 14 s of 1080p lossless
 * H.264 and AAC. Returns its path and a function that removes it.
 * $PREFLIGHT_BIG_MP4 names one made before (kept: the caller made it).
 */
export function makeBigMp4() {
  const given = process.env.PREFLIGHT_BIG_MP4;
  if (given) {
    const size = statSync(given).size;
    if (size < BIG_MIN_BYTES) throw new Error(`${given} is ${size} bytes, not 50 MB`);
    return { file: given, size, remove: () => {} };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "preflight-wasm-"));
  const file = path.join(dir, "moov_at_end.mp4");
  const r = spawnSync("ffmpeg", [
    "-v", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30",
    "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000",
    "-t", "14", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-b:a", "128k", file,
  ], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg failed (${r.status}): ${r.error ?? r.stderr}`);
  const size = statSync(file).size;
  if (size < BIG_MIN_BYTES) throw new Error(`${file} is ${size} bytes, not 50 MB`);
  return { file, size, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The offset of the top-level `moov` box, walking the boxes of `bytesAt(offset, 16)`. */
export function moovOffset(readAt, size) {
  let at = 0;
  while (at + 8 <= size) {
    const b = readAt(at, 16);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let len = dv.getUint32(0);
    const type = String.fromCharCode(...b.subarray(4, 8));
    if (len === 1) len = Number(dv.getBigUint64(8));
    if (type === "moov") return at;
    if (len < 8) return -1;
    at += len;
  }
  return -1;
}
