"""The class's predictions (issue 25, item 3): the SQLite store (`explorer.models.predictions`) and the
pages' side (`explorer.views.predictions`) without a server: students' answers recorded under their
browser ids, the lecturer's card showing the distribution, and the command line's file option."""

import csv
import io
import re
import sqlite3
import threading
import time
from pathlib import Path

import panel as pn
import pytest

from explorer import cli
from explorer.app import build_app
from explorer.models.follow import SECRET_ENV
from explorer.models.lessons import load_lessons
from explorer.models.predictions import (
    ANSWER_COLUMNS,
    COUNT_COLUMNS,
    DB_ENV,
    PredictionError,
    PredictionStore,
    default_path,
    server_path,
)
from explorer.views import predictions as views

LESSONS = load_lessons()
A, B, C = "a" * 32, "b" * 32, "0123456789abcdef" * 2


class Clock:
    """UTC time stamps one second apart, from a fixed start (answers get ordered times)."""

    def __init__(self, second=0):
        self.second = second

    def __call__(self):
        self.second += 1
        return f"2026-12-06T10:{self.second // 60:02d}:{self.second % 60:02d}.000+00:00"


@pytest.fixture
def store(tmp_path):
    return PredictionStore(tmp_path / "class" / "predictions.sqlite", LESSONS, clock=Clock())


def test_a_browsers_newer_answer_replaces_its_older_one(store):
    assert not store.path.exists()  # nothing is created until first use
    store.record("pcm-drift", "compensation-off", A, 0)
    store.record("pcm-drift", "compensation-off", B, 1)
    store.record("pcm-drift", 0, A, 1)  # A changes its mind (step by index)
    assert store.path.exists()
    assert store.distribution("pcm-drift", "compensation-off") == (0, 2, 0)
    assert store.distribution("pcm-drift", "levels-at-one-hour") == (0, 0, 0)
    # An older answer (a second process's late write) does not replace a newer one.
    late = PredictionStore(store.path, LESSONS, clock=lambda: "2026-12-06T09:00:00.000+00:00")
    late.record("pcm-drift", 0, A, 2)
    assert store.distribution("pcm-drift", 0) == (0, 2, 0)
    (journal,) = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()
    assert journal == "wal"


def test_arguments_are_checked_and_named(store):
    with pytest.raises(PredictionError, match=r"^lesson: no lesson 'nope'; allowed: pcm-drift, ") as info:
        store.record("nope", 0, A, 0)
    assert info.value.field == "lesson"
    with pytest.raises(PredictionError, match=r"^step: lesson 'pcm-drift' has no step 'x'; allowed: compensation-off"):
        store.distribution("pcm-drift", "x")
    with pytest.raises(PredictionError, match=r"^step: lesson 'pcm-drift' has steps 0 to 1 \(index\), got 2"):
        store.record("pcm-drift", 2, A, 0)
    with pytest.raises(PredictionError, match=r"^choice: step 'compensation-off' has choices 0 to 2 \(index\), got 3"):
        store.record("pcm-drift", 0, A, 3)
    with pytest.raises(PredictionError, match=r"^choice: .* got True"):
        store.record("pcm-drift", 0, A, True)
    for bad in ("A" * 32, "a" * 31, "a" * 33, "g" * 32, "", None, "a" * 31 + "\n"):
        with pytest.raises(PredictionError, match=r"^browser: must be 32 lower-case hexadecimal digits") as info:
            store.record("pcm-drift", 0, bad, 0)
        assert info.value.field == "browser"
    with pytest.raises(PredictionError, match=r"^path: must be a file path"):
        PredictionStore("", LESSONS)
    assert store.distribution("pcm-drift", 0) == (0, 0, 0)  # nothing refused was stored


def test_an_unwritable_path_is_refused_naming_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    bad = PredictionStore(blocker / "predictions.sqlite", LESSONS)
    with pytest.raises(PredictionError, match=r"^path: cannot create or write .*a-file/predictions.sqlite") as info:
        bad.check()
    assert info.value.field == "path"
    with pytest.raises(PredictionError, match=r"^path: cannot create or write"):
        bad.record("pcm-drift", 0, A, 0)


def test_csv_counts_every_choice_and_per_answer_rows(store):
    store.record("pcm-drift", 0, A, 1)
    store.record("pcm-drift", 0, B, 1)
    store.record("pcm-drift", 0, C, 0)
    store.record("pcm-drift", 1, A, 2)
    lesson = LESSONS.get("pcm-drift")
    rows = list(csv.reader(io.StringIO(store.export_csv("pcm-drift"))))
    assert tuple(rows[0]) == COUNT_COLUMNS
    body = [dict(zip(COUNT_COLUMNS, r, strict=True)) for r in rows[1:]]
    assert len(body) == sum(len(s.choices) for s in lesson.steps)  # zero counts included
    got = {(r["step"], int(r["choice"])): int(r["count"]) for r in body}
    assert got[("compensation-off", 0)] == 1 and got[("compensation-off", 1)] == 2
    assert got[("compensation-off", 2)] == 0 and got[("levels-at-one-hour", 2)] == 1
    assert sum(got.values()) == 4
    first = body[1]
    assert first["step_number"] == "1" and first["question"] == lesson.steps[0].question
    assert first["choice_text"] == lesson.steps[0].choices[1]  # a comma inside, quoted by csv
    assert [r["correct"] for r in body[:3]] == ["0", "1", "0"]  # the lesson's correct choice is the second

    rows = list(csv.reader(io.StringIO(store.export_csv("pcm-drift", per_answer=True))))
    assert tuple(rows[0]) == ANSWER_COLUMNS
    answers = [dict(zip(ANSWER_COLUMNS, r, strict=True)) for r in rows[1:]]
    assert [(a["browser"], a["step"], a["choice"]) for a in answers] == [
        (A, "compensation-off", "1"),
        (B, "compensation-off", "1"),
        (C, "compensation-off", "0"),
        (A, "levels-at-one-hour", "2"),
    ]
    assert answers[0]["answered_at"] == "2026-12-06T10:00:01.000+00:00"
    with pytest.raises(PredictionError, match="^lesson: "):
        store.export_csv("nope")


def test_a_new_store_on_the_same_file_has_every_answer(store):
    store.record("differential-pair", 0, A, 2)
    store.record("differential-pair", 0, B, 0)
    restarted = PredictionStore(store.path, load_lessons())  # a restarted server: new store, same file
    assert restarted.distribution("differential-pair", 0) == (1, 0, 1)
    assert restarted.export_csv("differential-pair") == store.export_csv("differential-pair")


def test_two_threads_and_two_stores_write_at_once(store):
    """Panel's threads share one store; a second server process has its own on the same file."""
    other = PredictionStore(store.path, LESSONS)
    ids = [f"{i:032x}" for i in range(80)]
    errors = []

    def answer(target, mine):
        try:
            for i, browser in enumerate(mine):
                target.record("bit-slicing", 0, browser, i % 2)
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [
        threading.Thread(target=answer, args=(store, ids[0:20])),
        threading.Thread(target=answer, args=(store, ids[20:40])),
        threading.Thread(target=answer, args=(other, ids[40:60])),
        threading.Thread(target=answer, args=(other, ids[60:80])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = store.distribution("bit-slicing", 0)
    assert counts[:2] == (40, 40) and sum(counts) == 80


def test_a_waiting_reader_is_woken_by_an_answer_not_by_a_refusal(store):
    """The lecturer's page waits on `wait_newer`; an answer wakes it long before the timeout."""
    assert store.version == 0
    assert store.wait_newer(0, timeout=0.05) == 0  # nothing new: back after the timeout
    timer = threading.Timer(0.2, store.record, args=("pcm-drift", 0, A, 1))
    timer.start()
    start = time.monotonic()
    assert store.wait_newer(0, timeout=30.0) == 1
    assert time.monotonic() - start < 10.0  # woken by the answer, not the 30 s timeout
    timer.join()
    with pytest.raises(PredictionError):
        store.record("pcm-drift", 0, A, 9)
    assert store.version == 1  # a refused answer changes nothing


def test_the_default_file_is_in_the_users_data_directory(monkeypatch):
    env = {"HOME": "/home/student", "XDG_DATA_HOME": "/data"}
    assert str(default_path(env)) == "/data/analog-explorer/predictions.sqlite"
    for xdg in ("", "relative/path"):  # the XDG specification ignores a relative value
        env["XDG_DATA_HOME"] = xdg
        assert str(default_path(env)) == "/home/student/.local/share/analog-explorer/predictions.sqlite"
    assert str(server_path({**env, DB_ENV: "/srv/class.sqlite"})) == "/srv/class.sqlite"
    assert server_path(env) == default_path(env)


def test_the_command_line_creates_the_file_and_passes_it_in_the_environment(tmp_path, monkeypatch):
    assert cli.PREDICTIONS_DB_ENV == DB_ENV
    path = tmp_path / "lab" / "answers.sqlite"
    cmd, _, env = cli.panel_serve_command(["--predictions-db", str(path)])
    assert env[DB_ENV] == str(path) and path.exists()
    monkeypatch.setenv(DB_ENV, str(tmp_path / "from-env.sqlite"))
    _, _, env = cli.panel_serve_command([])
    assert env[DB_ENV] == str(tmp_path / "from-env.sqlite")
    monkeypatch.delenv(DB_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    _, _, env = cli.panel_serve_command([])
    assert env[DB_ENV] == str(tmp_path / "xdg" / "analog-explorer" / "predictions.sqlite")
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.panel_serve_command(["--predictions-db", str(blocker / "answers.sqlite")])


def test_the_cli_error_names_the_option(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.panel_serve_command(["--predictions-db", str(blocker / "answers.sqlite")])
    assert "--predictions-db: cannot create or write" in capsys.readouterr().err


# ---------------------------------------------------------------------- the pages, without a server


@pytest.fixture
def classroom(monkeypatch, tmp_path):
    """A lecturer's page and three students' pages of one server, sharing a store on a fresh file."""
    monkeypatch.setenv(SECRET_ENV, "secret-for-the-test")
    monkeypatch.setenv(DB_ENV, str(tmp_path / "class.sqlite"))
    pn.state.cache.pop(views.CACHE_KEY, None)
    apps = [build_app() for _ in range(4)]
    yield apps
    pn.state.cache.pop(views.CACHE_KEY, None)


def choose(app, text):
    app.lessons.choices.value = text


def test_students_answers_reach_the_lecturers_card(classroom, tmp_path):
    lecturer, *students = classroom
    store = lecturer.predictions.store
    assert all(app.predictions.store is store for app in students)  # one per server process
    assert store.path == tmp_path / "class.sqlite"
    for i, app in enumerate(students):
        app.predictions.browser.value = f"{i + 1:032x}"  # what each browser's script sends
    students[2].predictions.browser.value = "not-an-id"  # a forged id: the session's own is used

    step = LESSONS.get("pcm-drift").steps[0]
    for app in (lecturer, *students):
        app.lessons.go("pcm-drift", 1)
    card = lecturer.predictions
    assert not card.panel.visible and not card.refresh()  # not the lecturer's yet

    choose(students[0], step.choices[0])
    choose(students[0], step.choices[1])  # changed their mind: one answer
    choose(students[1], step.choices[1])
    choose(students[2], step.choices[2])
    assert store.distribution("pcm-drift", 0) == (0, 2, 1)
    browsers = {r[0] for r in sqlite3.connect(store.path).execute("SELECT browser FROM answers")}
    assert browsers == {f"{1:032x}", f"{2:032x}", students[2].predictions.session_id}

    # The lecturer types the secret: the card shows the class's answers, not the answer yet.
    (button,) = [b for b in lecturer.select(pn.widgets.Button) if "lecturer" in b.css_classes]
    (password,) = lecturer.select(pn.widgets.PasswordInput)
    button.clicks += 1  # opens the field
    password.value = "secret-for-the-test"  # committed: the page is the lecturer's (follow's hooks)
    assert lecturer.follow.lecturer.unlocked
    assert card.panel.visible and card.shown == ("pcm-drift", "compensation-off", (0, 2, 1), False)
    assert "3 answers" in card.chart.object and "measured" not in card.chart.object
    assert [int(n) for n in _counts(card.chart.object)] == [0, 2, 1]
    assert not card.refresh()  # unchanged: nothing redrawn
    choose(lecturer, step.choices[0])  # the lecturer's own answer is not the class's
    assert store.distribution("pcm-drift", 0) == (0, 2, 1) and not card.refresh()
    choose(students[2], step.choices[1])
    assert card.refresh() and _counts(card.chart.object) == ["0", "3", "0"]

    assert not card.explanation.visible
    card.reveal_button.clicks += 1
    assert card.explanation.visible and step.answer in card.explanation.object
    assert "&#10003; measured" in card.chart.object
    # Students' pages never show the class's answers.
    assert not any(app.predictions.panel.visible for app in students)

    lecturer.lessons.go("pcm-drift", 2)  # the next step: its own (empty) distribution, answer hidden
    assert card.shown == ("pcm-drift", "levels-at-one-hour", (0, 0, 0), False) and not card.explanation.visible
    text = card._csv().getvalue()
    assert text == store.export_csv("pcm-drift") and card.download.filename == "pcm-drift-class-answers.csv"


def _counts(chart_html):
    return re.findall(r"class='class-count'>(\d+)<", chart_html)


def test_the_how_to_lists_the_csv_columns():
    text = (Path(__file__).resolve().parents[1] / "docs" / "how-to" / "serve-a-class.md").read_text(encoding="utf-8")
    section = text.split("## The class's predictions", 1)[1].split("\n## ", 1)[0]
    documented = tuple(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    assert documented == COUNT_COLUMNS
    for name in set(ANSWER_COLUMNS) - set(COUNT_COLUMNS):
        assert f"`{name}`" in section
