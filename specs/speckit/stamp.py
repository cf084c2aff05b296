"""Fingerprint of everything the generated tree is built from (stdlib only).

``noxfile.py`` imports this without any third-party package to decide whether
``generated/`` is stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from . import paths

__all__ = ["STAMP_FILE", "fingerprint", "is_stale", "write_stamp"]

STAMP_NAME = ".stamp.json"
STAMP_FILE = paths.GENERATED_DIR / STAMP_NAME

_INPUT_GLOBS = (
    "lock.json",
    "speckit/normalise.py",
    "speckit/generate.py",
    "templates/*",
    "generator/*",
)
# The shipped spec (``generate.SPEC_FILE_NAME``; generate.py needs attrs, this
# module must not) and the other files every generated package must hold.
_SHIPPED_SPEC = "openapi.json"
_PACKAGE_FILES = ("__init__.py", "spec_info.py", _SHIPPED_SPEC)


def fingerprint(specs_dir: Path = paths.SPECS_DIR) -> str:
    """Hash the lock, the tooling, the templates and the generator configs.

    Args:
        specs_dir: The ``specs/`` folder whose inputs are hashed.

    Returns:
        The hex sha256 of the inputs' relative paths and bytes.
    """
    digest = hashlib.sha256()
    files = sorted(
        {p for pattern in _INPUT_GLOBS for p in specs_dir.glob(pattern) if p.is_file()}
    )
    for path in files:
        digest.update(path.relative_to(specs_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_stale(
    packages: Mapping[str, str],
    *,
    specs_dir: Path = paths.SPECS_DIR,
    generated_dir: Path = paths.GENERATED_DIR,
) -> str | None:
    """Return why ``generated/`` must be rebuilt, or None when it is current.

    Current means: the stamp matches the inputs' fingerprint, every package
    has its files, and each kind's normalised spec exists beside the raw one
    with the same bytes as the copy its package ships.

    Args:
        packages: Package name of each spec kind (``{"access": "finapi_access"}``).
        specs_dir: The ``specs/`` folder (inputs and normalised specs).
        generated_dir: The ``generated/`` folder (packages and the stamp).

    Returns:
        A short reason naming the first thing found stale, or None.
    """
    try:
        recorded = json.loads((generated_dir / STAMP_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return "generated/ has never been built here"
    current = fingerprint(specs_dir)
    if not isinstance(recorded, dict) or recorded.get("fingerprint") != current:
        return "the lock, the normalisation rules or the templates changed"
    for kind, package in sorted(packages.items()):
        reason = _missing_output(kind, package, specs_dir, generated_dir)
        if reason:
            return reason
    return None


def _missing_output(
    kind: str, package: str, specs_dir: Path, generated_dir: Path
) -> str | None:
    """Say what of one kind's generated output is missing or out of step, if any."""
    if not (generated_dir / package).is_dir():
        return f"generated/{package} is missing"
    for name in _PACKAGE_FILES:
        if not (generated_dir / package / name).is_file():
            return f"generated/{package}/{name} is missing"
    normalised = specs_dir / paths.normalised_path(kind).name
    if not normalised.is_file():
        return f"specs/{normalised.name} is missing"
    shipped = generated_dir / package / _SHIPPED_SPEC
    if normalised.read_bytes() != shipped.read_bytes():
        return (
            f"specs/{normalised.name} differs from generated/{package}/{_SHIPPED_SPEC}"
        )
    return None


def write_stamp(
    specs_dir: Path = paths.SPECS_DIR, generated_dir: Path = paths.GENERATED_DIR
) -> None:
    """Record the fingerprint the current tree was built from.

    Args:
        specs_dir: The ``specs/`` folder whose inputs are fingerprinted.
        generated_dir: The ``generated/`` folder the stamp is written into.
    """
    (generated_dir / STAMP_NAME).write_text(
        json.dumps({"fingerprint": fingerprint(specs_dir)}) + "\n", encoding="utf-8"
    )
