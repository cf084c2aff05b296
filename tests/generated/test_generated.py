"""The generated clients cover both raw specs and are marked, lazy and reproducible."""

from __future__ import annotations

import filecmp
import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_python_client import strings

from speckit import paths
from speckit.generate import HEADER_PREFIX, SPEC_FILE_NAME, generate_one
from speckit.lock import SpecEntry, load_lock
from speckit.normalise import load_spec

LOCK = load_lock()
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ENTRIES = sorted(LOCK.specs.values(), key=lambda e: e.kind)


def _raw(entry: SpecEntry) -> dict[str, Any]:
    return _RAW.setdefault(entry.kind, load_spec(paths.raw_path(entry.file)))


_RAW: dict[str, dict[str, Any]] = {}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(operationId, first tag) of every operation in a raw spec."""
    found = []
    for item in spec["paths"].values():
        for method, op in item.items():
            if method in METHODS:
                found.append((op["operationId"], op.get("tags", ["default"])[0]))
    return found


# Operations of the upstream releases the lock pins. A lock that adopted spec
# variants (``nox -s specs -- --update``, version ``1.151.1+new-operation``) has
# one operation more or less for each variant that adds or removes one.
OPERATIONS = {"access": 102, "webform": 21}
OPERATION_DELTA = {"new-operation": 1, "removed-operation": -1}


def _expected_operations(entry: SpecEntry) -> int:
    adopted = entry.version.split("+")[1:]
    return OPERATIONS[entry.kind] + sum(OPERATION_DELTA.get(v, 0) for v in adopted)


def test_raw_specs_have_the_expected_sizes() -> None:
    """The counts the issue names, computed from the raw files."""
    counts = {e.kind: len(_operations(_raw(e))) for e in ENTRIES}

    assert counts == {e.kind: _expected_operations(e) for e in ENTRIES}


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.kind)
def test_every_operation_is_a_module_with_four_calls(entry: SpecEntry) -> None:
    """Each operationId is `api/<tag>/<snake_case(id)>.py` with sync/async calls."""
    operations = _operations(_raw(entry))
    missing = []

    for operation_id, tag in operations:
        module_name = (
            f"{entry.package}.api.{strings.snake_case(tag)}."
            f"{strings.snake_case(operation_id)}"
        )
        module = importlib.import_module(module_name)
        for call in ("sync", "sync_detailed", "asyncio", "asyncio_detailed"):
            func = getattr(module, call, None)
            if func is None or not callable(func):
                missing.append(f"{module_name}.{call}")
            elif call.startswith("asyncio"):
                assert inspect.iscoroutinefunction(func), f"{module_name}.{call}"

    assert len(operations) == len({op for op, _ in operations})
    assert missing == []


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.kind)
def test_every_component_schema_has_a_model(entry: SpecEntry) -> None:
    """Each component schema is a class of the same PascalCase name in `models`."""
    models = importlib.import_module(f"{entry.package}.models")
    schemas = _raw(entry)["components"]["schemas"]

    missing = [
        n
        for n in schemas
        if not inspect.isclass(getattr(models, strings.pascal_case(n), None))
    ]

    assert len(schemas) == {"access": 164, "webform": 60}[entry.kind]
    assert missing == []


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.kind)
def test_every_file_is_marked_generated(entry: SpecEntry) -> None:
    """Line one of every generated module names the spec title, version and lock hash."""
    package_dir = paths.GENERATED_DIR / entry.package
    files = sorted(package_dir.rglob("*.py"))
    unmarked = []
    for path in files:
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        wanted = (HEADER_PREFIX, entry.title, entry.version, entry.sha256[:16])
        if not all(part in first for part in wanted):
            unmarked.append(path.relative_to(package_dir).as_posix())

    assert len(files) > 100
    assert unmarked == []


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.kind)
def test_package_ships_its_normalised_spec(entry: SpecEntry) -> None:
    """The installed client carries the exact spec and the lock data it came from."""
    package = importlib.import_module(entry.package)
    spec_info = importlib.import_module(f"{entry.package}.spec_info")
    shipped = Path(package.__file__).parent / SPEC_FILE_NAME

    spec = json.loads(shipped.read_text(encoding="utf-8"))

    assert spec == json.loads(
        paths.normalised_path(entry.kind).read_text(encoding="utf-8")
    )
    assert spec["info"]["version"] == entry.version
    assert spec_info.SPEC_INFO["sha256"] == entry.sha256
    assert spec_info.SPEC_INFO["version"] == entry.version
    assert spec_info.SPEC_INFO["token_urls"]


def test_importing_one_operation_does_not_import_every_model() -> None:
    """`models/__init__` is lazy: one operation pulls in only the models it names."""
    code = (
        "import sys, json\n"
        "import finapi_access.api.users.create_user\n"
        "loaded = [m for m in sys.modules if m.startswith('finapi_access.models.')]\n"
        "import finapi_access.models as models\n"
        "print(json.dumps([len(loaded), len(models.__all__)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    loaded, total = json.loads(out)

    assert total > 200
    assert loaded <= 10


def test_lazy_models_resolve_and_reject_unknown_names() -> None:
    """Every name in `models.__all__` resolves; an unknown one raises AttributeError."""
    models = importlib.import_module("finapi_webform.models")

    assert all(inspect.isclass(getattr(models, name)) for name in models.__all__)
    with pytest.raises(AttributeError, match="NoSuchModel"):
        _ = models.NoSuchModel


def test_date_times_are_parsed_with_isoparse() -> None:
    """No shipped model uses datetime.fromisoformat, which rejects `+0000` on 3.10."""
    sources = {
        p.relative_to(paths.GENERATED_DIR).as_posix(): p.read_text(encoding="utf-8")
        for entry in ENTRIES
        for p in sorted((paths.GENERATED_DIR / entry.package / "models").glob("*.py"))
    }

    parsing = [name for name, text in sources.items() if "isoparse(" in text]
    unconverted = [
        name
        for name, text in sources.items()
        if "datetime.datetime.fromisoformat(" in text
    ]

    assert "finapi_webform/models/web_form.py" in parsing
    assert all(
        "from dateutil.parser import isoparse" in sources[name] for name in parsing
    )
    assert unconverted == []


# Generates both packages in a process of its own and prints hash("finapi"), so
# the test can check that the two generations really ran under different seeds.
_GENERATE = """
import sys
from pathlib import Path
from speckit.generate import generate_one
from speckit.lock import load_lock
lock = load_lock()
for entry in lock.specs.values():
    generate_one(entry, lock, Path(sys.argv[1]))
print(hash("finapi"))
"""


def test_generation_is_byte_identical(tmp_path: Path) -> None:
    """Generations under two hash seeds match each other and generated/ byte for byte.

    The first runs in this process (PYTHONHASHSEED=0 under `nox -s tests`), the
    second in a subprocess with another seed, so no output may depend on the
    iteration order of a set or on any other hash.
    """
    seed = os.environ.get("PYTHONHASHSEED", "")
    other_seed = "4242" if seed != "4242" else "2424"
    other = tmp_path / f"seed-{other_seed}"
    other.mkdir()
    env = {
        **os.environ,
        "PYTHONHASHSEED": other_seed,
        "PYTHONPATH": str(paths.SPECS_DIR),
    }
    proc = subprocess.run(
        [sys.executable, "-c", _GENERATE, str(other)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert int(proc.stdout.split()[-1]) != hash("finapi"), "the seeds did not differ"

    this = tmp_path / "this-process"
    this.mkdir()
    for entry in ENTRIES:
        fresh = generate_one(entry, LOCK, this)
        current = paths.GENERATED_DIR / entry.package
        for left, right in ((fresh, current), (other / entry.package, fresh)):
            diff = filecmp.dircmp(left, right, ignore=["__pycache__"])

            assert _differences(diff) == [], (entry.package, left, right)


def _differences(diff: filecmp.dircmp[str]) -> list[str]:
    found = [*diff.left_only, *diff.right_only, *diff.funny_files]
    _, mismatch, errors = filecmp.cmpfiles(
        diff.left, diff.right, diff.common_files, shallow=False
    )
    found += mismatch + errors
    for sub in diff.subdirs.values():
        found += _differences(sub)
    return found
