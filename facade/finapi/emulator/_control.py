"""The control API: what ``emu.faults`` and ``emu.stats`` do, over HTTP.

Tests that run the emulator as a process of its own (``finapi-emulator``) reach
it only through HTTP. These routes live under :data:`CONTROL_PREFIX`, which no
finAPI path uses; they need no token, answer JSON, and are not spec operations:

- ``GET  /__emulator/stats``: the counters.
- ``GET  /__emulator/faults``: the fault rules in force.
- ``POST /__emulator/faults``: set a rule (the arguments of ``emu.faults.set``).
- ``DELETE /__emulator/faults``: clear every rule and the revoke-every-call mode.
- ``POST /__emulator/tokens/revoke-all`` and ``.../tokens/expire-all``.
- ``POST /__emulator/tokens/revoke-on-every-call`` with ``{"enabled": bool}``.
- ``POST /__emulator/reset``: back to the state of a fresh emulator.

Bad input answers 400 with ``{"error": "bad_request", "message": ...}``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from ._core import Emulator

__all__ = ["CONTROL_PREFIX", "answer", "is_control_path"]

logger = logging.getLogger("finapi.emulator")

#: Path prefix of the control API; finAPI's paths start with /api, /oauth or /webform.
CONTROL_PREFIX = "/__emulator"

_FAULT_FIELDS = ("prefix", "error_rate", "statuses", "latency", "drop_rate")

Action = Callable[["Emulator", dict[str, Any]], dict[str, Any]]


class ControlError(Exception):
    """A control request that cannot be carried out, with its HTTP status."""

    def __init__(
        self, status: int, code: str, message: str, allow: str | None = None
    ) -> None:
        """Describe the problem.

        Args:
            status: The HTTP status to answer.
            code: A short machine-readable code, e.g. ``bad_request``.
            message: What is wrong, naming the field.
            allow: The methods the path allows, for a 405.
        """
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.allow = allow


def is_control_path(path: str) -> bool:
    """Return whether a path lies under the control prefix.

    Args:
        path: The request path.
    """
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def _bad(message: str) -> ControlError:
    return ControlError(400, "bad_request", message)


def _shown(value: Any) -> str:
    return json.dumps(value)


def _allow_only(body: dict[str, Any], *names: str) -> None:
    unknown = sorted(set(body) - set(names))
    if unknown:
        allowed = ", ".join(names) if names else "none"
        msg = f"unknown field {unknown[0]!r} (allowed: {allowed})"
        raise _bad(msg)


def _number(body: dict[str, Any], name: str, default: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{name} must be a number, got {_shown(value)}"
        raise _bad(msg)
    return float(value)


def _statuses(body: dict[str, Any]) -> list[int]:
    value = body.get("statuses", [500, 502, 503])
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        msg = f"statuses must be a list of integers, got {_shown(value)}"
        raise _bad(msg)
    return value


def _faults_view(emu: Emulator) -> dict[str, Any]:
    return {
        "rules": [dataclasses.asdict(rule) for rule in emu.faults.rules],
        "revoke_on_every_call": emu.faults.revoking_every_call,
    }


def _stats(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    _allow_only(body)
    return emu.stats.snapshot()


def _get_faults(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    _allow_only(body)
    return _faults_view(emu)


def _set_fault(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    _allow_only(body, *_FAULT_FIELDS)
    prefix = body.get("prefix", "/")
    if not isinstance(prefix, str):
        msg = f"prefix must be a string, got {_shown(prefix)}"
        raise _bad(msg)
    try:
        rule = emu.faults.set(
            prefix,
            error_rate=_number(body, "error_rate", 0.0),
            statuses=_statuses(body),
            latency=_number(body, "latency", 0.0),
            drop_rate=_number(body, "drop_rate", 0.0),
        )
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    logger.info("emulator control: fault rule set: prefix=%s", rule.prefix)

    return _faults_view(emu)


def _clear_faults(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    _allow_only(body)
    emu.faults.clear()
    logger.info("emulator control: fault rules cleared")

    return _faults_view(emu)


def _revoke_all(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    _allow_only(body)
    count = emu.faults.revoke_all_tokens()
    logger.info("emulator control: tokens revoked: count=%d", count)

    return {"revoked": count}


def _expire_all(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    _allow_only(body)
    count = emu.faults.expire_all_tokens()
    logger.info("emulator control: access tokens expired: count=%d", count)

    return {"expired": count}


def _revoke_on_every_call(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    _allow_only(body, "enabled")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        msg = f"enabled must be true or false, got {_shown(enabled)}"
        raise _bad(msg)
    emu.faults.revoke_on_every_call(enabled)
    logger.info("emulator control: revoke on every call: enabled=%s", enabled)

    return {"enabled": enabled}


def _reset(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    _allow_only(body)
    emu.reset()
    logger.info("emulator control: reset")

    return {"reset": True}


#: Sub-path, then method, to action.
ROUTES: dict[str, dict[str, Action]] = {
    "/stats": {"GET": _stats},
    "/faults": {"GET": _get_faults, "POST": _set_fault, "DELETE": _clear_faults},
    "/tokens/revoke-all": {"POST": _revoke_all},
    "/tokens/expire-all": {"POST": _expire_all},
    "/tokens/revoke-on-every-call": {"POST": _revoke_on_every_call},
    "/reset": {"POST": _reset},
}


def _reject_constant(name: str) -> Any:
    msg = f"{name} is not a JSON number"
    raise ValueError(msg)


def _parse(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        msg = f"the body is not valid JSON: {exc}"
        raise _bad(msg) from exc
    if not isinstance(body, dict):
        msg = f"the body must be a JSON object, got {type(body).__name__}"
        raise _bad(msg)
    return body


def _json(status: int, body: dict[str, Any], **headers: str) -> Response:
    return Response(
        json.dumps(body, allow_nan=False),
        status,
        headers=headers,
        media_type="application/json",
    )


def _find(method: str, path: str) -> Action:
    sub = path[len(CONTROL_PREFIX) :].rstrip("/")
    methods = ROUTES.get(sub)
    if methods is None:
        known = ", ".join(CONTROL_PREFIX + p for p in ROUTES)
        msg = f"no control endpoint {path} (there are {known})"
        raise ControlError(404, "not_found", msg)
    action = methods.get(method)
    if action is None:
        allow = ", ".join(methods)
        msg = f"{method} is not allowed on {path} (allowed: {allow})"
        raise ControlError(405, "method_not_allowed", msg, allow)
    return action


async def answer(emu: Emulator, request: Request) -> Response:
    """Carry out one control request.

    Args:
        emu: The emulator to control.
        request: A request whose path lies under :data:`CONTROL_PREFIX`.

    Returns:
        The JSON answer: 200 with the result, else 400, 404 or 405 with
        ``error`` and ``message``.
    """
    path = request.url.path
    try:
        action = _find(request.method, path)
        body = _parse(await request.body())
        with emu.state.lock:
            result = action(emu, body)
    except ControlError as exc:
        headers = {"allow": exc.allow} if exc.allow else {}
        return _json(exc.status, {"error": exc.code, "message": exc.message}, **headers)

    return _json(200, result)
