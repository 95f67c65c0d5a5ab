"""The offline HTML review report (`explorer.figures.report`), without a browser: its figures,
settings, key figures (A, B and B - A with a pin), explanations, date and version, and nothing
that points to another host (tests/test_browser_exports.py opens it in Chromium)."""

import datetime as dt
import html
import math
import re

import pytest

pytest.importorskip("holoviews")

from explorer import __version__  # noqa: E402
from explorer.figures.report import explorer_at, key_figure_rows, report_html, settings_rows, text_html  # noqa: E402
from explorer.models import scenario  # noqa: E402
from explorer.models.dashboards import DevicesExplorer, EncodingExplorer  # noqa: E402
from explorer.models.dashboards.base import KeyFigure  # noqa: E402
from explorer.views.devices import CHARTS, READ_EQUATIONS  # noqa: E402

NOW = dt.datetime(2026, 12, 6, 15, 4, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def devices():
    b = DevicesExplorer(n_devices=1024, log10_time=6.0)
    a = DevicesExplorer(n_devices=1024, log10_time=2.0)
    return a, b, report_html(b, now=NOW), report_html(b, pinned=a, now=NOW)


def rows_of(text, first_cell):
    """The cells of the table row whose first cell is `first_cell`."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", text, flags=re.S):
        cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r}")


def test_the_report_holds_the_figures_of_every_shown_chart(devices):
    _, b, text, _ = devices
    figures = b.figures()
    assert text.count('class="bk-root"') + text.count("data-root-id") >= len(figures)
    for chart in CHARTS:
        shown = f"<h2>{html.escape(chart.heading)}</h2>" in text
        assert shown == chart.is_shown(b)


def test_the_report_lists_every_setting_with_its_value_and_unit(devices):
    _, b, text, _ = devices
    names = scenario.capture({"dev": b}, ["dev"])["tabs"]["dev"]
    rows = settings_rows(b)
    assert [r["name"] for r in rows] == list(names)
    for row in rows:
        assert rows_of(text, row["label"])[1:3] == [row["name"], str(row["value"])]
    units = {r["name"]: r["unit"] for r in rows}
    assert (units["temperature_K"], units["log10_time"], units["seed"]) == ("K", "log10 of seconds", "")


def test_the_report_has_the_key_figures_date_version_and_explanations(devices):
    _, b, text, _ = devices
    for k in b.key_figures():
        cells = rows_of(text, k.name)
        assert cells[1] == (f"{k.value:.4g}" if not math.isnan(k.value) else "–")
        assert cells[2:] == [k.unit, k.how]
    assert "2026-12-06 15:04 UTC" in text and f"analog-weight-explorer {__version__}" in text
    # PCM's explanation, its equation as TeX source (no renderer, nothing to download)
    assert "Joshi et al., Nat. Commun. 11, 2473 (2020)" in text
    tex = re.search(r"\$\$(.+?)\$\$", READ_EQUATIONS["PCM"]).group(1)
    assert f"<code>{html.escape(tex)}</code>" in text


def test_the_pinned_report_shows_a_b_and_the_difference(devices):
    a, b, _, text = devices
    rows = key_figure_rows(b, a)
    assert rows
    for row in rows:
        cells = rows_of(text, row["name"])
        assert cells[1:4] == [f"{row[k]:.4g}" if not math.isnan(row[k]) else "–" for k in ("A", "B", "B - A")]
        assert row["B - A"] == pytest.approx(row["B"] - row["A"], nan_ok=True)
    differing = re.findall(r'<tr class="differs">(.*?)</tr>', text, flags=re.S)
    assert len(differing) == 1 and "log10_time" in differing[0]  # only the time differs
    assert "B (A muted behind)" in text


def test_a_pins_own_key_figures_are_the_a_column():
    b = DevicesExplorer(n_devices=1024)
    held = tuple(KeyFigure(k.name, 42.0, k.unit, k.how) for k in b.key_figures())
    rows = key_figure_rows(b, DevicesExplorer(n_devices=1024), held)
    assert [r["A"] for r in rows] == [42.0] * len(held)


def test_nothing_in_the_report_points_to_another_host(devices):
    for text in devices[2:]:
        # BokehJS itself holds a MathJax loader (used only for $$...$$ in a Bokeh text: none here;
        # tests/test_browser_exports.py watches the requests): the page's own tags are checked.
        tags = re.sub(r"<script>.*?</script>", "", text, flags=re.S)
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", tags)
        assert "<script src=" not in text and "<link" not in text
        assert "$$" not in tags  # no text (titles in the documents' JSON included) for Bokeh's MathJax


def test_units_come_from_the_labels_only_where_they_are_units():
    from explorer.figures.report import unit_of
    from explorer.models.dashboards import ReliabilityExplorer

    p = ReliabilityExplorer.param
    assert [unit_of(p[n]) for n in ("read_voltage", "chips", "cells_per_bitline", "log10_reads")] == [
        "V",
        "",
        "",
        "log10 of count",
    ]


def test_explorer_at_validates_the_settings_as_a_scenario_file_does():
    b = EncodingExplorer()
    a = explorer_at(b, {"seed": 5, "xb.adc_bits": 6})
    assert (a.seed, a.xb.adc_bits, b.seed) == (5, 6, 0)
    with pytest.raises(scenario.ScenarioError, match="xb.adc_bits"):
        explorer_at(b, {"xb.adc_bits": 999})


def test_pinned_must_be_the_same_tab():
    with pytest.raises(TypeError, match="pinned must be a DevicesExplorer"):
        report_html(DevicesExplorer(n_devices=256), pinned=EncodingExplorer())


def test_text_html_escapes_and_keeps_tex_as_code():
    out = text_html(r"*Error* $$a < b_i$$ and <script>")
    assert out == "<p><em>Error</em> <code>a &lt; b_i</code> and &lt;script&gt;</p>"
