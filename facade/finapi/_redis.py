"""Token stores in Redis, for fleets of processes that share tokens.

Each principal's token is one Redis string (JSON) under ``<prefix>token:<key>``;
its lock is a Redis lock (``SET NX PX`` with an owner token, released by a Lua
script) under ``<prefix>lock:<key>``, so a single flight holds across every
process using the same Redis. Expiry times are stored on the Redis server's
clock (``TIME``) and turned back into this process's monotonic clock on read, so
processes on different hosts agree on when a token is stale.

Values hold access and refresh tokens, never client secrets or passwords. They
are the only place where the facade persists a token: the Redis server (and
anyone who can read it) must be trusted with them; use ACLs and TLS
(``rediss://``) where the network is shared.

``redis`` (the ``redis`` extra) is imported when a store is created, never by
``import finapi``.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING, Any

from finapi._tokens import Token

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["AsyncRedisTokenStore", "RedisTokenStore"]

_FORMAT = 1


def _server_seconds(time_reply: Any) -> float:
    seconds, micros = time_reply
    return float(seconds) + float(micros) / 1_000_000


def _encode(token: Token, server_now: float, refresh_ttl: float) -> tuple[str, int]:
    now = time.monotonic()
    data = {
        "v": _FORMAT,
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "token_type": token.token_type,
        "scope": token.scope,
        "expires_at": server_now + (token.expires_at - now),
        "refresh_at": server_now + (token.refresh_at - now),
    }
    remaining = max(token.expires_at - now, 0.0)
    keep = remaining + (refresh_ttl if token.refresh_token else 0.0)
    return json.dumps(data), max(int(keep * 1000), 1)


def _decode(raw: bytes | str | None, server_now: float) -> Token | None:
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        if data.get("v") != _FORMAT:
            return None
        now = time.monotonic()
        return Token(
            access_token=str(data["access_token"]),
            expires_at=now + (float(data["expires_at"]) - server_now),
            refresh_at=now + (float(data["refresh_at"]) - server_now),
            refresh_token=data.get("refresh_token"),
            token_type=str(data.get("token_type") or "bearer"),
            scope=data.get("scope"),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _check(lock_timeout: float, lock_wait: float, refresh_ttl: float) -> None:
    if lock_timeout <= 0 or lock_wait <= 0 or refresh_ttl < 0:
        msg = "lock_timeout and lock_wait must be positive, refresh_ttl not negative"
        raise ValueError(msg)


class RedisTokenStore:
    """Token store in Redis for sync facades (redis-py).

    Args:
        url: A Redis URL (``redis://host:6379/0``, ``rediss://...``); or pass
            ``client``.
        client: A ready :class:`redis.Redis` client.
        prefix: Prefix of every key this store writes.
        lock_timeout: Seconds after which a lock held by a crashed process is
            released by Redis (longer than one token request can take).
        lock_wait: Longest wait for a lock, in seconds.
        refresh_ttl: How long a user token's entry outlives the access token, so
            its refresh token stays usable (seconds).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        prefix: str = "finapi:",
        lock_timeout: float = 30.0,
        lock_wait: float = 60.0,
        refresh_ttl: float = 86400.0,
    ) -> None:
        if (url is None) == (client is None):
            msg = "pass either url or client"
            raise ValueError(msg)
        _check(lock_timeout, lock_wait, refresh_ttl)
        if client is None:
            import redis as redis_module  # noqa: PLC0415  (the optional extra)

            client = redis_module.Redis.from_url(str(url))
        self._redis = client
        self._prefix = prefix
        self._lock_timeout = lock_timeout
        self._lock_wait = lock_wait
        self._refresh_ttl = refresh_ttl

    def get(self, key: str) -> Token | None:
        """Return the stored token for ``key``, or None.

        Args:
            key: The principal key.

        Returns:
            The token, or None.
        """
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(self._prefix + "token:" + key)
        pipe.time()
        raw, server_time = pipe.execute()
        return _decode(raw, _server_seconds(server_time))

    def set(self, key: str, token: Token) -> None:
        """Store ``token`` for ``key``.

        Args:
            key: The principal key.
            token: The token.
        """
        value, ttl_ms = _encode(
            token, _server_seconds(self._redis.time()), self._refresh_ttl
        )
        self._redis.set(self._prefix + "token:" + key, value, px=ttl_ms)

    def delete(self, key: str) -> None:
        """Forget the token of ``key``.

        Args:
            key: The principal key.
        """
        self._redis.delete(self._prefix + "token:" + key)

    def lock(self, key: str) -> AbstractContextManager[object]:
        """Return the Redis lock of ``key``.

        Args:
            key: The principal key.

        Returns:
            A redis-py lock (a context manager).
        """
        lock: AbstractContextManager[object] = self._redis.lock(
            self._prefix + "lock:" + key,
            timeout=self._lock_timeout,
            blocking_timeout=self._lock_wait,
            sleep=0.01,
        )
        return lock

    def close(self) -> None:
        """Close the Redis connection pool."""
        self._redis.close()

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self._prefix!r})"


class AsyncRedisTokenStore:
    """Token store in Redis for async facades (``redis.asyncio``).

    Args:
        url: A Redis URL; or pass ``client``.
        client: A ready :class:`redis.asyncio.Redis` client.
        prefix: Prefix of every key this store writes.
        lock_timeout: Seconds after which Redis releases a crashed holder's lock.
        lock_wait: Longest wait for a lock, in seconds.
        refresh_ttl: How long a user token's entry outlives the access token.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.asyncio.Redis | None = None,
        prefix: str = "finapi:",
        lock_timeout: float = 30.0,
        lock_wait: float = 60.0,
        refresh_ttl: float = 86400.0,
    ) -> None:
        if (url is None) == (client is None):
            msg = "pass either url or client"
            raise ValueError(msg)
        _check(lock_timeout, lock_wait, refresh_ttl)
        if client is None:
            import redis.asyncio as redis_asyncio  # noqa: PLC0415  (the optional extra)

            client = redis_asyncio.Redis.from_url(str(url))
        self._redis = client
        self._prefix = prefix
        self._lock_timeout = lock_timeout
        self._lock_wait = lock_wait
        self._refresh_ttl = refresh_ttl

    async def get(self, key: str) -> Token | None:
        """Return the stored token for ``key``, or None.

        Args:
            key: The principal key.

        Returns:
            The token, or None.
        """
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(self._prefix + "token:" + key)
        pipe.time()
        raw, server_time = await pipe.execute()
        return _decode(raw, _server_seconds(server_time))

    async def set(self, key: str, token: Token) -> None:
        """Store ``token`` for ``key``.

        Args:
            key: The principal key.
            token: The token.
        """
        server_now = _server_seconds(await self._redis.time())
        value, ttl_ms = _encode(token, server_now, self._refresh_ttl)
        await self._redis.set(self._prefix + "token:" + key, value, px=ttl_ms)

    async def delete(self, key: str) -> None:
        """Forget the token of ``key``.

        Args:
            key: The principal key.
        """
        await self._redis.delete(self._prefix + "token:" + key)

    def lock(self, key: str) -> AbstractAsyncContextManager[object]:
        """Return the Redis lock of ``key``.

        Args:
            key: The principal key.

        Returns:
            A redis-py asyncio lock (an async context manager).
        """
        lock: AbstractAsyncContextManager[object] = self._redis.lock(
            self._prefix + "lock:" + key,
            timeout=self._lock_timeout,
            blocking_timeout=self._lock_wait,
            sleep=0.01,
        )
        return lock

    async def aclose(self) -> None:
        """Close the Redis connection pool."""
        await self._redis.aclose()

    def __repr__(self) -> str:
        return f"AsyncRedisTokenStore(prefix={self._prefix!r})"
