"""The run dashboards' run settings (issue 25 item 4, the load command's false errors): the controls of
the Programming and Training tabs that carry the tag `RUN_SETTING_TAG` are exactly those whose
move, before Start, changes none of the dashboard's plot data, in each state checked (defaults;
gradient-descent programming with IR drop; the 5 x 5 task). The load command presses Start after
moving a marked control; an unmarked one must answer with new plot data, as every other control."""

import panel as pn
import param
import pytest

from explorer.views import ProgrammingView, TrainingView
from explorer.views._live import _same
from explorer.views._runs import RUN_SETTING_TAG


def _plot_data(view):
    """Every shown chart's data, as the page would be sent them (`Chart.parts`)."""
    return {c.heading: [p.data(view) for p in c.parts] for c in view.charts() if c.is_shown(view.model)}


def _other(widget):
    """Another value `widget` allows (one step of a slider or number box, another option, the other state)."""
    v = widget.value
    if isinstance(widget, pn.widgets.CheckBoxGroup):
        extra = [o for o in widget.options if o not in v]
        return [*v, extra[0]] if extra else list(v)[1:]
    if isinstance(widget, pn.widgets.Select):
        options = list(widget.options.values()) if isinstance(widget.options, dict) else list(widget.options)
        return next(o for o in options if o != v)
    if isinstance(widget, pn.widgets.Checkbox):
        return not v
    if isinstance(widget, pn.widgets.IntInput):
        return v + 1
    step, end = widget.step or 1, getattr(widget, "end", None)
    return v + step if end is None or v + step <= end else v - step


def _set(widget, value):
    """Set `widget` as the page does: its value and, for a throttled slider, its committed value."""
    widget.value = value
    if "value_throttled" in widget.param:
        with param.edit_constant(widget):
            widget.value_throttled = value


def _silent_and_marked(view):
    """(controls whose move redraws nothing, controls marked as run settings), over the enabled ones."""
    silent, marked = set(), set()
    before = _plot_data(view)
    for name, widget in view.widgets().items():
        if widget.disabled:
            continue
        if RUN_SETTING_TAG in widget.tags:
            marked.add(name)
        old = widget.value
        _set(widget, _other(widget))
        after = _plot_data(view)
        if after.keys() == before.keys() and all(
            _same(a, b) for key in before for a, b in zip(before[key], after[key], strict=True)
        ):
            silent.add(name)
        _set(widget, old)
    return silent, marked


def _gdp_with_ir_drop():
    view = ProgrammingView()
    view.model.programming.method = "gdp"
    view.model.xb.ir_drop = True
    return view


def _five_by_five():
    view = TrainingView()
    view.model.task = "5 x 5 correlation"
    return view


@pytest.mark.parametrize(
    "make",
    [ProgrammingView, _gdp_with_ir_drop, TrainingView, _five_by_five],
    ids=["programming", "programming-gdp-ir-drop", "training", "training-5x5"],
)
def test_run_settings_are_the_controls_that_redraw_nothing_before_start(make):
    view = make()
    silent, marked = _silent_and_marked(view)
    assert silent, "some control of a run dashboard shapes the run only"
    assert marked == silent


def test_the_read_out_is_a_run_setting_on_the_five_by_five_task_only():
    view = TrainingView()
    adc = view.widgets()["adc_bits"]
    assert RUN_SETTING_TAG not in adc.tags  # on the digits it redraws the first test accuracy
    view.model.task = "5 x 5 correlation"
    assert RUN_SETTING_TAG in adc.tags
    view.model.task = "digits MLP"
    assert RUN_SETTING_TAG not in adc.tags
