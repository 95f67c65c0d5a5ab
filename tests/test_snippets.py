"""Copy as code (`explorer.models.snippet`): every tab's snippet, run in a fresh Python process,
prints the key figures the explorer gives in this one, to the printed precision."""

import math
import os
import re
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


def test_the_tool_follows_the_settings_while_shown():
    from explorer.views.code_snippet import copy_as_code
    from explorer.views.encoding import EncodingView

    view = EncodingView(model=EncodingExplorer(size=16, batch=4))
    assert copy_as_code(view) is copy_as_code(view)  # one tool per view, kept on it
    tool = view.code_tool
    assert not tool.shown and tool.text.value == ""
    view.model.n_slices = 3  # hidden: nothing written
    assert tool.text.value == ""
    tool.show()
    assert tool.shown and "n_slices=3," in tool.text.value and "n_slices=3," in tool.code.object
    view.model.xb.adc_bits = 5  # shown: re-written
    assert "adc_bits=5,  # ex.xb.adc_bits" in tool.text.value
    assert tool.text.value == code_snippet("enc", view.model)
    tool.close()
    assert not tool.shown and tool.text.value == ""


def test_the_tool_follows_a_run():
    from explorer.views.code_snippet import copy_as_code
    from explorer.views.programming import ProgrammingView

    view = ProgrammingView(model=ProgrammingExplorer(size=16))
    copy_as_code(view)
    view.code_tool.show()
    assert "ex.step(" not in view.code_tool.text.value.replace("# ex.step(...)", "")
    view.model.step(2)
    assert "ex.step(2)" in view.code_tool.text.value


def other_value(p, value):
    """A value of parameter `p` other than `value`, inside its (soft) bounds, or None."""
    import param as pm

    if isinstance(p, pm.Boolean):
        return not value
    if isinstance(p, pm.ListSelector):
        objects = list(p.objects)
        return objects[:2] if list(value) != objects[:2] else objects[1:3]
    if isinstance(p, pm.Selector):
        objects = [o for o in p.objects if o != value]
        return objects[-1] if objects else None
    if isinstance(p, pm.Number):
        low, high = p.get_soft_bounds()
        if low is None or high is None:
            return None
        new = low + 0.625 * (high - low)
        if isinstance(p, pm.Integer):
            new = int(round(new))
        return new if new != value else low
    return None


@pytest.mark.parametrize("prefix", list(CASES))
def test_the_scripts_constructor_rebuilds_every_setting(prefix):
    """Every setting moved that can be (one at a time, a refused one skipped): the keyword
    arguments the script writes rebuild the same settings (no run, no figure: the settings alone)."""
    from explorer.models.scenario import _owner, capture

    cls, _, _ = CASES[prefix]
    ex = cls()
    moved = 0
    for name in cls.scenario_settings():
        owner, attr = _owner(ex, name)
        new = other_value(owner.param[attr], getattr(owner, attr))
        if new is None:
            continue
        try:
            owner.param.update(**{attr: new})
        except ValueError:
            continue
        moved += 1
    assert moved >= len(cls.scenario_settings()) // 2
    kwargs = {name.rsplit(".", 1)[-1]: value for name, value in changed_settings(prefix, ex).items()}
    rebuilt = cls(**kwargs)
    assert capture({prefix: rebuilt}, [prefix]) == capture({prefix: ex}, [prefix])


def test_the_how_to_shows_a_script_as_written_and_what_it_prints():
    """docs/how-to/script-a-study.md, section 5: its script is `code_snippet`'s for the settings the
    text names, and its printed lines are what that script prints today."""

    text = (ROOT / "docs" / "how-to" / "script-a-study.md").read_text(encoding="utf-8")
    section = text.split("## 5. From the dashboard to a script: Copy as code", 1)[1].split("\n## ", 1)[0]
    script, printed = re.findall(r"```(?:python|text)\n(.*?)```", section, flags=re.S)
    assert script == code_snippet("enc", EncodingExplorer(n_slices=3, adc_bits=6, seed=7))
    assert run(script) == printed


def test_no_panel_link_hook_walks_every_page_when_a_layout_changes():
    """The Copy-as-code tool's browser code is attached to its Bokeh models directly: a Panel link
    (``jscallback``, ``js_on_click``) would install a hook that walks each page's whole model tree
    whenever one of its layouts changes. Checked in a fresh interpreter (another test may have made
    a link in this one): a page and every dashboard with its review bar, then the tool's callbacks."""
    import subprocess
    import sys

    script = """
import panel as pn
from bokeh.document import Document
from panel.links import Callback
from panel.viewable import Viewable
from explorer.app import DASHBOARDS, build_app
from explorer.views.review import review_bar
build_app().get_root(Document())
for _, _, cls in DASHBOARDS:
    view = cls()
    root = pn.Column(view, review_bar(view)).get_root(Document())
ref = root.ref["id"]
button, area = view.code_tool.button._models[ref][0], view.code_tool.text._models[ref][0]
print(Callback._process_callbacks in Viewable._preprocessing_hooks)
print(sorted(button.js_event_callbacks), sorted(area.js_property_callbacks))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    hook, callbacks = out.stdout.strip().splitlines()[-2:]
    assert hook == "False", out.stdout
    assert callbacks == "['button_click'] ['change:value']"
