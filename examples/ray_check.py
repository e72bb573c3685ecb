"""Check a folder of media, or an S3 prefix, on Ray, write the reports as
Parquet, then repair the failing files in a second stage.

    pip install ./bindings/python "ray[data]" pyarrow
    python examples/ray_check.py testdata --out /tmp/reports --fix-out /tmp/fixed
    python examples/ray_check.py s3://bucket/refs/ --out /tmp/reports --fix-out /tmp/fixed

On a cluster, start Ray (`ray start --head`, then `ray start --address=...`
on the workers), make the folder readable at the same path on every node
(NFS, a mounted bucket), and run the same command on the head node with
RAY_ADDRESS=auto. Stage 1 reads headers only; stage 2 decodes and re-encodes
only the failing files.

Stage 1 writes one row per file (`preflight.COLUMNS`): path, kind, format,
bytes, width, height, rotation, duration_s, fps, codec, sample_rate,
channels, verdict, rules. Stage 2 writes one row per failing file: path,
status (repaired / not_repaired), output, reason.

An `s3://bucket/prefix/` (or `gs://`, `az://`) is listed on the driver
(`preflight.list_objects`) and each object's headers are read by range
requests in the Ray tasks: no object is downloaded to be checked. Credentials,
region and endpoint come from the usual variables (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL), which a local cluster
inherits (on a remote cluster give them with a runtime_env), or
--endpoint-url for an S3-compatible store. Stage 2 downloads only the failing
objects (pyarrow's S3 file system), repairs them into --fix-out/BUCKET/KEY's
folder, and deletes the download.
"""

import argparse
import os
import shutil
import tempfile
import time
from urllib.parse import urlparse

import pyarrow as pa
import ray

import preflight
import preflight.ray


def list_files(root):
    if os.path.isfile(root):
        return [os.path.abspath(root)]
    out = []
    for d, _, names in os.walk(root):
        out.extend(os.path.abspath(os.path.join(d, n)) for n in names)
    return sorted(out)


def is_url(src):
    return "://" in src


def s3_filesystem(endpoint_url):
    from pyarrow import fs

    if not endpoint_url:
        return fs.S3FileSystem()
    u = urlparse(endpoint_url)
    return fs.S3FileSystem(endpoint_override=u.netloc, scheme=u.scheme or "https")


def fix_one(path, dest, profile, rows):
    for r in preflight.fix(path, dest, profile, jobs=1):
        rows["status"].append(r.status)
        rows["output"].append(r.output)
        rows["reason"].append(r.reason)
        return
    rows["status"].append("not_repaired")
    rows["output"].append(None)
    rows["reason"].append("nothing to repair")


def repair_batch(batch: pa.Table, root: str, out_dir: str, profile, endpoint_url=None) -> pa.Table:
    """Stage 2: `preflight.fix` each failing file into OUT_DIR, mirroring its
    folder under ROOT (so names from different folders cannot collide). An
    s3:// object is downloaded to a temporary folder first (only the failing
    ones reach this stage) and mirrored as OUT_DIR/BUCKET/KEY's folder."""
    rows = {"path": [], "status": [], "output": [], "reason": []}
    s3 = None
    for path in batch.column("path").to_pylist():
        rows["path"].append(path)
        if not is_url(path):
            rel = os.path.relpath(os.path.dirname(path), root)
            fix_one(path, os.path.normpath(os.path.join(out_dir, rel)), profile, rows)
            continue
        u = urlparse(path)
        if u.scheme != "s3":
            rows["status"].append("not_repaired")
            rows["output"].append(None)
            rows["reason"].append(f"{u.scheme}:// objects are checked, not downloaded here")
            continue
        s3 = s3 or s3_filesystem(endpoint_url)
        key = u.path.lstrip("/")
        tmp = tempfile.mkdtemp(prefix="ray-check-")
        try:
            local = os.path.join(tmp, os.path.basename(key))
            with s3.open_input_stream(f"{u.netloc}/{key}") as src, open(local, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            dest = os.path.join(out_dir, u.netloc, os.path.dirname(key))
            fix_one(local, dest, profile, rows)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", help="a folder (walked recursively), a file, or an s3:// prefix")
    ap.add_argument("--out", required=True, help="folder for the Parquet reports")
    ap.add_argument("--fix-out", help="repair the failing files into this folder")
    ap.add_argument("--profile", default="seedance2", help="built-in name or a TOML file")
    ap.add_argument("--num-cpus", type=int, help="for a local cluster (default: all)")
    ap.add_argument("--endpoint-url", help="an S3-compatible store's endpoint (MinIO, R2, moto)")
    args = ap.parse_args(argv)
    remote = is_url(args.src)

    profile = (
        preflight.Profile.load(args.profile)
        if args.profile.endswith(".toml")
        else preflight.Profile.builtin(args.profile)
    )
    ray.init(address=os.environ.get("RAY_ADDRESS"), num_cpus=args.num_cpus)
    if remote:
        root = args.src
    else:
        root = os.path.abspath(args.src if os.path.isdir(args.src) else os.path.dirname(args.src))

    t0 = time.perf_counter()
    if remote:
        files = preflight.list_objects(args.src, endpoint_url=args.endpoint_url)
    else:
        files = list_files(args.src)
    ds = ray.data.from_items([{"path": p} for p in files])
    checked = preflight.ray.check_dataset(
        ds, profile=profile, endpoint_url=args.endpoint_url
    ).materialize()
    checked.write_parquet(os.path.join(args.out, "reports"))
    counts = {}
    for row in checked.select_columns(["verdict"]).iter_rows():
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    dt = time.perf_counter() - t0
    print(
        f"stage 1: {len(files)} files checked in {dt:.2f} s "
        f"({len(files) / dt:.0f} files/s): {counts}; reports in {args.out}/reports"
    )

    if args.fix_out:
        t0 = time.perf_counter()
        failing = checked.filter(lambda r: r["verdict"] == "fail").select_columns(["path"])
        repaired = failing.map_batches(
            repair_batch,
            batch_format="pyarrow",
            batch_size=16,
            fn_kwargs={
                "root": root,
                "out_dir": os.path.abspath(args.fix_out),
                "profile": profile,
                "endpoint_url": args.endpoint_url,
            },
        ).materialize()
        repaired.write_parquet(os.path.join(args.out, "repairs"))
        statuses = {}
        for row in repaired.select_columns(["status"]).iter_rows():
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        print(
            f"stage 2: {repaired.count()} failing files in {time.perf_counter() - t0:.2f} s: "
            f"{statuses}; repaired copies in {args.fix_out}, reports in {args.out}/repairs"
        )


if __name__ == "__main__":
    main()
