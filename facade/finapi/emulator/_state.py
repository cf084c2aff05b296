"""In-memory state of one emulator: tokens, users, client configuration, data."""

from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["State", "Token", "User"]


@dataclass
class Token:
    """An access or refresh token issued by the emulator."""

    value: str = field(repr=False)
    kind: str  # "access" or "refresh"
    client_id: str
    user_id: str | None
    grant: str  # id shared by the tokens of one authorisation
    expires_at: float | None  # time.monotonic() deadline; None never expires
    revoked: bool = False

    @property
    def expired(self) -> bool:
        """Return whether the token is past its lifetime."""
        return self.expires_at is not None and time.monotonic() >= self.expires_at

    @property
    def auth_context(self) -> str:
        """Return ``clientId/userId`` as finAPI names the caller in errors."""
        return f"{self.client_id}/{self.user_id or '-'}"


@dataclass
class User:
    """A user of one client."""

    client_id: str
    id: str
    password: str = field(repr=False)
    email: str | None = None
    phone: str | None = None
    is_auto_update_enabled: bool = False
    verified: bool = True
    failed_logins: int = 0
    password_change_token: str | None = field(default=None, repr=False)
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def locked(self) -> bool:
        """Return whether too many wrong passwords locked the user."""
        return bool(self.data.get("locked"))


class State:
    """The emulator's state, guarded by one re-entrant lock."""

    def __init__(self, seed: int) -> None:
        """Start empty.

        Args:
            seed: Seed for generated ids and data.
        """
        self.lock = threading.RLock()
        self.seed = seed
        self._start()

    def reset(self) -> None:
        """Forget everything and start empty again, keeping the seed and the lock."""
        with self.lock:
            self._start()

    def _start(self) -> None:
        self.random = random.Random(self.seed)  # noqa: S311 - repeatable demo data, not secrets
        self.tokens: dict[str, Token] = {}
        self.users: dict[tuple[str, str], User] = {}
        self.client_config: dict[str, dict[str, Any]] = {}
        self.counters: dict[str, int] = {}
        self.banks: dict[int, dict[str, Any]] = {}
        self.categories: dict[int, dict[str, Any]] = {}
        self.webforms: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.translations: dict[str, dict[str, Any]] = {}
        self.access_tools: Any = None
        self.webform_tools: Any = None

    def next_id(self, kind: str) -> int:
        """Return the next numeric id of a kind of entity (1, 2, ...).

        Args:
            kind: The kind, e.g. ``account``.
        """
        with self.lock:
            self.counters[kind] = self.counters.get(kind, 0) + 1
            return self.counters[kind]

    def issue(
        self,
        kind: str,
        client_id: str,
        user_id: str | None,
        grant: str,
        lifetime: float | None,
    ) -> Token:
        """Create a token and remember it.

        Args:
            kind: ``access`` or ``refresh``.
            client_id: The client it belongs to.
            user_id: The user it belongs to, None for a client token.
            grant: The authorisation it belongs to.
            lifetime: Seconds until it expires; None for never.

        Returns:
            The token.
        """
        value = secrets.token_urlsafe(48)
        deadline = None if lifetime is None else time.monotonic() + lifetime
        token = Token(value, kind, client_id, user_id, grant, deadline)
        with self.lock:
            self.tokens[value] = token

        return token

    def revoke_where(self, **match: Any) -> int:
        """Revoke every token whose attributes equal the given ones.

        Args:
            **match: Attribute values, e.g. ``grant=...`` or ``user_id=...``.

        Returns:
            How many tokens were revoked.
        """
        count = 0
        with self.lock:
            for token in self.tokens.values():
                if not token.revoked and all(
                    getattr(token, k) == v for k, v in match.items()
                ):
                    token.revoked = True
                    count += 1

        return count

    def expire_access_tokens(self) -> int:
        """Let every live access token expire now.

        Returns:
            How many tokens expired.
        """
        count = 0
        stamp = time.monotonic()
        with self.lock:
            for token in self.tokens.values():
                if token.kind == "access" and not token.revoked and not token.expired:
                    token.expires_at = stamp
                    count += 1

        return count

    def prune(self) -> None:
        """Forget tokens that expired or were revoked more than an hour ago."""
        horizon = time.monotonic() - 3600
        with self.lock:
            dead = [
                v
                for v, t in self.tokens.items()
                if t.expires_at is not None and t.expires_at < horizon
            ]
            for value in dead:
                del self.tokens[value]
