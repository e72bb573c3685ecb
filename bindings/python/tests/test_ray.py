"""Ray Data: a local cluster checks 2,000 fixture copies; the verdicts and
rules equal check_many's. And the same for 300 of them in an S3 bucket
(moto_server on 127.0.0.1), read by range in the Ray tasks."""

import os
import shutil

import pytest

import preflight
from conftest import S3_ENV, TESTDATA, Bucket

ray = pytest.importorskip("ray")
pytest.importorskip("pyarrow")

N = 2000


@pytest.fixture(scope="module")
def cluster():
    # The workers' S3 credentials and region, as a cluster would be given them.
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": S3_ENV},
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    sources = sorted(
        p for p in TESTDATA.rglob("*") if p.is_file() and p.suffix not in (".py", ".sh", ".md")
    )
    root = tmp_path_factory.mktemp("copies")
    paths = []
    for i in range(N):
        src = sources[i % len(sources)]
        dst = root / f"{i:04d}_{src.name}"
        shutil.copyfile(src, dst)
        paths.append(str(dst))
    return paths


def test_check_dataset_equals_check_many(cluster, copies):
    import preflight.ray

    ds = ray.data.from_items([{"path": p, "n": i} for i, p in enumerate(copies)])
    rows = preflight.ray.check_dataset(ds, profile=preflight.Profile.builtin("seedance2")).take_all()
    assert len(rows) == N
    expected = {r.path: (r.verdict, r.rules, r.format) for r in preflight.check_many(copies)}
    assert len(expected) == N
    got = {r["path"]: (r["verdict"], list(r["rules"]), r["format"]) for r in rows}
    assert got == expected
    # Each row kept its own columns.
    assert sorted(r["n"] for r in rows) == list(range(N))
    verdicts = {v for v, _, _ in got.values()}
    assert verdicts == {"pass", "fail", "error"}


def test_map_batches_with_arrow_check(cluster, copies):
    ds = ray.data.from_items([{"file": p} for p in copies[:300]])
    out = ds.map_batches(
        preflight.arrow_check, batch_format="pyarrow", fn_kwargs={"path_column": "file"}
    ).take_all()
    expected = {r.path: r.verdict for r in preflight.check_many(copies[:300])}
    assert {r["file"]: r["verdict"] for r in out} == expected


N_S3 = 300


def test_check_dataset_over_an_s3_prefix_equals_check_many(cluster, copies, s3_endpoint):
    import preflight.ray

    bucket = Bucket(s3_endpoint, "ray")
    local = copies[:N_S3]
    for p in local:
        with open(p, "rb") as f:
            bucket.put(f"copies/{os.path.basename(p)}", f.read())
    # The driver lists the prefix; the tasks read each object's headers.
    urls = preflight.list_objects("s3://ray/copies/", endpoint_url=s3_endpoint)
    assert len(urls) == N_S3
    ds = ray.data.from_items([{"path": u} for u in urls])
    rows = preflight.ray.check_dataset(ds, endpoint_url=s3_endpoint).take_all()
    got = {
        r["path"].rsplit("/", 1)[1]: (r["verdict"], list(r["rules"]), r["format"]) for r in rows
    }
    expected = {
        os.path.basename(r.path): (r.verdict, r.rules, r.format)
        for r in preflight.check_many(local)
    }
    assert len(got) == N_S3
    assert got == expected
    assert {v for v, _, _ in got.values()} == {"pass", "fail", "error"}
