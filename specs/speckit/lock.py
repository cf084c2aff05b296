"""The lock: which upstream spec file each generated client is built from."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs

from . import paths

__all__ = ["Lock", "LockError", "SpecEntry", "load_lock", "materialise", "sha256_of"]


class LockError(Exception):
    """A spec file, a mirror folder or the lock itself is not what it should be."""


@attrs.frozen
class SpecEntry:
    """One pinned spec: its kind (``access``/``webform``) and what pins it."""

    kind: str
    file: str
    title: str
    version: str
    sha256: str
    package: str
    source: str

    def to_json(self) -> dict[str, str]:
        data = attrs.asdict(self)
        del data["kind"]
        return data


@attrs.frozen
class Lock:
    """The parsed ``specs/lock.json``."""

    generator_version: str
    ruff_version: str
    specs: dict[str, SpecEntry]

    def to_json(self) -> dict[str, Any]:
        return {
            "generator": {
                "name": "openapi-python-client",
                "version": self.generator_version,
                "ruff": self.ruff_version,
            },
            "specs": {kind: entry.to_json() for kind, entry in self.specs.items()},
        }

    def write(self, path: Path = paths.LOCK_FILE) -> None:
        """Write the lock atomically (a reader never sees half a file)."""
        text = json.dumps(self.to_json(), indent=2) + "\n"
        _atomic_write(path, text.encode())


_ENTRY_KEYS = ("file", "title", "version", "sha256", "package", "source")


def load_lock(path: Path = paths.LOCK_FILE) -> Lock:
    """Read and check the lock file.

    Raises:
        LockError: the file is missing, not JSON, or lacks a field.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"lock file {path} is missing"
        raise LockError(msg) from exc
    except json.JSONDecodeError as exc:
        msg = f"lock file {path} is not valid JSON: {exc}"
        raise LockError(msg) from exc
    try:
        gen = data["generator"]
        specs = {}
        for kind, entry in data["specs"].items():
            missing = [k for k in _ENTRY_KEYS if not isinstance(entry.get(k), str)]
            if missing:
                msg = f"lock file {path}: spec {kind!r} lacks {', '.join(missing)}"
                raise LockError(msg)
            specs[kind] = SpecEntry(kind=kind, **{k: entry[k] for k in _ENTRY_KEYS})
        return Lock(
            generator_version=gen["version"], ruff_version=gen["ruff"], specs=specs
        )
    except (KeyError, TypeError, AttributeError) as exc:
        msg = f"lock file {path} lacks the key {exc}"
        raise LockError(msg) from exc


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def materialise(
    lock: Lock, mirror: Path | None, dest_dir: Path = paths.SPECS_DIR
) -> list[Path]:
    """Copy every locked spec from ``mirror`` into ``dest_dir`` after checking its hash.

    A file already in ``dest_dir`` with the right hash is kept. Nothing is
    written unless every file checks out, so a bad mirror leaves no half state.

    Raises:
        LockError: the mirror is missing, a file is missing, or a hash differs.
    """
    plan: list[tuple[Path, Path]] = []
    for entry in lock.specs.values():
        dest = dest_dir / entry.file
        if dest.is_file() and sha256_of(dest) == entry.sha256:
            continue
        if mirror is None:
            msg = (
                f"{entry.file} is not in {dest_dir} and no mirror folder is known: "
                "set FINAPI_SPECS_DIR to the folder holding finAPI's spec files"
            )
            raise LockError(msg)
        source = mirror / entry.file
        if not source.is_file():
            msg = f"{entry.file} is not in the mirror folder {mirror}"
            raise LockError(msg)
        actual = sha256_of(source)
        if actual != entry.sha256:
            msg = (
                f"{source}: sha256 {actual} does not match the lock's {entry.sha256}; "
                "if this is a new finAPI release, run `nox -s specs -- --update --from "
                f"{source}` and review the diff"
            )
            raise LockError(msg)
        plan.append((source, dest))
    for source, dest in plan:
        _atomic_write(dest, source.read_bytes())
    return [dest for _, dest in plan]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=path.parent, delete=False, prefix=f".{path.name}."
    ) as fh:
        fh.write(data)
        tmp = Path(fh.name)
    tmp.replace(path)


def copy_tree_atomic(src: Path, dest: Path) -> None:
    """Replace ``dest`` by a copy of ``src`` so that ``dest`` is never half written."""
    staging = dest.with_name(f".{dest.name}.new")
    old = dest.with_name(f".{dest.name}.old")
    for stale in (staging, old):
        if stale.exists():
            shutil.rmtree(stale)
    shutil.copytree(src, staging)
    if dest.exists():
        dest.replace(old)
    staging.replace(dest)
    if old.exists():
        shutil.rmtree(old)
