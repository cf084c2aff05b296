"""Every developer and CI entry point: specs, generate, tests, demo, lint, typecheck.

``nox -s tests`` on a clean clone materialises the pinned specs, generates the
clients when they are missing or stale, installs the project and runs pytest.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
SPECS = ROOT / "specs"
sys.path.insert(0, str(SPECS))

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = True

PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
_LOCK = json.loads((SPECS / "lock.json").read_text(encoding="utf-8"))
GENERATOR_DEPS = [
    f"openapi-python-client=={_LOCK['generator']['version']}",
    f"ruff=={_LOCK['generator']['ruff']}",
    "pyyaml>=6.0",
    "attrs>=23.2",
]
SPEC_DEPS = ["pyyaml>=6.0", "attrs>=23.2"]
HAND_WRITTEN = ["facade", "tests", "specs/speckit", "specs/build_hook.py", "noxfile.py"]


def _group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


def _speckit(session: nox.Session, *args: str) -> None:
    session.run("python", "-m", "speckit", *args, env={"PYTHONPATH": str(SPECS)})


@nox.session
def specs(session: nox.Session) -> None:
    """Copy the locked spec files from the mirror folder and verify their sha256.

    ``-- --from PATH_OR_FOLDER`` prints the diff of new spec files against the
    lock and changes nothing; ``-- --update --from PATH_OR_FOLDER`` adopts them
    (copies them into specs/, regenerates, rewrites the lock) and runs the tests.
    """
    args = list(session.posargs)
    if not any(a == "--from" or a.startswith("--from=") for a in args):
        if "--update" in args:
            session.error("--update needs --from PATH_OR_FOLDER (new spec files)")
        session.install(*SPEC_DEPS)
        _speckit(session, "materialise", *args)
        return
    adopt = "--update" in args
    args = [a for a in args if a != "--update"]
    session.install(*dict.fromkeys([*GENERATOR_DEPS, *_group("specs")]))
    _speckit(session, "update", *args, *([] if adopt else ["--dry-run"]))
    if adopt:
        session.notify("tests", posargs=[])


@nox.session
def spec_diff(session: nox.Session) -> None:
    """Markdown report of the API change between two specs: ``-- OLD NEW [--fail-on-breaking]``.

    OLD and NEW are spec files, or ``access`` / ``webform`` for the pinned ones.
    """
    session.install(*_group("specs"))
    session.run(
        "python", "-m", "speckit.diff", *session.posargs, env={"PYTHONPATH": str(SPECS)}
    )


@nox.session
def generate(session: nox.Session) -> None:
    """Normalise the specs and regenerate generated/finapi_access and finapi_webform."""
    session.install(*GENERATOR_DEPS)
    _speckit(session, "generate", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole suite (generating first when generated/ is missing or stale)."""
    session.install(*GENERATOR_DEPS)
    _speckit(session, "ensure")
    session.install("-e", ".[all]", *_group("test"))
    args = session.posargs or ["-q"]
    session.run("pytest", *args, env={"PYTHONHASHSEED": "0", **_ci_env()})


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: finAPI's workflow through the facade, step by step.

    Against the embedded emulator on a free loopback port; against finAPI when
    FINAPI_CLIENT_ID and FINAPI_CLIENT_SECRET are set. ``-- --browser`` completes
    the web form in the system's headless Chromium (Playwright, no download).
    """
    session.install(*GENERATOR_DEPS)
    _speckit(session, "ensure")
    browser = ["playwright>=1.45"] if "--browser" in session.posargs else []
    session.install("-e", ".[all]", *browser)
    session.run(
        "python", "-m", "finapi._demo", *session.posargs, env={"PYTHONUNBUFFERED": "1"}
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Print import time and per-call overhead of the facade next to plain httpx.

    A measurement, not a test: ``-- --calls N --rounds N --import-runs N``.
    """
    session.install(*GENERATOR_DEPS)
    _speckit(session, "ensure")
    session.install("-e", ".[all]")
    session.run("python", "tests/bench/bench_facade.py", *session.posargs)


@nox.session
def public_api(session: nox.Session) -> None:
    """Check the public API of finapi against tests/api/public_api.json.

    ``-- --update`` re-records it after an intended change (commit the record).
    """
    session.install("griffe>=2.4")
    session.run("python", "tests/api/public_api.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff check and format check of the hand-written code."""
    session.install(*_group("lint"))
    session.run("ruff", "check", *HAND_WRITTEN)
    session.run("ruff", "format", "--check", *HAND_WRITTEN)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy on facade/ and on the generated packages."""
    session.install(*GENERATOR_DEPS)
    _speckit(session, "ensure")
    session.install("-e", ".[all]", *_group("typecheck"), *_group("test"))
    session.run(
        "mypy", "facade/finapi", "generated/finapi_access", "generated/finapi_webform"
    )


@nox.session
def build(session: nox.Session) -> None:
    """Build the wheel and sdist into dist/ (generating first when needed)."""
    session.install(*GENERATOR_DEPS, "build>=1.2")
    _speckit(session, "ensure")
    session.run("python", "-m", "build", "--outdir", "dist", ".")


def _ci_env() -> dict[str, str]:
    return {"CI": os.environ["CI"]} if "CI" in os.environ else {}
