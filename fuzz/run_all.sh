#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), seeding each corpus from
# testdata/. Needs cargo-fuzz (`cargo install cargo-fuzz`); works on the stable
# toolchain through RUSTC_BOOTSTRAP=1 for cargo-fuzz's -Z flags. Runs without a
# sanitizer (see below).
#   bash fuzz/run_all.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
shift || true
export RUSTC_BOOTSTRAP=1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
seed() {  # seed TARGET GLOB...
  local t=$1; shift
  mkdir -p "corpus/$t"
  for g in "$@"; do
    for f in ../testdata/$g; do [ -f "$f" ] && cp -n "$f" "corpus/$t/" || true; done
  done
}
for t in "${targets[@]}"; do
  case $t in
    probe_jpeg) seed "$t" 'image/*.jpg' ;;
    probe_png) seed "$t" 'image/*.png' ;;
    probe_gif) seed "$t" 'image/*.gif' ;;
    probe_webp) seed "$t" 'image/*.webp' ;;
    probe_bmp) seed "$t" 'image/*.bmp' ;;
    probe_tiff|probe_exif) seed "$t" 'image/*.tif' ;;
    probe_heif) seed "$t" 'image/*.hei?' 'unsupported/*.avif' ;;
    probe_mp4) seed "$t" 'video/*' ;;
    probe_mp3) seed "$t" 'audio/*.mp3' ;;
    probe_wav) seed "$t" 'audio/*.wav' ;;
    fix_image) seed "$t" 'image/*' 'hostile/fix/*.png' 'hostile/fix/*.gif' ;;
    fix_audio) seed "$t" 'audio/*' 'hostile/fix/*.wav' ;;
    *) seed "$t" '*/*' ;;
  esac
  echo "== $t for ${SECONDS_EACH}s"
  status=0
  timeout=1
  case $t in fix_*) timeout=10 ;; esac  # a repair decodes and encodes
  # No sanitizer: the crate forbids unsafe code, so ASan finds nothing a panic
  # would not, and its quarantine inflates RSS; -malloc_limit_mb catches any
  # single allocation over 256 MB, -rss_limit_mb a slow leak.
  cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -timeout="$timeout" -rss_limit_mb=512 \
    -malloc_limit_mb=256 -max_len=1048576 -print_final_stats=1 >"run-$t.log" 2>&1 || status=$?
  tail -n 12 "run-$t.log"
  echo "== $t exit $status (artifacts, if any, in fuzz/artifacts/$t/)"
done
