"""The emulator: an ASGI app serving Access and Web Form 2.0 from their specs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _control
from ._control import CONTROL_PREFIX, is_control_path
from ._faults import Faults, Stats
from ._spec import SpecError, SpecRouter, load_spec, packaged_spec
from ._state import State, Token
from ._wire import (
    ACCESS,
    WEBFORM,
    ApiError,
    Ctx,
    OAuthError,
    Reply,
    access_error_body,
    dumps,
    webform_error_body,
)

__all__ = [
    "CONTROL_PREFIX",
    "DEMO_BANK_LOGIN",
    "DEMO_BANK_PIN",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "HANDLERS",
    "DroppedConnection",
    "Emulator",
    "handler",
]

logger = logging.getLogger("finapi.emulator")

#: Client credentials every emulator accepts unless told otherwise.
DEMO_CLIENT_ID = "finapi-emulator-demo-client"
DEMO_CLIENT_SECRET = "finapi-emulator-demo-secret"  # noqa: S105 - public demo value
#: What the web form page asks a person to type to import a demo bank.
DEMO_BANK_LOGIN = "demo"
DEMO_BANK_PIN = "12345"

WEBFORM_PREFIX = "/webform"
PAGE_PREFIX = "/webform/wf/"
_MAX_REQUEST_ID = 255

Handler = Callable[["Emulator", Ctx], Reply]
#: Factories of extra outermost middleware for every emulator built from now on
#: (``finapi.emulator.testing`` installs its spec checker here).
APP_WRAPPERS: list[Callable[[Emulator], Middleware]] = []
#: Handlers per API family, keyed by operationId.
HANDLERS: dict[str, dict[str, Handler]] = {ACCESS: {}, WEBFORM: {}}


def handler(family: str, operation_id: str) -> Callable[[Handler], Handler]:
    """Register a function as the handler of an operation.

    Args:
        family: ``access`` or ``webform``.
        operation_id: The operationId it serves.

    Returns:
        A decorator that registers and returns the function.
    """

    def register(func: Handler) -> Handler:
        HANDLERS[family][operation_id] = func
        return func

    return register


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised inside the app when fault injection drops a connection."""


class _FaultMiddleware:
    """Echo or generate ``X-Request-Id`` and apply fault injection."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", []):
            if name.lower() == b"x-request-id":
                given = value.decode("latin-1")
        request_id = given or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        scope["state"]["request_id_too_long"] = len(request_id) > _MAX_REQUEST_ID

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        path = scope.get("path", "/")
        if self.emulator.control_api and is_control_path(path):
            # Faults never reach the control API, or a rule on "/" could not be lifted.
            await self.app(scope, receive, send_with_id)
            return
        decision = self.emulator.faults.decide(path)
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.drop:
            self.emulator.stats.count("faults_injected")
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"64"),
                    ],
                }
            )
            await send_with_id(
                {"type": "http.response.body", "body": b"{", "more_body": True}
            )
            msg = "connection dropped by fault injection"
            raise DroppedConnection(msg)
        if decision.status is not None:
            self.emulator.stats.count("faults_injected")
            endpoint = f"{scope.get('method', 'GET')} {path}"
            text = "Injected fault: the emulator answers with a server error."
            if path.startswith(WEBFORM_PREFIX):
                body = webform_error_body(endpoint, "INTERNAL_SERVER_ERROR", text)
            else:
                body = access_error_body(
                    endpoint,
                    request_id,
                    "UNEXPECTED_ERROR",
                    text,
                    error_type="TECHNICAL",
                )
            response = Response(
                dumps(body),
                decision.status,
                headers={"x-emulator-fault": "error"},
                media_type="application/json",
            )
            await response(scope, receive, send_with_id)
            return
        await self.app(scope, receive, send_with_id)


class _LoopThread:
    """A private event loop in a daemon thread, for sync transports."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="finapi-emulator-loop", daemon=True
        )
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


class SyncASGITransport(httpx.BaseTransport):
    """Run the emulator's ASGI app for sync httpx clients, from any thread."""

    def __init__(self, emulator: Emulator) -> None:
        """Bind the transport to an emulator.

        Args:
            emulator: The emulator whose app answers.
        """
        self._emulator = emulator
        self._inner = httpx.ASGITransport(app=emulator.app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request through the app and return the whole response.

        Args:
            request: The request.

        Returns:
            The response, read in full.
        """
        request.read()

        async def run() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._inner.handle_async_request(request)
            try:
                body = await response.aread()
            finally:
                await response.aclose()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._emulator._loop().run(run())
        kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]

        return httpx.Response(status, headers=kept, content=body, request=request)


class Emulator:
    """A stateful local emulator of finAPI Access and Web Form 2.0.

    Access is served at the root (``/oauth/token``, ``/api/v1/...``), Web Form
    2.0 under ``/webform`` (``/webform/api/webForms``), and the web form pages
    under ``/webform/wf/<id>``.
    """

    def __init__(
        self,
        *,
        token_lifetime: float = 3599,
        refresh_token_lifetime: float | None = 86400 * 30,
        clients: Mapping[str, str] | None = None,
        seed: int = 0,
        webform_lifetime: float = 600,
        access_spec: Mapping[str, Any] | str | Path | None = None,
        webform_spec: Mapping[str, Any] | str | Path | None = None,
        base_url: str = "http://127.0.0.1:8080",
        callback_transport: httpx.BaseTransport | None = None,
        callback_verify: Any = True,
        control_api: bool = True,
    ) -> None:
        """Create an emulator with empty state.

        Args:
            token_lifetime: Seconds an access token lives (float allowed).
            refresh_token_lifetime: Seconds a refresh token lives; None for ever.
            clients: Accepted client credentials, id to secret; the demo pair by default.
            seed: Seed for generated data; the same seed gives the same data.
            webform_lifetime: Seconds until an unfinished web form is EXPIRED.
            access_spec: Access spec to serve (dict or file) instead of the packaged one.
            webform_spec: Web Form spec to serve (dict or file) instead of the packaged one.
            base_url: Public origin, used in web form URLs.
            callback_transport: httpx transport for posting callbacks (tests route
                them in-process with it); real HTTP by default.
            callback_verify: TLS verification for callbacks (httpx ``verify``).
            control_api: Serve the control API under ``/__emulator`` (fault
                injection, token revocation, stats and reset over HTTP, without
                a token); when False that prefix answers 404 like any unknown path.

        Raises:
            ValueError: An option is out of range.
            SpecError: A spec cannot be read or served.
        """
        if token_lifetime <= 0:
            msg = f"token_lifetime must be positive, got {token_lifetime!r}"
            raise ValueError(msg)
        if refresh_token_lifetime is not None and refresh_token_lifetime <= 0:
            msg = f"refresh_token_lifetime must be positive or None, got {refresh_token_lifetime!r}"
            raise ValueError(msg)
        if webform_lifetime <= 0:
            msg = f"webform_lifetime must be positive, got {webform_lifetime!r}"
            raise ValueError(msg)
        self.token_lifetime = float(token_lifetime)
        self.refresh_token_lifetime = (
            None if refresh_token_lifetime is None else float(refresh_token_lifetime)
        )
        self.clients: dict[str, str] = dict(
            clients if clients is not None else {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}
        )
        if not self.clients:
            msg = "clients must hold at least one client id and secret"
            raise ValueError(msg)
        self.seed = int(seed)
        self.webform_lifetime = float(webform_lifetime)
        self.callback_transport = callback_transport
        self.callback_verify = callback_verify
        self.base_url = base_url
        self.access_spec = (
            load_spec(access_spec)
            if access_spec is not None
            else packaged_spec("finapi_access")
        )
        self.webform_spec = (
            load_spec(webform_spec)
            if webform_spec is not None
            else packaged_spec("finapi_webform")
        )
        self.access_router = SpecRouter(self.access_spec, "Access")
        self.webform_router = SpecRouter(self.webform_spec, "Web Form")
        self.control_api = bool(control_api)
        clashing = [
            op.template
            for op in self.access_router.operations.values()
            if is_control_path(op.template)
        ]
        if self.control_api and clashing:
            msg = (
                f"the Access spec has paths under the control API's {CONTROL_PREFIX}: "
                f"{clashing[0]}; serve it with control_api=False"
            )
            raise SpecError(msg)
        self.state = State(self.seed)
        self.stats = Stats()
        self.faults = Faults(
            self.seed,
            revoke_all=self.state.revoke_where,
            expire_all=self.state.expire_access_tokens,
        )
        self._loop_lock = threading.Lock()
        self._loop_thread: _LoopThread | None = None
        self._callback_threads: list[threading.Thread] = []
        self._sweeper: threading.Thread | None = None
        self.callbacks_sent: list[dict[str, Any]] = []
        self.app = self._build_app()
        from . import _access, _webform  # noqa: F401, PLC0415 - registers handlers

        _access.seed_state(self)

    # -- public surface ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the public origin (scheme, host, port)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        url = httpx.URL(value)
        if url.scheme not in ("http", "https") or not url.host:
            msg = f"base_url must be an http(s) origin like http://127.0.0.1:8080, got {value!r}"
            raise ValueError(msg)
        self._base_url = str(value).rstrip("/")

    @property
    def access_url(self) -> str:
        """Return the base URL of Access."""
        return self._base_url

    @property
    def webform_url(self) -> str:
        """Return the base URL of Web Form 2.0."""
        return self._base_url + WEBFORM_PREFIX

    @property
    def implemented(self) -> dict[str, list[tuple[str, str, str, bool]]]:
        """Return every operation of both specs and whether it is implemented.

        Returns:
            Per family, rows of (operationId, method, path, implemented).
        """
        out: dict[str, list[tuple[str, str, str, bool]]] = {}
        for family, router in (
            (ACCESS, self.access_router),
            (WEBFORM, self.webform_router),
        ):
            out[family] = [
                (
                    op.operation_id,
                    op.method,
                    op.template,
                    op.operation_id in HANDLERS[family],
                )
                for op in router.operations.values()
            ]
        return out

    def sync_transport(self) -> httpx.BaseTransport:
        """Return an httpx transport for sync clients, usable from many threads.

        Returns:
            The transport.
        """
        return SyncASGITransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """Return an httpx transport for async clients.

        Returns:
            The transport.
        """
        return httpx.ASGITransport(app=self.app)

    def client(self, **kwargs: Any) -> httpx.Client:
        """Return a sync httpx client talking to Access in-process.

        Args:
            **kwargs: Passed on to ``httpx.Client``.

        Returns:
            The client.
        """
        kwargs.setdefault("base_url", self.access_url)
        return httpx.Client(transport=self.sync_transport(), **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """Return an async httpx client talking to Access in-process.

        Args:
            **kwargs: Passed on to ``httpx.AsyncClient``.

        Returns:
            The client.
        """
        kwargs.setdefault("base_url", self.access_url)
        return httpx.AsyncClient(transport=self.async_transport(), **kwargs)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Run the emulator on a real socket in a background thread.

        Args:
            host: Interface to listen on.
            port: Port, 0 for a free one.

        Yields:
            The base URL it listens on (also set as ``base_url``).
        """
        from ._server import run_in_thread  # noqa: PLC0415 - uvicorn only when serving

        with run_in_thread(self.app, host, port) as url:
            previous = self._base_url
            self.base_url = url
            try:
                yield url
            finally:
                self._base_url = previous

    def complete_webform(self, webform_id: str, **kwargs: Any) -> dict[str, Any]:
        """Complete a web form as the page's submit button does.

        Args:
            webform_id: The web form id.
            **kwargs: ``bank_id``, ``login``, ``pin``, ``abort`` (see the page).

        Returns:
            The web form as the API would show it afterwards.
        """
        from . import _webform  # noqa: PLC0415

        return _webform.complete(self, webform_id, **kwargs)

    def reset(self) -> None:
        """Go back to the state of a fresh emulator with the same options.

        Users, tokens, bank connections, web forms, tasks and client
        configuration go; the demo data is seeded again from the seed; the
        counters go back to zero and the fault rules are cleared. Callbacks
        already on their way are still delivered.
        """
        from . import _access  # noqa: PLC0415 - imported at the end of __init__

        with self.state.lock:
            self.state.reset()
            _access.seed_state(self)
            self.stats.reset()
            self.faults.reset()
            self.callbacks_sent.clear()

    def wait_for_callbacks(self, timeout: float = 10.0) -> None:
        """Wait until every callback posted so far has been delivered or has failed.

        Args:
            timeout: Seconds to wait per callback.
        """
        for thread in list(self._callback_threads):
            thread.join(timeout)

    def close(self) -> None:
        """Stop the private event loop of sync transports, if one runs."""
        with self._loop_lock:
            if self._loop_thread is not None:
                self._loop_thread.stop()
                self._loop_thread = None

    def __enter__(self) -> Emulator:
        """Return the emulator itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the emulator."""
        self.close()

    def __repr__(self) -> str:
        """Show the options, never a secret."""
        return (
            f"Emulator(base_url={self._base_url!r}, token_lifetime={self.token_lifetime}, "
            f"clients={sorted(self.clients)}, seed={self.seed})"
        )

    # -- auth helpers used by handlers -------------------------------------------

    def authorise(self, ctx: Ctx, role: str) -> Token:
        """Check the bearer token of a request and the caller's role.

        Args:
            ctx: The request.
            role: ``user``, ``client`` or ``any``.

        Returns:
            The token.

        Raises:
            OAuthError: Access call without a valid token.
            ApiError: Web Form call without a valid token, or the wrong role.
        """
        header = ctx.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        token = (
            self.state.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        )
        problem = None
        if token is None or token.kind != "access":
            problem = (
                "Invalid access token."
                if header
                else "Full authentication is required."
            )
        elif token.revoked:
            self.stats.count("revoked_token_requests")
            problem = "Access token was revoked."
        elif token.expired:
            self.stats.count("expired_token_requests")
            problem = "Access token expired."
        elif self.faults.revoking_every_call:
            token.revoked = True
            problem = "Access token was revoked."
        if problem is not None:
            self.stats.count("unauthorized")
            if ctx.family == WEBFORM:
                raise ApiError(401, "UNAUTHORIZED", problem)
            raise OAuthError(401, "invalid_token", problem)
        assert token is not None
        ctx.token = token
        if role == "user" and token.user_id is None:
            raise ApiError(
                403, "FORBIDDEN", "This service needs a user's access token."
            )
        if role == "client" and token.user_id is not None:
            raise ApiError(
                403, "FORBIDDEN", "This service needs the client's access token."
            )
        if (
            token.user_id is not None
            and (token.client_id, token.user_id) not in self.state.users
        ):
            self.stats.count("unauthorized")
            if ctx.family == WEBFORM:
                raise ApiError(
                    401, "UNAUTHORIZED", "The user of this token was deleted."
                )
            raise OAuthError(
                401, "invalid_token", "The user of this token was deleted."
            )

        return token

    # -- the ASGI app -------------------------------------------------------------

    def _loop(self) -> _LoopThread:
        with self._loop_lock:
            if self._loop_thread is None:
                self._loop_thread = _LoopThread()
            return self._loop_thread

    def _build_app(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        routes = [
            Route(PAGE_PREFIX + "{webform_id}", self._page, methods=["GET", "POST"]),
        ]
        if self.control_api:
            routes += [
                Route(CONTROL_PREFIX, self._control_endpoint, methods=methods),
                Route(
                    CONTROL_PREFIX + "/{rest:path}",
                    self._control_endpoint,
                    methods=methods,
                ),
            ]
        routes.append(Route("/{path:path}", self._dispatch, methods=methods))
        outer = [
            factory(self) for factory in list(APP_WRAPPERS)
        ] + self._extra_middleware()
        return Starlette(
            routes=routes,
            middleware=[*outer, Middleware(_FaultMiddleware, emulator=self)],
        )

    def _extra_middleware(self) -> list[Middleware]:
        """Return middleware a subclass puts around the app (none here)."""
        return []

    async def _control_endpoint(self, request: Request) -> Response:
        return await _control.answer(self, request)

    async def _page(self, request: Request) -> Response:
        from . import _webform  # noqa: PLC0415

        form: dict[str, str] = {}
        if request.method == "POST":
            raw = await request.body()
            form = dict(
                parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
            )
        with self.state.lock:
            status, html, after = _webform.page(
                self, request.path_params["webform_id"], request.method, form
            )
        for action in after:
            action()
        return HTMLResponse(html, status)

    async def _dispatch(self, request: Request) -> Response:
        path = request.url.path
        method = request.method
        if path == WEBFORM_PREFIX or path.startswith(WEBFORM_PREFIX + "/"):
            family, router, sub = (
                WEBFORM,
                self.webform_router,
                path[len(WEBFORM_PREFIX) :] or "/",
            )
        else:
            family, router, sub = ACCESS, self.access_router, path
        request_id: str = request.state.request_id
        endpoint = f"{method} {sub}"
        op, params, known = router.match(method, sub)
        override = request.headers.get("x-http-method-override", "").upper()
        if op is None and method == "POST" and override in ("PATCH", "DELETE"):
            method = override
            op, params, known = router.match(method, sub)
        if op is None:
            if known:
                error = ApiError(
                    405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {sub}."
                )
            else:
                error = ApiError(404, "UNKNOWN_ENTITY", f"No such endpoint: {sub}.")
            return self._render_error(family, error, endpoint, request_id, None)
        if request.state.request_id_too_long:
            error = ApiError(
                400, "BAD_REQUEST", "X-Request-Id must not exceed 255 characters."
            )
            return self._render_error(family, error, endpoint, request_id, None)
        func = HANDLERS[family].get(op.operation_id)
        if func is None:
            error = ApiError(
                501,
                "UNSUPPORTED_FEATURE" if family == ACCESS else "NOT_SUPPORTED",
                f"The emulator does not implement the operation {op.operation_id}.",
            )
            return self._render_error(family, error, endpoint, request_id, None)

        self.stats.count("request", op.operation_id)
        raw = await request.body()
        ctx = Ctx(
            family=family,
            operation=op,
            method=method,
            path=path,
            path_params=params,
            query=list(request.query_params.multi_items()),
            headers=request.headers,
            body=None,
            form=None,
            request_id=request_id,
        )
        try:
            self._parse_body(ctx, request.headers.get("content-type", ""), raw)
            with self.state.lock:
                reply = func(self, ctx)
        except (ApiError, OAuthError) as exc:
            declared = {str(code) for code in op.definition.get("responses", {})}
            if (
                400 < exc.status < 500
                and str(exc.status) not in declared
                and "400" in declared
            ):
                # Answer only with statuses the operation declares, as finAPI does.
                exc.status = 400
            return self._render_error(family, exc, endpoint, request_id, ctx.token)
        except Exception:
            logger.exception("emulator handler failed: operation=%s", op.operation_id)
            error = ApiError(
                500, "UNEXPECTED_ERROR", "The emulator failed on this request."
            )
            return self._render_error(family, error, endpoint, request_id, ctx.token)
        for action in ctx.after:
            action()

        return self._render(reply)

    @staticmethod
    def _parse_body(ctx: Ctx, content_type: str, raw: bytes) -> None:
        kind = content_type.split(";", maxsplit=1)[0].strip().lower()
        if not raw:
            return
        if kind == "application/x-www-form-urlencoded":
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ApiError(
                    400, "BAD_REQUEST", "The form body is not UTF-8."
                ) from exc
            ctx.form = dict(parse_qsl(text, keep_blank_values=True))
            return
        if kind == "application/json" or kind.endswith("+json") or not kind:
            try:
                ctx.body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                fields = [("body", "The request body is not valid JSON.")]
                raise ApiError(
                    400,
                    "BAD_REQUEST",
                    "The request body is not valid JSON.",
                    fields=fields,
                ) from exc
            return
        raise ApiError(
            415, "UNSUPPORTED_MEDIA_TYPE", f"Content type {kind} is not supported."
        )

    @staticmethod
    def _render(reply: Reply) -> Response:
        if reply.html is not None:
            return HTMLResponse(reply.html, reply.status, headers=reply.headers)
        if reply.body is None:
            return Response(b"", reply.status, headers=reply.headers)
        return Response(
            dumps(reply.body),
            reply.status,
            headers=reply.headers,
            media_type="application/json",
        )

    @staticmethod
    def _render_error(
        family: str,
        error: ApiError | OAuthError,
        endpoint: str,
        request_id: str,
        token: Token | None,
    ) -> Response:
        headers: dict[str, str] = {}
        if isinstance(error, OAuthError):
            body: dict[str, Any] = {
                "error": error.error,
                "error_description": error.description,
            }
            if error.status == 401 and error.error == "invalid_token":
                headers["www-authenticate"] = 'Bearer error="invalid_token"'
            elif error.status != 401:
                # The spec gives the token endpoint's 400 the ErrorMessage shape:
                # send both, so OAuth clients and spec validators are satisfied.
                code = "BAD_REQUEST"
                body.update(
                    access_error_body(endpoint, request_id, code, error.description)
                )
        elif family == WEBFORM:
            body = webform_error_body(endpoint, error.code, error.message, error.fields)
        else:
            auth = token.auth_context if token is not None else "-"
            kind = "TECHNICAL" if error.status >= 500 else "BUSINESS"
            body = access_error_body(
                endpoint, request_id, error.code, error.message, auth, error_type=kind
            )

        return Response(
            dumps(body), error.status, headers=headers, media_type="application/json"
        )
