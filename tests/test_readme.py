"""Every fenced block of README.md runs (or, where it cannot, is checked), so the README cannot rot.

How each kind of block is covered:

- ```python blocks run in a fresh interpreter; a block that defines ``test_``
  functions runs under pytest instead. Each must exit 0.
- ```toml blocks are read as the command line's config file and must resolve.
- ```sh ``nox -s tests``: the suite cannot run itself, so the block must be exactly
  the command ``.ci/run`` ends with.
- ```sh blocks with ``nox -s demo``: run from the repository root with the ``nox`` of
  the test environment; the output must show the nine steps.
- ```sh ``finapi emulator ...``: started in the background (on a free port instead of
  the README's 8080, in this and the next block); the following ```sh block of
  ``finapi`` commands then runs against it with bash, while a stand-in person
  completes every web form it opens (posting the page's form over HTTP).
- ```sh spec update block: every line runs except the one with ``--update``, which
  would rewrite the lock and rerun the whole suite; that line is checked to be the
  line before it plus ``--update``, which ``nox -s specs`` accepts.

Any other block fails the test, so a new block cannot stay unrun. Set
``FINAPI_README_NOX_ENVDIR`` to make the nested nox runs keep their
virtualenvs elsewhere than ``.nox/`` (for running beside other nox users).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
BIN = Path(sys.executable).parent
README_PORT = "8080"
NOX_TIMEOUT = 900


@dataclass(frozen=True)
class Block:
    """One fenced block of the README."""

    lang: str
    body: str
    line: int

    @property
    def id(self) -> str:
        first = self.body.strip().splitlines()[0] if self.body.strip() else ""
        return f"L{self.line}-{self.lang}-{first[:40]}"


def _blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```\s*$", text, re.S | re.M):
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(match.group(1), match.group(2), line))
    return found


BLOCKS = _blocks()


_SHELL = ("sh", "console", "bash", "shell")
# (kind, test on the stripped body) for shell blocks, first match wins.
_SHELL_KINDS = (
    ("tests-command", lambda body: body == "nox -s tests"),
    ("demo", lambda body: body.startswith("nox -s demo")),
    ("emulator", lambda body: body.startswith("finapi emulator")),
    ("spec-update", lambda body: "nox -s specs" in body or "nox -s spec_diff" in body),
    ("cli", lambda body: re.search(r"^finapi ", body, re.M) is not None),
)


def _kind(block: Block) -> str:
    body = block.body.strip()
    if block.lang == "python":
        return "pytest" if re.search(r"^def test_", body, re.M) else "python"
    if block.lang == "toml":
        return "config"
    if block.lang in _SHELL:
        for kind, matches in _SHELL_KINDS:
            if matches(body):
                return kind
    return "unknown"


def _by_kind(kind: str) -> list[Block]:
    return [b for b in BLOCKS if _kind(b) == kind]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINAPI_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTEST_ADDOPTS", None)
    env.update(extra)
    return env


def _nox(script: str) -> str:
    envdir = os.environ.get("FINAPI_README_NOX_ENVDIR")
    if not envdir:
        return script
    return re.sub(r"^nox ", f"nox --envdir {envdir} ", script, flags=re.M)


def _bash(script: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        **kwargs,  # type: ignore[arg-type]
    )


def test_every_block_has_a_runner() -> None:
    """Each fenced block is of a kind this module runs or checks."""
    unknown = [b.id for b in BLOCKS if _kind(b) == "unknown"]

    assert BLOCKS, "README.md has no fenced blocks"
    assert unknown == []
    kinds = {_kind(b) for b in BLOCKS}
    assert {"python", "pytest", "demo", "tests-command", "cli", "emulator"} <= kinds


@pytest.mark.parametrize("block", _by_kind("python"), ids=lambda b: b.id)
def test_python_block_runs(block: Block, tmp_path: Path) -> None:
    """A Python block runs on its own and exits 0."""
    script = tmp_path / "block.py"
    script.write_text(block.body, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=_env(),
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("block", _by_kind("pytest"), ids=lambda b: b.id)
def test_pytest_block_passes(block: Block, tmp_path: Path) -> None:
    """A block of tests passes under pytest."""
    script = tmp_path / "test_readme_block.py"
    script.write_text(block.body, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=_env(),
        timeout=120,
    )
    tests = len(re.findall(r"^def test_", block.body, re.M))

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tests} passed" in result.stdout


@pytest.mark.parametrize("block", _by_kind("config"), ids=lambda b: b.id)
def test_config_block_is_accepted(block: Block, tmp_path: Path) -> None:
    """The config file example is read by the command line and resolves."""
    from finapi._cli_config import read_config_file, resolve

    path = tmp_path / "config.toml"
    path.write_text(block.body, encoding="utf-8")
    path.chmod(0o600)
    settings = resolve({}, {}, read_config_file(path, {}))

    assert settings.client_id
    assert settings.facade_kwargs()["environment"] in ("sandbox", "live")


def test_tests_command_is_what_ci_runs() -> None:
    """`nox -s tests` cannot run inside the tests: it must be .ci/run's last command."""
    blocks = _by_kind("tests-command")
    lines = [
        line.strip()
        for line in CI_RUN.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]

    assert len(blocks) == 1
    assert lines[-1] == blocks[0].body.strip()


@pytest.mark.parametrize("block", _by_kind("demo"), ids=lambda b: b.id)
def test_demo_command_runs(block: Block) -> None:
    """The main job runs from the repository root and shows its nine steps."""
    result = _bash(_nox(block.body), cwd=ROOT, env=_env(), timeout=NOX_TIMEOUT)
    out = result.stdout + result.stderr

    assert result.returncode == 0, out[-4000:]
    assert re.findall(r"Step (\d)/9", out) == [str(n) for n in range(1, 10)]
    assert "demo finished: all 9 steps done" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def readme_emulator() -> Iterator[str]:
    """Run the README's `finapi emulator` block in the background, on a free port."""
    blocks = _by_kind("emulator")
    assert len(blocks) == 1
    port = str(_free_port())
    command = blocks[0].body.strip().replace(README_PORT, port)
    assert f"--port {port}" in command
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in first, first
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


class _Person:
    """Completes every web form the README's user opens, as a person on the page would."""

    def __init__(self, access_url: str, user_id: str, password: str) -> None:
        self._access_url = access_url
        self._user = (user_id, password)
        self._stop = threading.Event()
        self.completed: list[str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from finapi import FinAPI, FinAPIError
        from finapi._demo import complete_over_http
        from finapi.emulator import (
            DEMO_BANK_LOGIN,
            DEMO_BANK_PIN,
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
        )
        from finapi_webform.api.web_forms import get_web_forms

        with FinAPI(
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            access_url=self._access_url,
            webform_url=self._access_url + "/webform",
        ) as fin:
            while not self._stop.wait(0.2):
                try:
                    session = fin.user(*self._user)
                    page = get_web_forms.sync(client=session.webform)
                except FinAPIError:
                    continue  # the user does not exist yet (or any more)
                for form in getattr(page, "items", []):
                    if form.status.value == "NOT_YET_OPENED":
                        complete_over_http(form.url, DEMO_BANK_LOGIN, DEMO_BANK_PIN)
                        self.completed.append(form.id)

    def __enter__(self) -> _Person:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def test_cli_block_runs_against_the_emulator(readme_emulator: str) -> None:
    """The README's `finapi` commands run, in order, against the emulator it starts."""
    blocks = _by_kind("cli")
    assert len(blocks) == 1
    script = blocks[0].body.replace(README_PORT, readme_emulator)
    user = re.search(r"FINAPI_USER_ID=(\S+)", script)
    password = re.search(r"FINAPI_USER_PASSWORD=(\S+)", script)
    assert user is not None
    assert password is not None
    with _Person(f"http://127.0.0.1:{readme_emulator}", user[1], password[1]) as person:
        result = _bash(script, cwd=ROOT, env=_env(), timeout=180)

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert len(person.completed) == 1
    assert "COMPLETED" in result.stdout
    assert "Girokonto" in result.stdout
    assert f"Deleted user {user[1]}" in result.stdout
    assert password[1] not in result.stdout


def test_spec_update_block() -> None:
    """The report-only lines run; the adopting line is the same plus --update."""
    blocks = _by_kind("spec-update")
    assert len(blocks) == 1
    lines = [line for line in blocks[0].body.strip().splitlines() if line.strip()]
    adopt = [line for line in lines if "--update" in line]
    report = [line for line in lines if "--update" not in line]
    result = _bash(_nox("\n".join(report)), cwd=ROOT, env=_env(), timeout=NOX_TIMEOUT)

    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert len(adopt) == 1
    assert adopt[0].replace(" --update", "") in report
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert '"--update" in args' in noxfile
    assert (ROOT / "specs" / "speckit" / "update.py").is_file()


def test_readme_keeps_the_generated_section_and_coverage_markers() -> None:
    """The sections other helpers own are still there."""
    text = README.read_text(encoding="utf-8")

    assert "## How the generated clients are made" in text
    assert text.count("<!-- coverage:start -->") == 1
    assert text.count("<!-- coverage:end -->") == 1
