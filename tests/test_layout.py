"""The package layout: the top level of `explorer` holds the app alone, the project's tools live in
`explorer.tools`, and the app never imports them (so a tool's dependencies, Playwright and
Chromium among them, and its import-time cost never reach a student's session)."""

import ast
import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPLORER = ROOT / "explorer"

APP_MODULES = {
    "__init__",
    "admission",
    "app",
    "cli",
    "compat",
    "front",  # analog-explorer --processes N: the front of several server processes
    "palette",
    "sessions",
    "sweeps_dask",
    "sweeps_worker",
    "warmup",
    "workers",
}
"""The app's modules at the top level of `explorer` (besides its packages models, views and figures;
`palette` is shared by the views and the HoloViews figures, so it imports neither; `admission` is the
server's budget of heavy requests, whose `Cost` the models' `cost()` estimates return; `workers` the
worker processes those requests compute in)."""

TOOLS = (
    "benchmark",
    "benchmark_programming",
    "benchmark_reliability",
    "benchmark_training",
    "browser_benchmark",
    "classroom",
    "protocol",
    "served",
)
"""Tool modules moved out of the top level into `explorer.tools` (issue 22, item 3)."""


def app_files():
    """Every source file of the app: everything under explorer/ except explorer/tools/."""
    return sorted(p for p in EXPLORER.rglob("*.py") if (EXPLORER / "tools") not in p.parents)


def module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imported_modules(path):
    """The absolute names of every module `path` imports, at any depth (function bodies included):
    for ``from X import a`` both ``X`` and ``X.a``, since ``a`` may be a submodule."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            found.append(source)
            found += [f"{source}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)  # importlib.import_module("explorer.tools....") and the like
    return found


def is_tools(name):
    return name == "explorer.tools" or name.startswith("explorer.tools.")


def test_the_top_level_of_explorer_holds_only_the_app():
    modules = {p.stem for p in EXPLORER.glob("*.py")}
    assert modules == APP_MODULES, (
        f"top-level modules of explorer/ that are not the app's: "
        f"{sorted(modules - APP_MODULES)} (tools belong in explorer/tools/); "
        f"app modules missing: {sorted(APP_MODULES - modules)}"
    )
    assert {p.stem for p in (EXPLORER / "tools").glob("*.py")} >= set(TOOLS)


def test_no_app_source_imports_the_tools():
    offenders = {module_name(p): sorted({n for n in imported_modules(p) if is_tools(n)}) for p in app_files()}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"app modules importing explorer.tools: {offenders}"


def test_importing_the_app_loads_no_tool():
    """In a fresh interpreter, import every module of the app (each of models/ and views/ too) and
    look at what ended up loaded."""
    names = sorted({module_name(p) for p in app_files()})
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    assert "explorer.app" in loaded and "explorer.views" in loaded and "explorer.models" in loaded
    assert [n for n in loaded if is_tools(n)] == []


def test_the_entry_points_resolve():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["analog-explorer-benchmark"] == "explorer.tools.benchmark:main"
    assert scripts["analog-explorer-classroom"] == "explorer.tools.classroom:main"
    for command, target in scripts.items():
        module, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attr)), command
