"""Files/s locally and per remote object, from Python: the figures of the
README's "At scale" section (bindings/python/README.md).

    pip install ./bindings/python pyarrow 'moto[s3]==5.2.5' flask flask-cors
    python bench/python_scale.py [--files 5000] [--objects 1000] [--runs 5]

Local: --files copies of the fixtures (cycled) in a temporary folder, page
cache warm; `check_many([DIR])` and `check_table([DIR])`, all cores.

Remote: moto_server (an S3-compatible server, from PATH or
$PREFLIGHT_MOTO_SERVER) started on 127.0.0.1, a bucket of --objects fixture
copies of at most 64 KiB each; then
  - `check_many(["s3://bench/"])` (listing + 64 objects in flight),
  - `arrow_check` over the listed URLs (as a Ray task does, 64 in flight),
  - `check(url)` one object after another (the latency of one object),
  - for scale: plain ranged GETs of the first 64 KiB of each object with
    boto3 (installed with moto), one after another and on 64 threads.
Each figure is the median of --runs runs. Nothing leaves 127.0.0.1.
"""

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import preflight

ROOT = Path(__file__).resolve().parents[1]


def fixtures(max_bytes=None):
    skip = {".py", ".sh", ".md", ".json"}
    out = sorted(
        p for p in (ROOT / "testdata").rglob("*") if p.is_file() and p.suffix not in skip
    )
    if max_bytes is not None:
        out = [p for p in out if 0 < p.stat().st_size <= max_bytes]
    return out


def median(runs, fn):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def line(what, n, secs, unit="files"):
    print(f"{what:<46} {secs:8.3f} s  {n / secs:8.0f} {unit}/s  {1000 * secs / n:7.2f} ms/{unit[:-1]}")


def local(n, runs):
    src = fixtures()
    tmp = Path(tempfile.mkdtemp(prefix="preflight-scale-"))
    try:
        for i in range(n):
            s = src[i % len(src)]
            d = tmp / f"{i // 1000:02d}" / f"{i:05d}_{s.name}"
            d.parent.mkdir(exist_ok=True)
            shutil.copyfile(s, d)
        size = sum(f.stat().st_size for f in tmp.rglob("*") if f.is_file())
        print(f"local: {n} files, {size / 1e6:.0f} MB")

        def many():
            assert sum(1 for _ in preflight.check_many([str(tmp)])) == n

        many()  # warm the page cache
        line("check_many([DIR])", n, median(runs, many))
        try:
            import pyarrow  # noqa: F401

            line("check_table([DIR])", n, median(runs, lambda: preflight.check_table([str(tmp)])))
        except ImportError:
            print("check_table: pyarrow not installed")
        files = sorted(str(p) for p in tmp.rglob("*") if p.is_file())[:500]
        line("check(path), one by one (500 files)", len(files),
             median(runs, lambda: [preflight.check(f) for f in files]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def start_moto():
    exe = os.environ.get("PREFLIGHT_MOTO_SERVER") or shutil.which("moto_server")
    if not exe:
        return None, None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                return None, None
            time.sleep(0.1)


def request(method, url, body=None, headers=None):
    # Without a content type, urllib sends a form that moto parses away and waits for.
    headers = {"Content-Type": "application/octet-stream", **(headers or {})}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


def remote(n, runs):
    proc, endpoint = start_moto()
    if proc is None:
        print("remote: no moto_server (pip install 'moto[s3]==5.2.5' flask flask-cors)")
        return
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint})
    try:
        request("PUT", f"{endpoint}/bench")
        src = fixtures(64 << 10)
        size = 0
        for i in range(n):
            data = src[i % len(src)].read_bytes()
            size += len(data)
            request("PUT", f"{endpoint}/bench/o/{i:05d}_{src[i % len(src)].name}", data)
        print(f"remote: {n} objects, {size / 1e6:.1f} MB, moto_server 5.2.5 at {endpoint}")
        urls = preflight.list_objects("s3://bench/o/")
        assert len(urls) == n

        def many():
            assert sum(1 for _ in preflight.check_many(["s3://bench/o/"])) == n

        line("check_many(['s3://bench/o/']), 64 in flight", n, median(runs, many), "objects")
        try:
            import pyarrow as pa

            batch = pa.table({"path": urls})
            line("arrow_check(URLs) (a Ray task), 64 in flight", n,
                 median(runs, lambda: preflight.arrow_check(batch)), "objects")
        except ImportError:
            pass
        one = urls[:200]
        line("check(url), one by one (200 objects)", len(one),
             median(runs, lambda: [preflight.check(u) for u in one]), "objects")

        try:
            import boto3  # installed with moto
        except ImportError:
            print("boto3 not installed: no plain GETs for scale")
            return
        s3 = boto3.client("s3")
        keys = [u.split("/", 3)[3] for u in urls]

        def get(k):
            return s3.get_object(Bucket="bench", Key=k, Range="bytes=0-65535")["Body"].read()

        line("boto3 ranged GET, one by one (200 objects)", len(one),
             median(runs, lambda: [get(k) for k in keys[:200]]), "objects")
        with ThreadPoolExecutor(64) as pool:
            line("boto3 ranged GETs, 64 threads", n,
                 median(runs, lambda: list(pool.map(get, keys))), "objects")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--objects", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.system()} "
          f"{platform.release()}, {os.cpu_count()} cores ({cpu}), load {os.getloadavg()[0]:.1f}, "
          f"preflight {preflight.__version__}, medians of {args.runs} runs")
    if args.files:
        local(args.files, args.runs)
    if args.objects:
        remote(args.objects, args.runs)


if __name__ == "__main__":
    main()
