"""Fixtures of the command line tests: one emulator on loopback, a clean environment."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator

FINAPI_SCRIPT = Path(sys.executable).parent / "finapi"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """Serve one emulator on a free loopback port for the module's tests."""
    emulator = Emulator()
    with emulator.serve("127.0.0.1", 0):
        yield emulator
    emulator.close()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Drop FINAPI_* settings and point the default config file into a temp folder."""
    for name in list(os.environ):
        if name.startswith("FINAPI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def emu_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the command line at the emulator through the environment."""
    env = {
        "FINAPI_CLIENT_ID": DEMO_CLIENT_ID,
        "FINAPI_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "FINAPI_ACCESS_URL": emu.access_url,
        "FINAPI_WEBFORM_URL": emu.webform_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def user_id() -> str:
    """Give a fresh user id."""
    return "cli-" + uuid.uuid4().hex[:12]


PASSWORD = "Cli-test-Passw0rd"
