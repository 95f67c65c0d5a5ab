"""The scenario library (issue 24, item 2): named scenarios in ``assets/scenarios/*.json``, one per
demonstration of the seed document (PCM drift and its compensation, the differential pair's common
mode, bit slicing, program-and-verify against GDP under IR drop, bipolar reading, hardware-aware
training, Tiki-Taka against SGD, Flash wear), each a scenario file (`explorer.models.scenario`) with
a name, a one-paragraph description of what the reader will see, its source and the tab it opens.

Plain Python, no Panel: the header's **Scenarios** menu lists `load_library().entries` by name, and a
notebook can apply one the same way::

    library = load_library()
    entry = library.get("PCM drift and global compensation")
    apply(entry.scenario, {"rel": ReliabilityExplorer()})

Every file is read with `scenario.load` (so checked as an upload is); a file that fails is left out
and named, with its error, in `Library.skipped`, and the others are still offered. Files are listed
in the order of their names (a number prefix orders the menu).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .scenario import Scenario, ScenarioError, load

LIBRARY_DIR = Path(__file__).resolve().parents[2] / "assets" / "scenarios"
"""Where the library's files are: ``assets/scenarios/`` of the project's repository (found relative
to this package, as `explorer.app.PHYSICS_FILE` is)."""

NOT_INSTALLED = (
    "The scenario library is assets/scenarios/ in the project's repository (not found next to the app: "
    "a wheel ships the code only)."
)
"""The message when the library's folder is missing."""


@dataclass(frozen=True)
class LibraryEntry:
    """One library scenario: its file name (``"01-pcm-drift.json"``) and the parsed `Scenario`.
    `name` is the scenario's own name, or the file's stem when it has none."""

    file: str
    scenario: Scenario

    @property
    def name(self) -> str:
        return self.scenario.name or Path(self.file).stem


@dataclass(frozen=True)
class Library:
    """The library as read: `entries` in file-name order, `skipped` the files that failed as
    ``(file name, error message)``, and `message`: "" when the folder was found, else why not."""

    entries: tuple[LibraryEntry, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    message: str = ""

    def names(self) -> list[str]:
        """The entries' names, in menu order."""
        return [e.name for e in self.entries]

    def get(self, name: str) -> LibraryEntry:
        """The entry called `name`; KeyError naming the names there are otherwise."""
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(f"no library scenario {name!r}; the library has: {self.names()}")


def load_library(directory: str | os.PathLike[str] = LIBRARY_DIR) -> Library:
    """Every ``*.json`` file of `directory` read with `scenario.load`, in file-name order.

    A file that cannot be read or is refused (`ScenarioError`: the field and what is allowed) is
    skipped and listed in `Library.skipped` with its error; two files giving the same name keep the
    first, the second is skipped. A missing folder gives an empty library whose `message` says where
    the library is."""
    folder = Path(directory)
    if not folder.is_dir():
        return Library((), (), NOT_INSTALLED if folder == LIBRARY_DIR else f"No scenario library at {folder}.")
    entries: list[LibraryEntry] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.json")):
        try:
            entry = LibraryEntry(path.name, load(path))
        except ScenarioError as exc:
            skipped.append((path.name, str(exc)))
            continue
        except OSError as exc:
            skipped.append((path.name, f"could not be read ({exc.strerror or exc})"))
            continue
        if entry.name in (e.name for e in entries):
            skipped.append((path.name, f"name: {entry.name!r} is already the name of another library file"))
            continue
        entries.append(entry)
    return Library(tuple(entries), tuple(skipped))


__all__ = ["LIBRARY_DIR", "NOT_INSTALLED", "Library", "LibraryEntry", "load_library"]
