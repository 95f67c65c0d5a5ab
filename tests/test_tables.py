"""No results table can go stale: each results table of README.md and docs/ is printed by
`python -m explorer.tools.tables NAME`, and here recomputed and compared with the documents' copy
(issue 21, item 11; docs/ pages since issue 22)."""

import re

import pytest

from explorer.tools import tables

DOCUMENTS = {path: path.read_text() for path in tables.documents()}
OTHER_MARKER = re.compile(r"^<!-- (benchmark|reference|by hand): .+ -->\s*$")
"""Tables not recomputed here: a benchmark's (speed is measured by benchmarks, not tests), a
reference table (no measurement), and a check run by hand (it needs packages CI does not install)."""


def _markdown_tables(text):
    """(line index of each Markdown table's first row, the line before it)."""
    lines = text.splitlines()
    return [
        (i, lines[i - 1] if i else "")
        for i, line in enumerate(lines)
        if line.startswith("|") and (i == 0 or not lines[i - 1].startswith("|"))
    ]


def test_the_documents_are_the_readme_and_every_docs_page():
    paths = tables.documents()
    assert paths[0] == tables.README
    assert tables.DOCS / "results" / "reliability.md" in paths
    assert len(paths) > 2


def test_every_table_in_the_documents_says_where_it_comes_from():
    """A results table follows `<!-- table NAME -->`; a benchmark's, a reference table or a check run
    by hand says so."""
    unmarked = [
        f"{path.relative_to(tables.ROOT)}:{i + 1}"
        for path, text in DOCUMENTS.items()
        for i, before in _markdown_tables(text)
        if not (tables.MARKER.match(before) or OTHER_MARKER.match(before))
    ]
    assert not unmarked, f"{unmarked}: a table without a marker line before it"


def test_every_marker_names_a_table_and_every_table_is_in_the_documents():
    copies = tables.document_tables()
    assert set(copies) == set(tables.TABLES)


def test_a_name_marked_twice_is_refused(tmp_path):
    table = "<!-- table a -->\n| x |\n|---|\n| 1 |\n"
    with pytest.raises(ValueError, match="'a' is marked twice"):
        tables.readme_tables(table + "\n" + table)
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text(table)
    two.write_text("text\n" + table)
    with pytest.raises(ValueError, match="'a' is marked in both .*one.md and .*two.md"):
        tables.document_tables([one, two])
    assert tables.document_tables([one]) == {"a": (one, (["x"], [["1"]]))}


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
def test_the_documents_table_is_what_the_command_prints(name):
    table = tables.TABLES[name]
    path, copy = tables.document_tables()[name]
    diff = tables.differences(table, copy, table.compute())
    assert not diff, (
        f"table {name!r} of {path.relative_to(tables.ROOT)} is stale "
        f"(python -m explorer.tools.tables {name}):\n" + "\n".join(diff)
    )


def test_write_replaces_only_the_named_tables():
    text = "intro\n<!-- table a -->\n| x |\n|---|\n| 1 |\n\ntext\n<!-- table b -->\n| y |\n|---|\n| 2 |\n"
    new = tables.replace_tables(text, {"a": "| x |\n|---|\n| 5 |\n| 6 |"})
    assert new == (
        "intro\n<!-- table a -->\n| x |\n|---|\n| 5 |\n| 6 |\n\ntext\n<!-- table b -->\n| y |\n|---|\n| 2 |\n"
    )
    assert tables.readme_tables(new) == {"a": (["x"], [["5"], ["6"]]), "b": (["y"], [["2"]])}


def test_write_stamps_the_line_before_the_marker_and_the_check_ignores_the_stamp():
    stamp = tables.stamp_line(when="2026-12-06", commit="abc1234", machine="lab (2 cores)")
    assert stamp == "<!-- measured 2026-12-06 at abc1234 on lab (2 cores) -->"
    assert tables.STAMP.match(stamp)
    text = "intro\n<!-- table a -->\n| x |\n|---|\n| 1 |\n\n<!-- table b -->\n| y |\n|---|\n| 2 |\n"
    once = tables.replace_tables(text, {"a": "| x |\n|---|\n| 5 |"}, stamp)
    assert once == (
        "intro\n" + stamp + "\n<!-- table a -->\n| x |\n|---|\n| 5 |\n\n<!-- table b -->\n| y |\n|---|\n| 2 |\n"
    )
    later = tables.stamp_line(when="2026-12-07", commit="def5678", machine="lab (2 cores)")
    twice = tables.replace_tables(once, {"a": "| x |\n|---|\n| 6 |"}, later)
    assert twice.count("<!-- measured") == 1 and later + "\n<!-- table a -->" in twice
    assert tables.readme_tables(twice) == {"a": (["x"], [["6"]]), "b": (["y"], [["2"]])}
    # The marker test still sees the marker right before each table.
    assert [before for _, before in _markdown_tables(twice)] == ["<!-- table a -->", "<!-- table b -->"]


def test_a_default_stamp_names_the_date_the_commit_and_the_machine():
    m = re.match(r"^<!-- measured (\d{4}-\d{2}-\d{2}) at (\S.*) on (.+ \(\d+ cores\)) -->$", tables.stamp_line())
    assert m, tables.stamp_line()


def test_write_rewrites_each_table_in_its_own_document(tmp_path, monkeypatch):
    one, two = tmp_path / "README.md", tmp_path / "docs" / "results" / "r.md"
    two.parent.mkdir(parents=True)
    one.write_text("<!-- table a -->\n| x |\n|---|\n| 1 |\n")
    two.write_text("text\n\n<!-- table b -->\n| y |\n|---|\n| 2 |\n")
    printed = {
        "a": tables.Table("a", "", lambda: (["x"], [["7"]]), abs_tol=0.0),
        "b": tables.Table("b", "", lambda: (["y"], [["8"]]), abs_tol=0.0),
    }
    monkeypatch.setattr(tables, "TABLES", printed)
    monkeypatch.setattr(tables, "ROOT", tmp_path)
    monkeypatch.setattr(tables, "documents", lambda root=tmp_path: [one, two])
    monkeypatch.setattr(tables, "stamp_line", lambda: "<!-- measured then -->")
    assert tables.main(["--write"]) == 0
    assert one.read_text() == "<!-- measured then -->\n<!-- table a -->\n| x |\n|---|\n| 7 |\n"
    assert two.read_text() == "text\n\n<!-- measured then -->\n<!-- table b -->\n| y |\n|---|\n| 8 |\n"
    assert tables.main(["--check"]) == 0
