"""A first step on every tab (issue 23, item 6): the app opens on a short Overview with one pointer
per dashboard, every dashboard has a "Try this" box naming its own controls, the physics reference
the plots cite is a tab of the app, and the figures the titles show are defined or qualified."""

import re

import panel as pn
import pytest

from explorer.app import DASHBOARDS, OVERVIEW, PHYSICS_TAB, build_app, physics_reference
from explorer.tools.served import TABS
from explorer.views import crossbar, devices, encoding
from explorer.views._widgets import PHYSICS_LINK, cite_links, explained


@pytest.mark.parametrize("title, cls", [(title, cls) for title, _, cls in DASHBOARDS], ids=[d[0] for d in DASHBOARDS])
def test_every_dashboard_says_what_to_try_with_its_own_controls(title, cls):
    view = cls()
    assert view.TRY_THIS.strip(), f"{title} declares no TRY_THIS"
    assert len(view.TRY_THIS.strip().splitlines()) <= 3, view.TRY_THIS
    text = view.try_this_text()
    assert "{" not in text and "}" not in text, text
    # The labels as the controls show them now (read at test time, so a renamed control still counts).
    labels = [w.name for w in view.widgets().values()]
    named = [label for label in labels if f"**{label}**" in text]
    assert named, f"{title}: the Try-this text names none of its controls {labels}: {text}"
    box = view.try_this_box()
    assert box.object.startswith("**Try this:**") and text in box.object


def test_a_try_this_placeholder_follows_the_controls_label():
    view = devices.DevicesView()
    view.widgets()["log10_time"].name = "Time since writing"
    assert "**Time since writing**" in view.try_this_text()


def test_the_app_opens_on_a_short_overview_with_one_pointer_per_tab():
    app = build_app()
    tabs = next(obj for obj in app.objects if isinstance(obj, pn.Tabs))
    assert tabs.active == 0
    assert tabs._names[0] == "Overview"
    # The URL's ?tab=N of every tab the tests and tools use is the tab's index here.
    assert list(TABS) == list(tabs._names)
    pointers = re.findall(r"^- \*\*(\w+)\*\*: .+$", OVERVIEW, flags=re.M)
    assert pointers == [title for title, _, _ in DASHBOARDS]
    assert "```" not in OVERVIEW  # scripting is a pointer to the docs, not code in the page
    assert len(OVERVIEW.split()) < 300


def test_the_physics_reference_is_a_tab_and_the_citations_link_to_it():
    app = build_app()
    tabs = next(obj for obj in app.objects if isinstance(obj, pn.Tabs))
    assert tabs._names[PHYSICS_TAB] == "Physics reference"
    text = tabs[PHYSICS_TAB].object
    assert text == physics_reference()
    headings = re.findall(r"^## (\d+)\. ", text, flags=re.M)
    assert headings == [str(n) for n in range(1, 13)]
    assert PHYSICS_LINK == f"?tab={PHYSICS_TAB}"
    linked = cite_links("cf. IBM aihwkit's ir_drop (physics\nreference section 10); Physics reference sections 1 and 9")
    assert linked.count(f'href="{PHYSICS_LINK}"') == 2
    assert ">physics\nreference section 10</a>" in linked and ">Physics reference sections 1</a>" in linked
    # A chart's explanation as the page shows it carries the link.
    row = explained("Heading", pn.pane.Markdown("plot"), crossbar.WIRE_TEXT)
    assert f'href="{PHYSICS_LINK}"' in row[1].object


def test_the_figures_in_titles_are_defined_where_they_appear():
    for tech, text in devices.HISTOGRAM_TEXT.items():
        assert "Level read-back error" in text and text.startswith(devices.READ_EQUATIONS[tech]), tech
    assert "*law*" in encoding.SLICING_TEXT


def test_the_wire_sweep_title_says_if_ir_drop_were_on_while_it_is_off():
    view = crossbar.CrossbarView()
    view.model.size = view.model.param.size.softbounds[0]
    assert not view.model.xb.ir_drop
    off = crossbar.wire_marker(view)["title"]
    assert off.startswith("If IR drop were on, at 0.35 Ω: "), off
    view.model.xb.ir_drop = True
    on = crossbar.wire_marker(view)["title"]
    assert on.startswith("IR drop at 0.35 Ω: "), on
    assert on.split(": ")[1] == off.split(": ")[1]  # the same sweep point, only the wording differs
