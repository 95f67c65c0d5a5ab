#!/usr/bin/env bash
# Install what the tests need (Debian's chromium when missing; the `test` extra into the active
# virtual environment, or the project's .venv) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
source scripts/_venv.sh
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[test]"
exec "$PY" -m pytest "$@"
