"""One lock per explorer: a dashboard's callbacks may run in Panel's thread pool at once.

The explorers cache programmed arrays and briefly change read-time settings for
their sweeps; holding the explorer's own lock keeps two plots of one session
from seeing each other's half-made changes. Each session has its own explorer,
so sessions never wait on each other.
"""

import functools
import threading


def lock_of(obj):
    """``obj._lock``, the explorer's RLock (created on first use)."""
    lock = obj.__dict__.get("_lock")
    return lock if lock is not None else obj.__dict__.setdefault("_lock", threading.RLock())


def serialized(method):
    """Run `method` holding the explorer's lock (`lock_of`)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with lock_of(self):
            return method(self, *args, **kwargs)
    return wrapper
