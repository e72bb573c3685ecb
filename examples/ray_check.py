"""Check a folder of media on Ray, write the reports as Parquet, then repair
the failing files in a second stage.

    pip install ./bindings/python "ray[data]" pyarrow
    python examples/ray_check.py testdata --out /tmp/reports --fix-out /tmp/fixed

On a cluster, start Ray (`ray start --head`, then `ray start --address=...`
on the workers), make the folder readable at the same path on every node
(NFS, a mounted bucket), and run the same command on the head node with
RAY_ADDRESS=auto. Stage 1 reads headers only; stage 2 decodes and re-encodes
only the failing files.

Stage 1 writes one row per file (`preflight.COLUMNS`): path, kind, format,
bytes, width, height, rotation, duration_s, fps, codec, sample_rate,
channels, verdict, rules. Stage 2 writes one row per failing file: path,
status (repaired / not_repaired), output, reason.

`s3://` prefixes are not read yet: that waits for preflight's remote sources.
"""

import argparse
import os
import sys
import time

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


def repair_batch(batch: pa.Table, root: str, out_dir: str, profile) -> pa.Table:
    """Stage 2: `preflight.fix` each failing file into OUT_DIR, mirroring its
    folder under ROOT (so names from different folders cannot collide)."""
    rows = {"path": [], "status": [], "output": [], "reason": []}
    for path in batch.column("path").to_pylist():
        rel = os.path.relpath(os.path.dirname(path), root)
        dest = os.path.normpath(os.path.join(out_dir, rel))
        for r in preflight.fix(path, dest, profile, jobs=1):
            rows["path"].append(path)
            rows["status"].append(r.status)
            rows["output"].append(r.output)
            rows["reason"].append(r.reason)
    return pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", help="a folder (walked recursively) or a file")
    ap.add_argument("--out", required=True, help="folder for the Parquet reports")
    ap.add_argument("--fix-out", help="repair the failing files into this folder")
    ap.add_argument("--profile", default="seedance2", help="built-in name or a TOML file")
    ap.add_argument("--num-cpus", type=int, help="for a local cluster (default: all)")
    args = ap.parse_args(argv)
    if args.src.startswith("s3://"):
        sys.exit("s3:// prefixes need preflight's remote sources, which are not built yet")

    profile = (
        preflight.Profile.load(args.profile)
        if args.profile.endswith(".toml")
        else preflight.Profile.builtin(args.profile)
    )
    ray.init(address=os.environ.get("RAY_ADDRESS"), num_cpus=args.num_cpus)
    root = os.path.abspath(args.src if os.path.isdir(args.src) else os.path.dirname(args.src))

    t0 = time.perf_counter()
    files = list_files(args.src)
    ds = ray.data.from_items([{"path": p} for p in files])
    checked = preflight.ray.check_dataset(ds, profile=profile).materialize()
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
            fn_kwargs={"root": root, "out_dir": os.path.abspath(args.fix_out), "profile": profile},
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
