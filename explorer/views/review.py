"""The review tools of a dashboard tab (issue 24), in one row over its plots.

Each tool is a function ``tool(view) -> Panel component or None`` listed in `TOOLS`; the row shows
the components of the tools that give one, in order. A tool keeps its own state on the view it is
given (one view per tab per browser session), never in this module.
"""

from __future__ import annotations

import panel as pn

from .code_snippet import copy_as_code
from .exports import exports
from .pins import pin_tool

TOOLS = (pin_tool, copy_as_code, exports)
"""The review tools, in the order they appear over the plots."""


def review_bar(view):
    """The row of `view`'s review tools, or None when no tool gives a component."""
    items = [item for item in (tool(view) for tool in TOOLS) if item is not None]
    if not items:
        return None
    return pn.Column(*items, sizing_mode="stretch_width", margin=0, css_classes=["review-bar"])


__all__ = ["TOOLS", "review_bar"]
