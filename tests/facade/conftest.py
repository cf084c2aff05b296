"""Fixtures of the facade tests: emulators and facades on them.

The secret audit (acceptance 5) covers the whole suite: see
``tests/secret_audit.py``, hooked in by ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from facade_support import emulator, make_afin, make_fin

import finapi
from finapi.emulator import Emulator


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
