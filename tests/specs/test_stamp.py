"""Staleness: what makes `ensure` rebuild generated/ and what lets it skip the rebuild.

Every test works in a temporary tree made by ``variants.make_workspace`` (a
copy of ``specs/``) with a copy of the current generated packages beside it,
never in the real tree.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import attrs
import pytest

from speckit import paths, stamp, variants
from speckit.generate import SPEC_FILE_NAME
from speckit.lock import load_lock

LOCK = load_lock()
PACKAGES = {kind: entry.package for kind, entry in LOCK.specs.items()}


@attrs.frozen
class Tree:
    """A private copy of ``specs/`` and ``generated/`` stamped as current."""

    specs: Path
    generated: Path

    def stale(self) -> str | None:
        """Ask ``is_stale`` about this tree."""
        return stamp.is_stale(
            PACKAGES, specs_dir=self.specs, generated_dir=self.generated
        )


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """A copy of the tooling and the generated packages that `is_stale` finds current.

    Each normalised spec is the copy its package ships, which generation makes
    byte-identical to the one written into ``specs/``.
    """
    specs = variants.make_workspace(tmp_path / "repo")
    generated = tmp_path / "repo" / "generated"
    for kind, package in PACKAGES.items():
        shutil.copytree(
            paths.GENERATED_DIR / package,
            generated / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        shutil.copyfile(
            generated / package / SPEC_FILE_NAME,
            specs / paths.normalised_path(kind).name,
        )
    stamp.write_stamp(specs, generated)
    return Tree(specs, generated)


def test_a_stamped_complete_tree_is_current(tree: Tree) -> None:
    """With the stamp, both packages and both normalised specs, nothing is stale."""
    assert tree.stale() is None


def test_a_tree_without_a_stamp_is_stale(tree: Tree) -> None:
    """A generated/ that was never stamped here is rebuilt."""
    (tree.generated / stamp.STAMP_NAME).unlink()

    assert tree.stale() == "generated/ has never been built here"


@pytest.mark.parametrize("package", sorted(PACKAGES.values()))
def test_a_missing_package_is_stale(tree: Tree, package: str) -> None:
    """A deleted generated package makes the tree stale, naming the package."""
    shutil.rmtree(tree.generated / package)

    assert tree.stale() == f"generated/{package} is missing"


@pytest.mark.parametrize("name", ["__init__.py", "spec_info.py", SPEC_FILE_NAME])
def test_a_package_without_one_of_its_files_is_stale(tree: Tree, name: str) -> None:
    """A package that lost a file the tests and the facade need is rebuilt."""
    (tree.generated / "finapi_webform" / name).unlink()

    assert tree.stale() == f"generated/finapi_webform/{name} is missing"


@pytest.mark.parametrize("kind", sorted(PACKAGES))
def test_a_missing_normalised_spec_is_stale(tree: Tree, kind: str) -> None:
    """Without specs/<kind>.normalised.json the tree is stale, naming the file."""
    (tree.specs / paths.normalised_path(kind).name).unlink()

    assert tree.stale() == f"specs/{kind}.normalised.json is missing"


def test_a_normalised_spec_unlike_the_shipped_one_is_stale(tree: Tree) -> None:
    """A normalised spec whose bytes differ from the package's copy is rebuilt."""
    normalised = tree.specs / paths.normalised_path("access").name
    normalised.write_bytes(normalised.read_bytes() + b"\n")

    assert tree.stale() == (
        "specs/access.normalised.json differs from generated/finapi_access/openapi.json"
    )


@pytest.mark.parametrize(
    "changed",
    [
        "templates/str_enum.py.jinja",
        "templates/models_init.py.jinja",
        "templates/new_template.py.jinja",
        "generator/webform.json",
        "speckit/normalise.py",
        "lock.json",
    ],
)
def test_a_changed_input_is_stale(tree: Tree, changed: str) -> None:
    """Editing (or adding) a template, a config, a rule or the lock makes it stale."""
    path = tree.specs / changed
    before = path.read_bytes() if path.exists() else b""
    path.write_bytes(before + b"\n")

    assert tree.stale() == "the lock, the normalisation rules or the templates changed"


def test_restoring_the_input_makes_the_tree_current_again(tree: Tree) -> None:
    """The fingerprint depends on bytes only: undoing an edit undoes the staleness."""
    template = tree.specs / "templates" / "str_enum.py.jinja"
    original = template.read_bytes()
    template.write_bytes(original + b"{# edited #}\n")
    assert tree.stale() is not None

    template.write_bytes(original)

    assert tree.stale() is None


def test_ensure_skips_a_current_tree(tree: Tree) -> None:
    """`python -m speckit ensure` leaves a current tree alone."""
    proc = variants.run_speckit(tree.specs, "ensure")

    assert proc.returncode == 0, proc.stderr
    assert "generate: generated/ is current" in proc.stdout


def test_ensure_regenerates_a_missing_normalised_spec(tree: Tree) -> None:
    """`ensure` names the missing normalised spec, regenerates and writes it again."""
    if importlib.util.find_spec("openapi_python_client") is None:
        pytest.skip("openapi-python-client is not installed (nox -s tests installs it)")
    normalised = tree.specs / paths.normalised_path("access").name
    normalised.unlink()

    proc = variants.run_speckit(tree.specs, "ensure")
    again = variants.run_speckit(tree.specs, "ensure")

    assert proc.returncode == 0, proc.stderr
    assert (
        "generate: specs/access.normalised.json is missing; regenerating" in proc.stdout
    )
    assert "0 generator warnings" in proc.stdout
    assert (
        normalised.read_bytes()
        == (tree.generated / "finapi_access" / SPEC_FILE_NAME).read_bytes()
    )
    assert "generate: generated/ is current" in again.stdout
