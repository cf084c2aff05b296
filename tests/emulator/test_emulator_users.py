"""Users: finAPI's rules on ids, passwords, email and phone; concurrent creation."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from finapi.emulator import Emulator
from finapi.emulator.testing import bearer, get_token


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"id": "a" * 36, "password": "secret-1"}, 201),
        ({"id": "a" * 37, "password": "secret-1"}, 400),
        ({"id": "bad id", "password": "secret-1"}, 400),
        ({"id": "bad/id", "password": "secret-1"}, 400),
        ({"id": "", "password": "secret-1"}, 400),
        ({"id": "pat", "password": "p" * 128}, 201),
        ({"id": "pat", "password": "p" * 129}, 400),
    ],
    ids=[
        "id-36",
        "id-37",
        "id-space",
        "id-slash",
        "id-empty",
        "password-128",
        "password-129",
    ],
)
def test_user_id_and_password_rules(
    client: httpx.Client, client_token: str, body: dict[str, str], status: int
) -> None:
    """Ids of 1 to 36 allowed characters and passwords up to 128 pass; others are 400 (the spec's status for them)."""
    response = client.post("/api/v1/users", json=body, headers=bearer(client_token))

    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["errors"][0]["code"] == "ILLEGAL_FIELD_VALUE"


@pytest.mark.parametrize(
    ("field", "limit"), [("email", 320), ("phone", 50)], ids=["email", "phone"]
)
def test_email_and_phone_length_limits(
    client: httpx.Client, client_token: str, field: str, limit: int
) -> None:
    """Email takes up to 320 characters and phone up to 50, on create and on edit."""
    at_limit = client.post(
        "/api/v1/users",
        json={"id": "max", "password": "secret-1", field: "1" * limit},
        headers=bearer(client_token),
    )
    over = client.post(
        "/api/v1/users",
        json={"id": "over", "password": "secret-1", field: "1" * (limit + 1)},
        headers=bearer(client_token),
    )
    user_token = get_token(client, "password", username="max", password="secret-1")
    headers = bearer(user_token["access_token"])
    edit_over = client.patch(
        "/api/v1/users", json={field: "2" * (limit + 1)}, headers=headers
    )
    edit_at_limit = client.patch(
        "/api/v1/users", json={field: "2" * limit}, headers=headers
    )

    assert at_limit.status_code == 201
    assert at_limit.json()[field] == "1" * limit
    assert over.status_code == 400
    assert field in over.json()["errors"][0]["message"]
    assert edit_over.status_code == 400
    assert edit_at_limit.status_code == 200
    assert edit_at_limit.json()[field] == "2" * limit


def test_concurrent_creation_gives_one_201_per_id(emu: Emulator) -> None:
    """Eight threads create the same five users at once: one 201 per id, 422 for the rest."""
    ids = [f"racer-{n}" for n in range(5)]
    with emu.client() as client:
        token = get_token(client)["access_token"]
    start = threading.Barrier(8)

    def create_all(_: int) -> list[tuple[str, int]]:
        with emu.client() as own:
            start.wait(timeout=10)
            return [
                (
                    user_id,
                    own.post(
                        "/api/v1/users",
                        json={"id": user_id, "password": "secret-1"},
                        headers=bearer(token),
                    ).status_code,
                )
                for user_id in ids
            ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [pair for batch in pool.map(create_all, range(8)) for pair in batch]
    created = Counter(user_id for user_id, status in results if status == 201)

    assert created == dict.fromkeys(ids, 1)
    assert Counter(status for _, status in results) == {201: 5, 422: 35}
    assert {u for (_, u) in emu.state.users} >= set(ids)
