"""Fixtures of the end-to-end tests: the emulator on loopback, a callback receiver, Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from needs import missing

from finapi import FinAPI, UserSession
from finapi._demo import CHROMIUM_ARGS, CallbackReceiver
from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop FINAPI_* settings, so that the demo uses its embedded emulator."""
    for name in list(os.environ):
        if name.startswith("FINAPI_") and name != "FINAPI_CHROMIUM":
            monkeypatch.delenv(name)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """Serve a fresh emulator on a free loopback port."""
    emulator = Emulator()
    with emulator.serve("127.0.0.1", 0):
        yield emulator
    emulator.close()


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    """Receive the emulator's callbacks on loopback."""
    with CallbackReceiver() as r:
        yield r


@pytest.fixture
def session(emu: Emulator) -> Iterator[UserSession]:
    """Give a new user's session on a facade talking to the emulator over HTTP."""
    with FinAPI(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        access_url=emu.access_url,
        webform_url=emu.webform_url,
    ) as fin:
        new = fin.users.create()
        yield fin.user(new.id, new.password)


def _chromium() -> str | None:
    given = os.environ.get("FINAPI_CHROMIUM")
    return given or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Return the system Chromium's path, when Playwright is there to drive it.

    Missing Chromium or Playwright skips the tests on a developer machine and
    fails them in CI (``CI`` set), where ``.ci/run`` installs both.
    """
    found = _chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        missing("needs Playwright for Python and Debian's chromium")
    return found


@pytest.fixture(scope="module")
def browser_context(
    chromium: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """Launch the system's headless Chromium through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            headless=True,
            args=list(CHROMIUM_ARGS),
        )
        try:
            yield context
        finally:
            context.close()
