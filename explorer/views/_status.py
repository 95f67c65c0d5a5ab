"""The status line under the header bar, shared by the scenario controls and the lecturer's
controls: white text on the header's colour, a red bar for a refusal, hidden while empty."""

from __future__ import annotations

import html
from collections.abc import Callable

import panel as pn

STATUS_STYLE = {"color": "white", "font-family": "sans-serif", "font-size": "0.95em"}
"""The status line's text, on the header bar's colour."""
ERROR_STYLE = {**STATUS_STYLE, "background": "#b00020"}
"""The status line of a refusal: a red bar, so the message is seen."""


def status_line(background: str, css_class: str) -> tuple[pn.pane.HTML, Callable[[str, bool], None]]:
    """A hidden status line on `background` (the header's colour), and ``say(message, ok=True)``,
    which shows `message` (escaped: uploaded file names and refusals are not HTML) on the header's
    colour, or on red when not `ok`, and hides the line for an empty message."""
    status = pn.pane.HTML(
        "",
        styles={**STATUS_STYLE, "background": background},
        visible=False,
        sizing_mode="stretch_width",
        margin=0,
        stylesheets=[":host { padding: 4px 20px; }"],
        css_classes=[css_class],
    )

    def say(message: str, ok: bool = True) -> None:
        status.param.update(
            object=html.escape(message),
            styles={**STATUS_STYLE, "background": background} if ok else ERROR_STYLE,
            visible=bool(message),
        )

    return status, say


__all__ = ["ERROR_STYLE", "STATUS_STYLE", "status_line"]
