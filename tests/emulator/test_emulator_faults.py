"""Fault injection: latency per prefix, a share of server errors, nested prefixes."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest

from finapi.emulator import Emulator

LATENCY = 0.4


def _timed_get(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    client.get(path)
    return time.perf_counter() - started


def test_latency_is_added_under_its_prefix_only(
    emu: Emulator, client: httpx.Client
) -> None:
    """A latency rule delays requests under its prefix; other paths answer at once."""
    emu.faults.set("/api/v1/banks", latency=LATENCY)

    delayed = _timed_get(client, "/api/v1/banks")
    other = _timed_get(client, "/api/v1/users")

    assert delayed >= LATENCY
    assert other < LATENCY / 2
    assert emu.stats.faults_injected == 0


def test_an_error_rate_below_one_gives_a_share_of_server_errors() -> None:
    """With error_rate 0.3 about 30 % of 200 seeded calls answer 500, 502 or 503."""
    calls, rate = 200, 0.3
    with Emulator(seed=11) as emu, emu.client() as client:
        emu.faults.set("/api/v1/users", error_rate=rate)
        statuses = Counter(
            client.get("/api/v1/users").status_code for _ in range(calls)
        )
    faulted = {s: n for s, n in statuses.items() if s >= 500}
    share = sum(faulted.values()) / calls

    assert abs(share - rate) <= 0.1, statuses
    assert set(faulted) <= {500, 502, 503}
    assert len(faulted) > 1
    assert set(statuses) - set(faulted) == {401}
    assert emu.stats.faults_injected == sum(faulted.values())


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/users", 503),
        ("/api/v1/banks", 401),
        ("/api/v1/banks/280001", 502),
        ("/oauth/token", 400),
    ],
)
def test_the_longest_matching_prefix_wins(
    emu: Emulator, client: httpx.Client, path: str, status: int
) -> None:
    """Nested rules: /api/v1 always 503, /api/v1/banks none, /api/v1/banks/ always 502."""
    emu.faults.set("/api/v1", error_rate=1.0, statuses=(503,))
    emu.faults.set("/api/v1/banks")
    emu.faults.set("/api/v1/banks/", error_rate=1.0, statuses=(502,))

    method = "POST" if path == "/oauth/token" else "GET"
    response = client.request(method, path)

    assert response.status_code == status
    assert (response.headers.get("x-emulator-fault") == "error") == (status >= 500)
