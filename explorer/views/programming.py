"""Programming dashboard: one-shot, program-and-verify and gradient-descent programming of a
protocol matrix, with convergence curves that stream while the run goes on, the devices' errors
and conductances, and a table comparing the methods on the same matrix and seed.

The run steps in a thread of the session's own (Start / Pause / Reset), so it goes on while the
person looks at another tab and never holds the server's event loop; a periodic callback of the
session shows its new points (Panel runs it in the session's context, where page changes belong)."""

import numpy as np
import panel as pn
import param

from ..models.dashboards.programming import RUN_METHODS, ProgrammingExplorer
from ._axes import percent_axis
from ._live import Chart, CrossbarReadout, LiveDashboard, LivePlot, Part, positive, step_outline
from ._palette import BLUE, GREEN, GREY, VERMILLION
from ._runs import Pace, RunButtons, RunDriver, RunSetting
from ._states import IdleControls, add_frame, frame_data, idle_while
from ._widgets import control_widget, ohm_formatter, throttled_slider

PACE = Pace(step_seconds=0.1, chunk=(1, 1, 64), first_wait=0.1, wait=0.02, poll_ms=100, priority="normal")
"""How the run steps (`Pace`): steps of about 0.1 s wall time (at least five curve updates per
second), 1 to 64 iterations each. The thread waits 0.1 s before its first step and 0.02 s after
every step: a stepping thread holds the interpreter lock most of the time, and the server's event
loop, which sends the page its changes, needs it too (in the browser, GDP on 64 x 64, the first
point shows sooner with the wait than without: docs/results/programming.md,
``python -m explorer.tools.browser_benchmark --programming``). The session's callback
shows new points every 100 ms. The thread keeps the normal scheduling priority it has always had
(the Training runs yield theirs)."""

ITERATION_LABEL = "iteration"

CONVERGENCE_TEXT = r"""MVM error $$\eta = \mathrm{mean}\,\lVert y - y_{ideal}\rVert/\lVert y_{ideal}\rVert$$
(section 12, one read per iteration at $$t$$ = 0) and weight error $$\lVert W_{prog} - W\rVert/\lVert W\rVert$$.
Verify: pulse, read each device, correct by gain x error until within $$\varepsilon$$; GDP (Büchel et al.,
IEEE JETCAS 2023): $$\Delta W = -\eta\,X^T(y_{array} - XW)/B$$, blind, row by row, at most 31 pulses per device."""

COST_TEXT = r"""Cumulative pulses, single-device reads and chip time. Chip time assumes verify pulses
and reads the devices of a row together, as many as "Devices verified at once" (0: the whole row;
arrays verify up to 512 weights at once, row by row, Narayanan et al. IEEE TED 2021); the title
gives it one device at a time too. GDP pulses row by row and reads only MVM outputs. Durations and
energies: physics reference section 7b (NVSim defaults, Ambrogio et al. Nature 2018, NeuRRAM);
illustrative where no source was found."""

DEVICES_TEXT = r"""Left: each device's mean conductance minus its target at $$t$$ = 0, with the
tolerance band $$\pm\varepsilon\,(g_{max}-g_{min})$$ shaded. Right: the programmed conductances
(solid) against the targets (dashed); the levels sharpen as the run converges."""


ERROR_FRAME = (5e-3, 2.0)
"""Relative errors the error plot spans before a run: a run starts near 100 % (nothing programmed)
and ends at a few percent or less (verify's tolerance band; one-shot and GDP end higher)."""
PULSES_PER_DEVICE = 300.0
"""Cumulative counts the cost plot spans before a run: up to this many pulses per device, about what
the three methods' runs reach at the defaults (`ProgrammingExplorer().comparison()`: a few hundred
per device); chip time in µs stays within it there too."""


def convergence_plots():
    errors = LivePlot(ITERATION_LABEL, "relative error", y_log=True)
    percent_axis(errors.figure)  # fractions, shown in percent as the title gives them
    errors.line("mvm", line_width=2, line_color=BLUE)
    errors.line("weight", line_width=2, line_color=VERMILLION, line_dash="dashed")
    costs = LivePlot(ITERATION_LABEL, "cumulative count / chip time (µs)", y_log=True)
    costs.line("pulses", line_width=2, line_color=BLUE)
    costs.line("reads", line_width=2, line_color=VERMILLION, line_dash="dashed")
    costs.line("chip", line_width=2, line_color=GREEN, line_dash="dotted")
    for plot in (errors, costs):
        add_frame(plot)
    return errors, costs


def convergence_frames(h, size):
    """The plots' frames (`frame_data`) before a run, none once it has started: the iterations the
    run may take (one for one-shot) against `ERROR_FRAME` and 1 to `PULSES_PER_DEVICE` pulses per
    device of a ``size x size`` matrix."""
    if int(h["iteration"][-1]) > 0:
        return frame_data(None), frame_data(None)
    last = 1.0 if h["method"] == "one-shot" else float(h["max_iterations"])
    return (
        frame_data((0.0, last), ERROR_FRAME, "Press Start", y_log=True),
        frame_data((0.0, last), (1.0, PULSES_PER_DEVICE * size * size), "Press Start", y_log=True),
    )


def convergence_data(view):
    h = view.model.convergence()  # a run's state, cheap to read: no memo (iteration 0 recurs)
    it = h["iteration"].astype(float)
    error_frame, cost_frame = convergence_frames(h, view.model.size)
    if int(it[-1]) == 0 and not h["done"]:  # before a run: short titles, the frames say what comes
        return (
            {
                "title": f"{h['method']}: MVM error (solid), weight error (dashed)",
                "mvm": {"x": it, "y": positive(h["mvm_error"])},
                "weight": {"x": it, "y": positive(h["weight_error"])},
                **error_frame,
            },
            {
                "title": "Pulses, device reads and chip time",
                "pulses": {"x": it, "y": positive(h["pulses"])},
                "reads": {"x": it, "y": positive(h["reads"])},
                "chip": {"x": it, "y": positive(1e6 * h["chip_time_s"])},
                **cost_frame,
            },
        )
    state = "converged" if h["converged"][-1] else ("stopped" if h["done"] else "running")
    title = (
        f"{h['method']}, iteration {int(it[-1])}: MVM error {h['mvm_error'][-1]:.2%} (solid), "
        f"weight error {h['weight_error'][-1]:.2%} (dashed), {state}"
    )
    chip = f"chip time {1e6 * h['chip_time_s'][-1]:,.1f} µs (dotted"
    if h["method"] == "verify":
        chip += (
            f"; {h['devices_at_once']:,} devices verified at once, one at a time "
            f"{1e6 * h['chip_time_serial_s'][-1]:,.1f} µs"
        )
    costs = f"{int(h['pulses'][-1]):,} pulses (solid), {int(h['reads'][-1]):,} device reads (dashed), {chip})"
    return (
        {
            "title": title,
            "mvm": {"x": it, "y": positive(h["mvm_error"])},
            "weight": {"x": it, "y": positive(h["weight_error"])},
            **error_frame,
        },
        {
            "title": costs,
            "pulses": {"x": it, "y": positive(h["pulses"])},
            "reads": {"x": it, "y": positive(h["reads"])},
            "chip": {"x": it, "y": positive(1e6 * h["chip_time_s"])},
            **cost_frame,
        },
    )


def device_plots():
    errors = LivePlot("device error (µS)", "devices")
    errors.line("counts", line_width=1.5, line_color=BLUE)
    errors.box("band", fill_alpha=0.15, fill_color=GREEN)
    levels = LivePlot("conductance (µS)", "devices", y_log=True, y_start=0.7)
    levels.line("programmed", line_width=1.5, line_color=BLUE)
    levels.line("targets", line_width=1, line_dash="dashed", line_color=GREY)
    return errors, levels


def device_data(view):
    d = view.model.devices()
    ex, ey = step_outline(d["error_edges"], d["error_counts"])
    gx, gy = step_outline(d["g_edges"], np.maximum(d["g_counts"], 0.7))
    tx, ty = step_outline(d["g_edges"], np.maximum(d["target_counts"], 0.7))
    tol = d["tolerance_uS"]
    return (
        {
            "title": f"Iteration {d['iteration']}: {d['within']:.1%} of devices within ±{tol:.2f} µS",
            "counts": {"x": ex, "y": ey},
            "band": (-tol, tol),
        },
        {
            "title": "Programmed conductances (solid) and targets (dashed)",
            "programmed": {"x": gx, "y": gy},
            "targets": {"x": tx, "y": ty},
        },
    )


CHARTS = (
    Chart(
        "Convergence",
        convergence_plots,
        (Part(convergence_data, ("iteration",)),),
        CONVERGENCE_TEXT + "\n\n" + COST_TEXT,
    ),
    Chart("Programmed devices", device_plots, (Part(device_data, ("iteration",)),), DEVICES_TEXT),
)
"""Every plot of the dashboard. A change of any setting starts a new run (iteration 0), so every
part depends on the run's iteration alone."""

COMPARISON_COLUMNS = (
    ("method", "method", "{}"),
    ("mvm_error", "MVM error", "{:.2%}"),
    ("weight_error", "weight error", "{:.2%}"),
    ("pulses", "pulses", "{:,}"),
    ("reads", "device reads", "{:,}"),
    ("mvms", "MVMs", "{:,}"),
    ("chip_time_s", "chip time (µs)", "{:,.1f}"),
    ("chip_time_serial_s", "chip time, one at a time (µs)", "{:,.1f}"),
    ("energy_J", "energy (nJ)", "{:,.2f}"),
    ("iterations", "iterations", "{}"),
    ("converged", "converged", "{}"),
)


def comparison_markdown(rows):
    """The comparison rows as a Markdown table (chip time in µs, energy in nJ), then a line saying
    what the chip time assumes (how many devices verify pulses and reads at once)."""
    scale = {"chip_time_s": 1e6, "chip_time_serial_s": 1e6, "energy_J": 1e9}
    head = "| " + " | ".join(label for _, label, _ in COMPARISON_COLUMNS) + " |"
    rule = "|" + "---|" * len(COMPARISON_COLUMNS)
    body = []
    for row in rows:
        cells = []
        for key, _, fmt in COMPARISON_COLUMNS:
            value = row[key]
            if key in scale:
                value = scale[key] * float(value)
            elif key in ("pulses", "reads", "mvms"):
                value = int(value)
            elif key == "converged":
                value = "yes" if value else "no"
            cells.append(fmt.format(value))
        body.append("| " + " | ".join(cells) + " |")
    at_once = max(int(row.get("devices_at_once", 1)) for row in rows)
    note = (
        f"*Chip time: verify pulses and reads {at_once:,} device{'s' if at_once > 1 else ''} of a row at once "
        "(arrays verify up to 512 weights at once, row by row: Narayanan et al., IEEE TED 2021); "
        '"one at a time" counts them serially. One-shot and GDP pulse a row at once in both.*'
    )
    return "\n".join([head, rule, *body, "", note])


GDP_ONLY = "Gradient-descent programming (gdp) only."
VERIFY_ONLY = "Program-and-verify (verify) only."

IDLE = (
    idle_while("method.learning_rate", "programming.method", ("verify", "one-shot"), "gdp", GDP_ONLY),
    idle_while("method.batch_size", "programming.method", ("verify", "one-shot"), "gdp", GDP_ONLY),
    idle_while("method.gain", "programming.method", ("gdp", "one-shot"), "verify", VERIFY_ONLY),
    idle_while("method.parallel_verify", "programming.method", ("gdp", "one-shot"), "verify", VERIFY_ONLY),
    idle_while(
        "method.max_iterations", "programming.method", ("one-shot",), "verify", "One-shot programming makes one pass."
    ),
    idle_while("log10_wire_resistance", "xb.ir_drop", (False,), True, "Acts only with IR drop on."),
)
"""Controls that do nothing for the chosen method or read-out (`Idle`): disabled, reason shown."""

RUN_SETTINGS = tuple(
    RunSetting(f"method.{name}") for name in ("gain", "parallel_verify", "learning_rate", "batch_size")
)
"""The method's knobs that shape the run only (verify's correction gain and devices verified at once,
GDP's learning rate and batch): before Start their moves redraw nothing (`RunButtons.RUN_SETTINGS`).
The others redraw the first point: the tolerance band, the iterations the plot spans, the matrix and
the read-out's first errors."""


COMPARE_HINT = "*Press **Compare the methods**: each method runs to its end on this matrix and seed, in one table.*"
"""What the comparison's place says before the first comparison (an empty place looked broken)."""


class ProgrammingView(RunButtons, CrossbarReadout, LiveDashboard):
    """The Programming dashboard for one `ProgrammingExplorer` model."""

    model = param.ClassSelector(class_=ProgrammingExplorer, doc="The model the controls drive.")

    RUN_SETTINGS = RUN_SETTINGS

    TRY_THIS = """Press **Start** and watch the errors fall and the pulses add up in the first plots; then
change {method.method}, tick {ir_drop}, and press **Compare the methods** for one table."""

    WIDGET_ATTRS = (
        CrossbarReadout.WIDGET_ATTRS
        + RunButtons.RUN_BUTTON_ATTRS
        + ("_method", "_widgets", "_compare", "_progress", "_status", "_table", "_idle")
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._driver = RunDriver(self, PACE, self._show_changes, "programming-run")
        self._comparer = None
        self._comparison = None

    def make_widgets(self):
        super().make_widgets()
        m = self.model
        stretch = dict(sizing_mode="stretch_width")
        self._method = {name: control_widget(m.programming, name) for name in m.METHOD_CONTROLS}
        self._method["method"].options = list(RUN_METHODS)
        self._widgets = {
            "technology": pn.widgets.Select.from_param(m.param.technology, label="Technology", **stretch),
            "size": throttled_slider(m, "size", label="Matrix size"),
            "log10_wire_resistance": throttled_slider(
                m, "log10_wire_resistance", label="Wire resistance", format=ohm_formatter()
            ),
            "seed": pn.widgets.IntInput.from_param(m.param.seed, label="Seed", **stretch),
        }
        self._make_run_buttons()
        self._compare = pn.widgets.Button(label="Compare the methods", **stretch)
        self._progress = pn.indicators.Progress(value=0, max=100, **stretch)
        self._status = pn.pane.Markdown("*Ready: press Start.*", **stretch)
        self._table = pn.pane.Markdown(COMPARE_HINT, **stretch)
        self._compare.on_click(lambda _: self.compare())
        m.param.watch(self._show_progress, "iteration")
        self._idle = IdleControls(m, self.widgets(), IDLE)
        self._mark_run_settings()

    # -------------------------------------------------------------- the run

    def _show_changes(self):
        """Show the run's new iterations (`model.notify`) and a finished comparison; returns whether
        a run or a comparison is still going (the driver's callback stops when neither is)."""
        self.model.notify()
        if self._comparison is not None:
            text, self._comparison = self._comparison, None
            self._table.object = text
            self._compare.loading = False
        run_alive = self._driver.is_alive()
        compare_alive = self._comparer is not None and self._comparer.is_alive()
        if not run_alive:
            self._set_buttons(running=False)
            self._show_progress()
        return run_alive or compare_alive

    def _show_progress(self, *events):
        m = self.model
        h = m.convergence()
        total = max(int(h["max_iterations"]), 1)
        done = int(h["iteration"][-1])
        state = ("converged" if h["converged"][-1] else "finished") if h["done"] else self._run_state(done)
        self._progress.value = 100 if h["done"] else int(100 * done / total)
        self._status.object = f"*{h['method']}: iteration {done} of at most {total}, {state}.*"

    def compare(self):
        """Run every method to its end in a thread; the table shows when it is done."""
        if self._comparer is not None and self._comparer.is_alive():
            return
        self._compare.loading = True

        def work():
            try:
                text = comparison_markdown(self.model.comparison())
            except Exception as exc:  # shown where the table would be; the page keeps working
                text = f"*Could not compare the methods: {exc}*"
            self._comparison = text

        self._comparer = self._driver.once(work, name="programming-comparison")

    # -------------------------------------------------------------- layout

    def widgets(self):
        return {**self._widgets, **self.read_widgets, **{f"method.{k}": w for k, w in self._method.items()}}

    def charts(self):
        return CHARTS

    def controls(self):
        w, r, k = self._widgets, self.read_widgets, self._method
        return pn.Column(
            "### Run",
            self.run_buttons(),
            self._progress,
            self._status,
            "### Method",
            *self._idle.follow(k.values()),
            "### Array",
            w["technology"],
            w["size"],
            w["seed"],
            "### Read-out",
            *r.values(),
            *self._idle.follow([w["log10_wire_resistance"]]),
            "### Compare",
            self._compare,
            self._table,
            width=320,
        )
