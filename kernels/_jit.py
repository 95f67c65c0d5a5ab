"""One place for the Numba compile flags used by every kernel.

`cache=True` so that a restarted server loads compiled code from disk instead of
recompiling; `nogil=True` so that kernels called from Panel's thread pool run
side by side for different browser sessions. The fastmath set leaves out
``nnan`` and ``ninf`` so that NaN checks and infinities keep their meaning.
Parallel kernels need a thread-safe threading layer (OpenMP or TBB): the
default "workqueue" layer aborts when two threads launch parallel kernels at
once, which is exactly what a served app with many sessions does.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numba

FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

# Idle OpenMP threads sleep instead of spinning: on a two-core machine a
# spinning OpenMP team steals the cores BLAS needs for the crossbar's matrix
# products right after it (measured in docs/results/benchmarks.md, "Server and kernel
# settings").
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "threadsafe"

JIT = dict(cache=True, nogil=True, fastmath=FASTMATH)
"""Flags for serial kernels."""

PARALLEL_JIT = dict(JIT, parallel=True)
"""Flags for kernels with a ``prange`` loop."""

INLINE_JIT = dict(JIT, inline="always")
"""Flags for small helpers that should vanish into their callers. A helper called inside a loop
that LLVM should vectorize takes and returns scalars, and the loop itself loads and stores the
arrays: with Numba 0.68, the same loop whose helper stored into an array argument stayed one
element at a time (no packed instructions in ``inspect_asm``) and ran several times slower
(docs/results/benchmarks.md, "Server and kernel settings")."""

PARALLEL_THRESHOLD = 65536
"""Element count from which the public wrappers use the parallel kernels."""

TWINS = {}
"""Every kernel with a serial and a parallel version: name -> (serial, parallel). Both are kept
because a parallel kernel's thread start-up costs more than small inputs take, and each is
compiled (and cached on disk) once; `tests/test_kernel_twins.py` checks that every pair gives
identical results."""


def register_twins(name: str, serial: Callable, parallel: Callable) -> None:
    """Register the serial and parallel versions of kernel `name` (one entry per name)."""
    if name in TWINS:
        raise ValueError(f"kernel twins {name!r} registered twice")
    TWINS[name] = (serial, parallel)


def pick(name: str, work: int) -> Callable:
    """The version of kernel `name` for `work` elements: parallel from PARALLEL_THRESHOLD on."""
    serial, parallel = TWINS[name]
    return parallel if work >= PARALLEL_THRESHOLD else serial
