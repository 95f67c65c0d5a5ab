"""Guided lessons (issue 25, item 1): files in ``assets/lessons/*.md`` that a lecturer writes
without Python, read and checked completely at load, before a class sees them. Plain Python, no
Panel: the app (`explorer.views.lessons`: a list in the Overview, the open step above the tabs) shows
them, and a notebook can read them::

    lessons = load_lessons()                  # every good file; the bad ones in lessons.skipped
    lesson = lessons.get("pcm-drift")
    step = lesson.steps[0]
    explorers = {tab: TABS[tab]() for tab in step.scenario.tabs}
    apply(step.scenario, explorers)           # the step's starting point
    apply(step.moved(), explorers)            # what the student is asked to do

A lesson file is Markdown with a YAML header between two ``---`` lines; the Markdown after the
header is the lesson's introduction. Only PyYAML's safe loader reads the header (plain data, never
objects or code), and a key given twice is refused. The header (all text is Markdown, with ``$$...$$``
for equations as the app's other text)::

    id: pcm-drift                     # letters, digits and "-", unique among the lessons (the URL's lesson=)
    title: PCM drift and its compensation
    summary: One paragraph: what the student learns.
    sources: [Physics reference section 8, ...]   # one or more
    steps:                            # one to `MAX_STEPS`
      - id: compensation-off          # unique in the lesson
        title: Switch the compensation off
        scenario: PCM drift and global compensation   # a library scenario by name (assets/scenarios), and/or
        settings: {rel: {compensation: global}}        # settings as a scenario file's "tabs", applied after it
        tab: rel                      # the tab to open (a scenario TABS name)
        move: {compensation: none}    # the control(s) the student moves, by setting name, and the value to move to
        text: The explanation, with its equation and source.
        question: What happens to the accuracy at one year?
        choices: [It stays near 95 %, It falls by about 4 points, It falls to chance]
        correct: It falls by about 4 points            # one of the choices, as written
        answer: The measured figure, and why.

A step's `scenario` and `settings` (at least one) give the settings the step starts from; `move`
names settings of the step's tab (the names scenario files and the page's URL use after the tab's
prefix: ``xb.ir_drop``, ``programming.method``; the tab's view maps each to its control) with the
value the student is asked to set, which must differ from the one the step starts from. The
answer's figures are written in the text, not computed at load; tests/test_lessons.py recomputes
each one with the models at the step's settings and seed.

`parse_lesson` refuses a lesson with a `LessonError` naming the file and the first bad field (a
dotted path such as ``"steps[1].move.compensation"``) and what is allowed: a file larger than
`MAX_BYTES`, not UTF-8, without the header, malformed YAML, missing or unknown keys, wrong types,
empty text, ids that are not slugs or are repeated, a library scenario that does not exist, a tab,
setting or value a scenario file could not hold (checked by `explorer.models.scenario`), a move to
the value already set, fewer than two choices or a `correct` that is none of them. `load_lessons`
keeps the good files and lists the bad ones with their errors. The limits are this module's
choices, sized well above what a lesson needs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .scenario import FORMAT, TABS, VERSION, Scenario, ScenarioError, _check_tab, _plain, parse
from .scenario_library import Library, load_library

LESSONS_DIR = Path(__file__).resolve().parents[2] / "assets" / "lessons"
"""Where the lessons are: ``assets/lessons/`` of the project's repository (found relative to this
package, as the scenario library is)."""

NOT_INSTALLED = (
    "The lessons are assets/lessons/ in the project's repository "
    "(not found next to the app: a wheel ships the code only)."
)

MAX_BYTES = 64 * 1024
"""Largest lesson file read (a four-step lesson is a few kB)."""
MAX_STEPS = 12
"""Most steps in a lesson."""
MAX_CHOICES = 6
"""Most choices of a prediction question (at least two)."""
MAX_TEXT = 8_000
"""Longest text field (characters)."""

LESSON_KEYS = ("id", "title", "summary", "sources", "steps")
"""The keys of a lesson's header; all are required."""
STEP_KEYS = ("id", "title", "scenario", "settings", "tab", "move", "text", "question", "choices", "correct", "answer")
"""The keys of a step; all are required but one of `scenario` and `settings` may be left out."""
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""An id: lower-case letters and digits in words joined by "-" (it goes in the URL)."""


class LessonError(ValueError):
    """A lesson that cannot be read: `file` is its file name, `field` the dotted path of the first
    bad field (``"steps[0].move.compensation"``; ``""`` for the file as a whole); the message names
    both and what is allowed."""

    def __init__(self, file: str, field: str, message: str) -> None:
        self.file = file
        self.field = field
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Step:
    """One step of a lesson, checked. `scenario` is what "Open this step" applies (the library
    scenario with the step's `settings` over it, `tab` its tab to show); `move` maps setting names of
    `tab` to the value the student is asked to set; `correct` is the index of the right choice."""

    id: str
    index: int
    title: str
    tab: str
    scenario: Scenario
    move: Mapping[str, Any]
    text: str
    question: str
    choices: tuple[str, ...]
    correct: int
    answer: str
    scenario_name: str = ""

    def moved(self) -> Scenario:
        """The step's move as a scenario of its tab (apply it after `scenario` to make the move)."""
        values = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.move.items()}
        return Scenario(tabs=MappingProxyType({self.tab: MappingProxyType(values)}), tab=self.tab)

    @property
    def controls(self) -> tuple[str, ...]:
        """The setting names the student moves."""
        return tuple(self.move)


@dataclass(frozen=True)
class Lesson:
    """A lesson, checked: its header's fields, its `steps` in order and the Markdown after the header
    (`introduction`); `file` the name it was read from."""

    id: str
    title: str
    summary: str
    sources: tuple[str, ...]
    steps: tuple[Step, ...]
    file: str = ""
    introduction: str = ""

    def step(self, step_id: str) -> Step:
        """The step called `step_id`; KeyError naming the lesson's step ids otherwise."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(f"lesson {self.id!r} has no step {step_id!r}; its steps: {[s.id for s in self.steps]}")


@dataclass(frozen=True)
class Lessons:
    """The lessons as read: `entries` in file-name order, `skipped` the refused files as
    ``(file name, error message)``, `message` "" when the folder was found, else why not."""

    entries: tuple[Lesson, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    message: str = ""

    def ids(self) -> list[str]:
        return [lesson.id for lesson in self.entries]

    def get(self, lesson_id: str) -> Lesson:
        """The lesson with id `lesson_id`; KeyError naming the ids there are otherwise."""
        for lesson in self.entries:
            if lesson.id == lesson_id:
                return lesson
        raise KeyError(f"no lesson {lesson_id!r}; the lessons are: {self.ids()}")


# ------------------------------------------------------------------ reading


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader (plain data only) that refuses a key given twice in one mapping."""


def _mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    out: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(None, None, f"a key must be text, got {key!r}", key_node.start_mark)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is given twice", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


def _text(file: str, obj: Mapping, key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise LessonError(file, path, f"must be text, got {_type_name(value) if key in obj else 'nothing'}")
    value = value.strip()
    if not value:
        raise LessonError(file, path, "must not be empty")
    if len(value) > MAX_TEXT:
        raise LessonError(file, path, f"has {len(value):,} characters; at most {MAX_TEXT:,} allowed")
    return value


def _slug(file: str, obj: Mapping, key: str, path: str) -> str:
    value = _text(file, obj, key, path)
    if not SLUG.match(value) or len(value) > 64:
        raise LessonError(
            file, path, f"{json.dumps(value)[:70]} is not an id; allowed: lower-case letters and digits joined by '-'"
        )
    return value


def _keys(file: str, obj: Any, allowed: tuple[str, ...], path: str, what: str) -> None:
    if not isinstance(obj, dict):
        raise LessonError(file, path, f"{what} must be a mapping of keys, got {_type_name(obj)}")
    for key in obj:
        if key not in allowed:
            raise LessonError(file, f"{path}.{key}" if path else key, f"unknown key; allowed: {', '.join(allowed)}")


def _retarget(exc: ScenarioError, old: str, new: str) -> str:
    return new + exc.field[len(old) :] if exc.field.startswith(old) else new


def _step(file: str, obj: Any, index: int, library: Library) -> Step:
    path = f"steps[{index}]"
    _keys(file, obj, STEP_KEYS, path, "a step")
    step_id = _slug(file, obj, "id", f"{path}.id")
    title = _text(file, obj, "title", f"{path}.title")
    # the settings the step starts from: a library scenario, then the inline settings over it
    if "scenario" not in obj and "settings" not in obj:
        raise LessonError(file, f"{path}.scenario", "missing; give a library scenario's name, settings, or both")
    tabs: dict[str, dict[str, Any]] = {}
    name = ""
    if "scenario" in obj:
        name = _text(file, obj, "scenario", f"{path}.scenario")
        try:
            entry = library.get(name)
        except KeyError:
            raise LessonError(
                file,
                f"{path}.scenario",
                f"no library scenario {json.dumps(name)}; allowed: {', '.join(library.names())}",
            ) from None
        tabs = {tab: dict(values) for tab, values in entry.scenario.tabs.items()}
    if "settings" in obj:
        settings = obj["settings"]
        if not isinstance(settings, dict) or not settings:
            raise LessonError(
                file, f"{path}.settings", "must be a mapping of tab name -> settings, as a scenario's tabs"
            )
        try:
            inline = parse(json.dumps({"format": FORMAT, "version": VERSION, "tabs": settings}))
        except ScenarioError as exc:
            raise LessonError(file, _retarget(exc, "tabs", f"{path}.settings"), str(exc).split(": ", 1)[-1]) from None
        for tab, values in inline.tabs.items():
            tabs.setdefault(tab, {}).update(values)
    tab = _text(file, obj, "tab", f"{path}.tab")
    if tab not in TABS:
        raise LessonError(file, f"{path}.tab", f"no such tab {json.dumps(tab)[:40]}; allowed: {', '.join(TABS)}")
    # the move: settings of the step's tab, checked as a scenario file's, to a value not already set
    move = obj.get("move")
    if not isinstance(move, dict) or not move:
        raise LessonError(file, f"{path}.move", "must be a mapping of setting name -> value to move to (at least one)")
    try:
        checked = _check_tab(tab, move, "move")
    except ScenarioError as exc:
        raise LessonError(file, _retarget(exc, f"move.{tab}", f"{path}.move"), str(exc).split(": ", 1)[-1]) from None
    start = tabs.get(tab, {})
    for key, value in checked.items():
        before = start.get(key)
        if before is not None and (list(before) if isinstance(before, tuple) else before) == value:
            raise LessonError(
                file,
                f"{path}.move.{key}",
                f"the step already starts at {json.dumps(_plain(value))}; move to another value",
            )
    scenario = Scenario(
        tabs=MappingProxyType({t: MappingProxyType(v) for t, v in tabs.items()}), name=name or title, tab=tab
    )
    text = _text(file, obj, "text", f"{path}.text")
    question = _text(file, obj, "question", f"{path}.question")
    choices = obj.get("choices")
    if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
        raise LessonError(file, f"{path}.choices", f"must be a list of 2 to {MAX_CHOICES} answers")
    texts = []
    for i, c in enumerate(choices):
        if not isinstance(c, str) or not c.strip():
            raise LessonError(file, f"{path}.choices[{i}]", f"must be non-empty text, got {_type_name(c)}")
        if c.strip() in texts:
            raise LessonError(file, f"{path}.choices[{i}]", "repeats another choice; give each once")
        texts.append(c.strip())
    correct = obj.get("correct")
    if not isinstance(correct, str) or correct.strip() not in texts:
        raise LessonError(file, f"{path}.correct", "must be one of the choices, written as it is there")
    answer = _text(file, obj, "answer", f"{path}.answer")
    return Step(
        id=step_id,
        index=index,
        title=title,
        tab=tab,
        scenario=scenario,
        move=MappingProxyType({k: tuple(v) if isinstance(v, list) else v for k, v in checked.items()}),
        text=text,
        question=question,
        choices=tuple(texts),
        correct=texts.index(correct.strip()),
        answer=answer,
        scenario_name=name,
    )


def parse_lesson(data: str | bytes, file: str = "<lesson>", *, library: Library | None = None) -> Lesson:
    """A `Lesson` from the text or bytes of a lesson file called `file`, checked completely against
    the scenario `library` (default: `load_library()`); `LessonError` naming the file and the first
    bad field otherwise (module docstring)."""
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_BYTES:
            raise LessonError(file, "", f"the file has {len(data):,} bytes; at most {MAX_BYTES:,} allowed")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LessonError(file, "", f"not UTF-8 text (byte {exc.start})") from None
    if not isinstance(data, str):
        raise LessonError(file, "", f"a lesson is text, got {type(data).__name__}")
    if len(data.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
        raise LessonError(file, "", f"the file is larger than {MAX_BYTES:,} bytes; at most {MAX_BYTES:,} allowed")
    text = data.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise LessonError(file, "", "must start with a '---' line, then the YAML header, then a '---' line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise LessonError(file, "", "the header has no closing '---' line") from None
    try:
        header = yaml.load("\n".join(lines[1:end]), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise LessonError(file, "", f"the header is not valid YAML: {problem}{where}") from None
    _keys(file, header, LESSON_KEYS, "", "the header")
    for key in LESSON_KEYS:
        if key not in header:
            raise LessonError(file, key, "missing; a lesson has " + ", ".join(LESSON_KEYS))
    lesson_id = _slug(file, header, "id", "id")
    title = _text(file, header, "title", "title")
    summary = _text(file, header, "summary", "summary")
    sources = header["sources"]
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not sources:
        raise LessonError(file, "sources", "must be a list of one or more sources")
    for i, s in enumerate(sources):
        if not isinstance(s, str) or not s.strip():
            raise LessonError(file, f"sources[{i}]", f"must be non-empty text, got {_type_name(s)}")
    steps = header["steps"]
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise LessonError(file, "steps", f"must be a list of 1 to {MAX_STEPS} steps")
    library = load_library() if library is None else library
    checked = []
    for i, obj in enumerate(steps):
        step = _step(file, obj, i, library)
        if step.id in (s.id for s in checked):
            raise LessonError(
                file, f"steps[{i}].id", f"{step.id!r} is the id of an earlier step; give each step its own"
            )
        checked.append(step)
    return Lesson(
        id=lesson_id,
        title=title,
        summary=summary,
        sources=tuple(s.strip() for s in sources),
        steps=tuple(checked),
        file=file,
        introduction="\n".join(lines[end + 1 :]).strip(),
    )


def load_lesson(path: str | os.PathLike[str], *, library: Library | None = None) -> Lesson:
    """`parse_lesson` of a file on disk (its name is the error's `file`)."""
    name = Path(path).name
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise LessonError(name, "", f"could not be read ({exc.strerror or exc})") from None
    return parse_lesson(data, name, library=library)


def load_lessons(directory: str | os.PathLike[str] = LESSONS_DIR, *, library: Library | None = None) -> Lessons:
    """Every ``*.md`` file of `directory` read with `load_lesson`, in file-name order. A refused file
    is listed in `Lessons.skipped` with its error and the others still load; a second lesson with an
    id already read is refused (the URL names a lesson by id). A missing folder gives no lessons and
    a `message` saying where they are."""
    folder = Path(directory)
    if not folder.is_dir():
        return Lessons((), (), NOT_INSTALLED if folder == LESSONS_DIR else f"No lessons at {folder}.")
    library = load_library() if library is None else library
    entries: list[Lesson] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.md")):
        try:
            lesson = load_lesson(path, library=library)
        except LessonError as exc:
            skipped.append((path.name, str(exc)))
            continue
        if lesson.id in (e.id for e in entries):
            skipped.append(
                (path.name, str(LessonError(path.name, "id", f"{lesson.id!r} is already another lesson's id")))
            )
            continue
        entries.append(lesson)
    return Lessons(tuple(entries), tuple(skipped))


__all__ = [
    "LESSONS_DIR",
    "Lesson",
    "LessonError",
    "Lessons",
    "Step",
    "load_lesson",
    "load_lessons",
    "parse_lesson",
]
