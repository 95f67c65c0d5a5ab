"""What runs inside the Dask workers of a sweep's local cluster besides the points themselves: a
worker plugin that lowers the worker's priority (`LowerPriority`). A module of its own because it
imports `distributed`, which the app loads only when a sweep starts (`explorer.sweeps_dask.Engine`);
the workers import it to unpickle the plugin."""

from __future__ import annotations

import os

from distributed.diagnostics.plugin import WorkerPlugin


class LowerPriority(WorkerPlugin):
    """Raise the niceness of the worker process it is set up in, every thread of it, by `nice`
    (`explorer.sweeps_dask.lower_priority`). Registered with the client, it runs in every worker that
    joins later too: one the nanny restarts after a crash starts at normal priority otherwise."""

    name = "explorer-lower-priority"

    def __init__(self, nice: int) -> None:
        self.nice = nice

    def setup(self, worker) -> None:
        from .sweeps_dask import lower_priority

        lower_priority([os.getpid()], self.nice)


__all__ = ["LowerPriority"]
