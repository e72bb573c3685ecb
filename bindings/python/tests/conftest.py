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


def moto_server_bin():
    """moto_server from `$PREFLIGHT_MOTO_SERVER` or PATH; None without it
    (the S3 tests then skip, unless `PREFLIGHT_REQUIRE_MOTO=1`: .ci/python.sh
    installs moto and sets it)."""
    import shutil

    env = os.environ.get("PREFLIGHT_MOTO_SERVER")
    found = env if env and Path(env).is_file() else shutil.which("moto_server")
    if found is None and os.environ.get("PREFLIGHT_REQUIRE_MOTO") == "1":
        pytest.fail("PREFLIGHT_REQUIRE_MOTO=1 but no moto_server (PATH or $PREFLIGHT_MOTO_SERVER)")
    return found


#: The credentials and region every S3 test uses (moto checks no signature;
#: without credentials a client would ask the instance metadata service).
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


def s3_request(method, url, body=None):
    """One unsigned S3 request (moto checks no signature): create a bucket
    with `PUT /bucket`, upload with `PUT /bucket/key`."""
    import urllib.request

    # A body without a content type is sent as a form, which moto's server
    # parses away and then waits for.
    headers = {"Content-Type": "application/octet-stream"}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        assert 200 <= r.status < 300, (url, r.status)
        return r.read()


class Bucket:
    """A bucket on the test's S3 server."""

    def __init__(self, endpoint, name):
        from urllib.parse import quote

        self.quote = quote
        self.base = f"{endpoint}/{name}"
        s3_request("PUT", self.base)

    def put(self, key, data):
        s3_request("PUT", f"{self.base}/{self.quote(key)}", data)


def moto_replies(port):
    """Whether moto answers on 127.0.0.1:`port`: a connection whose ends
    differ, and a reply to `GET /` with moto's own header in it (whatever
    else may listen there while moto starts replies otherwise)."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            if conn.getsockname() == conn.getpeername():
                return False
            conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            reply = b""
            while b"x-amzn-requestid" not in reply and len(reply) < 16384:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                reply += chunk
            return b"x-amzn-requestid" in reply
    except OSError:
        return False


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3-compatible server (moto_server) on 127.0.0.1, started here and
    stopped at the end of the session; yields its endpoint URL. The
    credentials and region of `S3_ENV` are in the environment meanwhile (as
    a user's would be)."""
    import socket
    import time

    exe = moto_server_bin()
    if exe is None:
        pytest.skip("no moto_server (pip install 'moto[s3]' flask flask-cors)")
    # The port is free when picked, not surely when moto binds it a second
    # later: moto counts as started when its own reply comes back, and a
    # moto that exits at start is started again on another port.
    exits = []
    for _ in range(3):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while proc.poll() is None and not moto_replies(port):
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"moto_server did not answer on port {port} within 60 s")
            time.sleep(0.1)
        if proc.poll() is None:
            break
        exits.append(f"exit {proc.returncode} on port {port}")
    else:
        pytest.fail(f"moto_server exited at start ({', '.join(exits)})")
    try:
        saved = {k: os.environ.get(k) for k in S3_ENV}
        os.environ.update(S3_ENV)
        yield f"http://127.0.0.1:{port}"
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    finally:
        proc.terminate()
        proc.wait(timeout=10)
