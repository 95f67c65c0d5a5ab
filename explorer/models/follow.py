"""Following the lecturer (issue 25, item 2): the lecturer's secret, the check of a typed secret, and
the server-wide channel that carries the lecturer's view to the students who follow.

The pieces are plain Python so that tests check them without a server:

- `lecturer_secret` reads the secret the server was started with (``ANALOG_EXPLORER_LECTURER_SECRET``,
  set by ``analog-explorer --lecturer-secret-file`` or by the environment). It is never sent to a page,
  put in a URL or logged.
- `Lecturer` is one session's lecturer state. Its flag is a private attribute set only by `unlock`
  with the right secret (compared in constant time, `hmac.compare_digest`; at most one try per
  `Lecturer.min_interval` seconds), never by a widget value, so nothing a page sends over the
  websocket can make a session the lecturer's. `Lecturer.publish` refuses without the flag.
- `Channel` holds only the latest `Snapshot` (immutable) and its version, behind a lock, in one
  server process. Followers read the version and apply a newer snapshot; they never write to the
  channel.
- `FileChannel` is the same channel for several server processes on one machine (``panel serve
  --num-procs N``, or several ``analog-explorer`` processes behind a proxy): the latest snapshot is a
  small JSON file, replaced whole (``os.replace``, atomic on one file system) under an exclusive lock
  (``fcntl.flock``) that numbers the versions across processes; one thread per process looks at the
  file every `POLL_S` seconds and wakes the process's followers. Only `Lecturer.publish` writes it, as
  before, and a file this server's user does not own is not read.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

SECRET_ENV = "ANALOG_EXPLORER_LECTURER_SECRET"
"""The environment variable holding the lecturer's secret on the server."""

MIN_INTERVAL_S = 1.0
"""Seconds between two tries of a secret in one session (guessing is slow)."""

CHANNEL_ENV = "ANALOG_EXPLORER_FOLLOW_CHANNEL"
"""The environment variable naming the channel file shared by several server processes (set by
``analog-explorer --num-procs N`` or ``--follow-channel PATH``); unset: one process, `Channel`."""

POLL_S = 0.05
"""Seconds between two looks at the channel file (`FileChannel`): a snapshot published in another
process reaches this one's followers within this time plus the applying (issue 25: within 1 s). A
look is one ``os.stat``; the file is read only when it changed."""


def lecturer_secret(environ: Mapping[str, str] | None = None) -> str:
    """The lecturer's secret the server was started with ("" when none: nobody can broadcast)."""
    return (os.environ if environ is None else environ).get(SECRET_ENV, "")


def read_secret_file(path: str) -> str:
    """The secret in file `path`: its text without surrounding white space. A missing, unreadable or
    empty file is refused with the option named."""
    try:
        with open(path, encoding="utf-8") as f:
            secret = f.read().strip()
    except OSError as exc:
        raise ValueError(f"--lecturer-secret-file: cannot read {path!r} ({exc.strerror})") from None
    if not secret:
        raise ValueError(f"--lecturer-secret-file: {path!r} is empty; it must hold the secret")
    return secret


def channel_path(environ: Mapping[str, str] | None = None) -> str:
    """The channel file several server processes share ("" when none: one process's `Channel`)."""
    return (os.environ if environ is None else environ).get(CHANNEL_ENV, "")


@dataclass(frozen=True)
class Snapshot:
    """What the lecturer broadcast: `scenario` (scenario-file JSON text of every tab's settings,
    `explorer.models.scenario.to_json`), the visible `tab` (index of the page's tabs), the open lesson
    step (`lesson`, the lesson's id, and `step`, from 1; "" and 0 when no lesson is open) and the
    channel's `version` when it was published (1, 2, ...).

    `opening` marks a snapshot published as the lecturer's step starts to open: its `scenario` and
    `tab` are still the previous view's, and a follower opens the step (whose settings and tab are
    the same on every page) rather than applying them; the lecturer's full view follows once open."""

    version: int
    scenario: str
    tab: int
    lesson: str = ""
    step: int = 0
    opening: bool = False


def _checked(scenario: object, tab: object, lesson: object, step: object, opening: object = False) -> None:
    """Refuse a snapshot's fields of the wrong kind, naming the field."""
    if not isinstance(scenario, str):
        raise TypeError(f"scenario must be scenario-file JSON text, got {type(scenario).__name__}")
    if not isinstance(tab, int) or isinstance(tab, bool) or tab < 0:
        raise ValueError(f"tab must be a tab index >= 0, got {tab!r}")
    if not isinstance(lesson, str):
        raise TypeError(f"lesson must be a lesson id (text, '' for none), got {type(lesson).__name__}")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0 or (step == 0) != (lesson == ""):
        raise ValueError(f"step must be a step number >= 1 with a lesson, 0 without one; got {step!r}")
    if not isinstance(opening, bool):
        raise TypeError(f"opening must be True or False, got {opening!r}")


class Channel:
    """One server process's broadcast: the latest `Snapshot` only, replaced whole under a lock (readers
    get an immutable object; there is nothing else to share). Several processes: `FileChannel`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._latest: Snapshot | None = None

    @property
    def latest(self) -> Snapshot | None:
        """The latest snapshot (None before the first broadcast)."""
        return self._latest

    @property
    def version(self) -> int:
        """The latest snapshot's version (0 before the first broadcast)."""
        latest = self._latest
        return 0 if latest is None else latest.version

    def _publish(self, scenario: str, tab: int, lesson: str = "", step: int = 0, opening: bool = False) -> Snapshot:
        # Private: only `Lecturer.publish`, which checks the session's flag, calls it.
        _checked(scenario, tab, lesson, step, opening)
        with self._changed:
            snap = Snapshot(self.version + 1, scenario, tab, lesson, step, opening)
            self._latest = snap
            self._changed.notify_all()
        return snap

    def wait_newer(self, version: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a snapshot newer than `version`; whether there is one.
        Followers wait here, woken by each publication, rather than polling."""
        with self._changed:
            return self._changed.wait_for(lambda: self.version > version, timeout=timeout)


class FileChannel(Channel):
    """The channel shared by the server processes of one machine through file `path` (see the module's
    docstring). Same interface as `Channel`; `poll` is the seconds between two looks at the file.
    POSIX only (``fcntl``, file owners): the lab machines run Linux.

    Versions only grow: a file replaced by hand with a lower version is not applied (remove the file
    only between classes, with the servers stopped)."""

    def __init__(self, path: str, *, poll: float = POLL_S) -> None:
        super().__init__()
        if os.name != "posix":
            raise ValueError(f"path: a channel file needs a POSIX system (file locks and owners), not {os.name!r}")
        if not isinstance(path, str) or not path:
            raise ValueError(f"path must name the channel file, got {path!r}")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise ValueError(f"path: the channel file's directory {directory!r} does not exist")
        if not poll > 0:
            raise ValueError(f"poll must be a number of seconds > 0, got {poll!r}")
        self.path = os.path.abspath(path)
        self.poll = float(poll)
        self._stamp: tuple[int, int, int] | None = None
        self._poller_pid = 0  # the process whose poller runs (a fork has none: it starts its own)

    @property
    def latest(self) -> Snapshot | None:
        self._refresh()
        self._ensure_poller()
        return self._latest

    def _read(self) -> Snapshot | None:
        """The snapshot in the file (None when there is none, or it is not this user's, or malformed)."""
        try:
            with open(self.path, encoding="utf-8") as f:
                if os.fstat(f.fileno()).st_uid != os.getuid():
                    log.warning("follow channel %s is not this server's user's: ignored", self.path)
                    return None
                data = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("follow channel %s could not be read: %s", self.path, exc)
            return None
        try:
            version = data["version"]
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise ValueError(f"version must be an integer >= 1, got {version!r}")
            _checked(data["scenario"], data["tab"], data["lesson"], data["step"], data["opening"])
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("follow channel %s holds no snapshot: %s", self.path, exc)
            return None
        return Snapshot(version, data["scenario"], data["tab"], data["lesson"], data["step"], data["opening"])

    def _refresh(self) -> bool:
        """Read the file if it changed since the last look; whether a newer snapshot came (then the
        followers waiting in `wait_newer` are woken)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return False
        snap = self._read()
        with self._changed:
            self._stamp = stamp
            if snap is None or snap.version <= self.version:
                return False
            self._latest = snap
            self._changed.notify_all()
        return True

    def _ensure_poller(self) -> None:
        pid = os.getpid()
        if self._poller_pid == pid:
            return
        with self._lock:
            if self._poller_pid == pid:
                return
            self._poller_pid = pid
        threading.Thread(target=self._poll_loop, name="explorer-follow-channel", daemon=True).start()

    def _poll_loop(self) -> None:
        pid = os.getpid()
        while self._poller_pid == pid:
            time.sleep(self.poll)
            try:
                self._refresh()
            except Exception:  # a bad look must not end the process's following
                log.exception("follow channel %s: look failed", self.path)

    def _publish(self, scenario: str, tab: int, lesson: str = "", step: int = 0, opening: bool = False) -> Snapshot:
        import fcntl  # POSIX (the lab machines' Linux); the one-process `Channel` needs none

        _checked(scenario, tab, lesson, step, opening)
        with open(self.path + ".lock", "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # one publisher at a time, across processes
            on_file = self._read()
            version = max(self.version, 0 if on_file is None else on_file.version) + 1
            snap = Snapshot(version, scenario, tab, lesson, step, opening)
            fd, tmp = tempfile.mkstemp(prefix=".follow-", dir=os.path.dirname(self.path))  # mode 0600
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    fields = {"scenario": scenario, "tab": tab, "lesson": lesson, "step": step, "opening": opening}
                    json.dump({"version": version, **fields}, f)
                os.replace(tmp, self.path)  # readers see the old file or the new one, never a part
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        with self._changed:
            if snap.version > self.version:
                self._latest = snap
            self._changed.notify_all()
        self._ensure_poller()
        return snap

    def wait_newer(self, version: int, timeout: float) -> bool:
        self._ensure_poller()
        return super().wait_newer(version, timeout)


class Lecturer:
    """One session's lecturer state: locked until `unlock` is given the server's secret.

    `secret` is the server's secret ("" disables lecturing); `clock` gives seconds (monotonic) and
    `min_interval` the seconds between two tries."""

    def __init__(
        self, secret: str, *, clock: Callable[[], float] = time.monotonic, min_interval: float = MIN_INTERVAL_S
    ) -> None:
        self.__secret = secret
        self.__unlocked = False
        self._clock = clock
        self._min_interval = float(min_interval)
        self._last_try: float | None = None

    @property
    def enabled(self) -> bool:
        """Whether the server has a lecturer's secret at all."""
        return bool(self.__secret)

    @property
    def unlocked(self) -> bool:
        """Whether this session typed the right secret."""
        return self.__unlocked

    def unlock(self, typed: str) -> tuple[bool, str]:
        """Try secret `typed`: (True, message) when it is the server's, else (False, the reason). A try
        within `min_interval` seconds of the previous one is refused unchecked."""
        if not self.__secret:
            return False, "This server was started without a lecturer's secret."
        now = self._clock()
        if self._last_try is not None and now - self._last_try < self._min_interval:
            return False, f"Too many tries: wait {self._min_interval:g} s between two."
        self._last_try = now
        if not isinstance(typed, str) or not typed:
            return False, "Type the lecturer's secret."
        if hmac.compare_digest(typed.encode("utf-8"), self.__secret.encode("utf-8")):
            self.__unlocked = True
            return True, "Lecturer: you can broadcast your view."
        return False, "Wrong secret."

    def publish(
        self, channel: Channel, scenario: str, tab: int, lesson: str = "", step: int = 0, opening: bool = False
    ) -> Snapshot | None:
        """Put this session's view on `channel` (settings, tab, lesson step or "" and 0, and whether the
        step is only opening: `Snapshot`), if this session is the lecturer's; else nothing is published
        and None returned."""
        if not self.__unlocked:
            return None
        return channel._publish(scenario, tab, lesson, step, opening)


__all__ = [
    "CHANNEL_ENV",
    "MIN_INTERVAL_S",
    "POLL_S",
    "SECRET_ENV",
    "Channel",
    "FileChannel",
    "Lecturer",
    "Snapshot",
    "channel_path",
    "lecturer_secret",
    "read_secret_file",
]
