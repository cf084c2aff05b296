"""The control API under /__emulator: faults, tokens, stats and reset over HTTP."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from finapi.emulator import (
    CONTROL_PREFIX,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Emulator,
    SpecError,
)
from finapi.emulator import __main__ as emulator_cli
from finapi.emulator._spec import packaged_spec
from finapi.emulator.testing import SpecChecker, bearer, get_token


def _new_user(client: httpx.Client, client_token: str) -> str:
    created = client.post("/api/v1/users", json={}, headers=bearer(client_token))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_the_prefix_is_no_finapi_path() -> None:
    """No path of either packaged spec lies under the control prefix."""
    paths = [
        *packaged_spec("finapi_access")["paths"],
        *("/webform" + p for p in packaged_spec("finapi_webform")["paths"]),
    ]

    assert CONTROL_PREFIX == "/__emulator"
    assert not [p for p in paths if p.startswith(CONTROL_PREFIX)]


def test_stats_show_the_counters_and_no_token(
    client: httpx.Client, user: dict[str, str]
) -> None:
    """GET stats answers token requests, 401s and per-operation counts, never a token."""
    client.get("/api/v1/users", headers=bearer(user["access_token"]))
    client.get("/api/v1/users", headers=bearer("not-a-token"))

    response = client.get(f"{CONTROL_PREFIX}/stats")

    assert response.status_code == 200
    stats = response.json()
    assert {"grant_type": "password", "principal": "alice", "count": 1} in stats[
        "token_requests"
    ]
    assert stats["unauthorized"] == 1
    assert stats["expired_token_requests"] == 0
    assert stats["revoked_token_requests"] == 0
    assert stats["faults_injected"] == 0
    assert stats["requests"]["getAuthorizedUser"] == 2
    assert user["access_token"] not in response.text
    assert user["refresh_token"] not in response.text
    assert user["password"] not in response.text


def test_post_faults_sets_a_rule_and_delete_clears_it(
    emu: Emulator, client: httpx.Client, client_token: str
) -> None:
    """A posted rule is the one emu.faults.set makes; DELETE clears every rule."""
    rule = {
        "prefix": "/api/v1/banks",
        "error_rate": 1,
        "statuses": [503],
        "latency": 0,
        "drop_rate": 0,
    }

    posted = client.post(f"{CONTROL_PREFIX}/faults", json=rule)
    faulty = client.get("/api/v1/banks", headers=bearer(client_token))
    listed = client.get(f"{CONTROL_PREFIX}/faults")
    cleared = client.delete(f"{CONTROL_PREFIX}/faults")
    healthy = client.get("/api/v1/banks", headers=bearer(client_token))

    assert posted.status_code == 200
    assert posted.json()["rules"] == [{**rule, "error_rate": 1.0, "latency": 0.0}]
    assert listed.json() == posted.json()
    assert faulty.status_code == 503
    assert emu.stats.faults_injected == 1
    assert cleared.json() == {"rules": [], "revoke_on_every_call": False}
    assert emu.faults.rules == []
    assert healthy.status_code == 200


def test_faults_on_every_path_spare_the_control_api(
    emu: Emulator, client: httpx.Client
) -> None:
    """A rule on "/" breaks finAPI's paths but can still be lifted over HTTP."""
    client.post(f"{CONTROL_PREFIX}/faults", json={"prefix": "/", "error_rate": 1.0})

    stats = client.get(f"{CONTROL_PREFIX}/stats")
    cleared = client.delete(f"{CONTROL_PREFIX}/faults")

    assert stats.status_code == 200
    assert cleared.status_code == 200
    assert emu.faults.rules == []
    assert emu.stats.faults_injected == 0


def test_revoke_all_revokes_the_tokens_in_use(
    client: httpx.Client, user: dict[str, str]
) -> None:
    """After revoke-all a working token answers 401 invalid_token."""
    headers = bearer(user["access_token"])
    before = client.get("/api/v1/users", headers=headers)

    revoked = client.post(f"{CONTROL_PREFIX}/tokens/revoke-all")
    after = client.get("/api/v1/users", headers=headers)

    assert before.status_code == 200
    assert revoked.status_code == 200
    assert (
        revoked.json()["revoked"] >= 2
    )  # at least the user's access and refresh token
    assert after.status_code == 401
    assert after.json()["error"] == "invalid_token"


def test_expire_all_expires_access_tokens_only(
    emu: Emulator, client: httpx.Client, user: dict[str, str]
) -> None:
    """After expire-all the access token is expired and the refresh token still works."""
    expired = client.post(f"{CONTROL_PREFIX}/tokens/expire-all")
    after = client.get("/api/v1/users", headers=bearer(user["access_token"]))
    refreshed = get_token(client, "refresh_token", refresh_token=user["refresh_token"])

    assert expired.status_code == 200
    assert expired.json()["expired"] >= 1
    assert after.status_code == 401
    assert emu.stats.expired_token_requests == 1
    assert refreshed["access_token"]


def test_revoke_on_every_call_switches_on_and_off(
    client: httpx.Client, client_token: str
) -> None:
    """With the mode on each authorised call revokes its token; off, tokens work again."""
    on = client.post(
        f"{CONTROL_PREFIX}/tokens/revoke-on-every-call", json={"enabled": True}
    )
    first = client.get("/api/v1/banks", headers=bearer(client_token))
    off = client.post(
        f"{CONTROL_PREFIX}/tokens/revoke-on-every-call", json={"enabled": False}
    )
    fresh = get_token(client)["access_token"]
    later = client.get("/api/v1/banks", headers=bearer(fresh))

    assert on.json() == {"enabled": True}
    assert first.status_code == 401
    assert off.json() == {"enabled": False}
    assert later.status_code == 200


def test_reset_gives_the_state_of_a_fresh_emulator(
    emu: Emulator, client: httpx.Client, user: dict[str, str], client_token: str
) -> None:
    """After reset users, tokens, stats and faults are gone and ids start over."""
    client.post(f"{CONTROL_PREFIX}/faults", json={"prefix": "/nowhere", "latency": 1})
    client.post(f"{CONTROL_PREFIX}/tokens/revoke-on-every-call", json={})

    reset = client.post(f"{CONTROL_PREFIX}/reset")

    assert reset.status_code == 200
    assert client.get(f"{CONTROL_PREFIX}/stats").json() == {
        "token_requests": [],
        "unauthorized": 0,
        "expired_token_requests": 0,
        "revoked_token_requests": 0,
        "faults_injected": 0,
        "requests": {},
    }
    assert client.get(f"{CONTROL_PREFIX}/faults").json() == {
        "rules": [],
        "revoke_on_every_call": False,
    }
    gone = client.get("/api/v1/users", headers=bearer(user["access_token"]))
    assert gone.status_code == 401
    login = client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "username": user["id"],
            "password": user["password"],
        },
    )
    assert login.json()["error"] == "invalid_grant"
    token = get_token(client)["access_token"]
    banks = client.get("/api/v1/banks", headers=bearer(token))
    assert banks.status_code == 200
    assert banks.json()["banks"]
    with Emulator() as fresh, fresh.client() as fresh_client:
        fresh_token = get_token(fresh_client)["access_token"]
        expected = _new_user(fresh_client, fresh_token)
    assert _new_user(client, token) == expected


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("faults", {"prefix": "/", "rate": 0.5}, "'rate'"),
        ("faults", {"error_rate": 1.5}, "error_rate"),
        ("faults", {"error_rate": -0.1}, "error_rate"),
        ("faults", {"error_rate": "half"}, "error_rate"),
        ("faults", {"error_rate": True}, "error_rate"),
        ("faults", {"drop_rate": 2}, "drop_rate"),
        ("faults", {"latency": -1}, "latency"),
        ("faults", {"latency": "slow"}, "latency"),
        ("faults", {"statuses": 503}, "statuses"),
        ("faults", {"statuses": ["503"]}, "statuses"),
        ("faults", {"statuses": [404]}, "statuses"),
        ("faults", {"statuses": []}, "statuses"),
        ("faults", {"prefix": 5}, "prefix"),
        ("faults", {"prefix": "api"}, "prefix"),
        ("faults", [{"prefix": "/"}], "JSON object"),
        ("tokens/revoke-on-every-call", {"enabled": "yes"}, "enabled"),
        ("tokens/revoke-on-every-call", {"on": True}, "'on'"),
        ("tokens/revoke-all", {"user": "alice"}, "'user'"),
        ("reset", {"keep": "users"}, "'keep'"),
    ],
)
def test_bad_input_answers_400_naming_the_problem(
    emu: Emulator, client: httpx.Client, path: str, body: Any, named: str
) -> None:
    """Unknown fields, wrong types and out-of-range values answer 400 and change nothing."""
    response = client.post(f"{CONTROL_PREFIX}/{path}", json=body)

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert named in response.json()["message"]
    assert emu.faults.rules == []
    assert not emu.faults.revoking_every_call


@pytest.mark.parametrize("raw", [b"{", b"{'prefix': '/'}", b'{"latency": NaN}'])
def test_malformed_json_answers_400(client: httpx.Client, raw: bytes) -> None:
    """A body that is not strict JSON answers 400 saying so."""
    response = client.post(
        f"{CONTROL_PREFIX}/faults",
        content=raw,
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


def test_unknown_control_path_and_wrong_method(client: httpx.Client) -> None:
    """An unknown path under the prefix answers 404, a wrong method 405 with Allow."""
    unknown = client.get(f"{CONTROL_PREFIX}/nothing")
    wrong = client.get(f"{CONTROL_PREFIX}/reset")

    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert wrong.json()["error"] == "method_not_allowed"


def test_switched_off_the_prefix_is_an_unknown_path() -> None:
    """With control_api=False the prefix answers 404 like any path finAPI lacks."""
    with Emulator(control_api=False) as emu, emu.client() as client:
        control = client.post(f"{CONTROL_PREFIX}/tokens/revoke-all")
        other = client.post("/no/such/path")

    assert control.status_code == other.status_code == 404
    assert control.json()["errors"][0]["code"] == other.json()["errors"][0]["code"]


def test_the_cli_flag_switches_it_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--no-control-api builds the emulator with control_api=False; --coverage is unchanged."""
    built: list[Emulator] = []

    class Recorded(Emulator):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            built.append(self)

    monkeypatch.setattr(emulator_cli, "Emulator", Recorded)

    assert emulator_cli.main(["--coverage"]) == 0
    with_api = capsys.readouterr().out
    assert emulator_cli.main(["--coverage", "--no-control-api"]) == 0
    without_api = capsys.readouterr().out

    assert [e.control_api for e in built] == [True, False]
    assert with_api == without_api
    assert CONTROL_PREFIX not in with_api


def test_spec_checker_ignores_control_routes(
    emu: Emulator, client: httpx.Client
) -> None:
    """Control exchanges are neither validated nor counted as checked operations."""
    checker = SpecChecker()
    response = client.post(f"{CONTROL_PREFIX}/reset")
    request = ("POST", f"{CONTROL_PREFIX}/reset", "", [], b"")
    answer = (response.status_code, response.headers.raw, response.content)

    found = checker.check(emu, request, answer)

    assert found == []
    assert checker.calls == 0
    assert checker.checked_operations == set()


def test_a_spec_path_under_the_prefix_is_refused() -> None:
    """A served spec with a path under the prefix needs control_api=False."""
    spec = copy.deepcopy(packaged_spec("finapi_access"))
    spec["paths"][f"{CONTROL_PREFIX}/stats"] = {
        "get": {"operationId": "clash", "responses": {"200": {"description": "ok"}}}
    }

    with pytest.raises(SpecError, match="control_api=False"):
        Emulator(access_spec=spec)
    with Emulator(access_spec=spec, control_api=False) as emu:
        assert not emu.control_api


def test_revoke_all_over_a_real_socket(emu: Emulator) -> None:
    """A suite driving a served emulator revokes tokens now and reads the 401 in stats."""
    with (
        emu.serve(host="127.0.0.1", port=0) as url,
        httpx.Client(base_url=url) as http,
    ):
        client_token = get_token(http)["access_token"]
        http.post(
            "/api/v1/users",
            json={"id": "bob", "password": "bob-secret"},
            headers=bearer(client_token),
        )
        token = get_token(http, "password", username="bob", password="bob-secret")
        headers = bearer(token["access_token"])
        works = http.get("/api/v1/users", headers=headers)

        revoked = http.post(f"{CONTROL_PREFIX}/tokens/revoke-all")
        refused = http.get("/api/v1/users", headers=headers)
        stats = http.get(f"{CONTROL_PREFIX}/stats").json()

    assert works.status_code == 200
    assert revoked.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"
    assert stats["unauthorized"] == 1
    assert stats["revoked_token_requests"] == 1
