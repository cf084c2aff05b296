"""Suite-wide fixtures.

Sections are owned by different parts of the project; keep each in its block.
"""

from __future__ import annotations

# -- emulator spec check (owned by the emulator, issue 3) -----------------------------
# Every emulator built while a test runs feeds its traffic to one session-wide
# SpecChecker; a test fails when any emulator response it caused violates the
# pinned specs. Requests are recorded but not enforced here, since tests send
# bad requests on purpose; tests/emulator/test_emulator_contract.py enforces them.
# The checker is installed by a session-scoped autouse fixture, so it is in place
# before any fixture of a narrower scope (such as tests/cli's module-scoped
# emulator) builds an emulator.
# A test that must see a violation can use the `spec_checker` fixture and clear it.
# The check is part of the suite: a missing emulator extra or validator is an
# import error here, never a silent pass. Only an explicit
# FINAPI_EMULATOR_SPEC_CHECK=0 switches it off for a run.
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import openapi_core  # noqa: F401 - fail the whole run early when the validator is missing
import pytest

from finapi.emulator import testing as _emulator_testing

if TYPE_CHECKING:
    from finapi.emulator.testing import SpecChecker

if os.environ.get("FINAPI_EMULATOR_SPEC_CHECK") == "0":
    _emulator_testing = None  # type: ignore[assignment]


@pytest.fixture(scope="session", autouse=True)
def _installed_spec_checker() -> Iterator[SpecChecker | None]:
    """Install the session's SpecChecker before any emulator is built (None when off)."""
    if _emulator_testing is None:
        yield None
        return
    checker = _emulator_testing.SpecChecker()
    _emulator_testing.install(checker)
    yield checker
    _emulator_testing.uninstall(checker)


@pytest.fixture(scope="session")
def spec_checker(_installed_spec_checker: SpecChecker | None) -> SpecChecker:
    """Give the session's SpecChecker, installed for every emulator built."""
    if _installed_spec_checker is None:
        pytest.skip("the emulator spec check is switched off")
    return _installed_spec_checker


@pytest.fixture(autouse=True)
def _emulator_responses_match_the_spec(
    _installed_spec_checker: SpecChecker | None,
) -> Iterator[None]:
    """Fail the test when an emulator response it caused violates the pinned spec."""
    checker = _installed_spec_checker
    if checker is None:
        yield
        return
    checker.drain()
    before = len(checker.violations)
    yield
    checker.drain()
    found = [v for v in checker.violations[before:] if v.kind == "response"]
    if found:
        listed = "\n".join(str(v) for v in found[:10])
        pytest.fail(
            f"{len(found)} emulator response(s) violate the spec:\n{listed}",
            pytrace=False,
        )


# -- end of the emulator section --------------------------------------------------------


# -- spec variants (issue 6) -------------------------------------------------------------
# Every variant of speckit.variants adopted once per run, two at a time, each in a
# private copy of specs/ with its regenerated client. tests/specs/test_update.py
# checks the adoption itself; tests/facade/test_facade_variants.py runs the
# facade's workflow tests on the regenerated clients.


@pytest.fixture(scope="session")
def variant_trees(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], object]]:
    """Map (variant name, spec kind) to its adopted ``variants.VariantTree``."""
    from concurrent.futures import ThreadPoolExecutor

    from speckit import variants

    cases = [(name, kind) for name, v in variants.VARIANTS.items() for kind in v.kinds]

    def adopt(case: tuple[str, str]) -> variants.VariantTree:
        name, kind = case
        root = tmp_path_factory.mktemp(f"variant-{name}-{kind}")
        return variants.build_tree(variants.VARIANTS[name].of(kind), root, check=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield dict(zip(cases, pool.map(adopt, cases), strict=True))


# -- end of the spec variants section ------------------------------------------------------


# -- secret audit (issue 4, acceptance 5) ------------------------------------------------
# Every test of the suite runs under the audit: no token, client secret or password
# seen on any emulator's wire may appear in a log record (DEBUG and up), a
# FinAPIError message, or the repr of a facade object or generated client. The
# machinery lives in tests/secret_audit.py; `audit` is also the fixture tests use
# for `audit.raises(...)`.
from secret_audit import audit, secret_audit_session  # noqa: E402, F401

# -- end of the secret audit section -----------------------------------------------------
