"""Panel views: one Viewer per dashboard. The only package that imports Panel and HoloViews.

In a notebook: ``import panel as pn; pn.extension("mathjax")`` then
``DevicesView()`` (or ``DevicesView(model=DevicesExplorer(...))``).
"""

from .devices import DevicesView

__all__ = ["DevicesView"]
