"""One lock per explorer: a dashboard's callbacks may run in Panel's thread pool at once.

The explorers cache programmed arrays and briefly change read-time settings for
their sweeps; holding the explorer's own lock keeps two plots of one session
from seeing each other's half-made changes. Each session has its own explorer,
so sessions never wait on each other.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


def lock_of(obj: object) -> threading.RLock:
    """``obj._lock``, the explorer's RLock (created on first use)."""
    lock = obj.__dict__.get("_lock")
    return lock if lock is not None else obj.__dict__.setdefault("_lock", threading.RLock())


def serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run `method` holding the explorer's lock (`lock_of`)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with lock_of(self):
            return method(self, *args, **kwargs)

    return wrapper
