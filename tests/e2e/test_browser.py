"""A real browser completes the emulator's web form page; the facade sees the result.

Debian's ``chromium`` is driven by Playwright for Python with the executable
path set to the system browser. Screenshots land in ``artifacts/`` (ignored by
git).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from finapi import UserSession
from finapi._demo import CallbackReceiver
from finapi.emulator import DEMO_BANK_LOGIN, DEMO_BANK_PIN

from .conftest import ARTIFACTS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _result_shot(screenshot: Path) -> Path:
    return screenshot.with_name(screenshot.stem + "-result.png")


def _fill_in(page: Any, url: str, login: str, pin: str, screenshot: Path) -> None:
    """Fill in and submit the form, with a screenshot before and after submitting."""
    page.goto(url)
    assert page.title() == "Connect your bank account"
    assert page.inner_text("h1") == "Connect your bank account"
    page.locator("select#bank").select_option(label="finAPI Test Bank")
    page.get_by_label("Onlinebanking-ID").fill(login)
    page.get_by_label("PIN", exact=True).fill(pin)
    assert page.input_value("#login") == login
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.unlink(missing_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_selector("#status", timeout=15_000)
    _result_shot(screenshot).unlink(missing_ok=True)
    page.screenshot(path=str(_result_shot(screenshot)), full_page=True)


def test_browser_imports_bank_connection(
    browser_context: Any, session: UserSession, receiver: CallbackReceiver
) -> None:
    """Picking the test bank and typing the demo login completes the form."""
    form = session.webforms.bank_connection_import(
        {"callbacks": {"finalised": receiver.url}}
    )
    page = browser_context.new_page()
    shot = ARTIFACTS / "webform-import.png"
    _fill_in(page, form.url, DEMO_BANK_LOGIN, DEMO_BANK_PIN, shot)
    page_status = page.get_attribute("#status", "data-status")
    final = session.webforms.wait(form.id, timeout=10, interval=0.1)
    callback = receiver.wait_for("webFormId", form.id, timeout=10)
    accounts = list(session.accounts())
    page.close()

    assert page_status == "COMPLETED"
    assert final.status.value == "COMPLETED"
    connection_id = final.payload.bank_connection_id
    assert isinstance(connection_id, int)
    assert callback is not None
    assert callback["body"] == {"webFormId": form.id, "status": "COMPLETED"}
    assert len(accounts) >= 1
    assert {a.bank_connection_id for a in accounts} == {connection_id}
    width, height = _png_size(shot)
    assert width >= 400
    assert height >= 300
    assert shot.stat().st_size > 5_000


def test_browser_wrong_credentials(
    browser_context: Any, session: UserSession, receiver: CallbackReceiver
) -> None:
    """A wrong PIN ends the form COMPLETED_WITH_ERROR and imports nothing."""
    form = session.webforms.bank_connection_import(
        {"callbacks": {"finalised": receiver.url}}
    )
    page = browser_context.new_page()
    shot = ARTIFACTS / "webform-wrong-pin.png"
    _fill_in(page, form.url, DEMO_BANK_LOGIN, "00000", shot)
    page_text = page.inner_text("#status")
    final = session.webforms.wait(form.id, timeout=10, interval=0.1)
    callback = receiver.wait_for("webFormId", form.id, timeout=10)
    accounts = list(session.accounts())
    page.close()

    assert "rejected" in page_text
    assert final.status.value == "COMPLETED_WITH_ERROR"
    assert final.payload.error_code is not None
    assert callback is not None
    assert callback["body"]["status"] == "COMPLETED_WITH_ERROR"
    assert accounts == []
    assert _png_size(shot)[0] >= 400
    # The page after submitting shows the rejection, so it differs from the form.
    assert _png_size(_result_shot(shot))[0] >= 400
    assert _result_shot(shot).read_bytes() != shot.read_bytes()
