"""The Redis token store against a real redis-server, and the fleet single flight."""

from __future__ import annotations

import multiprocessing
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from facade_support import emulator, make_afin, make_fin
from needs import missing

import finapi
from finapi._config import longest_token_request
from finapi.emulator import DEMO_CLIENT_ID

pytestmark = pytest.mark.anyio

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free loopback port, stopped afterwards."""
    if not Path(REDIS_SERVER).exists():
        missing("redis-server is not installed (apt-get install redis-server)")
    import redis

    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            pytest.fail("redis-server did not start")
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def store(redis_url: str) -> Iterator[finapi.RedisTokenStore]:
    """A Redis store on an emptied database."""
    store = finapi.RedisTokenStore(redis_url)
    store._redis.flushdb()
    yield store
    store.close()


def test_import_finapi_does_not_import_redis() -> None:
    """Redis is imported when a store is created, not by `import finapi`."""
    code = "import sys, finapi; print('redis' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "False"


def test_store_round_trip_keeps_secrets_and_remaining_lifetime(
    store: finapi.RedisTokenStore,
) -> None:
    """A token comes back equal in its secrets and within 1 s of its lifetime."""
    now = time.monotonic()
    token = finapi.Token(
        access_token="A" * 20,
        expires_at=now + 100,
        refresh_at=now + 90,
        refresh_token="R" * 20,
        scope="all",
    )
    store.set("client:x", token)

    back = store.get("client:x")
    raw = store._redis.get("finapi:token:client:x")

    assert back is not None
    assert (back.access_token, back.refresh_token, back.scope) == (
        token.access_token,
        token.refresh_token,
        "all",
    )
    assert abs(back.expires_at - token.expires_at) < 1.0
    assert abs(back.refresh_at - token.refresh_at) < 1.0
    assert store._redis.pttl("finapi:token:client:x") > 100_000  # kept for the refresh
    assert b"secret" not in raw
    assert "A" * 20 not in repr(store)


def test_store_delete_and_missing(store: finapi.RedisTokenStore) -> None:
    """Deleted or never stored keys read as None; junk values read as None."""
    store._redis.set("finapi:token:junk", b"not json")

    assert store.get("nothing") is None
    assert store.get("junk") is None


def test_facade_on_redis_shares_tokens_between_facades(
    redis_url: str, store: finapi.RedisTokenStore
) -> None:
    """Two facades on one Redis: the second uses the first's client and user tokens."""
    with emulator(token_lifetime=60, seed=0) as emu:
        other = finapi.RedisTokenStore(redis_url)
        with (
            make_fin(emu, token_store=store) as one,
            make_fin(emu, token_store=other) as two,
        ):
            new = one.users.create()
            one.user(new.id, new.password).token()
            two.users.create()
            list(two.user(new.id).accounts())
        other.close()

    assert emu.stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) == 1
    assert emu.stats.token_requests_for("password", new.id) == 1


async def test_async_redis_store_single_flight(redis_url: str) -> None:
    """Two facades x 50 tasks on one AsyncRedisTokenStore: one client token request.

    Each facade has its own in-process lock, and the token endpoint answers after
    50 ms, so both find the store empty at once: only the Redis lock keeps the
    second facade from sending a token request of its own.
    """
    import asyncio

    store = finapi.AsyncRedisTokenStore(redis_url, prefix="finapi-async:")
    with emulator(token_lifetime=60, seed=0) as emu:
        emu.faults.set("/oauth/token", latency=0.05)
        async with (
            make_afin(emu, token_store=store) as one,
            make_afin(emu, token_store=store) as two,
        ):
            await asyncio.gather(
                *(fin.users.create() for fin in (one, two) for _ in range(50))
            )
    await store.aclose()

    assert emu.stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) == 1
    assert emu.stats.requests["createUser"] == 100


def test_fleet_of_4_processes_x_16_threads_makes_one_client_token_request(
    store: finapi.RedisTokenStore,
) -> None:
    """4 processes x 16 threads sharing Redis: exactly one client token request.

    The token endpoint answers after 0.3 s, so every process finds the store
    empty while the first token request is in flight: only the Redis lock keeps
    the other three from sending their own.
    """
    from concurrent.futures import ProcessPoolExecutor

    import redis_fleet_worker

    context = multiprocessing.get_context("spawn")
    with emulator(token_lifetime=60, seed=0) as emu, emu.serve() as base_url:
        emu.faults.set("/oauth/token", latency=0.3)
        manager = context.Manager()
        start = manager.Event()
        url = str(store._redis.connection_pool.connection_kwargs.get("port"))
        redis_url = f"redis://127.0.0.1:{url}/0"
        with ProcessPoolExecutor(4, mp_context=context) as pool:
            futures = [
                pool.submit(redis_fleet_worker.run, redis_url, base_url, 16, start)
                for _ in range(4)
            ]
            time.sleep(0.5)
            start.set()
            results = [future.result(timeout=120) for future in futures]
        manager.shutdown()
        stats = emu.stats

    used = {token for result in results for token in result}
    assert all(len(result) == 16 for result in results), results
    assert stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) == 1
    assert len(used) == 1
    assert stats.requests["createUser"] == 64


CLIENT_LOCK = f"lock:client:{DEMO_CLIENT_ID}"


def test_default_lock_outlasts_the_longest_token_request(
    store: finapi.RedisTokenStore,
) -> None:
    """By default a lock lives longer than a token request with all its retries.

    The bound comes from the default retry policy and timeout, so it moves with
    them; Redis shows it as the lock key's time to live.
    """
    policy, timeout = finapi.RetryPolicy(), finapi.DEFAULT_TIMEOUT
    with store.lock("client:x"):
        ttl = store._redis.pttl("finapi:lock:client:x") / 1000

    assert ttl > policy.timeout + (timeout.read or 0.0)
    assert abs(ttl - longest_token_request(policy, timeout)) < 1.0
    assert store.lock_timeout == finapi.DEFAULT_LOCK_TIMEOUT
    assert longest_token_request(policy, timeout) == finapi.DEFAULT_LOCK_TIMEOUT


def test_a_lock_held_elsewhere_is_a_token_store_lock_error(
    redis_url: str, store: finapi.RedisTokenStore, audit
) -> None:
    """A lock another process holds past lock_wait raises TokenStoreLockError.

    The error names the request that needed the token.
    """
    store._redis.set("finapi:" + CLIENT_LOCK, b"another-process", px=10_000)
    waiting = finapi.RedisTokenStore(redis_url, lock_wait=0.2)
    with emulator(token_lifetime=60, seed=0) as emu:
        with make_fin(emu, token_store=waiting) as fin:
            started = time.monotonic()
            with audit.raises(finapi.TokenStoreLockError) as info:
                fin.users.create()
            waited = time.monotonic() - started
        stats = emu.stats
    waiting.close()

    assert isinstance(info.value, finapi.FinAPIError)
    assert info.value.key == f"client:{DEMO_CLIENT_ID}"
    assert info.value.endpoint == "POST /api/v1/users"
    assert re.fullmatch(r"[0-9a-f]{32}", info.value.request_id or "")
    assert "not free within 0.2 s" in str(info.value)
    assert 0.15 <= waited < 2.0
    assert stats.token_requests_for("client_credentials") == 0


def test_a_lock_that_expires_during_the_token_request_is_an_error(
    redis_url: str, store: finapi.RedisTokenStore, audit
) -> None:
    """A token request outliving lock_timeout ends in TokenStoreLockError.

    redis-py's LockNotOwnedError is its cause; the facade warns at construction
    that the store's lock timeout is shorter than its longest token request.
    """
    import redis.exceptions
    from facade_support import CAPTURE

    short = finapi.RedisTokenStore(redis_url, lock_timeout=0.2)
    first_log = len(CAPTURE.texts)
    with emulator(token_lifetime=60, seed=0) as emu:
        emu.faults.set("/oauth/token", latency=0.5)
        with (
            make_fin(emu, token_store=short) as fin,
            audit.raises(finapi.TokenStoreLockError) as info,
        ):
            fin.client_token()
    short.close()
    warnings = [t for t in CAPTURE.texts[first_log:] if "too_short" in t]

    assert "expired after 0.2 s" in str(info.value)
    assert isinstance(info.value.__cause__, redis.exceptions.LockNotOwnedError)
    assert len(warnings) == 1
    assert "lock_timeout=0.2" in warnings[0]


async def test_async_lock_failures_are_token_store_lock_errors(
    redis_url: str, audit
) -> None:
    """The async store raises TokenStoreLockError for both lock failures."""
    import redis.exceptions

    held = finapi.AsyncRedisTokenStore(redis_url, prefix="held:", lock_wait=0.2)
    await held._redis.set("held:" + CLIENT_LOCK, b"another-process", px=10_000)
    short = finapi.AsyncRedisTokenStore(redis_url, prefix="short:", lock_timeout=0.2)
    with emulator(token_lifetime=60, seed=0) as emu:
        async with make_afin(emu, token_store=held) as fin:
            with audit.raises(finapi.TokenStoreLockError) as taken:
                await fin.client_token()
        emu.faults.set("/oauth/token", latency=0.5)
        async with make_afin(emu, token_store=short) as fin:
            with audit.raises(finapi.TokenStoreLockError) as expired:
                await fin.client_token()
    await held.aclose()
    await short.aclose()

    assert "not free within 0.2 s" in str(taken.value)
    assert "expired after 0.2 s" in str(expired.value)
    assert isinstance(expired.value.__cause__, redis.exceptions.LockNotOwnedError)
