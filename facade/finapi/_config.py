"""Environments, timeouts and the other settings of a facade, with their defaults.

Sandbox URLs come from the generated packages (the ``servers`` of the pinned
specs). The live URLs are the one thing the specs do not carry; they are kept
here as documented constants.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import httpx

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOKEN_LEEWAY",
    "LIVE_ACCESS_URL",
    "LIVE_WEBFORM_URL",
    "Environment",
    "RetryPolicy",
]

#: finAPI Access in production (the specs only name the sandbox).
LIVE_ACCESS_URL = "https://live.finapi.io"
#: finAPI Web Form 2.0 in production.
LIVE_WEBFORM_URL = "https://webform-live.finapi.io"

#: Connect within 10 s; read, write and pool waits up to 30 s each.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

#: Seconds before ``expires_in`` runs out at which a token is replaced. For short
#: lived tokens the leeway shrinks to a quarter of the lifetime.
DEFAULT_TOKEN_LEEWAY = 60.0

EnvironmentName = Literal["sandbox", "live"]


@dataclasses.dataclass(frozen=True)
class Environment:
    """Where the two finAPI products live.

    Args:
        access_url: Base URL of finAPI Access (its token endpoint lives there too).
        webform_url: Base URL of Web Form 2.0.
        name: A label for logs and reprs.
    """

    access_url: str
    webform_url: str
    name: str = "custom"

    def __post_init__(self) -> None:
        for field in ("access_url", "webform_url"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value.startswith(
                ("http://", "https://")
            ):
                msg = f"{field} must be an http(s) URL, got {value!r}"
                raise ValueError(msg)
            object.__setattr__(self, field, value.rstrip("/"))

    @classmethod
    def sandbox(cls) -> Environment:
        """The finAPI sandbox, as the pinned specs name it.

        Returns:
            The sandbox environment.
        """
        from finapi_access.spec_info import SPEC_INFO as ACCESS  # noqa: PLC0415
        from finapi_webform.spec_info import SPEC_INFO as WEBFORM  # noqa: PLC0415

        access = ACCESS["servers"]
        webform = WEBFORM["servers"]
        if not isinstance(access, list) or not isinstance(webform, list):
            msg = "the generated packages name no servers; regenerate them"
            raise RuntimeError(msg)
        return cls(str(access[0]), str(webform[0]), name="sandbox")

    @classmethod
    def live(cls) -> Environment:
        """finAPI production.

        Returns:
            The live environment.
        """
        return cls(LIVE_ACCESS_URL, LIVE_WEBFORM_URL, name="live")

    @classmethod
    def resolve(
        cls,
        environment: Environment | EnvironmentName | None,
        access_url: str | None,
        webform_url: str | None,
    ) -> Environment:
        """Turn the constructor's environment arguments into one Environment.

        Args:
            environment: ``"sandbox"``, ``"live"``, an Environment, or None.
            access_url: An explicit Access base URL (needs ``webform_url`` too).
            webform_url: An explicit Web Form base URL.

        Returns:
            The environment to use.

        Raises:
            ValueError: When the arguments contradict each other or name no
                environment.
        """
        if access_url is not None or webform_url is not None:
            if environment is not None:
                msg = "pass either environment or access_url/webform_url, not both"
                raise ValueError(msg)
            if access_url is None or webform_url is None:
                msg = "explicit URLs need both access_url and webform_url"
                raise ValueError(msg)
            return cls(access_url, webform_url)
        if isinstance(environment, Environment):
            return environment
        if environment == "sandbox":
            return cls.sandbox()
        if environment == "live":
            return cls.live()
        msg = (
            "environment must be 'sandbox', 'live' or an Environment (or pass "
            f"access_url and webform_url), got {environment!r}"
        )
        raise ValueError(msg)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """When and how often idempotent requests are retried.

    Requests are retried on connection failures and on the statuses below, with
    exponential backoff and jitter (``wait_initial * 2 ** (n - 1)`` plus up to
    ``wait_jitter``, at most ``wait_max``); a ``Retry-After`` answer is honoured up
    to ``max_retry_after`` seconds. POSTs that create something are never retried.

    Args:
        attempts: Total attempts, the first one included (1 turns retries off).
        wait_initial: Backoff before the first retry, in seconds.
        wait_max: Longest backoff between two attempts.
        wait_jitter: Largest random addition to a backoff.
        timeout: Longest total time spent retrying one request.
        statuses: Answers that are retried.
        max_retry_after: Longest ``Retry-After`` honoured, in seconds.
    """

    attempts: int = 4
    wait_initial: float = 0.2
    wait_max: float = 10.0
    wait_jitter: float = 0.5
    timeout: float = 60.0
    statuses: frozenset[int] = frozenset({502, 503, 504})
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            msg = f"attempts must be at least 1, got {self.attempts}"
            raise ValueError(msg)
        for name in ("wait_initial", "wait_max", "wait_jitter", "timeout"):
            if getattr(self, name) < 0:
                msg = f"{name} must not be negative"
                raise ValueError(msg)


def longest_token_request(policy: RetryPolicy, timeout: httpx.Timeout) -> float:
    """Bound how long one token request can last, its retries included.

    The first attempt runs before the retry clock starts; stamina then stops
    retrying once ``policy.timeout`` has passed, but only after an attempt, so
    the last one may still begin after the longest wait (a backoff, or a
    ``Retry-After`` up to ``max_retry_after``). Each attempt may use every httpx
    timeout once (pool, connect, write, read). A token store's lock must be held
    at least this long.

    Args:
        policy: The facade's retry policy.
        timeout: The facade's httpx timeout.

    Returns:
        Seconds.
    """
    phases = (timeout.pool, timeout.connect, timeout.write, timeout.read)
    attempt = sum(phase or 0.0 for phase in phases)
    wait = max(policy.wait_max + policy.wait_jitter, policy.max_retry_after)
    return policy.timeout + wait + 2 * attempt


#: Seconds a shared token store's lock lives (and a waiter waits) by default: the
#: longest token request of a facade with the default timeout and retry policy.
DEFAULT_LOCK_TIMEOUT = longest_token_request(RetryPolicy(), DEFAULT_TIMEOUT)
