"""The transport every facade request passes through: request ids, logging, retries.

It wraps the transport that really sends (the default one, the caller's, or
the emulator's) and, for each request:

- adds an ``X-Request-Id`` when the request has none;
- logs one INFO line per attempt, and DEBUG bodies as :mod:`finapi._log` allows;
- retries idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE; the token
  endpoint too) on connection failures and 502/503/504, with backoff and jitter
  from ``stamina`` and ``Retry-After`` honoured; POSTs that create something are
  never retried;
- turns httpx transport errors into :class:`~finapi.FinAPIConnectionError`.

The first attempt runs without the retry library, which is imported only when a
retry is due, so the common path costs nothing extra.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import logging
import os
import ssl
import time
from collections.abc import Collection, Iterator
from typing import Any

import httpx

from finapi._config import RetryPolicy
from finapi._errors import FinAPIConnectionError, FinAPITimeoutError
from finapi._log import kv, logger, redact_body

__all__: list[str] = []

REQUEST_ID = "X-Request-Id"
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def new_request_id() -> str:
    """Return a fresh request id.

    Returns:
        128 random bits as 32 hex digits (finAPI allows up to 255 characters).
    """
    return os.urandom(16).hex()


#: The id a helper chose for the request it is about to send (see ``sending_as``).
_PLANNED_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "finapi_planned_request_id", default=None
)


@contextlib.contextmanager
def sending_as(request_id: str) -> Iterator[str]:
    """Give the next request sent in this thread or task a chosen ``X-Request-Id``.

    For generated operations that take no ``x_request_id`` argument (Web Form
    2.0 has none): a helper names the id before the call, so that it can put the
    id on the errors and log lines that follow.

    Args:
        request_id: The id.

    Yields:
        The id.
    """
    token = _PLANNED_ID.set(request_id)
    try:
        yield request_id
    finally:
        _PLANNED_ID.reset(token)


def request_id_for(request: httpx.Request) -> str:
    """Give a request its ``X-Request-Id`` unless it has one, and return it.

    Args:
        request: The request.

    Returns:
        The id it carries: the caller's, the one planned with :func:`sending_as`,
        or a fresh one.
    """
    request_id: str | None = request.headers.get(REQUEST_ID)
    if request_id is None:
        request_id = _PLANNED_ID.get() or new_request_id()
        request.headers[REQUEST_ID] = request_id
    return request_id


def endpoint_of(request: httpx.Request) -> str:
    """Name a request by method and path, without host or query string.

    Args:
        request: The request.

    Returns:
        E.g. ``GET /api/v1/accounts``.
    """
    return f"{request.method} {request.url.path}"


def is_retryable_error(exc: BaseException) -> bool:
    """Tell whether a transport failure is worth another attempt.

    Timeouts, refused or broken connections and protocol breaks are; TLS
    failures, bad URLs and errors in the request itself are not.

    Args:
        exc: The failure.

    Returns:
        True when a retry may cure it.
    """
    if not isinstance(exc, httpx.TransportError) or isinstance(exc, _NOT_RETRYABLE):
        return False
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return False
        cause = cause.__cause__ or cause.__context__
    return True


def retry_after(response: httpx.Response, limit: float) -> float | None:
    """Read a ``Retry-After`` header as seconds to wait.

    Args:
        response: The answer.
        limit: The longest wait honoured; longer waits are cut to it.

    Returns:
        Seconds to wait, or None when the header is absent or unreadable.
    """
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), limit)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    import datetime  # noqa: PLC0415  (rarely needed)

    delta = (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    return min(max(delta, 0.0), limit)


class _RetryableAnswer(Exception):
    """Carries a 502/503/504 answer through the retry loop."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _wrap(request: httpx.Request, exc: httpx.TransportError) -> FinAPIConnectionError:
    cls = (
        FinAPITimeoutError
        if isinstance(exc, httpx.TimeoutException)
        else FinAPIConnectionError
    )
    # The origin only: a query string may carry a token (revoke).
    origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
    message = f"no answer from {origin}: {type(exc).__name__}"
    return cls(
        message,
        retryable=is_retryable_error(exc),
        request_id=request.headers.get(REQUEST_ID),
        endpoint=endpoint_of(request),
    )


class _Policy:
    """What the sync and async transports share: decisions, logging."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        retry_posts: bool,
        quiet_paths: Collection[str],
    ) -> None:
        self.policy = policy
        self.retry_posts = retry_posts
        self.quiet_paths = frozenset(quiet_paths)

    def prepare(self, request: httpx.Request) -> None:
        request_id_for(request)

    def may_retry(self, request: httpx.Request) -> bool:
        if self.policy.attempts < 2:
            return False
        return self.retry_posts or request.method in _IDEMPOTENT

    def backoff_hook(self, exc: Exception) -> bool | float:
        """Decide for stamina: False (give up), True (default backoff) or seconds."""
        if isinstance(exc, _RetryableAnswer):
            wait = retry_after(exc.response, self.policy.max_retry_after)
            # stamina reads a falsy hook result as "do not retry": never return 0.
            return True if wait is None else max(wait, 0.001)
        return is_retryable_error(exc)

    def attempts(self) -> Any:
        """Return stamina's retry context for one request (imports stamina)."""
        import stamina  # noqa: PLC0415  (imported on the first retry only)

        _quiet_stamina()
        p = self.policy
        return stamina.retry_context(
            on=self.backoff_hook,
            attempts=p.attempts,
            timeout=p.timeout,
            wait_initial=p.wait_initial,
            wait_max=p.wait_max,
            wait_jitter=p.wait_jitter,
        )

    def bodies_allowed(self, request: httpx.Request) -> bool:
        return (
            logger.isEnabledFor(logging.DEBUG)
            and not self.retry_posts
            and request.url.path not in self.quiet_paths
        )

    def log_answer(
        self, request: httpx.Request, response: httpx.Response, started: float
    ) -> None:
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "request %s",
                kv(
                    method=request.method,
                    path=request.url.path,
                    status=response.status_code,
                    request_id=request.headers.get(REQUEST_ID),
                    elapsed_ms=(time.perf_counter() - started) * 1000.0,
                ),
            )

    def log_failure(
        self, request: httpx.Request, exc: BaseException, started: float
    ) -> None:
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "request %s",
                kv(
                    method=request.method,
                    path=request.url.path,
                    error=type(exc).__name__,
                    request_id=request.headers.get(REQUEST_ID),
                    elapsed_ms=(time.perf_counter() - started) * 1000.0,
                ),
            )

    def log_request_body(self, request: httpx.Request) -> None:
        try:
            content = request.content
        except httpx.RequestNotRead:
            return
        logger.debug(
            "request-body %s body=%s",
            kv(request_id=request.headers.get(REQUEST_ID)),
            redact_body(content),
        )

    def log_response_body(self, request: httpx.Request, content: bytes) -> None:
        logger.debug(
            "response-body %s body=%s",
            kv(request_id=request.headers.get(REQUEST_ID)),
            redact_body(content),
        )

    def log_retry(self, request: httpx.Request, attempt: int, reason: str) -> None:
        logger.info(
            "retry %s",
            kv(
                method=request.method,
                path=request.url.path,
                attempt=attempt,
                of=self.policy.attempts,
                reason=reason,
                request_id=request.headers.get(REQUEST_ID),
            ),
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _RetryableAnswer):
        return f"status_{exc.response.status_code}"
    return type(exc).__name__


class RetryingTransport(httpx.BaseTransport):
    """Sync transport that adds request ids, logs and retries (see module docs).

    Args:
        inner: The transport that sends.
        policy: Retry settings.
        retry_posts: Retry every method (for the token endpoint, whose POST
            creates nothing and whose bodies are never logged).
        quiet_paths: Paths whose bodies are never logged.
        close_inner: Whether closing this transport closes ``inner``.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        policy: RetryPolicy,
        *,
        retry_posts: bool = False,
        quiet_paths: Collection[str] = (),
        close_inner: bool = False,
    ) -> None:
        self._inner = inner
        self._p = _Policy(policy, retry_posts=retry_posts, quiet_paths=quiet_paths)
        self._close_inner = close_inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, retrying as the policy allows.

        Args:
            request: The request.

        Returns:
            The answer (a 502/503/504 when the retries ran out).

        Raises:
            FinAPIConnectionError: When no answer came.
        """
        p = self._p
        p.prepare(request)
        debug = p.bodies_allowed(request)
        if debug:
            p.log_request_body(request)
        try:
            return self._once(request, debug)
        except (httpx.TransportError, _RetryableAnswer) as exc:
            first: Exception = exc
        if not p.may_retry(request) or not p.backoff_hook(first):
            return self._give_up(request, first)
        return self._retry(request, first, debug)

    def _once(self, request: httpx.Request, debug: bool) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError as exc:
            self._p.log_failure(request, exc, started)
            raise
        self._p.log_answer(request, response, started)
        if debug:
            self._p.log_response_body(request, response.read())
        if response.status_code in self._p.policy.statuses:
            response.read()
            raise _RetryableAnswer(response)
        return response

    def _retry(
        self, request: httpx.Request, first: Exception, debug: bool
    ) -> httpx.Response:
        pending: Exception | None = first
        reason = _reason(first)
        number = 0
        try:
            for attempt in self._p.attempts():
                with attempt:
                    number += 1
                    if pending is not None:
                        exc, pending = pending, None
                        raise exc
                    self._p.log_retry(request, number, reason)
                    try:
                        return self._once(request, debug)
                    except (httpx.TransportError, _RetryableAnswer) as exc:
                        reason = _reason(exc)
                        raise
        except (httpx.TransportError, _RetryableAnswer) as exc:
            return self._give_up(request, exc)
        msg = "retry loop ended without an answer"  # pragma: no cover
        raise RuntimeError(msg)  # pragma: no cover

    def _give_up(self, request: httpx.Request, exc: Exception) -> httpx.Response:
        if isinstance(exc, _RetryableAnswer):
            return exc.response
        assert isinstance(exc, httpx.TransportError)
        raise _wrap(request, exc) from exc

    def close(self) -> None:
        """Close the inner transport if this transport owns it."""
        if self._close_inner:
            self._inner.close()


class AsyncRetryingTransport(httpx.AsyncBaseTransport):
    """Async twin of :class:`RetryingTransport`.

    Args:
        inner: The transport that sends.
        policy: Retry settings.
        retry_posts: Retry every method (for the token endpoint).
        quiet_paths: Paths whose bodies are never logged.
        close_inner: Whether closing this transport closes ``inner``.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        *,
        retry_posts: bool = False,
        quiet_paths: Collection[str] = (),
        close_inner: bool = False,
    ) -> None:
        self._inner = inner
        self._p = _Policy(policy, retry_posts=retry_posts, quiet_paths=quiet_paths)
        self._close_inner = close_inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, retrying as the policy allows.

        Args:
            request: The request.

        Returns:
            The answer (a 502/503/504 when the retries ran out).

        Raises:
            FinAPIConnectionError: When no answer came.
        """
        p = self._p
        p.prepare(request)
        debug = p.bodies_allowed(request)
        if debug:
            p.log_request_body(request)
        try:
            return await self._once(request, debug)
        except (httpx.TransportError, _RetryableAnswer) as exc:
            first: Exception = exc
        if not p.may_retry(request) or not p.backoff_hook(first):
            return self._give_up(request, first)
        return await self._retry(request, first, debug)

    async def _once(self, request: httpx.Request, debug: bool) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError as exc:
            self._p.log_failure(request, exc, started)
            raise
        self._p.log_answer(request, response, started)
        if debug:
            self._p.log_response_body(request, await response.aread())
        if response.status_code in self._p.policy.statuses:
            await response.aread()
            raise _RetryableAnswer(response)
        return response

    async def _retry(
        self, request: httpx.Request, first: Exception, debug: bool
    ) -> httpx.Response:
        pending: Exception | None = first
        reason = _reason(first)
        number = 0
        try:
            async for attempt in self._p.attempts():
                with attempt:
                    number += 1
                    if pending is not None:
                        exc, pending = pending, None
                        raise exc
                    self._p.log_retry(request, number, reason)
                    try:
                        return await self._once(request, debug)
                    except (httpx.TransportError, _RetryableAnswer) as exc:
                        reason = _reason(exc)
                        raise
        except (httpx.TransportError, _RetryableAnswer) as exc:
            return self._give_up(request, exc)
        msg = "retry loop ended without an answer"  # pragma: no cover
        raise RuntimeError(msg)  # pragma: no cover

    def _give_up(self, request: httpx.Request, exc: Exception) -> httpx.Response:
        if isinstance(exc, _RetryableAnswer):
            return exc.response
        assert isinstance(exc, httpx.TransportError)
        raise _wrap(request, exc) from exc

    async def aclose(self) -> None:
        """Close the inner transport if this transport owns it."""
        if self._close_inner:
            await self._inner.aclose()


class ClientTransport(httpx.BaseTransport):
    """Send through a caller's :class:`httpx.Client`, keeping its settings.

    Args:
        client: The caller's client (the caller closes it).
    """

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` with the caller's client.

        Args:
            request: The request (absolute URL).

        Returns:
            The answer, not yet read.
        """
        return self._client.send(request, stream=True)


class AsyncClientTransport(httpx.AsyncBaseTransport):
    """Send through a caller's :class:`httpx.AsyncClient`, keeping its settings.

    Args:
        client: The caller's client (the caller closes it).
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` with the caller's client.

        Args:
            request: The request (absolute URL).

        Returns:
            The answer, not yet read.
        """
        return await self._client.send(request, stream=True)


def _quiet_stamina() -> None:
    """Keep stamina's own retry line off stderr in apps that configure no logging.

    The facade logs each retry on the ``finapi`` logger. stamina also logs one
    at WARNING on ``stamina``; with no handler anywhere Python's last-resort
    handler printed it bare to stderr (breaking the CLI's one-line errors). A
    NullHandler stops only that fallback: apps that configure logging still
    receive the record through propagation.
    """
    stamina_logger = logging.getLogger("stamina")
    if not any(isinstance(h, logging.NullHandler) for h in stamina_logger.handlers):
        stamina_logger.addHandler(logging.NullHandler())
