"""The project runs on the oldest supported Python (3.10): clients, facade, emulator, CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from needs import missing

UV = shutil.which("uv")


def _find_python310() -> str | None:
    """A working 3.10 interpreter: on PATH, or installed by pyenv beside its shims."""
    candidates = [shutil.which("python3.10")]
    candidates += sorted(
        str(p) for p in Path.home().glob(".pyenv/versions/3.10*/bin/python3.10")
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "pass"], capture_output=True, check=False
        )
        if probe.returncode == 0:
            return candidate
    return None


PY310 = _find_python310()

SCRIPT = """
import datetime, importlib, pkgutil, sys
assert sys.version_info[:2] == (3, 10), sys.version
count = 0
for package in ("finapi_access", "finapi_webform"):
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
        count += 1
from finapi_webform.models import WebForm
form = WebForm.from_dict({
    "id": "x", "url": "https://w/x", "createdAt": "2022-06-24T10:00:00.000+0000",
    "expiresAt": "2022-06-24T10:20:00.000+0000", "type": "BANK_CONNECTION_IMPORT",
    "status": "SOMETHING_NEW", "payload": {}, "callbacks": None,
})
assert form.status.value == "SOMETHING_NEW" and not form.status.is_known
# Web Form 2.0 sends the zone without a colon; 3.10's fromisoformat rejects it.
utc = datetime.timezone.utc
assert form.created_at == datetime.datetime(2022, 6, 24, 10, tzinfo=utc)
assert form.created_at.utcoffset() == datetime.timedelta(0), form.created_at
assert form.expires_at.utcoffset() == datetime.timedelta(0), form.expires_at
print(count)
"""


WORKFLOW = """
import sys
assert sys.version_info[:2] == (3, 10), sys.version
from finapi import FinAPI
from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator
emu = Emulator(token_lifetime=60)
with FinAPI(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, access_url=emu.access_url,
            webform_url=emu.webform_url, transport=emu.sync_transport()) as fin:
    user = fin.users.create()
    session = fin.user(user.id, user.password)
    form = session.webforms.bank_connection_import()
    emu.complete_webform(form.id)
    form = session.webforms.wait(form.id, interval=0.05)
    accounts = list(session.accounts())
    print(form.status.value, len(accounts), emu.stats.expired_token_requests)
"""

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def python310(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python 3.10 virtualenv with the project and all its extras installed."""
    if PY310 is None or UV is None:
        missing("needs python3.10 and uv")
    venv = tmp_path_factory.mktemp("py310") / "venv"
    subprocess.run([UV, "venv", "-q", "-p", PY310, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [UV, "pip", "install", "-q", "--python", str(python), "-e", f"{ROOT}[all]"],
        check=True,
    )
    return python


def _run(python: Path, *args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(python), *args], capture_output=True, text=True, check=False, cwd=cwd
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_generated_packages_work_on_python_310(python310: Path) -> None:
    """Every generated module imports on 3.10; a model reads new enums, +0000 dates."""
    out = _run(python310, "-c", SCRIPT)

    assert int(out.strip()) > 400


def test_facade_workflow_runs_on_python_310(python310: Path) -> None:
    """The facade, the emulator and the generated clients run the workflow on 3.10."""
    out = _run(python310, "-c", WORKFLOW)

    assert out.split() == ["COMPLETED", "3", "0"]


def test_cli_reads_its_toml_config_on_python_310(
    python310: Path, tmp_path: Path
) -> None:
    """Python 3.10 has no tomllib: the command line reads its config file with tomli."""
    config = tmp_path / "config.toml"
    config.write_text('client_id = "from-the-file"\nenvironment = "sandbox"\n')
    config.chmod(0o600)
    script = (
        "from pathlib import Path\n"
        "from finapi._cli_config import read_config_file\n"
        f"print(read_config_file(Path({str(config)!r}), {{}})['client_id'])\n"
    )

    out = _run(python310, "-c", script)

    assert out.strip() == "from-the-file"
