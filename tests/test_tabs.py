"""The page's tabs (`explorer.views._tabs.PreparedTabs`): a tab shown from one of the server's threads
has its lazy content rendered in that thread, once, and not on the event loop."""

import asyncio
import threading

import panel as pn
import param

from explorer.views._tabs import PreparedTabs, on_event_loop, show_tab


def lazy_content(calls):
    """A lazy tab content, as the dashboards' `__panel__`, recording the thread of each rendering."""

    def render():
        calls.append(threading.current_thread().name)
        return pn.pane.Markdown("rendered")

    return pn.param.ParamFunction(param.depends()(render), lazy=True)


def in_thread(action, name="switcher"):
    thread = threading.Thread(target=action, name=name)
    thread.start()
    thread.join()


def test_a_tab_shown_from_a_thread_renders_there_once():
    calls = []
    tabs = PreparedTabs(("Overview", pn.Column()), ("Dashboard", lazy_content(calls)), dynamic=True)
    assert calls == []  # lazy: nothing rendered before the tab is shown
    in_thread(lambda: setattr(tabs, "active", 1))
    assert calls == ["switcher"]
    in_thread(lambda: setattr(tabs, "active", 0))
    in_thread(lambda: setattr(tabs, "active", 1), name="again")
    assert calls == ["switcher"]  # rendered once
    assert tabs.prepare(1) is False and tabs.prepare(5) is False and tabs.prepare(0) is False


def test_two_threads_showing_a_tab_together_render_it_once():
    calls = []
    tabs = PreparedTabs(("Overview", pn.Column()), ("Dashboard", lazy_content(calls)), dynamic=True)
    threads = [threading.Thread(target=tabs.prepare, args=(1,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1


def test_on_an_event_loop_and_in_plain_tabs_nothing_renders_ahead():
    calls = []
    tabs = PreparedTabs(("Overview", pn.Column()), ("Dashboard", lazy_content(calls)), dynamic=True)

    async def switch():
        assert on_event_loop()
        tabs.active = 1

    asyncio.run(switch())
    assert calls == []  # on the loop the tab renders as Panel renders it, with its models
    assert not on_event_loop()
    plain_calls = []
    plain = pn.Tabs(("Overview", pn.Column()), ("Dashboard", lazy_content(plain_calls)), dynamic=True)
    in_thread(lambda: setattr(plain, "active", 1))
    assert plain_calls == []  # what PreparedTabs changes: Panel's tabs leave it to the model's build


def test_the_content_is_rendered_before_other_watchers_of_the_switch_run():
    calls = []
    tabs = PreparedTabs(("Overview", pn.Column()), ("Dashboard", lazy_content(calls)), dynamic=True)
    seen = []
    tabs.param.watch(lambda event: seen.append(list(calls)), "active")  # as Panel's own, precedence 0
    in_thread(lambda: setattr(tabs, "active", 1))
    assert seen == [["switcher"]]


def test_show_renders_before_the_tab_changes():
    """The server's own switches (`show`, `show_tab`): while the content renders, the tab is still the
    old one, on the server as on the page (a click in that time finds them agreeing)."""
    seen = []
    tabs = None

    def render():
        seen.append((threading.current_thread().name, tabs.active))
        return pn.pane.Markdown("rendered")

    tabs = PreparedTabs(
        ("Overview", pn.Column()),
        ("Dashboard", pn.param.ParamFunction(param.depends()(render), lazy=True)),
        dynamic=True,
    )
    in_thread(lambda: show_tab(tabs, 1))
    assert seen == [("switcher", 0)] and tabs.active == 1
    plain = pn.Tabs(("Overview", pn.Column()), ("Other", pn.Column()))
    show_tab(plain, 1)
    assert plain.active == 1
