"""The review bar's **Copy as code** tool (issue 24, item 4): a button that shows the tab's settings
as a runnable Python script (`explorer.models.snippet.code_snippet`: it rebuilds the explorer and
prints the tab's key figures) and copies it to the clipboard.

The script is shown as a code block, kept up to date while it is shown (a setting, an uploaded
scenario or a run's step re-writes it), and its text is held in a hidden text area whose value the
browser copies: at once when the block is already shown, else as soon as the server's text arrives
(the click leaves a mark that the text's arrival clears). Copying uses
``navigator.clipboard.writeText`` and fails silently where there is no clipboard (a page served
over plain HTTP from another host); the code block's text stays selectable. The tool's state lives
on the view (`view.code_tool`), one per tab per session.
"""

from __future__ import annotations

import panel as pn
from bokeh.models import CustomJS

from ..models.scenario import settings_by_owner, tab_of
from ..models.snippet import code_snippet
from ._widgets import on_page

RUN_STATE = ("iteration", "progress")
"""Parameters of a run's position (Programming's iterations, Training's samples): the script steps
its run to them, so it is re-written when they move."""

COPY_ON_CLICK = """
const text = area.value;
if (text) {
  if (navigator.clipboard) { navigator.clipboard.writeText(text).catch(() => {}); }
} else {
  window.__explorerCopyPending = area.id;
}
"""
"""Browser code of the button: copy the shown script, or mark the copy as pending until it comes."""

COPY_ON_ARRIVAL = """
if (window.__explorerCopyPending === cb_obj.id && cb_obj.value) {
  window.__explorerCopyPending = null;
  if (navigator.clipboard) { navigator.clipboard.writeText(cb_obj.value).catch(() => {}); }
}
"""
"""Browser code of the hidden text area: the script arrived after a click, copy it."""


def tab_prefix(view) -> str | None:
    """The scenario tab name of `view`'s explorer (`scenario.tab_of`), or None for another model."""
    try:
        return tab_of(view.model)
    except TypeError:
        return None


class CodeTool:
    """One view's Copy-as-code tool: the button, the code block and the hidden text it copies."""

    def __init__(self, view, prefix: str) -> None:
        self.view = view
        self.prefix = prefix
        self.button = pn.widgets.Button(label="Copy as code", width=130, margin=(5, 5), css_classes=["copy-as-code"])
        self.hide = pn.widgets.Button(label="Hide code", width=100, margin=(5, 5), visible=False)
        self.text = pn.widgets.TextAreaInput(value="", visible=False, css_classes=["copy-as-code-text"])
        self.code = pn.pane.Markdown(
            "", visible=False, sizing_mode="stretch_width", css_classes=["copy-as-code-block"], margin=(0, 10)
        )
        self.note = pn.pane.Markdown(
            "*A Python script on the explorer's scripting API: it rebuilds this tab at its settings "
            "and seed and prints its key figures (copied to the clipboard where the browser allows).*",
            visible=False,
            sizing_mode="stretch_width",
            styles={"font-size": "0.85em"},
            margin=(0, 10),
        )
        self.button.on_click(lambda event: self.show())
        self.hide.on_click(lambda event: self.close())
        model = view.model
        for owner, names in settings_by_owner(model):
            owner.param.watch(self._changed, names)
        run_state = [n for n in RUN_STATE if n in model.param]
        if run_state:
            model.param.watch(self._changed, run_state)
        self.parts = (
            _ToolRow(self, self.button, self.hide, self.text, margin=0, css_classes=["copy-as-code-tool"]),
            pn.Column(self.note, self.code, sizing_mode="stretch_width", margin=0),
        )
        """The review bar's parts (`review.review_bar`): the buttons, and the script under the bar."""

    @property
    def shown(self) -> bool:
        """Whether the script is on the page."""
        return self.code.visible

    def script(self) -> str:
        """The script of the tab's current settings (`explorer.models.snippet.code_snippet`)."""
        return code_snippet(self.prefix, self.view.model)

    def show(self) -> None:
        """Write the script and show it (the button's click; the browser copies it on arrival)."""
        self._write(self.script(), shown=True)

    def close(self) -> None:
        """Hide the script; its text is emptied, so the next click copies the new text on arrival."""
        self._write("", shown=False)

    def _changed(self, *events) -> None:
        if self.shown:
            text = self.script()
            on_page(self.view, lambda: self._write(text, shown=True))

    def _write(self, text: str, shown: bool) -> None:
        with pn.io.hold():
            self.text.value = text
            self.code.object = f"```python\n{text}```" if text else ""
            for item in (self.code, self.note, self.hide):
                item.visible = shown


class _ToolRow(pn.Row):
    """The tool's row of widgets. When Panel makes its Bokeh models for a page, the browser code of
    the button (`COPY_ON_CLICK`) and of the hidden text area (`COPY_ON_ARRIVAL`) is attached to
    those models with Bokeh's own ``js_on_event`` and ``js_on_change``, not as Panel links
    (``js_on_click``, ``jscallback``): the first Panel link made in a process installs a hook
    (`panel.links.Callback._process_callbacks`) that, for every session of the server, walks the
    page's whole model tree each time one of its layouts changes (a tab shown, a chart added), all
    on the server's event-loop thread."""

    def __init__(self, tool, *objects, **params):
        super().__init__(*objects, **params)
        self._tool = tool

    def _get_model(self, doc, root=None, parent=None, comm=None):
        model = super()._get_model(doc, root, parent, comm)
        ref = (root or model).ref["id"]
        button, area = self._tool.button._models[ref][0], self._tool.text._models[ref][0]
        button.js_on_event("button_click", CustomJS(args={"area": area}, code=COPY_ON_CLICK))
        area.js_on_change("value", CustomJS(code=COPY_ON_ARRIVAL))
        return model


def copy_as_code(view):
    """The review-bar tool (`review.TOOLS`): `view`'s Copy-as-code tool, made once and kept on the
    view as `view.code_tool`; None for a view whose explorer is not a scenario tab's."""
    tool = getattr(view, "code_tool", None)
    if tool is None:
        prefix = tab_prefix(view)
        if prefix is None:
            return None
        tool = view.code_tool = CodeTool(view, prefix)
    return tool.parts


__all__ = ["CodeTool", "copy_as_code", "tab_prefix"]
