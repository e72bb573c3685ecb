#!/usr/bin/env python3
"""Compares instruction counts with the committed baseline.

    compare_instructions.py BASELINE.json RESULTS.jsonl [--max-regression PCT]
    compare_instructions.py --write BASELINE.json RESULTS.jsonl

RESULTS.jsonl is what `cargo bench -p preflight-instructions -- --output-format=json`
prints: one JSON summary a bench. The instruction count of each (callgrind's
`Ir`) is keyed by `group::function id` (say `probe_group::probe mp4_faststart`).

Prints a table of the deltas and exits 1 when a bench is more than
PCT % (default 5) above its baseline, or a bench of the baseline is missing
from the results (a bench that stops running must not pass in silence). A new
bench, not yet in the baseline, is listed but does not fail. With --write, the
results become the baseline instead.

Standard library only.
"""

import argparse
import json
import sys


def find_ir(summary):
    """The new run's `Ir` total of one bench summary.

    gungraun 0.20 (summary version 7) keeps it at
    profiles[0].data.total.metrics.Ir.values.new (`old` beside it holds
    gungraun's own previous run, which is not ours to compare with).
    """
    try:
        v = summary["profiles"][0]["data"]["total"]["metrics"]["Ir"]["values"]["new"]
    except (KeyError, IndexError, TypeError):
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return int(v)


def bench_id(summary):
    module = summary.get("module_path") or ""
    # module_path is `bench_file::group::function`: keep `group::function`.
    parts = module.split("::")
    name = "::".join(parts[1:]) if len(parts) > 1 else module
    ident = summary.get("id")
    return f"{name} {ident}" if ident else name


def load_results(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                summary = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{lineno}: not JSON: {e}")
            ir = find_ir(summary)
            if ir is None:
                sys.exit(f"{path}:{lineno}: no instruction count (Ir) in the summary")
            out[bench_id(summary)] = ir
    if not out:
        sys.exit(f"{path}: no bench results")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline")
    ap.add_argument("results")
    ap.add_argument("--max-regression", type=float, default=5.0, metavar="PCT")
    ap.add_argument("--write", action="store_true", help="make the results the baseline")
    a = ap.parse_args()

    new = load_results(a.results)
    if a.write:
        with open(a.baseline, "w", encoding="utf-8") as f:
            json.dump(dict(sorted(new.items())), f, indent=2)
            f.write("\n")
        print(f"{a.baseline}: {len(new)} benches")
        return 0

    with open(a.baseline, encoding="utf-8") as f:
        base = json.load(f)

    width = max(len(k) for k in set(base) | set(new))
    print(f"{'bench':<{width}}  {'baseline':>12}  {'now':>12}  {'delta':>8}")
    failed = []
    for key in sorted(set(base) | set(new)):
        b, n = base.get(key), new.get(key)
        if n is None:
            print(f"{key:<{width}}  {b:>12,}  {'missing':>12}  {'':>8}  FAIL")
            failed.append(f"{key}: missing from the results")
            continue
        if b is None:
            print(f"{key:<{width}}  {'new':>12}  {n:>12,}  {'':>8}")
            continue
        delta = (n - b) * 100.0 / b if b else 0.0
        flag = ""
        if delta > a.max_regression:
            flag = "  FAIL"
            failed.append(f"{key}: {delta:+.2f} % (limit +{a.max_regression:g} %)")
        print(f"{key:<{width}}  {b:>12,}  {n:>12,}  {delta:>+7.2f}%{flag}")

    if failed:
        print(f"\n{len(failed)} bench(es) regressed:", file=sys.stderr)
        for f in failed:
            print(f"  {f}", file=sys.stderr)
        print("If the cost is meant, run bench/update-baseline.sh and commit "
              "bench/baseline/.", file=sys.stderr)
        return 1
    print(f"\n{len(new)} benches within +{a.max_regression:g} % of the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
