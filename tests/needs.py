"""What a test does when a tool it needs is not on the machine.

On a developer's machine it skips, saying what to install; in CI (``CI`` set,
as ``.ci/run`` makes sure) it fails, because ``.ci/run`` installs everything the
suite needs and a skip there would hide a missing install step.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["missing"]


def missing(reason: str) -> NoReturn:
    """Skip the test, or fail it in CI, naming what is missing.

    Args:
        reason: What the test needs, e.g. ``needs redis-server``.
    """
    if os.environ.get("CI"):
        pytest.fail(
            f"{reason}: in CI every tool the suite needs must be there (.ci/run)"
        )
    pytest.skip(reason)
