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

A lock is held while one token request is in flight, so by default it lasts
longer than the longest token request of a facade with the default timeout and
retry policy (:data:`~finapi.DEFAULT_LOCK_TIMEOUT`), and a waiter waits as
long. redis-py's lock errors (no lock within the wait, a lock that expired
while held) surface as :class:`~finapi.TokenStoreLockError`.

``redis`` (the ``redis`` extra) is imported when a store is created, never by
``import finapi``.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from finapi._config import DEFAULT_LOCK_TIMEOUT
from finapi._errors import TokenStoreLockError
from finapi._log import kv, logger
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


def _not_acquired(key: str, wait: float) -> TokenStoreLockError:
    msg = (
        f"the token lock of {key} was not free within {wait:g} s: another "
        "process holds it (or held it and died); raise lock_wait, or retry"
    )
    return TokenStoreLockError(msg, key=key)


def _expired(key: str, timeout: float) -> TokenStoreLockError:
    msg = (
        f"the token lock of {key} expired after {timeout:g} s while its token "
        "request was still running, so another process may have requested a "
        "token too; raise lock_timeout above the facade's longest token request"
    )
    return TokenStoreLockError(msg, key=key)


def _lock_lost(key: str, lock_exc: BaseException, failure: BaseException) -> None:
    logger.warning(
        "token %s",
        kv(
            principal=key,
            event="store_lock_lost",
            error=type(lock_exc).__name__,
            request_id=getattr(failure, "request_id", None),
        ),
    )


class _Lock:
    """A redis-py lock whose failures are TokenStoreLockErrors (sync)."""

    def __init__(self, lock: Any, key: str, timeout: float, wait: float) -> None:
        self._lock = lock
        self._key = key
        self._timeout = timeout
        self._wait = wait

    def __enter__(self) -> _Lock:
        import redis.exceptions  # noqa: PLC0415  (the optional extra)

        try:
            acquired = self._lock.acquire()
        except redis.exceptions.LockError as exc:
            raise _not_acquired(self._key, self._wait) from exc
        if not acquired:
            raise _not_acquired(self._key, self._wait)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        import redis.exceptions  # noqa: PLC0415  (the optional extra)

        try:
            self._lock.release()
        except redis.exceptions.LockError as lock_exc:
            if exc is not None:  # the request's own failure says more
                _lock_lost(self._key, lock_exc, exc)
                return
            raise _expired(self._key, self._timeout) from lock_exc


class _AsyncLock:
    """A redis-py asyncio lock whose failures are TokenStoreLockErrors."""

    def __init__(self, lock: Any, key: str, timeout: float, wait: float) -> None:
        self._lock = lock
        self._key = key
        self._timeout = timeout
        self._wait = wait

    async def __aenter__(self) -> _AsyncLock:
        import redis.exceptions  # noqa: PLC0415  (the optional extra)

        try:
            acquired = await self._lock.acquire()
        except redis.exceptions.LockError as exc:
            raise _not_acquired(self._key, self._wait) from exc
        if not acquired:
            raise _not_acquired(self._key, self._wait)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        import redis.exceptions  # noqa: PLC0415  (the optional extra)

        try:
            await self._lock.release()
        except redis.exceptions.LockError as lock_exc:
            if exc is not None:  # the request's own failure says more
                _lock_lost(self._key, lock_exc, exc)
                return
            raise _expired(self._key, self._timeout) from lock_exc


class RedisTokenStore:
    """Token store in Redis for sync facades (redis-py).

    Args:
        url: A Redis URL (``redis://host:6379/0``, ``rediss://...``); or pass
            ``client``.
        client: A ready :class:`redis.Redis` client.
        prefix: Prefix of every key this store writes.
        lock_timeout: Seconds after which Redis releases a lock, e.g. one held
            by a crashed process. It must outlast one token request with its
            retries; the default does for facades with the default timeout and
            retry policy (derived from them); raise it for longer ones.
        lock_wait: Longest wait for a lock, in seconds (default: as long as a
            lock lives).
        refresh_ttl: How long a user token's entry outlives the access token, so
            its refresh token stays usable (seconds).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        prefix: str = "finapi:",
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_wait: float = DEFAULT_LOCK_TIMEOUT,
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
            A context manager holding a redis-py lock.

        Raises:
            TokenStoreLockError: On entry, when the lock stays taken for
                ``lock_wait``; on exit, when it expired while held.
        """
        lock = self._redis.lock(
            self._prefix + "lock:" + key,
            timeout=self._lock_timeout,
            blocking_timeout=self._lock_wait,
            sleep=0.01,
        )
        return _Lock(lock, key, self._lock_timeout, self._lock_wait)

    @property
    def lock_timeout(self) -> float:
        """Seconds after which Redis releases a lock of this store."""
        return self._lock_timeout

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
        lock_timeout: Seconds after which Redis releases a lock (see
            :class:`RedisTokenStore`; the default is derived the same way).
        lock_wait: Longest wait for a lock, in seconds (default: as long as a
            lock lives).
        refresh_ttl: How long a user token's entry outlives the access token.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.asyncio.Redis | None = None,
        prefix: str = "finapi:",
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_wait: float = DEFAULT_LOCK_TIMEOUT,
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
            An async context manager holding a redis-py asyncio lock.

        Raises:
            TokenStoreLockError: On entry, when the lock stays taken for
                ``lock_wait``; on exit, when it expired while held.
        """
        lock = self._redis.lock(
            self._prefix + "lock:" + key,
            timeout=self._lock_timeout,
            blocking_timeout=self._lock_wait,
            sleep=0.01,
        )
        return _AsyncLock(lock, key, self._lock_timeout, self._lock_wait)

    @property
    def lock_timeout(self) -> float:
        """Seconds after which Redis releases a lock of this store."""
        return self._lock_timeout

    async def aclose(self) -> None:
        """Close the Redis connection pool."""
        await self._redis.aclose()

    def __repr__(self) -> str:
        return f"AsyncRedisTokenStore(prefix={self._prefix!r})"
