"""The `panel serve` entry: a header bar, an overview, one tab per dashboard and the physics reference.

Run with ``panel serve explorer/app.py`` (or ``analog-explorer``). Each browser
session executes this script and gets its own models and views; what the sessions of a server
share is results that are pure functions of their settings (`SharedResults`, the Reliability
tab's trained networks, both in `pn.state.cache`) and the compiled kernels.
"""

from pathlib import Path

import panel as pn

from explorer.compat import serialize_url_updates
from explorer.sessions import (
    inject_test_error,
    never_cdn_style_sheets,
    report_error,
    restore_link_query,
    serve_resources_locally,
    session_created,
    session_destroyed,
    session_ready,
    tune_collector,
)
from explorer.views import CrossbarView, DevicesView, EncodingView, ProgrammingView, ReliabilityView, TrainingView
from explorer.views._files import page_lessons, page_library, page_text
from explorer.views._present import Presentation
from explorer.views.follow import follow_controls
from explorer.views.lessons import LessonsView
from explorer.views.links import clean_location, problems_banner
from explorer.views.predictions import class_predictions
from explorer.views.scenario_files import scenario_controls
from explorer.views.sweeps import SweepsView
from explorer.views.technologies import TechnologiesView

OVERVIEW = """
## Analog AI weight-encoding explorer

Analog in-memory computing stores each neural-network weight as the conductance of memory devices
and multiplies a matrix by a vector in one read of the array. The devices are imperfect: programming
and reads are noisy, conductances drift. Each tab lets you change one part of this and watch the
effect; every tab opens with a **Try this** box at the top of its controls.

**Start here**, one tab at a time:

- **Devices**: drag the time after programming from 1 s to 10 y; watch the programmed levels widen and merge.
- **Encoding**: add slices; watch the MVM error fall, and see which error source dominates.
- **Crossbar**: lower the ADC bits or switch on IR drop; watch analog outputs leave the ideal line.
- **Programming**: press Start; watch the error fall and the pulses and chip time add up.
- **Reliability**: drag the marked time; watch a digit classifier's accuracy fall, then switch on drift compensation.
- **Training**: press Start; watch SGD and the Tiki-Taka variants learn on devices with few states.

The **Technologies** tab sets the seed's comparison of PCM, RRAM and NOR Flash beside what the
models compute for each: effective bits, weight error with and without drift compensation, programming
cost, reads and cycles before an accuracy loss, and an energy estimate. The **Sweeps** tab runs a
grid of these settings on Dask and opens any point on its tab.

Every plot states its equation and its source; "physics reference section N" refers to the
**Physics reference** tab. The same models run in a notebook or a script, with the same numbers
for the same seed: see docs/how-to/script-a-study.md in the project's repository.
"""

PHYSICS_FILE = Path(__file__).resolve().parents[1] / "docs" / "physics.md"
"""The physics and algorithm reference the plots cite by section, shown in its own tab."""


def physics_reference():
    """The text of docs/physics.md, or a note saying where it is when it is not installed with
    the package (a wheel ships the code only)."""
    try:
        return PHYSICS_FILE.read_text(encoding="utf-8")
    except OSError:
        return "The physics reference is docs/physics.md in the project's repository (not found next to the app)."


HEADER = (
    "<div style='color:white;padding:12px 20px;font-size:1.45em;"
    "font-family:sans-serif'>Analog AI weight-encoding explorer</div>"
)
HEADER_COLOUR = "#3f51b5"

DASHBOARDS = (
    # (tab title, URL prefix of its parameters, view class): tab k + 1 of the app, after the overview.
    ("Devices", "dev", DevicesView),
    ("Encoding", "enc", EncodingView),
    ("Crossbar", "xb", CrossbarView),
    ("Programming", "prog", ProgrammingView),
    ("Reliability", "rel", ReliabilityView),
    ("Training", "train", TrainingView),
)

TECHNOLOGIES_TAB = len(DASHBOARDS) + 1
"""Index of the "Technologies" tab (seed section 6.1's table), after the dashboards (`?tab=7`)."""

PHYSICS_TAB = len(DASHBOARDS) + 2
"""Index of the "Physics reference" tab, after the overview, the dashboards and the technology table
(`?tab=8`)."""

SWEEPS_TAB = len(DASHBOARDS) + 3
"""Index of the "Sweeps" tab (issue 27), the last one, after the physics reference (`?tab=9`): the
tabs before it kept their numbers, so the links made before it still open the same tab."""


def sweep_opener(explorers, tabs, first_tab=1):
    """The Sweeps tab's `open_scenario` for a page: apply a point's scenario to `explorers` (tab
    prefix -> explorer, dashboard k on tab ``first_tab + k``) as an uploaded scenario is applied
    (`scenario.apply`: every tab at once, nothing changed on a refusal), switch to the scenario's
    tab, and return the status line's message."""
    from explorer.models import scenario

    prefixes = list(explorers)

    def open_scenario(parsed):
        scenario.apply(parsed, explorers)
        if parsed.tab in prefixes:
            tabs.active = first_tab + prefixes.index(parsed.tab)
        return f"Opened {parsed.name}"

    return open_scenario


def build_app():
    """A fresh page with fresh models (one per browser session).

    Tabs are dynamic and each dashboard renders lazily: opening the app builds the figures and
    computes the data of the visible tab only.
    """
    # Notifications: an error in a callback is shown in its own session (`report_error`).
    pn.extension("mathjax", sizing_mode="stretch_width", notifications=True)
    pn.config.exception_handler = report_error
    presentation = Presentation()  # lecture mode: one per page, followed by every tab
    views = [(title, prefix, cls(presentation=presentation)) for title, prefix, cls in DASHBOARDS]
    overview = pn.Column(pn.pane.Markdown(OVERVIEW, max_width=900), sizing_mode="stretch_width")
    sweeps = SweepsView(presentation=presentation)  # its Dask cluster starts with the first sweep only
    physics = page_text(PHYSICS_FILE, physics_reference)  # read once per server process, again if changed
    tabs = pn.Tabs(
        ("Overview", overview),
        *[(title, view) for title, _, view in views],
        ("Technologies", TechnologiesView(presentation=presentation)),
        ("Physics reference", pn.pane.Markdown(physics, max_width=900, css_classes=["physics-reference"])),
        ("Sweeps", sweeps),
        active=0,
        dynamic=True,
        sizing_mode="stretch_width",
    )
    # The guided lessons (assets/lessons): listed in the overview, the open step in a card above the
    # tabs (explorer/views/lessons.py says why not a tab of their own).
    # The lessons and the library are parsed once per server process, again when a file changes
    # (explorer/views/_files.py).
    lessons = LessonsView(
        page_lessons(),
        {prefix: view.model for _, prefix, view in views},
        views={prefix: view for _, prefix, view in views},
        tabs=tabs,
        first_tab=1,
    )
    overview.append(lessons.overview)
    sweeps.open_scenario = sweep_opener({prefix: view.model for _, prefix, view in views}, tabs)
    problems = []
    if pn.state.location is not None:
        # A session built again in a second server process (--num-procs) gets its link's query back.
        restore_link_query(pn.state.location, getattr(pn.state.curdoc, "session_context", None))
        serialize_url_updates(pn.state.location)  # settings set from several threads of the page
        # A link's invalid values are dropped, and named in a banner, before the page syncs the rest.
        problems = clean_location(pn.state.location, n_tabs=len(tabs))
        # Each tab's parameters in the URL under a prefix, so a shared link restores the view.
        for _, prefix, view in views:
            for obj, names in view.synced():
                pn.state.location.sync(obj, {n: f"{prefix}.{n}" for n in names})
        pn.state.location.sync(tabs, {"active": "tab"})
        pn.state.location.sync(presentation, {"lecture": "lecture"})
        # Last: a link to a lesson step applies the step's settings over the link's own.
        pn.state.location.sync(lessons, {"lesson": "lesson", "step": "step"})
    # A plain column with a header bar rather than a Panel template: the template added Bootstrap's
    # scripts and style sheets, Font Awesome and server time to every page (measured in
    # docs/results/benchmarks.md, "Server and kernel settings").
    lecture = pn.widgets.Toggle.from_param(
        presentation.param.lecture, width=130, margin=(10, 15, 10, 5), css_classes=["lecture-toggle"]
    )
    # The scenario menu (assets/scenarios), and download and upload of every tab's settings, or the
    # visible tab's, as a scenario file (tab prefix -> the view's model; dashboard k is tab k + 1).
    scenario_buttons, scenario_status = scenario_controls(
        {prefix: view.model for _, prefix, view in views},
        HEADER_COLOUR,
        tabs=tabs,
        first_tab=1,
        library=page_library(),
        presentation=presentation,
        views={prefix: view for _, prefix, view in views},
    )
    # Lecturer (secret, broadcast) and Follow the lecturer (issue 25 item 2; explorer/views/follow.py).
    follow_row, follow_bar = follow_controls(
        {prefix: view.model for _, prefix, view in views}, HEADER_COLOUR, tabs=tabs, lessons=lessons
    )
    # The class's predictions (issue 25 item 3): each student's answer recorded, the class's answers on
    # the lecturer's lesson card (explorer/views/predictions.py).
    predictions, browser_id = class_predictions(lessons, follow_row.session)
    lessons.card.insert(len(lessons.card) - 1, predictions.panel)
    # Without a secret the follow row is empty; it stays out of the header, whose width lecture
    # mode's layout depends on.
    lecturer_buttons = (follow_row,) if follow_row.session.lecturer.enabled else ()
    header = pn.Row(
        pn.pane.HTML(HEADER, sizing_mode="stretch_width", margin=0),
        scenario_buttons,
        *lecturer_buttons,
        lecture,
        styles={"background": HEADER_COLOUR},
        sizing_mode="stretch_width",
        margin=0,
    )
    banner = problems_banner(problems)
    parts = (header, scenario_status, follow_bar, lessons.card, tabs, browser_id)
    if banner is not None:
        parts = (header, banner, *parts[1:])
    template = pn.Column(*parts, sizing_mode="stretch_width", margin=0, styles=presentation.page_styles())

    def restyle_page(event):
        # The page's own text (widgets, Markdown, tab headers) follows one inherited CSS property.
        template.styles = presentation.page_styles()

    presentation.param.watch(restyle_page, "lecture")
    template.lessons = lessons  # the page's lessons (tests and the class tools reach them here)
    inject_test_error(presentation)  # tests only, when the server's environment asks for it
    template.follow = follow_row.session
    template.predictions = predictions
    template.sweeps = sweeps  # the page's Sweeps tab (tests reach its model here)
    return template


if pn.state.served:
    never_cdn_style_sheets()
    tune_collector()  # fewer full collections, with or without the warm-up
    build_app().servable()
    serve_resources_locally(pn.state.curdoc)
    # One line per session in the server's output: the load command counts sessions cleaned up.
    session_created(pn.state.curdoc.session_context)
    pn.state.onload(lambda context=pn.state.curdoc.session_context: session_ready(context))
    pn.state.on_session_destroyed(session_destroyed)
