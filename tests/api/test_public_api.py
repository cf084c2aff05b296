"""Issue 6, acceptance 5: the public-API check fails on a signature change only.

The live API of ``finapi`` (read from ``facade/`` with griffe) must equal the
committed record ``tests/api/public_api.json``. The failure mode is shown on
copies of ``facade/finapi`` in a temporary folder: an unchanged copy passes,
a copy with one signature changed is reported with exactly that change.
The comparison rules are each checked on a tiny pair of packages.
"""

from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

griffe = pytest.importorskip("griffe")

import public_api  # noqa: E402 - after the importorskip of griffe
from public_api import BREAKING, COMPATIBLE, REVIEW, Difference  # noqa: E402

import finapi  # noqa: E402

SCRIPT = Path(public_api.__file__)


@pytest.fixture(scope="module")
def record() -> dict[str, object]:
    """The committed record."""
    return public_api.read_record()


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of facade/finapi under ``tmp_path/src``; returns ``src``."""
    source = tmp_path / "src"
    shutil.copytree(
        public_api.SOURCE / "finapi",
        source / "finapi",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return source


def edit(file: Path, anchor: str, old: str, new: str) -> None:
    """Replace the first ``old`` after ``anchor`` in ``file`` (both must be there)."""
    text = file.read_text("utf-8")
    start = text.index(anchor)
    at = text.index(old, start)
    file.write_text(text[:at] + new + text[at + len(old) :], "utf-8")


# -- the live package against the record --------------------------------------------


def test_live_api_matches_the_record(record: dict[str, object]) -> None:
    """facade/finapi has exactly the recorded public API (else: re-record or revert)."""
    differences = public_api.compare(record, public_api.load_api())

    assert not differences, public_api.report(differences, public_api.RECORD)


def test_record_names_every_export_and_agrees_with_the_runtime(
    record: dict[str, object],
) -> None:
    """Static reading matches the imported package: names and FinAPI's signature."""
    names = record["names"]
    assert isinstance(names, dict)
    recorded_init = names["FinAPI"]["members"]["__init__"]["parameters"]
    runtime_init = inspect.signature(finapi.FinAPI.__init__).parameters.values()

    assert sorted(names) == sorted(finapi.__all__)
    assert [(p["name"], p["kind"]) for p in recorded_init] == [
        (p.name, p.kind.description) for p in runtime_init
    ]
    assert names["FinAPI"]["kind"] == "class"
    assert names["generate_password"]["kind"] == "function"


# -- the failure mode, on copies of the package --------------------------------------


def test_unchanged_copy_passes(record: dict[str, object], copy: Path) -> None:
    """A byte-identical copy of the package has no difference from the record."""
    assert public_api.compare(record, public_api.load_api(copy)) == []


def test_renamed_keyword_of_finapi_init_is_reported(
    record: dict[str, object], copy: Path
) -> None:
    """Renaming FinAPI's ``token_leeway`` keyword is one breaking difference."""
    edit(
        copy / "finapi" / "_client.py",
        "class FinAPI:",
        "token_leeway: float = DEFAULT_TOKEN_LEEWAY",
        "leeway: float = DEFAULT_TOKEN_LEEWAY",
    )

    differences = public_api.compare(record, public_api.load_api(copy))

    assert differences == [
        Difference(
            "finapi.FinAPI.__init__",
            "parameter `token_leeway` renamed to `leeway`",
            BREAKING,
        )
    ]


def test_removed_public_method_is_reported(
    record: dict[str, object], copy: Path
) -> None:
    """Making ``FinAPI.client_token`` private removes it from the public API."""
    edit(
        copy / "finapi" / "_client.py",
        "class FinAPI:",
        "def client_token(self)",
        "def _client_token(self)",
    )

    differences = public_api.compare(record, public_api.load_api(copy))

    assert differences == [
        Difference("finapi.FinAPI.client_token", "function removed", BREAKING)
    ]


def test_an_addition_is_compatible_but_still_fails_the_check(
    record: dict[str, object], copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new optional keyword is reported as compatible, and the check still fails."""
    edit(
        copy / "finapi" / "_client.py",
        "class AsyncFinAPI:",
        "        retry: RetryPolicy | None = None,\n",
        "        retry: RetryPolicy | None = None,\n        label: str = '',\n",
    )

    status = public_api.main(["--source", str(copy)])
    err = capsys.readouterr().err

    assert status == 1
    assert (
        "compatible  finapi.AsyncFinAPI.__init__: parameter `label` added (optional)"
        in err
    )
    assert "1 place(s) (1 compatible)" in err
    assert public_api.UPDATE_COMMAND in err


def test_script_reports_then_update_rerecords(copy: Path, tmp_path: Path) -> None:
    """The command line fails on a change, --update writes a record, then it passes."""
    edit(
        copy / "finapi" / "_client.py",
        "class UserSession:",
        "def accounts(self",
        "def list_accounts(self",
    )
    own = tmp_path / "record.json"
    shutil.copyfile(public_api.RECORD, own)
    base = [sys.executable, str(SCRIPT), "--source", str(copy), "--record", str(own)]

    check = subprocess.run(base, capture_output=True, text=True, check=False)
    update = subprocess.run(
        [*base, "--update"], capture_output=True, text=True, check=False
    )
    again = subprocess.run(base, capture_output=True, text=True, check=False)

    assert check.returncode == 1, check.stderr
    assert "breaking    finapi.UserSession.accounts: function removed" in check.stderr
    assert (
        "compatible  finapi.UserSession.list_accounts: function added" in check.stderr
    )
    assert update.returncode == 0, update.stderr
    assert "finapi.UserSession.accounts: function removed" in update.stdout
    assert again.returncode == 0, again.stderr
    assert "matches" in again.stdout
    assert public_api.read_record(own)["names"] != public_api.read_record()["names"]


@pytest.mark.parametrize("cls", ["WebForms", "AsyncWebForms"])
def test_renamed_webforms_method_is_reported(
    record: dict[str, object], copy: Path, cls: str
) -> None:
    """Renaming ``bank_connection_import`` (reached as ``session.webforms``) fails."""
    edit(
        copy / "finapi" / "_webforms.py",
        f"class {cls}:",
        "def bank_connection_import(",
        "def import_bank_connection(",
    )

    differences = public_api.compare(record, public_api.load_api(copy))

    assert differences == [
        Difference(
            f"finapi.{cls}.bank_connection_import", "function removed", BREAKING
        ),
        Difference(
            f"finapi.{cls}.import_bank_connection", "function added", COMPATIBLE
        ),
    ]


@pytest.mark.parametrize("cls", ["WebForms", "AsyncWebForms"])
def test_renamed_first_parameter_of_wait_is_reported(
    record: dict[str, object], copy: Path, cls: str
) -> None:
    """Renaming ``wait``'s ``web_form_id`` is one breaking difference."""
    edit(
        copy / "finapi" / "_webforms.py",
        f"class {cls}:",
        "        web_form_id: str,\n        *,\n",
        "        form_id: str,\n        *,\n",
    )

    differences = public_api.compare(record, public_api.load_api(copy))

    assert differences == [
        Difference(
            f"finapi.{cls}.wait",
            "parameter `web_form_id` renamed to `form_id`",
            BREAKING,
        )
    ]


def test_changed_default_of_wait_is_reported(
    record: dict[str, object], copy: Path
) -> None:
    """A new default for ``WebForms.wait``'s ``timeout`` is one breaking difference."""
    edit(
        copy / "finapi" / "_webforms.py",
        "class WebForms:",
        "timeout: float = 600.0",
        "timeout: float = 60.0",
    )

    differences = public_api.compare(record, public_api.load_api(copy))

    assert differences == [
        Difference(
            "finapi.WebForms.wait",
            "parameter `timeout` default changed from `600.0` to `60.0`",
            BREAKING,
        )
    ]


def test_changed_attribute_annotation_is_reported(
    record: dict[str, object], copy: Path
) -> None:
    """A new type for ``UserSession.webforms`` is one difference for review."""
    edit(
        copy / "finapi" / "_client.py",
        "class UserSession:",
        "self.webforms: WebForms = WebForms(",
        "self.webforms: AsyncWebForms = WebForms(",
    )

    differences = public_api.compare(record, public_api.load_api(copy))

    assert differences == [
        Difference(
            "finapi.UserSession.webforms",
            "annotation changed from `WebForms` to `AsyncWebForms`",
            REVIEW,
        )
    ]


def test_changed_inherited_attribute_annotation_is_reported_on_every_class(
    record: dict[str, object], copy: Path
) -> None:
    """Narrowing ``FinAPIError.status`` is reported on each exported error class."""
    edit(
        copy / "finapi" / "_errors.py",
        "class FinAPIError(",
        "self.status: int | None = status",
        "self.status: int = status or 0",
    )
    errors = sorted(
        name
        for name in finapi.__all__
        if isinstance(getattr(finapi, name), type)
        and issubclass(getattr(finapi, name), finapi.FinAPIError)
    )

    differences = public_api.compare(record, public_api.load_api(copy))

    assert len(errors) > 10
    assert differences == [
        Difference(
            f"finapi.{name}.status",
            "annotation changed from `int | None` to `int`",
            REVIEW,
        )
        for name in errors
    ]


def test_unannotated_attribute_in_the_package_is_refused(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dropping ``session.webforms``' annotation makes the check exit 2, naming it."""
    edit(
        copy / "finapi" / "_client.py",
        "class UserSession:",
        "self.webforms: WebForms = ",
        "self.webforms = ",
    )

    status = public_api.main(["--source", str(copy)])
    err = capsys.readouterr().err

    assert status == 2
    assert "1 public attribute(s) of exported classes have no annotation" in err
    assert "finapi.UserSession.webforms (finapi/_client.py:" in err
    assert "AsyncUserSession" not in err


def test_missing_package_or_record_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong --source or a missing record exits 2 with the reason."""
    no_package = public_api.main(["--source", str(tmp_path)])
    first = capsys.readouterr().err
    no_record = public_api.main(["--record", str(tmp_path / "none.json")])
    second = capsys.readouterr().err

    assert no_package == 2
    assert f"no package 'finapi' in {tmp_path}" in first
    assert no_record == 2
    assert "no public API record" in second
    assert public_api.UPDATE_COMMAND in second


# -- the comparison rules, each on a tiny pair of packages ---------------------------


def tiny_api(root: Path, source: str) -> dict[str, object]:
    """Load the API of a one-module package ``tiny`` written from ``source``."""
    package = root / "tiny"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(source), "utf-8")
    return public_api.load_api(root, "tiny")


RULES = {
    "parameter removed": (
        "def f(a: int, b: int = 0) -> None: ...",
        "def f(a: int) -> None: ...",
        [("tiny.f", "parameter `b` removed", BREAKING)],
    ),
    "required parameter added": (
        "def f(a: int) -> None: ...",
        "def f(a: int, *, b: int) -> None: ...",
        [("tiny.f", "parameter `b` added (required)", BREAKING)],
    ),
    "optional parameter added": (
        "def f(a: int) -> None: ...",
        "def f(a: int, *, b: int = 1) -> None: ...",
        [("tiny.f", "parameter `b` added (optional)", COMPATIBLE)],
    ),
    "made required": (
        "def f(a: int = 1) -> None: ...",
        "def f(a: int) -> None: ...",
        [("tiny.f", "parameter `a` made required", BREAKING)],
    ),
    "default changed": (
        "def f(a: int = 1) -> None: ...",
        "def f(a: int = 2) -> None: ...",
        [("tiny.f", "parameter `a` default changed from `1` to `2`", BREAKING)],
    ),
    "made keyword-only": (
        "def f(a: int) -> None: ...",
        "def f(*, a: int) -> None: ...",
        [
            (
                "tiny.f",
                "parameter `a` changed from positional or keyword to keyword-only",
                BREAKING,
            )
        ],
    ),
    "keyword-only made positional": (
        "def f(*, a: int) -> None: ...",
        "def f(a: int) -> None: ...",
        [
            (
                "tiny.f",
                "parameter `a` changed from keyword-only to positional or keyword",
                COMPATIBLE,
            )
        ],
    ),
    "positional parameters swapped": (
        "def f(a: int, b: int) -> None: ...",
        "def f(b: int, a: int) -> None: ...",
        [("tiny.f", "positional parameters reordered from (a, b) to (b, a)", BREAKING)],
    ),
    "annotation changed": (
        "def f(a: int) -> None: ...",
        "def f(a: int | str) -> None: ...",
        [
            (
                "tiny.f",
                "parameter `a` annotation changed from `int` to `int | str`",
                REVIEW,
            )
        ],
    ),
    "return annotation changed": (
        "def f() -> int: ...",
        "def f() -> str: ...",
        [("tiny.f", "return annotation changed from `int` to `str`", REVIEW)],
    ),
    "made async": (
        "def f() -> None: ...",
        "async def f() -> None: ...",
        [("tiny.f", "now async", BREAKING)],
    ),
    "constant value changed": (
        "C = 1",
        "C = 2",
        [("tiny.C", "value changed from `1` to `2`", BREAKING)],
    ),
    "method removed, private method ignored": (
        "class K:\n    def m(self) -> None: ...\n    def _p(self) -> None: ...",
        "class K:\n    def _p(self, x: int) -> None: ...",
        [("tiny.K.m", "function removed", BREAKING)],
    ),
    "base removed": (
        "class B: ...\nclass K(B): ...",
        "class B: ...\nclass K: ...",
        [("tiny.K", "base `B` removed", BREAKING)],
    ),
    "inherited method removed": (
        "class B:\n    def m(self) -> None: ...\nclass K(B): ...",
        "class B: ...\nclass K(B): ...",
        [
            ("tiny.B.m", "function removed", BREAKING),
            ("tiny.K.m", "function removed", BREAKING),
        ],
    ),
    "export removed": (
        "def f() -> None: ...\ndef g() -> None: ...",
        "def f() -> None: ...\ndef _g() -> None: ...",
        [("tiny.g", "function removed", BREAKING)],
    ),
    "function became a class": (
        "def f() -> None: ...",
        "class f: ...",
        [("tiny.f", "changed from function to class", BREAKING)],
    ),
}


def test_unannotated_public_attributes_are_refused(tmp_path: Path) -> None:
    """Each public attribute recorded by name only is named once; others pass."""
    source = """
        class _Base:
            def __init__(self) -> None:
                self.inherited = 1


        class K(_Base):
            constant = 1
            typed: int = 2

            def __init__(self) -> None:
                super().__init__()
                self.bare = 3
                self.annotated: int = 4
                self._private = 5

            @property
            def untyped(self):
                return 6

            @property
            def computed(self) -> int:
                return 7


        class L(K): ...


        def f() -> None: ...
        """

    with pytest.raises(public_api.PublicAPIError) as caught:
        tiny_api(tmp_path, with_all(textwrap.dedent(source)))

    lines = str(caught.value).splitlines()
    assert lines[0].startswith("3 public attribute(s) of exported classes have")
    assert [line.split(" (")[0].strip() for line in lines[1:]] == [
        "tiny.K.bare",
        "tiny.K.inherited",
        "tiny.K.untyped",
    ]
    assert "tiny/__init__.py:" in lines[1]


def test_annotated_public_attributes_are_recorded(tmp_path: Path) -> None:
    """With every attribute annotated the package loads and records each type."""
    source = """
        class K:
            constant = 1

            def __init__(self) -> None:
                self.count: int | None = None
        """

    members = tiny_api(tmp_path, with_all(textwrap.dedent(source)))["names"]["K"][
        "members"
    ]

    assert members["count"]["annotation"] == "int | None"
    assert "value" not in members["count"]
    assert members["constant"] == {
        "kind": "attribute",
        "labels": ["class-attribute"],
        "annotation": None,
        "value": "1",
    }


def with_all(source: str) -> str:
    """Add an ``__all__`` naming every public top-level name of ``source``."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
    public = sorted(n for n in names if not n.startswith("_"))
    return f"__all__ = {public!r}\n{source}\n"


@pytest.mark.parametrize("rule", list(RULES))
def test_comparison_rule(rule: str, tmp_path: Path) -> None:
    """Each rule gives exactly its difference and verdict on a tiny pair."""
    old_source, new_source, expected = RULES[rule]

    old = tiny_api(tmp_path / "old", with_all(old_source))
    new = tiny_api(tmp_path / "new", with_all(new_source))

    assert public_api.compare(old, new) == [Difference(*e) for e in expected]
    assert public_api.compare(old, old) == []
