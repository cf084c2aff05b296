"""The ``finapi`` logger and what it may print.

INFO: one ``key=value`` line per request attempt (method, path, status, request
id, elapsed time) and one per retry and per token request. DEBUG: request and
response bodies, except those of the token and revoke endpoints, which are never
logged; JSON fields that hold passwords, PINs, tokens or secrets are masked, and
bodies that are not JSON are only counted. Headers and query strings are never
logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

__all__: list[str] = []

logger = logging.getLogger("finapi")

_SECRET_WORDS = ("password", "secret", "token", "pin", "credential", "tan")
_MAX_BODY = 2000


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in ("tan", "pin"):
        return True
    return any(word in lowered for word in _SECRET_WORDS if len(word) > 3)


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: "***" if _is_secret_key(str(key)) else _mask(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


def redact_body(content: bytes) -> str:
    """Render a body for a DEBUG line with every secret-looking field masked.

    Args:
        content: The raw body.

    Returns:
        The masked JSON text (cut at 2000 characters), or a byte count for bodies
        that are not JSON.
    """
    if not content:
        return "-"
    try:
        data = json.loads(content)
    except ValueError:
        return f"<{len(content)} bytes, not JSON>"
    text = json.dumps(_mask(data), ensure_ascii=False, separators=(",", ":"))
    if len(text) > _MAX_BODY:
        text = text[:_MAX_BODY] + "...(cut)"
    return text


def kv(**fields: object) -> str:
    """Format fields as one ``key=value`` line (values with spaces are quoted).

    Args:
        **fields: The fields in order.

    Returns:
        The line.
    """
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        if not text or " " in text or '"' in text:
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    return " ".join(parts)


_QUERY_SECRETS = ("token", "access_token", "refresh_token", "client_secret", "password")


class _QueryRedactor(logging.Filter):
    """Mask secret query parameters in URLs that httpx logs (the revoke call's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(getattr(arg, "query", b"") for arg in args):
            record.args = tuple(_mask_url(arg) for arg in args)
        return True


def _mask_url(value: object) -> object:
    import httpx  # noqa: PLC0415  (already imported by then)

    if not isinstance(value, httpx.URL) or not value.query:
        return value
    for name in _QUERY_SECRETS:
        if name in value.params:
            value = value.copy_set_param(name, "***")
    return value


_redactor = _QueryRedactor()


def guard_httpx_logger() -> None:
    """Make httpx's own request log lines mask secret query parameters.

    finAPI's revoke endpoint takes the token in the query string, and httpx logs
    the full URL of each request at INFO on the ``httpx`` logger.
    """
    httpx_logger = logging.getLogger("httpx")
    if _redactor not in httpx_logger.filters:
        httpx_logger.addFilter(_redactor)
