"""The benchmark comparison reads the browser benchmark's rows and first renders as printed."""

from explorer.tools.benchmark_compare import ratios, read_output

OUTPUT = """Devices: first render 2336, 2454, 2179 ms
  Crossbar  IR drop                                130     244     294     27     27   41.5   0
  Crossbar  Temperature (K) (Flash)                211     427     486     34     37  569.1   0
First render (navigation start -> every plot of the tab rendered), ms:
  Devices   median 2336  (runs: 2336, 2454, 2179)
"""


def test_rows_and_renders_are_read_as_printed():
    rows, renders = read_output(OUTPUT)
    assert rows == {("Crossbar", "IR drop"): (130, 27, 41.5), ("Crossbar", "Temperature (K) (Flash)"): (211, 34, 569.1)}
    assert renders == {"Devices": 2336}


NEW_OUTPUT = """  Crossbar  IR drop                                132     158     162    130     36     36   42.2   0
  Training  Learning rate (run setting)                             no redraw     12     15    0.4   0
"""
"""Rows with the `first` column (before the frames), and a run setting's row (not timed)."""


def test_rows_with_the_first_column_and_run_settings_are_read():
    rows, _ = read_output(NEW_OUTPUT)
    assert rows == {("Crossbar", "IR drop"): (132, 36, 42.2)}


def test_ratios_are_after_over_before():
    before = {("a", "x"): (100, 1, 1.0), ("a", "y"): (200, 1, 1.0)}
    after = {("a", "x"): (150, 1, 1.0), ("a", "y"): (100, 1, 1.0)}
    assert ratios(before, after, list(before)) == [1.5, 0.5]
