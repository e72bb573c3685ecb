"""Python against the CLI on the same folder, and pymediainfo for comparison.

    pip install ./bindings/python pyarrow pymediainfo   # pymediainfo needs libmediainfo0v5 (apt)
    cargo build --release -p preflight-cli
    python bench/python_bench.py [--files 20000] [--mediainfo 500]

Makes a temporary folder of N copies of the fixtures (cycled, real copies),
warms the page cache, then times (best of --runs):
  - `preflight check --format json -q DIR` (the CLI, all cores)
  - `for r in preflight.check_many([DIR]): r.verdict` (Python, all cores)
  - `preflight.check_table([DIR])` (Python to a pyarrow.Table)
  - pymediainfo's `MediaInfo.parse` on the first --mediainfo files, one by one
    (what a Python user does today), when pymediainfo and libmediainfo are there.
The folder is removed at the end.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import preflight

ROOT = Path(__file__).resolve().parents[1]


def fixtures():
    skip = {".py", ".sh", ".md", ".json"}
    return sorted(
        p for p in (ROOT / "testdata").rglob("*") if p.is_file() and p.suffix not in skip
    )


def best(runs, fn):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


MEDIAINFO = """
import sys, time
from pymediainfo import MediaInfo
files = sys.argv[1:]
t0 = time.perf_counter()
for f in files:
    MediaInfo.parse(f)
print(time.perf_counter() - t0)
"""


def mediainfo(files, n):
    """pymediainfo one file after another (what a Python user does today), in
    a child process with a time limit: libmediainfo reads a hostile file for
    minutes (testdata/hostile/mp4_stts_2e31_entries.mp4 ran past 3 minutes
    here), so the 500 files are taken from the well-formed fixtures, and the
    hostile one is timed alone with a 30 s limit."""
    try:
        import pymediainfo  # noqa: F401
    except ImportError:
        print("pymediainfo: not installed (pip install pymediainfo; apt install libmediainfo0v5)")
        return
    some = [str(f) for f in files if "_hostile_" not in f.name][:n]
    try:
        out = subprocess.run(
            [sys.executable, "-c", MEDIAINFO, *some],
            capture_output=True, text=True, timeout=600, check=True,
        )
        t_mi = float(out.stdout)
    except (subprocess.SubprocessError, ValueError) as e:
        print(f"pymediainfo: failed ({e})")
        return
    t0 = time.perf_counter()
    for f in some:
        preflight.check(f)
    t_one = time.perf_counter() - t0
    print(
        f"pymediainfo, {len(some)} files    {t_mi:7.2f} s  {len(some) / t_mi:8.0f} files/s"
        f"  (one by one; preflight.check one by one: {t_one:.2f} s, {len(some) / t_one:.0f} files/s)"
    )
    hostile = ROOT / "testdata" / "hostile" / "mp4_stts_2e31_entries.mp4"
    t0 = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-c", MEDIAINFO, str(hostile)],
                       capture_output=True, timeout=30, check=False)
        took = f"{time.perf_counter() - t0:.2f} s"
    except subprocess.TimeoutExpired:
        took = "over 30 s (stopped)"
    t0 = time.perf_counter()
    preflight.check(str(hostile))
    print(
        f"{hostile.name}: pymediainfo {took}, "
        f"preflight.check {1000 * (time.perf_counter() - t0):.1f} ms"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--mediainfo", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cli", default=str(ROOT / "target" / "release" / "preflight"))
    args = ap.parse_args()
    cli = os.environ.get("PREFLIGHT_BIN", args.cli)
    if not os.path.isfile(cli):
        sys.exit(f"no CLI at {cli}: cargo build --release -p preflight-cli, or set PREFLIGHT_BIN")

    src = fixtures()
    tmp = Path(tempfile.mkdtemp(prefix="preflight-bench-"))
    try:
        files = []
        for i in range(args.files):
            s = src[i % len(src)]
            d = tmp / f"{i // 1000:02d}" / f"{i:05d}_{s.parent.name}_{s.name}"
            d.parent.mkdir(exist_ok=True)
            shutil.copyfile(s, d)
            files.append(d)
        size = sum(f.stat().st_size for f in files)
        print(f"{len(files)} files, {size / 1e6:.0f} MB, {os.cpu_count()} cores")

        def run_cli():
            subprocess.run(
                [cli, "check", "--format", "json", "-q", str(tmp)],
                stdout=subprocess.DEVNULL,
                check=False,
            )

        def run_many():
            n = sum(1 for r in preflight.check_many([str(tmp)]) if r.verdict)
            assert n == len(files), n

        run_cli()  # warm the page cache
        t_cli = best(args.runs, run_cli)
        t_py = best(args.runs, run_many)
        print(f"CLI  check --format json   {t_cli:7.2f} s  {len(files) / t_cli:8.0f} files/s")
        print(
            f"Python check_many          {t_py:7.2f} s  {len(files) / t_py:8.0f} files/s"
            f"  ({t_py / t_cli:.2f}x the CLI's time)"
        )
        try:
            import pyarrow  # noqa: F401

            t_tab = best(args.runs, lambda: preflight.check_table([str(tmp)]))
            print(
                f"Python check_table         {t_tab:7.2f} s  {len(files) / t_tab:8.0f} files/s"
                f"  ({t_tab / t_cli:.2f}x)"
            )
        except ImportError:
            print("check_table: pyarrow not installed")

        mediainfo(files, args.mediainfo)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
