"""Adopt a new finAPI spec release: diff, copy, regenerate, rewrite the lock.

``nox -s specs -- --update --from PATH_OR_FOLDER`` runs
``python -m speckit update --from PATH_OR_FOLDER`` and then the test suite;
without ``--update`` it adds ``--dry-run``, which prints the same report
and writes nothing.

Each spec file found at PATH (a file, or the YAML/JSON files of a folder)
is matched to a lock entry by its ``info.title`` (exactly, or by the words
"Access" / "Web Form"). A file whose sha256 equals the lock's is unchanged
and skipped. For every other one the Markdown diff against the pinned spec
is printed; then, unless it is a dry run, in this order:

1. the new files are copied into ``specs/`` as
   ``finapi-<kind>-<version>.<ext>`` (the old ones stay; git ignores both);
2. the changed clients are regenerated (any generator warning fails);
3. only then is the lock rewritten (new file name, version, title, sha256,
   source) and, when ``generated/`` was current before, the generation stamp
   recorded (so the test run that follows does not regenerate again).

A failure before step 3 leaves the lock and ``generated/`` as they were.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import paths
from .diff import SpecDiff, SpecError, diff_specs, load_spec_file
from .lock import Lock, LockError, SpecEntry, load_lock, materialise, sha256_of

__all__ = [
    "PlannedSpec",
    "UpdatePlan",
    "apply_update",
    "find_sources",
    "plan_update",
    "regenerate",
    "run_update",
]

_SUFFIXES = (".yaml", ".yml", ".json")
_KIND_WORDS = {"webform": "web form", "access": "access"}

Regenerate = Callable[[Lock, Sequence[SpecEntry]], None]


@attrs.frozen
class PlannedSpec:
    """One spec that changes: where the new file comes from and what it changes."""

    source: Path
    old: SpecEntry
    new: SpecEntry
    diff: SpecDiff


@attrs.frozen
class UpdatePlan:
    """What an update would do; :func:`apply_update` does it."""

    lock: Lock
    new_lock: Lock
    changed: tuple[PlannedSpec, ...]
    unchanged: tuple[str, ...]

    @property
    def breaking(self) -> int:
        """The number of breaking changes over all changed specs."""
        return sum(len(p.diff.breaking) for p in self.changed)

    def report(self) -> str:
        """The Markdown report: one section per changed spec, then what stays."""
        lines = ["# Spec update", ""]
        if not self.changed:
            lines.append("Every spec given matches the lock: nothing to update.")
        for planned in self.changed:
            lines.append(
                f"- **{planned.old.kind}**: {planned.old.version} → {planned.new.version} "
                f"from `{planned.source}` (sha256 {planned.new.sha256[:16]}…): "
                f"{planned.diff.summary()}"
            )
        lines.extend(
            f"- **{kind}**: unchanged (the file matches the lock)"
            for kind in self.unchanged
        )
        text = "\n".join(lines) + "\n"
        for planned in self.changed:
            text += "\n" + planned.diff.to_markdown(heading_level=2)
        return text


def find_sources(path: Path) -> list[Path]:
    """Return the spec files at ``path``: the file itself, or a folder's YAML/JSON files.

    Raises:
        SpecError: nothing is at ``path``, or a folder holds no spec file.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        msg = f"{path}: no such file or folder"
        raise SpecError(msg)
    found = sorted(
        p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES
    )
    if not found:
        msg = f"{path}: the folder holds no .yaml, .yml or .json file"
        raise SpecError(msg)
    return found


def _info(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    info = raw.get("info")
    return info if isinstance(info, Mapping) else {}


def _kind_for(title: str, lock: Lock, source: Path) -> str:
    for kind, entry in lock.specs.items():
        if entry.title == title:
            return kind
    lowered = title.lower()
    matches = [
        k for k, word in _KIND_WORDS.items() if word in lowered and k in lock.specs
    ]
    if len(matches) != 1:
        known = ", ".join(f"{e.title!r}" for e in lock.specs.values())
        msg = f"{source}: its title {title!r} matches no locked spec (known: {known})"
        raise SpecError(msg)
    return matches[0]


def _pinned_file(entry: SpecEntry, specs_dir: Path) -> Path:
    path = specs_dir / entry.file
    if path.is_file():
        return path
    mirror = paths.default_mirror()
    if mirror is not None and (mirror / entry.file).is_file():
        return mirror / entry.file
    msg = f"the pinned {entry.file} is neither in {specs_dir} nor in a mirror folder: run `nox -s specs`"
    raise LockError(msg)


def _new_file_name(old: SpecEntry, version: str, sha256: str, suffix: str) -> str:
    name = f"finapi-{old.kind}-{version}{suffix}"
    if version == old.version:
        # Same version, other bytes: keep the pinned file's name free.
        name = f"finapi-{old.kind}-{version}-{sha256[:8]}{suffix}"
    return name


def plan_update(
    source: Path, lock: Lock, specs_dir: Path = paths.SPECS_DIR
) -> UpdatePlan:
    """Work out which locked specs the files at ``source`` replace, and diff each.

    Args:
        source: a spec file, or a folder of spec files.
        lock: the current lock.
        specs_dir: where the pinned raw specs are (``specs/``).

    Returns:
        The plan; nothing is written.

    Raises:
        SpecError: a file is not a spec, matches no locked spec, or two files
            claim the same spec.
        LockError: a pinned spec file cannot be found to diff against.
    """
    by_kind: dict[str, list[tuple[Path, dict[str, Any], str]]] = {}
    unchanged: set[str] = set()
    for path in find_sources(source):
        raw = load_spec_file(path)
        info = _info(raw)
        kind = _kind_for(str(info.get("title", "")), lock, path)
        digest = sha256_of(path)
        if digest == lock.specs[kind].sha256:
            unchanged.add(kind)
            continue
        by_kind.setdefault(kind, []).append((path, raw, digest))
    changed = []
    new_entries = dict(lock.specs)
    for kind, candidates in sorted(by_kind.items()):
        if len(candidates) > 1:
            names = ", ".join(str(p) for p, _, _ in candidates)
            msg = f"several new files for the {kind} spec ({names}): pass one file"
            raise SpecError(msg)
        path, raw, digest = candidates[0]
        old = lock.specs[kind]
        info = _info(raw)
        version = str(info.get("version", "")).strip()
        if not version:
            msg = f"{path}: the spec has no info.version"
            raise SpecError(msg)
        pinned = _pinned_file(old, specs_dir)
        report = diff_specs(
            load_spec_file(pinned), raw, old_label=str(pinned), new_label=str(path)
        )
        new = attrs.evolve(
            old,
            file=_new_file_name(old, version, digest, path.suffix.lower()),
            title=str(info.get("title", old.title)),
            version=version,
            sha256=digest,
            source=f"{path.name} (adopted with `nox -s specs -- --update`)",
        )
        new_entries[kind] = new
        changed.append(PlannedSpec(source=path, old=old, new=new, diff=report))
    return UpdatePlan(
        lock=lock,
        new_lock=attrs.evolve(lock, specs=new_entries),
        changed=tuple(changed),
        unchanged=tuple(sorted(unchanged - set(by_kind))),
    )


def apply_update(
    plan: UpdatePlan,
    specs_dir: Path = paths.SPECS_DIR,
    lock_path: Path = paths.LOCK_FILE,
    regenerate: Regenerate | None = None,
) -> list[Path]:
    """Copy the new spec files, regenerate (if given a regenerator), then rewrite the lock.

    Args:
        plan: what :func:`plan_update` worked out.
        specs_dir: where raw specs live.
        lock_path: the lock file to rewrite.
        regenerate: called with the new lock and the changed entries after the
            files are copied and before the lock is written; it raises to stop.

    Returns:
        The spec files written into ``specs_dir``.
    """
    if not plan.changed:
        return []
    written = []
    for planned in plan.changed:
        target = specs_dir / planned.new.file
        if not target.is_file() or sha256_of(target) != planned.new.sha256:
            _copy_atomic(planned.source, target)
        written.append(target)
    if regenerate is not None:
        regenerate(plan.new_lock, [p.new for p in plan.changed])
    plan.new_lock.write(lock_path)
    return written


def _copy_atomic(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=target.parent, delete=False, prefix=f".{target.name}."
    ) as fh:
        fh.write(source.read_bytes())
        staged = Path(fh.name)
    staged.replace(target)


def regenerate(lock: Lock, entries: Sequence[SpecEntry]) -> None:
    """Regenerate the packages of ``entries`` into ``generated/`` (the others stay).

    The normalised spec of each entry is rewritten in ``specs/`` too, so that it
    stays the same as the copy its package ships.

    Raises:
        GenerationError: the generator failed or warned; ``generated/`` is unchanged.
    """
    from .generate import generate_one  # noqa: PLC0415 - needs the generator installed
    from .lock import copy_tree_atomic  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="finapi-update-") as tmp:
        built = [generate_one(entry, lock, Path(tmp)) for entry in entries]
        paths.GENERATED_DIR.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            normalised = paths.normalised_path(entry.kind)
            _copy_atomic(Path(tmp) / normalised.name, normalised)
        for package in built:
            copy_tree_atomic(package, paths.GENERATED_DIR / package.name)


def _after_write(written: Sequence[Path], *, record_stamp: bool) -> None:
    from . import stamp  # noqa: PLC0415

    if record_stamp:
        stamp.write_stamp()
    else:
        print(
            "update: generated/ was stale before; the next `ensure` rebuilds the rest"
        )
    mirror = paths.default_mirror()
    for path in written:
        print(f"update: {path.name} copied into specs/, lock rewritten")
        if mirror is None or not (mirror / path.name).is_file():
            where = mirror or "the mirror folder (FINAPI_SPECS_DIR)"
            print(
                f"update: note: put {path.name} into {where} too, or a fresh clone "
                "(and CI) cannot materialise the new lock"
            )


def run_update(
    source: Path | None,
    *,
    write: bool,
    fail_on_breaking: bool = False,
    mirror: Path | None = None,
) -> int:
    """The ``update`` command: print the report, then adopt the files unless ``write`` is False.

    Returns:
        0 on success, 1 when ``fail_on_breaking`` stops a breaking update,
        2 on bad input, 3 when generation fails.
    """
    from .generate import GenerationError  # noqa: PLC0415

    if source is None:
        print(
            "error: update needs --from PATH_OR_FOLDER (a spec file or a folder)",
            file=sys.stderr,
        )
        return 2
    try:
        lock = load_lock()
        materialise(lock, mirror or paths.default_mirror())
        plan = plan_update(source, lock)
    except (SpecError, LockError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(plan.report())
    if fail_on_breaking and plan.breaking:
        print(
            f"update: {plan.breaking} breaking change(s); lock unchanged",
            file=sys.stderr,
        )
        return 1
    if not write:
        if plan.changed:
            print(
                "\nupdate: dry run, lock unchanged (add --update to adopt these files)"
            )
        return 0
    from . import stamp  # noqa: PLC0415

    # Only the changed packages are rebuilt. When generated/ was stale before,
    # the stamp is left alone so that `ensure` still rebuilds the others.
    packages = {kind: e.package for kind, e in lock.specs.items()}
    was_current = stamp.is_stale(packages) is None
    try:
        written = apply_update(plan, regenerate=regenerate)
    except (GenerationError, LockError) as exc:
        print(f"error: {exc}\nupdate: lock unchanged", file=sys.stderr)
        return 3
    _after_write(written, record_stamp=was_current)
    return 0
