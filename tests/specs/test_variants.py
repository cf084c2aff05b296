"""Each spec variant's diff report names exactly its change, with the right verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from speckit import variants
from speckit.diff import diff_specs
from speckit.diff import main as diff_main

Row = tuple[str, str, str, bool]

EXPECTED: dict[tuple[str, str], set[Row]] = {
    ("new-property", "access"): {
        ("schemas", "User", "property `loyaltyTier` added (optional, string)", False)
    },
    ("new-property", "webform"): {
        ("schemas", "WebForm", "property `channel` added (optional, string)", False)
    },
    ("new-enum-value", "access"): {
        ("schemas", "AccountType", "enum value `CryptoWallet` added", False)
    },
    ("new-enum-value", "webform"): {
        ("schemas", "WebFormStatus", "enum value `PENDING_APPROVAL` added", False)
    },
    ("new-operation", "access"): {
        ("operations", "GET /api/v1/insights", "operation added", False)
    },
    ("new-operation", "webform"): {
        ("operations", "GET /api/webForms/{id}/events", "operation added", False)
    },
    ("removed-operation", "access"): {
        (
            "operations",
            "POST /api/v1/tests/checkCategorization",
            "operation removed",
            True,
        )
    },
    ("removed-operation", "webform"): {
        ("operations", "DELETE /api/profiles/{id}", "operation removed", True)
    },
    ("type-change", "access"): {
        (
            "schemas",
            "User.phone",
            "type changed from `string` to `integer (int64)`",
            True,
        )
    },
    ("type-change", "webform"): {
        (
            "schemas",
            "Profile.label",
            "type changed from `string` to `integer (int64)`",
            True,
        )
    },
    ("required-added", "access"): {
        ("schemas", "UserCreateParams.email", "made required", True)
    },
    ("required-added", "webform"): {
        (
            "schemas",
            "BankConnectionImportDetails.bankConnectionName",
            "made required",
            True,
        )
    },
}

CASES = [(name, kind) for name, v in variants.VARIANTS.items() for kind in v.kinds]


def rows(old: dict[str, object], new: dict[str, object]) -> set[Row]:
    """The diff of two specs as comparable rows."""
    return {
        (c.section, c.where, c.what, c.breaking) for c in diff_specs(old, new).changes
    }


def api_v2_expected() -> set[Row]:
    """What the /api/v2/ variant must report, worked out from the pinned Access spec."""
    pinned = variants.pinned_spec("access")
    expected: set[Row] = set()
    for path, item in pinned["paths"].items():
        if path != "/oauth/token" and not path.startswith("/api/v1/users"):
            continue
        moved = (
            "/api/v2/oauth/token" if path == "/oauth/token" else "/api/v2" + path[7:]
        )
        for method, op in item.items():
            what = f"moved to `{method.upper()} {moved}` (operationId `{op['operationId']}`)"
            expected.add(("operations", f"{method.upper()} {path}", what, True))
    for flow in ("clientCredentials", "password"):
        what = f"`{flow}` tokenUrl changed from `/oauth/token` to `/api/v2/oauth/token`"
        expected.add(("security", "securitySchemes.finapi_auth", what, True))
    return expected


@pytest.mark.parametrize(("name", "kind"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_variant_diff_lists_exactly_its_change(name: str, kind: str) -> None:
    """The report of pinned → variant holds the variant's change and nothing else."""
    pinned = variants.pinned_spec(kind)
    variant = variants.VARIANTS[name].make(pinned)

    found = rows(pinned, variant)

    expected = api_v2_expected() if name == "api-v2" else EXPECTED[(name, kind)]
    assert found == expected


def test_api_v2_moves_twelve_operations_and_two_token_urls() -> None:
    """The /api/v2/ variant moves the token endpoint and all nine user operations."""
    expected = api_v2_expected()

    assert len(expected) == 12
    assert {r[0] for r in expected} == {"operations", "security"}


def test_variants_leave_the_input_alone() -> None:
    """A variant is an edited copy; the spec passed in is unchanged."""
    pinned = variants.pinned_spec("access")
    before = repr(pinned)

    for variant in variants.VARIANTS.values():
        variant.make(pinned)

    assert repr(pinned) == before


def test_api_v2_keeps_operation_ids_and_moves_the_token_url() -> None:
    """Moved operations keep their ids, so generated function names stay."""
    pinned = variants.pinned_spec("access")
    moved = variants.api_v2(pinned)

    def ids(spec: dict[str, object]) -> set[str]:
        return {
            op["operationId"] for item in spec["paths"].values() for op in item.values()
        }

    assert ids(moved) == ids(pinned)
    assert "/api/v2/oauth/token" in moved["paths"]
    assert "/api/v2/users/{userId}" in moved["paths"]
    flows = moved["components"]["securitySchemes"]["finapi_auth"]["flows"]
    assert {f["tokenUrl"] for f in flows.values()} == {"/api/v2/oauth/token"}
    assert moved["info"]["version"] == pinned["info"]["version"] + "+api-v2"


def test_api_v2_on_web_form_moves_its_absolute_token_url() -> None:
    """Web Form 2.0's tokenUrl points at Access; the variant moves it the same way."""
    pinned = variants.pinned_spec("webform")

    (row,) = rows(pinned, variants.api_v2(pinned))

    assert row[2].endswith("to `https://sandbox.finapi.io/api/v2/oauth/token`")
    assert row[3] is True


def test_enum_value_call_out_reaches_the_report() -> None:
    """The report explains how an old client reads a new enum value."""
    pinned = variants.pinned_spec("webform")

    text = diff_specs(pinned, variants.new_enum_value(pinned)).to_markdown()

    assert "**1 change: 0 breaking, 1 non-breaking.**" in text
    assert "`is_known` is False" in text


@pytest.mark.parametrize(
    ("name", "flag", "status"),
    [
        ("new-property", [], 0),
        ("new-property", ["--fail-on-breaking"], 0),
        ("removed-operation", [], 0),
        ("removed-operation", ["--fail-on-breaking"], 1),
    ],
)
def test_fail_on_breaking_exit_status(
    name: str,
    flag: list[str],
    status: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--fail-on-breaking`` turns a breaking report into exit status 1."""
    old = variants.write_variant(variants.pinned_spec("webform"), tmp_path / "old")
    new = variants.write_variant(
        variants.VARIANTS[name].of("webform"), tmp_path / "new"
    )
    report = tmp_path / "report.md"

    code = diff_main([str(old), str(new), "--output", str(report), *flag])

    out = capsys.readouterr().out
    assert code == status
    assert out == report.read_text(encoding="utf-8")
    assert out.startswith("# API changes: finAPI Web Form 2.0 2.430.0 →")


def test_diff_command_accepts_the_pinned_spec_by_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``access`` stands for the spec the lock pins."""
    new = variants.write_variant(
        variants.VARIANTS["type-change"].of("access"), tmp_path
    )

    code = diff_main(["access", str(new), "--fail-on-breaking"])

    assert code == 1
    assert "`User.phone`" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such spec file"),
        ("just: text\n", "not an OpenAPI document"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI document"),
        ('{"openapi": "2.0", "paths": {}}', "only OpenAPI 3.x"),
        ("key: [unclosed\n", "not valid YAML or JSON"),
    ],
)
def test_diff_command_rejects_bad_files(
    content: str | None,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A missing or malformed file gives exit status 2 and a one-line reason."""
    bad = tmp_path / "new.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")

    code = diff_main(["webform", str(bad)])

    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert str(bad) in err
