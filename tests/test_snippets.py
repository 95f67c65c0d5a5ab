"""Copy as code (`explorer.models.snippet`): every tab's snippet, run in a fresh Python process,
prints the key figures the explorer gives in this one, to the printed precision."""

import math
import os
import subprocess
import sys
from pathlib import Path

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
from explorer.models.snippet import changed_settings, code_snippet, format_figure

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "dev": (DevicesExplorer, {"technology": "RRAM", "n_devices": 1024, "n_levels": 4, "seed": 5}, 0),
    "enc": (EncodingExplorer, {"size": 24, "batch": 6, "n_slices": 3, "adc_bits": 6, "seed": 7}, 0),
    "xb": (CrossbarExplorer, {"size": 48, "batch": 8, "adc_bits": 5, "ir_drop": True, "seed": 3}, 0),
    "prog": (ProgrammingExplorer, {"size": 16, "tolerance": 0.05, "method": "gdp", "seed": 4}, 3),
    "rel": (ReliabilityExplorer, {"chips": 2, "compensation": "global", "seed": 2}, 0),
    "train": (
        TrainingExplorer,
        {"task": "5 x 5 correlation", "epochs": 1, "lr": 0.2, "compared": ["analog SGD", "TTv2"], "seed": 2},
        300,
    ),
}
"""Each tab's explorer with non-default settings (small sizes: the whole file runs in well under a
minute), and the steps of its run (iterations, samples) before the snippet is made."""


def explorer(prefix):
    cls, kw, steps = CASES[prefix]
    ex = cls(**kw)
    if steps:
        ex.step(steps)
    return ex


def run(code):
    """Standard output of `code` run by a fresh Python process that imports this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("prefix", list(CASES))
def test_snippet_prints_the_explorers_key_figures(prefix):
    ex = explorer(prefix)
    code = code_snippet(prefix, ex)
    expected = [format_figure(f) for f in ex.key_figures()]
    assert all(not math.isnan(f.value) for f in ex.key_figures())  # a run's figures: after its start
    assert run(code).splitlines() == expected


@pytest.mark.parametrize("prefix", list(CASES))
def test_snippet_names_only_the_changed_settings_and_the_seed(prefix):
    cls, kw, _ = CASES[prefix]
    code = code_snippet(prefix, explorer(prefix))
    changed = changed_settings(prefix, explorer(prefix))
    assert {name.rsplit(".", 1)[-1] for name in changed} == set(kw)
    for name in kw:
        assert f"    {name}=" in code
    assert code.count("=") - code.count("==") == len(kw) + 1  # the settings and `ex = `
    fresh = code_snippet(prefix, cls())
    assert "seed=0," in fresh and fresh.count(",\n") == 1  # defaults: the seed alone


def test_snippet_of_a_run_not_started_prints_nan():
    ex = ProgrammingExplorer(size=16)
    out = run(code_snippet("prog", ex)).splitlines()
    assert out == [format_figure(f) for f in ex.key_figures()]
    assert out[0] == "MVM error: nan %"


def test_format_figure():
    assert format_figure(KeyFigure("MVM error", 1.234567891, "%", "")) == "MVM error: 1.23457 %"
    assert format_figure(KeyFigure("Gain factor", 1.0, "", "")) == "Gain factor: 1"


def test_snippet_refuses_another_tabs_explorer():
    with pytest.raises(ValueError, match="explorer"):
        code_snippet("enc", DevicesExplorer())
    with pytest.raises(ValueError, match="prefix"):
        code_snippet("nope", DevicesExplorer())
