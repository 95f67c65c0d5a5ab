"""The words a class reads on the dashboards (issue 23): every control's label across the tabs is
plain (abbreviations only from a known list, spelled one way), carries its unit where it names a
physical quantity, shows a log slider's linear value, and the controls' column holds no internal
or development note."""

import re

import panel as pn
import pytest
from bokeh.models import CustomJSTickFormatter

from explorer import views

ABBREVIATIONS = {
    "DAC",
    "ADC",
    "MVM",
    "PCM",
    "RRAM",
    "ECRAM",
    "NOR",
    "GDP",
    "SGD",
    "TTv1",
    "TTv2",
    "c-TTv2",
    "AGAD",
    "IR",
    "HERMES",
    "P/E",
    "LSB",
    "MLP",
}
"""Abbreviations a label may use, spelled exactly so."""

SHORT_WORDS = {"a", "an", "at", "by", "in", "of", "on", "or", "to", "up", "x", "F", "ε", "V", "K", "s", "µS", "Ω"}
"""Words of one or two characters a label may hold (symbols the plots' explanations define, units)."""

BAD_SPELLINGS = {
    r"\(k\)": "lower-case k for kelvin: K",
    r"\buS\b": "uS for µS",
    r"\b[Oo]hms?\b": "ohm for Ω",
    r"log10": "a log slider shows its linear value",
}

UNITS = {
    "time": {"s", "ms", "µs", "ns", "h", "d", "y", "min"},
    "temperature": {"K"},
    "voltage": {"V"},
    "resistance": {"Ω", "kΩ", "MΩ"},
    "conductance": {"µS", "S"},
}
"""A label naming one of these quantities carries one of its units in parentheses (or its slider
shows the unit with the value)."""

DEVELOPMENT_NOTES = (r"\bthe issue\b", r"issue's", r"this project's", r"\bTODO\b", r"\bhack\b")

VIEWS = [getattr(views, name) for name in views.__all__]


@pytest.fixture(scope="module")
def controls():
    """``(tab, widget)`` of every control, and ``(tab, text)`` of every Markdown, in the controls'
    column of every dashboard at its defaults."""
    widgets, texts = [], []
    for cls in VIEWS:
        column = cls().controls()
        widgets += [(cls.__name__, w) for w in column.select(pn.widgets.Widget)]
        texts += [(cls.__name__, str(md.object)) for md in column.select(pn.pane.Markdown)]
    return widgets, texts


def label_of(widget):
    return widget.label if hasattr(widget, "label") else widget.name


def labelled(controls):
    return [(tab, label_of(w), w) for tab, w in controls[0] if label_of(w)]


def abbreviation_errors(label):
    """The words of `label` that are unknown abbreviations, or known ones spelled otherwise."""
    errors = []
    known = {a.lower(): a for a in ABBREVIATIONS}
    for word in re.findall(r"[\w/µΩε+-]+", label):
        word = word.strip("-+/")
        if not word or word.isdigit() or re.fullmatch(r"[\d.]+", word):
            continue
        if word.lower() in known:
            if word != known[word.lower()]:
                errors.append(f"{word!r} (spelled {known[word.lower()]})")
            continue
        mixed = re.search(r"\d", word) and re.search(r"[A-Za-z]", word)
        capitals = sum(c.isupper() for c in word) >= 2
        if mixed or capitals or (len(word) <= 2 and word not in SHORT_WORDS):
            errors.append(repr(word))
    return errors


def unit_errors(label, widget=None):
    """The quantities `label` names without a unit (in parentheses, or in the slider's value)."""
    fmt = getattr(widget, "format", None)
    shown = fmt.code if isinstance(fmt, CustomJSTickFormatter) else ""
    in_brackets = set(re.findall(r"\(([^)]*)\)", label))
    units = {u for group in in_brackets for u in re.split(r"[\s/,]+", group)}
    errors = []
    for quantity, allowed in UNITS.items():
        if re.search(rf"\b{quantity}\b", label, re.I):
            if not units & allowed and not any(f"' {u}'" in shown or f"'{u}'" in shown for u in allowed):
                errors.append(f"{quantity} without its unit ({', '.join(sorted(allowed))})")
    return errors


def spelling_errors(text):
    return [why for pattern, why in BAD_SPELLINGS.items() if re.search(pattern, text)]


def test_every_control_label_uses_known_abbreviations_spelled_one_way(controls):
    bad = {f"{tab}: {label!r}": abbreviation_errors(label) for tab, label, _ in labelled(controls)}
    assert {k: v for k, v in bad.items() if v} == {}


def test_every_control_label_carries_its_unit_and_standard_spelling(controls):
    bad = {f"{tab}: {label!r}": unit_errors(label, w) + spelling_errors(label) for tab, label, w in labelled(controls)}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_controls_notes_hold_no_bad_spelling_or_development_note(controls):
    bad = {}
    for tab, text in controls[1]:
        found = spelling_errors(text) + [p for p in DEVELOPMENT_NOTES if re.search(p, text, re.I)]
        if found:
            bad[f"{tab}: {text[:80]!r}"] = found
    assert bad == {}


def test_the_checks_catch_the_labels_issue_23_reported():
    """The rules above, against the labels the issue found on the page: each is caught."""
    for label in ("Bl", "Dac bits", "Adc bits", "D2d", "C2c", "N states", "Chopper p"):
        assert abbreviation_errors(label), label
    assert spelling_errors("temperature (k)") and spelling_errors("Wire resistance (log10 Ω)")
    assert unit_errors("Wire resistance") and unit_errors("Read voltage") and unit_errors("Temperature")
    assert not unit_errors("Read voltage (V)") and not abbreviation_errors("ADC offset (LSB)")
