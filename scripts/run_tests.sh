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
# Lint and format first (settings in pyproject.toml): a finding stops the run before the tests.
"$PY" -m ruff check .
"$PY" -m ruff format --check .
# Two pytest processes side by side, one per core: the browser tests (marker `browser`: one
# `panel serve` and one Chromium between them), and every other test, the results tables'
# recomputation (marker `slow`) included: the browser tests are the longer half (times:
# docs/how-to/run-the-tests.md). The first run's output follows the other's.
# Exit status: the first failure's; "no tests collected" (5) counts as a pass when the other
# process ran tests (arguments that select only one kind).
for arg in "$@"; do
  case "$arg" in
    -m|-m*) exec "$PY" -m pytest "$@" ;;     # a marker expression of the caller's own: one process
  esac
done
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"$PY" -m pytest -m "browser" -p no:cacheprovider "$@" >"$log" 2>&1 &
browser_pid=$!
set +e
"$PY" -m pytest -m "not browser" "$@"
rc_other=$?
wait "$browser_pid"
rc_browser=$?
set -e
echo "------------------------------------------------- browser tests"
cat "$log"
if [ "$rc_other" -eq 5 ] && [ "$rc_browser" -eq 5 ]; then exit 5; fi
[ "$rc_other" -eq 5 ] && rc_other=0
[ "$rc_browser" -eq 5 ] && rc_browser=0
[ "$rc_other" -ne 0 ] && exit "$rc_other"
exit "$rc_browser"
