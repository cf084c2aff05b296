"""The token endpoint: grants, OAuth errors, expiry, revocation, stats, faults."""

from __future__ import annotations

import time

import httpx
import pytest

from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator
from finapi.emulator.testing import bearer, get_token


def test_client_credentials_grant_gives_a_bearer_token(client: httpx.Client) -> None:
    """A client_credentials request answers a bearer token with finAPI's default lifetime."""
    body = get_token(client)

    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    assert body["scope"] == "all"
    assert "refresh_token" not in body


def test_password_grant_gives_access_and_refresh_token(user: dict[str, str]) -> None:
    """A password request for an existing user answers both tokens."""
    assert user["access_token"]
    assert user["refresh_token"]


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {"grant_type": "client_credentials", "client_secret": "wrong"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "nobody"},
            401,
            "invalid_client",
        ),
        ({"grant_type": "magic"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
        (
            {"grant_type": "password", "username": "ghost", "password": "boo-boo"},
            400,
            "invalid_grant",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": "nope"},
            400,
            "invalid_grant",
        ),
    ],
)
def test_token_errors_are_oauth_style(
    client: httpx.Client, form: dict[str, str], status: int, error: str
) -> None:
    """Bad token requests answer OAuth errors with the spec's status codes.

    The spec gives 401 to bad client credentials only; bad user credentials and
    an invalid refresh token are a 400, as RFC 6749 (5.2) has it.
    """
    data = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, **form}

    response = client.post("/oauth/token", data=data)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_wrong_user_password_is_invalid_grant_and_locks_after_five(
    client: httpx.Client, user: dict[str, str]
) -> None:
    """Five wrong passwords lock the user: the next request answers 423 LOCKED."""
    for _ in range(5):
        bad = client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "username": "alice",
                "password": "not-her-password",
            },
        )
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")

    locked = client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "username": "alice",
            "password": "alice-secret",
        },
    )

    assert locked.status_code == 423
    assert locked.json()["errors"][0]["code"] == "LOCKED"


def test_expired_token_is_rejected_and_refresh_works() -> None:
    """With a 2 s lifetime a token used after 3 s gets 401 invalid_token; refreshing helps."""
    with Emulator(token_lifetime=2) as emu, emu.client() as client:
        client_token = get_token(client)["access_token"]
        client.post(
            "/api/v1/users",
            json={"id": "bob", "password": "bob-secret"},
            headers=bearer(client_token),
        )
        tokens = get_token(client, "password", username="bob", password="bob-secret")
        assert tokens["expires_in"] == 2
        time.sleep(3)

        stale = client.get("/api/v1/users", headers=bearer(tokens["access_token"]))
        fresh = get_token(
            client, "refresh_token", refresh_token=tokens["refresh_token"]
        )
        again = client.get("/api/v1/users", headers=bearer(fresh["access_token"]))

    assert stale.status_code == 401
    assert stale.json()["error"] == "invalid_token"
    assert again.status_code == 200
    assert again.json()["id"] == "bob"
    assert emu.stats.expired_token_requests == 1


def test_revoked_token_is_rejected(
    client: httpx.Client, client_token: str, user: dict[str, str]
) -> None:
    """After /oauth/revoke the user's access token and its refresh token stop working."""
    revoked = client.post(
        "/oauth/revoke",
        params={"token": user["refresh_token"], "token_type_hint": "refresh_token"},
        headers=bearer(client_token),
    )
    used = client.get("/api/v1/users", headers=bearer(user["access_token"]))
    refreshed = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": user["refresh_token"],
        },
    )

    assert revoked.status_code == 200
    assert used.status_code == 401
    assert used.json()["error"] == "invalid_token"
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"


def test_expired_refresh_token_is_a_400_invalid_grant() -> None:
    """A refresh token past its lifetime answers 400 invalid_grant, not 401."""
    with Emulator(refresh_token_lifetime=0.2) as emu, emu.client() as client:
        client.post(
            "/api/v1/users",
            json={"id": "rita", "password": "rita-secret"},
            headers=bearer(get_token(client)["access_token"]),
        )
        tokens = get_token(client, "password", username="rita", password="rita-secret")
        time.sleep(0.4)
        refreshed = client.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "refresh_token": tokens["refresh_token"],
            },
        )

    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"


def test_revoke_needs_the_clients_token(
    client: httpx.Client, client_token: str, user: dict[str, str]
) -> None:
    """A user's token cannot revoke (403, Access error shape); the token stays valid."""
    refused = client.post(
        "/oauth/revoke",
        params={"token": user["access_token"], "token_type_hint": "access_token"},
        headers=bearer(user["access_token"]),
    )
    still = client.get("/api/v1/users", headers=bearer(user["access_token"]))
    revoked = client.post(
        "/oauth/revoke",
        params={"token": user["access_token"], "token_type_hint": "access_token"},
        headers=bearer(client_token),
    )
    after = client.get("/api/v1/users", headers=bearer(user["access_token"]))

    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "FORBIDDEN"
    assert still.status_code == 200
    assert revoked.status_code == 200
    assert after.status_code == 401


def test_stats_count_token_requests_per_grant_and_principal(
    emu: Emulator, client: httpx.Client, user: dict[str, str]
) -> None:
    """The token endpoint counts each request by grant type and principal; reset() zeroes."""
    assert emu.stats.token_requests[("client_credentials", DEMO_CLIENT_ID)] == 1
    assert emu.stats.token_requests[("password", "alice")] == 1
    assert emu.stats.token_requests_for("password") == 1

    emu.stats.reset()

    assert emu.stats.token_requests_for() == 0


def test_expire_and_revoke_all_tokens(
    emu: Emulator, client: httpx.Client, user: dict[str, str]
) -> None:
    """Faults can expire every access token, or revoke every token, at once."""
    emu.faults.expire_all_tokens()
    expired = client.get("/api/v1/users", headers=bearer(user["access_token"]))
    refreshed = get_token(client, "refresh_token", refresh_token=user["refresh_token"])
    emu.faults.revoke_all_tokens()
    revoked = client.get("/api/v1/users", headers=bearer(refreshed["access_token"]))

    assert expired.status_code == 401
    assert revoked.status_code == 401
    assert emu.stats.expired_token_requests == 1
    assert emu.stats.revoked_token_requests == 1


def test_revoke_on_every_call_fails_the_retry_too(
    emu: Emulator, client: httpx.Client, user: dict[str, str]
) -> None:
    """In revoke-on-every-call mode a fresh token fails as well, so a retry gets 401 again."""
    emu.faults.revoke_on_every_call(True)
    first = client.get("/api/v1/users", headers=bearer(user["access_token"]))
    fresh = get_token(client, "refresh_token", refresh_token=user["refresh_token"])
    second = client.get("/api/v1/users", headers=bearer(fresh["access_token"]))
    emu.faults.revoke_on_every_call(False)
    third_token = get_token(
        client, "refresh_token", refresh_token=user["refresh_token"]
    )
    third = client.get("/api/v1/users", headers=bearer(third_token["access_token"]))

    assert (first.status_code, second.status_code, third.status_code) == (401, 401, 200)


def test_fault_errors_and_drops_are_injected_per_prefix(
    emu: Emulator, client: httpx.Client
) -> None:
    """An error rate of 1 answers 5xx under its prefix only; a drop rate of 1 drops."""
    emu.faults.set("/api/v1/banks", error_rate=1.0, statuses=(503,))
    emu.faults.set("/api/v1/accounts", drop_rate=1.0)

    errored = client.get("/api/v1/banks")
    untouched = client.get("/api/v1/users")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/api/v1/accounts")

    assert errored.status_code == 503
    assert errored.json()["errors"][0]["code"] == "UNEXPECTED_ERROR"
    assert untouched.status_code == 401


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    """X-Request-Id comes back as sent, or generated when absent; over 255 chars is a 400."""
    echoed = client.get("/api/v1/users", headers={"X-Request-Id": "req-42"})
    generated = client.get("/api/v1/users")
    too_long = client.get("/api/v1/banks", headers={"X-Request-Id": "x" * 256})

    assert echoed.headers["x-request-id"] == "req-42"
    assert len(generated.headers["x-request-id"]) >= 16
    assert too_long.status_code == 400


def test_unimplemented_operation_answers_501_naming_it(client: httpx.Client) -> None:
    """An operation without a handler answers 501 in the Access error shape."""
    response = client.post("/api/v1/payments/submit", json={})

    assert response.status_code == 501
    assert "submitPayment" in response.json()["errors"][0]["message"]
