"""The class's predictions on the page (issue 25, item 3): every student's prediction is recorded in
the server's `PredictionStore` (`explorer.models.predictions`), and the lecturer's lesson card shows
the class's answers to the open step as they arrive, then the measured answer.

- **Recording.** Each page has a `BrowserId`: a tiny script draws a random id once per browser (128
  bits from ``crypto.getRandomValues``), keeps it in the browser's ``localStorage`` so that a reload
  keeps it, and sends it to the server. The server checks its format (`BROWSER_ID`) and uses it for
  nothing but grouping one browser's answers (a changed answer replaces the earlier one); until a
  valid id arrives, or if the browser keeps none, the page uses a random id of its own session.
  The lessons' `on_answer` hook records each choice; the lecturer's own choices are not recorded.
- **The lecturer's view.** Once the page is unlocked with the lecturer's secret
  (`explorer.views.follow`), the lesson card shows a bar per choice with its count and the number of
  answers, for the open step. A thread of the lecturer's page reads the counts (one indexed query)
  as soon as an answer is recorded in its server process, and every `PERIOD_MS` for answers that
  another server process wrote to the same file; it redraws only when they changed. **Show the answer** marks
  the measured answer and shows the step's explanation; **Class answers (CSV)** downloads the
  lesson's counts (`PredictionStore.export_csv`).

One store per server process, in ``pn.state.cache`` (`shared_store`), on the file the server was
started with (`explorer.models.predictions.server_path`).
"""

from __future__ import annotations

import html
import io
import logging
import secrets
import threading

import panel as pn
import param
from panel.io.state import set_curdoc
from panel.reactive import ReactiveHTML

from ..models.lessons import Lessons
from ..models.predictions import BROWSER_ID, PredictionStore, server_path
from .lessons import LessonsView

log = logging.getLogger(__name__)

CACHE_KEY = "explorer.predictions.store"
"""The store's key in `pn.state.cache` (one per server process)."""

STORAGE_KEY = "analog-explorer-browser-id"
"""The browser's ``localStorage`` key of its id."""

PERIOD_MS = 500
"""Milliseconds between two reads of the counts on the lecturer's page when no answer arrives in its
own server process (another process's answers show within one period plus the time to draw them)."""

BAR_COLOUR = "#3f51b5"
CORRECT_COLOUR = "#2e7d32"


def shared_store(lessons: Lessons) -> PredictionStore:
    """The server's store, created once in `pn.state.cache` on `server_path()` (``dict.setdefault`` is
    atomic in CPython; a spare store constructed meanwhile touches no file and is dropped)."""
    return pn.state.cache.setdefault(CACHE_KEY, PredictionStore(server_path(), lessons))


class BrowserId(ReactiveHTML):
    """This browser's random id (`value`, '' until the page sends it), kept in its ``localStorage``.
    Drawn on the page: nothing shows (a hidden element of no size)."""

    value = param.String(default="", doc="The browser's id as the page sent it (checked by the server).")

    _template = '<div id="browser_id" style="display: none"></div>'

    _scripts = {
        "render": f"""
        let id = null;
        try {{ id = window.localStorage.getItem("{STORAGE_KEY}"); }} catch (e) {{ id = null; }}
        if (!/^[0-9a-f]{{32}}$/.test(id || "")) {{
          const bytes = new Uint8Array(16);
          window.crypto.getRandomValues(bytes);
          id = Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
          try {{ window.localStorage.setItem("{STORAGE_KEY}", id); }} catch (e) {{}}
        }}
        data.value = id;
        """
    }


class ClassPredictions:
    """One page's side of the class's predictions: records its student's answers from `lessons_view`
    in `store`, and (once `lecturer.unlocked`) shows the class's answers in `panel`, for the lesson card.

    `lecturer` is the page's `explorer.models.follow.Lecturer`; `browser` the page's `BrowserId`."""

    def __init__(self, lessons_view: LessonsView, store: PredictionStore, lecturer, browser: BrowserId) -> None:
        self.view = lessons_view
        self.store = store
        self.lecturer = lecturer
        self.browser = browser
        self.session_id = secrets.token_hex(16)  # used until the browser's own id arrives
        self.shown: tuple | None = None  # what the chart shows: (lesson, step, counts, revealed)
        self.revealed = False
        self._refreshing = threading.Lock()  # the watcher thread and the page's own callbacks
        self._stop: threading.Event | None = None
        self.chart = pn.pane.HTML("", css_classes=["class-answers"], margin=(0, 10), sizing_mode="stretch_width")
        self.reveal_button = pn.widgets.Button(label="Show the answer", width=150, css_classes=["class-reveal"])
        self.reveal_button.on_click(lambda event: self.reveal())
        self.download = pn.widgets.FileDownload(
            callback=self._csv, filename="class-answers.csv", label="Class answers (CSV)", width=180,
            css_classes=["class-csv"],
        )  # fmt: skip
        self.explanation = pn.pane.Markdown("", visible=False, css_classes=["class-explanation"], margin=(0, 10))
        self.panel = pn.Column(
            pn.pane.Markdown("**The class's predictions**", margin=(0, 10)),
            self.chart,
            pn.Row(self.reveal_button, self.download),
            self.explanation,
            visible=False,
            sizing_mode="stretch_width",
            css_classes=["class-predictions"],
        )
        lessons_view.on_answer.append(self.record)
        lessons_view.param.watch(self._step_changed, ["lesson", "step"])

    # -------------------------------------------------------------- recording

    @property
    def browser_id(self) -> str:
        """The browser's id when it sent a valid one, else this session's random id."""
        value = self.browser.value
        return value if isinstance(value, str) and BROWSER_ID.match(value) else self.session_id

    def record(self, lesson_id: str, step_index: int, choice: int) -> bool:
        """The lessons' `on_answer` hook: store this browser's answer; whether it was stored (the
        lecturer's own answers are not the class's)."""
        if self.lecturer.unlocked:
            return False
        self.store.record(lesson_id, step_index, self.browser_id, choice)
        return True

    # -------------------------------------------------------------- the lecturer's view

    def unlocked(self) -> None:
        """The page was unlocked as the lecturer's: show the class's answers and keep them current
        (from a thread of this page, woken by each answer; stopped with the session)."""
        self.refresh()
        doc = pn.state.curdoc
        if self._stop is not None or doc is None or getattr(doc, "session_context", None) is None:
            return
        self._stop = stop = threading.Event()
        doc.on_session_destroyed(lambda context: stop.set())
        threading.Thread(target=self._watch, args=(doc, stop), name="explorer-predictions", daemon=True).start()

    def _watch(self, doc, stop: threading.Event) -> None:
        # Not a periodic callback: those wait behind the page's own rendering on the event loop (see
        # explorer/views/follow.py); this thread wakes at each answer and sends only a changed chart.
        seen = self.store.version
        while not stop.is_set():
            seen = self.store.wait_newer(seen, PERIOD_MS / 1000)
            if stop.is_set():
                return
            with set_curdoc(doc):
                try:
                    self.refresh()
                except Exception:  # keep watching; the next answer tries again
                    log.exception("class predictions: refresh failed")

    def _step_changed(self, *events) -> None:
        self.revealed = False
        self.explanation.visible = False
        self.refresh()

    def reveal(self) -> None:
        """Show the measured answer: the right choice marked, and the step's explanation."""
        current = self.view.current
        if current is None or not self.lecturer.unlocked:
            return
        _, step = current
        self.revealed = True
        self.explanation.object = f"**Measured answer:** {step.choices[step.correct]}\n\n{step.answer}"
        self.explanation.visible = True
        self.refresh()

    def refresh(self) -> bool:
        """Read the open step's counts and redraw the chart if they (or the step, or the reveal)
        changed; whether it was redrawn. Hidden unless this page is the lecturer's and a step is open."""
        with self._refreshing:
            return self._refresh()

    def _refresh(self) -> bool:
        current = self.view.current
        if current is None or not self.lecturer.unlocked:
            self.panel.visible = False
            return False
        lesson, step = current
        try:
            counts = self.store.distribution(lesson.id, step.id)
        except Exception as exc:  # a busy or missing file: say so, try again at the next period
            log.warning("class predictions unavailable: %s", exc)
            counts = None
        now = (lesson.id, step.id, counts, self.revealed)
        self.panel.visible = True
        if now == self.shown:
            return False
        self.shown = now
        self.download.filename = f"{lesson.id}-class-answers.csv"
        self.chart.object = (
            bars(step.choices, counts, step.correct if self.revealed else None)
            if counts is not None
            else "<i>The class's answers cannot be read now (see the server's log).</i>"
        )
        return True

    def _csv(self) -> io.StringIO:
        current = self.view.current
        lesson_id = current[0].id if current is not None else self.view.lesson
        return io.StringIO(self.store.export_csv(lesson_id))


def bars(choices: tuple[str, ...], counts: tuple[int, ...], correct: int | None = None) -> str:
    """HTML bars: one per choice with its text, count and share of the answers; the `correct`
    choice (when given) marked as the measured answer."""
    total = sum(counts)
    rows = []
    for i, (text, n) in enumerate(zip(choices, counts, strict=True)):
        share = n / total if total else 0.0
        colour = CORRECT_COLOUR if i == correct else BAR_COLOUR
        mark = " &#10003; measured" if i == correct else ""
        rows.append(
            "<div class='class-answer' style='margin:2px 0'>"
            f"<div style='font-size:0.9em'>{html.escape(text)}{mark}</div>"
            "<div style='display:flex;align-items:center;gap:6px'>"
            f"<div style='background:{colour};height:14px;width:{share * 70:.1f}%;min-width:2px'></div>"
            f"<span class='class-count'>{n}</span></div></div>"
        )
    head = f"<div class='class-total'>{total} answer{'s' if total != 1 else ''}</div>"
    return head + "".join(rows)


def class_predictions(lessons_view: LessonsView, follow_session, *, store: PredictionStore | None = None):
    """The page's class predictions: the `ClassPredictions` (its `panel` goes in the lesson card) and
    the `BrowserId` to place on the page. `follow_session` is the page's
    `explorer.views.follow.FollowSession` (its lecturer state, and its `on_unlock` hooks)."""
    browser = BrowserId(width=0, height=0, margin=0, sizing_mode="fixed")
    store = shared_store(lessons_view.lessons) if store is None else store
    predictions = ClassPredictions(lessons_view, store, follow_session.lecturer, browser)
    follow_session.on_unlock.append(predictions.unlocked)
    return predictions, browser


__all__ = [
    "CACHE_KEY",
    "PERIOD_MS",
    "BrowserId",
    "ClassPredictions",
    "bars",
    "class_predictions",
    "shared_store",
]
