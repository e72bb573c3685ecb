"""Check media files against video-generation services' upload limits.

``preflight`` reads a file's headers (never the media itself), finds out what
it really is, and judges it against a profile of limits (Seedance 2.0's by
default). The work is done in Rust, with the GIL released; a report from
Python is the same object ``preflight check --format json`` prints.

    >>> import preflight
    >>> preflight.check("photo.jpg").verdict
    'pass'

A file that cannot be read or parsed is a report with verdict ``"error"``,
never an exception: only ``probe()`` raises (``ProbeError``), and loading a
bad profile raises ``ProfileError``.

URLs are read where they live, headers only, by range requests:
``s3://bucket/prefix/`` (listed), ``s3://bucket/key``, ``gs://``, ``az://``
and ``http(s)://`` wherever a path is taken (``check``, ``probe``,
``check_many``, ``check_table``, ``arrow_check``). Credentials, region and
endpoint come from each cloud's usual environment variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``,
``AWS_ENDPOINT_URL``, …); ``endpoint_url=`` is the CLI's ``--endpoint-url``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from ._preflight import (
    FixResult,
    MediaInfo,
    ProbeError,
    Profile,
    ProfileError,
    Report,
    ReportIter,
    RequestReport,
    Violation,
    __version__,
    _check_columns,
    check,
    check_many,
    check_request,
    fix,
    list_objects,
    probe,
)

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow

__all__ = [
    "FixResult",
    "MediaInfo",
    "ProbeError",
    "Profile",
    "ProfileError",
    "Report",
    "ReportIter",
    "RequestReport",
    "Violation",
    "__version__",
    "arrow_check",
    "check",
    "check_many",
    "check_request",
    "check_table",
    "fix",
    "list_objects",
    "probe",
    "report_schema",
]

PathLike = Union[str, "os.PathLike[str]"]
ProfileLike = Union[Profile, str, "os.PathLike[str]", None]

#: The report columns of ``check_table`` and ``arrow_check``, in order.
COLUMNS = (
    "path",
    "kind",
    "format",
    "bytes",
    "width",
    "height",
    "rotation",
    "duration_s",
    "fps",
    "codec",
    "sample_rate",
    "channels",
    "verdict",
    "rules",
)


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as e:  # pragma: no cover - exercised without pyarrow
        raise ImportError(
            "check_table and arrow_check need pyarrow: pip install pyarrow"
        ) from e
    return pyarrow


def report_schema() -> "pyarrow.Schema":
    """The Arrow schema of the report columns (needs pyarrow)."""
    pa = _pyarrow()
    return pa.schema(
        [
            ("path", pa.string()),
            ("kind", pa.string()),
            ("format", pa.string()),
            ("bytes", pa.int64()),
            ("width", pa.int64()),
            ("height", pa.int64()),
            ("rotation", pa.int64()),
            ("duration_s", pa.float64()),
            ("fps", pa.float64()),
            ("codec", pa.string()),
            ("sample_rate", pa.int64()),
            ("channels", pa.int64()),
            ("verdict", pa.string()),
            ("rules", pa.list_(pa.string())),
        ]
    )


def check_table(
    paths: Union[PathLike, Iterable[PathLike]],
    profile: ProfileLike = None,
    *,
    jobs: Optional[int] = None,
    max_read: Optional[int] = None,
    endpoint_url: Optional[str] = None,
    remote_jobs: Optional[int] = None,
) -> "pyarrow.Table":
    """Checks files and folders (recursively, in parallel) and returns one
    row per file, ordered by path, with flat columns (``COLUMNS``): path,
    kind, format, bytes, width, height, rotation, duration_s, fps, codec,
    sample_rate, channels, verdict and rules (the violated rule ids).
    URLs are read remotely as in ``check_many`` (prefixes listed,
    ``remote_jobs`` objects at once). A path that is not valid UTF-8 is
    shown with U+FFFD in the ``path`` column (Arrow strings are UTF-8;
    ``check_many``'s ``Report.path_bytes`` keeps the bytes). Needs pyarrow."""
    pa = _pyarrow()
    cols = _check_columns(
        paths,
        profile,
        jobs=jobs,
        walk=True,
        max_read=max_read,
        endpoint_url=endpoint_url,
        remote_jobs=remote_jobs,
    )
    return pa.table(cols, schema=report_schema())


def arrow_check(
    batch: "pyarrow.Table",
    path_column: str = "path",
    profile: ProfileLike = None,
    *,
    jobs: Optional[int] = None,
    max_read: Optional[int] = None,
    endpoint_url: Optional[str] = None,
    remote_jobs: Optional[int] = None,
) -> "pyarrow.Table":
    """Adds the report columns to an Arrow batch whose ``path_column`` holds
    file paths or object URLs (``s3://bucket/key``, ``https://…``: each one
    object, read by range, headers only, ``remote_jobs`` at once, default
    64), one report per row in row order (for Ray Data:
    ``ds.map_batches(preflight.arrow_check, batch_format="pyarrow")``).
    Columns of the batch with a report column's name are replaced; no
    ``path`` column is added (the batch has the paths already)."""
    pa = _pyarrow()
    paths = batch.column(path_column).to_pylist()
    cols = _check_columns(
        paths,
        profile,
        jobs=jobs,
        walk=False,
        max_read=max_read,
        endpoint_url=endpoint_url,
        remote_jobs=remote_jobs,
    )
    schema = report_schema()
    out = batch
    for name in COLUMNS[1:]:
        array = pa.array(cols[name], type=schema.field(name).type)
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, array)
        else:
            out = out.append_column(name, array)
    return out
