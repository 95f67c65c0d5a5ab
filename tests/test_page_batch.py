"""A lesson step or a scenario changes a page in one batch (`explorer.views._live.page_batch`): each
chart it changes is computed once, however many objects its settings live on, and on a served page
the step reaches the browser in a few messages rather than one per widget property."""

import collections

import panel as pn
import pytest
from bokeh.document import Document

from explorer.app import build_app


def _rendered_page(tab):
    """A page rendered into a document (so its dashboards draw), with tab `tab` open and drawn."""
    template = build_app()
    doc = Document()
    doc.add_root(template.get_root(doc))
    template.lessons.tabs.active = tab
    return template


def _twice(view, since):
    """The (chart, part) computed more than once since record `since` of the view's `computed`."""
    counts = collections.Counter(list(view.computed)[since:])
    return sorted(part for part, n in counts.items() if n > 1)


def test_a_lesson_step_computes_each_chart_once():
    # Lesson bit-slicing's first step sets the Encoding tab's own settings and its read-out's
    # (`xb.`): set one object at a time, each object's settings recomputed the charts that depend
    # on both (the common-mode charts twice).
    template = _rendered_page(2)
    lv = template.lessons
    enc = lv.views["enc"]
    step = lv.lessons.get("bit-slicing").steps[0]
    names = set(step.scenario.tabs["enc"])
    assert any("." in n for n in names) and any("." not in n for n in names)  # two objects
    lv.explorers["enc"].xb.common_mode_offset_uS = 1.6  # the student moved a read-out setting
    since = len(enc.computed)
    lv.go("bit-slicing", 1)
    assert len(enc.computed) > since  # the step changed the open tab's charts
    assert _twice(enc, since) == []
    assert lv.explorers["enc"].n_slices == step.scenario.tabs["enc"]["n_slices"]  # applied


def test_a_scenario_from_the_menu_computes_each_chart_once():
    template = _rendered_page(2)
    lv = template.lessons
    enc = lv.views["enc"]
    header = template[0]
    menu = header.select(pn.widgets.MenuButton)[0]
    name = next(n for n, _ in menu.items if n and "bit slicing" in n.lower())
    lv.explorers["enc"].xb.common_mode_offset_uS = 1.6  # a read-out setting the scenario sets back
    since = len(enc.computed)
    menu.clicked = name
    assert len(enc.computed) > since
    assert _twice(enc, since) == []
    assert "Loaded" in template[1].object and lv.tabs.active == 2


@pytest.mark.slow
def test_a_served_lesson_step_leaves_in_few_messages():
    """Served in this process, one session over the websocket (`explorer.tools.update_cost`): Back
    from step 2 of lesson pcm-drift, after the student's move, as the class load's students do.
    The card (8 widgets), the outlines, the moved slider and the step's charts were one message per
    property: 18 or 19 messages a step. Now: the slider (1), the tab switch (2), the page's address
    (one per object changed: 3) and the rest of the step (1)."""
    from explorer.tools.served import in_own_thread
    from explorer.tools.update_cost import run

    out = in_own_thread(run, repeat=1, warm_up=False, only="lesson", warm=1)  # a Next unmeasured, then a Back
    assert "error" not in out, out.get("error")
    rows = out["lesson Next/Back"]
    assert len(rows) == 1
    for row in rows:
        assert row["latency_ms"] is not None  # the step's plots arrived
        assert row["messages"] <= 8, row["patches"]
        assert row["computed"] <= 5  # the moved setting's charts, once (the Devices tab has 4 parts)


def test_a_change_added_after_the_batch_ran_is_refused_not_lost():
    """A dashboard's update computed in another thread can end after the batch it joined has run:
    `PageBatch.add` then refuses it, and the caller makes it on its own (before, it stayed in the
    batch's list and never reached the page)."""
    from explorer.views._live import PageBatch

    made = []
    batch = PageBatch()
    assert batch.add(lambda: made.append("in the batch")) is True
    batch.run()
    assert made == ["in the batch"]
    assert batch.add(lambda: made.append("late")) is False
    batch.run()
    assert made == ["in the batch"]
