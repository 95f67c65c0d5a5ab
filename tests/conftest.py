"""Shared fixtures: the app under a real `analog-explorer` (panel serve with the lab settings) and
headless Debian Chromium; the helpers live in `explorer.tools.served`."""

import pytest

from explorer.tools.served import Server, launch_chromium


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
