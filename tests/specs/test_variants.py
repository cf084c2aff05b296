"""Each spec variant's diff report names exactly its change, with the right verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from speckit import variants
from speckit.diff import diff_specs
from speckit.diff import main as diff_main

Row = tuple[str, str, str, bool]

CASES = [(name, kind) for name, v in variants.VARIANTS.items() for kind in v.kinds]
# The Targets fields each variant moves once the lock pins a spec it edited.
MOVES: dict[str, set[str]] = {
    "new-property": {"property_name"},
    "new-enum-value": {"enum_value"},
    "new-operation": {"new_operation_path", "new_operation_id"},
    "removed-operation": {"removed_operation"},
    "type-change": {"type_change"},
    "required-added": {"required_property"},
    "api-v2": {"api_prefix"},
}


def rows(old: dict[str, object], new: dict[str, object]) -> set[Row]:
    """The diff of two specs as comparable rows."""
    return {
        (c.section, c.where, c.what, c.breaking) for c in diff_specs(old, new).changes
    }


def type_label(prop: dict[str, Any]) -> str:
    """A property's type as the report writes it (``integer (int64)``)."""
    return prop["type"] + (f" ({prop['format']})" if prop.get("format") else "")


def expected_rows(name: str, pinned: dict[str, Any]) -> set[Row]:
    """What the report of pinned → variant must list, named by the spec's targets."""
    if name == "api-v2":
        return api_v2_expected(pinned)
    t = variants.targets_for(pinned)
    method, path = t.removed_operation
    schema, prop, new_type = t.type_change
    old = type_label(pinned["components"]["schemas"][schema]["properties"][prop])
    new = type_label({"type": new_type, "format": new_type == "integer" and "int64"})
    required_schema, required = t.required_property
    rows_by_name: dict[str, Row] = {
        "new-property": (
            "schemas",
            t.property_schema,
            f"property `{t.property_name}` added (optional, string)",
            False,
        ),
        "new-enum-value": (
            "schemas",
            t.enum_schema,
            f"enum value `{t.enum_value}` added",
            False,
        ),
        "new-operation": (
            "operations",
            f"GET {t.new_operation_path}",
            "operation added",
            False,
        ),
        "removed-operation": (
            "operations",
            f"{method.upper()} {path}",
            "operation removed",
            True,
        ),
        "type-change": (
            "schemas",
            f"{schema}.{prop}",
            f"type changed from `{old}` to `{new}`",
            True,
        ),
        "required-added": (
            "schemas",
            f"{required_schema}.{required}",
            "made required",
            True,
        ),
    }
    return {rows_by_name[name]}


def adopted(spec: dict[str, Any]) -> list[str]:
    """The variants the spec carries, read from its version (``1.151.1+api-v2``)."""
    return str(spec["info"]["version"]).split("+")[1:]


def api_v2_expected(pinned: dict[str, Any]) -> set[Row]:
    """What the /api/v2/ variant must report, worked out from the pinned Access spec."""
    new_prefix = variants.targets_for(pinned).api_prefix
    old_prefix = f"/api/v{int(new_prefix.removeprefix('/api/v')) - 1}"
    old_token = (
        "/oauth/token" if old_prefix == "/api/v1" else old_prefix + "/oauth/token"
    )
    expected: set[Row] = set()
    for path, item in pinned["paths"].items():
        if path == old_token:
            moved = new_prefix + "/oauth/token"
        elif path.startswith(old_prefix + "/users"):
            moved = new_prefix + path[len(old_prefix) :]
        else:
            continue
        for method, op in item.items():
            what = f"moved to `{method.upper()} {moved}` (operationId `{op['operationId']}`)"
            expected.add(("operations", f"{method.upper()} {path}", what, True))
    for flow in ("clientCredentials", "password"):
        what = (
            f"`{flow}` tokenUrl changed from `{old_token}` "
            f"to `{new_prefix}/oauth/token`"
        )
        expected.add(("security", "securitySchemes.finapi_auth", what, True))
    return expected


@pytest.mark.parametrize(("name", "kind"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_variant_diff_lists_exactly_its_change(name: str, kind: str) -> None:
    """The report of pinned → variant holds the variant's change and nothing else."""
    pinned = variants.pinned_spec(kind)
    variant = variants.VARIANTS[name].make(pinned)

    found = rows(pinned, variant)

    assert found == expected_rows(name, pinned)


@pytest.mark.parametrize("kind", ["access", "webform"])
def test_targets_are_the_defaults_until_a_variant_is_adopted(kind: str) -> None:
    """On the upstream spec the targets are TARGETS; an adopted variant moves its own."""
    pinned = variants.pinned_spec(kind)
    default = variants.TARGETS[kind]

    targets = variants.targets_for(pinned)

    moved = {
        f.name
        for f in attrs.fields(variants.Targets)
        if getattr(targets, f.name) != getattr(default, f.name)
    }
    assert moved == {field for name in adopted(pinned) for field in MOVES[name]}


@pytest.mark.parametrize(("name", "kind"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_a_variant_applies_again_to_its_own_output(name: str, kind: str) -> None:
    """Applied to a spec that carries it already, a variant makes one change more.

    This is the state after ``speckit update`` adopted the variant: the lock
    pins the edited spec and the tests derive their variants from it.
    """
    once = variants.VARIANTS[name].of(kind)
    twice = variants.VARIANTS[name].make(once)

    found = rows(once, twice)

    assert found == expected_rows(name, once)
    assert len(found) == len(expected_rows(name, variants.pinned_spec(kind)))
    assert found != expected_rows(name, variants.pinned_spec(kind))
    assert adopted(twice)[-2:] == [name, name]


def test_api_v2_moves_twelve_operations_and_two_token_urls() -> None:
    """The /api/v2/ variant moves the token endpoint and all nine user operations."""
    expected = api_v2_expected(variants.pinned_spec("access"))

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

    prefix = variants.targets_for(pinned).api_prefix
    assert ids(moved) == ids(pinned)
    assert prefix + "/oauth/token" in moved["paths"]
    assert prefix + "/users/{userId}" in moved["paths"]
    flows = moved["components"]["securitySchemes"]["finapi_auth"]["flows"]
    assert {f["tokenUrl"] for f in flows.values()} == {prefix + "/oauth/token"}
    assert moved["info"]["version"] == pinned["info"]["version"] + "+api-v2"


@pytest.mark.parametrize(
    ("token", "users", "moved"),
    [
        ("/oauth/token", "/api/v1", "/api/v2"),
        ("/api/v2/oauth/token", "/api/v2", "/api/v3"),
    ],
)
def test_api_v2_moves_to_the_next_version_when_already_there(
    token: str, users: str, moved: str
) -> None:
    """A spec already under /api/v2/ moves on to /api/v3/, paths and tokenUrl alike."""

    def op(operation_id: str) -> dict[str, Any]:
        return {
            "operationId": operation_id,
            "responses": {"200": {"description": "ok"}},
        }

    spec: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": "finAPI Access", "version": "1"},
        "paths": {
            token: {"post": op("getToken")},
            "/oauth/revoke": {"post": op("revokeToken")},
            f"{users}/users": {"get": op("getAuthorizedUser")},
            f"{users}/users/{{userId}}": {"delete": op("deleteUnverifiedUser")},
            "/api/v1/accounts": {"get": op("getAndSearchAllAccounts")},
        },
        "components": {
            "securitySchemes": {
                "finapi_auth": {
                    "type": "oauth2",
                    "flows": {"password": {"tokenUrl": token, "scopes": {}}},
                }
            }
        },
    }

    result = variants.api_v2(spec)

    assert variants.targets_for(spec).api_prefix == moved
    assert sorted(result["paths"]) == sorted(
        [
            f"{moved}/oauth/token",
            "/oauth/revoke",
            f"{moved}/users",
            f"{moved}/users/{{userId}}",
            "/api/v1/accounts",
        ]
    )
    flows = result["components"]["securitySchemes"]["finapi_auth"]["flows"]
    assert flows["password"]["tokenUrl"] == f"{moved}/oauth/token"


def test_api_v2_on_web_form_moves_its_absolute_token_url() -> None:
    """Web Form 2.0's tokenUrl points at Access; the variant moves it the same way."""
    pinned = variants.pinned_spec("webform")

    prefix = variants.targets_for(pinned).api_prefix

    (row,) = rows(pinned, variants.api_v2(pinned))

    assert row[2].endswith(f"to `https://sandbox.finapi.io{prefix}/oauth/token`")
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
    info = variants.pinned_spec("webform")["info"]
    old = variants.write_variant(variants.pinned_spec("webform"), tmp_path / "old")
    new = variants.write_variant(
        variants.VARIANTS[name].of("webform"), tmp_path / "new"
    )
    report = tmp_path / "report.md"

    code = diff_main([str(old), str(new), "--output", str(report), *flag])

    out = capsys.readouterr().out
    assert code == status
    assert out == report.read_text(encoding="utf-8")
    title = (
        f"# API changes: {info['title']} {info['version']} → {info['version']}+{name}\n"
    )
    assert out.startswith(title)


def test_diff_command_accepts_the_pinned_spec_by_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``access`` stands for the spec the lock pins."""
    pinned = variants.pinned_spec("access")
    schema, prop, _ = variants.targets_for(pinned).type_change
    new = variants.write_variant(variants.property_type_change(pinned), tmp_path)

    code = diff_main(["access", str(new), "--fail-on-breaking"])

    assert code == 1
    assert f"`{schema}.{prop}`" in capsys.readouterr().out


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
