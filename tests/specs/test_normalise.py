"""Each normalisation rule on a tiny spec fragment, then all rules end to end."""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from speckit import paths
from speckit.normalise import (
    RULES,
    disambiguate_inline_models,
    dump_json,
    load_spec,
    normalise,
    nullable_allof_ref,
    nullable_component_refs,
    nullable_inline_enum,
    optional_nullable_in_errors,
    use_openapi_31,
)

REF = "#/components/schemas/"


def _spec(
    schemas: dict[str, Any], paths_: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "tiny", "version": "1"},
        "paths": paths_ or {},
        "components": {"schemas": schemas},
    }


def test_use_openapi_31_bumps_once() -> None:
    """The version moves to 3.1.0 and a second run changes nothing."""
    spec = _spec({})

    assert use_openapi_31(spec) == 1
    assert spec["openapi"] == "3.1.0"
    assert use_openapi_31(spec) == 0


def test_error_bodies_may_leave_out_nullable_fields() -> None:
    """ErrorDetails' required-but-nullable fields turn optional; success bodies keep theirs."""

    def body(name: str) -> dict[str, Any]:
        return {"content": {"application/json": {"schema": {"$ref": REF + name}}}}

    spec = _spec(
        {
            "ErrorMessage": {
                "type": "object",
                "required": ["errors", "bank"],
                "properties": {
                    "errors": {
                        "type": "array",
                        "items": {"$ref": REF + "ErrorDetails"},
                    },
                    "bank": {"type": "string", "nullable": True},
                },
            },
            "ErrorDetails": {
                "type": "object",
                "required": ["code", "multiStepAuthentication"],
                "properties": {
                    "code": {"type": "string"},
                    "multiStepAuthentication": {
                        "allOf": [{"$ref": REF + "Challenge"}],
                        "nullable": True,
                    },
                },
            },
            "Challenge": {"type": "object"},
            "User": {
                "type": "object",
                "required": ["email"],
                "properties": {"email": {"type": "string", "nullable": True}},
            },
        },
        {
            "/u": {
                "get": {"responses": {"200": body("User"), "400": body("ErrorMessage")}}
            }
        },
    )

    assert optional_nullable_in_errors(spec) == 2
    schemas = spec["components"]["schemas"]
    assert schemas["ErrorMessage"]["required"] == ["errors"]
    assert schemas["ErrorDetails"]["required"] == ["code"]
    assert schemas["User"]["required"] == ["email"]


def test_nullable_allof_ref_becomes_anyof_null() -> None:
    """`allOf: [$ref] + nullable` (Transaction.category) turns into a union with null."""
    spec = _spec(
        {
            "Category": {"type": "object", "properties": {"id": {"type": "integer"}}},
            "Transaction": {
                "type": "object",
                "properties": {
                    "category": {
                        "allOf": [{"$ref": REF + "Category"}],
                        "nullable": True,
                        "type": "object",
                        "description": "kept",
                    },
                    "plain": {"allOf": [{"$ref": REF + "Category"}]},
                },
            },
        }
    )

    assert nullable_allof_ref(spec) == 1
    props = spec["components"]["schemas"]["Transaction"]["properties"]
    assert props["category"] == {
        "anyOf": [{"$ref": REF + "Category"}, {"type": "null"}],
        "description": "kept",
    }
    assert props["plain"] == {"allOf": [{"$ref": REF + "Category"}]}


def test_nullable_inline_enum_keeps_the_class_name() -> None:
    """A nullable inline enum (Payload.errorCode) becomes `anyOf: [enum, null]`, titled."""
    spec = _spec(
        {
            "Payload": {
                "type": "object",
                "properties": {
                    "errorCode": {
                        "type": "string",
                        "enum": ["A", "B", None],
                        "nullable": True,
                        "description": "why",
                    },
                    "kind": {"type": "string", "enum": ["X"]},
                },
            }
        }
    )

    assert nullable_inline_enum(spec) == 1
    props = spec["components"]["schemas"]["Payload"]["properties"]
    assert props["errorCode"] == {
        "anyOf": [
            {"type": "string", "enum": ["A", "B"], "title": "errorCode"},
            {"type": "null"},
        ],
        "description": "why",
    }
    assert props["kind"] == {"type": "string", "enum": ["X"]}


def test_nullable_component_refs_moves_the_flag_to_references() -> None:
    """A nullable component (CountryCode) is nullable where properties and items use it."""
    spec = _spec(
        {
            "CountryCode": {"type": "string", "enum": ["DE"], "nullable": True},
            "Address": {
                "type": "object",
                "properties": {
                    "country": {"$ref": REF + "CountryCode"},
                    "others": {"type": "array", "items": {"$ref": REF + "CountryCode"}},
                },
            },
        },
        {
            "/x": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": REF + "CountryCode"}
                                }
                            },
                        }
                    }
                }
            }
        },
    )

    assert nullable_component_refs(spec) == 2
    schemas = spec["components"]["schemas"]
    assert "nullable" not in schemas["CountryCode"]
    union = {"anyOf": [{"$ref": REF + "CountryCode"}, {"type": "null"}]}
    assert schemas["Address"]["properties"]["country"] == union
    assert schemas["Address"]["properties"]["others"]["items"] == union
    body = spec["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"]
    assert body["schema"] == {"$ref": REF + "CountryCode"}


def test_disambiguate_renames_only_a_real_clash() -> None:
    """NotificationRule.params clashes with NotificationRuleParams; a $ref does not."""
    spec = _spec(
        {
            "NotificationRuleParams": {
                "type": "object",
                "properties": {"a": {"type": "string"}},
            },
            "NotificationRule": {
                "type": "object",
                "properties": {
                    "params": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                    }
                },
            },
            "Account": {
                "type": "object",
                "properties": {
                    "interface": {
                        "allOf": [{"$ref": REF + "AccountInterface"}],
                        "type": "object",
                    }
                },
            },
            "AccountInterface": {"type": "object"},
        }
    )

    assert disambiguate_inline_models(spec) == 1
    params = spec["components"]["schemas"]["NotificationRule"]["properties"]["params"]
    assert params["title"] == "paramsMap"
    assert (
        "title"
        not in spec["components"]["schemas"]["Account"]["properties"]["interface"]
    )


def test_normalise_leaves_the_raw_spec_alone() -> None:
    """`normalise` works on a copy and reports a count per rule."""
    raw = _spec({"C": {"type": "string", "enum": ["A"], "nullable": True}})
    before = dump_json(raw)

    _, counts = normalise(raw)

    assert dump_json(raw) == before
    assert list(counts) == [rule.__name__ for rule in RULES]


def test_pinned_specs_need_every_rule() -> None:
    """Every rule changes something in at least one pinned spec (none is dead code)."""
    from speckit.lock import load_lock

    totals = dict.fromkeys((rule.__name__ for rule in RULES), 0)
    for entry in load_lock().specs.values():
        _, counts = normalise(load_spec(paths.raw_path(entry.file)))
        for name, count in counts.items():
            totals[name] += count

    assert all(totals.values()), totals


def test_load_spec_rejects_non_openapi(tmp_path: Path) -> None:
    """A file that is not an OpenAPI document is named in the error."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: a mapping\n")
    with pytest.raises(ValueError, match=r"bad\.yaml is not an OpenAPI document"):
        load_spec(bad)
    bad.write_text("key: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_spec(bad)


# End to end: normalise a tiny spec, generate it with the project's templates and
# read what finAPI sends. This is the behaviour the rules exist for.

TINY = """
openapi: 3.0.1
info: {title: tiny, version: "1"}
paths:
  /tx:
    get:
      operationId: getTx
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Transaction'}
components:
  schemas:
    Category:
      type: object
      required: [id]
      properties:
        id: {type: integer}
    Country:
      type: string
      enum: [DE, AT]
      nullable: true
    Status:
      type: string
      enum: [NEW, DONE]
    NotificationRuleParams:
      type: object
      properties:
        triggerEvent: {type: string}
    NotificationRule:
      type: object
      properties:
        params:
          type: object
          additionalProperties: {type: string}
    Transaction:
      type: object
      required: [category, errorCode, country, status]
      properties:
        category:
          allOf: [{$ref: '#/components/schemas/Category'}]
          nullable: true
          type: object
        errorCode:
          type: string
          enum: [E1, E2]
          nullable: true
        country: {$ref: '#/components/schemas/Country'}
        status: {$ref: '#/components/schemas/Status'}
        createdAt: {type: string, format: date-time}
"""


@pytest.fixture(scope="module")
def tiny_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The tiny spec, normalised and generated with the project's templates."""
    root = tmp_path_factory.mktemp("tiny")
    raw = root / "tiny.yaml"
    raw.write_text(TINY)
    spec, _ = normalise(load_spec(raw))
    normalised = root / "tiny.json"
    normalised.write_text(dump_json(spec))
    out = root / "tiny_client"
    cmd = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(normalised), "--meta", "none", "--output-path", str(out),
        "--custom-template-path", str(paths.SPECS_DIR / "templates"),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stdout + proc.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("tiny_client.models")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("tiny_client")]:
            del sys.modules[name]


def test_generated_model_reads_what_finapi_sends(tiny_package: Any) -> None:
    """Nulls in nullable refs, enums and components, an unknown enum value, +0000 dates."""
    payload = {
        "category": None,
        "errorCode": None,
        "country": None,
        "status": "ARCHIVED",
        "createdAt": "2022-06-24T10:00:00.000+0000",
    }

    tx = tiny_package.Transaction.from_dict(payload)

    assert tx.category is None
    assert tx.error_code is None
    assert tx.country is None
    assert tx.status.value == "ARCHIVED"
    assert tx.status.is_known is False
    assert tiny_package.Status("NEW").is_known is True
    assert tx.created_at == datetime.datetime(
        2022, 6, 24, 10, tzinfo=datetime.timezone.utc
    )
    assert tx.created_at.utcoffset() == datetime.timedelta(0)
    assert tx.to_dict()["status"] == "ARCHIVED"


def test_generated_model_still_reads_values(tiny_package: Any) -> None:
    """The same fields carry real values when finAPI sends them."""
    tx = tiny_package.Transaction.from_dict(
        {"category": {"id": 7}, "errorCode": "E2", "country": "AT", "status": "DONE"}
    )

    assert tx.category.id == 7
    assert tx.error_code.value == "E2"
    assert tx.country == tiny_package.Country.AT
    assert tx.status is tiny_package.Status.DONE


def test_clashing_inline_model_is_generated(tiny_package: Any) -> None:
    """Both NotificationRuleParams and NotificationRule exist after the rename."""
    rule = tiny_package.NotificationRule.from_dict({"params": {"accountIds": "1,2"}})

    assert rule.params.additional_properties == {"accountIds": "1,2"}
    assert hasattr(tiny_package, "NotificationRuleParams")
