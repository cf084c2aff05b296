"""Fault injection and the counters tests read."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["FaultRule", "Faults", "Stats"]

_ALLOWED_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class FaultRule:
    """What to do to requests whose path starts with ``prefix``."""

    prefix: str
    error_rate: float = 0.0
    statuses: tuple[int, ...] = (500, 502, 503)
    latency: float = 0.0
    drop_rate: float = 0.0


@dataclass(frozen=True)
class FaultDecision:
    """The faults one request suffers."""

    latency: float = 0.0
    status: int | None = None
    drop: bool = False


def _rate(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        msg = f"{name} must be between 0 and 1, got {value!r}"
        raise ValueError(msg)
    return float(value)


class Faults:
    """Fault injection for one emulator, configured per path prefix.

    The longest matching prefix wins. Decisions draw from a random generator
    seeded by the emulator's seed, so a run is repeatable.
    """

    def __init__(
        self,
        seed: int,
        revoke_all: Callable[[], int],
        expire_all: Callable[[], int],
    ) -> None:
        """Start with no faults.

        Args:
            seed: Seed of the random generator.
            revoke_all: Revokes every token; returns how many.
            expire_all: Expires every access token; returns how many.
        """
        self._lock = threading.Lock()
        self._seed = seed
        self._rules: dict[str, FaultRule] = {}
        self._random = random.Random(seed)  # noqa: S311 - repeatable faults, not secrets
        self._revoke_all = revoke_all
        self._expire_all = expire_all
        self._revoke_every_call = False

    def set(
        self,
        prefix: str = "/",
        *,
        error_rate: float = 0.0,
        statuses: Iterable[int] = (500, 502, 503),
        latency: float = 0.0,
        drop_rate: float = 0.0,
    ) -> FaultRule:
        """Inject faults into requests under a path prefix (replacing its rule).

        Args:
            prefix: Path prefix, e.g. ``/api/v1/accounts`` or ``/webform/api``.
            error_rate: Share of requests answered with one of ``statuses``.
            statuses: Server error statuses to choose from (500, 502, 503, 504).
            latency: Seconds added before each answer.
            drop_rate: Share of requests whose connection is dropped mid-answer.

        Returns:
            The rule now in force.

        Raises:
            ValueError: A rate is outside 0..1, a status is not a server error,
                the latency is negative, or the prefix does not start with ``/``.
        """
        if not prefix.startswith("/"):
            msg = f"a fault prefix must start with '/', got {prefix!r}"
            raise ValueError(msg)
        codes = tuple(int(s) for s in statuses)
        if not codes or any(c not in _ALLOWED_STATUSES for c in codes):
            msg = f"fault statuses must be some of {sorted(_ALLOWED_STATUSES)}, got {codes}"
            raise ValueError(msg)
        if latency < 0:
            msg = f"latency must not be negative, got {latency!r}"
            raise ValueError(msg)
        rule = FaultRule(
            prefix,
            _rate("error_rate", error_rate),
            codes,
            float(latency),
            _rate("drop_rate", drop_rate),
        )
        with self._lock:
            self._rules[prefix] = rule

        return rule

    def clear(self, prefix: str | None = None) -> None:
        """Remove the rule of one prefix, or all rules and the revoke-every-call mode.

        Args:
            prefix: The prefix whose rule goes; None clears everything.
        """
        with self._lock:
            if prefix is None:
                self._rules.clear()
                self._revoke_every_call = False
            else:
                self._rules.pop(prefix, None)

    def reset(self) -> None:
        """Clear everything and restart the random generator from the seed."""
        with self._lock:
            self._rules.clear()
            self._revoke_every_call = False
            self._random.seed(self._seed)

    @property
    def rules(self) -> list[FaultRule]:
        """Return the rules in force."""
        with self._lock:
            return list(self._rules.values())

    def revoke_all_tokens(self) -> int:
        """Revoke every access and refresh token now.

        Returns:
            How many tokens were revoked.
        """
        return self._revoke_all()

    def expire_all_tokens(self) -> int:
        """Let every access token expire now (refresh tokens stay valid).

        Returns:
            How many tokens expired.
        """
        return self._expire_all()

    def revoke_on_every_call(self, enabled: bool = True) -> None:
        """Make every authorised call revoke the token it carries and answer 401.

        Args:
            enabled: Switch the mode on or off.
        """
        with self._lock:
            self._revoke_every_call = bool(enabled)

    @property
    def revoking_every_call(self) -> bool:
        """Return whether every authorised call revokes its token."""
        return self._revoke_every_call

    def decide(self, path: str) -> FaultDecision:
        """Draw the faults for one request.

        Args:
            path: The request path.

        Returns:
            What to do to the request.
        """
        with self._lock:
            matching = [r for p, r in self._rules.items() if path.startswith(p)]
            if not matching:
                return FaultDecision()
            rule = max(matching, key=lambda r: len(r.prefix))
            drop = rule.drop_rate > 0 and self._random.random() < rule.drop_rate
            status = None
            if (
                not drop
                and rule.error_rate > 0
                and self._random.random() < rule.error_rate
            ):
                status = self._random.choice(rule.statuses)

        return FaultDecision(rule.latency, status, drop)


class Stats:
    """Counters of one emulator, safe to read and update from many threads."""

    def __init__(self) -> None:
        """Start with every counter at zero."""
        self._lock = threading.Lock()
        self.token_requests: Counter[tuple[str, str]] = Counter()
        self.unauthorized = 0
        self.expired_token_requests = 0
        self.revoked_token_requests = 0
        self.requests: Counter[str] = Counter()
        self.faults_injected = 0

    def count_token_request(self, grant_type: str, principal: str) -> None:
        """Count one call of the token endpoint.

        Args:
            grant_type: The grant asked for.
            principal: The client id (client_credentials) or the user id.
        """
        with self._lock:
            self.token_requests[(grant_type, principal)] += 1

    def count(self, name: str, operation: str | None = None) -> None:
        """Add one to a named counter, or to the per-operation request counter.

        Args:
            name: ``unauthorized``, ``expired_token_requests``,
                ``revoked_token_requests``, ``faults_injected`` or ``request``.
            operation: The operationId, for ``request``.
        """
        with self._lock:
            if name == "request" and operation is not None:
                self.requests[operation] += 1
            else:
                setattr(self, name, getattr(self, name) + 1)

    def token_requests_for(
        self, grant_type: str | None = None, principal: str | None = None
    ) -> int:
        """Return how many token requests match a grant type and/or principal.

        Args:
            grant_type: Only this grant, or any.
            principal: Only this principal, or any.

        Returns:
            The number of matching token requests.
        """
        with self._lock:
            return sum(
                n
                for (g, p), n in self.token_requests.items()
                if (grant_type is None or g == grant_type)
                and (principal is None or p == principal)
            )

    def snapshot(self) -> dict[str, Any]:
        """Return every counter as plain JSON-ready data, read at one moment.

        Returns:
            ``token_requests`` as a list of ``{grant_type, principal, count}``,
            ``requests`` per operationId, and the named counters.
        """
        with self._lock:
            return {
                "token_requests": [
                    {"grant_type": grant, "principal": principal, "count": n}
                    for (grant, principal), n in sorted(self.token_requests.items())
                ],
                "unauthorized": self.unauthorized,
                "expired_token_requests": self.expired_token_requests,
                "revoked_token_requests": self.revoked_token_requests,
                "faults_injected": self.faults_injected,
                "requests": dict(sorted(self.requests.items())),
            }

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self.token_requests.clear()
            self.requests.clear()
            self.unauthorized = 0
            self.expired_token_requests = 0
            self.revoked_token_requests = 0
            self.faults_injected = 0

    def __repr__(self) -> str:
        """Show the counters."""
        return (
            f"Stats(token_requests={dict(self.token_requests)!r}, "
            f"unauthorized={self.unauthorized}, "
            f"expired_token_requests={self.expired_token_requests}, "
            f"revoked_token_requests={self.revoked_token_requests})"
        )
