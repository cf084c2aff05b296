"""Helpers for test suites that drive the emulator, and the spec checker.

The spec checker validates every request and response passing through an
emulator against the OpenAPI specs with openapi-core (install it beside the
``emulator`` extra). Use :class:`SpecCheckedEmulator`, or :func:`install` to
check every emulator built afterwards.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import httpx
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._control import is_control_path
from ._core import (
    APP_WRAPPERS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    HANDLERS,
    WEBFORM_PREFIX,
    Emulator,
)
from ._spec import load_spec, packaged_spec
from ._wire import ACCESS, WEBFORM

if TYPE_CHECKING:
    from openapi_core import OpenAPI

__all__ = [
    "SpecCheckedEmulator",
    "SpecChecker",
    "Violation",
    "bearer",
    "get_token",
    "install",
    "nullable_refs",
    "pinned_raw_specs",
    "uninstall",
]

_EXEMPT_HEADER = b"x-emulator-fault"


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header carrying an access token.

    Args:
        token: The access token.

    Returns:
        The header as a dict.
    """
    return {"Authorization": f"Bearer {token}"}


def get_token(
    client: httpx.Client,
    grant_type: str = "client_credentials",
    *,
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    **form: str,
) -> dict[str, Any]:
    """Ask the emulator's token endpoint for a token.

    Args:
        client: An httpx client whose base URL is the emulator's Access URL.
        grant_type: The grant.
        client_id: The client id.
        client_secret: The client secret.
        **form: More form fields (``username``, ``password``, ``refresh_token``).

    Returns:
        The token response body.

    Raises:
        AssertionError: The emulator did not answer 200.
    """
    data = {
        "grant_type": grant_type,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    data.update(form)
    response = client.post("/oauth/token", data=data)
    if response.status_code != 200:
        msg = f"token request failed with {response.status_code}: {response.text[:200]}"
        raise AssertionError(msg)
    return dict(response.json())


def pinned_raw_specs() -> dict[str, Path] | None:
    """Return the raw pinned specs materialised in this repository's ``specs/``.

    Returns:
        ``{"access": path, "webform": path}``, or None outside a checkout (or
        when the files have not been materialised).
    """
    specs_dir = Path(__file__).resolve().parents[3] / "specs"
    lock_file = specs_dir / "lock.json"
    if not lock_file.is_file():
        return None
    lock = json.loads(lock_file.read_text("utf-8"))
    out = {
        kind: specs_dir / entry["file"] for kind, entry in lock.get("specs", {}).items()
    }
    if set(out) != {ACCESS, WEBFORM} or not all(p.is_file() for p in out.values()):
        return None
    return out


@dataclass(frozen=True)
class Violation:
    """One request or response that does not match the spec."""

    kind: str  # "request" or "response"
    operation: str
    method: str
    path: str
    status: int
    message: str

    def __str__(self) -> str:
        """Describe the violation on one line."""
        return (
            f"{self.kind} of {self.operation} ({self.method} {self.path} -> {self.status}): "
            f"{self.message}"
        )


_OPENAPI_CACHE: dict[Any, Any] = {}
_CACHE_LOCK = threading.Lock()


_WEBFORM_STAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$"
)


def _finapi_date_time(value: object) -> bool:
    """Accept RFC 3339 date-times and finAPI's zone without a colon (``+0000``)."""
    return not isinstance(value, str) or bool(_WEBFORM_STAMP.match(value))


def nullable_refs(spec: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """Return a copy of a spec where every ``nullable: true`` admits ``null``.

    finAPI's specs declare nullable references as ``{allOf: [$ref], nullable: true}``
    and finAPI sends ``null`` there; strict OpenAPI 3.0 validators ignore that
    ``nullable``, and 3.1 validators ignore the keyword altogether. Each such node
    becomes "the schema, or null" in the spec's own dialect.

    Args:
        spec: The spec.

    Returns:
        The rewritten copy and the number of nodes rewritten.
    """
    count = 0
    is_31 = str(spec.get("openapi", "")).startswith("3.1")
    null_branch: dict[str, Any] = (
        {"type": "null"}
        if is_31
        else {"type": "object", "nullable": True, "enum": [None]}
    )

    def walk(node: Any) -> Any:
        nonlocal count
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        if out.get("nullable") is not True:
            return out
        if "allOf" in out:
            count += 1
            rest = {
                k: v for k, v in out.items() if k not in ("nullable", "allOf", "type")
            }
            if not is_31:
                rest["nullable"] = True
            return {**rest, "anyOf": [{"allOf": out["allOf"]}, null_branch]}
        if is_31 and isinstance(out.get("type"), str):
            count += 1
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
            del out["nullable"]
        return out

    copied = walk(dict(spec))
    return copied, count


def _build_openapi(key: Any, spec: Mapping[str, Any]) -> OpenAPI:
    from openapi_core import Config, OpenAPI  # noqa: PLC0415 - a test-only dependency
    from openapi_core.templating.paths.finders import APICallPathFinder  # noqa: PLC0415

    from ._finder import preferring_finder  # noqa: PLC0415

    prepared, _ = nullable_refs(spec)
    config = Config(
        spec_validator_cls=None,
        path_finder_cls=preferring_finder(APICallPathFinder),
        extra_format_validators={"date-time": _finapi_date_time},
    )
    return OpenAPI.from_dict(prepared, config=config)


class SpecChecker:
    """Validate emulator traffic against OpenAPI specs and collect violations.

    By default the raw pinned specs of this repository are used when an
    emulator serves the packaged specs, else the specs the emulator serves.
    """

    def __init__(
        self,
        access_spec: Mapping[str, Any] | str | Path | None = None,
        webform_spec: Mapping[str, Any] | str | Path | None = None,
    ) -> None:
        """Choose the specs to validate against.

        Args:
            access_spec: Access spec (dict or file); None for the pinned raw one.
            webform_spec: Web Form spec (dict or file); None for the pinned raw one.
        """
        raw = pinned_raw_specs()
        self._given = {ACCESS: access_spec, WEBFORM: webform_spec}
        self._pinned = raw
        self._lock = threading.Lock()
        self.violations: list[Violation] = []
        self.calls = 0
        self.seconds = 0.0
        self.checked_operations: set[tuple[str, str]] = set()
        self._pending: list[tuple[Emulator, Any, Any]] = []

    def submit(
        self,
        emu: Emulator,
        request: tuple[str, str, str, list[tuple[bytes, bytes]], bytes],
        response: tuple[int, list[tuple[bytes, bytes]], bytes],
    ) -> None:
        """Keep one exchange for validation by the next :meth:`drain`.

        Validation is deferred so that it cannot slow the emulator down while
        a test runs (timing-sensitive tests, such as token expiry, stay honest).

        Args:
            emu: The emulator that answered.
            request: Method, path, query string, headers and body.
            response: Status, headers and body.
        """
        with self._lock:
            self._pending.append((emu, request, response))

    def drain(self) -> None:
        """Validate every exchange kept so far (in the calling thread)."""
        while True:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            for emu, request, response in batch:
                try:
                    self.check(emu, request, response)
                except Exception as exc:  # noqa: BLE001 - a checker bug must surface as a violation
                    found = Violation(
                        "response",
                        "?",
                        request[0],
                        request[1],
                        response[0],
                        f"checker failed: {exc!r}",
                    )
                    with self._lock:
                        self.violations.append(found)

    def _openapi(self, emu: Emulator, family: str) -> tuple[OpenAPI, str]:
        cache: dict[str, tuple[OpenAPI, str]] = emu.__dict__.setdefault(
            "_spec_checker_cache", {}
        )
        if family not in cache:
            cache[family] = self._choose(emu, family)
        return cache[family]

    def _choose(self, emu: Emulator, family: str) -> tuple[OpenAPI, str]:
        served = emu.access_spec if family == ACCESS else emu.webform_spec
        given = self._given[family]
        packaged = packaged_spec(
            "finapi_access" if family == ACCESS else "finapi_webform"
        )
        if given is not None:
            key: Any = (
                "given",
                family,
                str(given) if not isinstance(given, Mapping) else _digest(given),
            )
            source: Any = given
        elif served is packaged and self._pinned is not None:
            key = ("pinned", str(self._pinned[family]))
            source = self._pinned[family]
        else:
            key = ("served", _digest(served))
            source = served
        with _CACHE_LOCK:
            cached = _OPENAPI_CACHE.get(key)
        if cached is None:
            spec = load_spec(source)
            servers = spec.get("servers") or [{"url": "http://localhost"}]
            cached = (_build_openapi(key, spec), str(servers[0]["url"]).rstrip("/"))
            with _CACHE_LOCK:
                _OPENAPI_CACHE[key] = cached
        return cached

    def check(
        self,
        emu: Emulator,
        request: tuple[str, str, str, list[tuple[bytes, bytes]], bytes],
        response: tuple[int, list[tuple[bytes, bytes]], bytes],
    ) -> list[Violation]:
        """Validate one exchange.

        Args:
            emu: The emulator that answered.
            request: Method, path, query string, headers and body.
            response: Status, headers and body.

        Returns:
            The violations found (also appended to ``violations``).
        """
        method, path, query, req_headers, req_body = request
        status, resp_headers, _ = response
        if emu.control_api and is_control_path(path):
            return []  # the control API is the emulator's own, not finAPI's
        if path == WEBFORM_PREFIX or path.startswith(WEBFORM_PREFIX + "/"):
            family, router, sub = (
                WEBFORM,
                emu.webform_router,
                path[len(WEBFORM_PREFIX) :] or "/",
            )
        else:
            family, router, sub = ACCESS, emu.access_router, path
        op, _, _ = router.match(method, sub)
        if op is None or any(k.lower() == _EXEMPT_HEADER for k, _ in resp_headers):
            return []
        if op.operation_id not in HANDLERS[family] and status == 501:
            return []
        started = time.perf_counter()
        problems = self._validate(
            emu,
            family,
            op.template,
            (method, sub, query, req_headers, req_body),
            response,
        )
        found = [
            Violation(kind, op.operation_id, method, path, status, text)
            for kind, text in problems
        ]
        with self._lock:
            self.calls += 1
            self.seconds += time.perf_counter() - started
            self.checked_operations.add((family, op.operation_id))
            self.violations.extend(found)
        return found

    def _validate(
        self,
        emu: Emulator,
        family: str,
        template: str,
        request: tuple[str, str, str, list[tuple[bytes, bytes]], bytes],
        response: tuple[int, list[tuple[bytes, bytes]], bytes],
    ) -> list[tuple[str, str]]:
        from openapi_core.datatypes import RequestParameters  # noqa: PLC0415
        from werkzeug.datastructures import Headers, ImmutableMultiDict  # noqa: PLC0415

        from ._finder import PREFERRED  # noqa: PLC0415

        openapi, server = self._openapi(emu, family)
        method, sub, query, req_headers, req_body = request
        status, resp_headers, resp_body = response

        def headers(raw: list[tuple[bytes, bytes]]) -> Headers:
            return Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw])

        req_h = headers(req_headers)
        resp_h = headers(resp_headers)
        req = _Request(
            host_url=server,
            path=sub,
            method=method.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(parse_qsl(query, keep_blank_values=True)),
                header=req_h,
                cookie={},
            ),
            content_type=(req_h.get("content-type") or "").lower(),
            body=req_body or None,
        )
        resp = _Response(
            status_code=status,
            content_type=(resp_h.get("content-type") or "").lower(),
            headers=resp_h,
            data=resp_body,
        )
        out: list[tuple[str, str]] = []
        token = PREFERRED.set(template)
        try:
            with warnings.catch_warnings():
                # openapi-core cannot check OAuth 2 schemes and says so each call.
                warnings.filterwarnings(
                    "ignore", "Unsupported scheme type", UserWarning
                )
                out += [
                    ("request", _describe(e)) for e in openapi.iter_request_errors(req)
                ]
                out += [
                    ("response", _describe(e))
                    for e in openapi.iter_response_errors(req, resp)
                ]
        finally:
            PREFERRED.reset(token)
        return [
            (kind, text)
            for kind, text in out
            if not (kind == "request" and _loopback_callback_only(text))
        ]

    def response_violations(self) -> list[Violation]:
        """Return the response violations collected so far (after draining the queue)."""
        self.drain()
        with self._lock:
            return [v for v in self.violations if v.kind == "response"]

    def request_violations(self) -> list[Violation]:
        """Return the request violations collected so far (after draining the queue)."""
        self.drain()
        with self._lock:
            return [v for v in self.violations if v.kind == "request"]

    def clear(self) -> None:
        """Forget the violations collected so far."""
        with self._lock:
            self.violations.clear()

    def middleware(self, emu: Emulator) -> Middleware:
        """Return the Starlette middleware that feeds an emulator's traffic to this checker.

        Args:
            emu: The emulator.

        Returns:
            The middleware definition.
        """
        return Middleware(_CheckMiddleware, checker=self, emulator=emu)


def _loopback_callback_only(text: str) -> bool:
    return "http://127.0.0.1" in text or "http://localhost" in text


def _describe(error: BaseException) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    for sub in getattr(error, "schema_errors", None) or []:
        where = "/".join(str(p) for p in getattr(sub, "absolute_path", []))
        parts.append(f"[{where}] {getattr(sub, 'message', sub)}")
    cause = error.__cause__
    if cause is not None:
        parts.append(_describe(cause))
    return "; ".join(parts)[:2000]


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    parameters: Any
    content_type: str
    body: bytes | None


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Any
    data: bytes


class _CheckMiddleware:
    """Capture each exchange and hand it to a SpecChecker after the answer went out."""

    def __init__(self, app: ASGIApp, checker: SpecChecker, emulator: Emulator) -> None:
        self.app = app
        self.checker = checker
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        status = 0
        resp_headers: list[tuple[bytes, bytes]] = []
        resp_body = bytearray()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def send_and_keep(message: Message) -> None:
            nonlocal status, resp_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                resp_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                resp_body.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive_and_keep, send_and_keep)
        request = (
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            list(scope.get("headers", [])),
            bytes(body),
        )
        self.checker.submit(
            self.emulator, request, (status, resp_headers, bytes(resp_body))
        )


class SpecCheckedEmulator(Emulator):
    """An emulator whose every exchange is validated by its own :class:`SpecChecker`."""

    def __init__(self, *, checker: SpecChecker | None = None, **kwargs: Any) -> None:
        """Create the emulator.

        Args:
            checker: The checker to feed; a new one by default.
            **kwargs: Passed on to :class:`Emulator`.
        """
        self.checker = checker or SpecChecker()
        super().__init__(**kwargs)

    def _extra_middleware(self) -> list[Middleware]:
        return [self.checker.middleware(self)]

    def assert_clean(self) -> None:
        """Fail when any response violated the spec.

        Raises:
            AssertionError: Listing the violations.
        """
        bad = self.checker.response_violations()
        if bad:
            msg = "emulator responses violate the spec:\n" + "\n".join(
                str(v) for v in bad[:20]
            )
            raise AssertionError(msg)


def install(checker: SpecChecker) -> None:
    """Validate the traffic of every emulator built from now on with a checker.

    Args:
        checker: The checker.
    """
    APP_WRAPPERS.append(checker.middleware)


def uninstall(checker: SpecChecker) -> None:
    """Stop validating emulators built from now on with a checker.

    Args:
        checker: The checker given to :func:`install`.
    """
    while checker.middleware in APP_WRAPPERS:
        APP_WRAPPERS.remove(checker.middleware)


def _digest(spec: Mapping[str, Any]) -> str:
    """Key a spec by its content: an ``id()`` may be reused once a dict is freed."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
