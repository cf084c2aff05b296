"""Web form lifecycle: statuses, wrong credentials, expiry, abort, callbacks in-process."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from finapi.emulator import Emulator
from finapi.emulator.testing import bearer, get_token


def _user(client: httpx.Client) -> dict[str, str]:
    created = client.post(
        "/api/v1/users", json={}, headers=bearer(get_token(client)["access_token"])
    ).json()
    return bearer(
        get_token(
            client, "password", username=created["id"], password=created["password"]
        )["access_token"]
    )


def _form(
    client: httpx.Client, headers: dict[str, str], **body: object
) -> dict[str, object]:
    response = client.post(
        "/webform/api/webForms/bankConnectionImport", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_page_moves_the_form_through_the_statuses(
    emu: Emulator, client: httpx.Client
) -> None:
    """NOT_YET_OPENED, then IN_PROGRESS once the page is opened, then COMPLETED."""
    headers = _user(client)
    form = _form(client, headers, bank={"id": 280002})
    url = f"/webform/api/webForms/{form['id']}"
    first = client.get(url, headers=headers).json()["status"]
    client.get(str(form["url"]))
    second = client.get(url, headers=headers).json()["status"]
    client.post(str(form["url"]), data={"login": "demo", "pin": "12345"})
    third = client.get(url, headers=headers).json()

    assert (first, second, third["status"]) == (
        "NOT_YET_OPENED",
        "IN_PROGRESS",
        "COMPLETED",
    )
    assert third["payload"]["bankConnectionId"] >= 1


def test_wrong_demo_credentials_complete_with_error(
    emu: Emulator, client: httpx.Client
) -> None:
    """A wrong PIN ends the form COMPLETED_WITH_ERROR and imports nothing."""
    headers = _user(client)
    form = _form(client, headers)
    done = emu.complete_webform(str(form["id"]), pin="00000")
    accounts = client.get("/api/v1/accounts", headers=headers).json()["accounts"]

    assert done["status"] == "COMPLETED_WITH_ERROR"
    assert done["payload"]["errorCode"] == "BANK_SERVER_REJECTION"
    assert accounts == []


def test_abort_and_expiry() -> None:
    """Abort gives ABORTED; an unfinished form becomes EXPIRED after its lifetime."""
    with Emulator(webform_lifetime=0.3) as emu, emu.client() as client:
        headers = _user(client)
        aborted = _form(client, headers)
        page = client.post(str(aborted["url"]), data={"action": "abort"})
        left = _form(client, headers)
        time.sleep(0.5)
        expired = client.get(
            f"/webform/api/webForms/{left['id']}", headers=headers
        ).json()
        late = client.get(str(left["url"]))

    assert 'data-status="ABORTED"' in page.text
    assert expired["status"] == "EXPIRED"
    assert 'data-status="EXPIRED"' in late.text


def test_callback_is_posted_through_the_callback_transport() -> None:
    """The finalised callback reaches the caller's URL (here an in-process receiver)."""
    received: list[tuple[str, str, object]] = []

    def partner(request: httpx.Request) -> httpx.Response:
        received.append((request.method, str(request.url), json.loads(request.read())))
        return httpx.Response(204)

    transport = httpx.MockTransport(partner)
    with Emulator(callback_transport=transport) as emu, emu.client() as client:
        headers = _user(client)
        form = _form(
            client, headers, callbacks={"finalised": "https://partner.example.com/cb"}
        )
        emu.complete_webform(str(form["id"]))
        emu.wait_for_callbacks()

    assert received == [
        (
            "POST",
            "https://partner.example.com/cb",
            {"webFormId": form["id"], "status": "COMPLETED"},
        )
    ]
    assert emu.callbacks_sent[0]["status_code"] == 204


@pytest.mark.parametrize("status", [404, 401])
def test_web_form_errors_have_the_web_form_shape(
    client: httpx.Client, status: int
) -> None:
    """Web Form errors carry code, description, timestamp (+0000) and endpoint."""
    headers = _user(client) if status == 404 else {}
    response = client.get(
        "/webform/api/webForms/00000000-0000-4000-8000-000000000000", headers=headers
    )
    body = response.json()

    assert response.status_code == status
    assert set(body) == {"code", "description", "timestamp", "endpoint"}
    assert body["timestamp"].endswith("+0000")
