"""One process of the Redis fleet test (run with multiprocessing, spawn)."""

from __future__ import annotations

import threading

import finapi
from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


def run(redis_url: str, base_url: str, threads: int, start: object) -> list[str]:
    """Start ``threads`` threads that all need the client token at once.

    Args:
        redis_url: The shared Redis.
        base_url: The emulator server.
        threads: How many threads.
        start: A multiprocessing Event that releases every process at once.

    Returns:
        The access tokens the threads used (masked to their first 6 characters
        would hide nothing from the test, so only a hash prefix is returned).
    """
    import hashlib

    store = finapi.RedisTokenStore(redis_url)
    fin = finapi.FinAPI(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        access_url=base_url,
        webform_url=base_url + "/webform",
        token_store=store,
    )
    barrier = threading.Barrier(threads)
    seen: list[str] = []
    errors: list[str] = []

    def work() -> None:
        barrier.wait()
        try:
            fin.users.create()
            token = fin.client_token().access_token
            seen.append(hashlib.sha256(token.encode()).hexdigest()[:12])
        except Exception as exc:  # noqa: BLE001  (sent back to the test)
            errors.append(type(exc).__name__ + ": " + str(exc))

    start.wait()  # type: ignore[attr-defined]
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    fin.close()
    store.close()
    return errors or seen
