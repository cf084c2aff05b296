"""Command line of the spec tooling: ``python -m speckit COMMAND``.

Commands:
    materialise  copy the locked spec files from the mirror folder and check them
    generate     normalise the specs and regenerate ``generated/``
    ensure       both of the above, generating only when ``generated/`` is stale
    update       diff new spec files (``--from PATH``) against the lock and adopt them
                 (copy, regenerate, rewrite the lock); ``--dry-run`` only reports
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import paths, stamp
from .generate import GenerationError, generate_all
from .lock import LockError, load_lock, materialise


def _materialise(mirror: Path | None, dest: Path = paths.SPECS_DIR) -> None:
    lock = load_lock()
    copied = materialise(lock, mirror, dest)
    for entry in lock.specs.values():
        state = "copied" if dest / entry.file in copied else "present"
        print(f"specs: {entry.file} ({entry.title} {entry.version}) {state}, sha256 ok")


def _generate() -> None:
    lock = load_lock()
    started = time.perf_counter()
    try:
        generation = generate_all(lock)
    except GenerationError as exc:
        count = len(exc.warnings)
        print(f"generate: {count} generator warning(s); generated/ unchanged")
        raise
    stamp.write_stamp()
    took = time.perf_counter() - started
    names = ", ".join(p.name for p in generation.packages)
    count = len(generation.warnings)
    print(f"generate: {names} written, {count} generator warnings, {took:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m speckit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command", choices=["materialise", "generate", "ensure", "update"]
    )
    parser.add_argument(
        "--mirror",
        type=Path,
        default=None,
        help="folder with finAPI's spec files (default: FINAPI_SPECS_DIR or ../shared/specs)",
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=paths.SPECS_DIR,
        help="folder to copy the spec files into (default: specs/)",
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        help="update: a new spec file, or a folder of spec files",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="update: print the report, write nothing"
    )
    parser.add_argument(
        "--fail-on-breaking",
        action="store_true",
        help="update: stop with status 1, writing nothing, when a change is breaking",
    )
    args = parser.parse_args(argv)
    if args.command == "update":
        from .update import run_update  # noqa: PLC0415

        return run_update(
            args.source,
            write=not args.dry_run,
            fail_on_breaking=args.fail_on_breaking,
            mirror=args.mirror,
        )
    mirror = args.mirror or paths.default_mirror()
    try:
        if args.command == "materialise":
            _materialise(mirror, args.dest)
        elif args.command == "ensure":
            _materialise(mirror)
        if args.command == "generate":
            _materialise(mirror)
            _generate()
        elif args.command == "ensure":
            packages = {k: e.package for k, e in load_lock().specs.items()}
            reason = stamp.is_stale(packages)
            if reason:
                print(f"generate: {reason}; regenerating")
                _generate()
            else:
                print("generate: generated/ is current")
    except LockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
