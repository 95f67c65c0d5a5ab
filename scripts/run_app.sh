#!/usr/bin/env bash
# Install the explorer and start it under `panel serve`; prints the local URL.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e .
exec analog-explorer "$@"
