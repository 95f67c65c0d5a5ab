"""States that must not look broken (issue 23, item 3): plots before a run, and controls that do
nothing for the chosen settings.

Before a run (Programming, Training: nothing is plotted until Start), a plot shows a *frame*: an
invisible line across the range the run will fill (the iterations or epochs it takes, a relevant
range of its measure), which BokehJS's automatic ranges include, and a centred "Press Start". Once
the run has points the frame is emptied and the axes follow the data again. Without it the axes
were BokehJS's defaults for one point or none (-1 to 1, or 1.00013 to 1.0002).

Controls that do nothing: a dashboard lists its rules (`Idle`): which control, when it is idle and why, and which settings
make it act. `IdleControls` keeps each control's ``disabled`` flag and a one-line note under it in
step with the model (a tooltip alone is not read on a projector). The rules are data, so a test
can check each of them against the model: the control really changes nothing while it is idle
(tests/test_idle_controls.py), and the settings of `enable` really enable it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import panel as pn

from ._palette import GREY
from ._widgets import resolve, show, shown_on_page

NOTE_STYLES = {"font-size": "0.85em", "color": "#555", "margin-top": "-6px", "display": "none"}
"""A control's note, hidden at first (`_widgets.show` shows it while the control is idle: by its
style, not by ``visible``, see `_widgets.styles_shown`)."""
HINT_FONT_SIZE = "16pt"


def add_frame(plot):
    """Give the `LivePlot` a frame layer and a hint layer (set by `frame_data`)."""
    plot.line("frame", hover=False, line_alpha=0.0, line_color=GREY)  # invisible: only the ranges see it
    plot.labels("hint", text_align="center", text_baseline="middle", text_font_size=HINT_FONT_SIZE, text_color=GREY)


def frame_data(x=None, y=None, hint="", y_log=False):
    """The update of a plot's frame and hint: an invisible line from corner (x[0], y[0]) to (x[1],
    y[1]) and `hint` at its centre (geometric on a log y axis); with `x` None, neither (the axes
    follow the data)."""
    if x is None:
        empty = np.zeros(0)
        return {"frame": {"x": empty, "y": empty}, "hint": {"x": empty, "y": empty, "text": []}}
    x0, x1 = (float(v) for v in x)
    y0, y1 = (float(v) for v in y)
    cy = float(np.sqrt(y0 * y1)) if y_log else (y0 + y1) / 2
    return {
        "frame": {"x": np.array([x0, x1]), "y": np.array([y0, y1])},
        "hint": {"x": np.array([(x0 + x1) / 2]), "y": np.array([cy]), "text": [hint]},
    }


@dataclass(frozen=True)
class Idle:
    """A control that does nothing under some settings.

    control: its key in the view's `widgets()`. reason: ``reason(model)`` is why it does nothing
    now (a short sentence), or None while it acts. depends: the model's parameters (dotted for an
    object the model holds, ``"xb.ir_drop"``) whose change may idle or enable it. idle, enable:
    settings (the same names) under which it is idle and under which it acts, for the tests and
    the benchmark. what_if: headings of
    charts that show what the control would do if it acted (their titles say so, "if IR drop were
    on"): the only plots it moves while idle.
    """

    control: str
    reason: Callable
    depends: tuple
    idle: dict = field(default_factory=dict)
    enable: dict = field(default_factory=dict)
    what_if: tuple = ()


def when(name, idle_values, reason):
    """`Idle.reason` for "idle while parameter `name` (dotted allowed) is one of `idle_values`"."""

    def check(model):
        owner, attr = resolve(model, name)
        return reason if getattr(owner, attr) in idle_values else None

    return check


def idle_while(control, name, idle_values, active_value, reason, **extra):
    """An `Idle` rule for `control`, idle while parameter `name` is one of `idle_values` (the first
    is the rule's `idle` setting) and acting at `active_value`."""
    return Idle(
        control,
        when(name, tuple(idle_values), reason),
        (name,),
        idle={name: idle_values[0]},
        enable={name: active_value},
        **extra,
    )


class IdleControls:
    """Keeps the controls of `rules` (`Idle`) disabled while they do nothing, with their reasons in
    a note under each; `widgets` is the view's name -> widget dict."""

    def __init__(self, model, widgets, rules):
        self.model, self.widgets, self.rules = model, widgets, tuple(rules)
        self._notes = None  # made when first asked for (`notes`): a tab never shown needs none
        by_owner = {}
        for rule in self.rules:
            for name in rule.depends:
                owner, attr = resolve(model, name)
                by_owner.setdefault(id(owner), (owner, set()))[1].add(attr)
        for owner, attrs in by_owner.values():
            owner.param.watch(self.sync, sorted(attrs))
        self.sync()

    def reasons(self):
        """Control name -> why it does nothing now (None: it acts)."""
        return {rule.control: rule.reason(self.model) for rule in self.rules}

    @property
    def notes(self):
        """Control name -> the Markdown note under it (its reason while idle, hidden while it acts).
        Made on first use, when the tab's controls are laid out (`follow`): opening a page builds
        no note for the tabs it does not show (docs/results/opening.md)."""
        if self._notes is None:
            self._notes = {
                rule.control: pn.pane.Markdown(
                    "",
                    css_classes=["idle-reason"],
                    sizing_mode="stretch_width",
                    styles=NOTE_STYLES,
                )
                for rule in self.rules
            }
            self._show(self.reasons())
        return self._notes

    def sync(self, *events):
        """Disable the idle controls, enable the others, and show each idle one's reason."""
        reasons = self.reasons()
        for name, why in reasons.items():
            self.widgets[name].disabled = why is not None
        if self._notes is not None:
            self._show(reasons)

    def _show(self, reasons):
        for name, why in reasons.items():
            note = self._notes[name]
            note.object = f"*{why}*" if why else ""
            show(note, why is not None)

    def shows(self, control):
        """Whether the note under `control` is shown (its reason while idle)."""
        return shown_on_page(self.notes[control])

    def follow(self, items):
        """`items` (a column's widgets) with each ruled control's note right under it."""
        notes = {id(self.widgets[name]): note for name, note in self.notes.items()}
        out = []
        for item in items:
            out.append(item)
            if id(item) in notes:
                out.append(notes[id(item)])
        return out


__all__ = ["Idle", "IdleControls", "add_frame", "frame_data", "idle_while", "when"]
