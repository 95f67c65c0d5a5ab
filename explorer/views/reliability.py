"""Reliability dashboard: accuracy of the digits MLP against time on simulated chips, with its
Monte-Carlo band, drift compensation and the floating-point accuracy marked."""

import contextlib
import threading

import numpy as np
import panel as pn
import param

from ..models.dashboards.devices import KNOBS
from ..models.dashboards.reliability import READ_LOSS, ReliabilityExplorer
from ..models.devices import TECHNOLOGIES
from ._axes import TIME_LABEL, located, percent_axis, reference, time_axis
from ._live import Chart, LiveDashboard, LivePlot, Part, Provisional, step_outline
from ._palette import BLACK, BLUE, GREY, PURPLE, series
from ._present import legend_outside
from ._runs import Pace, RunDriver
from ._states import IdleControls, idle_while
from ._widgets import (
    control_widget,
    count_formatter,
    duration_formatter,
    shared_results,
    show,
    sync_knob_widgets,
    throttled_slider,
)

CURVE_TEXT = r"""Test accuracy of the 64-32-10 MLP (97.2 % in floating point, dotted) deployed on one-sided
differential pairs, read at each time; solid: mean over the chips, dashed: its 95 % interval
($$\pm 1.96\,s/\sqrt{N}$$). PCM drift $$g(t) = g_0\,(t/t_0)^{-\nu}$$ (Joshi et al., Nat. Commun. 2020);
compensation $$\alpha(t) = \mathrm{mean}|y(0)| / \mathrm{mean}|y(t)|$$ from one-hot reads (global, or per
column; physics reference section 8, aihwkit)."""


def curve_plot():
    plot = LivePlot(TIME_LABEL, "test accuracy", x_log=True)
    time_axis(plot.figure)
    percent_axis(plot.figure)
    plot.line("low", line_width=1, line_dash="dashed", line_color=BLUE, hover=False)
    plot.line("high", line_width=1, line_dash="dashed", line_color=BLUE, hover=False)
    plot.line("mean", line_width=2.5, line_color=BLUE)
    reference(plot, "float", line_color=GREY, line_dash="dotted")  # inside the y range
    plot.span("now", line_color=BLACK, line_dash="dashed")
    return plot


def curve_data(view):
    m = view.model
    c = m.curve()
    t = c["times_s"]
    year = int(np.argmin(np.abs(np.log(t / 3.156e7))))
    comp = "no" if m.compensation == "none" else m.compensation
    net = "" if m.training == "plain" else f", hardware-aware network ({m.hwa_noise} noise x{m.hwa_noise_scale:g})"
    return {
        "title": (
            f"{m.technology}, {comp} drift compensation{net}, {m.chips} chips: "
            f"{c['mean'][year]:.1%} at 1 year (float {c['float_accuracy']:.1%})"
        ),
        "mean": {"x": t, "y": c["mean"]},
        "low": {"x": t, "y": c["mean"] - c["ci95"]},
        "high": {"x": t, "y": c["mean"] + c["ci95"]},
        "float": located(c["float_accuracy"]),
    }


def curve_marker(view):
    return {"now": view.model.t}


READS_TEXT = r"""RRAM read disturb (Shim, Luo, Seo, Yu, IRPS 2020 and IEEE TED 67(6), 2020): every read at $$V$$
moves each device's shift $$d$$ toward saturation, $$d \mathrel{+}= p\,k\,(s - p\,d)$$, $$k \propto e^{(V - 0.2\,\mathrm{V})/50\,\mathrm{mV}}$$,
with a field-driven saturated shift $$s = 1\,\mathrm{V^{-1}} \max(V - 0.3\,\mathrm{V}, 0)$$: reads at or below 0.3 V
leave the states where they are (Shim et al.). The read sees $$g + d\,(g_{max} - g)$$. Bipolar reading
alternates $$p = \pm 1$$ so the shifts cancel; the -V reads are assumed 90 % as effective. Constants
other than the 0.3 V threshold are illustrative. Accuracy 1 h after programming, mean and 95 %
interval over the chips; the dashed line marks the histogram's read count."""

HIST_TEXT = r"""Mean conductances of one chip's first-layer RRAM devices 1 h after programming: as programmed
(grey, dashed), after the marked number of unipolar (blue, solid) and bipolar (vermillion, dot-dash) reads
at the chosen voltage.
The high-resistance states, with the most headroom, move the most (Shim et al., IRPS 2020); each
device's susceptibility differs (lognormal, Yao et al., Nature 2020, Ext. Data Fig. 7). Counts on a log
scale, so the devices leaving the crowded lowest level show beside it; the axis ends at the 99.5th
percentile of the conductances (the few devices above it are left out)."""

FLASH_READS_TEXT = r"""NOR Flash read disturb (physics reference section 4; Cai et al., DSN 2015): while one row is read, the other rows on its bit
lines sit under the pass voltage and their $$V_{th}$$ creeps up. An inference read reads each of the
$$N$$ rows of a bit line once, so each cell takes $$N - 1$$ stress events, each moving $$V_{th}$$ a share
$$m/(2 \cdot 10^{10})$$ of its way to a ceiling 0.3 V above the $$g_{max}$$ level (saturating; constants
illustrative). Accuracy 1 h after programming, mean and 95 % interval over the chips, for the chosen
$$N$$ (purple, solid) and the default 128 (grey, dot-dash)."""

WEAR_TEXT = r"""NOR Flash after N program/erase cycles: oxide wear widens each ISPP pulse's noise,
$$\sigma \propto 1 + \sqrt{N/10^4}$$, and cycled cells lose charge faster and unevenly,
$$\Delta V_{th} = -r_i \log_{10}(1 + t)$$, $$\bar r \propto \sqrt{N/10^4}$$ (Mielke et al., IEEE TDMR 4(3), 2004;
constants illustrative). Accuracy at three retention times, mean and 95 % interval."""

COMPARISON_TEXT = r"""Every technology preset (default device knobs) with the same network, encoding, ADC,
compensation, chips and seed: mean accuracy over the chips against time. PCM drifts
($$g \propto t^{-\nu}$$), RRAM relaxes ($$-0.089 \ln t$$ µS), Flash and the pulse-update devices barely move."""

READS_STYLES = {"unipolar": series(0), "bipolar": series(1)}
"""Colour and dash of the two read polarities, the same in every plot (thin dashed: 95 % intervals)."""
TRAINED_KEY = "explorer-reliability-trained-networks"
"""`pn.state.cache` key of the trainings (`NetworkTraining`, running or done) started by any session
of the server: a network is a pure function of its settings, so a class shares them."""
TRAINED_KEEP = 16
"""Most finished trainings kept in `TRAINED_KEY` (running ones are always kept): each holds its
network and its copy of the training digits, about 1.1 MB (measured with `NetworkTraining()` at the
default settings), so at most about 18 MB for the server; the one least recently asked for goes first, and
coming back to its settings trains it again (under a second). Illustrative bound."""


TRAINED_LOCK_KEY = TRAINED_KEY + " lock"
"""`pn.state.cache` key of the lock under which sessions look up and add trainings (`shared_training`)."""


def shared_training(trained: dict, job, keep: int = TRAINED_KEEP, lock=None):
    """The training of `job`'s settings in `trained` (the server's dict of trainings by key): the one
    already there, else `job`, added; either becomes the most recently asked for. Finished trainings
    beyond the `keep` most recently asked for are dropped; running ones stay (other sessions may be
    waiting on them). Under `lock` (the server's, shared by its sessions): the look-up and the
    re-insertion that orders by recency are two steps, and two sessions opening the tab at once
    must still get the same training."""
    with lock if lock is not None else contextlib.nullcontext():
        key = job.key()
        job = trained.pop(key, job)
        trained[key] = job  # the last asked for is the newest
        done = [key for key, training in trained.items() if training.done]  # `job` is the newest: kept
        for key in done[: max(0, len(done) - keep)]:
            trained.pop(key, None)
        return job


PROVISIONAL_CHIPS = 2
"""Chips of the first result of a change that reprograms them (issue 26 item 3): the first two of
the chips, the smallest number that gives the curve's 95 % band, in a fifth of the default ten's
time."""

TRAINING_STEP_SECONDS = 0.1
"""Wall time of one step of a background network training (whole epochs, at least one a step)."""
TRAINING_PACE = Pace(
    step_seconds=TRAINING_STEP_SECONDS, chunk=(1, 1, 1), first_wait=0.0, wait=0.01, poll_ms=150, priority="normal"
)
"""How a background network training steps (`Pace`): `NetworkTraining.step` sizes its own steps (whole
epochs for about TRAINING_STEP_SECONDS); the thread waits 0.01 s after each, so the event loop can send
the page its updates; the progress bar is updated every 150 ms. The thread keeps the normal
scheduling priority it has always had: the page waits for the network to redraw."""


def _legend(plot, items):
    """A legend of ``(label, renderer)`` items below the plot, outside the curves."""
    legend_outside(plot, items)


def reads_plot():
    plot = LivePlot("reads since programming", "test accuracy", x_log=True)
    percent_axis(plot.figure)
    items = []
    for polarity, style in READS_STYLES.items():
        for side in ("low", "high"):
            plot.line(
                f"{polarity}_{side}", line_width=1, line_dash="dashed", line_color=style["line_color"], hover=False
            )
        items.append((polarity, plot.line(polarity, line_width=2.5, **style)))
    plot.span("marked", line_color=BLACK, line_dash="dashed")
    _legend(plot, items)
    return plot


def _survives(r, reads):
    n = r["survives"]
    return f"{n:.1e} reads" if n is not None else f"beyond {reads[-1]:.0e} reads"


def reads_data(view):
    m = view.model
    r = m.reads_curves()
    x = np.maximum(r["unipolar"]["reads"], 1).astype(np.float64)  # 0 reads drawn at 1 on the log axis
    out = {}
    for polarity in READS_STYLES:
        c = r[polarity]
        out.update(
            {
                polarity: {"x": x, "y": c["mean"]},
                f"{polarity}_low": {"x": x, "y": c["mean"] - c["ci95"]},
                f"{polarity}_high": {"x": x, "y": c["mean"] + c["ci95"]},
            }
        )
    uni, bi = r["unipolar"]["survives"], r["bipolar"]["survives"]
    if uni is not None:
        factor = f"{bi / uni:.0f}x" if bi is not None else f"more than {x[-1] / uni:.0f}x"
        gain = f"; bipolar reading lasts {factor} longer"
    else:
        gain = ""
    out["title"] = (
        f"RRAM at {m.read_voltage:.2f} V: {READ_LOSS:.0%} loss after {_survives(r['unipolar'], x)} "
        f"unipolar, {_survives(r['bipolar'], x)} bipolar{gain}"
    )
    return out


def reads_marker(view):
    return {"marked": max(10.0**view.model.log10_reads, 1.0)}


HIST_COUNT_FLOOR = 0.7
"""Empty bins of the read-disturb histogram are drawn at this count (its log axis starts there)."""
HIST_TOP_PERCENTILE = 99.5
"""The read-disturb histogram's conductance axis ends at this percentile of the three curves' conductances."""


def histogram_plot():
    plot = LivePlot("mean conductance (µS)", "devices", y_log=True, y_start=HIST_COUNT_FLOOR)
    items = [("as programmed", plot.line("fresh", line_width=1.5, line_color=GREY, line_dash="dashed"))]
    for polarity, style in READS_STYLES.items():
        items.append((polarity, plot.line(polarity, line_width=1.5, **style)))
    _legend(plot, items)
    return plot


def histogram_data(view):
    h = view.model.reads_histogram()
    # Half the devices sit at g_min (the unused side of each pair): log counts, and an axis that ends
    # where the devices do rather than at g_max, so that the shift the reads cause is seen.
    top = max(float(np.percentile(h[name], HIST_TOP_PERCENTILE)) for name in ("fresh", *READS_STYLES))
    edges = np.linspace(h["g_range"][0], max(top, h["g_range"][0] + 1.0), 61)
    out = {}
    for name in ("fresh", *READS_STYLES):
        x, y = step_outline(edges, np.maximum(np.histogram(h[name], edges)[0], HIST_COUNT_FLOOR))
        out[name] = {"x": x, "y": y}
    shift = {p: np.mean(h[p] - h["fresh"]) for p in READS_STYLES}
    out["title"] = (
        f"After {h['reads']:.1e} reads at {view.model.read_voltage:.2f} V: mean shift "
        f"{shift['unipolar']:+.2f} µS unipolar, {shift['bipolar']:+.2f} µS bipolar"
    )
    return out


FLASH_STYLES = {
    "chosen": {"line_color": PURPLE, "line_dash": "solid"},
    "default": {"line_color": GREY, "line_dash": "dotdash"},
}
"""The chosen number of cells per bit line against the default (thin dashed: 95 % intervals)."""


def flash_reads_plot():
    plot = LivePlot("inference reads since programming", "test accuracy", x_log=True)
    percent_axis(plot.figure)
    items = []
    default = ReliabilityExplorer.param.cells_per_bitline.default
    for key, label in (("chosen", "chosen"), ("default", f"{default} cells (default)")):
        style = FLASH_STYLES[key]
        for side in ("low", "high"):
            plot.line(f"{key}_{side}", line_width=1, line_dash="dashed", line_color=style["line_color"], hover=False)
        items.append((label, plot.line(key, line_width=2.5, **style)))
    reference(plot, "float", line_color=GREY, line_dash="dotted")
    _legend(plot, items)
    return plot


def flash_reads_data(view):
    n = view.model.cells_per_bitline
    r = view.model.flash_reads()
    default = next(k for k in r if k != n) if len(r) > 1 else n
    x = np.maximum(r[n]["reads"], 1).astype(np.float64)  # 0 reads drawn at 1 on the log axis
    out = {"float": located(r[n]["float_accuracy"])}
    for key, cells in (("chosen", n), ("default", default)):
        c = r[cells]
        out.update(
            {
                key: {"x": x, "y": c["mean"]},
                f"{key}_low": {"x": x, "y": c["mean"] - c["ci95"]},
                f"{key}_high": {"x": x, "y": c["mean"] + c["ci95"]},
            }
        )
    out["title"] = f"Flash, {n} cells per bit line: {READ_LOSS:.0%} loss after {_survives(r[n], x)}" + (
        "" if default == n else f" ({default} cells: {_survives(r[default], x)})"
    )
    return out


WEAR_LABELS = ("1 hour", "1 year", "10 years")


def wear_plot():
    plot = LivePlot("program/erase cycles", "test accuracy", x_log=True)
    percent_axis(plot.figure)
    items = []
    for k, label in enumerate(WEAR_LABELS):
        for side in ("low", "high"):
            plot.line(f"t{k}_{side}", line_width=1, line_dash="dashed", line_color=series(k)["line_color"], hover=False)
        items.append((f"read after {label}", plot.line(f"t{k}", line_width=2.5, **series(k))))
    reference(plot, "float", line_color=GREY, line_dash="dotted")
    _legend(plot, items)
    return plot


def wear_data(view):
    w = view.model.wear()
    x, out = w["cycles"].astype(np.float64), {"float": located(w["float_accuracy"])}
    for k in range(len(WEAR_LABELS)):
        m, ci = w["mean"][:, k], w["ci95"][:, k]
        out.update({f"t{k}": {"x": x, "y": m}, f"t{k}_low": {"x": x, "y": m - ci}, f"t{k}_high": {"x": x, "y": m + ci}})
    out["title"] = (
        f"Flash, {view.model.chips} chips: {w['mean'][0, -1]:.1%} after 10 years at {x[0]:.0f} cycles, "
        f"{w['mean'][-1, -1]:.1%} at {x[-1]:.0e} cycles"
    )
    return out


def comparison_plot():
    plot = LivePlot(TIME_LABEL, "test accuracy", x_log=True)
    time_axis(plot.figure)
    percent_axis(plot.figure)
    items = [(name, plot.line(f"tech{k}", line_width=2, **series(k))) for k, name in enumerate(TECHNOLOGIES)]
    reference(plot, "float", line_color=GREY, line_dash="dotted")
    _legend(plot, items)
    return plot


def comparison_data(view):
    c = view.model.comparison()
    out = {}
    for k, s in enumerate(c.values()):
        out[f"tech{k}"] = {"x": s["times_s"], "y": s["mean"]}
        out["float"] = located(s["float_accuracy"])
    year = int(np.argmin(np.abs(np.log(next(iter(c.values()))["times_s"] / 3.156e7))))
    best = max(c, key=lambda name: c[name]["mean"][year])
    worst = min(c, key=lambda name: c[name]["mean"][year])
    out["title"] = (
        f"At 1 year: {best} {c[best]['mean'][year]:.1%} best, {worst} {c[worst]['mean'][year]:.1%} worst "
        f"({'no' if view.model.compensation == 'none' else view.model.compensation} drift compensation)"
    )
    return out


ENCODING_PARAMS = (
    "compensation",
    "chips",
    "n_slices",
    "adc_bits",
    "programming_method",
    "training",
    "hwa_noise",
    "hwa_noise_scale",
    "seed",
)


def _study(name):
    return lambda model: model.study == name


NETWORK_PARAMS = ("training", "hwa_noise", "hwa_noise_scale")
CURVE_PARAMS = (
    "technology",
    *KNOBS,
    "compensation",
    "chips",
    "n_slices",
    "adc_bits",
    "programming_method",
    *NETWORK_PARAMS,
    "seed",
)

CHARTS = (
    Chart(
        "Accuracy versus time",
        curve_plot,
        (Part(curve_data, CURVE_PARAMS), Part(curve_marker, ("log10_time",))),
        CURVE_TEXT,
    ),
    Chart(
        "Read disturb: accuracy versus reads",
        reads_plot,
        (Part(reads_data, ("read_voltage", *ENCODING_PARAMS)), Part(reads_marker, ("log10_reads",))),
        READS_TEXT,
        shown=_study("read disturb"),
        shown_depends=("study",),
    ),
    Chart(
        "Read disturb: conductances",
        histogram_plot,
        (
            Part(
                histogram_data,
                (
                    "read_voltage",
                    "log10_reads",
                    "n_slices",
                    "adc_bits",
                    "programming_method",
                    *NETWORK_PARAMS,
                    "chips",
                    "seed",
                ),
            ),
        ),
        HIST_TEXT,
        shown=_study("read disturb"),
        shown_depends=("study",),
    ),
    Chart(
        "Flash read disturb: accuracy versus reads",
        flash_reads_plot,
        (Part(flash_reads_data, ("cells_per_bitline", *ENCODING_PARAMS)),),
        FLASH_READS_TEXT,
        shown=_study("Flash read disturb"),
        shown_depends=("study",),
    ),
    Chart(
        "Flash wear: accuracy versus program/erase cycles",
        wear_plot,
        (Part(wear_data, ENCODING_PARAMS),),
        WEAR_TEXT,
        shown=_study("Flash wear"),
        shown_depends=("study",),
    ),
    Chart(
        "Technology comparison",
        comparison_plot,
        (Part(comparison_data, ENCODING_PARAMS),),
        COMPARISON_TEXT,
        shown=_study("technologies"),
        shown_depends=("study",),
    ),
)


HWA_ONLY = "Used by the hardware-aware (hwa) network only."
IDLE = (
    idle_while("hwa_noise", "training", ("plain",), "hwa", HWA_ONLY),
    idle_while("hwa_noise_scale", "training", ("plain",), "hwa", HWA_ONLY),
)
"""Controls that do nothing for the chosen network (`Idle`): disabled, with the reason under them."""


class ReliabilityView(LiveDashboard):
    """The Reliability dashboard for one `ReliabilityExplorer` model."""

    model = param.ClassSelector(class_=ReliabilityExplorer, doc="The model the controls drive.")

    TRY_THIS = """Drag {log10_time} towards 10 y and read the accuracy at the marker of the first plot; then
set {compensation} to global and see the curve recover. {study} picks the plots below."""

    WIDGET_ATTRS = ("_widgets", "_knob_note", "_training_bar", "_training_note", "_idle")

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        if m.shared is None:  # every session of the server shares the curves of equal settings
            m.shared = shared_results()
        self._driver = RunDriver(self, TRAINING_PACE, self._poll_training, "hwa-training")
        """Steps the network trainings in the background (`run`: the latest, None before any)."""
        self._training = None  # the NetworkTraining being waited for

    def make_widgets(self):
        super().make_widgets()
        m = self.model
        self._widgets = {
            "technology": control_widget(m, "technology", label="Technology"),
            "compensation": control_widget(m, "compensation"),
            "log10_time": throttled_slider(m, "log10_time", label="Marked time", format=duration_formatter()),
            **{knob: throttled_slider(m, knob) for knob in KNOBS},
            "chips": control_widget(m, "chips"),
            "n_slices": control_widget(m, "n_slices"),
            "adc_bits": control_widget(m, "adc_bits"),
            "programming_method": control_widget(m, "programming_method"),
            "training": control_widget(m, "training"),
            "hwa_noise": control_widget(m, "hwa_noise"),
            "hwa_noise_scale": throttled_slider(m, "hwa_noise_scale"),
            "seed": pn.widgets.IntInput.from_param(m.param.seed, label="Seed", sizing_mode="stretch_width"),
            "study": control_widget(m, "study"),
            "read_voltage": throttled_slider(m, "read_voltage"),
            "log10_reads": throttled_slider(m, "log10_reads", format=count_formatter()),
            "cells_per_bitline": control_widget(m, "cells_per_bitline"),
        }
        self._knob_note = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "0.85em"})
        self._training_bar = pn.indicators.Progress(value=0, max=100, visible=False, sizing_mode="stretch_width")
        self._training_note = pn.pane.Markdown("", sizing_mode="stretch_width", styles={"font-size": "0.85em"})
        m.param.watch(self._sync_knobs, "technology")
        m.param.watch(self._sync_study_widgets, "study")
        self._sync_knobs()
        self._idle = IdleControls(m, self._widgets, IDLE)
        self._sync_study_widgets()

    SHOWN_BY = "study"
    """The setting that shows the controls hidden at the defaults (each belongs to one study)."""

    def _sync_study_widgets(self, *events):
        """Show the controls of the study shown, hide the others (by their style, `_widgets.show`)."""
        disturb = self.model.study == "read disturb"  # the read voltage and count belong to that study
        for name, shown in (
            ("read_voltage", disturb),
            ("log10_reads", disturb),
            ("cells_per_bitline", self.model.study == "Flash read disturb"),
        ):
            show(self._widgets[name], shown)

    # ------------------------------------------------------------------ background training

    def _changed(self, *events, names=None):
        """Redraw as usual, unless the settings' network has yet to be trained: then train it in
        a background thread (progress shown) and redraw everything once it is done; controls moved
        meanwhile are redrawn then too."""
        if self._plots is not None and (self._training is not None or self.model.pending_training() is not None):
            self._train()
            return
        super()._changed(*events, names=names)

    def _train(self):
        job = self.model.pending_training()
        if job is None:
            return
        if self._training is not None and self._training.key() == job.key():
            return  # already training this one
        # Every session of the server shares one training per setting: a finished one is adopted, a
        # running one is joined (its steps take turns, so no epoch is trained twice).
        lock = pn.state.cache.setdefault(TRAINED_LOCK_KEY, threading.Lock())
        job = shared_training(pn.state.cache.setdefault(TRAINED_KEY, {}), job, lock=lock)
        if job.done:
            self.model.adopt(job)
            self._redraw_all()
            return
        self._training = job
        self._training_bar.visible = True
        self._training_bar.value = 0
        self._training_note.object = "Training the hardware-aware network in the background..."
        # A training the settings have left behind goes on in its own thread to its end: it is
        # shared, and kept for when the settings come back.
        self._driver.begin(step=lambda _: job.step(TRAINING_STEP_SECONDS), done=lambda: job.done)

    def _poll_training(self):
        """Show the training's progress; once it is done, adopt its network and redraw (or train
        the network the settings have moved on to). Returns whether a training is still awaited."""
        job = self._training
        if job is None:
            return False
        self._training_bar.value = int(100 * job.progress)
        if not job.done:
            return True
        self.model.adopt(job)
        self._training = None
        self._training_bar.visible = False
        self._training_note.object = (
            f"Trained in {job.seconds:.1f} s: {job.test_accuracy:.1%} in floating point "
            f"({job.epochs} epochs, seed {job.seed})."
        )
        if self.model.pending_training() is not None:  # the settings moved on meanwhile
            self._train()
        else:
            self._redraw_all()
        return self._training is not None

    def _redraw_all(self):
        """Redraw every part and show or hide the studies, for whatever moved while training."""
        super()._changed(names={n for c in self._charts for n in (*c.depends, *(c.shown_depends or ()))})

    def _sync_knobs(self, *events):
        sync_knob_widgets(self.model, self._widgets, self._knob_note)

    QUICK = {
        "log10_time",
        "log10_reads",
        "drift_scale",
        "read_noise_scale",
        "temperature_K",
        "compensation",
        "read_voltage",
        "cells_per_bitline",
    }
    """Changes that only re-read programmed chips (a few hundred ms), or, for the bit-line length,
    program the few Flash chips of one read-disturb curve: no loading overlay, whose two extra
    round trips to the page cost more than they tell (the overlay is a change of the layout's CSS
    classes, and BokehJS renders a component again when its classes change), and no provisional
    first result, whose stand-in would program its two chips afresh (`provisional`)."""

    def busy(self, names):
        return bool(set(names) - self.QUICK)  # a new curve takes a fraction of a second or more

    def provisional(self, names):
        """A first result on the first `PROVISIONAL_CHIPS` chips when a change reprograms them (any
        setting but the read-time ones, `QUICK`, the choice of second study included: each study
        programs chips of its own) and the curve or the chosen study of the new settings is not
        kept."""
        m = self.model
        if m.chips <= PROVISIONAL_CHIPS or not set(names) - self.QUICK:
            return None
        if m.kept("curve", m.curve_key()) and m.study_kept():
            return None
        return Provisional(m.with_chips(PROVISIONAL_CHIPS), f"the first {PROVISIONAL_CHIPS} of {m.chips} chips")

    def widgets(self):
        return dict(self._widgets)

    def charts(self):
        return CHARTS

    def controls(self):
        w = self._widgets
        return pn.Column(
            "### Technology",
            w["technology"],
            w["compensation"],
            "### Network",
            w["training"],
            *self._idle.follow([w["hwa_noise"], w["hwa_noise_scale"]]),
            self._training_bar,
            self._training_note,
            "### Read",
            w["log10_time"],
            w["drift_scale"],
            w["read_noise_scale"],
            w["temperature_K"],
            self._knob_note,
            "### Programming",
            w["prog_noise_scale"],
            w["programming_method"],
            w["n_slices"],
            w["adc_bits"],
            "### Monte Carlo",
            w["chips"],
            w["seed"],
            "### Second study",
            w["study"],
            w["read_voltage"],
            w["log10_reads"],
            w["cells_per_bitline"],
            width=320,
        )
