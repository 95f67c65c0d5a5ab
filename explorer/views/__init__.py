"""Panel views: one Viewer per dashboard, each a list of charts drawn as Bokeh figures updated in place
(`_live`), with its controls (`_widgets`); the Programming, Training and Reliability dashboards step
their long runs in the background with one driver (`_runs`). The models below know nothing of Panel;
every private Panel or Bokeh interface the views use is in `explorer.compat`.

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
