"""Fingerprint of everything the generated tree is built from (stdlib only).

``noxfile.py`` imports this without any third-party package to decide whether
``generated/`` is stale.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import paths

__all__ = ["STAMP_FILE", "fingerprint", "is_stale", "write_stamp"]

STAMP_FILE = paths.GENERATED_DIR / ".stamp.json"

_INPUT_GLOBS = (
    "lock.json",
    "speckit/normalise.py",
    "speckit/generate.py",
    "templates/*",
    "generator/*",
)


def fingerprint(specs_dir: Path = paths.SPECS_DIR) -> str:
    """Hash the lock, the tooling, the templates and the generator configs."""
    digest = hashlib.sha256()
    files = sorted(
        {p for pattern in _INPUT_GLOBS for p in specs_dir.glob(pattern) if p.is_file()}
    )
    for path in files:
        digest.update(path.relative_to(specs_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_stale(packages: list[str]) -> str | None:
    """Return why ``generated/`` must be rebuilt, or None when it is current."""
    try:
        recorded = json.loads(STAMP_FILE.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return "generated/ has never been built here"
    if recorded.get("fingerprint") != fingerprint():
        return "the lock, the normalisation rules or the templates changed"
    missing = [
        p for p in packages if not (paths.GENERATED_DIR / p / "__init__.py").is_file()
    ]
    if missing:
        return f"generated/{missing[0]} is missing"
    return None


def write_stamp() -> None:
    """Record the fingerprint the current tree was built from."""
    STAMP_FILE.write_text(
        json.dumps({"fingerprint": fingerprint()}) + "\n", encoding="utf-8"
    )
