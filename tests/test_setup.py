"""The README's set-up on a stock Debian/Ubuntu Python: `scripts/run_app.sh` with `/usr/bin/python3`
first on the PATH (PEP 668 forbids installing into it) creates and uses a virtual environment."""

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from explorer.tools.served import free_port

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")

needs_system_python = pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="no /usr/bin/python3 here")


def stock_env(tmp_path, path="/usr/bin:/bin", **extra):
    """The environment of a fresh login on a stock machine: no virtual environment active."""
    env = {
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PATH": path,
        "LANG": "C.UTF-8",
        "ANALOG_EXPLORER_VENV": str(tmp_path / "venv"),
    }
    env.update(extra)
    return env


@needs_system_python
def test_run_app_sets_up_a_venv_with_the_system_python_and_serves(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        ["bash", "scripts/run_app.sh", "--port", str(port), "--address", "127.0.0.1", "--no-warmup"],
        cwd=ROOT,
        env=stock_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = []
    try:
        deadline = time.time() + 600
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            output.append(line)
            if "Bokeh app running" in line:
                break
        text = "".join(output)
        assert "externally-managed-environment" not in text, text
        assert "Bokeh app running" in text, text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/app", timeout=60) as response:
            assert response.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    config = (tmp_path / "venv" / "pyvenv.cfg").read_text()
    assert "home = /usr/bin" in config, config  # the environment was made from the system Python


@needs_system_python
def test_missing_venv_module_installs_debians_python3_venv(tmp_path):
    """Where the system Python lacks `venv` (Debian's python3-venv not installed), the set-up
    installs that package with apt-get, then creates the environment."""
    fake = tmp_path / "bin"
    fake.mkdir()
    marker, log = tmp_path / "installed", tmp_path / "apt.log"
    (fake / "python3").write_text(
        "#!/bin/bash\n"
        f'if [ "$1" = "-c" ] && [[ "$2" == *"import ensurepip, venv"* ]] && [ ! -f {marker} ]; then exit 1; fi\n'
        f'exec {SYSTEM_PYTHON} "$@"\n'
    )
    (fake / "apt-get").write_text(
        f'#!/bin/bash\necho "$@" >> {log}\n[[ "$*" == *install* ]] && touch {marker}\nexit 0\n'
    )
    (fake / "sudo").write_text('#!/bin/bash\nexec "$@"\n')
    for f in fake.iterdir():
        f.chmod(0o755)
    result = subprocess.run(
        ["bash", "-c", 'source scripts/_venv.sh && echo "PY=$PY"'],
        cwd=ROOT,
        env=stock_env(tmp_path, path=f"{fake}:/usr/bin:/bin"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    calls = log.read_text()
    assert "update" in calls and "install" in calls and "python3-venv" in calls, calls
    assert f"PY={tmp_path / 'venv' / 'bin' / 'python'}" in result.stdout
    assert (tmp_path / "venv" / "bin" / "python").exists()


def test_an_active_virtual_environment_is_used_as_it_is(tmp_path):
    venv = tmp_path / "active"
    subprocess.run(
        [str(SYSTEM_PYTHON if SYSTEM_PYTHON.exists() else "python3"), "-m", "venv", "--without-pip", str(venv)],
        check=True,
    )
    result = subprocess.run(
        ["bash", "-c", 'source scripts/_venv.sh && echo "PY=$PY"'],
        cwd=ROOT,
        env=stock_env(tmp_path, VIRTUAL_ENV=str(venv)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"PY={venv / 'bin' / 'python'}" in result.stdout
    assert not (tmp_path / "venv").exists()  # no project environment made beside the active one
