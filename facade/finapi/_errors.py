"""The exceptions the facade raises, all under one root.

::

    FinAPIError                      status, code, message, request_id, endpoint
    ├── AuthenticationError          401, and OAuth errors of the token endpoint
    │   ├── InvalidClientError       OAuth ``invalid_client``
    │   ├── InvalidGrantError        OAuth ``invalid_grant`` (bad password, dead refresh token)
    │   ├── InvalidTokenError        OAuth ``invalid_token`` (expired or revoked access token)
    │   ├── UnauthorizedClientError  OAuth ``unauthorized_client``
    │   ├── UnsupportedGrantTypeError  OAuth ``unsupported_grant_type``
    │   └── ReauthenticationRequired  the user's tokens are gone and no password is known
    ├── PermissionDeniedError        403
    ├── InvalidRequestError          400 (and OAuth ``invalid_request``)
    ├── NotFoundError                404
    ├── UnprocessableError           422
    ├── LockedError                  423 (a user locked after failed logins)
    ├── ServerError                  5xx
    ├── FinAPIConnectionError        the request did not get an answer (wraps httpx errors)
    │   └── FinAPITimeoutError       ... because a timeout ran out
    ├── WaitTimeoutError             a web form or task did not reach a final status in time
    └── TokenStoreLockError          a shared token store's lock timed out or expired

Messages and reprs never hold headers, request bodies, tokens or credentials: a
message comes from the error body finAPI sent, which names the problem only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

__all__ = [
    "AuthenticationError",
    "FinAPIConnectionError",
    "FinAPIError",
    "FinAPITimeoutError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidTokenError",
    "LockedError",
    "NotFoundError",
    "PermissionDeniedError",
    "ReauthenticationRequired",
    "ServerError",
    "TokenStoreLockError",
    "UnauthorizedClientError",
    "UnprocessableError",
    "UnsupportedGrantTypeError",
    "WaitTimeoutError",
]

_MAX_MESSAGE = 500


class FinAPIError(Exception):
    """Root of every error the facade raises.

    Attributes:
        status: HTTP status of the answer, or None when there was no answer.
        code: finAPI's error code (``ENTITY_NOT_FOUND``, ``NOT_FOUND``) or the OAuth
            ``error`` (``invalid_grant``), when the answer named one.
        message: What went wrong, as finAPI described it.
        request_id: The ``X-Request-Id`` of the request (the facade sends one on
            every call).
        endpoint: Method and path of the request, e.g. ``GET /api/v1/accounts``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.message: str = message[:_MAX_MESSAGE]
        self.status: int | None = status
        self.code: str | None = code
        self.request_id: str | None = request_id
        self.endpoint: str | None = endpoint
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        where = []
        if self.endpoint:
            where.append(f"endpoint={self.endpoint}")
        if self.request_id:
            where.append(f"request_id={self.request_id}")
        return f"{text} ({', '.join(where)})" if where else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(FinAPIError):
    """The credentials or the token were refused (401, or an OAuth error)."""


class InvalidClientError(AuthenticationError):
    """The client id or client secret is wrong (OAuth ``invalid_client``)."""


class InvalidGrantError(AuthenticationError):
    """A user's password or a refresh token was refused (OAuth ``invalid_grant``)."""


class InvalidTokenError(AuthenticationError):
    """An access token was refused as expired or revoked (OAuth ``invalid_token``)."""


class UnauthorizedClientError(AuthenticationError):
    """The client may not use this grant (OAuth ``unauthorized_client``)."""


class UnsupportedGrantTypeError(AuthenticationError):
    """The token endpoint does not know the grant (OAuth ``unsupported_grant_type``)."""


class ReauthenticationRequired(AuthenticationError):
    """A user's tokens can no longer be renewed and no password is known.

    Create the session again with the user's password
    (``fin.user(user_id, password)``).
    """


class PermissionDeniedError(FinAPIError):
    """The principal may not do this (403), e.g. a client token on a user's data."""


class InvalidRequestError(FinAPIError):
    """finAPI refused the request as malformed (400)."""


class NotFoundError(FinAPIError):
    """The resource does not exist (404)."""


class UnprocessableError(FinAPIError):
    """finAPI understood the request but cannot do it (422), e.g. a user id in use."""


class LockedError(FinAPIError):
    """The user is locked (423), e.g. after too many failed logins."""


class ServerError(FinAPIError):
    """finAPI failed (5xx), after the retries allowed for the request."""


class FinAPIConnectionError(FinAPIError):
    """No answer arrived: the connection failed or broke (wraps the httpx error).

    Attributes:
        retryable: Whether the failure was of a kind a retry may cure (connect
            errors, broken connections, timeouts; not TLS failures).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        request_id: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, endpoint=endpoint)
        self.retryable: bool = retryable


class FinAPITimeoutError(FinAPIConnectionError):
    """A connect, read, write or pool timeout ran out."""


class WaitTimeoutError(FinAPIError, TimeoutError):
    """A web form or task did not reach a final status within the wait's timeout.

    Attributes:
        last_status: The last status seen before giving up.
    """

    def __init__(
        self,
        message: str,
        *,
        last_status: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.last_status: str | None = last_status


class TokenStoreLockError(FinAPIError):
    """A shared token store's single-flight lock failed.

    Either the lock could not be had within the store's wait (another process
    holds it), or it expired while held (a token request lasted longer than the
    store's lock timeout, so another process may have requested a token too).

    Attributes:
        key: The principal key whose lock failed.
    """

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message, code="token_store_lock")
        self.key: str = key


_OAUTH_ERRORS: dict[str, type[FinAPIError]] = {
    "invalid_client": InvalidClientError,
    "invalid_grant": InvalidGrantError,
    "invalid_token": InvalidTokenError,
    "unauthorized_client": UnauthorizedClientError,
    "unsupported_grant_type": UnsupportedGrantTypeError,
    "invalid_request": InvalidRequestError,
}

_BY_STATUS: dict[int, type[FinAPIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: UnprocessableError,
    423: LockedError,
}


def error_class(status: int, code: str | None, *, oauth: bool) -> type[FinAPIError]:
    """Pick the exception class for a status and an error code.

    Args:
        status: HTTP status of the answer.
        code: The error code from the body, if any.
        oauth: Whether the code is an OAuth ``error`` field.

    Returns:
        The most specific class.
    """
    if oauth and code in _OAUTH_ERRORS:
        return _OAUTH_ERRORS[code]
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, FinAPIError)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_error_body(content: bytes) -> tuple[str | None, str | None, str | None, bool]:
    """Read code, message and request id from any of finAPI's error shapes.

    Understands Access errors (``{"errors": [{"message", "code"}], "requestId"}``),
    Web Form 2.0 errors (``{"code", "description"}`` and ``{"errors": [...]}``) and
    OAuth errors (``{"error", "error_description"}``).

    Args:
        content: The raw response body.

    Returns:
        ``(code, message, request_id, is_oauth)``; parts the body lacks are None.
    """
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        return None, None, None, False

    request_id = _text(body.get("requestId"))
    if _text(body.get("error")):
        message = _text(body.get("error_description"))
        return _text(body.get("error")), message, request_id, True

    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        messages: list[str] = []
        code: str | None = None
        for item in errors:
            if not isinstance(item, Mapping):
                continue
            text = _text(item.get("message")) or _text(item.get("description"))
            if text:
                messages.append(text)
            code = code or _text(item.get("code"))
        return code, "; ".join(messages) or None, request_id, False

    message = _text(body.get("description")) or _text(body.get("message"))
    return _text(body.get("code")), message, request_id, False


def error_from_answer(
    status: int,
    content: bytes,
    *,
    request_id: str | None,
    endpoint: str,
    reason: str = "",
) -> FinAPIError:
    """Build the typed error for a non-2xx answer.

    Args:
        status: HTTP status.
        content: Raw response body.
        request_id: The id the request carried (or finAPI echoed).
        endpoint: ``METHOD /path`` of the request.
        reason: The HTTP reason phrase, used when the body names no message.

    Returns:
        An instance of the most specific FinAPIError subclass.
    """
    code, message, body_request_id, oauth = parse_error_body(content)
    cls = error_class(status, code, oauth=oauth)
    text = message or reason or "no error message in the answer"
    return cls(
        text,
        status=status,
        code=code,
        request_id=request_id or body_request_id,
        endpoint=endpoint,
    )
