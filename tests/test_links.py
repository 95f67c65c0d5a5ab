"""Shared links with invalid values (`explorer.views.links`): each kind of bad value is named and
left out, the valid part is kept and, synced by Panel, applied."""

import json
import urllib.parse

import pytest
from panel.io.location import Location

from explorer.models.scenario import TABS, settings_by_owner
from explorer.views.links import LinkProblem, check_query, clean_location, problems_banner, url_keys, valid_search

N_TABS = 10  # the app: overview, six dashboards, technologies, physics reference, sweeps


def problems_of(search):
    return {p.key: p for p in check_query(search, n_tabs=N_TABS)[1]}


def test_the_issue_link_keeps_its_valid_part_and_names_each_ignored_field():
    valid, problems = check_query("?tab=3&xb.adc_bits=999&xb.dac_bits=6&dev.technology=Nope", n_tabs=N_TABS)
    assert valid == {"tab": 3, "xb.dac_bits": 6}
    assert [str(p) for p in problems] == [
        "Ignored xb.adc_bits=999: 999 is out of range; allowed: [1, 16]",
        'Ignored dev.technology=Nope: this version has no "Nope"; allowed: '
        '"PCM", "PCM-HERMES", "RRAM", "Flash", "ECRAM", "Soft-bounds"',
    ]


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("xb.adc_bits", "999", "999 is out of range; allowed: [1, 16]"),  # above the bounds
        ("rel.temperature_K", "-5", "-5 is out of range; allowed: [200, 420]"),  # below
        ("dev.technology", "Nope", 'this version has no "Nope"'),  # unknown choice
        ("dev.temperature_K", "abc", 'must be a number, got a string "abc"'),  # text for a number
        ("xb.size", "6.5", "must be an integer, got a number 6.5"),  # a fraction for an integer
        ("xb.ir_drop", "maybe", 'must be true or false, got a string "maybe"'),  # not a boolean
        ("xb.ir_drop", "1", "must be true or false, got an integer 1"),
        ("rel.log10_time", "nan", "NaN is not a number JSON allows"),  # Panel reads "nan" as a float
        ("rel.log10_time", "inf", "Infinity is not a number JSON allows"),
        ("train.compared", '["TTv1","zz"]', 'this version has no "zz"'),  # a list with an unknown entry
        ("train.compared", "[1,", "not a value this page can read"),  # malformed JSON list
        ("prog.method", "statistical", 'this tab has no "statistical"; allowed: "one-shot", "verify", "gdp"'),
        ("dev.nope", "1", "no such setting on this tab; allowed: dev.prog_noise_scale"),  # unknown key
        ("tab", "99", "allowed: a tab number, 0 to 9"),
        ("tab", "two", "allowed: a tab number, 0 to 9"),
        ("lecture", "2", "allowed: true or false"),
    ],
)
def test_each_kind_of_bad_value_is_ignored_and_named(key, value, reason):
    search = "?" + urllib.parse.urlencode({key: value, "dev.seed": "5"})
    valid, problems = check_query(search, n_tabs=N_TABS)
    assert [p.key for p in problems] == [key]
    assert problems[0].value == value
    assert reason in problems[0].reason, problems[0].reason
    assert valid == {"dev.seed": 5}  # the valid key beside it is kept


def test_values_are_converted_as_panel_converts_them():
    valid, problems = check_query(
        "?xb.dac_bits=6&xb.ir_drop=true&lecture=1&dev.log10_time=2&rel.adc_bits=8&rel.adc_bits=ideal"
        "&train.compared=%5B%22TTv1%22%2C%22AGAD%22%5D&prog.tolerance=0.05&train.asymmetry=-0.3",
        n_tabs=N_TABS,
    )
    assert problems == []
    assert valid == {
        "xb.dac_bits": 6,
        "xb.ir_drop": True,
        "lecture": True,
        "dev.log10_time": 2.0,
        "rel.adc_bits": "ideal",  # the last of a repeated key, as Panel reads it
        "train.compared": ("TTv1", "AGAD"),
        "prog.tolerance": 0.05,
        "train.asymmetry": -0.3,
    }
    assert check_query("?rel.adc_bits=8")[0] == {"rel.adc_bits": 8}  # a numeric choice of a mixed list


def test_settings_checked_together_name_the_one_to_drop():
    valid, problems = check_query("?enc.n_slices=6&enc.bits_per_slice=8")
    assert [p.key for p in problems] == ["enc.n_slices"]
    assert "allowed: 1 to 4 at 8 bits per slice" in problems[0].reason
    assert valid == {"enc.bits_per_slice": 8}


def test_keys_of_other_prefixes_are_left_alone():
    valid, problems = check_query("?utm_source=mail&foo.bar=1&dev.seed=3")
    assert (valid, problems) == ({"dev.seed": 3}, [])
    search = "?utm_source=mail&dev.seed=x&foo.bar=1"
    _, problems = check_query(search)
    assert valid_search(search, problems) == "?utm_source=mail&foo.bar=1"


def test_url_keys_are_the_keys_the_page_syncs():
    """The same keys as the app's `location.sync` of `settings_by_owner` (`LiveDashboard.synced`)."""
    for prefix, cls in TABS.items():
        synced = {f"{prefix}.{n}" for _, names in settings_by_owner(cls()) for n in names}
        assert set(url_keys(prefix, cls)) == synced
    assert url_keys("prog", TABS["prog"])["prog.tolerance"] == "programming.tolerance"


def test_the_url_of_the_defaults_has_no_problem():
    """Every setting at its default, written as Panel writes it into the URL, reads back valid."""
    query = {}
    for prefix, cls in TABS.items():
        for obj, names in settings_by_owner(cls()):
            for n in names:
                v = obj.param[n].serialize(getattr(obj, n))
                query[f"{prefix}.{n}"] = v if isinstance(v, str) else json.dumps(v)
    valid, problems = check_query("?" + urllib.parse.urlencode(query))
    assert problems == [] and len(valid) == len(query) > 100


def sync(location, prefixes):
    """Explorers synced with `location` as the app syncs its views (`explorer/app.py`)."""
    explorers = {p: TABS[p]() for p in prefixes}
    for prefix, ex in explorers.items():
        for obj, names in settings_by_owner(ex):
            location.sync(obj, {n: f"{prefix}.{n}" for n in names})
    return explorers


def test_a_cleaned_link_applies_its_valid_part_where_panel_alone_drops_it():
    search = "?tab=3&xb.adc_bits=999&xb.dac_bits=6&dev.technology=Nope&dev.seed=5&dev.nope=1"
    # Panel alone: one bad value drops every value of its object, and an unknown key stays in the URL
    old = Location(search=search)
    ex = sync(old, ("dev", "xb"))
    assert (ex["xb"].xb.dac_bits, ex["dev"].seed) == (8, 0)
    assert "dev.nope" in old.query_params
    # cleaned first: the valid part is applied, the invalid keys are gone from the URL
    location = Location(search=search)
    problems = clean_location(location, n_tabs=N_TABS)
    assert [p.key for p in problems] == ["xb.adc_bits", "dev.technology", "dev.nope"]
    ex = sync(location, ("dev", "xb"))
    assert (ex["xb"].xb.dac_bits, ex["xb"].xb.adc_bits, ex["dev"].seed, ex["dev"].technology) == (6, 8, 5, "PCM")
    query = location.query_params
    assert "dev.nope" not in query and query["xb.dac_bits"] == 6 and query["tab"] == 3


def test_a_valid_link_is_left_as_it_is():
    location = Location(search="?tab=2&enc.n_slices=3")
    assert clean_location(location, n_tabs=N_TABS) == []
    assert location.search == "?tab=2&enc.n_slices=3"


def test_banner_lists_the_problems_literally_and_dismisses():
    assert problems_banner([]) is None
    banner = problems_banner([LinkProblem("dev.technology", "<b>$x$</b>", 'this version has no "<b>$x$</b>"')])
    alert, close = banner
    assert "Ignored dev.technology=\\<b\\>\\$x\\$\\</b\\>" in alert.object  # shown as text, not HTML or maths
    assert banner.visible
    close.clicks += 1
    assert not banner.visible
