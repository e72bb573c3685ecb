#!/usr/bin/env bash
# Peer comparison for `preflight check` over a folder of N mixed real files.
#
#   bash bench/compare.sh [N] [RUNS]        (defaults: N=5000, RUNS=5)
#
# Builds the folder by copying testdata/ fixtures round-robin under new names
# (spread over sub-folders), warms the page cache, then times, median of RUNS:
#   preflight check --format ndjson --jobs JOBS DIR
#   the floor: bench/floor.rs (walk, then open, read 64 KiB, close; JOBS threads)
#   (these two in turns, run by run)
#   exiftool -fast2 -json -r DIR
#   a loop of `ffprobe -show_streams -show_format` per file
#   a loop of `mediainfo --Output=JSON` per file
# The per-file loops are slow (tens of ms a file), so by default they run over a
# sample of PEER_SAMPLE files (default 300) and are scaled to N; the output says
# so. Set PEER_SAMPLE=N to run them over everything. BENCH_DIR=path keeps the
# folder there for the next run. Peak RSS comes from
# /usr/bin/time -v. Needs: ffmpeg, exiftool, mediainfo, time (Debian packages);
# installs them with apt-get when missing and running as root.
#
# JOBS (default 2) is the thread count of preflight and of the floor alike.
# PEERS=0 times preflight and the floor only (no exiftool, ffprobe,
# mediainfo): the quick loop while working on the batch path.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
RUNS=${2:-5}
PEER_SAMPLE=${PEER_SAMPLE:-300}
JOBS=${JOBS:-2}
PEERS=${PEERS:-1}
[ "$PEER_SAMPLE" -gt "$N" ] && PEER_SAMPLE=$N

need=()
if [ "$PEERS" != 0 ]; then
  command -v ffprobe >/dev/null || need+=(ffmpeg)
  command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
  command -v mediainfo >/dev/null || need+=(mediainfo)
fi
[ -x /usr/bin/time ] || need+=(time)
command -v bc >/dev/null || need+=(bc)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing: ${need[*]} (apt-get install them)" >&2; exit 2
  fi
fi

cargo build --release --quiet -p preflight-cli
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$TARGET/bench"
rustc -O --edition 2021 bench/floor.rs -o "$TARGET/bench/floor"
PF=$TARGET/release/preflight
FLOOR=$TARGET/bench/floor

if [ -n "${BENCH_DIR:-}" ]; then
  # Kept between runs (delete it yourself); made again when its count is off.
  DIR=$BENCH_DIR
  [ -d "$DIR" ] && [ "$(find "$DIR" -type f | wc -l)" != "$N" ] && rm -rf "$DIR"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  DIR=$WORK/media
fi
mkdir -p "$DIR"
mapfile -t SRC < <(find testdata -type f \( -path '*/image/*' -o -path '*/video/*' -o -path '*/audio/*' -o -path '*/unsupported/*' \) | sort)
[ "$(find "$DIR" -type f | wc -l)" = "$N" ] || for ((i = 0; i < N; i++)); do
  s=${SRC[$((i % ${#SRC[@]}))]}
  sub=$DIR/d$((i / 500))
  [ -d "$sub" ] || mkdir -p "$sub"
  cp "$s" "$sub/$(printf '%05d' "$i")-$(basename "$s")"
done
mapfile -t ALL < <(find "$DIR" -type f | sort)
SAMPLE=("${ALL[@]:0:$PEER_SAMPLE}")
echo "folder: $N files, $(du -sh "$DIR" | cut -f1); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $JOBS threads; $(date -u '+%Y-%m-%d %H:%M UTC')"
cat "${ALL[@]}" >/dev/null   # warm cache

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# time_runs NAME SCALE CMD...: median wall seconds of RUNS runs, times SCALE.
time_runs() {
  local name=$1 scale=$2; shift 2
  local t=()
  for ((r = 0; r < RUNS; r++)); do
    local a b
    a=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; b=$(date +%s.%N)
    t+=("$(echo "$b - $a" | bc -l)")
  done
  local m
  m=$(printf '%s\n' "${t[@]}" | median)
  echo "$(echo "$m * $scale" | bc -l)"
}
# (preflight exits 1 when a file fails: that is not an error here)
peak_rss() { { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}'; }

ffprobe_loop() { for f in "${SAMPLE[@]}"; do ffprobe -v quiet -show_streams -show_format "$f"; done; }
mediainfo_loop() { for f in "${SAMPLE[@]}"; do mediainfo --Output=JSON "$f"; done; }
SCALE=$(echo "$N / ${#SAMPLE[@]}" | bc -l)

# preflight and the floor take turns, run by run, so that both meet the same
# machine (a neighbour's load, the page cache) and their ratio is fair.
seconds() { local a b; a=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; b=$(date +%s.%N); echo "$b - $a" | bc -l; }
PF_T=(); FLOOR_T=()
for ((r = 0; r < RUNS; r++)); do
  PF_T+=("$(seconds "$PF" check --format ndjson --jobs "$JOBS" "$DIR")")
  FLOOR_T+=("$(seconds "$FLOOR" "$DIR" "$JOBS")")
done
T_PF=$(printf '%s\n' "${PF_T[@]}" | median)
T_FLOOR=$(printf '%s\n' "${FLOOR_T[@]}" | median)
per_file() { echo "$1 * 1000000 / $N" | bc -l; }
if [ "$PEERS" = 0 ]; then
  printf '\n%-34s %12s %12s\n' "tool (median of $RUNS)" "seconds" "µs per file"
  printf '%-34s %12.4f %12.2f\n' "preflight check --format ndjson" "$T_PF" "$(per_file "$T_PF")"
  printf '%-34s %12.4f %12.2f\n' "floor (walk + read 64 KiB)" "$T_FLOOR" "$(per_file "$T_FLOOR")"
  printf '\npreflight/floor: %.2f×\n' "$(echo "$T_PF / $T_FLOOR" | bc -l)"
  exit 0
fi
T_EXIF=$(RUNS=$(( RUNS < 3 ? RUNS : 3 )) time_runs exiftool 1 exiftool -fast2 -json -r "$DIR")
T_FFP=$(RUNS=1 time_runs ffprobe "$SCALE" ffprobe_loop)
T_MI=$(RUNS=1 time_runs mediainfo "$SCALE" mediainfo_loop)
RSS_PF=$(peak_rss "$PF" check --format ndjson --jobs "$JOBS" "$DIR")
RSS_FLOOR=$(peak_rss "$FLOOR" "$DIR" "$JOBS")

printf '\n%-34s %12s %14s\n' "tool" "seconds" "peer/preflight"
row() { printf '%-34s %12.4f %14.1f\n' "$1" "$2" "$(echo "$2 / $T_PF" | bc -l)"; }
row "preflight check --format ndjson" "$T_PF"
row "floor (walk + read 64 KiB)" "$T_FLOOR"
row "exiftool -fast2 -json -r" "$T_EXIF"
row "ffprobe loop (scaled from ${#SAMPLE[@]})" "$T_FFP"
row "mediainfo loop (scaled from ${#SAMPLE[@]})" "$T_MI"
printf '\npreflight/floor: %.2f×   peak RSS: preflight %s kB, floor %s kB\n' \
  "$(echo "$T_PF / $T_FLOOR" | bc -l)" "$RSS_PF" "$RSS_FLOOR"
