"""The class's predictions (issue 25, item 3): each student's answer to a lesson step's prediction
question, kept in an embedded SQLite file so that the lecturer sees the class's distribution as it
arrives, a server restart loses nothing, and a lesson's answers can be exported as CSV.

Plain Python (the standard library's ``sqlite3``), no Panel: the app
(`explorer.views.predictions`) records answers and shows the lecturer the distribution, a notebook
reads the same file::

    store = PredictionStore("~/.local/share/analog-explorer/predictions.sqlite")
    store.distribution("pcm-drift", "compensation-off")   # (3, 17, 2): answers per choice
    print(store.export_csv("pcm-drift"))

What is stored, and nothing else: one row per (lesson id, step id, browser id) with the chosen
choice's index and the UTC time of the answer. The browser id is a random number the student's
browser draws once and keeps (`BROWSER_ID`: 32 hexadecimal digits); it groups one browser's answers
so that a changed answer replaces the earlier one, and identifies no one. A browser's newer answer
to a step replaces its older one (the later time wins, whichever server process writes it).

Sharing: every call opens its own connection (so Panel's threads never share one) and the file is
in SQLite's write-ahead-log mode, so that readers do not wait for a writer and a second server
process can use the same file; a writer waits up to `BUSY_TIMEOUT_S` for another's transaction.

Answers are checked against the lessons the store was given (`explorer.models.lessons`): an unknown
lesson, step or choice, or a browser id of another format, is refused with a `PredictionError`
naming the argument and what is allowed. Answers refer to choices by index: a lesson file whose
choices are edited changes what earlier answers mean, so export them first.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from .lessons import Lesson, Lessons, Step, load_lessons

DB_ENV = "ANALOG_EXPLORER_PREDICTIONS_DB"
"""The environment variable naming the server's predictions file (`analog-explorer --predictions-db`)."""

APP_DIR = "analog-explorer"
DB_NAME = "predictions.sqlite"

BROWSER_ID = re.compile(r"^[0-9a-f]{32}$")
"""A browser id: 32 lower-case hexadecimal digits (128 random bits drawn by the browser)."""

BUSY_TIMEOUT_S = 5.0
"""Seconds a write waits for another connection's transaction before giving up (this module's choice:
a write takes milliseconds)."""

SCHEMA_VERSION = 1
"""The file's layout version (SQLite's ``user_version``)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    lesson TEXT NOT NULL,
    step TEXT NOT NULL,
    browser TEXT NOT NULL,
    choice INTEGER NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (lesson, step, browser)
)
"""

COUNT_COLUMNS = ("lesson", "step", "step_number", "question", "choice", "choice_text", "correct", "count")
"""The columns of `PredictionStore.export_csv`: one row per step and choice."""
ANSWER_COLUMNS = (
    "lesson",
    "step",
    "step_number",
    "question",
    "choice",
    "choice_text",
    "correct",
    "answered_at",
    "browser",
)
"""The columns of `PredictionStore.export_csv(per_answer=True)`: one row per stored answer."""


class PredictionError(ValueError):
    """A refused argument: `field` names it (``"lesson"``, ``"step"``, ``"choice"``, ``"browser"``,
    ``"path"``); the message says what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """The predictions file when none is given: ``$XDG_DATA_HOME/analog-explorer/predictions.sqlite``,
    or ``~/.local/share/analog-explorer/predictions.sqlite`` when that variable is unset, empty or a
    relative path (the XDG Base Directory specification's default and rule)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path(env.get("HOME", "~")).expanduser() / ".local" / "share"
    return root / APP_DIR / DB_NAME


def server_path(environ: Mapping[str, str] | None = None) -> Path:
    """The server's predictions file: `DB_ENV` when set (``analog-explorer --predictions-db`` sets it),
    else `default_path`."""
    env = os.environ if environ is None else environ
    given = env.get(DB_ENV, "")
    return Path(given).expanduser() if given else default_path(env)


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the millisecond (``2026-12-06T17:30:00.123+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class PredictionStore:
    """The answers in the SQLite file `path` (created with its folders on first use), checked against
    `lessons` (default: `load_lessons()`). `clock` gives the UTC time stamp of an answer.

    Constructing one touches no file (the app creates one per server process in ``pn.state.cache``;
    a constructed spare is simply dropped); `check` creates the file and its table at once."""

    def __init__(
        self, path: str | os.PathLike[str], lessons: Lessons | None = None, *, clock: Callable[[], str] = utc_now
    ) -> None:
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise PredictionError("path", f"must be a file path, got {path!r}")
        self.path = Path(path).expanduser()
        self.lessons = load_lessons() if lessons is None else lessons
        self._clock = clock
        self._lock = threading.Lock()  # guards the one-off creation of the file's table
        self._ready = False
        self._changed = threading.Condition()
        self._version = 0  # answers recorded through this store (this process)

    # ------------------------------------------------------------------ the file

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        return conn

    def check(self) -> Path:
        """Create the file (and its folders) and its table if missing, and write to it once; the file's
        path. A path that cannot be created or written is refused with a `PredictionError` ("path")."""
        with self._lock:
            if self._ready:
                return self.path
            # SQLite may answer "database is locked" at once, without waiting for the busy timeout, when
            # waiting could deadlock (its documentation of sqlite3_busy_handler): another store on the
            # file (a second server process) writing while this one opens it. Such a refusal is tried
            # again until the busy timeout has passed.
            deadline = time.monotonic() + BUSY_TIMEOUT_S
            while True:
                try:
                    self._create()
                    break
                except (OSError, sqlite3.Error) as exc:
                    refused = isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
                    if refused and time.monotonic() < deadline:
                        time.sleep(0.01)
                        continue
                    reason = getattr(exc, "strerror", None) or str(exc)
                    raise PredictionError("path", f"cannot create or write {str(self.path)!r} ({reason})") from None
            self._ready = True
        return self.path

    def _create(self) -> None:
        """The file (and its folders), its write-ahead-log mode and its table, and one write."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":  # reading the mode takes no lock
                conn.execute("PRAGMA journal_mode = WAL")  # kept in the file: readers never wait for a writer
            conn.execute(SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")  # a write: fails on a read-only file

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        self.check()
        with closing(self._connect()) as conn:
            return conn.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ arguments

    def _lesson(self, lesson: str) -> Lesson:
        if not isinstance(lesson, str):
            raise PredictionError("lesson", f"must be a lesson id (text), got {type(lesson).__name__}")
        try:
            return self.lessons.get(lesson)
        except KeyError:
            raise PredictionError("lesson", f"no lesson {lesson!r}; allowed: {', '.join(self.lessons.ids())}") from None

    def _step(self, lesson: Lesson, step: str | int) -> Step:
        """A step by its id, or by its index (from 0) in the lesson."""
        if isinstance(step, bool) or not isinstance(step, (str, int)):
            raise PredictionError("step", f"must be a step id or index, got {type(step).__name__}")
        if isinstance(step, int):
            if not 0 <= step < len(lesson.steps):
                raise PredictionError(
                    "step", f"lesson {lesson.id!r} has steps 0 to {len(lesson.steps) - 1} (index), got {step}"
                )
            return lesson.steps[step]
        try:
            return lesson.step(step)
        except KeyError:
            ids = ", ".join(s.id for s in lesson.steps)
            raise PredictionError("step", f"lesson {lesson.id!r} has no step {step!r}; allowed: {ids}") from None

    # ------------------------------------------------------------------ writing and reading

    def record(self, lesson: str, step: str | int, browser: str, choice: int) -> None:
        """Store browser `browser`'s answer `choice` (index of the step's choices, from 0) to step
        `step` (id, or index from 0) of lesson `lesson`, replacing that browser's earlier answer to the
        step (a later time stamp wins)."""
        found = self._lesson(lesson)
        st = self._step(found, step)
        if not isinstance(browser, str) or not BROWSER_ID.match(browser):
            raise PredictionError("browser", "must be 32 lower-case hexadecimal digits (the browser's random id)")
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(st.choices):
            raise PredictionError(
                "choice", f"step {st.id!r} has choices 0 to {len(st.choices) - 1} (index), got {choice!r}"
            )
        self._run(
            "INSERT INTO answers (lesson, step, browser, choice, answered_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (lesson, step, browser) DO UPDATE SET choice = excluded.choice, "
            "answered_at = excluded.answered_at WHERE excluded.answered_at >= answers.answered_at",
            (found.id, st.id, browser, choice, self._clock()),
        )
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    @property
    def version(self) -> int:
        """How many answers this store (this server process) has recorded: it grows with each."""
        return self._version

    def wait_newer(self, version: int, timeout: float) -> int:
        """Wait up to `timeout` seconds for an answer recorded through this store after `version`; the
        version then. The lecturer's page waits here, woken by each answer of its own server process
        (another process's answers are seen by reading the file, at the latest after `timeout`)."""
        with self._changed:
            self._changed.wait_for(lambda: self._version > version, timeout=timeout)
            return self._version

    def distribution(self, lesson: str, step: str | int) -> tuple[int, ...]:
        """How many browsers chose each of the step's choices (a count per choice, in order)."""
        found = self._lesson(lesson)
        st = self._step(found, step)
        counts = [0] * len(st.choices)
        rows = self._run(
            "SELECT choice, COUNT(*) FROM answers WHERE lesson = ? AND step = ? GROUP BY choice", (found.id, st.id)
        )
        for choice, n in rows:
            if 0 <= choice < len(counts):  # an answer to a choice the edited lesson no longer has is left out
                counts[choice] = n
        return tuple(counts)

    def export_csv(self, lesson: str, *, per_answer: bool = False) -> str:
        """Lesson `lesson`'s answers as CSV text (a header line, then one row per observation).

        The default is the class's counts, `COUNT_COLUMNS`: one row per step and choice, the choices
        no one chose with count 0, so that the file holds every step's whole distribution. With
        `per_answer`, `ANSWER_COLUMNS`: one row per stored answer (a browser's latest to each step),
        with its UTC time and browser id, for following one browser across the steps. `step` is the
        step's id, `step_number` counts from 1 as the page does, `choice` is the index from 0 and
        `correct` is 1 for the measured answer, else 0."""
        found = self._lesson(lesson)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if not per_answer:
            writer.writerow(COUNT_COLUMNS)
            for st in found.steps:
                counts = self.distribution(found.id, st.id)
                for i, text in enumerate(st.choices):
                    writer.writerow(
                        (found.id, st.id, st.index + 1, st.question, i, text, int(i == st.correct), counts[i])
                    )
            return out.getvalue()
        writer.writerow(ANSWER_COLUMNS)
        rows = self._run(
            "SELECT step, choice, answered_at, browser FROM answers WHERE lesson = ? ORDER BY answered_at, browser",
            (found.id,),
        )
        steps = {st.id: st for st in found.steps}
        for step_id, choice, answered_at, browser in rows:
            st = steps.get(step_id)
            if st is None or not 0 <= choice < len(st.choices):
                continue  # a step or choice the edited lesson no longer has
            writer.writerow(
                (
                    found.id,
                    st.id,
                    st.index + 1,
                    st.question,
                    choice,
                    st.choices[choice],
                    int(choice == st.correct),
                    answered_at,
                    browser,
                )
            )
        return out.getvalue()


__all__ = [
    "ANSWER_COLUMNS",
    "BROWSER_ID",
    "COUNT_COLUMNS",
    "DB_ENV",
    "PredictionError",
    "PredictionStore",
    "default_path",
    "server_path",
    "utc_now",
]
