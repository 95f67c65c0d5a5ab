"""Settings snapshots, and the memo of results computed from them.

A `Settings` is an immutable snapshot ``name -> value`` of the settings a computation may read
(the read-time settings of a crossbar and its device, say). A `Memo` keeps results of named
computations; a result is served again when its name and arguments match and every setting
the computation *read* still has the value it had. Reads are recorded while the computation
runs, including the reads of memoized computations it calls, so nothing is keyed by hand: a
result can never be served for settings it depends on but a key forgot, and a result that does
not read a setting (device moments do not read the ADC bits) is reused when that setting moves.

    memo = Memo()
    s = Settings(adc_bits=8, ir_drop=False, wire_resistance_ohm=0.35)
    memo.get("loss", (t,), s, lambda s: compute_loss(t, s))   # records what compute_loss reads
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import numpy as np

_tracking = threading.local()


def _trackers():
    stack = getattr(_tracking, "stack", None)
    if stack is None:
        stack = _tracking.stack = []
    return stack


def _same(a, b):
    if a is b:
        return True
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


_NAN = ("nan",)


def _token(value):
    """A hashable stand-in of a setting's value, equal where `_same` finds two values the same
    (of one type and equal; NaN and NaN)."""
    if isinstance(value, float) and value != value:
        return _NAN
    return (type(value), value)


class _Variants:
    """The kept variants of one computation with one set of arguments, each with the settings it
    read (its `deps`), found by the values of those settings. Variants that read the same
    settings are found by one dictionary lookup instead of a comparison of every setting of
    every variant (a curve's key collects one variant per value of a dragged knob)."""

    __slots__ = ("by_names", "others")

    def __init__(self):
        self.by_names = {}  # the names read -> {their values' tokens -> deps}
        self.others = []  # deps whose tokens another deps already holds (two threads computed it)

    def add(self, deps):
        token = tuple(_token(v) for _, v in deps)
        bucket = self.by_names.setdefault(tuple(n for n, _ in deps), {})
        if token in bucket:
            self.others.append(deps)
        else:
            bucket[token] = deps

    def remove(self, deps):
        names, token = tuple(n for n, _ in deps), tuple(_token(v) for _, v in deps)
        bucket = self.by_names.get(names)
        if bucket is not None and bucket.get(token) is deps:
            del bucket[token]
            if not bucket:
                del self.by_names[names]
        else:
            self.others.remove(deps)

    def __bool__(self):
        return bool(self.by_names or self.others)

    def find(self, settings):
        """The deps of a variant whose settings all have the same values in `settings`, or None."""
        for names, by_values in self.by_names.items():
            try:
                deps = by_values.get(tuple(_token(settings.peek(n, _MISSING)) for n in names))
            except TypeError:  # an unhashable value now (a list): no kept variant holds it
                continue
            if deps is not None:
                return deps
        return None


class Settings(Mapping):
    """An immutable snapshot of named settings; reading one (``s.adc_bits`` or ``s["adc_bits"]``)
    is recorded by every `Memo` computation running in this thread."""

    __slots__ = ("_values", "_key")

    def __init__(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), **more: Any) -> None:
        object.__setattr__(self, "_values", {**dict(values), **more})
        object.__setattr__(self, "_key", None)

    def __getitem__(self, name):
        value = self._values[name]
        for used in _trackers():
            used[name] = value
        return value

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no setting named {name!r}; settings: {sorted(self._values)}") from None

    def __setattr__(self, name, value):
        raise AttributeError("Settings are immutable: use replace(...)")

    def __reduce__(self):
        # Pickled as its values (a model sent to a sweep's worker keeps its snapshot).
        return (Settings, (self._values,))

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def peek(self, name: str, default: Any = None) -> Any:
        """The value of `name` without recording the read."""
        return self._values.get(name, default)

    def key(self) -> tuple:
        """A hashable form of every value (lists become tuples), for keying what they determine
        (taken once: the snapshot does not change)."""

        def frozen(value):
            return tuple(frozen(v) for v in value) if isinstance(value, (list, tuple)) else value

        if self._key is None:
            key = tuple(sorted((name, frozen(value)) for name, value in self._values.items()))
            object.__setattr__(self, "_key", key)
        return self._key

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` applied (names must exist)."""
        unknown = sorted(set(changes) - set(self._values))
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; settings: {sorted(self._values)}")
        return Settings(self._values, **changes)

    def __repr__(self):
        return f"Settings({self._values!r})"


def nbytes(value: object) -> int:
    """Bytes held by the arrays in `value` (arrays, and tuples, lists and dicts of them)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    return 64


def _read_only(value):
    """`value` with every array in it made read-only."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, (list, tuple)):
        for v in value:
            _read_only(v)
    elif isinstance(value, dict):
        for v in value.values():
            _read_only(v)
    return value


class Memo:
    """Results of named computations, each kept with the settings it read; least recently used
    results are dropped above `max_bytes` or `max_entries` (one entry is always kept).

    The one cache of the app, at four levels: each programmed crossbar's read results
    (`ProgrammedCrossbar.memo`), each explorer's programmed arrays (`explorer.memo`), each
    view's plot data (`views._widgets.ResultMemo`) and the results every session of a server
    shares (`views._widgets.SharedResults`). The last three key their results by every input
    (`keyed`); the first records the settings each result reads (`get`). `read_only`: arrays in
    a kept result are made read-only (a result shared between sessions must not be changed by
    one of them).
    """

    def __init__(
        self,
        max_bytes: int = 16 * 2**20,
        max_entries: int = 64,
        limits: Mapping[str, int] | None = None,
        per_name: int | None = None,
        read_only: bool = False,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.limits = dict(limits or {})
        """Most results kept of the computations so named (name -> count), within the bounds."""
        self.per_name = per_name
        """Most results kept of a computation not named in `limits` (None: no limit)."""
        self.read_only = read_only
        self._lock = threading.RLock()
        self._entries = OrderedDict()  # (key, deps) -> (value, bytes), least recently used first
        self._deps = {}  # key -> its `_Variants`
        self._bytes = 0
        self._count = {}  # name -> kept results of that computation
        self._by_name = {}  # name -> its entries, least recently used first
        self.lookups = 0
        """Calls of `get` and `keyed` so far (the served app reports the shared memo's)."""
        self.hits = 0
        """Those calls answered with a kept result."""

    def get(self, name: str, args: Hashable, settings: Settings, compute: Callable[[Settings], Any]) -> Any:
        """``compute(settings)``, or the kept result of `name` with these `args` whose recorded
        settings all have the same values in `settings`. `args` must be hashable."""
        key = (name, args)
        with self._lock:
            self.lookups += 1
            variants = self._deps.get(key)
            deps = None if variants is None else variants.find(settings)
            if deps is not None:
                self.hits += 1
                self._entries.move_to_end((key, deps))
                self._by_name[name].move_to_end((key, deps))
                for used in _trackers():  # an enclosing computation read these too
                    used.update(deps)
                return self._entries[(key, deps)][0]
        used = {}
        stack = _trackers()
        stack.append(used)
        try:
            value = compute(settings)
        finally:
            stack.pop()
        for outer in stack:
            outer.update(used)
        if self.read_only:
            value = _read_only(value)
        self._store(key, tuple(sorted(used.items(), key=lambda item: item[0])), value)
        return value

    def find(self, name: str, args: Hashable, settings: Settings) -> Any:
        """The result `get` would return for `name`, `args` and `settings` if it is kept, else None;
        nothing is computed. A computation that builds on the found result (`get`'s `compute`)
        records the settings it read as its own."""
        key = (name, args)
        with self._lock:
            variants = self._deps.get(key)
            deps = None if variants is None else variants.find(settings)
            if deps is None:
                return None
            for used in _trackers():
                used.update(deps)
            return self._entries[(key, deps)][0]

    def keyed(self, name: str, args: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, or its kept result for `name` and `args`, where `args` (hashable) hold
        every input of the result: nothing is recorded while it computes (settings it reads
        are already in `args`, a programming-time snapshot key for instance)."""
        key = (name, args)
        with self._lock:
            self.lookups += 1
            if (key, ()) in self._entries:
                self.hits += 1
                self._entries.move_to_end((key, ()))
                self._by_name[name].move_to_end((key, ()))
                return self._entries[(key, ())][0]
        outside = _trackers()
        _tracking.stack = []  # reads while computing are covered by args: record none
        try:
            value = compute()
        finally:
            _tracking.stack = outside
        self._store(key, (), _read_only(value) if self.read_only else value)
        return value

    def peek(self, name: str, args: Hashable) -> Any:
        """The result kept by `keyed` for `name` and `args`, or None (nothing is computed)."""
        with self._lock:
            entry = self._entries.get(((name, args), ()))
            return None if entry is None else entry[0]

    def kept(self) -> list[tuple[str, Hashable, Any]]:
        """``(name, args, result)`` of every result kept by `keyed`, least recently used first: what a
        worker process sends back to the server (`explorer.workers`)."""
        with self._lock:
            return [(key[0], key[1], value) for (key, deps), (value, _) in self._entries.items() if deps == ()]

    def put(self, name: str, args: Hashable, value: Any) -> None:
        """Keep `value` as `keyed` would have for `name` and `args` (computed elsewhere: a worker
        process's result, `explorer.workers.seed`); a result already kept for them stays."""
        self._store((name, args), (), _read_only(value) if self.read_only else value)

    def _store(self, key, deps, value):
        with self._lock:
            if (key, deps) not in self._entries:
                size = nbytes(value)
                self._entries[(key, deps)] = (value, size)
                self._deps.setdefault(key, _Variants()).add(deps)
                self._bytes += size
                self._count[key[0]] = self._count.get(key[0], 0) + 1
                self._by_name.setdefault(key[0], OrderedDict())[(key, deps)] = None
                self._trim(key[0])

    def _trim(self, name):
        """Drop least recently used results above the bounds after a result of `name` was stored,
        but never the most recent result of a computation: a read needs its moments and its
        matrices together, even when they alone exceed `max_bytes` (a 512 x 512 array of two
        slices: 16 MB of moments and 4 MB of matrices per read time, `nbytes`). Within the bounds
        nothing is scanned: this runs at every store, and scanning every time was a noticeable
        share of an accuracy-versus-time curve's time (docs/results/reliability.md, "Speed")."""
        limit = self.limits.get(name, self.per_name)
        if limit is not None and self._count.get(name, 0) > limit:
            for entry in list(self._by_name[name])[: self._count[name] - limit]:
                self._drop(entry)
        if len(self._entries) <= self.max_entries and self._bytes <= self.max_bytes:
            return
        # Least recently used first: an entry whose computation has more results kept is not that
        # computation's most recent one, so it may go. Walk only as far as the excess needs.
        victims, count, size, taken = [], len(self._entries), self._bytes, {}
        for entry, (_, nbytes_) in self._entries.items():
            if count <= self.max_entries and size <= self.max_bytes:
                break
            name_ = entry[0][0]
            if self._count[name_] - taken.get(name_, 0) > 1:
                victims.append(entry)
                taken[name_] = taken.get(name_, 0) + 1
                count, size = count - 1, size - nbytes_
        for entry in victims:
            self._drop(entry)

    def _drop(self, entry):
        key, deps = entry
        _, size = self._entries.pop(entry)
        self._bytes -= size
        self._count[key[0]] -= 1
        del self._by_name[key[0]][entry]
        self._deps[key].remove(deps)
        if not self._deps[key]:
            del self._deps[key]

    def forget(self, names: Iterable[str]) -> None:
        """Drop the kept results of the computations named in `names`."""
        with self._lock:
            for entry in [e for e in self._entries if e[0][0] in names]:
                self._drop(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._deps.clear()
            self._bytes = 0
            self._count.clear()
            self._by_name.clear()

    def __len__(self):
        return len(self._entries)

    def counts(self) -> dict:
        """``lookups`` and ``hits`` so far, and the ``entries`` and ``bytes`` kept now."""
        with self._lock:
            return dict(lookups=self.lookups, hits=self.hits, entries=len(self._entries), bytes=self._bytes)


_MISSING = object()
