"""Shared fixtures: the app under a real `analog-explorer` (panel serve with the lab settings) and
headless Debian Chromium; the helpers live in `explorer.tools.served`."""

import os

import pytest

from explorer.tools.served import Server, launch_chromium


@pytest.fixture(scope="session", autouse=True)
def predictions_db(tmp_path_factory):
    """Every test's pages and servers record the class's predictions in a file of the test run
    (`explorer.models.predictions.DB_ENV`), never in the user's data directory."""
    from explorer.models.predictions import DB_ENV

    path = str(tmp_path_factory.mktemp("predictions") / "predictions.sqlite")
    before = os.environ.get(DB_ENV)
    os.environ[DB_ENV] = path
    yield path
    if before is None:
        os.environ.pop(DB_ENV, None)
    else:
        os.environ[DB_ENV] = before


@pytest.fixture(scope="session")
def served_app():
    """URL of the app under a real `panel serve`, for the whole test session."""
    with Server() as server:
        yield server.url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()
