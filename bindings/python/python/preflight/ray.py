"""Checking a Ray Dataset of file paths: the report columns are added to
each row, in parallel across the cluster (each block is checked by
``preflight.arrow_check`` in a Ray task).

    import ray, preflight.ray
    ds = ray.data.from_items([{"path": p} for p in paths])
    checked = preflight.ray.check_dataset(ds)
    checked.filter(lambda r: r["verdict"] != "pass").write_parquet("failing/")

The paths must be readable where the tasks run (a shared file system on a
cluster), or be object URLs (``s3://bucket/key``, ``gs://``, ``az://``,
``https://``), which each task reads by range requests, headers only; list
a prefix with ``preflight.list_objects``:

    urls = preflight.list_objects("s3://media/refs/")
    checked = preflight.ray.check_dataset(ray.data.from_items([{"path": u} for u in urls]))

Credentials, region and endpoint come from the usual environment variables
of the workers (``AWS_ACCESS_KEY_ID``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``,
… — pass them with ``runtime_env={"env_vars": …}`` on a cluster), or
``endpoint_url=``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from . import ProfileLike, arrow_check

if TYPE_CHECKING:  # pragma: no cover
    import ray.data

__all__ = ["check_dataset"]


def check_dataset(
    ds: "ray.data.Dataset",
    path_column: str = "path",
    profile: ProfileLike = None,
    *,
    jobs: int = 1,
    batch_size: Optional[int] = 1024,
    max_read: Optional[int] = None,
    endpoint_url: Optional[str] = None,
    remote_jobs: Optional[int] = None,
    **map_batches_args: Any,
) -> "ray.data.Dataset":
    """Returns ``ds`` with the report columns of ``preflight.COLUMNS`` (but
    ``path``) added to each row, judged against ``profile`` (a ``Profile``,
    a built-in name, or a TOML file readable by every worker).

    Ray runs one task per CPU; ``jobs`` is the threads each task checks
    with (1 for local disks; raise it for slow network storage, where a
    task waits on reads). Object URLs are read ``remote_jobs`` at once per
    task (default 64). Other keyword arguments go to ``map_batches``
    (``concurrency``, ``num_cpus``, …)."""
    return ds.map_batches(
        arrow_check,
        batch_format="pyarrow",
        batch_size=batch_size,
        fn_kwargs={
            "path_column": path_column,
            "profile": profile,
            "jobs": jobs,
            "max_read": max_read,
            "endpoint_url": endpoint_url,
            "remote_jobs": remote_jobs,
        },
        **map_batches_args,
    )
