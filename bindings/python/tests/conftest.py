"""Shared fixtures: the repository's testdata, and the CLI's JSON reports of it.

The CLI binary is `$PREFLIGHT_BIN` when set, else `target/{release,debug}/preflight`
under `$CARGO_TARGET_DIR` or the repository's `target/`.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TESTDATA = ROOT / "testdata"


def cli_binary() -> Path:
    env = os.environ.get("PREFLIGHT_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("release", "debug"):
        p = target / profile / "preflight"
        if p.is_file():
            return p
    pytest.fail(
        "no preflight binary: build it (cargo build -p preflight-cli) or set PREFLIGHT_BIN"
    )


def media_files():
    """Every file of testdata (scripts and notes too: they are `unknown`)."""
    return sorted(p for p in TESTDATA.rglob("*") if p.is_file())


@pytest.fixture(scope="session")
def cli_reports():
    """path -> the CLI's per-file JSON object, for all of testdata, in one run."""
    out = subprocess.run(
        [str(cli_binary()), "check", "--format", "json", "-q", str(TESTDATA)],
        capture_output=True,
        check=False,
    )
    # Exit 1: some fixtures fail, as they should; 2 would be a usage error.
    assert out.returncode in (0, 1), out.stderr.decode()
    doc = json.loads(out.stdout)
    return {f["path"]: f for f in doc["files"]}
