"""Hatchling build hook: refuse to build before the clients are generated.

The wheel carries ``generated/finapi_access`` and ``generated/finapi_webform``,
which git does not hold. Built without them, an install succeeds and then fails
at ``import finapi_access``; worse, an editable install made then keeps missing
them after they are generated. This hook stops the build with the command that
fixes it instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGES = ("finapi_access", "finapi_webform")


class GeneratedClientsHook(BuildHookInterface):  # type: ignore[type-arg]
    """Check that the generated packages exist before any build."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Stop the build when a generated package is missing.

        Args:
            version: The target version (``standard``, ``editable``).
            build_data: Hatchling's build data (unchanged).

        Raises:
            RuntimeError: Naming the missing package and the command to run.
        """
        generated = Path(self.root) / "generated"
        missing = [p for p in PACKAGES if not (generated / p / "__init__.py").is_file()]
        if missing:
            msg = (
                f"generated/{missing[0]} is missing: the clients are generated from "
                "the pinned specs, not kept in git. Run `nox -s generate` (or any "
                "nox session, e.g. `nox -s demo`) first, then install again."
            )
            raise RuntimeError(msg)
