#!/usr/bin/env bash
# Time and peak memory of `preflight check` on every file of testdata/hostile
# (release build; each file checked RUNS times, the slowest run reported).
# Budget from the hardening issue: every check under 100 ms and 64 MB.
#   bash bench/hostile_budget.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet
PF=target/release/preflight
worst_ms=0; worst_kb=0
printf '%-36s %10s %10s\n' file "max ms" "max RSS kB"
for f in testdata/hostile/*; do
  case $f in *.py|*.md) continue ;; esac
  max_ms=0; max_kb=0
  for ((i = 0; i < RUNS; i++)); do
    out=$( { /usr/bin/time -f "%e %M" "$PF" check --format ndjson "$f" >/dev/null || true; } 2>&1 | tail -1)
    ms=$(echo "$out" | awk '{printf "%d", $1 * 1000}'); kb=$(echo "$out" | awk '{print $2}')
    (( ms > max_ms )) && max_ms=$ms; (( kb > max_kb )) && max_kb=$kb
  done
  printf '%-36s %10s %10s\n' "$(basename "$f")" "$max_ms" "$max_kb"
  (( max_ms > worst_ms )) && worst_ms=$max_ms; (( max_kb > worst_kb )) && worst_kb=$max_kb
done
echo "worst: ${worst_ms} ms (whole process, 10 ms resolution), ${worst_kb} kB peak RSS"
