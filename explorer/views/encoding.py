"""Encoding dashboard (placeholder, being written)."""

import panel as pn
import param

from ..models.encoding_explorer import EncodingExplorer


class EncodingView(pn.viewable.Viewer):
    model = param.ClassSelector(class_=EncodingExplorer)

    def __init__(self, **params):
        if params.get("model") is None:
            params["model"] = EncodingExplorer()
        super().__init__(**params)

    def __panel__(self):
        return pn.pane.Markdown("Encoding dashboard")
