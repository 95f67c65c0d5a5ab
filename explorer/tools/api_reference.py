"""Write docs/reference/api.md: every public function and class of the models, views and kernels,
module by module, with the first paragraph of its docstring.

    python -m explorer.tools.api_reference            # rewrite docs/reference/api.md
    python -m explorer.tools.api_reference --check    # exit 1 if the page is not what it would write

The sources are read as text (`ast`), not imported. `tests/test_docs.py` checks that the page is
current, so a renamed function or a moved module cannot leave it stale.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "api.md"

INTRO = """# Reference: the API by module

Every public function and class of the scripting API, module by module, with the first paragraph
of its docstring (the docstring itself says more: `help(name)` in Python). The topic pages show
them at work: [devices](devices.md), [encodings and the crossbar](crossbar.md),
[programming methods](programming.md), [a network on chips](deployment.md),
[on-chip training](training.md). Names exported by the package are imported as
`from explorer.models import NAME`.

Generated from the sources by `python -m explorer.tools.api_reference` (a test checks that it is
current)."""

SECTIONS = (
    ("Models (`explorer.models`)", "explorer/models", None),
    (
        "Views (`explorer.views`)",
        "explorer/views",
        "Each view is a Panel `Viewer` around its model; in a notebook: `import panel as pn; "
        'pn.extension("mathjax")` then e.g. `DevicesView()`.',
    ),
    (
        "Figures (`explorer.figures`)",
        "explorer/figures",
        "HoloViews figures of each dashboard for notebooks, reports and comparisons; a model gives "
        "its own with `ex.figures()` ([how-to](../how-to/figures-in-a-notebook.md)).",
    ),
    (
        "Kernels (`kernels`)",
        "kernels",
        "Numba kernels (numpy and numba only): private `@njit` kernels behind public wrappers that "
        "validate their arguments. The models call them; a script rarely needs them except "
        "`kernels.rng.derive_seed`.",
    ),
)


def first_paragraph(doc):
    """The first paragraph of a docstring on one line, or a note that there is none."""
    if not doc:
        return "(no docstring)"
    return " ".join(line.strip() for line in doc.strip().split("\n\n")[0].splitlines())


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def public_modules(folder):
    """The package's modules in name order, leaving out private ones (a part starting with `_`,
    `__init__` excepted)."""
    paths = sorted((ROOT / folder).rglob("*.py"), key=module_name)
    return [
        p
        for p in paths
        if not any(part.startswith("_") and part != "__init__.py" for part in p.relative_to(ROOT).parts)
    ]


def describe(path, classes_only=False):
    """The Markdown of one module: heading, its docstring's first paragraph, its public functions
    and classes (those in `__all__` when it has one) with their public documented methods."""
    tree = ast.parse(path.read_text())
    out = [f"### `{module_name(path)}`", "", first_paragraph(ast.get_docstring(tree)), ""]
    exported = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            exported = [e.value for e in node.value.elts]
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith("_"):
            continue
        if exported is not None and node.name not in exported:
            continue
        if classes_only and not isinstance(node, ast.ClassDef):
            continue
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        out.append(f"- `{node.name}` ({kind}): {first_paragraph(ast.get_docstring(node))}")
        if isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef) and not sub.name.startswith("_") and ast.get_docstring(sub):
                    out.append(f"  - `{sub.name}()`: {first_paragraph(ast.get_docstring(sub))}")
    out.append("")
    return "\n".join(out)


def page():
    """The whole page as it would be written."""
    parts = [INTRO, ""]
    for title, folder, intro in SECTIONS:
        parts += [f"## {title}", ""]
        if intro:
            parts += [intro, ""]
        for path in public_modules(folder):
            parts.append(describe(path, classes_only=folder == "explorer/views"))
    return "\n".join(parts).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.tools.api_reference", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale, writing nothing")
    args = parser.parse_args(argv)
    text = page()
    if args.check:
        current = PAGE.read_text() == text
        print(
            f"{PAGE.relative_to(ROOT)}: "
            f"{'current' if current else 'stale (run python -m explorer.tools.api_reference)'}"
        )
        return 0 if current else 1
    PAGE.write_text(text)
    print(f"{PAGE.relative_to(ROOT)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
