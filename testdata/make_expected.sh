#!/usr/bin/env bash
# Writes testdata/expected.json from the fixtures made by make.sh (needs ffprobe, exiftool,
# heif-info, mediainfo, python3). See make_expected.py for the conventions.
set -euo pipefail
exec python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/make_expected.py" "$@"
