"""Ray Data: a local cluster checks 2,000 fixture copies; the verdicts and
rules equal check_many's."""

import shutil

import pytest

import preflight
from conftest import TESTDATA

ray = pytest.importorskip("ray")
pytest.importorskip("pyarrow")

N = 2000


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
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
