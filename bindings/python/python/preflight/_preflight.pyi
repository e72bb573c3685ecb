"""Types of the compiled module (re-exported by ``preflight``)."""

import os
from typing import IO, Any, Dict, Iterable, Iterator, List, Literal, Optional, Union

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
    def path(self) -> str: ...
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

def probe(src: _Source, *, max_read: Optional[int] = None) -> MediaInfo:
    """Reads the headers of a path, bytes, a memoryview/bytearray or a binary
    file object (read + seek). Raises ``ProbeError`` when it cannot measure."""

def check(
    src: _Source,
    profile: _ProfileLike = None,
    *,
    name: Optional[_Path] = None,
    max_read: Optional[int] = None,
) -> Report:
    """Checks ``src`` against ``profile`` (default ``seedance2``). ``name``
    is the path reported (its extension is checked against the content)."""

def check_many(
    paths: Union[_Path, Iterable[_Path]],
    profile: _ProfileLike = None,
    *,
    jobs: Optional[int] = None,
    max_read: Optional[int] = None,
) -> ReportIter:
    """Checks files and folders (recursively) in parallel, streaming reports."""

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
    jobs: Optional[int] = None,
) -> List[FixResult]:
    """Repairs what fails into ``out_dir`` (``preflight fix SRC --out OUT_DIR``)."""

def _check_columns(
    paths: Union[_Path, Iterable[_Path]],
    profile: _ProfileLike = None,
    *,
    jobs: Optional[int] = None,
    walk: bool = False,
    max_read: Optional[int] = None,
) -> Dict[str, List[Any]]: ...
