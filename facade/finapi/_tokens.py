"""Token values and where they are kept.

A :class:`Token` never shows its secrets in a repr. A token store maps a
principal key (one per client, one per client and user) to the principal's
current token, and hands out a lock per key so that only one token request per
principal is in flight. Stores never see client secrets or passwords.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AsyncMemoryTokenStore",
    "AsyncTokenStore",
    "MemoryTokenStore",
    "Token",
    "TokenStore",
]


def _mask(value: str | None) -> str:
    return "None" if value is None else "'***'"


@dataclasses.dataclass(frozen=True, repr=False)
class Token:
    """An access token and what came with it.

    Times are on the :func:`time.monotonic` clock of this process.

    Attributes:
        access_token: The bearer token.
        expires_at: When finAPI stops accepting it.
        refresh_at: When the facade replaces it (``expires_at`` minus the leeway).
        refresh_token: The user's refresh token, if the grant gave one.
        token_type: Normally ``bearer``.
        scope: The scope finAPI granted.
    """

    access_token: str
    expires_at: float
    refresh_at: float
    refresh_token: str | None = None
    token_type: str = "bearer"  # noqa: S105  (a token type, not a secret)
    scope: str | None = None

    @classmethod
    def from_response(
        cls, body: Mapping[str, Any], *, requested_at: float, leeway: float
    ) -> Token:
        """Build a token from a token endpoint answer.

        Args:
            body: The decoded JSON answer.
            requested_at: Monotonic time at which the request was sent; the
                lifetime counts from then, which errs on the safe side.
            leeway: Seconds before expiry at which to replace the token; capped
                at a quarter of the lifetime.

        Returns:
            The token.

        Raises:
            ValueError: When the answer has no usable ``access_token`` or
                ``expires_in``.
        """
        access_token = body.get("access_token")
        expires_in = body.get("expires_in")
        if not isinstance(access_token, str) or not access_token:
            msg = "the token endpoint answered without an access_token"
            raise ValueError(msg)
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
            msg = "the token endpoint answered without a numeric expires_in"
            raise ValueError(msg)
        lifetime = max(float(expires_in), 0.0)
        refresh_token = body.get("refresh_token")
        scope = body.get("scope")
        token_type = body.get("token_type")
        expires_at = requested_at + lifetime
        return cls(
            access_token=access_token,
            expires_at=expires_at,
            refresh_at=expires_at - min(leeway, lifetime / 4),
            refresh_token=refresh_token if isinstance(refresh_token, str) else None,
            token_type=token_type if isinstance(token_type, str) else "bearer",
            scope=scope if isinstance(scope, str) else None,
        )

    def is_fresh(self, now: float | None = None) -> bool:
        """Tell whether the token may still be sent.

        Args:
            now: The monotonic time to judge at (default: now).

        Returns:
            True until ``refresh_at``.
        """
        return (time.monotonic() if now is None else now) < self.refresh_at

    def expires_in(self, now: float | None = None) -> float:
        """Seconds until finAPI stops accepting the token (negative once it has).

        Args:
            now: The monotonic time to count from (default: now).

        Returns:
            The remaining lifetime.
        """
        return self.expires_at - (time.monotonic() if now is None else now)

    def __repr__(self) -> str:
        return (
            f"Token(access_token={_mask(self.access_token)}, "
            f"refresh_token={_mask(self.refresh_token)}, "
            f"token_type={self.token_type!r}, scope={self.scope!r}, "
            f"expires_in={self.expires_in():.1f})"
        )


@runtime_checkable
class TokenStore(Protocol):
    """Where a sync facade keeps tokens, keyed per principal.

    ``lock(key)`` must exclude every other holder of the same key that shares
    the store (threads, and for shared stores, other processes): the facade
    holds it while it requests a token, which is how one request per principal
    is guaranteed.
    """

    def get(self, key: str) -> Token | None:
        """Return the stored token for ``key``, or None."""
        ...

    def set(self, key: str, token: Token) -> None:
        """Store ``token`` as the current token of ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Forget the token of ``key``."""
        ...

    def lock(self, key: str) -> AbstractContextManager[object]:
        """Return a context manager that holds the single-flight lock of ``key``."""
        ...


@runtime_checkable
class AsyncTokenStore(Protocol):
    """Where an async facade keeps tokens; the async twin of :class:`TokenStore`."""

    async def get(self, key: str) -> Token | None:
        """Return the stored token for ``key``, or None."""
        ...

    async def set(self, key: str, token: Token) -> None:
        """Store ``token`` as the current token of ``key``."""
        ...

    async def delete(self, key: str) -> None:
        """Forget the token of ``key``."""
        ...

    def lock(self, key: str) -> AbstractAsyncContextManager[object]:
        """Return an async context manager holding the single-flight lock of ``key``."""
        ...


class MemoryTokenStore:
    """Tokens in a dict of this process, shared by every thread (the default)."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str) -> Token | None:
        """Return the stored token for ``key``, or None.

        Args:
            key: The principal key.

        Returns:
            The token, or None.
        """
        return self._tokens.get(key)

    def set(self, key: str, token: Token) -> None:
        """Store ``token`` for ``key``.

        Args:
            key: The principal key.
            token: The token.
        """
        self._tokens[key] = token

    def delete(self, key: str) -> None:
        """Forget the token of ``key``.

        Args:
            key: The principal key.
        """
        self._tokens.pop(key, None)

    def lock(self, key: str) -> threading.Lock:
        """Return the lock of ``key`` (one per key, created on first use).

        Args:
            key: The principal key.

        Returns:
            A :class:`threading.Lock`.
        """
        lock = self._locks.get(key)
        if lock is None:
            with self._guard:
                lock = self._locks.setdefault(key, threading.Lock())
        return lock

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._tokens)})"


class AsyncMemoryTokenStore:
    """Tokens in a dict of this process, for the tasks of one event loop."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str) -> Token | None:
        """Return the stored token for ``key``, or None.

        Args:
            key: The principal key.

        Returns:
            The token, or None.
        """
        return self._tokens.get(key)

    async def set(self, key: str, token: Token) -> None:
        """Store ``token`` for ``key``.

        Args:
            key: The principal key.
            token: The token.
        """
        self._tokens[key] = token

    async def delete(self, key: str) -> None:
        """Forget the token of ``key``.

        Args:
            key: The principal key.
        """
        self._tokens.pop(key, None)

    def lock(self, key: str) -> asyncio.Lock:
        """Return the lock of ``key`` (one per key, created on first use).

        Args:
            key: The principal key.

        Returns:
            An :class:`asyncio.Lock`.
        """
        import asyncio  # noqa: PLC0415  (kept out of `import finapi`)

        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks.setdefault(key, asyncio.Lock())
        return lock

    def __repr__(self) -> str:
        return f"AsyncMemoryTokenStore(keys={len(self._tokens)})"


def client_key(client_id: str) -> str:
    """Return the store key of a client's token.

    Args:
        client_id: The client id.

    Returns:
        The key.
    """
    return f"client:{client_id}"


def user_key(client_id: str, user_id: str) -> str:
    """Return the store key of a user's token.

    Args:
        client_id: The client id the user belongs to.
        user_id: The user id.

    Returns:
        The key.
    """
    return f"user:{client_id}:{user_id}"
