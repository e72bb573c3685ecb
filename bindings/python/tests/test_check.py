import io
import json
import pickle
from pathlib import Path

import pytest

import preflight
from conftest import TESTDATA, media_files

OK_MP4 = TESTDATA / "video" / "ok_1280x720_30fps_5s.mp4"


def test_the_readme_line():
    assert preflight.check(str(OK_MP4)).verdict == "pass"


def test_every_fixture_equals_the_cli_json(cli_reports):
    files = media_files()
    assert len(files) == len(cli_reports) > 100
    for p in files:
        got = preflight.check(str(p)).to_dict()
        assert got == cli_reports[str(p)], p


def test_check_many_equals_the_cli_json(cli_reports):
    got = {r.path: r.to_dict() for r in preflight.check_many([str(TESTDATA)])}
    assert got == cli_reports


@pytest.mark.parametrize("p", media_files(), ids=lambda p: str(p.relative_to(TESTDATA)))
def test_bytes_view_and_file_objects_equal_the_path(p):
    by_path = preflight.check(str(p)).to_dict()
    data = p.read_bytes()
    assert preflight.check(data, name=str(p)).to_dict() == by_path
    assert preflight.check(memoryview(data), name=str(p)).to_dict() == by_path
    assert preflight.check(bytearray(data), name=str(p)).to_dict() == by_path
    with open(p, "rb") as f:
        f.seek(3)
        # A file object names itself (f.name), and is read by ranges.
        assert preflight.check(f).to_dict() == by_path
        assert f.tell() == 3, "the stream is left where it was"
    # Unbuffered, and an in-memory stream with no name.
    with open(p, "rb", buffering=0) as f:
        assert preflight.check(f).to_dict() == by_path
    anon = preflight.check(io.BytesIO(data)).to_dict()
    assert anon == preflight.check(data).to_dict()
    # Without a name: no path and no extension to judge, the rest the same.
    expect = dict(by_path, path="")
    expect["warnings"] = [
        w for w in by_path["warnings"] if w["rule"] != "file.extension_mismatch"
    ]
    assert anon == expect


class Trickle(io.RawIOBase):
    """A stream that hands out at most 1000 bytes per read and counts what it gave."""

    def __init__(self, data):
        self.data, self.pos, self.given = data, 0, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, off, whence=0):
        self.pos = {0: off, 1: self.pos + off, 2: len(self.data) + off}[whence]
        return self.pos

    def tell(self):
        return self.pos

    def read(self, n=-1):
        n = min(n, 1000)
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        self.given += len(out)
        return bytes(out)


def test_a_stream_is_read_by_ranges_not_whole():
    data = (TESTDATA / "audio" / "ok_wav_15.0s.wav").read_bytes()
    s = Trickle(data)
    r = preflight.check(s, name="x.wav")
    assert r.verdict == "pass" and r.info.duration_s == 15.0
    assert s.given < len(data) // 4, (s.given, len(data))


def test_a_stream_shorter_than_it_says_is_incomplete():
    data = OK_MP4.read_bytes()

    class Liar(Trickle):
        """Says it ends 10 MB past its data (a file cut while it is read)."""

        def seek(self, off, whence=0):
            end = len(self.data) + 10_000_000
            self.pos = {0: off, 1: self.pos + off, 2: end + off}[whence]
            return self.pos

    r = preflight.check(Liar(data))
    assert r.verdict == "error" and r.rules == ["file.incomplete"]


def test_report_fields():
    r = preflight.check(str(OK_MP4))
    assert r.ok and bool(r) and r.verdict == "pass" and r.rules == []
    assert (r.kind, r.format) == ("video", "mp4")
    assert (r.info.width, r.info.height, r.info.fps) == (1280, 720, 30.0)
    assert r.info.to_dict()["codec"] == r.info.codec
    assert json.loads(r.to_json()) == r.to_dict()
    bad = preflight.check(str(TESTDATA / "audio" / "err_wav_1.9s.wav"))
    assert bad.verdict == "fail" and not bad.ok
    (v,) = bad.violations
    assert (v.rule, v.limit) == ("audio.duration", [2.0, 15.0]) or v.rule == "audio.duration"
    assert v.actual == pytest.approx(1.9)
    assert "1.9" in v.message and v.to_dict()["rule"] == "audio.duration"


def test_a_corrupt_file_is_a_report_and_probe_raises():
    p = TESTDATA / "hostile" / "mp4_moov_size_4g.mp4"
    r = preflight.check(str(p))
    assert r.verdict == "error" and r.info is None
    rule = r.rules[0]
    assert rule.startswith("file.")
    with pytest.raises(preflight.ProbeError) as e:
        preflight.probe(str(p))
    assert e.value.rule == rule
    missing = preflight.check("/nonexistent/x.jpg")
    assert missing.rules == ["file.unreadable"]
    with pytest.raises(preflight.ProbeError) as e:
        preflight.probe("/nonexistent/x.jpg")
    assert e.value.rule == "file.unreadable"


def test_probe_gives_the_measurement():
    info = preflight.probe(OK_MP4.read_bytes())
    assert (info.kind, info.format, info.width, info.height) == ("video", "mp4", 1280, 720)
    assert info.to_dict() == preflight.check(str(OK_MP4)).info.to_dict()


def test_bad_arguments_raise_type_errors():
    with pytest.raises(TypeError):
        preflight.check(12)
    with pytest.raises(TypeError):
        with open(OK_MP4, "r", encoding="latin-1") as f:  # text mode
            preflight.check(f)


def test_profiles():
    assert "seedance2" in preflight.Profile.names()
    p = preflight.Profile.builtin("seedance2")
    assert p.name == "seedance2" and p == preflight.Profile.from_toml(p.to_toml())
    assert pickle.loads(pickle.dumps(p)) == p
    strict = preflight.Profile.from_toml('name = "strict"\n[video]\nmax_duration_s = 4.0\n')
    r = preflight.check(str(OK_MP4), strict)
    assert r.rules == ["video.duration"]
    # By name, by path, and as an object give the same.
    assert preflight.check(str(OK_MP4), "seedance2").to_dict() == preflight.check(str(OK_MP4), p).to_dict()
    with pytest.raises(preflight.ProfileError, match="unknown profile"):
        preflight.Profile.builtin("nope")
    with pytest.raises(preflight.ProfileError):
        preflight.check(str(OK_MP4), "nope")


def test_a_malformed_profile_raises_with_line_and_column(tmp_path):
    text = 'name = "x"\n[image]\nmax_width = "wide"\n'
    with pytest.raises(preflight.ProfileError) as e:
        preflight.Profile.from_toml(text)
    assert (e.value.line, e.value.column) == (3, 13)
    assert "line 3, column 13" in str(e.value)
    assert isinstance(e.value, ValueError)
    f = tmp_path / "bad.toml"
    f.write_text('name = "x"\n[video\n')
    with pytest.raises(preflight.ProfileError) as e:
        preflight.Profile.load(f)
    assert e.value.line == 2 and e.value.column is not None
    assert f"line {e.value.line}, column {e.value.column}" in str(e.value)
    assert e.value.path == str(f)


def test_check_many_streams_every_file_once(tmp_path):
    files = [p for p in media_files() if p.suffix in (".jpg", ".png", ".mp4", ".wav")]
    got = list(preflight.check_many([str(p) for p in files], jobs=2))
    assert sorted(r.path for r in got) == sorted(str(p) for p in files)
    for r in got:
        assert r.to_dict() == preflight.check(r.path).to_dict()
    # Dropping an iterator half-way is fine.
    it = preflight.check_many([str(TESTDATA)])
    next(it)
    del it


def test_check_table():
    pa = pytest.importorskip("pyarrow")
    t = preflight.check_table(str(TESTDATA / "video"))
    assert t.schema == preflight.report_schema()
    assert t.column_names == list(preflight.COLUMNS)
    rows = t.to_pylist()
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    for row in rows:
        d = preflight.check(row["path"]).to_dict()
        for col in preflight.COLUMNS[1:-1]:
            assert row[col] == d.get(col), (row["path"], col)
        assert row["rules"] == [v["rule"] for v in d["violations"]]
    batch = pa.table({"path": [str(OK_MP4), "/nonexistent.jpg", str(OK_MP4)], "n": [1, 2, 3]})
    out = preflight.arrow_check(batch)
    assert out.column("verdict").to_pylist() == ["pass", "error", "pass"]
    assert out.column("n").to_pylist() == [1, 2, 3]
    assert out.column("rules").to_pylist()[1] == ["file.unreadable"]


def test_check_request():
    img = TESTDATA / "image"
    jpgs = sorted(str(p) for p in img.glob("ok_*.jpg"))[:2]
    ok = preflight.check_request(
        [{"type": "video", "id": "asset-1", "duration_s": 5.0}, jpgs[0]],
        text="a cat",
    )
    assert ok.ok and ok.verdict == "pass"
    assert [c["type"] for c in ok.content] == ["text", "image_url", "video_url"]
    assert ok.content[2]["video_url"]["url"] == "asset://asset-1"
    too_long = preflight.check_request(
        [
            {"type": "video", "url": "asset://a", "duration_s": 10.0},
            {"type": "video", "url": "asset://b", "duration_s": 10.0},
        ]
    )
    assert [v.rule for v in too_long.violations] == ["request.total_video_duration"]
    audio_only = preflight.check_request([preflight.check(str(TESTDATA / "audio" / "ok_mp3_2.0s.mp3"))])
    assert "request.audio_only" in [v.rule for v in audio_only.violations]
    first_last = preflight.check_request(jpgs, mode="first-last")
    assert first_last.ok
    assert [c["role"] for c in first_last.content] == ["first_frame", "last_frame"]
    with pytest.raises(ValueError, match="unknown mode"):
        preflight.check_request([], mode="sideways")


def test_fix_repairs_into_a_folder(tmp_path):
    src = TESTDATA / "audio" / "err_wav_15.2s.wav"
    out = tmp_path / "out"
    (res,) = preflight.fix(str(src), str(out))
    assert res.status == "repaired" and res.ok, res.to_dict()
    assert res.rules == ["audio.duration"]
    assert preflight.check(res.output).verdict == "pass"
    (passing,) = preflight.fix(str(OK_MP4), str(out))
    assert passing.status == "passed" and passing.output is None
    with pytest.raises(ValueError):
        preflight.fix(str(TESTDATA), str(TESTDATA / "inside"))


def test_a_name_given_to_a_path_is_the_one_reported():
    r = preflight.check(str(OK_MP4), name="upload/clip.png")
    assert r.path == "upload/clip.png"
    assert [w.rule for w in r.warnings] == ["file.extension_mismatch"]
    # The format of a file that cannot be measured is still told, by content.
    bad = TESTDATA / "hostile" / "mp4_moov_size_4g.mp4"
    by_path = preflight.check(str(bad)).to_dict()
    assert preflight.check(str(bad), name=str(bad)).to_dict() == by_path
    assert by_path["format"] == "mp4"


def test_an_empty_source_is_a_report():
    r = preflight.check(b"")
    assert r.verdict == "error" or r.verdict == "fail"
    assert r.rules == preflight.check(io.BytesIO(b"")).rules
    assert "file.empty" in r.rules
