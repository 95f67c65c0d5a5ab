"""One lock per explorer: a dashboard's callbacks may run in Panel's thread pool at once.

The explorers cache programmed arrays and briefly change read-time settings for
their sweeps; holding the explorer's own lock keeps two plots of one session
from seeing each other's half-made changes. Each session has its own explorer,
so sessions never wait on each other.
"""

import functools
import threading


def serialized(method):
    """Run `method` holding ``self._lock`` (an RLock created on first use)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        lock = self.__dict__.get("_lock")
        if lock is None:
            lock = self.__dict__.setdefault("_lock", threading.RLock())
        with lock:
            return method(self, *args, **kwargs)
    return wrapper
