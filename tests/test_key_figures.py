"""Key figures of every tab (`Explorer.key_figures`): the numbers the plots' titles show, the same
for the same seed, moved by the settings that must move them, nan before a run starts."""

import math
import re

import numpy as np
import pytest

from explorer.models import (
    CrossbarExplorer,
    DevicesExplorer,
    EncodingExplorer,
    ProgrammingExplorer,
    ReliabilityExplorer,
    TrainingExplorer,
)
from explorer.models.dashboards.base import KeyFigure
from explorer.views import crossbar as crossbar_view
from explorer.views import devices as devices_view
from explorer.views import encoding as encoding_view
from explorer.views import programming as programming_view
from explorer.views import reliability as reliability_view
from explorer.views import training as training_view

SMALL = {
    "dev": (DevicesExplorer, {"n_devices": 1024}),
    "enc": (EncodingExplorer, {"size": 24, "batch": 6}),
    "xb": (CrossbarExplorer, {"size": 48, "batch": 8}),
    "prog": (ProgrammingExplorer, {"size": 16}),
    "rel": (ReliabilityExplorer, {"chips": 2}),
    "train": (TrainingExplorer, {"task": "5 x 5 correlation", "epochs": 1}),
}
"""Each tab's explorer at sizes small enough for a unit test."""

STEPS = {"prog": 4, "train": 300}
"""Steps of the runs (iterations, samples) before their figures are read."""


def figures(prefix, **changes):
    """Key figures of the tab's explorer at its small settings with `changes`, its runs stepped."""
    cls, kw = SMALL[prefix]
    ex = cls(**{**kw, **changes})
    if prefix in STEPS:
        ex.step(STEPS[prefix])
    return ex, {f.name: f for f in ex.key_figures()}


def number(pattern, title):
    """The number `pattern` (a regex with one group) captures in `title`, without thousands' commas."""
    match = re.search(pattern, title)
    assert match, f"{pattern!r} not in {title!r}"
    return float(match.group(1).replace(",", ""))


def test_key_figure_is_frozen_and_holds_a_float():
    f = KeyFigure("MVM error", np.float32(1.5), "%", "how")
    assert type(f.value) is float and f.value == 1.5
    with pytest.raises(AttributeError):
        f.value = 2.0


@pytest.mark.parametrize("prefix", list(SMALL))
def test_every_figure_is_named_and_explained(prefix):
    _, figs = figures(prefix)
    assert figs, "no key figures"
    for f in figs.values():
        assert f.name and f.how and "\n" not in f.how
        assert math.isfinite(f.value), f


@pytest.mark.parametrize("prefix", list(SMALL))
def test_same_seed_same_figures(prefix):
    _, a = figures(prefix, seed=3)
    _, b = figures(prefix, seed=3)
    assert [(f.name, f.value) for f in a.values()] == [(f.name, f.value) for f in b.values()]


CHANGES = {
    "dev": ({"log10_time": 7.0}, ("Level read-back error", "Mean conductance change")),
    "enc": ({"n_slices": 1}, ("MVM error", "Weight error", "Error budget total")),
    "xb": ({"adc_bits": 3}, ("MVM error", "Output error SD")),
    "prog": ({"tolerance": 0.2}, ("MVM error", "Pulses")),
    "rel": ({"compensation": "global"}, ("Accuracy at 1 y",)),
    "train": ({"lr": 0.3}, ("Weight error, analog SGD", "Pulses, TTv2")),
}
"""A setting that must move some figures of each tab, and those figures."""


@pytest.mark.parametrize("prefix", list(SMALL))
def test_a_setting_moves_the_figures_it_must(prefix):
    changes, names = CHANGES[prefix]
    _, before = figures(prefix)
    _, after = figures(prefix, **changes)
    for name in names:
        assert after[name].value != before[name].value, name


@pytest.mark.parametrize("prefix", ["prog", "train"])
def test_runs_have_no_figures_before_start(prefix):
    cls, kw = SMALL[prefix]
    ex = cls(**kw)
    figs = ex.key_figures()
    assert figs and all(math.isnan(f.value) for f in figs)
    assert all("before Start" in f.how for f in figs if f.name not in ("Epochs trained",))
    assert ex._run is None if prefix == "prog" else ex._runs is None  # reading them started nothing


# ------------------------------------------------------------------ against the dashboards' titles


def test_devices_figures_are_the_titles():
    view = devices_view.DevicesView(model=SMALL["dev"][0](**SMALL["dev"][1], log10_time=6.0))
    title = devices_view.histogram_data(view)["title"]
    figs = {f.name: f for f in view.model.key_figures()}
    assert number(r"level read-back error ([\d.]+) %", title) == round(figs["Level read-back error"].value, 1)
    h = view.model.histogram()
    assert figs["Mean conductance change"].value == pytest.approx(100 * (np.nanmean(h["mean_ratio"]) - 1.0))


def test_encoding_figures_are_the_titles():
    view = encoding_view.EncodingView(model=SMALL["enc"][0](**SMALL["enc"][1], n_slices=3, base=4.0))
    mvm, weight = encoding_view.slicing_marker(view)
    budget = encoding_view.budget_data(view)
    figs = {f.name: f for f in view.model.key_figures()}
    assert number(r"n = 3: ([\d.]+)%", mvm["title"]) == round(figs["MVM error"].value, 2)
    assert number(r"n = 3: ([\d.]+)%", weight["title"]) == round(figs["Weight error"].value, 2)
    assert number(r"Total MVM error ([\d.]+)%", budget["title"]) == round(figs["Error budget total"].value, 2)


def test_crossbar_figures_are_the_titles():
    view = crossbar_view.CrossbarView(model=SMALL["xb"][0](**SMALL["xb"][1], adc_bits=5))
    title = crossbar_view.outputs_data(view)["title"]
    spread = crossbar_view.error_histogram_data(view)["title"]
    figs = {f.name: f for f in view.model.key_figures()}
    assert number(r"MVM error ([\d.]+)%", title) == round(figs["MVM error"].value, 2)
    assert number(r"ADC clipping ([\d.]+)%", title) == round(figs["ADC clipping"].value, 2)
    assert number(r"gain factor ([\d.]+)", title) == round(figs["Gain factor"].value, 3)
    assert number(r"standard deviation ([\d.]+)%", spread) == round(figs["Output error SD"].value, 2)


def test_programming_figures_are_the_titles():
    view = programming_view.ProgrammingView(model=SMALL["prog"][0](**SMALL["prog"][1]))
    view.model.step(3)
    errors, costs = programming_view.convergence_data(view)
    devices, _ = programming_view.device_data(view)
    figs = {f.name: f for f in view.model.key_figures()}
    assert number(r"MVM error ([\d.]+)%", errors["title"]) == round(figs["MVM error"].value, 2)
    assert number(r"weight error ([\d.]+)%", errors["title"]) == round(figs["Weight error"].value, 2)
    assert number(r"iteration (\d+)", errors["title"]) == figs["Iterations"].value == 3
    assert number(r"([\d,]+) pulses", costs["title"]) == figs["Pulses"].value
    assert number(r"([\d,]+) device reads", costs["title"]) == figs["Device reads"].value
    assert number(r"chip time ([\d,.]+) µs", costs["title"]) == round(figs["Chip time"].value, 1)
    assert number(r"([\d.]+)% of devices", devices["title"]) == round(figs["Within tolerance"].value, 1)
    assert figs["Energy"].value == pytest.approx(1e9 * view.model.convergence()["energy_J"][-1])


def test_reliability_figures_are_the_titles():
    view = reliability_view.ReliabilityView(model=SMALL["rel"][0](**SMALL["rel"][1], log10_time=5.0))
    title = reliability_view.curve_data(view)["title"]
    figs = {f.name: f for f in view.model.key_figures()}
    assert number(r"([\d.]+)% at 1 year", title) == round(figs["Accuracy at 1 y"].value, 1)
    assert number(r"float ([\d.]+)%", title) == round(figs["Float accuracy"].value, 1)
    c = view.model.curve()
    # The marked time lies between two of the curve's points: the figure lies between their means.
    k = np.searchsorted(c["times_s"], 1e5)
    low, high = sorted(100 * c["mean"][k - 1 : k + 1])
    assert low <= figs["Accuracy at the marked time"].value <= high


def test_training_figures_are_the_titles():
    view = training_view.TrainingView(model=SMALL["train"][0](**SMALL["train"][1]))
    view.model.step(400)
    measure, costs = training_view.error_curve_data(view)
    figs = {f.name: f for f in view.model.key_figures()}
    for name in view.model.curves():
        shown = number(rf"{re.escape(name)} ([\d.]+)%", measure["title"])
        assert shown == round(figs[f"Weight error, {name}"].value, 1)
    focus = view.model.algorithm
    assert number(r"([\d,]+) pulses", costs["title"]) == figs[f"Pulses, {focus}"].value
    assert number(r"chip time ([\d.]+) ms", costs["title"]) == round(figs[f"Chip time, {focus}"].value, 2)
    assert number(r"Epoch ([\d.]+) of", measure["title"]) == round(figs["Epochs trained"].value, 2)
