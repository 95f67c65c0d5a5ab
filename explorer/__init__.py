"""Analog AI weight-encoding explorer: Param models (explorer.models) and Panel views (explorer.views)."""

__version__ = "0.1.0"

import os as _os

# One BLAS thread per matrix product, when NumPy is not loaded yet (the server, the benchmark and
# the load command import this package first): on two cores OpenBLAS's threads made the
# dashboards' small float32 products several times slower (measured in
# docs/results/benchmarks.md, "Server and kernel settings"); parallelism comes from sessions and
# from the Numba kernels instead. See explorer.cli.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
