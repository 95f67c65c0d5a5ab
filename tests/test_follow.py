"""Following the lecturer (issue 25 item 2) without a server: the secret check (constant-time compare,
one try per second), the channel (latest immutable snapshot, versions), publishing refused without the
secret whatever the broadcast toggle says, followers applying the lecturer's view and tab, a
non-follower untouched, and the command line's secret file."""

import dataclasses
import time

import panel as pn
import pytest

from explorer import cli
from explorer.app import build_app
from explorer.models.follow import SECRET_ENV, Channel, Lecturer, Snapshot, read_secret_file
from explorer.views.follow import CACHE_KEY

SECRET = "correct horse battery staple"


class Clock:
    """A clock the test moves (seconds)."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_unlock_needs_the_exact_secret_and_one_second_between_tries():
    clock = Clock()
    lecturer = Lecturer(SECRET, clock=clock)
    assert lecturer.enabled and not lecturer.unlocked
    assert lecturer.unlock(SECRET[:-1]) == (False, "Wrong secret.")
    clock.now += 0.5
    ok, message = lecturer.unlock(SECRET)  # the right secret, too soon: refused unchecked
    assert not ok and "Too many tries" in message and not lecturer.unlocked
    clock.now += 1.0
    assert lecturer.unlock(SECRET)[0] and lecturer.unlocked


def test_a_server_without_a_secret_has_no_lecturer():
    lecturer = Lecturer("")
    assert not lecturer.enabled
    ok, message = lecturer.unlock("")
    assert not ok and "without a lecturer's secret" in message
    assert lecturer.publish(Channel(), "{}", 0) is None


def test_publish_needs_the_unlocked_flag_and_the_channel_keeps_the_latest_immutable_snapshot():
    channel = Channel()
    assert channel.latest is None and channel.version == 0
    student, teacher = Lecturer(SECRET), Lecturer(SECRET)
    assert student.publish(channel, '{"a": 1}', 2) is None
    assert channel.version == 0
    teacher.unlock(SECRET)
    first = teacher.publish(channel, '{"a": 1}', 2)
    second = teacher.publish(channel, '{"a": 2}', 3)
    assert (first.version, second.version) == (1, 2)
    assert channel.latest is second and channel.latest == Snapshot(2, '{"a": 2}', 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        second.tab = 0
    with pytest.raises(ValueError, match="tab must be"):
        teacher.publish(channel, "{}", -1)


@pytest.fixture
def pages(monkeypatch):
    """Three app pages of one server (lecturer, follower, bystander) sharing a fresh channel."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    pn.state.cache.pop(CACHE_KEY, None)
    apps = [build_app() for _ in range(3)]
    yield apps
    pn.state.cache.pop(CACHE_KEY, None)


def controls(app):
    """The page's tabs, its follow session and its header toggles by css class."""
    tabs = app.select(pn.Tabs)[0]
    toggles = {w.css_classes[0]: w for w in app.select(pn.widgets.Toggle) if w.css_classes}
    return tabs, app.follow, toggles


def test_followers_get_the_lecturers_view_and_tab_a_bystander_and_a_forged_toggle_do_not(pages):
    lecturer_app, follower_app, bystander_app = pages
    l_tabs, lecturer, l_toggles = controls(lecturer_app)
    f_tabs, follower, f_toggles = controls(follower_app)
    b_tabs, bystander, b_toggles = controls(bystander_app)
    assert lecturer.channel is follower.channel is bystander.channel
    assert not l_toggles["broadcast-toggle"].visible  # shown only once unlocked

    # A student's page sets its (hidden) broadcast toggle, as a crafted websocket message would:
    # nothing is published, and the toggle goes back off.
    bystander.explorers["xb"].xb.adc_bits = 3
    b_toggles["broadcast-toggle"].value = True
    assert bystander.channel.version == 0 and not b_toggles["broadcast-toggle"].value
    assert not bystander.broadcast(force=True) and bystander.channel.version == 0

    (button,) = [b for b in lecturer_app.select(pn.widgets.Button) if "lecturer" in b.css_classes]
    (password,) = lecturer_app.select(pn.widgets.PasswordInput)
    assert not password.visible
    button.clicks += 1  # the first press opens the field
    assert password.visible
    password.value = SECRET  # committed (Enter, or the button taking the focus)
    button.clicks += 1  # and the button pressed: one try only (a second would be refused as too soon)
    assert lecturer.lecturer.unlocked and l_toggles["broadcast-toggle"].visible
    assert password.value_input == ""  # the secret does not stay in the page

    lecturer.explorers["xb"].xb.adc_bits = 6
    l_tabs.active = 3
    l_toggles["broadcast-toggle"].value = True
    assert lecturer.channel.version == 1
    assert follower.follow() == ""  # what the follower's periodic callback does
    assert follower.explorers["xb"].xb.adc_bits == 6 and f_tabs.active == 3
    assert bystander.explorers["xb"].xb.adc_bits == 3 and b_tabs.active == 0
    assert follower.follow() is None  # nothing newer

    # Unchanged view: nothing new is published; a change is, at once (the settings' watchers).
    assert not lecturer.broadcast()
    lecturer.explorers["xb"].xb.adc_bits = 5
    assert lecturer.channel.version == 2
    assert follower.follow() == "" and follower.explorers["xb"].xb.adc_bits == 5
    # The follower's own change does not reach the lecturer or the channel.
    follower.explorers["xb"].xb.adc_bits = 4
    assert not follower.broadcast() and lecturer.channel.version == 2
    assert lecturer.explorers["xb"].xb.adc_bits == 5

    # The toggle: switched on, it applies the lecturer's current view at once, then each newer one
    # from its own thread, woken by the publication.
    lecturer.explorers["xb"].xb.adc_bits = 7
    f_toggles["follow-toggle"].value = True
    assert follower.explorers["xb"].xb.adc_bits == 7
    lecturer.explorers["xb"].xb.adc_bits = 2
    assert wait_for(lambda: follower.explorers["xb"].xb.adc_bits == 2, 2.0)
    # Stopping following keeps the view; later broadcasts are not applied.
    f_toggles["follow-toggle"].value = False
    lecturer.explorers["xb"].xb.adc_bits = 8
    assert not wait_for(lambda: follower.explorers["xb"].xb.adc_bits != 2, 1.0)
    assert bystander.explorers["xb"].xb.adc_bits == 3  # its own value all along


def wait_for(condition, seconds):
    """Whether `condition()` became true within `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_a_bad_snapshot_is_refused_and_the_view_stays():
    channel = Channel()
    teacher = Lecturer(SECRET)
    teacher.unlock(SECRET)
    app = build_app()
    session = app.follow
    session.channel = channel
    before = session.explorers["xb"].xb.adc_bits
    teacher.publish(channel, '{"format": "nonsense"}', 3)
    message = session.follow()
    assert message.startswith("The lecturer's view could not be applied: format")
    assert session.explorers["xb"].xb.adc_bits == before


def test_secret_file_goes_to_the_environment_not_the_command_line(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "")  # restored (to unset) after the test, though the command sets it
    monkeypatch.delenv(SECRET_ENV)
    assert cli.LECTURER_SECRET_ENV == SECRET_ENV
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    assert read_secret_file(str(path)) == SECRET
    cmd, _, env = cli.panel_serve_command(["--lecturer-secret-file", str(path)])
    assert env[SECRET_ENV] == SECRET  # the server's environment (`serve` sets it before exec)
    assert not any(SECRET in part for part in cmd) and str(path) not in cmd
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="--lecturer-secret-file: .* is empty"):
        read_secret_file(str(tmp_path / "empty.txt"))
    with pytest.raises(SystemExit):
        cli.panel_serve_command(["--lecturer-secret-file", str(tmp_path / "missing.txt")])


def test_without_a_secret_the_header_has_no_lecturer_or_follow_controls(monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    app = build_app()
    shown = [
        w
        for w in app.select(pn.widgets.Widget)
        if w.visible and set(w.css_classes) & {"lecturer", "lecturer-secret", "broadcast-toggle", "follow-toggle"}
    ]
    assert shown == []
    assert not app.follow.lecturer.enabled
