"""The files every page reads when it opens (the lessons, the scenario library, the physics reference),
parsed once per server process and shared by its sessions while the files stay as they are.

Why: each browser session runs the app's script, and parsing the lessons (every lesson checked
against the scenario library) and the library on each page cost the server's one event-loop thread
time that thirty students opening the app at once queue behind (docs/results/opening.md). The parsed
results are immutable (frozen dataclasses, tuples and read-only mappings: `explorer.models.lessons`,
`explorer.models.scenario_library`), so sessions can share one object.

A changed file is still seen: each result is kept with the *signature* of the files it was read from
(every file's name, size and modification time in nanoseconds, one ``os.scandir`` of each folder); a
page opened after a lecturer adds, removes or edits a lesson or scenario file gets a fresh parse, and
pages opened before keep the lessons they showed. The store lives in `pn.state.cache` (Panel's
per-process store, as `explorer.views._widgets.SharedResults` does), not in a module variable.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import panel as pn

from ..models.lessons import LESSONS_DIR, Lessons, load_lessons
from ..models.scenario_library import LIBRARY_DIR, Library, load_library

CACHE_KEY = "analog-explorer parsed files"
"""The key of this process's `ParsedFiles` in `pn.state.cache`."""


def signature(folder: str | os.PathLike[str], suffix: str) -> tuple:
    """The files of `folder` whose names end in `suffix`, as sorted ``(name, size, mtime_ns)``;
    ``("missing",)`` when the folder cannot be listed. Equal signatures: the same files, unchanged
    (as far as their size and modification time tell)."""
    try:
        with os.scandir(folder) as entries:
            files = []
            for entry in entries:
                if entry.name.endswith(suffix) and entry.is_file():
                    st = entry.stat()
                    files.append((entry.name, st.st_size, st.st_mtime_ns))
    except OSError:
        return ("missing",)
    return tuple(sorted(files))


def file_signature(path: str | os.PathLike[str]) -> tuple:
    """``(size, mtime_ns)`` of one file, or ``("missing",)``."""
    try:
        st = os.stat(path)
    except OSError:
        return ("missing",)
    return (st.st_size, st.st_mtime_ns)


class ParsedFiles:
    """Parsed results by kind, each with the signature of the files it was read from (`get`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[Hashable, Any]] = {}
        self.parses = 0
        """How many times a `parse` ran (a test counts them)."""

    def get(self, kind: str, sig: Hashable, parse: Callable[[], Any]) -> Any:
        """The result kept for `kind` if it was read from files of signature `sig`, else `parse()`
        (kept in its place). Two sessions asking at once for a changed file may both parse it; the
        results are equal."""
        with self._lock:
            kept = self._kept.get(kind)
        if kept is not None and kept[0] == sig:
            return kept[1]
        value = parse()
        with self._lock:
            self._kept[kind] = (sig, value)
            self.parses += 1
        return value


def parsed_files() -> ParsedFiles:
    """This process's `ParsedFiles` (created on first use in `pn.state.cache`)."""
    return pn.state.cache.setdefault(CACHE_KEY, ParsedFiles())


def page_library(folder: str | os.PathLike[str] = LIBRARY_DIR) -> Library:
    """`load_library(folder)`, parsed again only when a ``*.json`` file of `folder` changed."""
    return parsed_files().get(f"library {Path(folder)}", signature(folder, ".json"), lambda: load_library(folder))


def page_lessons(
    folder: str | os.PathLike[str] = LESSONS_DIR, library: str | os.PathLike[str] = LIBRARY_DIR
) -> Lessons:
    """`load_lessons(folder)` checked against the library of `library`, parsed again only when a
    lesson (``*.md``) or a library file changed (a lesson names library scenarios)."""
    sig = (signature(folder, ".md"), signature(library, ".json"))
    return parsed_files().get(
        f"lessons {Path(folder)} {Path(library)}",
        sig,
        lambda: load_lessons(folder, library=page_library(library)),
    )


def page_text(path: str | os.PathLike[str], read: Callable[[], str]) -> str:
    """`read()` (the text of the file `path`, or a note when it is missing), read again only when
    the file changed."""
    return parsed_files().get(f"text {Path(path)}", file_signature(path), read)


__all__ = [
    "CACHE_KEY",
    "ParsedFiles",
    "file_signature",
    "page_lessons",
    "page_library",
    "page_text",
    "parsed_files",
    "signature",
]
