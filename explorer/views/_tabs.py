"""The page's tabs, rendering a newly shown tab's content in the thread that switched to it.

Panel's dynamic `pn.Tabs` builds a tab's content when the tab is first shown, as the tab's Bokeh
models are made: a switch made in one of the server's threads (a click, processed in the thread pool
of ``--num-threads``; a scenario, a lesson step or the lecturer's view applied by a follower) is only
scheduled there, and the whole build runs later as one callback on the server's event loop. A
dashboard's first showing computes its figures and builds them (a second or more on a shared two-core
machine), and while that callback runs no other session's message leaves the server: a follower's
settings waited behind the lecturer's own new tab (the browser test of following measured 0.9 to 1.5 s
where they otherwise take milliseconds). `PreparedTabs` evaluates the tab's lazy content (its
dashboard's `__panel__` function: computing and building the figures) in the switching thread first,
so the event loop is left with making the Bokeh models of what is already built.
"""

from __future__ import annotations

import asyncio
import threading

import panel as pn

from ..compat import render_lazy_now, watch_before_panel


def on_event_loop() -> bool:
    """Whether this thread runs an asyncio event loop (the server's, or a notebook kernel's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class PreparedTabs(pn.Tabs):
    """`pn.Tabs` whose tab, when shown from a thread other than the event loop's, has its lazy content
    (a `pn.param.ParamFunction` not yet evaluated: the dashboards' `__panel__`) rendered in that
    thread first; on the event loop (a notebook, a loop callback) it behaves as `pn.Tabs`.

    The server's own switches (a scenario, a lesson step, a follower applying the lecturer's view)
    go through `show`, which renders before it sets `active`: had it set `active` first, the page and
    the server would disagree on the tab for as long as the rendering took, and a click on the same
    tab in that time (a student who did not wait) left the page without the tab's content. A click in
    the browser sets `active` on the page first; the watcher `_shown`, run before Panel's own
    watchers (`explorer.compat.watch_before_panel`), renders before Panel schedules the tab's models
    on the event loop (had they run first, the loop would have built the content at the same time).
    Two threads showing the same tab at once render it once (a lock)."""

    def __init__(self, *objects, **params):
        self._prepare_lock = threading.Lock()
        super().__init__(*objects, **params)
        watch_before_panel(self, self._shown, ["active"])

    def _shown(self, event) -> None:
        if self.dynamic and not on_event_loop():
            self.prepare(event.new)

    def show(self, index: int) -> None:
        """Show tab `index`: its content rendered first (in this thread, when not on the event loop),
        then `active` set."""
        if self.dynamic and not on_event_loop():
            self.prepare(index)
        self.active = index

    def prepare(self, index: int) -> bool:
        """Evaluate tab `index`'s lazy content now, in this thread; whether it was evaluated here (False
        when out of range, already evaluated, or not lazy content)."""
        if not 0 <= index < len(self.objects):
            return False
        with self._prepare_lock:
            return render_lazy_now(self.objects[index])


def show_tab(tabs: pn.Tabs, index: int) -> None:
    """Show tab `index` of `tabs`: `PreparedTabs.show` (content rendered first), else set `active`."""
    if isinstance(tabs, PreparedTabs):
        tabs.show(index)
    else:
        tabs.active = index


__all__ = ["PreparedTabs", "on_event_loop", "show_tab"]
