"""Without its extras the package still imports, and the scripts name what is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from needs import missing

ROOT = Path(__file__).resolve().parents[1]
UV = shutil.which("uv")


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the project installed without any extra."""
    if UV is None:
        missing("needs uv")
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([UV, "venv", "-q", "-p", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [UV, "pip", "install", "-q", "--python", str(python), "-e", str(ROOT)],
        check=True,
    )
    return venv / "bin"


def _run(*cmd: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, check=False, timeout=60
    )


def test_core_imports_without_extras(bare: Path) -> None:
    """`import finapi` and a generated operation need only the core dependencies."""
    result = _run(
        bare / "python",
        "-c",
        "import finapi, finapi_access.api.users.create_user; print(finapi.FinAPI)",
    )

    assert result.returncode == 0, result.stderr
    assert "finapi._client.FinAPI" in result.stdout


@pytest.mark.parametrize(
    ("script", "extra"), [("finapi", "cli"), ("finapi-emulator", "emulator")]
)
def test_script_names_its_missing_extra(bare: Path, script: str, extra: str) -> None:
    """A script whose extra is missing says which in one line and exits 2."""
    result = _run(bare / script, "--help")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip().splitlines()[0]]
    assert f"pip install 'finapi-facade[{extra}]'" in result.stderr


def test_emulator_import_names_its_extra(bare: Path) -> None:
    """`from finapi.emulator import Emulator` without the extra names it."""
    result = _run(bare / "python", "-c", "from finapi.emulator import Emulator")

    assert result.returncode == 1
    assert "needs the 'emulator' extra" in result.stderr


def test_install_before_generating_names_the_command(tmp_path: Path) -> None:
    """Installing a checkout whose clients are not generated yet stops, naming the fix.

    (Without the build hook the install succeeded and `import finapi_access` failed
    later; an editable install made then kept missing the packages.)
    """
    if UV is None:
        missing("needs uv")
    checkout = tmp_path / "checkout"
    for name in ("pyproject.toml", "README.md"):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, checkout / name)
    (checkout / "specs").mkdir()
    shutil.copy(ROOT / "specs" / "build_hook.py", checkout / "specs")
    shutil.copytree(
        ROOT / "facade",
        checkout / "facade",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (checkout / "generated").mkdir()
    venv = tmp_path / "venv"
    subprocess.run([UV, "venv", "-q", "-p", sys.executable, str(venv)], check=True)

    result = subprocess.run(
        [
            UV,
            "pip",
            "install",
            "--python",
            str(venv / "bin" / "python"),
            "-e",
            str(checkout),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert result.returncode != 0
    assert "generated/finapi_access is missing" in result.stderr
    assert "Run `nox -s generate`" in result.stderr


def test_sdist_carries_the_tooling_but_no_spec_copy(tmp_path: Path) -> None:
    """The sdist has the lock, speckit and the generated packages, never a raw spec."""
    import tarfile

    if UV is None:
        missing("needs uv")
    stray = ROOT / "specs" / "finapi-access-9.9.9+stray.json"
    stray.write_text("{}", encoding="utf-8")  # as `--update` would copy it in
    try:
        subprocess.run(
            [UV, "build", "-q", "--sdist", "--out-dir", str(tmp_path), str(ROOT)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    finally:
        stray.unlink()
    (sdist,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}

    assert "specs/lock.json" in names
    assert "specs/speckit/generate.py" in names
    assert "generated/finapi_access/__init__.py" in names
    assert "generated/finapi_access/openapi.json" in names
    top_level_specs = {n for n in names if n.count("/") == 1 and n.startswith("specs/")}
    assert top_level_specs == {"specs/lock.json", "specs/build_hook.py"}
