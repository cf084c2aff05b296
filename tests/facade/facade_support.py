"""Helpers of the facade tests: recording transports, the secret book, audit."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

import finapi
from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator

FAST_RETRY = finapi.RetryPolicy(
    attempts=4, wait_initial=0.001, wait_max=0.01, wait_jitter=0.001, timeout=5.0
)

_SECRET_FIELDS = ("access_token", "refresh_token", "client_secret", "password")


class SecretBook:
    """Every secret seen on the wire during the whole run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: set[str] = {DEMO_CLIENT_SECRET}

    def add(self, value: object) -> None:
        if isinstance(value, str) and len(value) >= 6:
            with self._lock:
                self.values.add(value)

    def note_request(self, request: httpx.Request) -> None:
        try:
            content = request.content
        except httpx.RequestNotRead:
            return
        self._note_body(content, request.headers.get("content-type", ""))
        for name, value in request.url.params.multi_items():
            if name in ("token", *_SECRET_FIELDS):
                self.add(value)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            self.add(auth[7:])

    def note_response(self, content: bytes, content_type: str) -> None:
        self._note_body(content, content_type)

    def _note_body(self, content: bytes, content_type: str) -> None:
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
        with self._lock:
            values = list(self.values)
        return [value[:4] + "..." for value in values if value in text]


BOOK = SecretBook()


class RecordingTransport(httpx.BaseTransport):
    """Wraps the emulator's sync transport and writes secrets into the book."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        BOOK.note_request(request)
        response = self.inner.handle_request(request)
        BOOK.note_response(response.read(), response.headers.get("content-type", ""))
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """Wraps the emulator's async transport and writes secrets into the book."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        BOOK.note_request(request)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        BOOK.note_response(content, response.headers.get("content-type", ""))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


CAPTURE = _Capture()


def audited_types() -> tuple[type, ...]:
    import finapi_access.client
    import finapi_webform.client

    own = tuple(
        value
        for value in vars(finapi).values()
        if isinstance(value, type) and value.__module__.startswith("finapi._")
    )
    generated = (
        finapi_access.client.AuthenticatedClient,
        finapi_access.client.Client,
        finapi_webform.client.AuthenticatedClient,
        finapi_webform.client.Client,
    )
    return own + generated


class Audit:
    """What one test produced that must not hold a secret."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.checked_reprs = 0
        self.checked_logs = 0

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


def make_fin(emulator: Emulator, **kwargs: Any) -> finapi.FinAPI:
    """A sync facade on an emulator, through the recording transport."""
    kwargs.setdefault("retry", FAST_RETRY)
    return finapi.FinAPI(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        access_url=emulator.access_url,
        webform_url=emulator.webform_url,
        transport=RecordingTransport(emulator.sync_transport()),
        **kwargs,
    )


def make_afin(emulator: Emulator, **kwargs: Any) -> finapi.AsyncFinAPI:
    """An async facade on an emulator, through the recording transport."""
    kwargs.setdefault("retry", FAST_RETRY)
    return finapi.AsyncFinAPI(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        access_url=emulator.access_url,
        webform_url=emulator.webform_url,
        transport=AsyncRecordingTransport(emulator.async_transport()),
        **kwargs,
    )


#: Spec files the emulators of these tests serve instead of the packaged specs,
#: when the variables are set (tests/facade/test_facade_variants.py runs the
#: workflow tests against spec variants this way).
SPEC_VARIABLES = {
    "access_spec": "FINAPI_TEST_ACCESS_SPEC",
    "webform_spec": "FINAPI_TEST_WEBFORM_SPEC",
}


@contextmanager
def emulator(**kwargs: Any) -> Iterator[Emulator]:
    """An emulator that is closed with its private event loop afterwards.

    ``Emulator.close()`` stops the loop of its sync transport but does not close
    it; on Python 3.10 the unclosed loop then fails a later test when it is
    garbage collected. Closing it here keeps the facade suite clean on 3.10.
    """
    kwargs.setdefault("seed", 0)
    for option, variable in SPEC_VARIABLES.items():
        if os.environ.get(variable):
            kwargs.setdefault(option, os.environ[variable])
    emu = Emulator(**kwargs)
    try:
        yield emu
    finally:
        loop_thread = getattr(emu, "_loop_thread", None)
        emu.close()
        loop = getattr(loop_thread, "loop", None)
        if loop is not None and not loop.is_running() and not loop.is_closed():
            loop.close()
