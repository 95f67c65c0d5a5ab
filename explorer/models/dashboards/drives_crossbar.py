"""The base of the explorers that drive a `CrossbarModel`: the model's read-out settings are their
controls, used as they are (not copied into the explorer).

An explorer names the model's read-time settings it shows in `READ_CONTROLS`; that tuple is the one
place to add a read-out control to a dashboard. The view builds the widget from the model's own
parameter (bounds, step, label), every plot that reads an array depends on every read-time setting
of the model, and the URL keeps the value:

    ex = EncodingExplorer(adc_bits=6)        # a read-out setting goes to ex.xb
    ex.xb.adc_bits = 4                       # and is changed there
    EncodingExplorer(**ex.settings())        # rebuilds the same explorer
"""

from __future__ import annotations

from typing import Any

import param

from ..crossbar.model import CrossbarModel
from .base import Explorer


class DrivesCrossbar(Explorer):
    """An explorer holding the `CrossbarModel` whose read-out settings are its controls."""

    xb = param.ClassSelector(
        class_=CrossbarModel,
        precedence=-1,
        doc=(
            "The crossbar model the explorer drives: its read-time settings named in READ_CONTROLS are "
            "the dashboard's read-out controls, used as they are (not copied)."
        ),
    )

    READ_CONTROLS = ()
    """The crossbar model's read-time settings shown as controls (names of `CrossbarModel.READ_TIME`)."""

    XB_DEFAULTS = {}
    """Where this explorer starts from other defaults than `CrossbarModel`'s."""

    def __init__(self, **params: Any) -> None:
        xb = params.pop("xb", None)
        own = {k: v for k, v in params.items() if k in self.param}
        model_settings = {k: v for k, v in params.items() if k not in self.param}
        unknown = sorted(k for k in model_settings if k not in CrossbarModel.param)
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; allowed: {sorted(self._settings_names())}")
        super().__init__(**own)
        self.xb = xb if xb is not None else CrossbarModel(**{**self.XB_DEFAULTS, **model_settings})
        if xb is not None and model_settings:
            self.xb.param.update(**model_settings)

    @classmethod
    def _own_names(cls):
        return [n for n in cls.param if n not in ("name", "xb")]

    @classmethod
    def _settings_names(cls):
        return cls._own_names() + list(cls.READ_CONTROLS)

    @classmethod
    def scenario_settings(cls) -> tuple[str, ...]:
        """The explorer's own settings, then the crossbar model's read-out controls as ``xb.<name>``."""
        return super().scenario_settings() + tuple(f"xb.{n}" for n in cls.READ_CONTROLS)

    def settings(self) -> dict[str, Any]:
        """Every setting of the dashboard (its own parameters and the model's read-out controls),
        as keyword arguments that rebuild it: ``type(ex)(**ex.settings())``."""
        own = {n: getattr(self, n) for n in self._own_names()}
        return {**own, **{n: getattr(self.xb, n) for n in self.READ_CONTROLS}}

    def snapshot_key(self) -> tuple:
        """Every input of this explorer's results, hashable: its own settings and the crossbar
        model's read-time and programming-time snapshots. Equal keys give equal results (so
        sessions at the same settings may share them)."""
        own = tuple((n, getattr(self, n)) for n in self._own_names())
        return own, self.xb.read_settings().key(), self.xb.programming_settings().key()
