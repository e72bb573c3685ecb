#!/usr/bin/env bash
# Peer comparison for the image path of `preflight fix`: downscale a
# 48-megapixel (8000×6000) JPEG to fit 6000 px a side and re-encode it as JPEG
# quality 90, with
#   preflight fix big.jpg --out OUT            (decode, Lanczos3 resize, encode, re-check)
#   ImageMagick: convert big.jpg -resize 6000x6000 -quality 90 out.jpg
#   libvips:     vipsthumbnail big.jpg -s 6000x6000 -o out.jpg[Q=90]
# Median wall time of RUNS runs each (default 5), then the ratios.
#
#   bash bench/compare_fix.sh [RUNS]
#
# The input is made once with ffmpeg's testsrc2 pattern (a photo-like mix of
# gradients, edges and text). Needs: ffmpeg, imagemagick, libvips-tools, bc
# (Debian packages); installs them with apt-get when missing and running as root.
# `/usr/bin/convert` is used explicitly: a stand-in may sit earlier in PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}

need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
[ -x /usr/bin/convert ] || need+=(imagemagick)
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
command -v bc >/dev/null || need+=(bc)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing: ${need[*]} (apt-get install them)" >&2; exit 2
  fi
fi
IM=/usr/bin/convert

cargo build --release --quiet
TARGET=${CARGO_TARGET_DIR:-target}
PF=$TARGET/release/preflight

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/in"
BIG=$WORK/in/big.jpg
ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=8000x6000 -frames:v 1 -q:v 3 -y "$BIG"
cat "$BIG" >/dev/null   # warm cache
echo "input: 8000×6000 JPEG, $(stat -c %s "$BIG") bytes; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "versions: preflight $("$PF" --version | cut -d' ' -f2), $("$IM" -version | head -1 | cut -d' ' -f2-3), $(vips --version)"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# time_runs CMD...: median wall seconds of RUNS runs.
time_runs() {
  local t=()
  for ((r = 0; r < RUNS; r++)); do
    rm -rf "$WORK/out"; mkdir -p "$WORK/out"
    local a b
    a=$(date +%s.%N); "$@" >/dev/null 2>&1; b=$(date +%s.%N)
    t+=("$(echo "$b - $a" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | median
}

T_PF=$(time_runs "$PF" fix "$BIG" --out "$WORK/out")
T_IM=$(time_runs "$IM" "$BIG" -resize 6000x6000 -quality 90 "$WORK/out/im.jpg")
# Debian's ImageMagick policy caps the pixel cache at 256 MiB, so a 48 MP picture
# (384 MB at Q16) goes to a disk cache (-limit cannot raise a policy cap); the
# same job with a private policy that allows 4 GiB in memory:
mkdir -p "$WORK/im"
cat >"$WORK/im/policy.xml" <<'XML'
<policymap>
  <policy domain="resource" name="memory" value="4GiB"/>
  <policy domain="resource" name="map" value="4GiB"/>
  <policy domain="resource" name="area" value="1GP"/>
  <policy domain="resource" name="disk" value="8GiB"/>
</policymap>
XML
T_IMR=$(MAGICK_CONFIGURE_PATH="$WORK/im" time_runs "$IM" "$BIG" -resize 6000x6000 -quality 90 "$WORK/out/im.jpg")
T_VIPS=$(time_runs vipsthumbnail "$BIG" -s 6000x6000 -o "$WORK/out/vips.jpg[Q=90]")

# The outputs, to show the same job was done.
rm -rf "$WORK/out"; mkdir -p "$WORK/out"
"$PF" fix "$BIG" --out "$WORK/out" >/dev/null
"$IM" "$BIG" -resize 6000x6000 -quality 90 "$WORK/out/im.jpg"
vipsthumbnail "$BIG" -s 6000x6000 -o "$WORK/out/vips.jpg[Q=90]"

printf '\n%-52s %10s %12s %14s\n' "tool" "seconds" "output" "tool/preflight"
row() { printf '%-52s %10.3f %12s %14.2f\n' "$1" "$2" "$3" "$(echo "$2 / $T_PF" | bc -l)"; }
row "preflight fix (Lanczos3, q=90, re-check)" "$T_PF" "$(identify -format '%wx%h' "$WORK/out/big.jpg")"
row "ImageMagick convert -resize 6000x6000 -quality 90" "$T_IM" "$(identify -format '%wx%h' "$WORK/out/im.jpg")"
row "  same, policy allowing 4 GiB (no disk cache)" "$T_IMR" "$(identify -format '%wx%h' "$WORK/out/im.jpg")"
row "vipsthumbnail -s 6000x6000 [Q=90]" "$T_VIPS" "$(identify -format '%wx%h' "$WORK/out/vips.jpg")"
printf '\npreflight vs ImageMagick: %.2f× faster (%.2f× with its caps raised);  preflight / libvips: %.2f× (target ≤ 1.5)\n' \
  "$(echo "$T_IM / $T_PF" | bc -l)" "$(echo "$T_IMR / $T_PF" | bc -l)" "$(echo "$T_PF / $T_VIPS" | bc -l)"
