"""The layout of `explorer.models`: concerns that import each other one way only, and one public
package that exports every dashboard model.

The import graph is read from the source (`ast`), every import statement counted, those inside
functions too: an import moved into a function to dodge a cycle at import time is still a cycle
in the design, and it is the one this test exists to catch (it was `crossbar` <-> `programming`).
"""

import ast
import importlib
import inspect
import pathlib
import pkgutil

import param
import pytest

import explorer.models

PACKAGE = "explorer.models"
ROOT = pathlib.Path(explorer.models.__file__).parent

LAYERS = (
    "_internal",
    "devices",
    "programming",
    "crossbar",
    "digits",
    "training",
    "deployment",
    "dashboards",
    "scenario",
    "scenario_library",
    "lessons",
    "technologies",
    "snippet",
    "follow",
    "predictions",
    "sweeps",
    "sweep_session",
)
"""The concerns in the order of `explorer.models`'s docstring: each imports only those before it."""

# What `explorer.models` exported before the models were grouped by concern: scripts and notebooks
# import these names, so each must stay.
EXPORTED_BEFORE = (
    "TECHNOLOGIES",
    "CrossbarExplorer",
    "CrossbarModel",
    "Device",
    "DeviceArray",
    "DeviceModel",
    "DevicesExplorer",
    "ECRAMDevice",
    "EncodingExplorer",
    "FlashDevice",
    "HermesPCMDevice",
    "PCMDevice",
    "ProgrammedCrossbar",
    "RRAMDevice",
    "SoftBoundsDevice",
    "protocol_inputs",
    "protocol_weights",
)


def _modules():
    """Every module of the package: dotted name -> (path, is_package)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join((PACKAGE, *parts))] = (path, is_package)
    return found


def _import_graph(modules):
    """Module -> the package's modules it imports (any statement, at any depth of the source)."""
    graph = {}
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module
                # `from X import y` imports X, and X.y when y is a module.
                candidates = [source] + [f"{source}.{alias.name}" for alias in node.names]
            else:
                continue
            targets.update(c for c in candidates if c in modules and c != name)
        graph[name] = targets
    return graph


def _cycle(graph):
    """One cycle of `graph` as a list of nodes (first == last), or None when it is acyclic."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _concern(module):
    """The concern a module belongs to: its first name under the package (None for the package)."""
    rest = module[len(PACKAGE) + 1 :]
    return rest.split(".")[0] if rest else None


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path):
    # The graph reader on a two-module stand-in of the old crossbar <-> programming pair.
    a = tmp_path / "a.py"
    a.write_text("from .b import B\n")
    b = tmp_path / "b.py"
    b.write_text("def run():\n    from .a import A\n    return A\n")
    graph = _import_graph({f"{PACKAGE}.a": (a, False), f"{PACKAGE}.b": (b, False)})
    assert _cycle(graph) == [f"{PACKAGE}.a", f"{PACKAGE}.b", f"{PACKAGE}.a"]
    b.write_text("def run():\n    return None\n")
    assert _cycle(_import_graph({f"{PACKAGE}.a": (a, False), f"{PACKAGE}.b": (b, False)})) is None


def test_no_import_cycle_among_the_models_modules():
    modules = _modules()
    graph = _import_graph(modules)
    assert sum(map(len, graph.values())) > len(modules)  # the reader did find the imports
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_concerns_import_each_other_one_way():
    """Collapsed to their concerns (`crossbar`, `programming`, `training`, ...), the imports still
    form no cycle: a concern never imports one that imports it back, through any module."""
    graph = {}
    for module, targets in _import_graph(_modules()).items():
        source = _concern(module)
        if source is None:
            continue  # the package's own __init__ imports every concern to export it
        graph.setdefault(source, set()).update(t for t in map(_concern, targets) if t is not None and t != source)
    assert len(graph) >= 2
    cycle = _cycle(graph)
    assert cycle is None, "concerns importing each other: " + " -> ".join(cycle)


def test_each_concern_imports_only_the_concerns_before_it():
    concerns = {_concern(m) for m in _modules()} - {None}
    assert concerns == set(LAYERS), "a concern added or removed: place it in LAYERS and the package docstring"
    for module, targets in _import_graph(_modules()).items():
        source = _concern(module)
        if source is None:
            continue
        allowed = set(LAYERS[: LAYERS.index(source) + 1])
        above = {t for t in targets if _concern(t) not in allowed}
        assert not above, f"{module} imports {sorted(above)}, not before {source!r} in LAYERS"


def _dashboard_models():
    """Every `*Explorer` Param class defined in a module of the package (the base `Explorer` aside)."""
    found = {}
    for info in pkgutil.walk_packages(explorer.models.__path__, PACKAGE + "."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                cls.__module__ == module.__name__
                and name.endswith("Explorer")
                and name != "Explorer"
                and issubclass(cls, param.Parameterized)
            ):
                found[name] = cls
    return found


def test_every_dashboard_model_is_exported_by_explorer_models():
    found = _dashboard_models()
    assert found, "no dashboard model found"
    for name, cls in found.items():
        assert getattr(explorer.models, name, None) is cls, f"explorer.models does not export {name}"
        assert name in explorer.models.__all__, f"{name} missing from explorer.models.__all__"
    exported = {n for n in explorer.models.__all__ if n.endswith("Explorer")}
    assert exported == set(found)


@pytest.mark.parametrize("name", EXPORTED_BEFORE)
def test_the_names_exported_before_are_still_exported(name):
    assert name in explorer.models.__all__
    assert hasattr(explorer.models, name)


def test_every_exported_name_resolves():
    namespace = {}
    exec("from explorer.models import *", namespace)  # noqa: S102 - the star import a notebook does
    assert set(explorer.models.__all__) <= set(namespace)
    for module in (explorer.models.crossbar, explorer.models.training, explorer.models.dashboards):
        for name in module.__all__:
            value = getattr(module, name)  # each concern's exports resolve too
            if name in explorer.models.__all__:
                assert getattr(explorer.models, name) is value
