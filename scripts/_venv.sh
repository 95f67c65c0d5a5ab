# Sourced by run_app.sh and run_tests.sh: sets PY to the Python to install into and run with.
#
# An active virtual environment ($VIRTUAL_ENV) or conda environment ($CONDA_PREFIX) is used as
# it is. Otherwise the project's own `.venv` is created with the first `python3` on the PATH and
# used, so that a stock Debian or Ubuntu Python (PEP 668: "externally-managed-environment") works
# too; when that Python lacks the venv module, Debian's python3-venv is installed first.
# Set ANALOG_EXPLORER_VENV to put the environment elsewhere.

if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
  PY="$VIRTUAL_ENV/bin/python"
elif [ -n "${CONDA_PREFIX:-}" ] && [ -x "$CONDA_PREFIX/bin/python" ]; then
  PY="$CONDA_PREFIX/bin/python"
else
  VENV="${ANALOG_EXPLORER_VENV:-$PWD/.venv}"
  if [ ! -x "$VENV/bin/python" ]; then
    BASE="$(command -v python3 || true)"
    if [ -z "$BASE" ]; then
      echo "error: python3 not found on the PATH (Python 3.11 or newer is needed)" >&2
      exit 1
    fi
    if ! "$BASE" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "error: $BASE is Python $("$BASE" -c 'import platform; print(platform.python_version())'), 3.11 or newer is needed" >&2
      exit 1
    fi
    if ! "$BASE" -c 'import ensurepip, venv' 2>/dev/null; then
      # Debian and Ubuntu ship the venv module (with ensurepip) in a separate package.
      PKG="python3-venv"
      VER="$("$BASE" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      echo "Installing Debian's $PKG (python$VER-venv) for $BASE ..." >&2
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$PKG" "python$VER-venv" >/dev/null \
        || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$PKG" >/dev/null
    fi
    echo "Creating the project's virtual environment in $VENV (with $BASE) ..." >&2
    "$BASE" -m venv "$VENV"
  fi
  PY="$VENV/bin/python"
fi
export PATH="$(dirname "$PY"):$PATH"
