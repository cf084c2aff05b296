"""The suite's secret audit finds what it is there to find (tests/secret_audit.py)."""

from __future__ import annotations

import logging

import pytest
from secret_audit import BOOK, CAPTURE, Audit, SecretBook

import finapi
from finapi.emulator import Emulator
from finapi.emulator.testing import get_token


def test_the_audit_learns_tokens_from_any_emulator_and_finds_them_planted(
    audit: Audit,
) -> None:
    """A token from a bare emulator client is in the book, and found in all channels.

    The token is planted in a DEBUG record of an unrelated logger, in a
    FinAPIError that is never raised, and in the repr of a facade object; each
    one alone makes the check fail.
    """
    with Emulator() as emu, emu.client() as client:
        token = get_token(client)["access_token"]
    known = token in BOOK.values
    findings: dict[str, str] = {}
    audit.check()  # start clean

    logging.getLogger("some.library").debug("sent %s", token)
    with pytest.raises(AssertionError, match="secrets leaked") as logged:
        audit.check()
    findings["log"] = str(logged.value)

    error = finapi.FinAPIError(f"bad answer {token}")
    del error
    with pytest.raises(AssertionError, match="secrets leaked") as created:
        audit.check()
    findings["exception"] = str(created.value)

    environment = finapi.Environment(f"https://x.test/{token}", "https://y.test")
    with pytest.raises(AssertionError, match="secrets leaked") as alive:
        audit.check()
    findings["repr"] = str(alive.value)
    del environment
    BOOK.forget(token)

    assert known
    assert all(token[:4] in text for text in findings.values()), findings


def test_the_audit_sees_debug_records_and_live_reprs(audit: Audit) -> None:
    """While a test runs the root logger is at DEBUG and live facade objects are seen."""
    logging.getLogger("finapi").debug("a debug line")
    seen = [text for text in CAPTURE.texts if "a debug line" in text]
    policy = finapi.RetryPolicy()
    audit.check()

    assert seen == ["finapi DEBUG a debug line"]
    assert audit.checked_reprs >= 1
    assert policy.attempts >= 1


def test_a_field_name_sent_as_its_value_is_not_a_secret() -> None:
    """The spec's example password "password" is not looked for; a real one is."""
    book = SecretBook()

    book.note_body(b'{"password": "password", "client_secret": "Secret"}', "json")
    book.note_body(
        b"grant_type=password&password=Hunter-22", "application/x-www-form-urlencoded"
    )

    assert book.values == {"Hunter-22"}
    assert book.leaks('body={"password":"***"}') == []
    assert book.leaks("password=Hunter-22") != []
