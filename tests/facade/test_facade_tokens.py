"""Acceptance 2 to 4: expiry, refresh fallback, single flight, 401 retry."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest
from facade_support import CAPTURE, emulator, make_afin, make_fin

import finapi
from finapi.emulator import DEMO_CLIENT_ID, Emulator

pytestmark = pytest.mark.anyio

#: The token endpoint of the pinned Access spec.
TOKEN_PATH = "/oauth/token"


def _token_lines(since: int, reason: str) -> list[str]:
    return [
        t for t in CAPTURE.texts[since:] if " token " in t and f"reason={reason}" in t
    ]


def test_two_second_tokens_over_ten_seconds_never_go_out_expired() -> None:
    """A 10 s loop of client and user calls with 2 s tokens: no 401, no expired use.

    Each round lists the user's accounts with the user token and searches the
    banks with the client token, so both tiers send requests on every round.
    """
    from finapi_access.api.banks import get_and_search_all_banks

    first_log = len(CAPTURE.texts)
    with emulator(token_lifetime=2, seed=0) as emu, make_fin(emu) as fin:
        new = fin.users.create()
        session = fin.user(new.id, new.password)
        calls = 0
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            list(session.accounts())
            banks = get_and_search_all_banks.sync(client=fin.access, per_page=1)
            calls += 1
            time.sleep(0.02)
        stats = emu.stats

    refreshes = _token_lines(first_log, "expired")
    assert calls > 100
    assert banks is not None
    assert banks.banks
    assert stats.requests["getAndSearchAllBanks"] == calls
    assert stats.requests["getAndSearchAllAccounts"] == calls
    assert stats.unauthorized == 0
    assert stats.expired_token_requests == 0
    assert stats.token_requests_for("refresh_token", new.id) >= 4
    assert stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) >= 4
    assert any("grant=refresh_token" in line for line in refreshes)
    assert any("grant=client_credentials" in line for line in refreshes)


async def test_two_second_tokens_async_loop_never_goes_out_expired() -> None:
    """The same with AsyncFinAPI over 4 s."""
    with emulator(token_lifetime=2) as emu:
        async with make_afin(emu) as fin:
            new = await fin.users.create()
            session = fin.user(new.id, new.password)
            deadline = time.monotonic() + 4.0
            while time.monotonic() < deadline:
                [a async for a in session.accounts()]
                await asyncio.sleep(0.02)

    assert emu.stats.unauthorized == 0
    assert emu.stats.expired_token_requests == 0
    assert emu.stats.token_requests_for("refresh_token", new.id) >= 2


def test_rejected_refresh_token_falls_back_to_the_password_grant() -> None:
    """When the refresh token has died too, the password grant gets a new token."""
    first_log = len(CAPTURE.texts)
    with (
        emulator(token_lifetime=1, refresh_token_lifetime=1, seed=0) as emu,
        make_fin(emu) as fin,
    ):
        new = fin.users.create()
        session = fin.user(new.id, new.password)
        list(session.accounts())
        time.sleep(1.1)
        list(session.accounts())

    lines = [t for t in CAPTURE.texts[first_log:] if "event=refresh_token_refused" in t]
    assert emu.stats.token_requests_for("refresh_token", new.id) == 1
    assert emu.stats.token_requests_for("password", new.id) == 2
    assert emu.stats.unauthorized == 0
    assert lines
    assert "fallback=password" in lines[0]


def test_without_a_password_a_dead_session_asks_for_reauthentication(
    emu: Emulator, audit
) -> None:
    """No stored token and no password: a clear ReauthenticationRequired."""
    with make_fin(emu) as fin:
        new = fin.users.create()
        session = fin.user(new.id)

        with audit.raises(finapi.ReauthenticationRequired) as info:
            list(session.accounts())

    assert new.id in str(info.value)
    assert "password" in str(info.value)
    assert isinstance(info.value, finapi.AuthenticationError)
    assert info.value.endpoint == "GET /api/v1/accounts"
    assert re.fullmatch(r"[0-9a-f]{32}", info.value.request_id or "")


def test_reauthentication_required_carries_the_callers_request_id(
    emu: Emulator, audit
) -> None:
    """The id and endpoint on the error are those of the request that needed a token."""
    from finapi_access.api.accounts import get_and_search_all_accounts

    with make_fin(emu) as fin:
        new = fin.users.create()
        session = fin.user(new.id)

        with audit.raises(finapi.ReauthenticationRequired) as info:
            get_and_search_all_accounts.sync(
                client=session.access, x_request_id="caller-reauth-1"
            )

    assert info.value.request_id == "caller-reauth-1"
    assert info.value.endpoint == "GET /api/v1/accounts"
    assert "request_id=caller-reauth-1" in str(info.value)


def test_a_shared_store_serves_sessions_without_password_until_revoked(
    emu: Emulator, audit
) -> None:
    """A second facade finds the user's token in the shared store; after revocation it cannot log in."""
    store = finapi.MemoryTokenStore()
    with (
        make_fin(emu, token_store=store) as first,
        make_fin(emu, token_store=store) as second,
    ):
        new = first.users.create()
        original = first.user(new.id, new.password).token()
        borrowed = second.user(new.id)
        accounts = list(borrowed.accounts())
        shared = borrowed.token()
        emu.faults.revoke_all_tokens()
        first_log = len(CAPTURE.texts)

        with audit.raises(finapi.ReauthenticationRequired) as info:
            list(borrowed.accounts())

    refused = [
        line
        for line in CAPTURE.texts[first_log:]
        if "path=/api/v1/accounts status=401" in line
    ]
    assert len(refused) == 1
    assert f"request_id={info.value.request_id} " in refused[0]
    assert info.value.endpoint == "GET /api/v1/accounts"
    assert accounts == []
    assert shared.access_token == original.access_token
    assert emu.stats.token_requests_for("password", new.id) == 1
    assert emu.stats.token_requests_for("refresh_token", new.id) == 1


def _wait_until_stale(token: finapi.Token) -> None:
    time.sleep(max(token.refresh_at - time.monotonic(), 0) + 0.01)


async def test_single_flight_200_tasks_one_token_request_per_principal() -> None:
    """200 tasks start at the moment of expiry: one token request per principal.

    The token endpoint answers after 50 ms, so every task reaches the stale
    token while the first renewal is still in flight (without the locks, each
    task would send its own).
    """
    with emulator(token_lifetime=2, seed=0) as emu:
        async with make_afin(emu) as fin:
            new = await fin.users.create()
            session = fin.user(new.id, new.password)
            user_token = await session.token()
            client_token = await fin.client_token()
            _wait_until_stale(max(user_token, client_token, key=lambda t: t.refresh_at))
            emu.stats.reset()
            emu.faults.set(TOKEN_PATH, latency=0.05)

            async def call(n: int) -> None:
                if n % 2:
                    [a async for a in session.accounts()]
                else:
                    await fin.client_token()
                    await fin.users.create()

            await asyncio.gather(*(call(n) for n in range(200)))
            stats = emu.stats

    assert stats.token_requests_for("refresh_token", new.id) == 1
    assert stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) == 1
    assert stats.token_requests_for("password") == 0
    assert stats.unauthorized == 0


def test_single_flight_32_threads_one_token_request_per_principal() -> None:
    """32 threads start at the moment of expiry: one token request per principal.

    The token endpoint answers after 50 ms, so the threads overlap the renewal.
    """
    with emulator(token_lifetime=2, seed=0) as emu, make_fin(emu) as fin:
        new = fin.users.create()
        session = fin.user(new.id, new.password)
        user_token = session.token()
        client_token = fin.client_token()
        _wait_until_stale(max(user_token, client_token, key=lambda t: t.refresh_at))
        emu.stats.reset()
        emu.faults.set(TOKEN_PATH, latency=0.05)
        barrier = threading.Barrier(32)
        errors: list[BaseException] = []

        def call(n: int) -> None:
            barrier.wait()
            try:
                if n % 2:
                    list(session.accounts())
                else:
                    fin.users.create()
            except BaseException as exc:  # noqa: BLE001  (reported below)
                errors.append(exc)

        threads = [threading.Thread(target=call, args=(n,)) for n in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stats = emu.stats

    assert errors == []
    assert stats.token_requests_for("refresh_token", new.id) == 1
    assert stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) == 1
    assert stats.token_requests_for("password") == 0


def test_a_401_after_revocation_is_retried_once_and_succeeds(emu: Emulator) -> None:
    """Revoked tokens: each tier's next call gets one 401, renews, and succeeds."""
    with make_fin(emu) as fin:
        new = fin.users.create()
        session = fin.user(new.id, new.password)
        list(session.accounts())
        emu.faults.revoke_all_tokens()
        emu.stats.reset()

        accounts = list(session.accounts())
        fin.users.create()

    assert accounts == []
    assert emu.stats.unauthorized == 2
    assert emu.stats.token_requests_for("password", new.id) == 1
    assert emu.stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) == 1


def test_revoking_every_call_fails_after_exactly_two_attempts(
    emu: Emulator, audit
) -> None:
    """With every token revoked on use, the caller gets an AuthenticationError after two tries."""
    with make_fin(emu) as fin:
        new = fin.users.create()
        session = fin.user(new.id, new.password)
        list(session.accounts())
        emu.faults.revoke_on_every_call(True)
        emu.stats.reset()

        with audit.raises(finapi.AuthenticationError) as info:
            list(session.accounts())
        emu.faults.revoke_on_every_call(False)

    assert info.value.status == 401
    assert info.value.request_id
    assert emu.stats.unauthorized == 2
    assert emu.stats.requests["getAndSearchAllAccounts"] == 2


async def test_revoking_every_call_async_fails_after_exactly_two_attempts(
    emu: Emulator, audit
) -> None:
    """The async twin of the previous test."""
    async with make_afin(emu) as fin:
        new = await fin.users.create()
        session = fin.user(new.id, new.password)
        await session.token()
        emu.faults.revoke_on_every_call(True)
        emu.stats.reset()

        with audit.raises(finapi.AuthenticationError):
            [a async for a in session.accounts()]
        emu.faults.revoke_on_every_call(False)

    assert emu.stats.unauthorized == 2
    assert emu.stats.requests["getAndSearchAllAccounts"] == 2
