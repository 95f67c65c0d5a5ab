"""The lessons on the page (explorer/views/lessons.py), without a browser: every step's controls
are controls of its tab's view; opening a step applies its settings, opens its tab and outlines its
controls (and the next step removes the outline); the answer stays hidden until a prediction is
chosen, then shows when a control moves or Reveal is pressed; the answer hook hears each choice; a
refused step changes nothing."""

import pytest

from explorer.app import DASHBOARDS, build_app
from explorer.models import scenario as sc
from explorer.models.lessons import load_lessons
from explorer.views._present import Presentation
from explorer.views.lessons import control_widgets, outlined


def test_every_steps_controls_are_controls_of_its_tab():
    views = {prefix: cls(presentation=Presentation()) for _, prefix, cls in DASHBOARDS}
    for lesson in load_lessons().entries:
        for step in lesson.steps:
            found = control_widgets(views[step.tab], step.controls)
            assert set(found) == set(step.controls), (lesson.id, step.id)


@pytest.fixture
def page():
    template = build_app()
    return template, template.lessons


def test_a_lesson_end_to_end(page):
    template, lv = page
    heard = []
    lv.on_answer.append(lambda *args: heard.append(args))
    rel = lv.explorers["rel"]
    rel.compensation = "none"  # away from the step's start
    lv.go("pcm-drift", 1)
    assert lv.card.visible and "step 1 of 2" in lv.heading.object
    lesson = lv.lessons.get("pcm-drift")
    assert lv.text.object.startswith(lesson.introduction) and lv.text.object.endswith(lesson.steps[0].text)
    assert rel.compensation == "global" and rel.technology == "PCM"  # the step's scenario applied
    assert lv.tabs.active == 5  # Reliability
    widget = lv.views["rel"].widgets()["compensation"]
    assert outlined(widget)
    assert not lv.answer.visible and lv.reveal_button.disabled
    # moving before predicting does not reveal the answer
    rel.compensation = "none"
    assert lv.moved and not lv.answer.visible and "prediction" in lv.status.object
    step = lv.current[1]
    lv.choices.value = step.choices[0]
    assert heard == [("pcm-drift", 0, 0)]
    assert lv.answer.visible and "91 %" in lv.answer.object  # moved already: shown on the choice
    lv.next.clicks += 1
    assert lv.step == 2 and lv.tabs.active == 1  # Devices
    assert not outlined(widget)  # the previous step's outline is gone
    assert outlined(lv.views["dev"].widgets()["log10_time"])
    assert not lv.answer.visible and lv.choice == -1
    lv.choices.value = lv.current[1].choices[1]
    assert not lv.answer.visible  # chosen, not moved yet
    lv.reveal_button.clicks += 1
    assert lv.answer.visible and "68 %" in lv.answer.object
    assert heard[-1] == ("pcm-drift", 1, 1)
    assert lv.next.disabled and not lv.back.disabled
    lv.back.clicks += 1
    assert lv.step == 1 and lv.tabs.active == 5
    lv.close.clicks += 1
    assert not lv.card.visible and not outlined(widget)


def test_a_refused_step_changes_nothing(page, monkeypatch):
    _, lv = page
    rel = lv.explorers["rel"]
    before = {n: getattr(rel, n) for n in ("compensation", "technology", "chips")}

    def refuse(scenario, explorers):
        raise sc.ScenarioError("tabs.rel", "could not be applied (test); nothing changed")

    monkeypatch.setattr(sc, "apply", refuse)
    lv.go("pcm-drift", 1)
    assert "could not be opened" in lv.status.object
    assert {n: getattr(rel, n) for n in before} == before and lv.tabs.active == 0


def test_an_unknown_lesson_or_step_shows_no_card(page):
    _, lv = page
    lv.go("no-such-lesson", 1)
    assert not lv.card.visible
    lv.go("pcm-drift", 9)
    assert not lv.card.visible


def test_the_overview_lists_the_lessons_and_names_a_refused_file(tmp_path):
    from explorer.models.lessons import LESSONS_DIR, load_lessons
    from explorer.views.lessons import LessonsView

    good = (LESSONS_DIR / "01-pcm-drift.md").read_text(encoding="utf-8")
    (tmp_path / "01-pcm-drift.md").write_text(good, encoding="utf-8")
    (tmp_path / "02-bad.md").write_text(good.replace("tab: rel", "tab: nope", 1), encoding="utf-8")
    lv = LessonsView(load_lessons(tmp_path), {tab: cls() for tab, cls in sc.TABS.items()})
    listing = lv.overview.objects[1].object
    assert "**PCM drift and its compensation**" in listing
    assert "not offered: 02-bad.md: steps[0].tab: no such tab" in listing
    assert lv.picker.options == {"PCM drift and its compensation": "pcm-drift"} and not lv.start.disabled
    empty = LessonsView(load_lessons(tmp_path / "nowhere"), {})
    assert "No lessons at" in empty.overview.objects[1].object and empty.start.disabled
