"""Issue 6, acceptance 2: after ``speckit update`` adopts variants, the tests still pass.

A private workspace gets a copy of ``specs/`` (tooling, lock, pinned files),
of ``generated/`` and the normalised specs, of ``pyproject.toml`` and of the
test files below. ``python -m speckit update`` adopts one Access and one Web
Form variant there (it rewrites the workspace's lock and regenerates both
clients). Then the copied tests run in a subprocess, with the workspace's
``specs/`` and ``generated/`` first on the path: they derive their variants
from the lock that now pins the edited specs, and read with the clients
regenerated from them (``test_generated.py`` regenerates both once more and
compares byte for byte). The whole test takes about 30 s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from speckit import paths, variants
from speckit.lock import load_lock

pytest.importorskip("openapi_python_client")

#: The variant each spec adopts: the Web Form one is the case the audit of
#: issue 6 found failing; the Access one makes the pinned client know
#: ``loyaltyTier``, so tolerant reading must use a new name.
ADOPT = {"access": "new-property", "webform": "new-enum-value"}
TESTS = (
    "tests/specs/test_variants.py",
    "tests/specs/test_tolerant_reading.py",
    "tests/generated/test_generated.py",
)
_TARGETS = """
import json
from speckit import variants
print(json.dumps({
    kind: [t.property_name, t.enum_value]
    for kind in ("access", "webform")
    for t in [variants.targets_for(variants.pinned_spec(kind))]
}))
"""


@attrs.frozen
class Adopted:
    """A workspace that adopted ADOPT, and what ran in it."""

    repo: Path
    update: subprocess.CompletedProcess[str]
    tests: subprocess.CompletedProcess[str]
    targets: subprocess.CompletedProcess[str]

    def count(self, outcome: str) -> int:
        """Return how many tests the run reported with ``outcome`` (``passed``)."""
        found = re.search(rf"(\d+) {outcome}", self.tests.stdout.splitlines()[-1])
        return int(found.group(1)) if found else 0


def copy_repo(root: Path) -> Path:
    """Copy what the spec and generated-client tests need into ``root``; return it."""
    specs = variants.make_workspace(root)
    shutil.copytree(
        paths.GENERATED_DIR,
        root / "generated",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for kind in load_lock().specs:
        normalised = paths.normalised_path(kind)
        shutil.copyfile(normalised, specs / normalised.name)
    shutil.copyfile(paths.ROOT / "pyproject.toml", root / "pyproject.toml")
    for test in TESTS:
        (root / test).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths.ROOT / test, root / test)
    return root


def run_in(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in ``repo`` with its specs/ and generated/ first."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "FINAPI_SPECS_DIR")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(repo / "specs"), str(repo / "generated")])
    return subprocess.run(
        [sys.executable, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Adopted:
    """Adopt ADOPT in a fresh workspace, then run TESTS there."""
    root = tmp_path_factory.mktemp("adopted")
    repo = copy_repo(root / "repo")
    incoming = root / "incoming"
    for kind, name in ADOPT.items():
        variants.write_variant(variants.VARIANTS[name].of(kind), incoming)

    update = variants.run_speckit(repo / "specs", "update", "--from", str(incoming))
    tests = run_in(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS)
    targets = run_in(repo, "-c", _TARGETS)
    return Adopted(repo, update, tests, targets)


def test_update_adopts_both_variants(adopted: Adopted) -> None:
    """The workspace's lock pins the two variants and both clients were rebuilt."""
    lock = load_lock(adopted.repo / "specs" / "lock.json")
    pinned = load_lock()

    assert adopted.update.returncode == 0, adopted.update.stderr[-3000:]
    for kind, name in ADOPT.items():
        assert lock.specs[kind].version == f"{pinned.specs[kind].version}+{name}"
        info = adopted.repo / "generated" / lock.specs[kind].package / "spec_info.py"
        assert f'"version": "{lock.specs[kind].version}"' in info.read_text("utf-8")
    assert load_lock() == pinned


def test_the_adopted_lock_moves_the_variants_to_new_names(adopted: Adopted) -> None:
    """With the variants pinned, the next ones use names the specs do not have yet.

    Here (pinned 1.151.1 and 2.430.0) that is ``loyaltyTier2`` for Access and
    ``PENDING_APPROVAL_2`` for Web Form 2.0; the other names stay.
    """
    before = {kind: variants.targets_for(variants.pinned_spec(kind)) for kind in ADOPT}
    after = {
        kind: variants.targets_for(variants.VARIANTS[name].of(kind))
        for kind, name in ADOPT.items()
    }

    assert adopted.targets.returncode == 0, adopted.targets.stderr[-2000:]
    found = json.loads(adopted.targets.stdout)
    assert found == {kind: [t.property_name, t.enum_value] for kind, t in after.items()}
    assert after["access"].property_name != before["access"].property_name
    assert after["access"].enum_value == before["access"].enum_value
    assert after["webform"].enum_value != before["webform"].enum_value
    assert after["webform"].property_name == before["webform"].property_name


def test_spec_and_client_tests_pass_in_the_adopted_workspace(adopted: Adopted) -> None:
    """test_variants, test_tolerant_reading and test_generated pass there, none fails."""
    output = adopted.tests.stdout[-6000:] + adopted.tests.stderr[-2000:]

    assert adopted.tests.returncode == 0, output
    assert adopted.count("passed") >= 60, output
    assert adopted.count("failed") == 0, output
    assert adopted.count("skipped") == 0, output
    assert adopted.count("error") == 0, output
