"""The documentation holds together (issue 22): the README stays a short guide, every relative
link of README.md and docs/**/*.md resolves (the file, and the heading when a #anchor is given),
and every section of the physics reference that the code cites exists in docs/physics.md."""

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PHYSICS = ROOT / "docs" / "physics.md"
README_MAX_LINES = 200

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
"""An inline Markdown link or image: its target is group 1 (an optional title is dropped)."""
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"`+[^`]*`+")


def documents():
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


def _prose_lines(text):
    """(line number, line) of every line outside fenced code blocks."""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            yield number, line


def github_anchor(heading):
    """The anchor GitHub gives a heading: its text without Markdown markup, lower case, with every
    character that is not a letter, digit, space, hyphen or underscore removed and spaces made
    hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(text):
    """Every anchor of a Markdown document's headings; a repeated heading gets -1, -2, ... as on
    GitHub."""
    seen, out = {}, set()
    for _, line in _prose_lines(text):
        m = HEADING.match(line)
        if not m:
            continue
        base = github_anchor(m[2])
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(path, text=None):
    """Messages for the relative links of `path` whose file or heading does not exist."""
    text = path.read_text() if text is None else text
    problems = []
    for number, line in _prose_lines(text):
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto: ...
                continue
            file_part, _, anchor = target.partition("#")
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{number}"
            dest = (path.parent / file_part).resolve() if file_part else path
            if not dest.exists():
                problems.append(f"{where}: {target!r}: no file {file_part!r}")
                continue
            if anchor:
                if dest.is_dir() or dest.suffix != ".md":
                    problems.append(f"{where}: {target!r}: an anchor into a file that is not Markdown")
                elif anchor not in anchors(dest.read_text()):
                    problems.append(f"{where}: {target!r}: no heading with anchor #{anchor} in {dest.name}")
    return problems


CITATION = re.compile(
    r"(?<![\w-])(?P<before>\w+\s+)?sections?[- ](?P<list>\d+[a-z]?(?:\.\d+)?"
    r"(?:\s+(?:and|or)\s+\d+[a-z]?)*)(?![\w.]*\d)",
    re.I,
)
"""A section cited in the code: "physics reference section 8", "sections 4 and 7b", "section-12
protocol". The word before it is kept so that the seed document's sections ("seed section 5.2")
can be told apart."""


def cited_sections(text):
    """The physics reference's section numbers cited in `text` (comments joined across lines)."""
    flat = re.sub(r"\s*\n\s*(?:#+\s*)?", " ", text)
    out = set()
    for m in CITATION.finditer(flat):
        if m["before"] and m["before"].strip().lower() == "seed":
            continue
        out.update(re.findall(r"\d+[a-z]?(?:\.\d+)?", m["list"]))
    return out


def physics_sections():
    """Numbers of the numbered headings of docs/physics.md: "## 7. ..." gives 7, "### 7b. ..." 7b."""
    return {
        m[1] for _, line in _prose_lines(PHYSICS.read_text()) if (m := re.match(r"^#{2,3}\s+(\d+[a-z]?)\.\s", line))
    }


def code_files():
    return sorted([*(ROOT / "kernels").rglob("*.py"), *(ROOT / "explorer").rglob("*.py")])


# ------------------------------------------------------------------------------ the tests


def test_the_readme_is_a_short_guide():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; at most {README_MAX_LINES}"


def test_the_readme_names_the_two_commands_and_links_into_docs():
    text = README.read_text()
    for command in ("bash scripts/run_app.sh", "bash scripts/run_tests.sh"):
        assert command in text
    assert "](docs/" in text


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    problems = broken_links(path)
    assert not problems, "\n".join(problems)


def test_every_physics_section_the_code_cites_is_in_docs_physics_md():
    have = physics_sections()
    missing = {}
    for path in code_files():
        for n in cited_sections(path.read_text()):
            if n not in have:
                missing.setdefault(n, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"cited but not a heading of docs/physics.md: {missing}; headings: {sorted(have)}"


def test_the_code_does_cite_the_physics_reference():
    """The check above has something to check: the code cites sections 1 to 12 and 7b."""
    cited = set().union(*(cited_sections(p.read_text()) for p in code_files()))
    assert {str(n) for n in range(1, 13)} | {"7b"} <= cited


# ------------------------------------------------------------------------------ the checks can fail


def test_anchors_follow_githubs_rule():
    assert github_anchor("12. Error metrics and protocols") == "12-error-metrics-and-protocols"
    assert (
        github_anchor("7b. Programming costs and timings (defaults for chip-time and energy accounting)")
        == "7b-programming-costs-and-timings-defaults-for-chip-time-and-energy-accounting"
    )
    assert (
        github_anchor("2. PCM on IBM's 14 nm HERMES chip (fits as in `HermesNoiseModel`)")
        == "2-pcm-on-ibms-14-nm-hermes-chip-fits-as-in-hermesnoisemodel"
    )
    assert github_anchor("The 5 x 5 task on the Training tab") == "the-5-x-5-task-on-the-training-tab"
    assert anchors("# A\n## B\n## B\n```\n# not a heading\n```\n") == {"a", "b", "b-1"}


def test_a_broken_file_or_anchor_is_reported(tmp_path):
    (tmp_path / "other.md").write_text("# Title\n\n## A section\n")
    page = tmp_path / "page.md"
    text = (
        "[ok](other.md) [ok](other.md#a-section) [ok](#here) ![img](other.md)\n"
        "## Here\n"
        "[gone](missing.md) [bad anchor](other.md#no-such) [self](#nowhere) `[code](x.md)`\n"
        "[web](https://example.org/x.md)\n"
        "```\n[in code](missing-too.md)\n```\n"
    )
    page.write_text(text)
    problems = broken_links(page)
    assert len(problems) == 3, problems
    assert "'missing.md'" in problems[0] and "#no-such" in problems[1] and "#nowhere" in problems[2]


def test_citations_are_found_and_the_seed_documents_sections_are_not():
    text = (
        "# physics reference section 8: compensation\n"
        "x = 1  # physics reference\n    # sections 4 and 7b; the section-12 protocol\n"
        "'''Seed section 5.2 and seed\nsection 3.1 are the seed document's.'''\n"
        "y = 2  # section 1 or 2, section 12, 128 x 128\n"
    )
    assert cited_sections(text) == {"8", "4", "7b", "12", "1", "2"}


IMPORT_LINE = re.compile(r"^\s*from (explorer|kernels)((?:\.\w+)*) import \(?([\w, ]+)\)?\s*(?:#.*)?$")


def imports_in_code_blocks(text):
    """(module, names) of every one-line `from explorer... import a, b` inside a ``` block."""
    out, inside = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
            continue
        m = IMPORT_LINE.match(line) if inside else None
        if m:
            out.append((m[1] + m[2], [n.strip() for n in m[3].split(",") if n.strip()]))
    return out


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_import_in_a_code_example_resolves(path):
    """A module moved or a name renamed leaves no example behind that a reader would copy."""
    import importlib

    missing = []
    for module, names in imports_in_code_blocks(path.read_text()):
        mod = importlib.import_module(module)
        missing += [f"{module}.{n}" for n in names if not hasattr(mod, n)]
    assert not missing, f"{path.name}: examples import names that do not exist: {missing}"


def test_a_stale_import_in_an_example_is_found():
    text = "```python\nfrom explorer.models import CrossbarModel, NoSuchThing\n```\nfrom explorer.x import y\n"
    assert imports_in_code_blocks(text) == [("explorer.models", ["CrossbarModel", "NoSuchThing"])]


def test_the_api_reference_is_current():
    """docs/reference/api.md is what `python -m explorer.tools.api_reference` writes today."""
    from explorer.tools import api_reference

    assert api_reference.PAGE.read_text() == api_reference.page(), (
        "docs/reference/api.md is stale: run python -m explorer.tools.api_reference"
    )
