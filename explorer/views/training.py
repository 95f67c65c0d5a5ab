"""Training dashboard: the digits MLP, or the 5 x 5 correlation task, trained on analog tiles by
several algorithms side by side (floating-point SGD, in-memory SGD, Tiki-Taka v1, v2, chopped v2,
AGAD) on the same devices and seed, with learning curves that stream while the runs go on, the
tiles' histograms of the focused algorithm, its weights against the target (5 x 5 task), and the
device's update curve with its symmetry point.

The runs step in a thread of the session's own (Start / Pause / Reset), so they go on while the
person looks at another tab and never hold the server's event loop; a periodic callback of the
session shows their new points (Panel runs it in the session's context, where page changes belong)."""

import threading

import numpy as np
import panel as pn
import param

from ..compat import PromptEvents
from ..models import TrainingExplorer
from ..models.training.on_chip import ALGORITHMS, CORRELATION_EPOCH, DEVICE_PRESETS, TASK_ONLY
from ._axes import percent_axis
from ._live import Chart, LiveDashboard, LivePlot, Part, step_outline
from ._palette import GREY, LIGHT_GREY, PALETTE, series
from ._present import legend_outside
from ._runs import Pace, RunButtons, RunDriver, RunSetting
from ._states import Idle, IdleControls, add_frame, frame_data, idle_while
from ._widgets import control_widget

FIRST_SAMPLES = 64
"""Samples of every run trained in the Start click's own handler: its point shows at once."""
PACE = Pace(step_seconds=0.1, chunk=(32, 8, 1438), first_wait=0.0, wait=0.02, poll_ms=300, priority="nice")
"""How the runs step (`Pace`): steps of about 0.1 s wall time (several curve updates per second),
8 to 1,438 samples each.

wait: the runs' thread waits 0.02 s after every step, so the server's event loop (which sends the
page its changes) gets the interpreter lock. (A longer wait after shorter steps did not make
another session's Crossbar controls faster.)

priority: the thread runs at niceness 10, so training yields most of a busy core to other sessions'
controls. Linux's SCHED_IDLE made those controls faster still on a server with nothing else
running, but it is not used: a SCHED_IDLE thread holding the interpreter lock while other processes
keep the cores busy is scheduled so rarely that the whole server waits for the lock behind it
(explorer.views._runs, `RUN_NICENESS`).

poll_ms: period of the session's callback that shows the runs' new points. Each update redraws four
plots in the browser, so a streaming page's Chromium takes less of a core with slower polls while
the server's share stays about the same, and other sessions' controls answer faster. The first
points after Start are stepped in the click's own handler, yet arrive later with slower polls.

The figures behind each choice: docs/results/training.md, "Speed and latency" (``python -m
explorer.tools.browser_benchmark --training`` and ``--tabs Devices,Crossbar --while-streaming
Training``)."""

CURVES_TEXT = r"""Test accuracy (359 digits, read through the array's read-out: DAC, noise, ADC) and
training loss (cross-entropy, mean since the last point) per algorithm, same devices and seed.
In-memory SGD: $$W \mathrel{-}= \eta\,x\,\delta^T$$ by coincident pulse trains (Gokmen & Vlasov, Front. Neurosci. 2016);
Tiki-Taka: gradients into a fast tile A, $$H \mathrel{+}= \eta_H (A_k - R_k)/\Delta w_{min}$$, $$\mathrm{trunc}(H)$$ pulses into C,
at most the cap per transfer (pulses held back are counted below), then H forgotten or reduced as in aihwkit
(Gokmen & Haensch 2020; Gokmen 2021; chopped and AGAD: Rasch et al., Nat. Commun. 2024)."""

TILES_TEXT = r"""Histograms over the tiles of the focused algorithm (the Histograms control; both layers
of the digits MLP): the weights C, the fast tile A and the reference R (TTv2, c-TTv2: each device's own
symmetry point plus the offset error) on [-1, 1] with the nominal symmetry point $$w^* = a/s$$ (dashed),
and the digital buffer H in pulses. In-memory SGD pulls C toward the symmetry points; A starts at its
devices' own and the reference R is placed there (Gokmen 2021)."""

DEVICE_TEXT = r"""Response to up pulses from the lower bound, then down pulses: the mean device (thick) and the first
devices of the run's first tile (gray: device-to-device spread of the step, of the up/down bias and of the bounds,
cycle-to-cycle spread, write noise as a read sees it):
$$\Delta w_\uparrow = \Delta w_{min}(1+a)(1-s\,w/b_+)$$, $$\Delta w_\downarrow = \Delta w_{min}(1-a)(1+s\,w/b_-)$$,
$$\Delta w_{min} = 2/n_{states}$$, bounds $$b_+, -b_-$$ (1, -1 on the mean device); the steps are equal at the
symmetry point $$w^* = a/s$$ of the mean device (dashed; each device has its own, moved by its steps and bounds).
Soft bounds: aihwkit's SoftBoundsDevice (Gokmen & Haensch 2020); s = 0: its ConstantStepDevice; presets from
aihwkit's device zoo."""


def _legend(plot, renderers):
    """A legend of `renderers` (label -> renderer) below the plot, outside the curves."""
    legend_outside(plot, renderers.items(), click_policy="hide")


ERROR_TEXT = r"""The 5 x 5 task of physics reference section 6: one tile learns $$y = x\,W^*$$ ($$W^*$$ uniform in
[-0.5, 0.5], inputs uniform in [-1, 1], Gaussian label noise) from W = 0; the weight error
$$\lVert W - W^*\rVert / \lVert W^*\rVert$$ of the stored weights, and the training loss
$$\lvert y - t\rvert^2/2$$ (mean since the last point), per algorithm, same devices and seed.
Plain SGD keeps the noise of its last updates; Tiki-Taka's transfers average it (Gokmen & Haensch 2020)."""

TARGET_TEXT = r"""The focused algorithm's weights W against the target $$W^*$$ (25 weights; on the diagonal: learned
exactly). In-memory SGD on an asymmetric device settles off the diagonal toward the symmetry point
$$w^* = a/s$$ (dashed): random up and down pulses drift a weight there (Gokmen & Haensch, Front.
Neurosci. 2020). The title gives the mean shift toward $$w^*$$ and its t over the 25 weights."""


def _curve_plots(measure, top=None):
    first = LivePlot("epoch", measure, y_start=0.0)
    percent_axis(first.figure)  # fractions, shown in percent as the title gives them
    loss = LivePlot("epoch", "training loss")
    ra, rl = {}, {}
    for k, name in enumerate(ALGORITHMS):
        ra[name] = first.line(f"acc {name}", line_width=2, **series(k))
        rl[name] = loss.line(f"loss {name}", line_width=2, **series(k))
    _legend(first, ra)
    _legend(loss, rl)
    for plot in (first, loss):
        add_frame(plot)
    if top is not None:
        first.figure.y_range.end = top
    return first, loss


def curve_plots():
    return _curve_plots("test accuracy", top=1.0)


def error_curve_plots():
    return _curve_plots("weight error")


FRAMES = {
    "test_accuracy": ((0.0, 1.0), (0.0, 2.5)),
    "weight_error": ((0.0, 1.0), (0.0, 0.5)),
}
"""Measure -> the (measure, training loss) ranges the learning curves span before a run (with the
epochs): accuracy 0 to 1 and a loss from about ln 10 = 2.3 (ten classes, untrained) down; the 5 x 5
task's weight error from 1 (W = 0) down, its loss from about 0.35 (W = 0: E|x W*|^2 / 2) down."""


def _curve_data(view, measure):
    """The learning curves of `measure` (test_accuracy or weight_error) and the training loss;
    before a run, their frames (`frame_data`) with "Press Start"."""
    m = view.model
    if m.progress == 0:
        (y_measure, y_loss), epochs = FRAMES[measure], (0.0, float(m.epochs))
        frames = (frame_data(epochs, y_measure, "Press Start"), frame_data(epochs, y_loss, "Press Start"))
    else:
        frames = (frame_data(None), frame_data(None))
    curves = m.curves()
    acc, loss = {}, {}
    summary = []
    for name in ALGORITHMS:
        c = curves.get(name)
        if c is None:
            acc[f"acc {name}"] = loss[f"loss {name}"] = {"x": np.zeros(0), "y": np.zeros(0)}
            continue
        acc[f"acc {name}"] = {"x": c["epoch"], "y": c[measure]}
        ok = np.isfinite(c["train_loss"])
        loss[f"loss {name}"] = {"x": c["epoch"][ok], "y": c["train_loss"][ok]}
        summary.append(f"{name} {c[measure][-1]:.1%}")
    epoch = next(iter(curves.values()))["epoch"][-1] if curves else 0.0
    what = "" if measure == "test_accuracy" else "weight error "
    title = f"Epoch {epoch:.2f} of {m.epochs}: {what}" + ", ".join(summary)
    first = curves.get(m.algorithm) or next(iter(curves.values()))
    capped = int(first["capped_pulses"][-1])
    held = f", {capped:,} held back by the cap of {m.max_steps} per transfer" if capped else ""
    cost = (
        f"{m.algorithm}: {int(first['pulses'][-1]):,} pulses{held}, chip time "
        f"{1e3 * first['chip_time_s'][-1]:.2f} ms (80 ns per read, 1 ns per pulse slot: assumptions)"
    )
    acc["title"], loss["title"] = title, cost
    if m.progress == 0:  # before a run: the titles say what will show (the frames: where)
        acc["title"] = f"{'Test accuracy' if measure == 'test_accuracy' else 'Weight error'} over {m.epochs} epochs"
        loss["title"] = f"Training loss; {m.algorithm}: pulses and chip time"
    acc.update(frames[0])
    loss.update(frames[1])
    # Only the algorithms trained (ticked, or focused) are in the legends.
    acc["legend_hidden"] = loss["legend_hidden"] = tuple(name for name in ALGORITHMS if name not in curves)
    return acc, loss


def curve_data(view):
    return _curve_data(view, "test_accuracy")


def error_curve_data(view):
    return _curve_data(view, "weight_error")


def target_plots():
    plot = LivePlot("target weight W*", "learned weight W")
    plot.line("diagonal", hover=False, line_color=GREY, line_width=1)
    plot.scatter("weights", size=7, fill_color=PALETTE[0], line_color=None)
    plot.span("symmetry", dimension="width", line_dash="dashed", line_color=GREY)
    return plot


def target_data(view):
    w = view.model.weights_against_target()
    if w is None:  # the digits task: the chart is not shown
        return {"title": " "}
    return {
        "title": f"{w['algorithm']} at epoch {w['epoch']:.2f}: mean shift toward w* = {w['symmetry_point']:.2f} "
        f"{w['shift']:+.3f} (t = {w['t']:.1f})",
        "diagonal": {"x": np.array([-0.5, 0.5]), "y": np.array([-0.5, 0.5])},  # the targets' range
        "weights": {"x": w["target"], "y": w["weights"]},
        "symmetry": w["symmetry_point"],
    }


def tile_plots():
    weights = LivePlot("weight (tile units)", "devices")
    rc = weights.line("C", line_width=2, **series(0))
    ra = weights.line("A", line_width=1.5, **series(1))
    weights.span("symmetry", line_dash="dashed", line_color=GREY)
    rr = weights.line("R", line_width=1.5, **series(2))
    _legend(weights, {"C (weights)": rc, "A (fast tile)": ra, "R (reference)": rr})
    buffer = LivePlot("H (pulses)", "devices")
    buffer.line("H", line_width=2, **series(3))
    return weights, buffer


def tile_data(view):
    h = view.model.weight_histograms()
    empty = {"x": np.zeros(0), "y": np.zeros(0)}

    def outline(key):
        if key not in h:
            return empty
        x, y = step_outline(h[key]["edges"], h[key]["counts"])
        return {"x": x, "y": y}

    tiles = "C and A" if "A" in h else "C (no fast tile)"
    return (
        {
            "title": f"{h['algorithm']} at epoch {h['epoch']:.2f}: {tiles}; symmetry point {h['symmetry_point']:.2f}",
            "C": outline("C"),
            "A": outline("A"),
            "R": outline("R"),
            "symmetry": float(h["symmetry_point"]),
        },
        {"title": "Digital buffer H" if "H" in h else f"{h['algorithm']} has no buffer H", "H": outline("H")},
    )


def device_plots():
    plot = LivePlot("pulse number", "weight")
    for k in range(TrainingExplorer.SAMPLE_DEVICES):
        plot.line(f"device {k}", line_width=1, line_color=LIGHT_GREY)
    plot.line("response", line_width=2, line_color=PALETTE[0])
    plot.span("symmetry", dimension="width", line_dash="dashed", line_color=GREY)
    return plot


def device_data(view):
    m = view.model
    u = m.update_curve()
    sp = u["symmetry_point"]
    where = f"symmetry point w* = {sp:.2f}" if sp is not None else "no symmetry point inside the range"
    out = {
        "title": f"{m.n_states} states, a = {m.asymmetry:.2f}, s = {m.slope:.2f}: {where}; "
        f"gray: {m.SAMPLE_DEVICES} devices of the run",
        "response": {"x": u["pulse"], "y": u["w"]},
        "symmetry": sp,
    }
    for k, row in enumerate(u["devices"]):
        out[f"device {k}"] = {"x": u["pulse"], "y": row}
    return out


PROGRESS = ("progress",)


def _digits(model):
    return model.task == "digits MLP"


def _five(model):
    return model.task == "5 x 5 correlation"


CHARTS = (
    Chart(
        "Learning curves",
        curve_plots,
        (Part(curve_data, PROGRESS + ("compared", "algorithm")),),
        CURVES_TEXT,
        shown=_digits,
        shown_depends=("task",),
    ),
    Chart(
        "Learning curves, 5 x 5 task",
        error_curve_plots,
        (Part(error_curve_data, PROGRESS + ("compared", "algorithm")),),
        ERROR_TEXT,
        shown=_five,
        shown_depends=("task",),
    ),
    Chart(
        "Weights against the target",
        target_plots,
        (Part(target_data, PROGRESS + ("algorithm",)),),
        TARGET_TEXT,
        shown=_five,
        shown_depends=("task",),
    ),
    Chart("Tiles of the focused algorithm", tile_plots, (Part(tile_data, PROGRESS + ("algorithm",)),), TILES_TEXT),
    Chart(
        "Device update curve",
        device_plots,
        (
            Part(
                device_data,
                # The device's settings (a preset's choice arrives as their values) and the seed.
                tuple(n for n in TrainingExplorer.SETTING_GROUPS["Device"] if n != "device") + ("seed",),
            ),
        ),
        DEVICE_TEXT,
    ),
)
"""Every plot of the dashboard: a change of any setting ends the runs (progress 0), so the
curves and tiles follow `progress` (and the algorithms compared or focused, which the curves'
legends list, before any run too); the device curve follows the device's own settings. The
task decides which learning curves (and whether the weights against the target) are shown."""


TIKI_TAKA = ("TTv1", "TTv2", "c-TTv2", "AGAD")
BUFFERED = ("TTv2", "c-TTv2", "AGAD")
USED_BY = {
    "lr_h": TIKI_TAKA,
    "transfer_every": TIKI_TAKA,
    "reference_offset": ("TTv2", "c-TTv2"),
    "chopper_p": ("c-TTv2", "AGAD"),
    "max_steps": BUFFERED,
    "forget_buffer": BUFFERED,
    "momentum": BUFFERED,
}
"""Controls of the Tiki-Taka variants -> the algorithms that use them (kernels.tile_training)."""


def _algorithms_rule(control, users):
    """`control` is idle while no algorithm that runs (compared, or focused in the histograms) uses it."""

    def reason(model):
        running = set(model.compared) | {model.algorithm}
        return None if running & set(users) else f"Used by {', '.join(users)} only: none of them runs."

    return Idle(
        control,
        reason,
        ("compared", "algorithm"),
        idle={"compared": ["float SGD", "analog SGD"], "algorithm": "analog SGD"},
        enable={"compared": list(users), "algorithm": users[0]},
    )


def _task_rule(control, task):
    return idle_while(
        control,
        "task",
        [t for t in TrainingExplorer.param.task.objects if t != task],
        task,
        f"Used by the {task} task only.",
    )


IDLE = (
    _task_rule("label_noise", TASK_ONLY["label_noise"]),
    *(_algorithms_rule(name, users) for name, users in USED_BY.items()),
)


RUN_SETTINGS = (
    *(RunSetting(name) for name in ("lr", "lr_h", "transfer_every", "chopper_p", "bl", "max_steps")),
    *(RunSetting(name) for name in ("forget_buffer", "momentum", "label_noise")),
    *(RunSetting(name, _five, ("task",)) for name in ("read_noise", "dac_bits", "adc_bits", "out_bound")),
)
"""The settings that shape the runs only (`RunButtons.RUN_SETTINGS`): before Start their moves redraw
nothing. The algorithms' rates, transfer and buffer settings and the label noise always; the read-out
(read noise, DAC and ADC bits, output bound) on the 5 x 5 task, whose curves show weight errors, while
on the digits it redraws the test accuracy's first point. The device's settings redraw its update
curve, the task, epochs, seed, and the algorithms compared or focused the curves and tiles."""


class _TaskOnly:
    """Stands for the model in a chart's `shown` rule before the model's task is set (`_build_for`):
    the Training charts' rules read only the task."""

    def __init__(self, task):
        self.task = task


class TaskSelect(PromptEvents, pn.widgets.Select):
    """The Task select: its browser event is handled at once (`PromptEvents`), not after Panel's wait."""


class TrainingView(RunButtons, LiveDashboard):
    """The Training dashboard for one `TrainingExplorer` model."""

    model = param.ClassSelector(class_=TrainingExplorer, doc="The model the controls drive.")

    TRY_THIS = """Press **Start** and watch the algorithms learn side by side in the first plot; then raise
{asymmetry} or lower {n_states} and see which algorithm still learns."""

    RUN_SETTINGS = RUN_SETTINGS

    CONTROLS = TrainingExplorer.SETTING_GROUPS
    """The model's settings shown as controls, by section (declared once, in the model)."""
    ENABLED_BY = "task"
    """Label noise is enabled on the 5 x 5 task only (`TASK_ONLY`; `IDLE` has every rule)."""
    LABELS = {
        "algorithm": "Histograms of",
        "epochs": "Epochs",
        "seed": "Seed",
        "task": "Task",
        "label_noise": "Label noise (5 x 5 task)",
    }

    WIDGET_ATTRS = RunButtons.RUN_BUTTON_ATTRS + (
        "_widgets",
        "_progress",
        "_status",
        "_source",
        "_progress_task",
        "_idle",
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._driver = RunDriver(self, PACE, self._poll, "training-run")
        self._building = threading.Lock()

    def make_widgets(self):
        super().make_widgets()
        m = self.model
        self._widgets = {}
        for names in self.CONTROLS.values():
            for name in names:
                if name == "compared":
                    self._widgets[name] = pn.widgets.CheckBoxGroup.from_param(m.param.compared, inline=False)
                elif name == "task":
                    self._widgets[name] = self._task_widget()
                elif name == "seed":
                    self._widgets[name] = pn.widgets.IntInput.from_param(m.param.seed, sizing_mode="stretch_width")
                else:
                    kw = {"label": self.LABELS[name]} if name in self.LABELS else {}
                    self._widgets[name] = control_widget(m, name, **kw)
        self._make_run_buttons()
        self._progress = pn.indicators.Progress(value=0, max=100, sizing_mode="stretch_width")
        self._status = pn.pane.Markdown("*Ready: press Start.*", sizing_mode="stretch_width")
        self._source = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._progress_task = m.task
        m.param.watch(self._show_progress, ["progress", "task"])
        m.param.watch(self._show_source, "device")
        self._show_source()
        self._idle = IdleControls(m, self._widgets, IDLE)
        """Disables the controls the task or the running algorithms do not use (`IDLE`), reason shown."""
        self._mark_run_settings()

    # -------------------------------------------------------------- the runs

    FIRST_STEP = FIRST_SAMPLES

    def _ready_to_start(self):
        """Whether the runs can start; if not (a symmetry point outside the range) the status says
        why, and nothing is lost."""
        try:
            self.model.check()
        except ValueError as exc:
            self._status.object = f"*Cannot start: {exc}*"
            return False
        return True

    def warm_up(self):
        """Train a few samples and start again (the server's warm-up: loads the digits and the
        compiled training kernels before the first visitor presses Start)."""
        self.model.step(8)
        self.model.reset()

    def _poll(self):
        """Show the runs' new points (`model.notify`); returns whether the runs' thread is still
        stepping (the driver's callback stops when it is not)."""
        self.model.notify()
        alive = self._driver.is_alive()
        if not alive:
            self._set_buttons(running=False)
            self._show_progress()
        return alive

    def _show_progress(self, *events):
        """The progress bar and status line. A task switch ends the runs twice before its own event
        comes (`_changed`): the status waits for the task's event, so that the runs (which give the
        samples per epoch) are made once, with the new task's settings."""
        m = self.model
        if any(e.name == "task" for e in events):
            self._progress_task = m.task
        elif m.task != self._progress_task:
            return
        try:
            total = m.total_samples
        except ValueError as exc:
            self._status.object = f"*{exc}*"
            return
        done = m.progress
        state = "finished" if done >= total else self._run_state(done)
        self._progress.value = int(100 * min(done / total, 1.0))
        per_epoch = total / m.epochs
        size = f" of {CORRELATION_EPOCH:,} samples" if m.task == "5 x 5 correlation" else ""
        self._status.object = (
            f"*{done:,} of {total:,} samples per algorithm ({done / per_epoch:.2f} epochs{size}), {state}.*"
        )

    def _show_source(self, *events):
        self._source.object = f"<small>{DEVICE_PRESETS[self.model.device]['source']}</small>"

    # -------------------------------------------------------------- a task switch

    def _task_widget(self):
        """The Task select. Not linked to the model as the other controls are (`control_widget`): a
        pick builds the figures the task shows, if new, where it arrives (a worker thread of the
        server), then is applied where the page's changes belong (`on_page`) in one hold, so the
        task's preset values, the controls that show them and the charts reach the page in one
        message. (Applied in the worker thread, as a linked widget's change is, each control the
        presets move sent a message of its own: about twenty for one switch; with the charts drawn
        in a thread after the controls, they came as a second message, under load more than the
        browser benchmark's quiet window after the first.) The model's task, set by a link, a
        scenario or a lesson, is shown by the select."""
        m = self.model
        widget = TaskSelect(
            label=self.LABELS["task"], options=list(m.param.task.objects), value=m.task, sizing_mode="stretch_width"
        )

        def picked(event):
            if event.new != m.task:
                self._build_for(event.new)
                self.on_page(lambda: self._set_task(event.new))

        widget.param.watch(picked, "value")
        m.param.watch(lambda event: setattr(widget, "value", event.new), "task")
        return widget

    def _build_for(self, task):
        """Build the figures of the charts `task` shows that are not built yet (figures of no page
        yet: safe in any thread), so that the switch on the page's event loop only draws them."""
        if self._plots is None:
            return
        for chart in self._charts:
            if chart.shown is not None and chart.shown(_TaskOnly(task)):
                self._build_chart(chart)

    def _build_chart(self, chart):
        with self._building:
            super()._build_chart(chart)

    def _set_task(self, task):
        """Set the model's `task` in one hold: its presets, the controls, and the charts, drawn once
        (`_changed`): one message on a served page."""
        with pn.io.hold():
            self.model.task = task

    def _build(self):
        self._task_shown = self.model.task
        self._held_names = set()
        super()._build()

    def _changed(self, *events, names=None):
        """Draw a task switch once, with the new task's settings, when its own event arrives.

        A new `task` first ends the runs and sets the task's preset values (`TASK_PRESETS`): the model's
        watchers run before the dashboard's, so `progress` changes twice (runs ended at the old presets,
        then at the new ones) before the dashboard hears of `task`. Drawn as they came, those changes
        recomputed and resent the charts of the task no longer shown and made the runs three times,
        twice with half-applied settings. So the changes that come while the model's task differs from
        the one drawn are held, and drawn with the task's event, in one update: the new task's charts
        appear (built the first time, shown again after) with the runs made once, and the hidden
        task's charts keep the data they showed, so nothing of theirs is sent."""
        names = {e.name for e in events} if names is None else set(names)
        if self._plots is None:
            return
        if "task" not in names and self.model.task != self._task_shown:
            self._held_names |= names  # the task's own event follows, in this same change
            return
        if "task" in names:
            names |= self._held_names
            self._held_names = set()
            self._task_shown = self.model.task
        super()._changed(names=names)

    # -------------------------------------------------------------- layout

    def widgets(self):
        return dict(self._widgets)

    def charts(self):
        return CHARTS

    def controls(self):
        w = self._widgets
        sections = []
        for title, names in self.CONTROLS.items():
            sections.append(f"### {title}")
            sections.extend(self._idle.follow([w[n] for n in names]))
            if title == "Device":
                sections.append(self._source)
        return pn.Column("### Run", self.run_buttons(), self._progress, self._status, *sections, width=320)
