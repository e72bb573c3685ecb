"""File names that are not UTF-8 round-trip (Report.path as os.fsdecode gives
it, Report.path_bytes as the OS holds it); every option of `fix` changes the
outcome as the CLI's flag does (the same files written, byte for byte)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import preflight
from conftest import TESTDATA, cli_binary

JPG = TESTDATA / "image" / "ok_1280x720.jpg"


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes")
def test_a_name_that_is_not_utf8_round_trips(tmp_path):
    raw = os.fsencode(tmp_path) + b"/clip_\xff\xfe.jpg"
    shutil.copyfile(JPG, raw)
    name = os.fsdecode(raw)  # lone surrogates for \xff\xfe
    r = preflight.check(name)
    assert r.verdict == "pass"
    assert r.path == name and r.path_bytes == raw
    assert r.to_dict()["path"] == name
    with open(r.path, "rb") as f:  # the path opens the file
        assert f.read(2) == b"\xff\xd8"
    # The JSON text cannot hold the bytes: U+FFFD there, as the CLI writes.
    assert json.loads(r.to_json())["path"] == raw.decode("utf-8", "replace")
    # Found by walking a folder too.
    (found,) = [x for x in preflight.check_many([str(tmp_path)])]
    assert found.path_bytes == raw and found.path == name and found.verdict == "pass"
    # A UTF-8 name: path_bytes is its UTF-8.
    assert preflight.check(str(JPG)).path_bytes == os.fsencode(str(JPG))


def files_under(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def cli_fix(src, out, *flags):
    res = subprocess.run(
        [str(cli_binary()), "fix", str(src), "--out", str(out), "--format", "json", "-q", *flags],
        capture_output=True,
        check=False,
    )
    assert res.returncode in (0, 1), res.stderr.decode()
    return {f["path"]: f for f in json.loads(res.stdout)["files"]}


def py_fix(src, out, **kw):
    return {r.path: r.to_dict() for r in preflight.fix(str(src), str(out), **kw)}


def same_outcome(tmp_path, src, flags, **kw):
    """Python with `kw` and the CLI with `flags` write the same files with
    the same reports; returns (status, the files written)."""
    cli, py = tmp_path / "cli", tmp_path / "py"
    a = cli_fix(src, cli, *flags)
    b = py_fix(src, py, **kw)
    assert a.keys() == b.keys()
    for k in a:
        strip = lambda d, root: dict(d, output=d["output"] and os.path.relpath(d["output"], root))
        assert strip(a[k], cli) == strip(b[k], py), k
    written = files_under(py)
    assert written == files_under(cli)
    shutil.rmtree(cli, ignore_errors=True)
    shutil.rmtree(py, ignore_errors=True)
    (status,) = {r["status"] for r in b.values()}
    return status, written


CASES = [
    # (fixture, option, its CLI flags, the default it changes)
    ("image/err_aspect_1001x400.jpg", {"aspect": "crop"}, ["--aspect", "crop"]),
    ("image/err_aspect_1001x400.jpg", {"pad_color": "white"}, ["--pad-color", "white"]),
    ("image/err_aspect_1001x400.jpg", {"pad_color": (255, 0, 0)}, ["--pad-color", "#ff0000"]),
    ("image/err_aspect_1001x400.jpg", {"to": "png"}, ["--to", "png"]),
    ("image/err_aspect_1001x400.jpg", {"to": "webp"}, ["--to", "webp"]),
    ("image/err_aspect_1001x400.jpg", {"quality": 40, "min_quality": 30}, ["--quality", "40", "--min-quality", "30"]),
    ("audio/err_wav_15.2s.wav", {"trim": "end"}, ["--trim", "end"]),
    ("audio/err_wav_15.2s.wav", {"trim": "middle"}, ["--trim", "middle"]),
    ("audio/err_wav_1.9s.wav", {"pad_audio": True}, ["--pad-audio"]),
]


@pytest.mark.parametrize("fixture,kw,flags", CASES, ids=lambda c: str(c))
def test_each_fix_option_does_what_the_cli_flag_does(tmp_path, fixture, kw, flags):
    src = TESTDATA / fixture
    default = same_outcome(tmp_path, src, [])
    changed = same_outcome(tmp_path, src, flags, **kw)
    assert changed != default, "the option changed nothing"


def test_min_quality_decides_whether_a_size_limit_is_met(tmp_path):
    src = TESTDATA / "image" / "err_aspect_1001x400.jpg"  # repaired by letterboxing
    full = preflight.probe(str(src)).width
    # The repaired JPEG's size at quality 90 and at 30: under a limit between
    # them, the quality ladder meets it with min_quality=30; with
    # min_quality=90 it cannot (scaling down would break the minimum height).
    sizes = {}
    for q in (90, 30):
        (r,) = preflight.fix(str(src), str(tmp_path / f"q{q}"), quality=q, min_quality=q)
        sizes[q] = os.path.getsize(r.output)
    shutil.rmtree(tmp_path / "q90")
    shutil.rmtree(tmp_path / "q30")
    assert sizes[30] < sizes[90]
    profile = tmp_path / "small.toml"
    limit = (sizes[30] + sizes[90]) // 2
    profile.write_text(f'name = "small"\n[image]\nmax_bytes = {limit}\n')
    outcome = {}
    for mq in (90, 30):
        outcome[mq] = same_outcome(
            tmp_path, src, ["--profile", str(profile), "--min-quality", str(mq)],
            profile=str(profile), min_quality=mq,
        )
    assert outcome[90] == ("not_repaired", {})
    status, files = outcome[30]
    (out,) = files.values()
    assert status == "repaired" and len(out) <= limit
    assert preflight.probe(out).width == full


def test_bad_fix_options_raise_as_the_cli_refuses_them(tmp_path):
    src = str(TESTDATA / "image" / "err_aspect_1001x400.jpg")
    out = str(tmp_path / "o")
    for kw in (
        {"aspect": "stretch"},
        {"to": "gif"},
        {"trim": "both"},
        {"pad_color": "mauve"},
        {"pad_color": (1, 2)},
        {"quality": 0},
        {"quality": 101},
        {"quality": 50, "min_quality": 60},
    ):
        with pytest.raises((ValueError, TypeError, OverflowError)):
            preflight.fix(src, out, **kw)
    assert not Path(out).exists()
