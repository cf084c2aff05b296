"""The generated packages import and parse on the oldest supported Python (3.10)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from speckit import paths

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
import importlib, pkgutil, sys
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
print(count)
"""


@pytest.mark.skipif(PY310 is None or UV is None, reason="needs python3.10 and uv")
def test_generated_packages_work_on_python_310(tmp_path: Path) -> None:
    """Every generated module imports under 3.10 and a model reads a new enum value."""
    venv = tmp_path / "py310"
    subprocess.run([UV, "venv", "-q", "-p", PY310, str(venv)], check=True)
    python = venv / "bin" / "python"
    deps = ["httpx", "attrs", "python-dateutil", "typing_extensions"]
    subprocess.run(
        [UV, "pip", "install", "-q", "--python", str(python), *deps], check=True
    )

    proc = subprocess.run(
        [str(python), "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(paths.GENERATED_DIR)},
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.strip()) > 400
