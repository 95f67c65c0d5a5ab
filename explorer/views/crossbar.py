"""Crossbar dashboard (placeholder, being written)."""

import panel as pn
import param

from ..models.crossbar_explorer import CrossbarExplorer


class CrossbarView(pn.viewable.Viewer):
    model = param.ClassSelector(class_=CrossbarExplorer)

    def __init__(self, **params):
        if params.get("model") is None:
            params["model"] = CrossbarExplorer()
        super().__init__(**params)

    def __panel__(self):
        return pn.pane.Markdown("Crossbar dashboard")
