"""The suite's spec checker: installed before any emulator, and able to fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator
from finapi.emulator.testing import SpecCheckedEmulator, SpecChecker

ROOT = Path(__file__).resolve().parents[2]
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
}


@pytest.fixture(scope="module")
def module_emu() -> Iterator[Emulator]:
    """Build an emulator once per module, as tests/cli/conftest.py does."""
    with Emulator() as emulator:
        yield emulator


def test_an_emulator_of_a_module_scoped_fixture_reports_to_the_checker(
    module_emu: Emulator, request: pytest.FixtureRequest
) -> None:
    """The session checker was installed before the module-scoped emulator was built.

    The checker is looked up only after the emulator exists (not as an argument,
    which pytest would set up first because its scope is wider), so the test
    passes only when the checker is installed by itself, ahead of every emulator.
    """
    checker: SpecChecker = request.getfixturevalue("spec_checker")
    checker.drain()
    before = checker.calls

    with module_emu.client() as client:
        answered = client.post("/oauth/token", data=TOKEN_FORM)
    checker.drain()

    assert answered.status_code == 200
    assert checker.calls == before + 1
    assert ("access", "getToken") in checker.checked_operations


def test_the_checker_is_in_place_for_the_first_test_of_a_session() -> None:
    """Run the test above alone in a fresh session, where nothing installed it earlier."""
    node = (
        f"{Path(__file__).relative_to(ROOT)}"
        "::test_an_emulator_of_a_module_scoped_fixture_reports_to_the_checker"
    )
    env = {k: v for k, v in os.environ.items() if k != "FINAPI_EMULATOR_SPEC_CHECK"}

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout


class _BreakTokenAnswers:
    """Rewrite the token endpoint's answer so that it violates the spec."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/oauth/token":
            await self.app(scope, receive, send)
            return
        start: Message = {}

        async def corrupt(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body = json.loads(message["body"])
            body["expires_in"] = "soon"  # the spec wants an integer
            del body["access_token"]  # ... and requires this one
            data = json.dumps(body).encode()
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            headers.append((b"content-length", str(len(data)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": data})

        await self.app(scope, receive, corrupt)


class _BrokenEmulator(SpecCheckedEmulator):
    """A spec-checked emulator with a middleware inside its checker that breaks answers."""

    def _extra_middleware(self) -> list[Middleware]:
        return [*super()._extra_middleware(), Middleware(_BreakTokenAnswers)]


def test_the_checker_records_an_answer_that_violates_the_spec(
    spec_checker: SpecChecker,
) -> None:
    """A corrupted token answer is a violation for its own checker and the session's."""
    try:
        with _BrokenEmulator() as emu, emu.client() as client:
            answered = client.post("/oauth/token", data=TOKEN_FORM)
            with pytest.raises(AssertionError, match="getToken") as own:
                emu.assert_clean()
        session = [
            v for v in spec_checker.response_violations() if v.operation == "getToken"
        ]
    finally:
        # The violation is wanted here: keep the suite-wide check from failing the test.
        spec_checker.clear()

    assert answered.json() == {
        "token_type": "bearer",
        "expires_in": "soon",
        "scope": "all",
    }
    assert "expires_in" in str(own.value)
    assert len(session) == 1
    assert session[0].status == 200
    assert "access_token" in session[0].message
