"""The dashboards' colours and line dashes: kept in `explorer.palette` (no Panel there), so the
HoloViews figures of `explorer.figures` share them; re-exported here for the views."""

from ..palette import *  # noqa: F403
from ..palette import __all__  # noqa: F401
