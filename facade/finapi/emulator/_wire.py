"""Wire formats: timestamps, error bodies, the request context handlers see."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._spec import Operation
    from ._state import Token

__all__ = [
    "ACCESS",
    "WEBFORM",
    "ApiError",
    "Ctx",
    "OAuthError",
    "Reply",
    "access_time",
    "now",
    "webform_time",
]

ACCESS = "access"
WEBFORM = "webform"


def now() -> dt.datetime:
    """Return the current UTC time."""
    return dt.datetime.now(dt.timezone.utc)


def access_time(value: dt.datetime) -> str:
    """Format a time the way Access v1 sends it: ``yyyy-MM-dd HH:mm:ss.SSS``.

    Args:
        value: An aware datetime.

    Returns:
        The text finAPI would send.
    """
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def webform_time(value: dt.datetime) -> str:
    """Format a time the way Web Form 2.0 sends it: ``yyyy-MM-dd'T'HH:mm:ss.SSS+0000``.

    Args:
        value: An aware datetime.

    Returns:
        The text finAPI would send.
    """
    value = value.astimezone(dt.timezone.utc)
    return (
        value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
    )


class ApiError(Exception):
    """An error answer in the shape of the API that was called."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[tuple[str, str]] | None = None,
    ) -> None:
        """Describe the error.

        Args:
            status: The HTTP status.
            code: Access ``ErrorCode`` or Web Form ``Error.code``.
            message: The human-readable message.
            fields: For a Web Form 400, the invalid fields and why.
        """
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []


class OAuthError(Exception):
    """An OAuth-style error answer (``error``, ``error_description``)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        """Describe the error.

        Args:
            status: The HTTP status.
            error: The OAuth error code, e.g. ``invalid_client``.
            description: The human-readable description.
        """
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass
class Reply:
    """What a handler answers: a status, a JSON body (or None) and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    html: str | None = None


@dataclass
class Ctx:
    """Everything a handler needs to know about one request."""

    family: str
    operation: Operation
    method: str
    path: str
    path_params: dict[str, str]
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    body: Any
    form: dict[str, str] | None
    request_id: str
    token: Token | None = None
    after: list[Callable[[], None]] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        """Return ``METHOD /path``, as finAPI names the endpoint in errors."""
        return f"{self.method} {self.path}"

    def q(self, name: str) -> str | None:
        """Return the last value of a query parameter, or None.

        Args:
            name: The parameter name.
        """
        values = [v for k, v in self.query if k == name]
        return values[-1] if values else None

    def q_all(self, name: str) -> list[str]:
        """Return every value of a query parameter, comma lists split.

        Args:
            name: The parameter name.
        """
        out: list[str] = []
        for k, v in self.query:
            if k == name:
                out.extend(part for part in v.split(",") if part != "")
        return out


def access_error_body(
    ctx_endpoint: str,
    request_id: str,
    code: str,
    message: str,
    auth_context: str = "-",
    *,
    error_type: str = "BUSINESS",
) -> dict[str, Any]:
    """Build an Access ``ErrorMessage`` body.

    Args:
        ctx_endpoint: ``METHOD /path``.
        request_id: The request id of the call.
        code: An Access ``ErrorCode``.
        message: The message.
        auth_context: ``clientId/userId`` of the caller, ``-`` when unknown.
        error_type: ``BUSINESS`` or ``TECHNICAL``.

    Returns:
        The body.
    """
    return {
        "errors": [
            {
                "message": message,
                "code": code,
                "type": error_type,
                "multiStepAuthentication": None,
            }
        ],
        "date": access_time(now()),
        "requestId": request_id,
        "endpoint": ctx_endpoint,
        "authContext": auth_context,
        "bank": None,
    }


def webform_error_body(
    endpoint: str, code: str, message: str, fields: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """Build a Web Form 2.0 error body (``Error``, or ``ValidationError`` with fields).

    Args:
        endpoint: ``METHOD /path``.
        code: A Web Form ``Error.code``.
        message: The description.
        fields: The invalid fields of a 400, as (field, message) pairs.

    Returns:
        The body.
    """
    stamp = webform_time(now())
    if fields:
        return {
            "errors": [{"field": f, "message": m} for f, m in fields],
            "timestamp": stamp,
            "endpoint": endpoint,
        }
    return {
        "code": code,
        "description": message,
        "timestamp": stamp,
        "endpoint": endpoint,
    }


def dumps(body: Any) -> bytes:
    """Serialise a body as compact UTF-8 JSON.

    Args:
        body: The JSON value.

    Returns:
        The bytes to send.
    """
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
