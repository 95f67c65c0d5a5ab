"""Panel views: one Viewer per dashboard. The only package that imports Panel and HoloViews.

In a notebook: ``import panel as pn; pn.extension("mathjax")`` then
``DevicesView()`` (or ``DevicesView(model=DevicesExplorer(...))``).
"""

from .crossbar import CrossbarView
from .devices import DevicesView
from .encoding import EncodingView
from .programming import ProgrammingView
from .reliability import ReliabilityView
from .training import TrainingView

__all__ = ["CrossbarView", "DevicesView", "EncodingView", "ProgrammingView", "ReliabilityView", "TrainingView"]
