"""The review tools of a dashboard tab (issue 24): their buttons in one bar over its plots, and
what they show (the pin's tables, the script) under the bar.

Each tool is a function ``tool(view) -> (controls, body) | component | None`` listed in `TOOLS`: the
bar holds every tool's controls side by side, wrapping on a narrow page, so the plots stay high on
the page; the bodies (often hidden until used) follow under it, in order. A tool keeps its own
state on the view it is given (one view per tab per browser session), never in this module.
"""

from __future__ import annotations

import panel as pn

from ._present import follow_page_font
from .code_snippet import copy_as_code
from .exports import exports
from .pins import pin_tool

TOOLS = (pin_tool, copy_as_code, exports)
"""The review tools, in the order they appear over the plots."""


def review_bar(view):
    """The column of `view`'s review tools (the bar of their controls, then their bodies), or None
    when no tool gives anything."""
    controls, bodies = [], []
    for made in (tool(view) for tool in TOOLS):
        if made is None:
            continue
        control, body = made if isinstance(made, tuple) else (made, None)
        for part in (control, *control.select(pn.pane.HTML)):
            part.sizing_mode = "fixed"  # sized to its content, not the page's stretch_width default
        controls.append(control)
        if body is not None:
            bodies.append(body)
    if not controls:
        return None
    bar = pn.FlexBox(*controls, flex_wrap="wrap", align_items="center", sizing_mode="stretch_width", margin=0)
    column = pn.Column(bar, *bodies, sizing_mode="stretch_width", margin=0, css_classes=["review-bar"])
    follow_page_font(column)  # the plot chooser's text scales in lecture mode, as the page's does
    return column


__all__ = ["TOOLS", "review_bar"]
