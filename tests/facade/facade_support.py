"""Helpers of the facade tests: emulators, facades on them, recording transports.

The secret audit itself lives in ``tests/secret_audit.py`` (the whole suite
runs under it); its book and log capture are re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from secret_audit import BOOK, CAPTURE, Audit

import finapi
from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator

__all__ = [
    "BOOK",
    "CAPTURE",
    "FAST_RETRY",
    "AsyncRecordingTransport",
    "Audit",
    "RecordingTransport",
    "emulator",
    "make_afin",
    "make_fin",
]

FAST_RETRY = finapi.RetryPolicy(
    attempts=4, wait_initial=0.001, wait_max=0.01, wait_jitter=0.001, timeout=5.0
)


class RecordingTransport(httpx.BaseTransport):
    """Wraps the emulator's sync transport and writes secrets into the book."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        BOOK.note_request(request)
        response = self.inner.handle_request(request)
        BOOK.note_body(response.read(), response.headers.get("content-type", ""))
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
        BOOK.note_body(content, response.headers.get("content-type", ""))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


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
