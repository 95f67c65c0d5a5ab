"""The dashboards' models, one per tab (no Panel here): the settings a tab's controls set and the
data of its plots. `explorer.views` has the module of the same name that draws each one.

`base.Explorer` declares the settings every explorer has; `drives_crossbar.DrivesCrossbar` is the
base of the explorers that read a `CrossbarModel` and show its read-out settings as controls.
"""

from .crossbar import CrossbarExplorer
from .devices import DevicesExplorer
from .encoding import EncodingExplorer
from .programming import ProgrammingExplorer
from .reliability import ReliabilityExplorer
from .training import TrainingExplorer

__all__ = [
    "CrossbarExplorer",
    "DevicesExplorer",
    "EncodingExplorer",
    "ProgrammingExplorer",
    "ReliabilityExplorer",
    "TrainingExplorer",
]
