"""The main job (``python -m finapi._demo``, run by ``nox -s demo``) in each of its modes."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from finapi._demo import main
from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator


def _steps(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"Step (\d)/9", text)]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(list(args))
    return status, capsys.readouterr().out


def _remote_env(monkeypatch: pytest.MonkeyPatch, emu: Emulator, secret: str) -> None:
    monkeypatch.setenv("FINAPI_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("FINAPI_CLIENT_SECRET", secret)
    monkeypatch.setenv("FINAPI_ACCESS_URL", emu.access_url)
    monkeypatch.setenv("FINAPI_WEBFORM_URL", emu.webform_url)


def test_demo_embedded_over_http(capsys: pytest.CaptureFixture[str]) -> None:
    """Without credentials the demo runs all nine steps against its own emulator."""
    status, out = _run(capsys)

    assert status == 0, out
    assert _steps(out) == list(range(1, 10))
    assert "emulator listening on http://127.0.0.1:" in out
    assert "Complete the web form over plain HTTP" in out
    assert "callback received: POST /finapi/callback/finalised" in out
    assert '"status": "COMPLETED"' in out
    assert "grant=refresh_token reason=expired" in out
    assert "requests that reached the emulator with an expired token: 0" in out
    assert "Girokonto" in out
    assert "demo finished: all 9 steps done" in out


def test_demo_embedded_in_browser(
    capsys: pytest.CaptureFixture[str], chromium: str, tmp_path: Path
) -> None:
    """`--browser` completes the form in headless Chromium and saves a screenshot."""
    shot = tmp_path / "demo.png"
    status, out = _run(
        capsys, "--browser", "--chromium", chromium, "--screenshot", str(shot)
    )

    assert status == 0, out
    assert _steps(out) == list(range(1, 10))
    assert "Complete the web form in headless Chromium" in out
    assert "the page now says: 'Done. You can close this page.'" in out
    assert shot.read_bytes()[:4] == b"\x89PNG"


def test_demo_remote_stops_after_step_4(
    capsys: pytest.CaptureFixture[str], emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With credentials it uses the configured finAPI and stops after the URL, cleaning up."""
    _remote_env(monkeypatch, emu, DEMO_CLIENT_SECRET)
    status, out = _run(capsys)

    assert status == 0, out
    assert _steps(out) == [1, 2, 3, 4, 9]
    assert f"URL for the end user: {emu.base_url}/webform/wf/" in out
    assert "rerun with -- --wait" in out
    assert "steps 1 to 4 and the clean-up done" in out
    assert not [key for key in emu.state.users if key[0] == DEMO_CLIENT_ID]


@contextlib.contextmanager
def _person(emu: Emulator) -> Iterator[None]:
    """Complete every new web form shortly after it appears, as a person would."""
    stop = threading.Event()

    def complete() -> None:
        while not stop.is_set():
            forms = [
                f
                for f in list(emu.state.webforms.values())
                if f["status"] == "NOT_YET_OPENED"
            ]
            for form in forms:
                time.sleep(0.3)
                emu.complete_webform(form["id"])
            stop.wait(0.05)

    helper = threading.Thread(target=complete, daemon=True)
    helper.start()
    try:
        yield
    finally:
        stop.set()
        helper.join(timeout=5)


def test_demo_remote_waits_for_a_person(
    capsys: pytest.CaptureFixture[str], emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--wait` waits until someone completes the form, then runs the remaining steps."""
    _remote_env(monkeypatch, emu, DEMO_CLIENT_SECRET)
    with _person(emu):
        status, out = _run(capsys, "--wait", "--timeout", "30")

    assert status == 0, out
    assert _steps(out) == list(range(1, 10))
    assert "A person completes the web form" in out
    assert "final status COMPLETED" in out
    assert "user token lifetime set back to 3599 s" in out


def test_demo_remote_skips_step_8_when_refused(
    capsys: pytest.CaptureFixture[str], emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against finAPI, a client that may not change token lifetimes skips step 8 only."""
    _remote_env(monkeypatch, emu, DEMO_CLIENT_SECRET)
    emu.faults.set("/api/v1/clientConfiguration", error_rate=1.0, statuses=[500])
    with _person(emu):
        status, out = _run(capsys, "--wait", "--timeout", "30")

    assert status == 0, out
    assert _steps(out) == list(range(1, 10))
    assert "skipped: this client may not change its token lifetimes" in out
    assert "demo finished: all 9 steps done" in out


def test_demo_failure_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wrong credentials end the demo with exit 1 and a message naming the step."""
    _remote_env(monkeypatch, emu, "wrong-secret")
    status, out = _run(capsys)

    assert status == 1
    failed = [line for line in out.splitlines() if line.startswith("demo failed")]
    assert len(failed) == 1
    assert "step 1 (Client token" in failed[0]
    assert "invalid_client" in failed[0]
    assert "request_id=" in failed[0]
    assert "wrong-secret" not in out


def test_demo_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown option is refused by the argument parser with exit 2."""
    with pytest.raises(SystemExit) as stopped:
        main(["--no-such-option"])

    assert stopped.value.code == 2
    assert "--no-such-option" in capsys.readouterr().err
