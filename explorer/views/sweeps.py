"""The Sweeps tab (issue 27, item 3): write a sweep, run it on Dask, watch its results arrive as
HoloViews views, and open any point as a scenario on the other tabs.

The model is `explorer.models.sweep_session.SweepSession`; this view lays out its controls, shows
its refusals (the field named), its progress and a link to Dask's dashboard, and draws
`explorer.figures.sweeps`'s heatmap, curves and Pareto front with `pn.pane.HoloViews`. The run goes
on in the model's thread; a periodic callback of the page's session (`POLL_MS`) copies its
progress and results in, in the session's own context, and stops when the run ends.

The Dask engine is the server's, not the page's: `engine_for` keeps one per scheduler address in
`pn.state.cache` (one local cluster per server process), created when a sweep first starts, never
when the page or the server opens. "Open point" applies the chosen point's settings through
`open_scenario` (the page's scenario path, `explorer.models.scenario.apply`, and the switch to the
point's tab); a tap on a point of the Pareto front, or on a heatmap cell (its first point), chooses
it. In lecture mode the figures are redrawn with the page's larger fonts.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import panel as pn
import param

from ..models.dashboards.devices import format_duration
from ..models.scenario import Scenario, ScenarioError
from ..models.sweep_session import SweepSession, describe
from ._present import follow_page_font
from ._widgets import WidgetsOnFirstUse

POLL_MS = 500
"""Period of the session's callback that copies a run's progress and results into the page (ms)."""

WIDTH_FIGURE = 580
"""Width (px) of the point chooser's column, about a figure's (`explorer.figures.sweeps.WIDTH`)."""

ENGINE_KEY = "explorer-sweeps-engine"
"""The prefix of the `pn.state.cache` keys of the server's Dask engines (one per address)."""


def engine_for(address: str | None):
    """The server's `explorer.sweeps_dask.Engine` for `address` (None: the local cluster), made on
    first use and kept in `pn.state.cache`, so every session of the server shares one cluster. The
    engine connects (or starts its cluster) when a run first asks for its client.

    Under ``panel serve`` the local cluster is admitted like any heavy request (`local_cluster_options`):
    a student's sweep must not take the cores the class's updates need."""
    from ..sweeps_dask import Engine

    key = f"{ENGINE_KEY}:{address or 'local'}"
    engine = pn.state.cache.get(key)
    if engine is None:
        options = local_cluster_options(served=pn.state.served) if address is None else {}
        engine = pn.state.cache.setdefault(key, Engine(address, **options))
    return engine


def local_cluster_options(served: bool) -> dict:
    """The local cluster of a served app: as many workers as the server's budget lets heavy requests
    run at once (`explorer.admission.Budget.jobs`, `--budget-jobs`, one by default: of two cores one
    stays with the sessions), at the heavy worker processes' lower priority (`explorer.workers.NICE`).
    In a notebook or script (not served): the default, a worker per core at normal priority."""
    if not served:
        return {}
    from ..admission import server_budget
    from ..sweeps_dask import local_workers
    from ..workers import NICE

    return {"n_workers": min(local_workers(), server_budget().jobs), "nice": NICE}


class SweepsView(WidgetsOnFirstUse, pn.viewable.Viewer):
    """The Sweeps tab of one page. `open_scenario(scenario)` applies a point's scenario to the
    page's tabs and shows its tab, returning a message for the status line (without it, Open point
    only says which scenario it would open)."""

    INTRO = (
        "A **sweep** runs a grid of scenarios, each point a Monte Carlo over chips, on "
        "[Dask](https://distributed.dask.org/): a local cluster started with the first sweep, or the "
        "scheduler whose address you give. Edit the sweep below (YAML or JSON; see docs/how-to/sweeps.md "
        "in the project's repository), press **Start**, and pick a point to open it on its tab."
    )

    def __init__(
        self,
        model: SweepSession | None = None,
        open_scenario: Callable[[Scenario], str] | None = None,
        presentation: param.Parameterized | None = None,
    ) -> None:
        super().__init__()
        self.model = model if model is not None else SweepSession(engine_for=engine_for)
        self.open_scenario = open_scenario
        self.presentation = presentation
        self._callback = None

    WIDGET_ATTRS = (
        "text",
        "address",
        "start_button",
        "cancel_button",
        "resume_button",
        "progress",
        "status",
        "refusal",
        "dashboard",
        "choices",
        "point",
        "open_button",
        "opened",
        "heatmap_pane",
        "curves_pane",
        "pareto_pane",
        "_tap",
        "_cell_tap",
        "_drawn",
    )

    def make_widgets(self) -> None:
        """The tab's widgets and figure panes, the watchers that keep them in step with the model, and
        the default sweep's check shown (built when the tab is first shown, `WidgetsOnFirstUse`)."""
        super().make_widgets()
        m = self.model
        presentation = self.presentation
        self.text = pn.widgets.TextAreaInput.from_param(
            m.param.text, label="Sweep (YAML or JSON)", height=300, sizing_mode="stretch_width"
        )
        self.address = pn.widgets.TextInput.from_param(
            m.param.address, label="Scheduler address (empty: a local cluster)", placeholder="tcp://host:8786"
        )
        self.start_button = pn.widgets.Button(label="Start", color="primary", css_classes=["sweep-start"])
        self.cancel_button = pn.widgets.Button(label="Cancel", disabled=True, css_classes=["sweep-cancel"])
        self.resume_button = pn.widgets.Button(label="Resume", disabled=True, css_classes=["sweep-resume"])
        self.progress = pn.indicators.Progress(value=0, max=1, sizing_mode="stretch_width", bar_color="primary")
        self.status = pn.pane.Markdown("No sweep run yet.", css_classes=["sweep-status"], sizing_mode="stretch_width")
        self.refusal = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["sweep-error"])
        self.dashboard = pn.pane.HTML("", css_classes=["sweep-dashboard"])
        self.choices = {
            name: pn.widgets.Select.from_param(m.param[name], label=label, width=190)
            for name, label in (
                ("metric", "Metric"),
                ("time_s", "Read at (s)"),
                ("x_axis", "Horizontal axis"),
                ("y_axis", "Vertical axis / curves by"),
                ("cost", "Pareto cost"),
            )
        }
        self.point = pn.widgets.Select(label="Point", options={}, width=440, css_classes=["sweep-point"])
        self.open_button = pn.widgets.Button(label="Open point", disabled=True, css_classes=["sweep-open"])
        self.opened = pn.pane.Markdown("", css_classes=["sweep-opened"], sizing_mode="stretch_width")
        self.heatmap_pane = pn.pane.HoloViews(None, css_classes=["sweep-heatmap"])
        self.curves_pane = pn.pane.HoloViews(None, css_classes=["sweep-curves"])
        self.pareto_pane = pn.pane.HoloViews(None, css_classes=["sweep-pareto"])
        self._tap = None
        self._cell_tap = None
        self._drawn = None

        self.start_button.on_click(lambda event: self.start())
        self.cancel_button.on_click(lambda event: self.cancel())
        self.resume_button.on_click(lambda event: self.resume())
        self.open_button.on_click(lambda event: self.open_point())
        self.point.param.watch(self._chosen, "value")
        m.param.watch(lambda *events: self._checked(), "text")
        m.param.watch(lambda *events: self._draw(), ["metric", "time_s", "x_axis", "y_axis", "cost", "revision"])
        m.param.watch(lambda *events: self._show_state(), ["state", "done", "total", "message", "dashboard_link"])
        if presentation is not None:  # lecture mode redraws the figures with its fonts
            presentation.param.watch(lambda *events: self._draw(), "lecture")
        self._checked()

    # ------------------------------------------------------------------ actions

    def start(self) -> None:
        """Start the sweep of the text box (`SweepSession.start`) and watch its run."""
        if self.model.start():
            self._watch_run()
        self._show_state()

    def resume(self) -> None:
        """Resume the last sweep: only its missing points compute (`SweepSession.resume`)."""
        if self.model.resume():
            self._watch_run()
        self._show_state()

    def cancel(self) -> None:
        """Cancel the run: no new point starts, the finished ones stay (`SweepSession.cancel`)."""
        self.model.cancel()
        self._show_state()

    def _chosen(self, event) -> None:
        """Say which point is chosen (from the list or a tap) and what Open point will do. The page
        sends a choice and a click as separate events, which the server may handle in different
        threads: this line is where a person (and the browser test) sees the choice arrive."""
        labels = {i: label for label, i in self.point.options.items()}
        if event.new in labels:
            self.opened.object = html.escape(f"Chosen: {labels[event.new]}. Open point applies its settings.")

    def open_point(self) -> None:
        """Apply the chosen point's settings as a scenario (`open_scenario`)."""
        index = self.point.value
        if index is None:
            self.opened.object = "Choose a finished point first."
            return
        try:
            scenario = self.model.scenario_of(index)
            message = self.open_scenario(scenario) if self.open_scenario is not None else f"Would open {scenario.name}"
        except (ValueError, ScenarioError) as exc:
            message = f"Not opened: {exc}"
        self.opened.object = html.escape(message)

    def _watch_run(self) -> None:
        """Copy the run's progress in every `POLL_MS` from the session's own callback (served), or
        leave it to `refresh` (no server: a test or a notebook calls it)."""
        if self._callback is None and pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            self._callback = pn.state.add_periodic_callback(self._tick, period=POLL_MS)

    def _tick(self) -> None:
        self.refresh()
        if not self.model.running and self._callback is not None:
            self._callback.stop()
            self._callback = None

    def refresh(self) -> bool:
        """The model's `refresh`, and the page with it; whether anything changed."""
        return self.model.refresh()

    # ------------------------------------------------------------------ showing

    def _checked(self) -> None:
        self.model.check()
        self._show_state()
        self._draw()

    def _show_state(self) -> None:
        m = self.model
        self.refusal.param.update(object=html.escape(m.message), visible=bool(m.message))
        running = m.running
        self.start_button.disabled = running
        self.cancel_button.disabled = not running or m.state == "cancelling"
        self.resume_button.disabled = running or m.state not in ("cancelled", "failed", "finished")
        self.progress.param.update(max=max(m.total, 1), value=min(m.done, max(m.total, 1)))
        if m.state == "idle":
            text = "No sweep run yet."
        else:
            left = "" if math.isnan(m.seconds_left) else f", about {format_duration(max(m.seconds_left, 1.0))} left"
            if m.state in ("finished", "cancelled", "failed"):
                left = ""
            failed = [r for _, r in sorted(m.results.items()) if r.error]
            bad = ""
            if failed:
                first = failed[0]
                bad = f", {len(failed)} failed (point {first.index}, {describe(first.point)}: {first.error})"
            text = f"**{m.state.capitalize()}**: {m.done} of {m.total} points done{left}{bad}."
            if m.state == "starting":
                text += " Starting the Dask cluster (the first sweep of the server takes a few seconds)."
        self.status.object = text
        link = m.dashboard_link
        self.dashboard.object = (
            f'<a href="{html.escape(link)}" target="_blank" rel="noopener">Dask dashboard</a> of the cluster'
            if link
            else ""
        )

    def _draw(self) -> None:
        """Redraw the figures and the point list if the results or the choices changed."""
        m = self.model
        scale = self.presentation.scale if self.presentation is not None else 1.0
        key = (m.revision, m.metric, m.time_s, m.x_axis, m.y_axis, m.cost, id(m.sweep), scale)
        if key == self._drawn or m.sweep is None:
            return
        self._drawn = key
        from ..figures import sweeps as figures  # HoloViews, loaded when a sweep has results to draw

        heatmap = figures.heatmap_figure(m, scale)
        self.heatmap_pane.object = heatmap
        self.curves_pane.object = figures.curves_figure(m, scale)
        pareto = figures.pareto_figure(m, scale)
        self.pareto_pane.object = pareto
        self._follow_taps(pareto)
        self._follow_cell_taps(heatmap)
        options = {f"{i}: {describe(m.results[i].point)}": i for i in m.finished_points()}
        chosen = self.point.value
        self.point.options = options
        if chosen in options.values():
            self.point.value = chosen
        self.open_button.disabled = not options

    def _follow_taps(self, pareto) -> None:
        """A tap on a point of the Pareto figure chooses it in the point list (a stream on the new
        figure each time it is drawn; the old one goes with the old figure)."""
        import holoviews as hv

        scatter = next(el for el in pareto if "settings" in [d.name for d in el.vdims])  # the points
        points = [int(i) for i in scatter.dimension_values("point")] if len(scatter) else []

        def chosen(event):
            if event.new and event.new[0] < len(points):
                self.point.value = points[event.new[0]]

        self._tap = hv.streams.Selection1D(source=scatter)
        self._tap.param.watch(chosen, "index")

    def _follow_cell_taps(self, heatmap) -> None:
        """A tap on a heatmap cell chooses the cell's first finished point in the point list (a cell
        shows the mean over the other axes' points: Open point then opens that one). The tap gives
        the cell's categories as drawn (`figures.sweeps.category_label`), mapped back to the values."""
        import holoviews as hv

        from ..figures.sweeps import category_label

        h = self.model.heatmap()
        if h is None:
            self._cell_tap = None
            return
        xs = {category_label(v): v for v in h["x_values"]}
        ys = {category_label(v): v for v in h["y_values"]}

        def chosen(*events):
            tap = self._cell_tap
            if tap is None or tap.x not in xs or tap.y not in ys:
                return
            points = self.model.points_in_cell(xs[tap.x], ys[tap.y])
            if points:
                self.point.value = points[0]

        self._cell_tap = hv.streams.Tap(source=heatmap, x=None, y=None)
        self._cell_tap.param.watch(chosen, ["x", "y"])

    # ------------------------------------------------------------------ layout

    def controls(self) -> pn.Column:
        """The left-hand column: the text, its refusal, the address, the buttons, the progress."""
        column = pn.Column(
            pn.pane.Markdown(self.INTRO, sizing_mode="stretch_width"),
            self.text,
            self.refusal,
            self.address,
            pn.Row(self.start_button, self.cancel_button, self.resume_button),
            self.progress,
            self.status,
            self.dashboard,
            width=420,
        )
        follow_page_font(column)
        return column

    def __panel__(self):
        # Lazy: a page whose Sweeps tab nobody opens builds none of its widgets.
        render = param.depends()(lambda: self._render())  # no dependencies: rendered once, when shown
        return pn.param.ParamFunction(render, lazy=True, sizing_mode="stretch_width")

    def _render(self):
        # Flex boxes wrap: the selects and the three figures fill the width the page gives them
        # (one figure under another beside the controls at 1500 and 1280 px; side by side on wider
        # screens).
        choices = pn.FlexBox(*self.choices.values(), sizing_mode="stretch_width")
        follow_page_font(choices)
        opener = pn.Column(pn.Row(self.point, self.open_button), self.opened, width=WIDTH_FIGURE)
        figures = pn.Column(
            choices,
            pn.FlexBox(self.heatmap_pane, self.curves_pane, self.pareto_pane, opener, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.on_session_destroyed(lambda context: self.model.cancel())
        return pn.Row(self.controls(), figures, sizing_mode="stretch_width")


__all__ = ["ENGINE_KEY", "POLL_MS", "SweepsView", "engine_for", "local_cluster_options"]
