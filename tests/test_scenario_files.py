"""The header's scenario buttons (issue 24, item 2), without a browser: the app's Download scenario
button writes every tab's settings, its Upload scenario control restores them on a fresh page (the
rendered plots follow), and a bad file is refused with its field named in the status line and no
setting changed. The buttons' own widgets are driven, so the wiring is what is tested."""

import json
import pickle

import panel as pn
import pytest
from bokeh.document import Document
from test_scenarios import settings_of

from explorer.app import DASHBOARDS, build_app
from explorer.models import scenario as sc
from explorer.views.scenario_files import ERROR_STYLE, FILE_NAME, download_text, upload

HISTOGRAM = "Programmed levels at the chosen time"
ADC_SWEEP = "MVM error versus ADC bits"


def page():
    """A fresh app page: its tabs, tab prefix -> model, and the header's download, upload and status."""
    app = build_app()
    tabs = app.select(pn.Tabs)[0]
    (download,) = app.select(pn.widgets.FileDownload)
    (chooser,) = app.select(pn.widgets.FileInput)
    (status,) = [p for p in app.select(pn.pane.HTML) if "scenario-status" in p.css_classes]
    (controls,) = [row for row in app.select(pn.Row) if hasattr(row, "explorers")]
    models = dict(controls.explorers)
    assert list(models) == [prefix for _, prefix, _ in DASHBOARDS]
    return tabs, models, download, chooser, status


def render(tabs, prefix):
    """Render the page's tab `prefix` (its lazy view builds its figures now) and return the Bokeh root."""
    k = 1 + [p for _, p, _ in DASHBOARDS].index(prefix)
    return tabs.objects[k].get_root(Document())


def title(root, heading):
    """The shown title of the plot under `heading` (a LivePlot names its title model)."""
    return root.select_one({"name": f"{heading}/title"}).text


def press_download(download):
    """What the Download scenario button hands the browser: the file's name and its text."""
    fileobj = download.callback()
    return download.filename, fileobj.read()


def choose(chooser, data, filename="scenario.json"):
    """Upload `data` through the FileInput as the browser does (file name, then content)."""
    chooser.param.update(filename=filename, value=data)


def test_download_then_upload_restores_every_tab_on_a_fresh_page():
    first_tabs, first, download, _, _ = page()
    first["dev"].param.update(technology="RRAM", n_levels=4, log10_time=5.0, seed=3)
    first["xb"].param.update(size=32, batch=8)
    first["xb"].xb.adc_bits = 6
    first["prog"].programming.tolerance = 0.03
    first["train"].device = "ReRAM-like, 1000 states"
    filename, text = press_download(download)
    assert filename == FILE_NAME
    assert text == download_text(first)
    assert set(json.loads(text)["tabs"]) == set(sc.TABS)  # every tab

    second_tabs, second, _, chooser, status = page()
    assert settings_of(second) != settings_of(first)
    dev = render(second_tabs, "dev")  # a rendered tab; the others render later
    before = title(dev, HISTOGRAM)
    choose(chooser, text.encode("utf-8"), filename)
    assert status.object == f"Loaded {FILE_NAME}"
    assert settings_of(second) == settings_of(first)
    # The rendered plot follows, and equals the first page's at the same settings and seed.
    assert title(dev, HISTOGRAM) == title(render(first_tabs, "dev"), HISTOGRAM) != before
    # A tab not yet rendered builds from the applied settings: its ADC control and plot show 6 bits.
    xb = render(second_tabs, "xb")
    assert title(xb, ADC_SWEEP).startswith("ADC 6 bits: ")
    assert title(xb, ADC_SWEEP) == title(render(first_tabs, "xb"), ADC_SWEEP)


def test_a_named_scenario_is_reported_by_its_name():
    _, models, _, chooser, status = page()
    text = json.dumps({"format": sc.FORMAT, "version": 1, "name": "8 levels", "tabs": {"dev": {"n_levels": 8}}})
    choose(chooser, text.encode("utf-8"))
    assert status.object == "Loaded 8 levels"
    assert models["dev"].n_levels == 8


BAD = {
    # file content -> the field the message must name
    "out of range": ({"xb": {"xb.adc_bits": 999}}, "tabs.xb.xb.adc_bits"),
    "unknown technology": ({"dev": {"technology": "Nope"}}, "tabs.dev.technology"),
    "wrong type": ({"dev": {"n_levels": "four"}}, "tabs.dev.n_levels"),
    "unknown setting": ({"dev": {"colour": "red"}}, "tabs.dev.colour"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_is_refused_naming_its_field_and_nothing_changes(case):
    _, models, _, chooser, status = page()
    models["dev"].n_levels = 4  # away from the defaults: a refused file must not reset it
    tabs, field = BAD[case]
    # the bad value after a valid one, so a half-applied file would show
    text = json.dumps({"format": sc.FORMAT, "version": 1, "tabs": {"enc": {"seed": 7}, **tabs}})
    before = settings_of(models)
    choose(chooser, text.encode("utf-8"), "bad.json")
    assert status.object.startswith(f"Not loaded bad.json: {field}: ")
    assert status.object.endswith("Nothing changed.")
    assert status.styles == ERROR_STYLE
    assert settings_of(models) == before


def test_pickle_oversized_and_missing_files_are_refused():
    explorers = {prefix: cls() for prefix, cls in sc.TABS.items()}
    before = {p: ex.param.values() for p, ex in explorers.items()}
    pickled = pickle.dumps({"format": sc.FORMAT, "version": 1, "tabs": {"dev": {"n_levels": 8}}})
    outcome = upload(explorers, pickled, "p.json")
    assert not outcome.ok and "not UTF-8 JSON" in outcome.message
    big = b" " * (sc.MAX_BYTES + 1)
    outcome = upload(explorers, big)
    assert not outcome.ok and f"at most {sc.MAX_BYTES:,} allowed" in outcome.message
    assert upload(explorers, None) == (False, "No file chosen; nothing changed.")
    assert {p: ex.param.values() for p, ex in explorers.items()} == before
