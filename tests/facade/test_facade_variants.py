"""Issue 6, acceptance 4: the facade's workflow tests pass against spec variants.

For each variant below, the pinned specs get one small edit
(``speckit.variants``), a private copy of ``specs/`` adopts the edited files
with ``speckit update`` (which regenerates the clients), and the unchanged
``tests/facade/test_facade_workflow.py`` runs in a subprocess where

- ``PYTHONPATH`` puts the regenerated ``finapi_access`` / ``finapi_webform``
  first, so the facade in ``facade/`` (not edited, not copied) imports them;
- ``FINAPI_TEST_ACCESS_SPEC`` / ``FINAPI_TEST_WEBFORM_SPEC`` make the emulator
  of every workflow test serve the variant spec files (read by
  ``facade_support.emulator``); the suite's spec checker then validates the
  emulator's answers against those files;
- the ``variant_probe`` plugin (``tests/api/variant_probe.py``) logs every
  request the emulators answered, so this test can prove the paths used.

Each variant is adopted and run once, two at a time. A last test shows the
emulator serving the ``/api/v2/`` variant has no ``/oauth/token`` at all, so
the workflow run on it can only pass through the regenerated client.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from facade_support import emulator

from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from speckit import variants
from speckit.lock import load_lock

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = "tests/facade/test_facade_workflow.py"
PROBE_DIR = ROOT / "tests" / "api"
SPEC_VARIABLES = {
    "access": "FINAPI_TEST_ACCESS_SPEC",
    "webform": "FINAPI_TEST_WEBFORM_SPEC",
}

#: Variants the workflow must survive, and the specs each one edits. Every
#: variant of ``speckit.variants`` is here except ``required-added``: it makes
#: ``UserCreateParams.email`` required, so creating a user without an email must
#: fail, and its dedicated test
#: ``test_a_newly_required_field_is_named_when_creating_a_user`` checks that error.
RUNS: dict[str, tuple[str, ...]] = {
    "api-v2": ("access",),
    "new-property": ("access", "webform"),
    "new-enum-value": ("access", "webform"),
    "new-operation": ("access", "webform"),
    "removed-operation": ("access", "webform"),
    "type-change": ("access", "webform"),
}


@attrs.frozen
class VariantRun:
    """One variant adopted in private trees, and the workflow tests run on it."""

    name: str
    trees: dict[str, variants.VariantTree]
    tests: subprocess.CompletedProcess[str] | None
    record: dict[str, Any]

    def passed(self) -> int:
        """Return how many tests the subprocess reported as passed."""
        found = re.search(r"(\d+) passed", self.tests.stdout if self.tests else "")
        return int(found.group(1)) if found else 0

    def output(self) -> str:
        """Return the updates' and the test run's output, for failure messages."""
        parts = []
        for tree in self.trees.values():
            parts += [tree.process.stdout[-3000:], tree.process.stderr[-3000:]]
        if self.tests is not None:
            parts += [self.tests.stdout[-6000:], self.tests.stderr[-3000:]]
        return "\n".join(parts)


def run_workflow(
    name: str, trees: dict[str, variants.VariantTree], root: Path
) -> VariantRun:
    """Run the workflow tests on the clients of ``trees``, serving their specs."""
    if any(tree.process.returncode != 0 for tree in trees.values()):
        return VariantRun(name, trees, None, {})
    record_file = root / "probe.json"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", *SPEC_VARIABLES.values())
    }
    env["PYTHONPATH"] = os.pathsep.join(
        [*(str(tree.generated) for tree in trees.values()), str(PROBE_DIR)]
    )
    env["FINAPI_PROBE_RECORD"] = str(record_file)
    for kind, tree in trees.items():
        env[SPEC_VARIABLES[kind]] = str(tree.source)
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "variant_probe",
            "-p",
            "no:cacheprovider",
            WORKFLOW,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    record = json.loads(record_file.read_text("utf-8")) if record_file.is_file() else {}

    return VariantRun(name, trees, tests, record)


@pytest.fixture(scope="module")
def runs(
    variant_trees: dict[tuple[str, str], variants.VariantTree],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, VariantRun]]:
    """Run the workflow tests once per variant of RUNS, two runs at a time."""

    def job(name: str) -> VariantRun:
        trees = {kind: variant_trees[(name, kind)] for kind in RUNS[name]}
        return run_workflow(name, trees, tmp_path_factory.mktemp(f"wf-run-{name}"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield dict(zip(RUNS, pool.map(job, RUNS), strict=True))


def token_posts(run: VariantRun) -> set[str]:
    """Paths of the token requests the emulators answered during the run."""
    return {
        path
        for method, path, _ in run.record["requests"]
        if method == "POST" and path.endswith("/oauth/token")
    }


@pytest.mark.parametrize("name", list(RUNS))
def test_workflow_tests_pass_against_the_variant(
    name: str, runs: dict[str, VariantRun]
) -> None:
    """The unchanged workflow tests pass on the regenerated client and variant server."""
    run = runs[name]
    assert all(t.process.returncode == 0 for t in run.trees.values()), run.output()
    assert run.tests is not None
    assert run.tests.returncode == 0, run.output()
    assert run.passed() > 0, run.output()
    assert not re.search(r"\d+ (failed|error|skipped)", run.tests.stdout)

    record = run.record
    for kind in ("access", "webform"):
        package = Path(record["packages"][f"finapi_{kind}"])
        if kind in run.trees:
            assert package.is_relative_to(run.trees[kind].generated)
            assert record["versions"][kind].endswith(f"+{name}")
        else:
            assert package.is_relative_to(ROOT / "generated")
    pinned = {kind: entry.version for kind, entry in load_lock().specs.items()}
    served = {
        kind: {pair[index] for pair in record["served"]}
        for index, kind in enumerate(("access", "webform"))
    }
    for kind in ("access", "webform"):
        expected = record["versions"][kind] if kind in run.trees else pinned[kind]
        assert served[kind] == {expected}
    statuses = [status for _, _, status in record["requests"]]
    assert len(statuses) > 50
    assert 404 not in statuses
    assert not [s for s in statuses if s >= 500]


def test_api_v2_variant_moves_the_facade_to_the_new_paths(
    runs: dict[str, VariantRun],
) -> None:
    """With the /api/v2/ variant every token and user request went to /api/v2/."""
    run = runs["api-v2"]
    requests = run.record["requests"]
    user_paths = {path for _, path, _ in requests if "/users" in path}

    assert run.record["token_urls"] == {
        "clientCredentials": "/api/v2/oauth/token",
        "password": "/api/v2/oauth/token",
    }
    assert token_posts(run) == {"/api/v2/oauth/token"}
    token_answers = [s for _, path, s in requests if path == "/api/v2/oauth/token"]
    assert len(token_answers) >= 7
    assert set(token_answers) == {200}
    assert user_paths == {"/api/v2/users"}
    assert not any(path.startswith("/api/v1/users") for _, path, _ in requests)


@pytest.mark.parametrize("name", [n for n in RUNS if n != "api-v2"])
def test_other_variants_keep_the_pinned_paths(
    name: str, runs: dict[str, VariantRun]
) -> None:
    """Variants that move nothing leave the token endpoint at /oauth/token."""
    run = runs[name]

    assert token_posts(run) == {"/oauth/token"}
    assert any(path == "/api/v1/users" for _, path, _ in run.record["requests"])


def test_the_v2_emulator_has_no_v1_token_endpoint(tmp_path: Path) -> None:
    """The emulator serving the /api/v2/ variant answers 404 at /oauth/token.

    So a workflow run on it can only pass through the regenerated client.
    """
    spec = variants.api_v2(variants.pinned_spec("access"))
    source = variants.write_variant(spec, tmp_path)
    form = {
        "grant_type": "client_credentials",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
    }

    with (
        emulator(access_spec=source) as emu,
        httpx.Client(transport=emu.sync_transport(), base_url=emu.access_url) as http,
    ):
        old = http.post("/oauth/token", data=form)
        new = http.post("/api/v2/oauth/token", data=form)

    assert old.status_code == 404
    assert new.status_code == 200
    assert new.json()["token_type"].lower() == "bearer"


def test_a_newly_required_field_is_named_when_creating_a_user(
    variant_trees: dict[tuple[str, str], variants.VariantTree],
) -> None:
    """With a spec that makes the user's email required, users.create says so."""
    tree = variant_trees[("required-added", "access")]
    script = (
        "from finapi import FinAPI\n"
        "from finapi.emulator import Emulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET\n"
        "emu = Emulator()\n"
        "fin = FinAPI(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,\n"
        "             access_url=emu.access_url, webform_url=emu.webform_url,\n"
        "             transport=emu.sync_transport())\n"
        "try:\n"
        "    fin.users.create()\n"
        "except ValueError as exc:\n"
        "    print('ValueError:', exc)\n"
        "created = fin.users.create(email='jo@example.com')\n"
        "print('created', bool(created.id))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tree.generated)}

    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (
        "ValueError: the Access spec this client was built from requires email "
        "to create a user" in proc.stdout
    )
    assert "created True" in proc.stdout
