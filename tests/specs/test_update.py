"""Spec updates: plan, apply, and the `update` command on a copy of the specs folder.

Nothing here touches the real lock: every test works in a temporary copy of
``specs/`` (tooling, templates, generator configs, lock, pinned files). The
command runs as ``python -m speckit update`` with that copy first on
``PYTHONPATH``, so it reads and writes only the copy and its sibling
``generated/``, exactly as ``nox -s specs -- --update --from ...`` does in
the real tree.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from speckit import paths, variants
from speckit.diff import SpecError
from speckit.lock import load_lock, sha256_of
from speckit.update import apply_update, plan_update

CASES = [(name, kind) for name, v in variants.VARIANTS.items() for kind in v.kinds]
PACKAGES = {"access": "finapi_access", "webform": "finapi_webform"}
# The Python type the generator writes for a schema type.
PYTHON_TYPES = {"string": "str", "integer": "int", "boolean": "bool"}


def marker(name: str, kind: str) -> tuple[str, str | None]:
    """What the package regenerated from a variant must show: a file and a pattern.

    The names come from ``variants.targets_for`` of the pinned spec, which is
    what the variant trees were built from. A pattern of None means the file
    must be gone.
    """
    from openapi_python_client.strings import snake_case

    pinned = variants.pinned_spec(kind)
    t = variants.targets_for(pinned)
    method, path = t.removed_operation
    removed = pinned["paths"][path][method]
    changed_schema, changed, new_type = t.type_change
    required_schema, required = t.required_property
    markers: dict[str, tuple[str, str | None]] = {
        "new-property": (
            f"models/{snake_case(t.property_schema)}.py",
            rf"{snake_case(t.property_name)}: str \| Unset",
        ),
        "new-enum-value": (
            f"models/{snake_case(t.enum_schema)}.py",
            re.escape(f'"{t.enum_value}"'),
        ),
        "new-operation": (
            f"api/variant/{snake_case(t.new_operation_id)}.py",
            re.escape(f'"{t.new_operation_path}"'),
        ),
        "removed-operation": (
            f"api/{snake_case(removed['tags'][0])}/"
            f"{snake_case(removed['operationId'])}.py",
            None,
        ),
        "type-change": (
            f"models/{snake_case(changed_schema)}.py",
            rf"\n    {snake_case(changed)}: (None \| )?{PYTHON_TYPES[new_type]}( \| None)?\n",
        ),
        "required-added": (
            f"models/{snake_case(required_schema)}.py",
            rf"\n    {snake_case(required)}: (?!.*Unset).+\n",
        ),
        "api-v2": (
            "api/authorization/get_token.py",
            re.escape(f'"{t.api_prefix}/oauth/token"'),
        ),
    }
    return markers[name]


make_workspace = variants.make_workspace
run_speckit = variants.run_speckit


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A private copy of specs/ for one test."""
    return make_workspace(tmp_path / "repo")


# Planning and applying, in process


def test_plan_writes_nothing(workspace: Path, tmp_path: Path) -> None:
    """Planning diffs and names the new entry; lock and specs/ stay as they were."""
    lock_bytes = (workspace / "lock.json").read_bytes()
    version = load_lock().specs["webform"].version
    before = sorted(p.name for p in workspace.iterdir())
    source = variants.write_variant(
        variants.VARIANTS["new-property"].of("webform"), tmp_path / "in"
    )

    plan = plan_update(source, load_lock(workspace / "lock.json"), workspace)

    (planned,) = plan.changed
    assert planned.new.version == f"{version}+new-property"
    assert planned.new.file == f"finapi-webform-{version}+new-property.json"
    assert planned.new.sha256 == sha256_of(source)
    assert planned.new.package == "finapi_webform"
    assert planned.diff.summary() == "1 change: 0 breaking, 1 non-breaking."
    assert plan.new_lock.specs["access"] == plan.lock.specs["access"]
    assert (workspace / "lock.json").read_bytes() == lock_bytes
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_apply_copies_the_file_and_rewrites_the_lock(
    workspace: Path, tmp_path: Path
) -> None:
    """Applying copies the new file into specs/ and records it in the lock."""
    version = load_lock().specs["access"].version
    source = variants.write_variant(
        variants.VARIANTS["type-change"].of("access"), tmp_path / "in"
    )
    plan = plan_update(source, load_lock(workspace / "lock.json"), workspace)

    written = apply_update(plan, workspace, workspace / "lock.json")

    lock = load_lock(workspace / "lock.json")
    assert written == [workspace / f"finapi-access-{version}+type-change.json"]
    assert written[0].read_bytes() == source.read_bytes()
    assert lock.specs["access"].sha256 == sha256_of(source)
    assert lock.specs["access"].version == f"{version}+type-change"
    assert lock.specs["webform"] == load_lock().specs["webform"]
    assert load_lock() != lock  # the real lock is untouched


def test_regeneration_failure_leaves_the_lock(workspace: Path, tmp_path: Path) -> None:
    """When the regenerator raises, the lock is not rewritten."""
    lock_bytes = (workspace / "lock.json").read_bytes()
    source = variants.write_variant(
        variants.VARIANTS["new-property"].of("access"), tmp_path / "in"
    )
    plan = plan_update(source, load_lock(workspace / "lock.json"), workspace)

    def refuse(*_: Any) -> None:
        msg = "generator said no"
        raise RuntimeError(msg)

    with pytest.raises(RuntimeError):
        apply_update(plan, workspace, workspace / "lock.json", regenerate=refuse)

    assert (workspace / "lock.json").read_bytes() == lock_bytes


def test_folder_with_an_unchanged_and_a_new_file(
    workspace: Path, tmp_path: Path
) -> None:
    """A folder may hold the pinned file too: it is reported unchanged and skipped."""
    folder = tmp_path / "in"
    folder.mkdir()
    entry = load_lock().specs["access"]
    shutil.copyfile(paths.raw_path(entry.file), folder / entry.file)
    (folder / "README.md").write_text("not a spec\n", encoding="utf-8")
    variants.write_variant(variants.VARIANTS["new-enum-value"].of("webform"), folder)

    plan = plan_update(folder, load_lock(workspace / "lock.json"), workspace)

    assert [p.old.kind for p in plan.changed] == ["webform"]
    assert plan.unchanged == ("access",)
    assert "**access**: unchanged" in plan.report()


def test_same_version_other_bytes_gets_its_own_file_name(
    workspace: Path, tmp_path: Path
) -> None:
    """A re-published version does not overwrite the pinned file of that version."""
    version = load_lock().specs["webform"].version
    spec = variants.VARIANTS["new-property"].of("webform")
    spec["info"]["version"] = version
    source = tmp_path / "in" / "webform.json"
    source.parent.mkdir()
    source.write_text(json.dumps(spec), encoding="utf-8")

    (planned,) = plan_update(
        source, load_lock(workspace / "lock.json"), workspace
    ).changed

    assert planned.new.file == f"finapi-webform-{version}-{sha256_of(source)[:8]}.json"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file or folder"),
        ("empty-folder", "holds no .yaml, .yml or .json file"),
        ("unknown-title", "matches no locked spec"),
        ("two-new-files", "several new files for the webform spec"),
        ("no-version", "has no info.version"),
    ],
)
def test_plan_rejects_bad_input(
    setup: str, message: str, workspace: Path, tmp_path: Path
) -> None:
    """Each kind of bad input gives a SpecError that names the problem."""
    folder = tmp_path / "in"
    folder.mkdir()
    source = folder
    if setup == "missing":
        source = tmp_path / "nowhere"
    elif setup == "unknown-title":
        spec = variants.pinned_spec("webform")
        spec["info"]["title"] = "Some Other API"
        source = folder / "other.json"
        source.write_text(json.dumps(spec), encoding="utf-8")
    elif setup == "two-new-files":
        variants.write_variant(variants.VARIANTS["new-property"].of("webform"), folder)
        variants.write_variant(variants.VARIANTS["new-operation"].of("webform"), folder)
    elif setup == "no-version":
        spec = variants.VARIANTS["new-property"].of("webform")
        spec["info"]["version"] = " "
        source = folder / "webform.json"
        source.write_text(json.dumps(spec), encoding="utf-8")

    with pytest.raises(SpecError, match=re.escape(message)):
        plan_update(source, load_lock(workspace / "lock.json"), workspace)


# The command, in a subprocess per workspace


def test_dry_run_reports_and_leaves_the_lock(workspace: Path, tmp_path: Path) -> None:
    """Without --update (nox passes --dry-run) the report prints and the lock stays."""
    lock_bytes = (workspace / "lock.json").read_bytes()
    pinned = variants.pinned_spec("webform")
    method, path = variants.targets_for(pinned).removed_operation
    source = variants.write_variant(variants.removed_operation(pinned), tmp_path)

    proc = run_speckit(workspace, "update", "--from", str(source), "--dry-run")

    assert proc.returncode == 0, proc.stderr
    assert f"`{method.upper()} {path}` | operation removed" in proc.stdout
    assert "dry run, lock unchanged" in proc.stdout
    assert (workspace / "lock.json").read_bytes() == lock_bytes
    assert not (workspace / source.name).exists()


def test_fail_on_breaking_stops_before_writing(workspace: Path, tmp_path: Path) -> None:
    """A breaking update with --fail-on-breaking exits 1 and writes nothing."""
    lock_bytes = (workspace / "lock.json").read_bytes()
    source = variants.write_variant(
        variants.VARIANTS["required-added"].of("webform"), tmp_path
    )

    proc = run_speckit(workspace, "update", "--from", str(source), "--fail-on-breaking")

    assert proc.returncode == 1
    assert "1 breaking change(s); lock unchanged" in proc.stderr
    assert (workspace / "lock.json").read_bytes() == lock_bytes


def test_update_without_from_is_an_error(workspace: Path) -> None:
    """``update`` needs a source."""
    proc = run_speckit(workspace, "update")

    assert proc.returncode == 2
    assert "--from PATH_OR_FOLDER" in proc.stderr


def test_generator_warning_stops_the_update(workspace: Path, tmp_path: Path) -> None:
    """A spec the generator warns about (an XML-only response) leaves lock and generated/ alone."""
    lock_bytes = (workspace / "lock.json").read_bytes()
    spec = variants.pinned_spec("webform")
    spec["info"]["version"] += "+xml"
    response = spec["paths"]["/api/tasks"]["get"]["responses"]["200"]
    response["content"] = {"application/xml": {"schema": {"type": "string"}}}
    source = variants.write_variant(spec, tmp_path)

    proc = run_speckit(workspace, "update", "--from", str(source))

    assert proc.returncode == 3
    assert "Unsupported content_type application/xml" in proc.stderr
    assert "lock unchanged" in proc.stderr
    assert (workspace / "lock.json").read_bytes() == lock_bytes
    assert not (workspace.parent / "generated").exists()


@pytest.fixture(scope="session")
def updated(
    variant_trees: dict[tuple[str, str], variants.VariantTree],
) -> dict[tuple[str, str], variants.VariantTree]:
    """Every variant adopted once (the session fixture in tests/conftest.py)."""
    assert sorted(variant_trees) == sorted(CASES)
    return variant_trees


@pytest.mark.parametrize(("name", "kind"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_update_adopts_and_regenerates_each_variant(
    name: str, kind: str, updated: dict[tuple[str, str], variants.VariantTree]
) -> None:
    """The command rewrites the lock and regenerates the changed client, with no warning."""
    result = updated[(name, kind)]
    package = result.generated / PACKAGES[kind]
    other = next(p for k, p in PACKAGES.items() if k != kind)

    assert result.process.returncode == 0, result.process.stderr
    assert "error" not in result.process.stderr.lower()
    entry = load_lock(result.specs / "lock.json").specs[kind]
    assert entry.sha256 == sha256_of(result.source)
    assert (result.specs / entry.file).read_bytes() == result.source.read_bytes()
    assert f'"version": "{entry.version}"' in (package / "spec_info.py").read_text(
        "utf-8"
    )
    assert not (result.generated / other).exists()
    assert "generated/ was stale before" in result.process.stdout
    marker_file, pattern = marker(name, kind)
    if pattern is None:
        assert (paths.GENERATED_DIR / PACKAGES[kind] / marker_file).is_file()
        assert not (package / marker_file).exists()
    else:
        assert re.search(pattern, (package / marker_file).read_text("utf-8"))


def test_regenerated_client_reads_its_variant(
    updated: dict[tuple[str, str], variants.VariantTree],
) -> None:
    """The client regenerated from the new-property variant has the property as a field."""
    result = updated[("new-property", "webform")]
    prop = variants.targets_for(variants.pinned_spec("webform")).property_name
    script = (
        "from finapi_webform.models import WebForm\n"
        "import attrs\n"
        "print(sorted(f.name for f in attrs.fields(WebForm)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(result.generated)}

    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr
    assert repr(prop) in proc.stdout


def test_update_of_a_current_tree_records_the_stamp(tmp_path: Path) -> None:
    """After generate + update, `ensure` finds generated/ current: no second rebuild."""
    if importlib.util.find_spec("openapi_python_client") is None:
        pytest.skip("openapi-python-client is not installed (nox -s tests installs it)")
    specs = make_workspace(tmp_path / "repo")
    assert run_speckit(specs, "generate").returncode == 0
    source = variants.write_variant(
        variants.VARIANTS["new-enum-value"].of("webform"), tmp_path / "in"
    )

    adopted = run_speckit(specs, "update", "--from", str(source))
    ensured = run_speckit(specs, "ensure")

    assert adopted.returncode == 0, adopted.stderr
    assert "was stale before" not in adopted.stdout
    assert ensured.returncode == 0, ensured.stderr
    assert "generate: generated/ is current" in ensured.stdout
