"""The technology table (issue 24, item 6; seed section 6.1): every computed cell is a finite
value, a lower bound or "not modelled", with its unit and how it was computed; the same seed gives
the same table; the ordering the physics demands holds where it is robust; the CSV re-reads to the
cells; results are shared between tables (sessions) and the tab sits before the physics reference."""

import html
import math

import numpy as np
import panel as pn
import pytest

from explorer.app import PHYSICS_TAB, TECHNOLOGIES_TAB, build_app
from explorer.models import technologies as tt
from explorer.models.technologies import ROW_KEYS, TECHNOLOGIES_COMPARED, Cell, TechnologyTable, read_csv
from explorer.views.technologies import TechnologiesView, table_html

CHIPS = 3


@pytest.fixture(scope="module")
def cells():
    return TechnologyTable(seed=0, chips=CHIPS).cells()


def same(a: Cell, b: Cell) -> bool:
    """Equal cells, NaN equal to NaN."""

    def eq(x, y):
        return (isinstance(x, float) and math.isnan(x) and math.isnan(y)) or x == y

    return all(eq(getattr(a, f), getattr(b, f)) for f in Cell.__dataclass_fields__)


def test_every_cell_is_a_value_a_lower_bound_or_not_modelled_with_its_unit_and_how(cells):
    assert set(cells) == {(r, t) for r in ROW_KEYS for t in TECHNOLOGIES_COMPARED}
    for (row, tech), c in cells.items():
        assert c.status in tt.STATUSES, (row, tech, c.status)
        assert c.how.strip() and "\n" not in c.how, (row, tech, c.how)
        assert c.unit == tt._ROW[row].unit
        if c.status == "not modelled":
            assert math.isnan(c.value) and c.text() == "not modelled"
        else:
            assert math.isfinite(c.value) and c.value > 0, (row, tech, c.value)
    # Only the effects without a model say so; every other cell is computed.
    not_modelled = {k for k, c in cells.items() if c.status == "not modelled"}
    assert not_modelled == {("reads", "PCM"), ("cycles", "PCM"), ("cycles", "RRAM")}


def test_a_count_not_reached_is_a_lower_bound_shown_as_more_than():
    c = tt._survival("reads", "RRAM", np.array([0, 10**5, 10**10]), np.array([0.97, 0.965, 0.96]), "how")
    assert c.status == "lower bound" and c.value == 1e10 and c.text() == "> 1e10 reads"
    reached = tt._survival("reads", "RRAM", np.array([0, 10**5, 10**10]), np.array([0.97, 0.965, 0.90]), "how")
    assert reached.status == "value" and 1e5 < reached.value < 1e10


def test_the_same_seed_gives_the_same_table_and_another_seed_another(cells):
    again = TechnologyTable(seed=0, chips=CHIPS)
    for key in (("effective_bits", "RRAM"), ("error_1y", "PCM"), ("verify_pulses", "Flash"), ("reads", "Flash")):
        assert same(again.cell(*key), cells[key]), key
    other = TechnologyTable(seed=1, chips=CHIPS)
    assert other.cell("error_1y", "PCM").value != cells[("error_1y", "PCM")].value


def test_the_ordering_the_physics_demands(cells):
    v = {k: c.value for k, c in cells.items()}
    # PCM drifts on: its error grows from a day to a year, and global compensation removes most of it.
    assert v[("error_1y", "PCM")] > v[("error_1d", "PCM")] + 5.0
    assert v[("error_1y_comp", "PCM")] < 0.5 * v[("error_1y", "PCM")]
    assert v[("error_1d_comp", "PCM")] < 0.5 * v[("error_1d", "PCM")]
    # Flash's charge loss is negligible: less error than PCM's, and hardly any growth over the year.
    assert v[("error_1y", "Flash")] < 0.2 * v[("error_1y", "PCM")]
    assert v[("error_1y", "Flash")] - v[("error_1d", "Flash")] < 0.1
    # RRAM relaxes a little (section 3), far less than PCM drifts.
    assert v[("error_1d", "RRAM")] < v[("error_1y", "RRAM")] < v[("error_1y", "PCM")]
    # Flash's wear shows within the model's counts, past the 1e4 cycles of its endurance's low end.
    assert cells[("cycles", "Flash")].status == "value" and 1e4 < v[("cycles", "Flash")] <= 1e6
    # Program-and-verify gives each weight more than one pulse and some chip time.
    for tech in TECHNOLOGIES_COMPARED:
        assert v[("verify_pulses", tech)] > 1 and v[("verify_time", tech)] > 0


def test_the_energy_follows_its_stated_formula(cells):
    a = tt.ENERGY_ASSUMPTIONS
    for tech in TECHNOLOGIES_COMPARED:
        v = a["read_voltage_V"][tech].value
        e = cells[("energy", tech)].value * 1e-15
        # Back out the mean conductance (uS) from the formula: it must lie within the device's range.
        g = (e - a["adc_energy_J"].value / a["rows_per_conversion"].value) / (
            a["devices_per_weight"].value * v * v * a["integration_time_s"].value * 1e-6
        )
        dev = tt.DeviceModel(tech)
        assert dev.g_min <= g <= dev.g_max, (tech, g)


def test_the_csv_rereads_to_the_cells_and_keeps_the_seed_rows(cells):
    table = TechnologyTable(seed=0, chips=CHIPS)
    text = table.table_csv()
    back = read_csv(text)
    assert set(back) == set(cells)
    for key, c in cells.items():
        assert same(back[key], c), key
    seed_lines = [line for line in text.splitlines() if ",seed," in line]
    assert len(seed_lines) == len(tt.QUALITATIVE) * len(TECHNOLOGIES_COMPARED)
    with pytest.raises(ValueError, match="header"):
        read_csv("a,b\n1,2\n")


def test_cells_fill_one_step_at_a_time_and_are_shared_between_tables():
    calls = []

    class Shared:
        def __init__(self):
            self.kept = {}

        def get(self, key, compute):
            if key not in self.kept:
                calls.append(key)
                self.kept[key] = compute()
            return self.kept[key]

    shared = Shared()
    first = TechnologyTable(shared=shared, seed=3, chips=2)
    total = len(ROW_KEYS) * len(TECHNOLOGIES_COMPARED)
    assert len(first.pending()) == total and first.computed() == {}
    c = first.step()
    assert c.row == ROW_KEYS[0] and c.technology == TECHNOLOGIES_COMPARED[0]
    assert len(first.pending()) == total - 1
    second = TechnologyTable(shared=shared, seed=3, chips=2)
    assert second.cell(c.row, c.technology) is c and len(calls) == 1  # served, not recomputed
    # A change of seed is a new table: nothing of the old seed is served for it.
    second.seed = 4
    assert len(second.pending()) == total


def test_bad_names_are_refused_with_the_argument_named():
    table = TechnologyTable(chips=2)
    with pytest.raises(ValueError, match="row must be one of"):
        table.cell("nope", "PCM")
    with pytest.raises(ValueError, match="technology must be one of"):
        table.cell("energy", "ECRAM")
    with pytest.raises(ValueError):
        table.chips = 1


def test_the_view_shows_every_cell_with_how_and_the_seed_rows(cells):
    view = TechnologiesView(model=TechnologyTable(seed=0, chips=CHIPS))
    half = table_html(view.model)
    assert half.count("computing…") == len(cells)
    view.model.cells()
    page = table_html(view.model)
    assert "computing…" not in page and page.count("class='cell'") == len(cells)
    assert cells[("error_1y", "PCM")].text() in page and "not modelled" in page
    for metric, texts in tt.QUALITATIVE:
        assert html.escape(metric) in page
        assert all(html.escape(text) in page for text in texts.values()), metric


def test_the_view_fills_the_table_in_the_background_once_opened():
    view = TechnologiesView(model=TechnologyTable(seed=5, chips=2))
    view.model.chips = 3  # a tab nobody opened computes nothing
    assert not view._driver.is_alive() and len(view.model.pending()) == len(ROW_KEYS) * len(TECHNOLOGIES_COMPARED)
    view._render()
    view._driver.join(300)
    assert view.model.pending() == [] and view._status.object == "All cells computed."
    assert "computing…" not in view._table.object and "(seed 5, 3 chips)" in view._table.object
    view.model.seed = 6  # a new seed: a new run fills its cells
    view._driver.join(300)
    assert view.model.pending() == [] and "(seed 6, 3 chips)" in view._table.object


def test_the_technologies_tab_comes_before_the_physics_reference():
    tabs = next(obj for obj in build_app().objects if isinstance(obj, pn.Tabs))
    assert tabs._names[TECHNOLOGIES_TAB] == "Technologies"
    assert PHYSICS_TAB == TECHNOLOGIES_TAB + 1 and tabs._names[PHYSICS_TAB] == "Physics reference"
