"""Small helpers shared by the dashboards: throttled sliders and explanation cards."""

import collections
import contextlib
import re
import threading

import panel as pn
import param
from bokeh.models import CustomJSTickFormatter

from ..compat import PromptEvents, changes_go_at_once
from ..models._internal.memo import Memo

DURATION_FORMATTER_JS = """
const s = Math.pow(10, tick);
const units = [[31557600, ' y'], [86400, ' d'], [3600, ' h'], [60, ' min']];
for (const [size, name] of units) { if (s >= size) return (s / size).toPrecision(3) + name; }
return s.toPrecision(3) + ' s';
"""


def styles_shown(component, shown: bool, display: str = "block") -> dict[str, str]:
    """`component`'s styles with it shown (CSS ``display`` set to `display`, the element's own:
    ``block``, or ``flex`` for a column) or hidden (``none``), the other styles kept.

    The app shows and hides by style, not by ``visible`` or CSS classes: BokehJS lays out the whole
    page again when a component's ``visible`` changes (more than doubling, for instance, the
    browser time of the Crossbar tab's IR-drop checkbox, which hides a note) and renders a
    component again, every plot in it, when its classes change; a change of style changes only
    the element itself (docs/results/benchmarks.md, "Page costs"). The shown style names its
    display since BokehJS leaves a style property the new styles do not name as it was."""
    return {**component.styles, "display": display if shown else "none"}


def shown_on_page(component) -> bool:
    """Whether `component` is shown on the page: visible and not hidden by its style (`styles_shown`)."""
    return component.visible and component.styles.get("display") != "none"


def show(component, on: bool, display: str = "block") -> None:
    """Show or hide `component` by its style (`styles_shown`), sending nothing when it already is."""
    if shown_on_page(component) != on:
        component.styles = styles_shown(component, on, display)


def duration_formatter():
    """Slider formatter showing 10**value seconds as '1 h', '30.4 d', '10 y'."""
    return CustomJSTickFormatter(code=DURATION_FORMATTER_JS)


OHM_FORMATTER_JS = "return Math.pow(10, tick).toPrecision(3) + ' Ω';"
COUNT_FORMATTER_JS = "return Math.round(Math.pow(10, tick)).toLocaleString('en-US');"


def ohm_formatter():
    """Slider formatter showing 10**value ohms as '0.350 Ω' (a log slider shows its linear value)."""
    return CustomJSTickFormatter(code=OHM_FORMATTER_JS)


def count_formatter():
    """Slider formatter showing 10**value as a whole count with thousands separators ('1,000,000')."""
    return CustomJSTickFormatter(code=COUNT_FORMATTER_JS)


class ThrottledFollows:
    """Mixin of Panel sliders: when code moves the slider (`value` sent to the page), its
    `value_throttled` goes to the page with it.

    Panel never sends `value_throttled`, so after code moved a slider (a scenario, a lesson step,
    a link, the lecturer) the page and the server kept the throttled value of the slider's last
    move or creation; a student's next move back to exactly that value then changed nothing BokehJS
    sends (it sends only changed properties) and the model never heard of it: found by the class
    load command, whose lesson students moved the Devices time back to one hour after a lesson step
    had set one year. `throttled_slider` sets both on the widget; this sends both to the page."""

    def _update_model(self, events, msg, root, model, doc, comm):
        # Panel never puts value_throttled in `msg`: the widget's own, set with the value by code
        throttled = msg["value"] if "value" in msg and msg["value"] == self.value_throttled else None
        if throttled is None:  # the page's own move (or no value): nothing more to send
            super()._update_model(events, msg, root, model, doc, comm)
            return
        served = doc is not None and doc.session_context is not None and changes_go_at_once(doc)
        # On a served page both values leave in one message (Panel's scheduled update of a change
        # made in a callback thread would send each property in a message of its own).
        with pn.io.hold(doc) if served else contextlib.nullcontext():
            super()._update_model(events, msg, root, model, doc, comm)
            self._follow_throttled(model, root, throttled)

    def _follow_throttled(self, model, root, throttled):
        # (A model the page never sent a throttled value has none: Bokeh then raises on reading it.
        # Read only here: listing a model's set properties costs more than the rest of this update.)
        current = model.properties_with_values(include_defaults=False).get("value_throttled")
        if current != throttled:
            # A read-only property in Bokeh's Python models: set as a page's message would set it,
            # and marked as ours so that Panel does not take the change for the page's.
            ref = root.ref["id"]
            self._changing.setdefault(ref, []).append("value_throttled")
            try:
                model.set_from_json("value_throttled", throttled)
            finally:
                # Bokeh calls the change callback (which takes the mark off) only on a real change;
                # a mark left behind would swallow the page's next move of this slider.
                marks = self._changing.get(ref, [])
                if "value_throttled" in marks:
                    marks.remove("value_throttled")
                if not marks:
                    self._changing.pop(ref, None)


class IntSlider(ThrottledFollows, PromptEvents, pn.widgets.IntSlider):
    """An integer slider whose browser events are handled at once and in order (`PromptEvents`)."""


class FloatSlider(ThrottledFollows, PromptEvents, pn.widgets.FloatSlider):
    """A float slider whose browser events are handled at once and in order (`PromptEvents`)."""


WRAPPED_TITLE_CSS = ".bk-slider-title { white-space: normal; }"
"""A slider's label and value wrap onto a second line rather than run out of the controls column
(lecture mode's larger text)."""


def throttled_slider(model, param_name, **kwargs):
    """A slider for `model.param[name]` that updates the model on release (value_throttled).

    Bounds (the soft ones where the parameter has them) and step come from the parameter, so no
    slider position can be invalid;
    changes made to the model in code (or from the URL) move the slider back.
    """
    name = param_name
    p = model.param[name]
    cls = IntSlider if isinstance(p, param.Integer) else FloatSlider
    # The slider spans the usual range (softbounds) where the parameter has one; code may go beyond.
    soft = p.softbounds or (None, None)
    start = soft[0] if soft[0] is not None else p.bounds[0]
    end = soft[1] if soft[1] is not None else p.bounds[1]
    opts = dict(
        label=p.label,
        start=start,
        end=end,
        value=getattr(model, name),
        sizing_mode="stretch_width",
        stylesheets=[WRAPPED_TITLE_CSS],
    )
    if p.step is not None:
        opts["step"] = p.step
    opts.update(kwargs)
    widget = cls(**opts)
    # Values this widget sent to the model: their echo is not sent back. Key presses arrive faster
    # than the model applies them, so echoing an older value (301 K while the page is already at
    # 303 K) would move the slider back and lose the presses in between.
    sent = collections.deque(maxlen=64)

    def to_model(event):
        if event.new != getattr(model, name):  # an unchanged value gets no echo to skip
            sent.append(event.new)
        setattr(model, name, event.new)

    def to_widget(event):
        if event.new in sent:
            sent.remove(event.new)
            return
        with param.edit_constant(widget):  # the throttled value too (`ThrottledFollows`)
            widget.param.update(value=event.new, value_throttled=event.new)

    widget.param.watch(to_model, "value_throttled")
    model.param.watch(to_widget, name)
    return widget


def resolve(root, name):
    """``(owner, attribute)`` of parameter `name` on `root`: a plain name is `root`'s own, a dotted
    one such as ``"xb.adc_bits"`` belongs to an object `root` holds (``root.xb``)."""
    owner = root
    path, _, attr = name.rpartition(".")
    for part in path.split(".") if path else ():
        owner = getattr(owner, part)
    return owner, attr


def control_widget(model, param_name, **kwargs):
    """The widget for parameter `param_name` of `model`, built from the parameter itself: a
    checkbox for a Boolean, a select for a Selector, a throttled slider otherwise (bounds,
    step and label from the parameter; `kwargs` narrow or relabel)."""
    p = model.param[param_name]
    kwargs.setdefault("label", p.label)
    if isinstance(p, param.Boolean):
        return pn.widgets.Checkbox.from_param(p, **kwargs)
    if isinstance(p, param.Selector):
        return pn.widgets.Select.from_param(p, sizing_mode="stretch_width", **kwargs)
    return throttled_slider(model, param_name, **kwargs)


READ_KNOBS = ("drift_scale", "read_noise_scale", "temperature_K")
"""The read-time device knobs a technology may have no model for."""


def sync_knob_widgets(model, widgets, note):
    """Disable the widgets of the read knobs `model`'s technology has no model for
    (`model.active_knobs()`), and say which in the Markdown pane `note`."""
    active = model.active_knobs()
    idle = []
    for name in READ_KNOBS:
        widgets[name].disabled = name not in active
        if name not in active:
            label = widgets[name].label
            idle.append(label[:1].lower() + label[1:])  # "temperature (K)": units keep their case
    note.object = f"*{model.technology} has no model for: {', '.join(idle)}.*" if idle else ""


def protect_math(text):
    """Keep the TeX between $$ intact through Markdown, which would read `\\,` as an escaped comma
    and `_..._` as emphasis: backslashes before punctuation are doubled, `_` and `*` escaped."""

    def protect(match):
        tex = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", match.group(1))
        return "$$" + re.sub(r"([_*])", r"\\\1", tex) + "$$"

    return re.sub(r"\$\$(.+?)\$\$", protect, text, flags=re.S)


PHYSICS_LINK = "?tab=8"
"""The app's "Physics reference" tab (`explorer.app.PHYSICS_TAB`), opened in a new window so the
dashboard keeps its settings."""


def cite_links(text):
    """`text` with each mention of "physics reference section N" (or "sections N") made a link to
    the app's Physics reference tab."""
    return re.sub(
        r"([Pp]hysics\s+reference\s+sections?(?:\s+\d+b?)?)",
        lambda m: f'<a href="{PHYSICS_LINK}" target="_blank" title="Open the physics reference">{m.group(1)}</a>',
        text,
    )


def explained(title, plot, text):
    """A plot with its two-line explanation (equation in $$...$$ and source) beside it.

    A plain-string `text` is passed through `protect_math`; a bound function should
    return protected text itself.
    """
    if isinstance(text, str):
        text = cite_links(protect_math(text))
    return pn.Row(
        pn.Column(pn.pane.Markdown(f"#### {title}", margin=(0, 10)), plot, sizing_mode="stretch_width"),
        pn.pane.Markdown(text, width=300, margin=(40, 10, 0, 10)),
        sizing_mode="stretch_width",
    )


SHARED_KEY = "analog-explorer shared results"
VIEW_MEMO_BYTES = 128 * 2**20
"""Bound of one view's kept plot data (a few results per kind; the byte bound acts only on very
large matrices)."""
SHARED_BYTES = 256 * 2**20
SHARED_ENTRIES = 4096
"""Bounds of the results shared by all sessions of a server (`SharedResults`)."""


class SharedResults:
    """Results shared by every session of one server, keyed by the explorer's class, the kind of
    result and the explorer's `snapshot_key()` (every input of the result): a class of thirty at
    the default settings computes each result once. Only results that are pure functions of that
    key are kept, with their arrays made read-only; least recently used dropped above
    `max_bytes`. It lives in `pn.state.cache` (Panel's per-server store), one per server; the
    results are kept in a `Memo` (read-only)."""

    def __init__(self, max_bytes=SHARED_BYTES):
        self.memo = Memo(max_bytes=max_bytes, max_entries=SHARED_ENTRIES, read_only=True)
        self._lock = threading.Lock()
        self._running = {}  # key -> computations of it running now
        self.duplicates = 0
        """Computations started while the same result was being computed for another caller (two
        sessions asking at once each compute it: the memo keeps a result once it is done)."""

    def get(self, key, compute):
        """`compute()`, or the result kept for `key` (hashable)."""

        def counted():
            with self._lock:
                self.duplicates += key in self._running
                self._running[key] = self._running.get(key, 0) + 1
            try:
                return compute()
            finally:
                with self._lock:
                    self._running[key] -= 1
                    if not self._running[key]:
                        del self._running[key]

        return self.memo.keyed("shared", key, counted)

    def holds(self, key):
        """Whether a result is kept for `key` (nothing is computed or counted)."""
        return self.memo.peek("shared", key) is not None

    def stats(self):
        """Counts so far: ``lookups``, ``hits`` (answered with a kept result), ``duplicates`` (see
        the attribute), ``entries`` and ``bytes`` kept (the load command reads them:
        `explorer.sessions.write_stats`)."""
        return dict(self.memo.counts(), duplicates=self.duplicates)


def on_page(view, apply):
    """Run `apply()` on `view`'s page: on its session's event loop when served (a setting may move
    in another thread, and a page's models change only there), else at once."""
    served = getattr(view, "_served", None)
    if served is not None and served():
        pn.state.execute(apply)
    else:
        apply()


def shared_results():
    """This process's `SharedResults` (created on first use in `pn.state.cache`): every session of
    a server, or every view of a notebook."""
    return pn.state.cache.setdefault(SHARED_KEY, SharedResults())


class WidgetsOnFirstUse:
    """Mixin of the views whose widgets a page may never show: they are built on first use.

    A view sets its widgets (the controls, the notes beside them, the watchers that keep them in
    step with the model) in `make_widgets` and names the attributes it sets in `WIDGET_ATTRS`.
    Reading any of them first builds them all: a page builds a tab's widgets when the tab is first
    shown, or when something asks for them (a lesson step's outlines, a script, the benchmark), not
    when the page opens; a student opens few of the tabs.
    """

    WIDGET_ATTRS = ()
    """Names of the attributes `make_widgets` sets."""

    def make_widgets(self):
        """Build the view's widgets and the watchers that keep them in step with its model (its
        `WIDGET_ATTRS`); called once, on first use. A subclass calls ``super().make_widgets()``."""

    def _build_widgets(self):
        """`make_widgets`, once (any thread; a second caller waits for the first)."""
        lock = self.__dict__.setdefault("_widgets_lock", threading.RLock())
        with lock:
            if self.__dict__.get("_widgets_state") is None:
                self.__dict__["_widgets_state"] = "building"
                try:
                    self.make_widgets()
                finally:
                    self.__dict__["_widgets_state"] = "built"

    def __getattr__(self, name):
        # Only for names that normal lookup did not find: a widget attribute read before the
        # widgets were built builds them (`WIDGET_ATTRS`).
        if name in type(self).WIDGET_ATTRS:
            self._build_widgets()
            if name in self.__dict__:
                return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ResultMemo:
    """Recent results of a model's data methods, with the settings they were computed for.

    Plots that draw the same data (two panes of one result, a sweep whose marker
    moves) compute it once, whichever asks first; a few results per kind are kept,
    so that toggling a setting back costs nothing. One memo per model, so per session: a `Memo`
    keyed by the values of the parameters each kind declares it depends on.
    """

    KEEP = 4

    def __init__(self, model):
        self.model = model
        self.memo = Memo(max_bytes=VIEW_MEMO_BYTES, max_entries=1024, per_name=self.KEEP)

    def get(self, kind, names, compute):
        """`compute()`, or its kept result for the current values of the model parameters `names`
        (a dotted name such as ``"xb.adc_bits"`` reads a parameter of an object the model holds)."""
        values = tuple(getattr(*resolve(self.model, n)) for n in names)

        def run():
            # Explorers with a snapshot key share results across sessions; others compute their own.
            snapshot_key = getattr(self.model, "snapshot_key", None)
            if snapshot_key is None:
                return compute()
            return shared_results().get((type(self.model).__name__, kind, snapshot_key()), compute)

        return self.memo.keyed(kind, values, run)

    def shared(self, kind):
        """Whether the server's shared results hold `kind` at the model's current settings (another
        session computed it: answering from it is quick)."""
        snapshot_key = getattr(self.model, "snapshot_key", None)
        return snapshot_key is not None and shared_results().holds((type(self.model).__name__, kind, snapshot_key()))

    def clear(self):
        self.memo.clear()
