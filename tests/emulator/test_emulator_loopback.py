"""Acceptance 3: the whole web form flow over real loopback sockets, with httpx only."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from finapi.emulator import DEMO_BANK_LOGIN, DEMO_BANK_PIN, Emulator
from finapi.emulator._server import run_in_thread
from finapi.emulator.testing import bearer, get_token


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, object]], threading.Event]]:
    """Run a small callback receiver on a loopback port."""
    received: list[dict[str, object]] = []
    arrived = threading.Event()

    async def callback(request: Request) -> Response:
        received.append(await request.json())
        arrived.set()
        return Response(status_code=200)

    app = Starlette(routes=[Route("/finalised", callback, methods=["POST"])])
    with run_in_thread(app, "127.0.0.1", 0) as url:
        yield url + "/finalised", received, arrived


def test_token_user_web_form_page_callback_accounts_over_loopback(
    receiver: tuple[str, list[dict[str, object]], threading.Event],
) -> None:
    """Token, user, web form, page fetched and submitted, callback received, accounts listed."""
    callback_url, received, arrived = receiver
    with Emulator() as emu, emu.serve() as url, httpx.Client(base_url=url) as http:
        client_token = get_token(http)["access_token"]
        created = http.post(
            "/api/v1/users", json={}, headers=bearer(client_token)
        ).json()
        user = get_token(
            http, "password", username=created["id"], password=created["password"]
        )
        form = http.post(
            "/webform/api/webForms/bankConnectionImport",
            json={"callbacks": {"finalised": callback_url}},
            headers=bearer(user["access_token"]),
        ).json()
        page = http.get(form["url"])
        login = re.search(r"id=demo-login>([^<]+)<", page.text)
        pin = re.search(r"id=demo-pin>([^<]+)<", page.text)
        bank = re.search(r'<option value="(\d+)"', page.text)
        assert login is not None
        assert pin is not None
        assert bank is not None
        submitted = http.post(
            form["url"],
            data={"bank": bank.group(1), "login": login.group(1), "pin": pin.group(1)},
        )
        assert arrived.wait(10)
        status = http.get(
            f"/webform/api/webForms/{form['id']}", headers=bearer(user["access_token"])
        ).json()
        accounts = http.get(
            "/api/v1/accounts", headers=bearer(user["access_token"])
        ).json()

    assert form["url"].startswith(url + "/webform/wf/")
    assert (login.group(1), pin.group(1)) == (DEMO_BANK_LOGIN, DEMO_BANK_PIN)
    assert 'data-status="COMPLETED"' in submitted.text
    assert received == [{"webFormId": form["id"], "status": "COMPLETED"}]
    assert status["status"] == "COMPLETED"
    assert len(accounts["accounts"]) == 3
    assert {a["bankConnectionId"] for a in accounts["accounts"]} == {
        status["payload"]["bankConnectionId"]
    }


def test_dropped_connection_over_loopback_is_a_protocol_error() -> None:
    """Fault injection drops a real connection mid-answer; the client sees a protocol error."""
    with Emulator() as emu, emu.serve() as url, httpx.Client(base_url=url) as http:
        emu.faults.set("/api/v1/banks", drop_rate=1.0)
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/api/v1/banks")
        emu.faults.clear()
        after = http.get("/api/v1/banks")

    assert after.status_code == 401
