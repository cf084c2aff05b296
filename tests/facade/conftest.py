"""Fixtures of the facade tests: emulators, facades, and the secret audit.

The audit (autouse) proves acceptance 5: a recording transport collects every
secret that crosses the wire (client secrets and passwords sent to the token
endpoint and to user creation, access and refresh tokens in token answers);
every log record of any logger at DEBUG, every exception message a test checks
(``audit.raises``), and the repr of every live facade object and generated
client at the end of each test are then searched for those secrets.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from facade_support import (
    BOOK,
    CAPTURE,
    Audit,
    audited_types,
    emulator,
    make_afin,
    make_fin,
)

import finapi
from finapi.emulator import Emulator


@pytest.fixture(autouse=True)
def audit() -> Iterator[Audit]:
    """Fail a test whose logs, checked exceptions or live reprs hold a secret.

    Every logger's records are captured at DEBUG while the test runs.
    """
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(CAPTURE)
    first_log = len(CAPTURE.texts)
    audit = Audit()
    try:
        yield audit
    finally:
        root.removeHandler(CAPTURE)
        root.setLevel(old_level)

    texts = list(audit.texts)
    logs = CAPTURE.texts[first_log:]
    texts.extend(logs)
    audit.checked_logs = len(logs)
    kinds = audited_types()
    for obj in gc.get_objects():
        if issubclass(type(obj), kinds) or issubclass(type(obj), finapi.FinAPIError):
            texts.append(repr(obj))
            if isinstance(obj, BaseException):
                texts.append(str(obj))
            audit.checked_reprs += 1
    del CAPTURE.texts[:]
    leaked = sorted({leak for text in texts for leak in BOOK.leaks(text)})
    assert not leaked, f"secrets leaked into logs/reprs/messages: {leaked}"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator with 60 s tokens."""
    with emulator(token_lifetime=60) as emu_:
        yield emu_


@pytest.fixture
def fin(emu: Emulator) -> Iterator[finapi.FinAPI]:
    """A sync facade on the test's emulator."""
    with make_fin(emu) as facade:
        yield facade


@pytest.fixture
async def afin(emu: Emulator) -> AsyncIterator[finapi.AsyncFinAPI]:
    """An async facade on the test's emulator."""
    async with make_afin(emu) as facade:
        yield facade
