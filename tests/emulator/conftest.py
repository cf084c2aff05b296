"""Fixtures for the emulator's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from finapi.emulator import Emulator
from finapi.emulator.testing import bearer, get_token


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """Give each test a fresh emulator (closed afterwards)."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    """Give a sync httpx client talking to the emulator in-process."""
    with emu.client() as c:
        yield c


@pytest.fixture
def client_token(client: httpx.Client) -> str:
    """Give a client access token."""
    return get_token(client)["access_token"]


@pytest.fixture
def user(client: httpx.Client, client_token: str) -> dict[str, str]:
    """Create a user and return its id, password and tokens."""
    created = client.post(
        "/api/v1/users",
        json={"id": "alice", "password": "alice-secret", "email": "alice@example.com"},
        headers=bearer(client_token),
    )
    assert created.status_code == 201, created.text
    tokens = get_token(client, "password", username="alice", password="alice-secret")
    return {"id": "alice", "password": "alice-secret", **tokens}


@pytest.fixture
def imported(
    emu: Emulator, client: httpx.Client, user: dict[str, str]
) -> dict[str, str]:
    """Give alice's Authorization header after she imported a demo bank connection."""
    headers = bearer(user["access_token"])
    form = client.post(
        "/webform/api/webForms/bankConnectionImport",
        json={"bank": {"id": 280002}},
        headers=headers,
    )
    assert form.status_code == 201, form.text
    done = emu.complete_webform(form.json()["id"])
    assert done["status"] == "COMPLETED"
    return headers
