#!/usr/bin/env bash
# Install the explorer (into the active virtual environment, or the project's .venv) and start it
# under `panel serve` with the lab settings; prints the URL. Extra arguments go to analog-explorer.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
"$PY" -m pip install --quiet --disable-pip-version-check -e .
exec "$PY" -m explorer.cli "$@"
