"""Where the spec tooling reads and writes, relative to the repository."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "GENERATED_DIR",
    "LOCK_FILE",
    "ROOT",
    "SPECS_DIR",
    "default_mirror",
    "normalised_path",
    "raw_path",
]

SPECS_DIR = Path(__file__).resolve().parent.parent
ROOT = SPECS_DIR.parent
LOCK_FILE = SPECS_DIR / "lock.json"
GENERATED_DIR = ROOT / "generated"


def default_mirror() -> Path | None:
    """Return the folder holding upstream spec files, or None if there is none.

    ``FINAPI_SPECS_DIR`` wins; otherwise ``../shared/specs`` beside the checkout.
    """
    env = os.environ.get("FINAPI_SPECS_DIR")
    if env:
        return Path(env).expanduser()
    candidate = ROOT.parent / "shared" / "specs"
    if candidate.is_dir():
        return candidate
    return None


def raw_path(file_name: str) -> Path:
    """Return the path of a materialised raw spec (ignored by git)."""
    return SPECS_DIR / file_name


def normalised_path(kind: str) -> Path:
    """Return the path of the normalised spec of one kind (ignored by git)."""
    return SPECS_DIR / f"{kind}.normalised.json"
