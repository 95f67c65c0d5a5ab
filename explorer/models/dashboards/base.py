"""Settings that every explorer has, declared once: the technology, the time after programming, the
seed; and the device knobs (noise and drift scales, temperature) that `Device` declares too.

An explorer inherits them instead of re-declaring them, so their bounds, steps and documentation
are the same on every dashboard (the widgets narrow a range through their own arguments).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import param

from kernels.rng import derive_seed

from ...admission import LIGHT, Cost
from .._internal.memo import Memo
from ..devices import SECONDS_PER_YEAR, TECHNOLOGIES

MAX_LOG_TIME = float(np.log10(10 * SECONDS_PER_YEAR))
"""The latest read time of every dashboard: 10 years, log10 of seconds."""


@dataclass(frozen=True)
class KeyFigure:
    """One number a design review argues about, as a dashboard tab shows it (in a plot's title
    where it has one): `value` in `unit`, with one line saying how it is computed."""

    name: str
    """What it is: "MVM error", "Accuracy at 1 y", ..."""
    value: float
    """The number, in `unit` (a percentage as 1.5 for 1.5 %); nan when not available yet (a run
    not started)."""
    unit: str
    """"%", "pulses", "µs", "nJ", "" (a plain number) ..."""
    how: str
    """One line: which result, at which time, over how many devices, chips or samples."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))


class Explorer(param.Parameterized):
    """The settings every dashboard's model has: technology, read time and seed."""

    technology = param.Selector(default="PCM", objects=list(TECHNOLOGIES), doc="Memory technology.")
    log10_time = param.Number(
        float(np.log10(3600.0)),
        bounds=(0.0, MAX_LOG_TIME),
        step=0.05,
        label="Time after programming",
        doc="Time after programming, log10 of seconds (1 s to 10 years).",
    )
    seed = param.Integer(
        0,
        bounds=(0, 2**31 - 1),
        doc="Seed of every random draw (each purpose has its own stream, `kernels.rng.derive_seed`).",
    )

    MEMO_LIMITS = {"problem": 1, "programmed": 1}
    """Results of each kind the explorer keeps (its `memo`): the protocol problem and the
    programmed arrays; an explorer whose sweeps program many arrays keeps more."""
    MEMO_KEEP = 4
    """Results kept of a kind not named in `MEMO_LIMITS` (the plot data that the key figures and
    the plots' titles both read), so that toggling a setting back costs nothing."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.memo = Memo(max_bytes=2**62, max_entries=1024, limits=self.MEMO_LIMITS, per_name=self.MEMO_KEEP)
        """The explorer's problems and programmed arrays, keyed by every input they depend on."""

    def remember(self, name: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()`, or the result kept under `name` for `key` (every input it depends on:
        a programming-time snapshot key, the size, the seed)."""
        return self.memo.keyed(name, key, compute)

    @classmethod
    def scenario_settings(cls) -> tuple[str, ...]:
        """The settings of the dashboard, as the page's URL and a scenario file keep them: every
        public parameter of the explorer (precedence -1 marks held objects and run state, which are
        not settings), then, by dotted name (``"xb.adc_bits"``), the settings of objects it holds
        that are its controls (subclasses add them)."""
        return tuple(n for n in cls.param if n != "name" and cls.param[n].precedence != -1)

    def figures(self, **options: Any) -> dict[str, Any]:
        """The dashboard's figures for the current settings as HoloViews objects, by chart heading
        (``"heading [k]"`` for the k-th plot of a chart of several): elements and overlays built
        from the same methods the dashboard draws, composable with ``+`` and ``*``, saved with
        ``hv.save`` (`explorer.figures`; HoloViews is imported here, not with the models).
        `options` are the tab's view-only choices (Encoding: ``enabled``, the error sources on)."""
        from ...figures import figures

        return figures(self, **options)

    def cost(self) -> Cost:
        """Estimated peak memory (bytes) and work (seconds of one core) of computing the dashboard's
        charts at the current settings (`explorer.admission.Cost`), from which the server decides
        whether a request waits for its budget. The base: light (every setting's range keeps the
        computation small); an explorer with a setting that can make it large says how."""
        return LIGHT

    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The tab's key figures at the current settings (`KeyFigure`): the numbers its plots'
        titles show, read from the same kept results as the plots, so they are cheap once the
        plots are drawn and equal to what the page shows; same settings and seed, same figures."""
        raise NotImplementedError(f"{type(self).__name__} defines no key figures")

    @property
    def t(self) -> float:
        """Time after programming in seconds."""
        return float(10.0**self.log10_time)

    @property
    def read_seed(self) -> int:
        """Seed of the read noise of the explorer's reads (derived from `seed`)."""
        return derive_seed(self.seed, "read")
