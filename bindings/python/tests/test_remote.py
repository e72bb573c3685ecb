"""Remote inputs through preflight-remote: an S3-compatible server (moto_server,
started by the `s3_endpoint` fixture on 127.0.0.1) holds a copy of every
fixture; checking the bucket gives the reports of checking the files."""

import os

import pytest

import preflight
from conftest import TESTDATA, Bucket

BUCKET = "fixtures"


def media():
    return sorted(
        p for p in TESTDATA.rglob("*") if p.is_file() and p.suffix not in (".py", ".sh", ".md")
    )


def key_of(p):
    return "media/" + p.relative_to(TESTDATA).as_posix()


@pytest.fixture(scope="module")
def bucket(s3_endpoint):
    """The bucket of fixture copies."""
    b = Bucket(s3_endpoint, BUCKET)
    for p in media():
        b.put(key_of(p), p.read_bytes())
    return s3_endpoint


def url_of(p):
    return f"s3://{BUCKET}/{key_of(p)}"


def same_as_local(report_dict, local_dict):
    """A remote report equals the local one but for the path."""
    a = dict(report_dict, path=None)
    b = dict(local_dict, path=None)
    return a == b


def test_a_prefix_checks_like_the_local_files(bucket):
    local = {url_of(p): preflight.check(str(p)).to_dict() for p in media()}
    got = {r.path: r.to_dict() for r in preflight.check_many([f"s3://{BUCKET}/media/"], endpoint_url=bucket)}
    assert set(got) == set(local)
    for url, d in got.items():
        assert same_as_local(d, local[url]), url
    verdicts = {d["verdict"] for d in got.values()}
    assert verdicts == {"pass", "fail", "error"}


def test_the_endpoint_comes_from_the_environment(bucket, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", bucket)
    jpg = TESTDATA / "image" / "ok_1280x720.jpg"
    r = preflight.check(url_of(jpg))
    assert r.path == url_of(jpg)
    assert same_as_local(r.to_dict(), preflight.check(str(jpg)).to_dict())
    info = preflight.probe(url_of(jpg))
    assert (info.width, info.height) == (1280, 720)
    # One object at a time (no listing tells the size): an empty one too,
    # which no range request can read.
    for p in (TESTDATA / "unknown" / "err_empty.bin", TESTDATA / "audio" / "ok_mp3_2.0s.mp3"):
        assert same_as_local(preflight.check(url_of(p)).to_dict(), preflight.check(str(p)).to_dict()), p
    # A listing without a trailing slash, one object, and a local path, together.
    mp4 = TESTDATA / "video" / "ok_1280x720_30fps_5s.mp4"
    paths = [f"s3://{BUCKET}/media/audio", url_of(jpg), str(mp4)]
    got = {r.path: r.verdict for r in preflight.check_many(paths)}
    n_audio = sum(1 for p in media() if p.parent.name == "audio")
    assert len(got) == n_audio + 2
    assert got[str(mp4)] == "pass" and got[url_of(jpg)] == "pass"


def test_table_and_arrow_rows_from_urls(bucket):
    pa = pytest.importorskip("pyarrow")
    files = media()
    table = preflight.check_table([f"s3://{BUCKET}/media/video/"], endpoint_url=bucket)
    videos = [p for p in files if p.parent.name == "video"]
    assert table.column("path").to_pylist() == sorted(url_of(p) for p in videos)
    local = preflight.check_table([str(p) for p in videos])
    for col in preflight.COLUMNS[1:]:
        assert table.column(col).to_pylist() == local.column(col).to_pylist(), col
    # One row per URL, in row order, a missing object an error row.
    rows = [url_of(p) for p in reversed(files[:40])] + [f"s3://{BUCKET}/media/nope.jpg"]
    out = preflight.arrow_check(pa.table({"path": rows}), endpoint_url=bucket, remote_jobs=8)
    expect = [preflight.check(str(p)).verdict for p in reversed(files[:40])] + ["error"]
    assert out.column("verdict").to_pylist() == expect
    assert out.column("rules").to_pylist()[-1] == ["file.unreadable"]


def test_missing_objects_and_bad_inputs(bucket):
    r = preflight.check(f"s3://{BUCKET}/media/nope.mp4", endpoint_url=bucket)
    assert r.verdict == "error" and r.rules == ["file.unreadable"], r.to_dict()
    with pytest.raises(preflight.ProbeError) as e:
        preflight.probe(f"s3://{BUCKET}/media/nope.mp4", endpoint_url=bucket)
    assert e.value.rule == "file.unreadable"
    assert len(preflight.list_objects(f"s3://{BUCKET}/media/", endpoint_url=bucket)) == len(media())
    assert preflight.list_objects(f"s3://{BUCKET}/nothing-here/", endpoint_url=bucket) == []
    with pytest.raises(OSError):
        preflight.list_objects("s3://no-such-bucket/", endpoint_url=bucket)
    with pytest.raises(ValueError):
        preflight.list_objects("media/local/")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_child_reads_remote_objects_too(bucket):
    # The parent's network runtime (kept between calls) has no threads in a
    # forked child: the child must make its own, not hang on the parent's.
    jpg = TESTDATA / "image" / "ok_1280x720.jpg"
    assert preflight.check(url_of(jpg), endpoint_url=bucket).verdict == "pass"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        ok = False
        try:
            ok = preflight.check(url_of(jpg), endpoint_url=bucket).verdict == "pass"
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert preflight.check(url_of(jpg), endpoint_url=bucket).verdict == "pass"
