"""No README table can go stale: each results table is printed by `python -m explorer.tools.tables
NAME`, and here recomputed and compared with the README's copy (issue 21, item 11)."""

import re

import pytest

from explorer.tools import tables

README_TEXT = tables.README.read_text()
OTHER_MARKER = re.compile(r"^<!-- (benchmark|reference|by hand): .+ -->\s*$")
"""Tables not recomputed here: a benchmark's (speed is measured by benchmarks, not tests), a
reference table (no measurement), and a check run by hand (it needs packages CI does not install)."""


def _markdown_tables(text):
    """(line index of each Markdown table's first row, the line before it)."""
    lines = text.splitlines()
    return [(i, lines[i - 1] if i else "") for i, line in enumerate(lines)
            if line.startswith("|") and (i == 0 or not lines[i - 1].startswith("|"))]


def test_every_table_in_the_readme_says_where_it_comes_from():
    """A results table follows `<!-- table NAME -->`; a benchmark's, a reference table or a check run
    by hand says so."""
    unmarked = [i + 1 for i, before in _markdown_tables(README_TEXT)
                if not (tables.MARKER.match(before) or OTHER_MARKER.match(before))]
    assert not unmarked, f"README lines {unmarked}: a table without a marker line before it"


def test_every_marker_names_a_table_and_every_table_is_in_the_readme():
    copies = tables.readme_tables(README_TEXT)
    assert set(copies) == set(tables.TABLES)


def test_the_comparison_catches_a_changed_number_a_changed_word_and_a_missing_row():
    t = tables.Table("t", "", lambda: None, abs_tol=0.1)
    printed = (["", "1 h"], [["none", "95.04 ± 1.08 %"], ["global", "95.49 ± 0.86 %"]])
    assert tables.differences(t, printed, printed) == []
    assert tables.differences(t, (["", "1 h"], [["none", "95.10 ± 1.08 %"], printed[1][1]]), printed) == []
    assert tables.differences(t, (["", "1 h"], [["none", "95.24 ± 1.08 %"], printed[1][1]]), printed)
    assert tables.differences(t, (["", "1 h"], [["none", "95.04 ± 1.08 ms"], printed[1][1]]), printed)
    assert tables.differences(t, (["", "1 h"], printed[1][:1]), printed)
    assert tables.differences(t, (["", "1 d"], printed[1]), printed)


def test_the_command_lists_the_tables_and_refuses_an_unknown_name(capsys):
    assert tables.main([]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(tables.TABLES)
    with pytest.raises(SystemExit):
        tables.main(["no-such-table"])
    assert "unknown table(s) ['no-such-table']" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", list(tables.TABLES))
def test_the_readme_table_is_what_the_command_prints(name):
    table = tables.TABLES[name]
    readme = tables.readme_tables(README_TEXT)[name]
    diff = tables.differences(table, readme, table.compute())
    assert not diff, f"README table {name!r} is stale (python -m explorer.tools.tables {name}):\n" + "\n".join(diff)


def test_write_replaces_only_the_named_tables():
    text = ("intro\n<!-- table a -->\n| x |\n|---|\n| 1 |\n\ntext\n<!-- table b -->\n| y |\n|---|\n| 2 |\n")
    new = tables.replace_tables(text, {"a": "| x |\n|---|\n| 5 |\n| 6 |"})
    assert new == ("intro\n<!-- table a -->\n| x |\n|---|\n| 5 |\n| 6 |\n\ntext\n<!-- table b -->\n| y |\n|---|\n"
                   "| 2 |\n")
    assert tables.readme_tables(new) == {"a": (["x"], [["5"], ["6"]]), "b": (["y"], [["2"]])}
