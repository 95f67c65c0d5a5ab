"""Browser test of the class's predictions (issue 25, item 3) on a real `analog-explorer` started with a
lecturer's secret and a predictions file of the test's own.

Two students open a lesson step and answer; one reloads its page (its browser id, kept in the
browser, stays the same) and changes its answer. The lecturer's page, once unlocked, shows the class's
distribution, then a new answer as it arrives (without a reload; how long after the click is printed,
not asserted: speed is measured, not timed in tests), then the measured answer on **Show the
answer**; its CSV download holds the counts; students' pages never show the class's answers. The
server is then stopped and a new one started on the same file: the lecturer's page shows the same
counts."""

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect
from test_browser import open_page

from explorer.models.follow import SECRET_ENV
from explorer.models.lessons import load_lessons
from explorer.models.predictions import DB_ENV
from explorer.tools.served import Server

pytestmark = pytest.mark.browser

SECRET = "lab-secret-for-the-predictions-test"
TIMEOUT = 90000

STEP = load_lessons().get("differential-pair").steps[0]
PATH = "?lesson=differential-pair&step=1"
ID_JS = "() => window.localStorage.getItem('analog-explorer-browser-id')"


def student(browser, url):
    page, errors = open_page(browser, url + PATH, ready="Open this step", exact=True)
    page.wait_for_function(f"() => /^[0-9a-f]{{32}}$/.test(({ID_JS})() || '')", timeout=TIMEOUT)
    return page, errors


def answer(page, choice):
    page.get_by_text(STEP.choices[choice], exact=True).click()


def lecturer_page(browser, url):
    page, errors = open_page(browser, url + PATH, ready="Open this step", exact=True)
    page.get_by_role("button", name="Lecturer", exact=True).click()  # opens the field
    page.locator(".lecturer-secret input").fill(SECRET)
    page.locator(".lecturer-secret input").press("Enter")
    expect(page.locator(".follow-status").first).to_contain_text("you can broadcast", timeout=TIMEOUT)
    return page, errors


def total(page):
    return page.locator(".class-predictions .class-total").first


def counts(page):
    return [int(n) for n in page.locator(".class-predictions .class-count").all_inner_texts()]


def test_the_class_answers_reach_the_lecturer_and_survive_a_restart(browser, tmp_path):
    db = tmp_path / "class.sqlite"
    env = {SECRET_ENV: SECRET, DB_ENV: str(db)}
    with Server(env=env) as server:
        first, e1 = student(browser, server.url)
        second, e2 = student(browser, server.url)
        ids = [first.evaluate(ID_JS), second.evaluate(ID_JS)]
        assert ids[0] != ids[1]  # each browser its own random id
        answer(first, 0)
        answer(second, 1)
        # The first student reloads: same browser id, and a changed answer replaces the first one.
        first.reload()
        expect(first.get_by_text("Open this step", exact=True)).to_be_visible(timeout=TIMEOUT)
        first.wait_for_function("() => window.Bokeh && window.Bokeh.documents.length > 0", timeout=TIMEOUT)
        assert first.evaluate(ID_JS) == ids[0]
        answer(first, 2)

        lecturer, e3 = lecturer_page(browser, server.url)
        expect(total(lecturer)).to_have_text("2 answers", timeout=TIMEOUT)
        assert counts(lecturer) == [0, 1, 1]
        expect(lecturer.locator(".class-explanation").first).to_be_hidden()

        third, e4 = student(browser, server.url)
        answer(third, 1)
        start = time.monotonic()
        expect(total(lecturer)).to_have_text("3 answers", timeout=TIMEOUT)
        update = time.monotonic() - start
        print(f"a new answer reached the lecturer's card {update * 1000:.0f} ms after the click")
        assert counts(lecturer) == [0, 2, 1]

        lecturer.get_by_role("button", name="Show the answer").click()
        expect(lecturer.locator(".class-explanation").first).to_contain_text("Measured answer", timeout=TIMEOUT)
        expect(lecturer.locator(".class-predictions").first).to_contain_text("measured", timeout=TIMEOUT)
        with lecturer.expect_download(timeout=TIMEOUT) as download:
            lecturer.get_by_role("button", name="Class answers (CSV)").click()
        rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
        first_step = [int(r["count"]) for r in rows if r["step"] == STEP.id]
        assert first_step == [0, 2, 1]
        assert download.value.suggested_filename == "differential-pair-class-answers.csv"

        for page in (first, second, third):  # students' pages never show the class's answers
            assert (
                page.locator(".class-predictions").count() == 0
                or not page.locator(".class-predictions").first.is_visible()
            )
        for page in (first, second, third, lecturer):
            page.close()
        assert not [e for e in e1 + e2 + e3 + e4 if "favicon" not in e], e1 + e2 + e3 + e4
        assert not any(re.search(r"Traceback|error in session", line) for line in server.output), server.output[-20:]

    # A restarted server on the same file shows the same answers.
    with Server(env=env) as server:
        lecturer, errors = lecturer_page(browser, server.url)
        expect(total(lecturer)).to_have_text("3 answers", timeout=TIMEOUT)
        assert counts(lecturer) == [0, 2, 1]
        lecturer.close()
