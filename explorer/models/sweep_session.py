"""The Sweeps tab's model (issue 27, item 3): one page's sweep, its run on Dask in the background,
its progress and its results as the result views' data. No Panel import: a notebook drives it the
same way.

    session = SweepSession(engine_for=lambda address: Engine(address))
    session.start()              # parses `text`; the run goes on in a thread of its own
    session.refresh()            # copies the run's progress and new results into the parameters
    session.cancel(); session.resume()
    session.heatmap()            # the chosen metric over the two chosen grid axes
    session.scenario_of(3)       # point 3's settings as a scenario (explorer.models.scenario)

The run is a `explorer.sweeps_dask.SweepRun` in its own thread: it never holds the caller (a page's
event loop) while points compute. Its results arrive in that thread; `refresh` (the view calls it
from a periodic callback of its session, a notebook calls it when it likes) copies them into
`results`, `done`, `total`, `seconds_left` and `state`, so the parameters change in the caller's
thread only. The session keeps one `PointCache` across its runs: Resume, a second Start, or a grid
enlarged in the text computes only the points not finished yet.

The Dask client comes from `engine_for(address)`, called when a run starts (never before): the
page's view gives one that keeps one engine per address for the whole server process (a local
cluster started on the first sweep of any session).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import param

from .dashboards.devices import format_duration
from .scenario import FORMAT as SCENARIO_FORMAT
from .scenario import Scenario
from .scenario import parse as parse_scenario
from .sweeps import (
    METRICS,
    PointResult,
    Sweep,
    SweepError,
    _describe,
    _plain_deep,
    heatmap,
    metric_values,
    pareto_front,
    parse,
)

DEFAULT_TEXT = """\
# The shipped example (assets/sweeps/drift-compensation.yaml) cut to 4 points of 2 chips each.
format: analog-explorer-sweep
version: 1
name: Slices against drift, PCM and RRAM
seed: 0
chips: 2
metrics: [rel.accuracy, rel.float_accuracy]
times: [1 h, 1 y]
base:
  rel: {compensation: none}
grid:
  rel.technology: [PCM, RRAM]
  rel.n_slices: [1, 2]
"""
"""The sweep a page opens with: the shipped example's grid reduced to two technologies and one or
two slices without drift compensation, 2 chips per point, so that it runs in tens of seconds; the
slices are its cost axis (the Pareto front of accuracy against the devices per weight)."""

STATES = ("idle", "starting", "running", "cancelling", "cancelled", "finished", "failed")
"""A session's `state`: nothing run yet; a run started but no client yet; points computing; Cancel
pressed and the run not stopped yet; stopped by Cancel (Resume goes on); every point has a result;
the run itself stopped (a scheduler that did not answer, say: `message` says why)."""

COSTS = ("prog.pulses", "prog.chip_time", "prog.energy", "prog.reads", "train.pulses", "train.chip_time")
"""The metrics that are a cost (lower is better) on the Pareto front's horizontal axis."""
ERRORS = ("xb.mvm_error", "xb.adc_clipping", "enc.mvm_error", "enc.weight_error", "prog.mvm_error")
ERRORS += ("prog.weight_error", "train.weight_error", "prog.iterations")
"""The metrics where lower is better (an error, a clipping fraction); the others are scores
(accuracy: higher is better)."""


class SweepSession(param.Parameterized):
    """One page's sweep: the text, where it runs, its run's progress and results, and the choices
    of the result views. `engine_for(address)` returns the `explorer.sweeps_dask.Engine` to run on
    (address None: a local cluster); it is called when a run starts. `compute` replaces the task's
    function (`SweepRun`'s `compute`; tests slow it down)."""

    text = param.String(default=DEFAULT_TEXT, doc="The sweep, JSON or YAML (docs/how-to/sweeps.md).")
    address = param.String(default="", doc="A Dask scheduler's address (tcp://host:8786); empty: a local cluster.")
    state = param.Selector(default="idle", objects=list(STATES), constant=True, doc="What the run is doing.")
    message = param.String(default="", constant=True, doc="Why the text or the run was refused ('' if not).")
    error_field = param.String(default="", constant=True, doc="The dotted field the refusal names.")
    done = param.Integer(default=0, bounds=(0, None), constant=True, doc="Points with a result.")
    total = param.Integer(default=0, bounds=(0, None), constant=True, doc="Points of the sweep.")
    computed = param.Integer(default=0, bounds=(0, None), constant=True, doc="Points this run computed.")
    seconds_left = param.Number(default=math.nan, constant=True, doc="Estimated time to the end (s).")
    dashboard_link = param.String(default="", constant=True, doc="The Dask dashboard of the cluster.")
    revision = param.Integer(default=0, constant=True, doc="Incremented whenever results arrive.")

    x_axis = param.Selector(default=None, objects=[], doc="The heatmap's horizontal axis, a grid axis.")
    y_axis = param.Selector(default=None, objects=[], doc="The heatmap's vertical axis, a grid axis.")
    metric = param.Selector(default=None, objects=[], doc="The metric shown, one of the sweep's.")
    time_s = param.Selector(default=None, objects=[], doc="The read time of a timed metric (s).")
    cost = param.Selector(default=None, objects=[], doc="The Pareto front's cost: a cost metric or a swept setting.")

    def __init__(
        self,
        engine_for: Callable[[str | None], Any] | None = None,
        compute: Callable[[Sweep, Mapping[str, Any], int], PointResult] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self._engine_for = engine_for if engine_for is not None else _local_engine
        self._compute = compute
        self.sweep: Sweep | None = None
        self.results: dict[int, PointResult] = {}
        self._run = None
        self._engine = None
        self._cache = None

    # ------------------------------------------------------------ controls

    def check(self) -> Sweep | None:
        """Parse `text`: the sweep, or None with `message` and `error_field` naming what is wrong.
        Before any run the views' choices follow the text's axes and metrics; after one they are
        those of the sweep whose results are shown, until the next Start."""
        try:
            sweep = parse(self.text)
        except SweepError as exc:
            self._set(message=str(exc), error_field=exc.field)
            return None
        self._set(message="", error_field="")
        if self.sweep is None:
            self._choices(sweep)
        return sweep

    def _choices(self, sweep: Sweep) -> None:
        axes = [n for n, _ in sweep.axes]
        metrics = list(sweep.metrics)
        timed = any(METRICS[m].timed for m in metrics)
        costs = [m for m in metrics if m in COSTS] + [n for n in axes if _numeric_axis(sweep, n)]
        x = axes[0] if axes else None
        y = axes[1] if len(axes) > 1 else x
        updates = {
            "x_axis": (axes, self.x_axis if self.x_axis in axes else x),
            "y_axis": (axes, self.y_axis if self.y_axis in axes and self.y_axis != x else y),
            "metric": (metrics, self.metric if self.metric in metrics else metrics[0]),
            "time_s": ({format_duration(t): t for t in sweep.times_s} if timed else [], self.time_s if timed else None),
            "cost": (costs, self.cost if self.cost in costs else (costs[0] if costs else None)),
        }
        for name, (objects, _) in updates.items():
            self.param[name].objects = objects
        values = {name: value for name, (_, value) in updates.items()}
        if timed and values["time_s"] not in sweep.times_s:
            values["time_s"] = sweep.times_s[-1] if timed else None
        self.param.update(**values)

    def start(self) -> bool:
        """Start a run of the sweep in `text` (the points already finished in this session's cache
        are not computed again). False, with `message` saying why, if the text is refused or a run
        is going on."""
        if self.running:
            self._set(message="A sweep is running; cancel it first.", error_field="")
            return False
        sweep = self.check()
        if sweep is None:
            return False
        if self.sweep is None or _results_key(self.sweep) != _results_key(sweep):
            self.results = {}
        self.sweep = sweep
        self._choices(sweep)
        self._launch()
        return True

    def resume(self) -> bool:
        """Run the last sweep again after a cancel: only its missing points compute (the text is
        not read again). False if there is nothing to resume."""
        if self.running or self.sweep is None:
            self._set(message="Nothing to resume: start a sweep first." if self.sweep is None else "", error_field="")
            return False
        self._launch()
        return True

    def cancel(self) -> None:
        """Stop the run: no further point starts; the finished ones stay (Resume computes the rest)."""
        run = self._run
        if run is not None and self.running:
            run.cancel()
            self._set(state="cancelling")

    @property
    def running(self) -> bool:
        """Whether a run's thread is going on."""
        return self._run is not None and self.state in ("starting", "running", "cancelling")

    def _launch(self) -> None:
        from ..sweeps_dask import PointCache, SweepRun  # the Dask side, loaded when a run starts

        if self._cache is None:
            self._cache = PointCache()
        address = self.address.strip() or None
        engine = self._engine_for(address)
        extra = {} if self._compute is None else {"compute": self._compute}
        self._run = SweepRun(self.sweep, engine, self._cache, **extra)
        self._engine = engine
        self._set(state="starting", message="", error_field="", done=0, total=self.sweep.size(), computed=0)
        self._set(seconds_left=math.nan)
        self._run.start()

    def refresh(self) -> bool:
        """Copy the run's progress and new results into the parameters (in the caller's thread);
        whether anything changed."""
        run = self._run
        if run is None:
            return False
        new = {i: r for i, r in list(run.results.items()) if self.results.get(i) is not r}
        ended = run.join(0) if self.state in ("starting", "running", "cancelling") else False
        changes: dict[str, Any] = {"done": run.done, "computed": run.computed}
        changes["seconds_left"] = run.seconds_left()
        link = self._engine.dashboard_link if self._engine is not None else ""
        if link != self.dashboard_link:
            changes["dashboard_link"] = link
        if ended:
            if run.error is not None:
                changes.update(state="failed", message=f"{type(run.error).__name__}: {run.error}")
                # A scheduler that does not answer is the address field's fault.
                changes["error_field"] = "address" if type(run.error).__name__ == "SchedulerError" else ""
            elif run.cancelled:
                changes["state"] = "cancelled"
            else:
                changes["state"] = "finished"
            changes["seconds_left"] = 0.0 if changes["state"] == "finished" else math.nan
        elif self.state == "starting" and (link or run.done):
            changes["state"] = "running"
        if new:
            self.results.update(new)
            changes["revision"] = self.revision + 1
        before = {k: getattr(self, k) for k in changes}
        if before == changes and not new:
            return False
        self._set(**changes)
        return True

    def _set(self, **values: Any) -> None:
        with param.edit_constant(self):
            self.param.update(**values)

    # ------------------------------------------------------------ the views' data

    def _time(self) -> float | None:
        return self.time_s if self.metric is not None and METRICS[self.metric].timed else None

    def heatmap(self) -> dict[str, Any] | None:
        """`explorer.models.sweeps.heatmap` of the chosen metric over `x_axis` and `y_axis` (None
        without a sweep or without two grid axes)."""
        if self.sweep is None or self.x_axis is None or self.y_axis is None or self.x_axis == self.y_axis:
            return None
        return heatmap(self.sweep, list(self.results.values()), self.x_axis, self.y_axis, self.metric, self._time())

    def values(self) -> dict[int, tuple[float, float]]:
        """Point index -> (value, ci95) of the chosen metric at the chosen time."""
        if self.metric is None:
            return {}
        return metric_values(list(self.results.values()), self.metric, self._time())

    def curves(self) -> dict[Any, list[tuple[Any, float]]]:
        """The chosen metric against `x_axis`, one curve per value of `y_axis` (that value ->
        ``[(x value, mean over the points of x and y), ...]`` in the axis's order, points that have
        not arrived left out). Without a second axis, one curve under the key None."""
        if self.sweep is None or self.x_axis is None:
            return {}
        if self.y_axis is None or self.y_axis == self.x_axis:
            xs = dict(self.sweep.axes)[self.x_axis]
            values = self.values()
            grid = self.sweep.size() - len(self.sweep.extra)
            sums: dict[int, list[float]] = {}
            for i, p in enumerate(self.sweep.points()[:grid]):
                if i in values and not math.isnan(values[i][0]):
                    sums.setdefault(xs.index(p[self.x_axis]), []).append(values[i][0])
            return {None: [(xs[k], sum(v) / len(v)) for k, v in sorted(sums.items())]}
        h = self.heatmap()
        out = {}
        for row, y in enumerate(h["y_values"]):
            out[y] = [(x, float(h["value"][row, col])) for col, x in enumerate(h["x_values"]) if h["count"][row, col]]
        return out

    def pareto(self) -> dict[str, Any]:
        """The points with both the chosen metric (the score) and `cost`: ``points`` (index ->
        (cost, score)), ``front`` (the indices of the Pareto front, `sweeps.pareto_front`, ordered
        by cost) and ``settings`` (index -> the point's settings as text, for the hover). A metric
        where lower is better (`ERRORS`) is negated for the front, so the front holds the lowest
        errors at each cost. Empty without a cost."""
        if self.sweep is None or self.cost is None or self.metric is None:
            return {"points": {}, "front": [], "settings": {}}
        scores = {i: v for i, (v, _) in self.values().items()}
        if self.cost in METRICS:
            costs = {i: v for i, (v, _) in metric_values(list(self.results.values()), self.cost).items()}
        else:
            costs = {i: float(r.point[self.cost]) for i, r in self.results.items() if self.cost in r.point}
        sign = -1.0 if self.metric in ERRORS else 1.0
        front = pareto_front(costs, {i: sign * s for i, s in scores.items()})
        both = sorted(set(costs) & set(scores))
        return {
            "points": {i: (costs[i], scores[i]) for i in both},
            "front": front,
            "settings": {i: describe(self.results[i].point) for i in both},
        }

    def points_in_cell(self, x_value: Any, y_value: Any) -> list[int]:
        """The finished points whose `x_axis` and `y_axis` settings are `x_value` and `y_value`
        (a heatmap cell's points, whose mean the cell shows), in point order."""
        if self.x_axis is None or self.y_axis is None:
            return []
        return [
            i
            for i in self.finished_points()
            if self.results[i].point.get(self.x_axis) == x_value and self.results[i].point.get(self.y_axis) == y_value
        ]

    def finished_points(self) -> list[int]:
        """The indices of the points with metrics (not failed), in point order."""
        return sorted(i for i, r in self.results.items() if not r.error)

    def scenario_of(self, index: int) -> Scenario:
        """Point `index`'s settings (the sweep's base and the point's own, on every tab a metric is
        computed on) as a scenario, read by `scenario.parse` as a file of them; its ``tab`` is the
        first metric's tab, which the page switches to. ValueError naming `index` if the sweep has
        no such point."""
        if self.sweep is None:
            raise ValueError("index: no sweep has run yet")
        points = self.sweep.points()
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(points):
            raise ValueError(f"index: {index!r} is not a point of the sweep (0 to {len(points) - 1})")
        point = points[index]
        text = json.dumps(
            {
                "format": SCENARIO_FORMAT,
                "version": 1,
                "name": f"Sweep point {index}: {describe(point)}",
                "tab": METRICS[self.sweep.metrics[0]].tab,
                "tabs": _plain_deep(self.sweep.tab_settings(point)),
            }
        )
        return parse_scenario(text)


def describe(point: Mapping[str, Any]) -> str:
    """A point's settings as ``tab.setting=value, ...`` (values as JSON)."""
    return _describe(point)


def _numeric_axis(sweep: Sweep, name: str) -> bool:
    values = dict(sweep.axes)[name]
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _results_key(sweep: Sweep) -> tuple:
    """What a point's index means: the same points in the same order keep the shown results."""
    return (sweep.seed, sweep.chips, sweep.metrics, sweep.times_s, tuple(map(repr, sweep.points())))


def _local_engine(address: str | None):
    from ..sweeps_dask import Engine

    return Engine(address)


__all__ = ["COSTS", "DEFAULT_TEXT", "ERRORS", "STATES", "SweepSession", "describe"]
