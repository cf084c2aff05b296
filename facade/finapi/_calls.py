"""One generated operation called by a helper: under a known request id, answer checked.

The helpers (web forms, paging) name the ``X-Request-Id`` of each call before
it goes out, so that whatever follows can carry it: an unexpected answer, a
wait that times out, a log line. An answer is unexpected when the generated
client refuses its status (``UnexpectedStatus``, whose message holds the whole
body and is never shown) or parses it into another model than the helper needs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from finapi._errors import FinAPIError
from finapi._retry import new_request_id, sending_as

__all__: list[str] = []

T = TypeVar("T")

_GENERATED_ERRORS = ("finapi_access.errors", "finapi_webform.errors")


def _unexpected_status(exc: Exception) -> int | None:
    kind = type(exc)
    if kind.__name__ == "UnexpectedStatus" and kind.__module__ in _GENERATED_ERRORS:
        status = getattr(exc, "status_code", None)
        return status if isinstance(status, int) else 0
    return None


def unexpected(what: str, result: object, request_id: str | None) -> FinAPIError:
    """Build the error for an answer a helper cannot use.

    Args:
        what: What the helper did, e.g. ``get web form``.
        result: What the generated operation returned.
        request_id: The id of the request that got the answer.

    Returns:
        The error (its message names the type, never the content).
    """
    msg = f"{what}: unexpected answer {type(result).__name__}"
    return FinAPIError(msg, request_id=request_id)


def _refused(what: str, status: int, request_id: str) -> FinAPIError:
    msg = f"{what}: unexpected answer HTTP {status}"
    return FinAPIError(msg, status=status or None, request_id=request_id)


@contextlib.contextmanager
def _sending(what: str, request_id: str) -> Iterator[None]:
    """Send under ``request_id``; a status the generated client refuses is an error."""
    with sending_as(request_id):
        try:
            yield
        except Exception as exc:
            status = _unexpected_status(exc)
            if status is None:
                raise
            raise _refused(what, status, request_id) from None


def _checked(what: str, kind: type[T], result: object, request_id: str) -> T:
    if not isinstance(result, kind):
        raise unexpected(what, result, request_id)
    return result


def call(
    what: str,
    kind: type[T],
    send: Callable[[], object],
    request_id: str | None = None,
) -> tuple[T, str]:
    """Send one generated operation (sync) and check its answer.

    Args:
        what: What the helper does, for the error message.
        kind: The model the answer must be.
        send: Calls the generated operation.
        request_id: The id to send (default: a fresh one).

    Returns:
        The answer and the request id it was sent with.

    Raises:
        FinAPIError: For an unexpected answer (with the request id).
    """
    request_id = request_id or new_request_id()
    with _sending(what, request_id):
        result = send()

    return _checked(what, kind, result, request_id), request_id


async def acall(
    what: str,
    kind: type[T],
    send: Callable[[], Awaitable[object]],
    request_id: str | None = None,
) -> tuple[T, str]:
    """Send one generated operation (async) and check its answer.

    Args:
        what: What the helper does, for the error message.
        kind: The model the answer must be.
        send: Calls the generated operation; returns its awaitable.
        request_id: The id to send (default: a fresh one).

    Returns:
        The answer and the request id it was sent with.

    Raises:
        FinAPIError: For an unexpected answer (with the request id).
    """
    request_id = request_id or new_request_id()
    with _sending(what, request_id):
        result = await send()

    return _checked(what, kind, result, request_id), request_id
