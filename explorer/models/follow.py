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
- `Channel` holds only the latest `Snapshot` (immutable) and its version, behind a lock. Followers
  read the version and apply a newer snapshot; they never write to the channel.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

SECRET_ENV = "ANALOG_EXPLORER_LECTURER_SECRET"
"""The environment variable holding the lecturer's secret on the server."""

MIN_INTERVAL_S = 1.0
"""Seconds between two tries of a secret in one session (guessing is slow)."""


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


@dataclass(frozen=True)
class Snapshot:
    """What the lecturer broadcast: `scenario` (scenario-file JSON text of every tab's settings,
    `explorer.models.scenario.to_json`), the visible `tab` (index of the page's tabs) and the channel's
    `version` when it was published (1, 2, ...)."""

    version: int
    scenario: str
    tab: int


class Channel:
    """The server-wide broadcast: the latest `Snapshot` only, replaced whole under a lock (readers
    get an immutable object; there is nothing else to share)."""

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

    def _publish(self, scenario: str, tab: int) -> Snapshot:
        # Private: only `Lecturer.publish`, which checks the session's flag, calls it.
        if not isinstance(scenario, str):
            raise TypeError(f"scenario must be scenario-file JSON text, got {type(scenario).__name__}")
        if not isinstance(tab, int) or tab < 0:
            raise ValueError(f"tab must be a tab index >= 0, got {tab!r}")
        with self._changed:
            snap = Snapshot(self.version + 1, scenario, tab)
            self._latest = snap
            self._changed.notify_all()
        return snap

    def wait_newer(self, version: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a snapshot newer than `version`; whether there is one.
        Followers wait here, woken by each publication, rather than polling."""
        with self._changed:
            return self._changed.wait_for(lambda: self.version > version, timeout=timeout)


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

    def publish(self, channel: Channel, scenario: str, tab: int) -> Snapshot | None:
        """Put this session's view on `channel`, if this session is the lecturer's; else nothing is
        published and None returned."""
        if not self.__unlocked:
            return None
        return channel._publish(scenario, tab)


__all__ = [
    "MIN_INTERVAL_S",
    "SECRET_ENV",
    "Channel",
    "Lecturer",
    "Snapshot",
    "lecturer_secret",
    "read_secret_file",
]
