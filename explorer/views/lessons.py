"""The guided lessons on the page (issue 25, item 1): the lessons of ``assets/lessons``
(`explorer.models.lessons`) listed in the Overview tab, and the open step shown in a card between the
header and the tabs, so that its question stays in view on whichever tab the step opens.

Why the Overview and a card rather than a "Lessons" tab: a new tab would renumber the Technologies
and Physics tabs and break every shared ``?tab=`` link, and a lesson's text must stay visible while
the student moves a control on another tab.

A step, as the card shows it: its title and text (Markdown, with MathJax as the rest of the app),
**Open this step** (applies the step's scenario to the page's models, as the header's Scenarios menu
applies one: checked, nothing changes on a refusal; then opens the step's tab and outlines the
controls to move), the prediction (radio buttons), then the answer: shown only once a prediction is
chosen, and after the student moves one of the outlined controls or presses **Reveal**. **Back** and
**Next** go through the steps. The lesson and step are the view's `lesson` and `step` parameters,
which the page keeps in its URL (``lesson=pcm-drift&step=2``), so a link opens that step.

The state is the view's, one view per page (per session). `on_answer` is a list of callables, each
called ``(lesson_id, step_index, choice_index)`` when the student chooses a prediction (for the
class's live predictions, issue 25 item 3). Following the lecturer (`explorer.views.follow`) reads
the open step with `location`, opens one with `go`, hears of a new step through `on_step` (each
callable called ``(lesson_id, step)`` as the step starts to open, before its settings are applied and
its tab computed: every page applies the same step, so the lecturer's followers can start at once),
and publishes nothing while `opening` is set (a step's settings are applied one object at a time: a
view caught halfway would be broadcast).
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
from collections.abc import Callable, Mapping

import panel as pn
import param

from ..models import scenario as sc
from ..models.lessons import Lesson, Lessons, Step
from ._live import page_batch

log = logging.getLogger(__name__)

HIGHLIGHT_TAG = "lesson-control"
"""The tag (Bokeh's ``tags``) of a control the open step asks the student to move: the load
command finds the outlined controls by it."""
HIGHLIGHT_STYLES = {
    True: {"outline": "3px solid #ff9800", "outline-offset": "2px", "border-radius": "4px"},
    False: {"outline": "none", "outline-offset": "0px", "border-radius": "0px"},
}
"""The outline drawn around such a control (orange: distinct from the app's blue and the plots'
colours), and none. A style and a tag, not a CSS class: BokehJS renders a component again when its
classes change, in every student's browser at every step; a change of style or tags renders
nothing. The styles name every property, since BokehJS leaves one the new styles do not name as
it was."""
NO_CHOICE = -1


def control_widgets(view, names) -> dict[str, object]:
    """The widgets of `view` (its `widgets()`) that set the settings `names` of its model (scenario
    setting names: ``"xb.ir_drop"``), as setting name -> widget; a name no widget sets is left out.
    A widget is matched by the last part of its name, as the page's URL names a setting by the
    last part after the tab's prefix (`explorer.views.links.url_keys`: ``xb.ir_drop`` is the
    Crossbar tab's ``ir_drop`` control, ``programming.method`` the Programming tab's
    ``method.method``); a last part two widgets share matches neither."""
    by_last: dict[str, list[object]] = {}
    for wname, widget in view.widgets().items():
        by_last.setdefault(wname.rpartition(".")[2], []).append(widget)
    out = {}
    for name in names:
        found = by_last.get(name.rpartition(".")[2], [])
        if len(found) == 1:
            out[name] = found[0]
    return out


class LessonsView(param.Parameterized):
    """One page's lessons: the list (`overview`) and the open step's card (`card`), acting on the
    page's models `explorers` (tab prefix -> explorer) and `views` (tab prefix -> view), and switching
    `tabs` (whose tab ``first_tab + k`` shows the k-th of `explorers`)."""

    lesson = param.String(default="", doc="The open lesson's id ('' for none); the URL's lesson=.")
    step = param.Integer(default=0, bounds=(0, None), doc="The open step, from 1 (0: none); the URL's step=.")
    choice = param.Integer(default=NO_CHOICE, doc="The chosen prediction's index (-1: none yet).")
    moved = param.Boolean(default=False, doc="Whether a highlighted control was moved since the step opened.")
    revealed = param.Boolean(default=False, doc="Whether the answer is shown.")

    def __init__(
        self,
        lessons: Lessons,
        explorers: Mapping[str, param.Parameterized],
        *,
        views: Mapping[str, object] | None = None,
        tabs: pn.Tabs | None = None,
        first_tab: int = 1,
        **params,
    ) -> None:
        super().__init__(**params)
        self.lessons = lessons
        self.explorers = dict(explorers)
        self.views = dict(views or {})
        self.tabs = tabs
        self.first_tab = first_tab
        self.on_answer: list[Callable[[str, int, int], None]] = []
        self.on_step: list[Callable[[str, int], None]] = []
        self.opening = False  # True while a step opens (its settings being applied)
        self._highlighted: list[object] = []
        self._watchers: list[tuple[param.Parameterized, object]] = []
        self._local = threading.local()  # .batch: the `PageBatch` of the step this thread opens
        self._build()
        self.param.watch(self._location_changed, ["lesson", "step"])

    # -------------------------------------------------------------- what the page shows

    def _build(self) -> None:
        entries = self.lessons.entries
        listing = "\n".join(f"- **{html.escape(l.title)}**: {l.summary}" for l in entries)
        if self.lessons.skipped:
            listing += "\n\n" + "\n".join(f"- not offered: {html.escape(e)}" for _, e in self.lessons.skipped)
        self.picker = pn.widgets.Select(
            label="Lesson",
            options={l.title: l.id for l in entries},
            width=360,
            css_classes=["lesson-picker"],
        )
        self.start = pn.widgets.Button(
            label="Start lesson", color="primary", width=130, disabled=not entries, css_classes=["lesson-start"]
        )
        self.start.on_click(lambda event: self.go(self.picker.value, 1))
        self.overview = pn.Column(
            "## Lessons",
            pn.pane.Markdown(listing or (self.lessons.message or "No lessons."), max_width=900),
            pn.Row(self.picker, self.start),
            css_classes=["lessons-panel"],
            max_width=900,
        )
        self.heading = pn.pane.Markdown("", css_classes=["lesson-heading"], margin=(0, 10))
        self.text = pn.pane.Markdown("", css_classes=["lesson-text"], margin=(0, 10))
        self.open_button = pn.widgets.Button(label="Open this step", color="primary", width=140)
        self.open_button.css_classes = ["lesson-open"]
        self.open_button.on_click(lambda event: self.open_step())
        self.question = pn.pane.Markdown("", css_classes=["lesson-question"], margin=(0, 10))
        self.choices = pn.widgets.RadioBoxGroup(options=[], value=None, inline=False, css_classes=["lesson-choices"])
        self.choices.param.watch(self._chosen, "value")
        self.reveal_button = pn.widgets.Button(label="Reveal", width=90, disabled=True, css_classes=["lesson-reveal"])
        self.reveal_button.on_click(lambda event: self._reveal())
        self.answer = pn.pane.Markdown("", visible=False, css_classes=["lesson-answer"], margin=(0, 10))
        self.status = pn.pane.HTML("", css_classes=["lesson-status"], margin=(0, 10))
        self.back = pn.widgets.Button(label="Back", width=80, css_classes=["lesson-back"])
        self.next = pn.widgets.Button(label="Next", width=80, css_classes=["lesson-next"])
        self.close = pn.widgets.Button(label="Close lesson", width=110, css_classes=["lesson-close"])
        self.back.on_click(lambda event: self.go(self.lesson, self.step - 1))
        self.next.on_click(lambda event: self.go(self.lesson, self.step + 1))
        self.close.on_click(lambda event: self.go("", 0))
        self.card = pn.Column(
            self.heading,
            self.text,
            self.open_button,
            self.question,
            self.choices,
            self.reveal_button,
            self.answer,
            self.status,
            pn.Row(self.back, self.next, self.close),
            visible=False,
            sizing_mode="stretch_width",
            styles={"background": "#fff8e1", "border-bottom": "1px solid #ffcc80"},
            css_classes=["lesson-card"],
        )

    # -------------------------------------------------------------- state

    @property
    def current(self) -> tuple[Lesson, Step] | None:
        """The open lesson and step, or None."""
        if not self.lesson or self.step < 1:
            return None
        try:
            lesson = self.lessons.get(self.lesson)
        except KeyError:
            return None
        if self.step > len(lesson.steps):
            return None
        return lesson, lesson.steps[self.step - 1]

    @property
    def location(self) -> tuple[str, int]:
        """The open step as (lesson id, step from 1), or ("", 0) when none is open (a URL naming a
        lesson or step that does not exist opens none)."""
        current = self.current
        if current is None:
            return "", 0
        lesson, step = current
        return lesson.id, step.index + 1

    def go(self, lesson_id: str, step: int) -> None:
        """Show step `step` (from 1) of lesson `lesson_id`; ("", 0) closes the card."""
        self.param.update(lesson=lesson_id, step=max(0, step))

    def _location_changed(self, *events) -> None:
        self._show()

    def _show(self) -> None:
        """Fill the card with the current step (or hide it), with no prediction chosen and the
        answer hidden, and open the step (a link or Next/Back lands on a working step)."""
        opening, self.opening = self.opening, True
        try:
            with self._page_batch():
                for hook in list(self.on_step):
                    try:
                        hook(*self.location)
                    except Exception:  # a listener's failure must not stop the lesson
                        log.exception("lesson step hook failed")
                self._fill()
        finally:
            self.opening = opening

    @contextlib.contextmanager
    def _page_batch(self):
        """The step's changes as one batch (`explorer.views._live.page_batch`): the dashboards compute
        each affected chart once, and the card, the outlines and the charts' new data reach the page
        in one message. Nested calls join the batch open in this thread."""
        if getattr(self._local, "batch", None) is not None:
            yield self._local.batch
            return
        with page_batch(self.views.values()) as batch:
            self._local.batch = batch
            try:
                yield batch
            finally:
                self._local.batch = None

    def _on_page(self, change: Callable[[], None]) -> None:
        """Make `change` (of the card's widgets) with the step's batch when one is open in this
        thread, else at once."""
        batch = getattr(self._local, "batch", None)
        if batch is None or not batch.add(change):
            change()

    def _fill(self) -> None:
        self._clear_highlight()
        current = self.current
        if current is None:
            clear_status = bool(self.lesson or self.step)

            def hide():
                self.card.visible = False
                if clear_status:
                    self.status.object = ""

            self._on_page(hide)
            return
        lesson, step = current
        n = len(lesson.steps)
        # the lesson's introduction (the Markdown after its header) opens its first step
        intro = lesson.introduction if step.index == 0 and lesson.introduction else ""
        with param.parameterized.discard_events(self):
            self.param.update(choice=NO_CHOICE, moved=False, revealed=False)

        def show():
            self.heading.object = f"### {lesson.title}: step {step.index + 1} of {n}, {step.title}"
            self.text.object = f"{intro}\n\n{step.text}" if intro else step.text
            self.question.object = f"**Predict first:** {step.question}"
            self.answer.object = f"**Answer:** {step.choices[step.correct]}\n\n{step.answer}"
            self.choices.param.update(options=list(step.choices), value=None)
            self.answer.visible = False
            self.reveal_button.disabled = True
            self.back.disabled = step.index == 0
            self.next.disabled = step.index == n - 1
            self.card.visible = True

        self._on_page(show)
        self.open_step()

    def open_step(self) -> bool:
        """Apply the current step's scenario to the page's models (nothing changes if it is refused),
        open its tab and outline the controls to move; whether it was applied. The card, the
        outlines and the charts' new data reach the page together, in one message
        (`explorer.views._live.page_batch`)."""
        current = self.current
        if current is None:
            return False
        _, step = current
        with self._page_batch():
            self._clear_highlight()
            given = {tab: ex for tab, ex in self.explorers.items() if tab in step.scenario.tabs}
            opening, self.opening = self.opening, True
            try:
                sc.apply(step.scenario, given)
            except sc.ScenarioError as exc:
                text = html.escape(f"This step could not be opened: {exc}. Nothing changed.")
                self._on_page(lambda: setattr(self.status, "object", text))
                return False
            finally:
                self.opening = opening
            self._on_page(lambda: setattr(self.status, "object", ""))
            # At once, not with the batch: a follower's page sets the lecturer's tab right after this.
            if self.tabs is not None and step.tab in self.explorers:
                self.tabs.active = self.first_tab + list(self.explorers).index(step.tab)
            view = self.views.get(step.tab)
            outlined = list(control_widgets(view, step.controls).values()) if view is not None else []
            self._highlighted = outlined
            self._on_page(lambda: _outline(outlined))
            model = self.explorers.get(step.tab)
            if model is not None:
                for name in step.controls:
                    owner, attr = sc._owner(model, name)
                    self._watchers.append((owner, owner.param.watch(self._control_moved, attr)))
            with param.parameterized.discard_events(self):
                self.moved = False
        return True

    def _clear_highlight(self) -> None:
        outlined, self._highlighted = self._highlighted, []
        self._on_page(lambda: _outline(outlined, on=False))
        for owner, watcher in self._watchers:
            owner.param.unwatch(watcher)
        self._watchers = []

    def _control_moved(self, event) -> None:
        self.moved = True
        if self.choice != NO_CHOICE:
            self._reveal()
        else:
            self.status.object = "Choose your prediction to see the answer."

    def _chosen(self, event) -> None:
        current = self.current
        if current is None or event.new is None:
            return
        lesson, step = current
        self.choice = list(step.choices).index(event.new)
        self.reveal_button.disabled = False
        self.status.object = ""
        for hook in list(self.on_answer):
            try:
                hook(lesson.id, step.index, self.choice)
            except Exception:  # a listener's failure must not stop the lesson
                log.exception("lesson answer hook failed")
        if self.moved:
            self._reveal()

    def _reveal(self) -> None:
        """Show the answer, once a prediction is chosen."""
        if self.choice == NO_CHOICE:
            self.status.object = "Choose your prediction to see the answer."
            return
        self.revealed = True
        self.answer.visible = True


def outlined(widget) -> bool:
    """Whether `widget` is outlined as a control the open step asks to move."""
    return HIGHLIGHT_TAG in widget.tags


def _outline(widgets, on=True) -> None:
    """Outline `widgets` (the controls a step asks to move: `HIGHLIGHT_TAG`, `HIGHLIGHT_STYLES`), or
    with `on` False take the outline off. The widget's other styles (a study control's display) are
    kept."""
    for widget in widgets:
        if outlined(widget) == on:
            continue
        tags = [*widget.tags, HIGHLIGHT_TAG] if on else [t for t in widget.tags if t != HIGHLIGHT_TAG]
        widget.param.update(tags=tags, styles={**widget.styles, **HIGHLIGHT_STYLES[on]})


__all__ = ["HIGHLIGHT_TAG", "LessonsView", "control_widgets", "outlined"]
