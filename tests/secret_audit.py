"""The suite's secret audit (issue 4, acceptance 5), for every test of the suite.

``tests/conftest.py`` imports the two fixtures below; then, while the session
runs:

- every emulator built (in-process or on loopback) has its wire tapped: the
  client secrets and passwords sent to it and the access and refresh tokens it
  hands out go into :data:`BOOK`, the secrets of the run;
- ``FinAPIError.__init__`` (and the generated clients' ``UnexpectedStatus``) is
  wrapped, so every such exception's message and repr is recorded at creation,
  raised or not;
- every facade object and generated client is registered when it is created
  (its ``__init__`` is wrapped) and every repr one of them produces is recorded;
- a handler on the root logger records every log record, and each test runs
  with the root logger at DEBUG (httpx's request lines get the query masking
  every facade installs, since the suite's own httpx clients revoke tokens too).

At the end of each test the records since the previous check, the reprs (and
messages) of every registered object still alive, and what the test handed to
``audit.raises`` or ``audit.see`` are searched for every secret in the book. A
test whose output holds one fails.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

import finapi

__all__ = ["BOOK", "CAPTURE", "Audit", "SecretBook", "audit", "secret_audit_session"]

_SECRET_FIELDS = ("access_token", "refresh_token", "client_secret", "password")
_FIELD_WORDS = frozenset(
    {*_SECRET_FIELDS, "client_credentials", "token", "secret", "bearer"}
)


class SecretBook:
    """Every secret seen on the wire during the whole run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: set[str] = set()

    def add(self, value: object) -> None:
        """Remember a secret (strings of at least 6 characters).

        A value that is itself the name of a secret field or grant (the fuzzer
        sends the spec's example ``password`` as a password) is not remembered:
        masked log lines name those fields, so it could never be told from them.
        """
        if isinstance(value, str) and value.lower() in _FIELD_WORDS:
            return
        if isinstance(value, str) and len(value) >= 6:
            with self._lock:
                self.values.add(value)

    def forget(self, value: str) -> None:
        """Stop looking for a secret (a test that planted it on purpose)."""
        with self._lock:
            self.values.discard(value)

    def note_query(self, query: str) -> None:
        """Remember the secrets of a query string (the revoke call's ``token``)."""
        for name, value in parse_qsl(query):
            if name in ("token", *_SECRET_FIELDS):
                self.add(value)

    def note_authorization(self, value: str) -> None:
        """Remember the bearer token of an Authorization header."""
        if value.lower().startswith("bearer "):
            self.add(value[7:])

    def note_body(self, content: bytes, content_type: str) -> None:
        """Remember the secret fields of a form or JSON body."""
        if not content:
            return
        if "x-www-form-urlencoded" in content_type:
            for name, value in parse_qsl(content.decode(errors="replace")):
                if name in _SECRET_FIELDS:
                    self.add(value)
            return
        try:
            data = json.loads(content)
        except ValueError:
            return
        self._walk(data)

    def note_request(self, request: httpx.Request) -> None:
        """Remember the secrets an httpx request carries."""
        try:
            content = request.content
        except httpx.RequestNotRead:
            content = b""
        self.note_body(content, request.headers.get("content-type", ""))
        self.note_query(request.url.query.decode(errors="replace"))
        self.note_authorization(request.headers.get("authorization", ""))

    def _walk(self, data: Any) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                if key in _SECRET_FIELDS:
                    self.add(value)
                else:
                    self._walk(value)
        elif isinstance(data, list):
            for item in data:
                self._walk(item)

    def leaks(self, text: str) -> list[str]:
        """Return the (shortened) secrets found in a text."""
        with self._lock:
            values = list(self.values)
        return [value[:4] + "..." for value in values if value in text]


BOOK = SecretBook()


class _WireTap:
    """ASGI middleware around every emulator: writes the secrets it sees into BOOK."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope["headers"]
        }
        request_body: list[bytes] = []
        response_body: list[bytes] = []
        response_type: list[str] = []

        async def tapped_receive() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                request_body.append(message.get("body", b""))
            return message

        async def tapped_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                for key, value in message.get("headers", []):
                    if key.lower() == b"content-type":
                        response_type.append(value.decode("latin-1"))
            elif message.get("type") == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, tapped_receive, tapped_send)
        finally:
            BOOK.note_query(scope.get("query_string", b"").decode(errors="replace"))
            BOOK.note_authorization(headers.get("authorization", ""))
            BOOK.note_body(b"".join(request_body), headers.get("content-type", ""))
            BOOK.note_body(b"".join(response_body), "".join(response_type))


def _tap_factory(emulator: object) -> Any:
    from starlette.middleware import Middleware

    return Middleware(_WireTap)


class _Capture(logging.Handler):
    """Keeps the text of every log record (any logger, any level)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(self.format(record))
        except Exception:  # noqa: BLE001  (a broken record must not break a test)
            self.texts.append(f"{record.name} unformattable {record.msg!r}")


CAPTURE = _Capture()


class _Recorder:
    """Texts produced between two checks, and the audited objects still alive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.texts: list[str] = []
        self._alive: list[weakref.ref[Any]] = []
        self._pinned: list[object] = []  # objects that take no weak reference
        self.reprs = 0

    def text(self, text: str) -> None:
        with self._lock:
            self.texts.append(text)

    def register(self, obj: object) -> None:
        try:
            ref = weakref.ref(obj)
        except TypeError:
            with self._lock:
                self._pinned.append(obj)
            return
        with self._lock:
            self._alive.append(ref)

    def take(self) -> list[str]:
        """Return the texts since the last call, with the reprs of live objects."""
        with self._lock:
            texts, self.texts = self.texts, []
            refs = self._alive = [ref for ref in self._alive if ref() is not None]
            pinned, self._pinned = self._pinned, []
        objects = [obj for obj in (ref() for ref in refs) if obj is not None]
        for obj in objects + pinned:
            texts.append(_plain_repr(obj))
            if isinstance(obj, BaseException):
                texts.append(str(obj))
        self.reprs += len(objects) + len(pinned)
        return texts


RECORDER = _Recorder()
#: The unwrapped __repr__ of each audited class, so the check itself records nothing.
_ORIGINAL_REPR: dict[type, Callable[[object], str]] = {}


def _plain_repr(obj: object) -> str:
    for cls in type(obj).__mro__:
        if cls in _ORIGINAL_REPR:
            return _ORIGINAL_REPR[cls](obj)
    return repr(obj)


def _audited_types() -> list[type]:
    import finapi_access.client
    import finapi_webform.client

    own = [
        value
        for value in vars(finapi).values()
        if isinstance(value, type)
        and value.__module__.startswith("finapi._")
        and not getattr(value, "_is_protocol", False)
    ]
    generated = [
        finapi_access.client.AuthenticatedClient,
        finapi_access.client.Client,
        finapi_webform.client.AuthenticatedClient,
        finapi_webform.client.Client,
    ]
    return own + generated


def _generated_errors() -> list[type]:
    import finapi_access.errors
    import finapi_webform.errors

    return [
        finapi_access.errors.UnexpectedStatus,
        finapi_webform.errors.UnexpectedStatus,
    ]


def _recording_init(original: Callable[..., None], exception: bool) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        RECORDER.register(self)
        if exception:
            RECORDER.text(str(self))
            RECORDER.text(repr(self))

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__


def _recording_repr(original: Callable[[Any], str]) -> Any:
    def __repr__(self: Any) -> str:
        text = original(self)
        RECORDER.text(text)
        return text

    __repr__.__wrapped__ = original  # type: ignore[attr-defined]
    return __repr__


@contextmanager
def _instrumented() -> Iterator[None]:
    """Wrap __init__ and __repr__ of the audited classes; undo it afterwards."""
    from finapi.emulator._core import APP_WRAPPERS

    originals: list[tuple[type, str, Any]] = []
    errors = (finapi.FinAPIError, *_generated_errors())
    for cls in dict.fromkeys([*_audited_types(), *errors]):
        is_error = issubclass(cls, errors)
        if "__init__" in vars(cls) and (not is_error or cls in errors):
            original = vars(cls)["__init__"]
            originals.append((cls, "__init__", original))
            cls.__init__ = _recording_init(original, is_error)  # type: ignore[misc]
        if "__repr__" in vars(cls):
            original = vars(cls)["__repr__"]
            originals.append((cls, "__repr__", original))
            _ORIGINAL_REPR[cls] = original
            cls.__repr__ = _recording_repr(original)  # type: ignore[method-assign]
    kinds = tuple(cls for cls, _, _ in originals)
    for obj in gc.get_objects():  # what was built before the audit began
        if isinstance(obj, kinds):
            RECORDER.register(obj)
    APP_WRAPPERS.append(_tap_factory)
    root = logging.getLogger()
    root.addHandler(CAPTURE)
    try:
        yield
    finally:
        root.removeHandler(CAPTURE)
        while _tap_factory in APP_WRAPPERS:
            APP_WRAPPERS.remove(_tap_factory)
        for cls, name, original in reversed(originals):
            setattr(cls, name, original)
        _ORIGINAL_REPR.clear()


class Audit:
    """What one test produced that must not hold a secret."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.checked_reprs = 0
        self.checked_logs = 0
        self.checked_texts = 0

    @contextmanager
    def raises(self, cls: type[BaseException], **kwargs: Any) -> Iterator[Any]:
        """pytest.raises that also puts the message and repr under audit."""
        with pytest.raises(cls, **kwargs) as info:
            yield info
        self.texts.append(str(info.value))
        self.texts.append(repr(info.value))

    def see(self, *objects: object) -> None:
        """Put the repr and str of some objects under audit."""
        for obj in objects:
            self.texts.append(repr(obj))
            self.texts.append(str(obj))

    def check(self) -> None:
        """Search everything produced since the last check for the book's secrets.

        Raises:
            AssertionError: Naming the (shortened) secrets found.
        """
        texts, self.texts = self.texts, []
        logs = CAPTURE.texts[:]
        del CAPTURE.texts[: len(logs)]
        before = RECORDER.reprs
        texts += logs + RECORDER.take()
        self.checked_logs += len(logs)
        self.checked_reprs += RECORDER.reprs - before
        self.checked_texts += len(texts)
        everything = "\n".join(texts)
        with BOOK._lock:
            found = [value for value in BOOK.values if value in everything]
        if found:
            leaked = sorted({leak for text in texts for leak in BOOK.leaks(text)})
            msg = f"secrets leaked into logs/reprs/messages: {leaked}"
            raise AssertionError(msg)


@pytest.fixture(scope="session", autouse=True)
def secret_audit_session() -> Iterator[SecretBook]:
    """Tap every emulator's wire, record errors, reprs and log records (session)."""
    from finapi._log import guard_httpx_logger
    from finapi.emulator import DEMO_CLIENT_SECRET

    BOOK.add(DEMO_CLIENT_SECRET)
    # The suite's own httpx clients (tests/emulator's) revoke tokens too, and
    # httpx logs each URL at INFO: they get the guard every facade installs.
    # tests/facade/test_facade_surface.py checks that a facade installs it.
    guard_httpx_logger()
    with _instrumented():
        yield BOOK


@pytest.fixture(autouse=True)
def audit(secret_audit_session: SecretBook) -> Iterator[Audit]:
    """Fail a test whose logs, errors or reprs hold a secret of the run.

    Every logger's records are kept while the test runs, with the root logger
    at DEBUG and the ``finapi`` logger inheriting it.
    """
    root = logging.getLogger()
    facade_logger = logging.getLogger("finapi")
    levels = root.level, facade_logger.level
    root.setLevel(logging.DEBUG)
    facade_logger.setLevel(logging.NOTSET)
    found = Audit()
    try:
        yield found
    finally:
        root.setLevel(levels[0])
        facade_logger.setLevel(levels[1])
    found.check()
