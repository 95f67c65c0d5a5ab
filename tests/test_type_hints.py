"""Every public function and method of the scripting API carries type hints, and every hint resolves.

The walk reads the sources with `ast` (nothing is imported to find them): every module of
`explorer/models/` (packages included), every module of `kernels/`, and the `main` functions of
`explorer/tools/`. It lists

* module-level functions whose name does not start with ``_``,
* methods, properties, static and class methods of module-level classes whose names do not start
  with ``_``, themselves not starting with ``_``, and their ``__init__`` (the constructor a script
  calls; it returns ``None``). The other dunders are left out. A Param class's declared
  parameters are class attributes, not functions: they have no annotations to check, and a Param
  ``__init__(self, **params: Any)`` passes them on.

Left out on purpose: functions under a Numba decorator (``njit``, ``jit``, ``vectorize``,
``intrinsic`` ...), which are kernels rather than wrappers and are kept untouched; functions
nested in other functions; the tools' helpers other than ``main``.

Kept in: ``@param.depends`` methods. They are public methods the views call and the tests drive,
and `param.depends` keeps the function it wraps (``__wrapped__``), so a return annotation is read
exactly as on a plain method.

Each listed function needs an annotation on every parameter but ``self``/``cls`` (``*args`` and
``**kwargs`` included: ``**crossbar: object`` says what the extra keywords may be) and on its
return. The second test imports each module and resolves the hints with `typing.get_type_hints`,
so a misspelt or missing name in a hint (the modules use ``from __future__ import annotations``,
where a hint is only a string until someone evaluates it) fails here rather than in a user's
type checker. Names a module imports only under ``if TYPE_CHECKING:`` are imported by the test
from that block.
"""

import ast
import importlib
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

NUMBA_DECORATORS = {
    "njit",
    "jit",
    "vectorize",
    "guvectorize",
    "generated_jit",
    "cfunc",
    "stencil",
    "intrinsic",
    "overload",
    "overload_method",
    "register_jitable",
}


def source_files():
    """The modules the walk covers, with whether only their `main` is public API (the tools)."""
    files = [(p, False) for p in sorted((ROOT / "explorer" / "models").rglob("*.py"))]
    files += [(p, False) for p in sorted((ROOT / "kernels").glob("*.py"))]
    files += [(p, True) for p in sorted((ROOT / "explorer" / "tools").glob("*.py"))]
    return files


def _decorator_name(node):
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def public_functions(tree, main_only=False):
    """``(qualname, FunctionDef, is_method)`` of the public functions and methods of a module."""
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node.name, node, False))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not main_only:
            found += [
                (f"{node.name}.{sub.name}", sub, True)
                for sub in node.body
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef))
            ]
    return [
        (q, fn, method)
        for q, fn, method in found
        if (not fn.name.startswith("_") or (method and fn.name == "__init__"))
        and not (main_only and fn.name != "main")
        and not any(_decorator_name(d) in NUMBA_DECORATORS for d in fn.decorator_list)
    ]


def missing_annotations(fn, is_method):
    """Names of the parameters of `fn` without an annotation, and ``"return"`` if it has none."""
    args = fn.args.posonlyargs + fn.args.args
    is_static = any(_decorator_name(d) == "staticmethod" for d in fn.decorator_list)
    if is_method and not is_static and args and args[0].arg in ("self", "cls"):
        args = args[1:]
    args = args + fn.args.kwonlyargs
    missing = [a.arg for a in args if a.annotation is None]
    missing += [f"*{a.arg}" for a in (fn.args.vararg,) if a is not None and a.annotation is None]
    missing += [f"**{a.arg}" for a in (fn.args.kwarg,) if a is not None and a.annotation is None]
    if fn.returns is None:
        missing.append("return")
    return missing


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def walk():
    """``(module name, qualname, FunctionDef, is_method, tree)`` for every listed function."""
    out = []
    for path, main_only in source_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        out += [(module_name(path), q, fn, method, tree) for q, fn, method in public_functions(tree, main_only)]
    return out


FUNCTIONS = walk()


def test_the_walk_lists_the_api_and_catches_a_missing_hint():
    """The walk finds the functions it is meant to (so the checks below are not vacuous), and its
    check reports every unannotated parameter and return, but leaves out kernels and privates."""
    names = {(m, q) for m, q, *_ in FUNCTIONS}
    for expected in [
        ("kernels.pcm", "program"),
        ("kernels.rng", "derive_seed"),
        ("kernels.tile_training", "TileState.layer"),
        ("explorer.tools.benchmark", "main"),
    ]:
        assert expected in names
    assert ("explorer.models.crossbar.model", "ProgrammedCrossbar.__init__") in names
    assert not any(q.startswith("_") or ("._" in q and not q.endswith(".__init__")) for _, q in names)
    assert len(FUNCTIONS) > 300
    tree = ast.parse(
        "from numba import njit\n"
        "def f(a, b: int, *args, c, **kw): pass\n"
        "def g(a: int) -> int: pass\n"
        "@njit\n"
        "def k(x): return x\n"
        "def _p(x): pass\n"
        "class C:\n"
        "    def m(self, y): pass\n"
        "    @staticmethod\n"
        "    def s(z) -> None: pass\n"
        "    def __init__(self, q): pass\n"
    )
    report = {q: missing_annotations(fn, method) for q, fn, method in public_functions(tree)}
    assert report == {
        "f": ["a", "c", "*args", "**kw", "return"],
        "g": [],
        "C.m": ["y", "return"],
        "C.s": ["z"],
        "C.__init__": ["q", "return"],
    }


def test_every_public_function_is_annotated():
    """No public function or method of the models, kernels' wrappers or tools' `main` lacks a hint."""
    bare = [
        f"{m}.{q}: {', '.join(miss)}" for m, q, fn, method, _ in FUNCTIONS if (miss := missing_annotations(fn, method))
    ]
    assert not bare, f"{len(bare)} public functions lack type hints (parameters or return):\n" + "\n".join(bare)


def type_checking_names(tree, module):
    """The names a module imports under ``if TYPE_CHECKING:``, imported here."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            code = compile(ast.Module(body=node.body, type_ignores=[]), module.__name__, "exec")
            exec(code, vars(module).copy() | {"__package__": module.__package__}, names)
    return names


def resolve(module, qualname):
    """The function object behind `qualname` (unwrapping properties, static and class methods)."""
    obj = module
    for part in qualname.split("."):
        obj = vars(obj)[part] if isinstance(obj, type) else getattr(obj, part)
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    return obj


@pytest.mark.parametrize("module_name", sorted({m for m, *_ in FUNCTIONS}))
def test_every_hint_resolves(module_name):
    """`typing.get_type_hints` evaluates every hint of the module's listed functions, and finds one
    hint per annotated parameter (so the object resolved is the function the walk read)."""
    module = importlib.import_module(module_name)
    entries = [(q, fn, tree) for m, q, fn, _, tree in FUNCTIONS if m == module_name]
    localns = type_checking_names(entries[0][2], module)
    failures = []
    for qualname, fn, _ in entries:
        func = resolve(module, qualname)
        try:
            hints = typing.get_type_hints(func, localns=localns)
        except Exception as exc:  # noqa: BLE001 -- any failure to evaluate a hint is reported
            failures.append(f"{module_name}.{qualname}: {type(exc).__name__}: {exc}")
            continue
        annotated = {
            a.arg
            for a in fn.args.posonlyargs
            + fn.args.args
            + fn.args.kwonlyargs
            + [a for a in (fn.args.vararg, fn.args.kwarg) if a]
            if a.annotation is not None
        }
        if fn.returns is not None:
            annotated.add("return")
        if set(hints) != annotated:
            failures.append(f"{module_name}.{qualname}: hints {sorted(hints)} but annotated {sorted(annotated)}")
    assert not failures, "\n".join(failures)
