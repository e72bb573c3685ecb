"""Types of the compiled module (re-exported by ``preflight``)."""

import os
from typing import IO, Any, Dict, Iterable, Iterator, List, Literal, Optional, Tuple, Union

__version__: str

_Path = Union[str, "os.PathLike[str]"]
_ProfileLike = Union["Profile", str, "os.PathLike[str]", None]
_Source = Union[_Path, bytes, bytearray, memoryview, IO[bytes]]
_Measure = Union[int, float, str, List[str], None]

class ProfileError(ValueError):
    """A profile could not be loaded. ``line`` and ``column`` (1-based) say
    where the TOML parser stopped, when it did; ``path`` is the file."""

    line: Optional[int]
    column: Optional[int]
    path: Optional[str]

class ProbeError(ValueError):
    """``probe()`` could not measure the file; ``rule`` is the rule id a
    check reports for it (``file.corrupt``, ``file.incomplete``, ...)."""

    rule: str

class Profile:
    """The limits of one service."""

    @staticmethod
    def builtin(name: str) -> "Profile":
        """A built-in profile by name; raises ``ProfileError`` for an unknown one."""
    @staticmethod
    def from_toml(text: str) -> "Profile":
        """A profile from TOML text (fields left out keep the seedance2 values)."""
    @staticmethod
    def load(path: _Path) -> "Profile":
        """A profile from a TOML file."""
    @staticmethod
    def names() -> List[str]:
        """The names of the built-in profiles."""
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_toml(self) -> str: ...

class MediaInfo:
    """What a probe found (the fields of the JSON report; ``None`` where unknown)."""

    @property
    def kind(self) -> Literal["image", "video", "audio", "unknown"]: ...
    @property
    def format(self) -> Optional[str]: ...
    @property
    def bytes(self) -> Optional[int]: ...
    @property
    def width(self) -> Optional[int]: ...
    @property
    def height(self) -> Optional[int]: ...
    @property
    def rotation(self) -> Optional[int]: ...
    @property
    def duration_s(self) -> Optional[float]: ...
    @property
    def duration_gapless_s(self) -> Optional[float]: ...
    @property
    def fps(self) -> Optional[float]: ...
    @property
    def fps_min(self) -> Optional[float]: ...
    @property
    def fps_max(self) -> Optional[float]: ...
    @property
    def vfr(self) -> Optional[bool]: ...
    @property
    def frames(self) -> Optional[int]: ...
    @property
    def codec(self) -> Optional[str]: ...
    @property
    def audio_codec(self) -> Optional[str]: ...
    @property
    def sample_rate(self) -> Optional[int]: ...
    @property
    def channels(self) -> Optional[int]: ...
    @property
    def sar(self) -> Optional[str]: ...
    @property
    def display_width(self) -> Optional[int]: ...
    @property
    def display_height(self) -> Optional[int]: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Violation:
    """One broken rule or warning."""

    @property
    def rule(self) -> str: ...
    @property
    def actual(self) -> _Measure: ...
    @property
    def limit(self) -> _Measure: ...
    @property
    def message(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Report:
    """The outcome of checking one file; ``to_dict()`` equals the object
    ``preflight check --format json`` prints for it."""

    @property
    def path(self) -> str:
        """The path checked (a remote object's URL). A name that is not
        valid UTF-8 is decoded as ``os.fsdecode`` does (surrogateescape), so
        ``open(report.path)`` opens it."""
    @property
    def path_bytes(self) -> bytes:
        """The path's bytes as the OS holds them (``os.fsencode(path)``)."""
    @property
    def ok(self) -> bool: ...
    @property
    def verdict(self) -> Literal["pass", "fail", "error"]: ...
    @property
    def kind(self) -> Literal["image", "video", "audio", "unknown"]: ...
    @property
    def format(self) -> Optional[str]: ...
    @property
    def bytes(self) -> Optional[int]: ...
    @property
    def info(self) -> Optional[MediaInfo]: ...
    @property
    def violations(self) -> List[Violation]: ...
    @property
    def warnings(self) -> List[Violation]: ...
    @property
    def rules(self) -> List[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...
    def __bool__(self) -> bool: ...

class ReportIter(Iterator[Report]):
    """Reports as they finish (parallel; not in input order)."""

    def __iter__(self) -> "ReportIter": ...
    def __next__(self) -> Report: ...

class RequestReport:
    """The request rules' verdict for one generation request."""

    @property
    def ok(self) -> bool: ...
    @property
    def verdict(self) -> Literal["pass", "fail"]: ...
    @property
    def violations(self) -> List[Violation]: ...
    @property
    def warnings(self) -> List[Violation]: ...
    @property
    def content(self) -> List[Dict[str, Any]]: ...
    def to_dict(self) -> Dict[str, Any]: ...

class FixResult:
    """What ``fix`` did to one file."""

    @property
    def path(self) -> str: ...
    @property
    def status(self) -> Literal["passed", "copied", "repaired", "planned", "not_repaired"]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def output(self) -> Optional[str]: ...
    @property
    def rules(self) -> List[str]: ...
    @property
    def actions(self) -> List[str]: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def output_rules(self) -> List[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...

def probe(
    src: _Source,
    *,
    max_read: Optional[int] = None,
    endpoint_url: Optional[str] = None,
) -> MediaInfo:
    """Reads the headers of a path, bytes, a memoryview/bytearray, a binary
    file object (read + seek), or a URL (``s3://``, ``gs://``, ``az://``,
    ``http(s)://``: read by range). Raises ``ProbeError`` when it cannot
    measure."""

def check(
    src: _Source,
    profile: _ProfileLike = None,
    *,
    name: Optional[_Path] = None,
    max_read: Optional[int] = None,
    endpoint_url: Optional[str] = None,
) -> Report:
    """Checks ``src`` against ``profile`` (default ``seedance2``). ``name``
    is the path reported (its extension is checked against the content). A
    ``str`` URL (``s3://bucket/key``, ``https://…``) is read by range
    requests, headers only; ``endpoint_url`` is an S3-compatible store's
    endpoint (else ``AWS_ENDPOINT_URL`` and the other usual variables)."""

def check_many(
    paths: Union[_Path, Iterable[_Path]],
    profile: _ProfileLike = None,
    *,
    jobs: Optional[int] = None,
    max_read: Optional[int] = None,
    endpoint_url: Optional[str] = None,
    remote_jobs: Optional[int] = None,
) -> ReportIter:
    """Checks files and folders (recursively) in parallel, streaming reports.
    URLs among ``paths`` are read remotely, headers only: an
    ``s3://bucket/prefix/`` (``gs://``, ``az://``) is listed, each object
    and each ``http(s)://`` URL read by range requests, ``remote_jobs``
    objects at once (default 64). Credentials, region and endpoint come
    from each cloud's usual environment (``AWS_ACCESS_KEY_ID``,
    ``AWS_REGION``, ``AWS_ENDPOINT_URL``, …); ``endpoint_url`` is the CLI's
    ``--endpoint-url``. ``jobs`` is the threads for local files."""

def list_objects(
    inputs: Union[str, Iterable[str]],
    *,
    endpoint_url: Optional[str] = None,
) -> List[str]:
    """The object URLs that ``inputs`` name: a bucket, a prefix ending in
    ``/``, or a key that names no object but prefixes some is listed; an
    object key or an ``http(s)://`` URL is itself. Raises ``OSError`` when
    a listing fails, ``ValueError`` for an input that is not such a URL."""

def check_request(
    items: Iterable[Union[Report, _Path, Dict[str, Any]]],
    mode: Literal["reference", "first-frame", "first-last"] = "reference",
    *,
    text: Optional[str] = None,
    profile: _ProfileLike = None,
) -> RequestReport:
    """Checks one generation request's references against the request rules."""

def fix(
    src: Union[_Path, Iterable[_Path]],
    out_dir: _Path,
    profile: _ProfileLike = None,
    *,
    all: bool = False,
    dry_run: bool = False,
    aspect: Literal["pad", "crop"] = "pad",
    pad_color: Union[str, Tuple[int, int, int], None] = None,
    to: Optional[Literal["jpeg", "png", "webp"]] = None,
    quality: int = 90,
    min_quality: int = 60,
    trim: Literal["start", "middle", "end"] = "start",
    pad_audio: bool = False,
    jobs: Optional[int] = None,
) -> List[FixResult]:
    """Repairs what fails into ``out_dir`` (``preflight fix SRC --out OUT_DIR``),
    with the CLI's options: ``aspect`` (letterbox or centre crop),
    ``pad_color`` (``black``, ``white``, ``gray``, ``#rrggbb`` or an
    ``(r, g, b)`` tuple; default black), ``to`` (output image format;
    default keep an accepted format, else JPEG, or PNG with transparency),
    ``quality`` / ``min_quality`` (the first and the lowest JPEG quality
    tried, 1-100), ``trim`` (which part of too-long audio to keep),
    ``pad_audio`` (pad too-short audio with silence). Raises ``ValueError``
    for a bad option, as the CLI exits with a usage error."""

def _check_columns(
    paths: Union[_Path, Iterable[_Path]],
    profile: _ProfileLike = None,
    *,
    jobs: Optional[int] = None,
    walk: bool = False,
    max_read: Optional[int] = None,
    endpoint_url: Optional[str] = None,
    remote_jobs: Optional[int] = None,
) -> Dict[str, List[Any]]: ...
