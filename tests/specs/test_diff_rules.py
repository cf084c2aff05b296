"""Each comparison rule of `speckit.diff`, on a tiny pair of specs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from speckit.diff import Change, SpecError, diff_specs

Spec = dict[str, Any]


def tiny() -> Spec:
    """A small OpenAPI 3.0 document: one read, one write, a token flow, a server."""
    return {
        "openapi": "3.0.1",
        "info": {"title": "Tiny", "version": "1"},
        "servers": [{"url": "https://api.example.test"}],
        "paths": {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "parameters": [
                        {"name": "page", "in": "query", "schema": {"type": "integer"}},
                        {"$ref": "#/components/parameters/RequestId"},
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            },
                        },
                        "404": {"$ref": "#/components/responses/NotFound"},
                    },
                },
                "post": {
                    "operationId": "createThing",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ThingInput"}
                            }
                        },
                    },
                    "responses": {"201": {"description": "created"}},
                },
            },
        },
        "components": {
            "parameters": {
                "RequestId": {
                    "name": "X-Request-Id",
                    "in": "header",
                    "schema": {"type": "string"},
                }
            },
            "responses": {"NotFound": {"description": "not found"}},
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "integer", "format": "int64"},
                        "name": {"type": "string"},
                        "status": {"$ref": "#/components/schemas/Status"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "owner": {
                            "allOf": [{"$ref": "#/components/schemas/Owner"}],
                            "nullable": True,
                        },
                    },
                },
                "ThingInput": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string", "enum": ["A", "B"]},
                    },
                },
                "Status": {"type": "string", "enum": ["NEW", "DONE"]},
                "Owner": {
                    "type": "object",
                    "properties": {"email": {"type": "string"}},
                },
            },
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}
                    },
                }
            },
        },
    }


def changes_after(edit: Callable[[Spec], object]) -> list[Change]:
    """Diff the tiny spec against a copy changed by ``edit``."""
    new = copy.deepcopy(tiny())
    edit(new)
    return list(diff_specs(tiny(), new).changes)


def only(edit: Callable[[Spec], object]) -> Change:
    """The single change that ``edit`` makes."""
    found = changes_after(edit)
    assert len(found) == 1, found
    return found[0]


def schema(spec: Spec, name: str) -> dict[str, Any]:
    """A component schema of ``spec``."""
    return spec["components"]["schemas"][name]


def test_identical_specs_have_no_change() -> None:
    """A spec compared with itself reports nothing and says so."""
    report = diff_specs(tiny(), tiny())

    assert report.changes == ()
    assert "No change to the API surface." in report.to_markdown()


# Operations


def test_operation_added_is_not_breaking() -> None:
    """A new operation is listed and not breaking."""
    change = only(
        lambda s: s["paths"]["/things"].update(
            {"delete": {"responses": {"204": {"description": "gone"}}}}
        )
    )

    assert (change.section, change.where, change.what) == (
        "operations",
        "DELETE /things",
        "operation added",
    )
    assert not change.breaking


def test_operation_removed_is_breaking() -> None:
    """A removed operation is breaking."""
    change = only(lambda s: s["paths"]["/things"].pop("post"))

    assert (change.where, change.what, change.breaking) == (
        "POST /things",
        "operation removed",
        True,
    )


def test_operation_moved_keeps_its_id_and_is_breaking() -> None:
    """Same operationId under a new path: one 'moved' change, breaking."""

    def move(s: Spec) -> None:
        s["paths"]["/v2/things"] = s["paths"].pop("/things")

    found = changes_after(move)

    assert [(c.where, c.breaking) for c in found] == [
        ("GET /things", True),
        ("POST /things", True),
    ]
    assert found[0].what == "moved to `GET /v2/things` (operationId `listThings`)"


def test_operation_deprecated_is_not_breaking() -> None:
    """Deprecating an operation is reported, not breaking."""
    change = only(lambda s: s["paths"]["/things"]["get"].update({"deprecated": True}))

    assert (change.what, change.breaking) == ("deprecated", False)


# Parameters


def add_parameter(required: bool) -> Callable[[Spec], None]:
    """An edit adding a query parameter ``q``."""

    def edit(s: Spec) -> None:
        s["paths"]["/things"]["get"]["parameters"].append(
            {
                "name": "q",
                "in": "query",
                "required": required,
                "schema": {"type": "string"},
            }
        )

    return edit


@pytest.mark.parametrize(("required", "breaking"), [(True, True), (False, False)])
def test_parameter_added(required: bool, breaking: bool) -> None:
    """A new parameter breaks old clients only when required."""
    change = only(add_parameter(required))

    kind = "required" if required else "optional"
    assert change.what == f"query parameter `q` added ({kind})"
    assert change.breaking is breaking


def test_parameter_removed_is_breaking() -> None:
    """A removed parameter, here one behind a $ref, is breaking."""
    change = only(lambda s: s["paths"]["/things"]["get"]["parameters"].pop(1))

    assert (change.what, change.breaking) == (
        "header parameter `X-Request-Id` removed",
        True,
    )


@pytest.mark.parametrize(
    ("before", "after", "breaking"), [(False, True, True), (True, False, False)]
)
def test_parameter_required_changed(before: bool, after: bool, breaking: bool) -> None:
    """Making a parameter required breaks; making it optional does not."""
    old, new = tiny(), tiny()
    old["paths"]["/things"]["get"]["parameters"][0]["required"] = before
    new["paths"]["/things"]["get"]["parameters"][0]["required"] = after

    (change,) = diff_specs(old, new).changes

    assert (
        change.what
        == f"query parameter `page` made {'required' if after else 'optional'}"
    )
    assert change.breaking is breaking


def test_parameter_type_changed_is_breaking() -> None:
    """A parameter's schema is compared too."""
    change = only(
        lambda s: s["paths"]["/things"]["get"]["parameters"][0].update(
            {"schema": {"type": "string"}}
        )
    )

    assert change.where == "GET /things query parameter page"
    assert change.what == "type changed from `integer` to `string`"
    assert change.breaking


def test_header_parameter_names_compare_case_insensitively() -> None:
    """HTTP header names differ only in case: no change."""

    def recase(s: Spec) -> None:
        s["components"]["parameters"]["RequestId"]["name"] = "x-request-id"

    assert changes_after(recase) == []


# Request bodies and responses


def test_request_body_removed_is_breaking() -> None:
    """A removed request body is breaking."""
    change = only(lambda s: s["paths"]["/things"]["post"].pop("requestBody"))

    assert (change.what, change.breaking) == ("request body removed", True)


@pytest.mark.parametrize(("required", "breaking"), [(True, True), (False, False)])
def test_request_body_added(required: bool, breaking: bool) -> None:
    """A new request body breaks only when required."""
    body = {"required": required, "content": {"application/json": {"schema": {}}}}
    change = only(lambda s: s["paths"]["/things"]["get"].update({"requestBody": body}))

    assert change.breaking is breaking


def test_request_body_made_optional_is_not_breaking() -> None:
    """An optional body where a required one was is fine for old clients."""
    change = only(
        lambda s: s["paths"]["/things"]["post"]["requestBody"].update(
            {"required": False}
        )
    )

    assert (change.what, change.breaking) == ("request body made optional", False)


def test_media_type_removed_is_breaking_and_added_is_not() -> None:
    """Swapping JSON for XML: the removal breaks, the addition does not."""

    def swap(s: Spec) -> None:
        content = s["paths"]["/things"]["post"]["requestBody"]["content"]
        content["application/xml"] = content.pop("application/json")

    found = {c.what: c.breaking for c in changes_after(swap)}

    assert found == {
        "media type `application/json` removed": True,
        "media type `application/xml` added": False,
    }


def test_response_status_rules() -> None:
    """Removed 2xx breaks, removed error status does not, a new status does not."""

    def edit(s: Spec) -> None:
        responses = s["paths"]["/things"]["get"]["responses"]
        responses.pop("404")
        responses["429"] = {"description": "slow down"}
        s["paths"]["/things"]["post"]["responses"] = {"202": {"description": "later"}}

    found = {(c.where, c.what): c.breaking for c in changes_after(edit)}

    assert found == {
        ("GET /things", "response 404 removed"): False,
        ("GET /things", "response 429 added"): False,
        ("POST /things", "response 201 removed"): True,
        ("POST /things", "response 202 added"): False,
    }


def test_response_schema_reference_changed_is_breaking() -> None:
    """A response that points at another schema is a type change."""

    def edit(s: Spec) -> None:
        content = s["paths"]["/things"]["get"]["responses"]["200"]["content"]
        content["application/json"]["schema"] = {"$ref": "#/components/schemas/Owner"}

    change = only(edit)

    assert change.where == "GET /things response 200"
    assert change.what == "type changed from `Thing` to `Owner`"
    assert change.breaking


# Properties, required-ness, nullability, types, formats


def test_optional_response_property_added_is_not_breaking() -> None:
    """The common case of a finAPI release: a new optional property in a response."""
    change = only(
        lambda s: schema(s, "Thing")["properties"].update(
            {"colour": {"type": "string"}}
        )
    )

    assert (change.section, change.where, change.what, change.breaking) == (
        "schemas",
        "Thing",
        "property `colour` added (optional, string)",
        False,
    )


def test_required_request_property_added_is_breaking() -> None:
    """A new required property in a request body breaks old clients."""

    def edit(s: Spec) -> None:
        schema(s, "ThingInput")["properties"]["size"] = {"type": "integer"}
        schema(s, "ThingInput")["required"] = ["size"]

    change = only(edit)

    assert change.what == "property `size` added (required, integer)"
    assert change.breaking


def test_optional_request_property_added_is_not_breaking() -> None:
    """Old clients simply do not send a new optional request property."""
    change = only(
        lambda s: schema(s, "ThingInput")["properties"].update(
            {"note": {"type": "string"}}
        )
    )

    assert (change.where, change.breaking) == ("ThingInput", False)


def test_required_response_property_added_is_not_breaking() -> None:
    """A new required property in a response is read tolerantly."""

    def edit(s: Spec) -> None:
        schema(s, "Thing")["properties"]["size"] = {"type": "integer"}
        schema(s, "Thing")["required"].append("size")

    assert only(edit).breaking is False


@pytest.mark.parametrize("name", ["Thing", "ThingInput"])
def test_property_removed_is_breaking_both_ways(name: str) -> None:
    """A removed property breaks readers and writers alike."""
    change = only(lambda s: schema(s, name)["properties"].pop("name"))

    assert (change.where, change.what, change.breaking) == (
        name,
        "property `name` removed",
        True,
    )


@pytest.mark.parametrize(
    ("name", "prop", "breaking"),
    [("ThingInput", "name", True), ("Thing", "name", False)],
)
def test_made_required(name: str, prop: str, breaking: bool) -> None:
    """Made required: breaking in a request, not in a response."""
    change = only(
        lambda s: schema(s, name).update(
            {"required": [*schema(s, name).get("required", []), prop]}
        )
    )

    assert (change.where, change.what, change.breaking) == (
        f"{name}.{prop}",
        "made required",
        breaking,
    )


def test_made_optional_in_a_response_is_breaking() -> None:
    """A response property that may now be missing breaks old models."""
    change = only(lambda s: schema(s, "Thing").update({"required": []}))

    assert (change.where, change.what, change.breaking) == (
        "Thing.id",
        "made optional",
        True,
    )


@pytest.mark.parametrize(("name", "breaking"), [("Thing", True), ("ThingInput", False)])
def test_made_nullable(name: str, breaking: bool) -> None:
    """Made nullable: breaking in a response (strict readers), not in a request."""
    change = only(
        lambda s: schema(s, name)["properties"]["name"].update({"nullable": True})
    )

    assert (change.where, change.what, change.breaking) == (
        f"{name}.name",
        "made nullable",
        breaking,
    )


def test_no_longer_nullable_in_a_response_is_not_breaking() -> None:
    """``allOf: [$ref] + nullable`` turned into a plain $ref: the owner is never null now."""
    change = only(
        lambda s: schema(s, "Thing")["properties"].update(
            {"owner": {"$ref": "#/components/schemas/Owner"}}
        )
    )

    assert (change.where, change.what, change.breaking) == (
        "Thing.owner",
        "no longer nullable",
        False,
    )


def test_openapi_31_null_union_reads_as_nullable() -> None:
    """``anyOf: [$ref, {type: null}]`` is the same as ``allOf + nullable``: no change."""

    def edit(s: Spec) -> None:
        s["openapi"] = "3.1.0"
        schema(s, "Thing")["properties"]["owner"] = {
            "anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]
        }

    assert changes_after(edit) == []


def test_type_change_is_breaking() -> None:
    """A property's type change is breaking."""
    change = only(
        lambda s: schema(s, "Thing")["properties"]["name"].update({"type": "integer"})
    )

    assert (change.where, change.what, change.breaking) == (
        "Thing.name",
        "type changed from `string` to `integer`",
        True,
    )


def test_format_change_is_breaking() -> None:
    """A property's format change is breaking."""
    change = only(
        lambda s: schema(s, "Thing")["properties"]["id"].update({"format": "int32"})
    )

    assert change.what == "format changed from `int64` to `int32`"
    assert change.breaking


def test_array_items_are_compared() -> None:
    """Changes inside array items are found and located with ``[]``."""
    change = only(
        lambda s: schema(s, "Thing")["properties"]["tags"].update(
            {"items": {"type": "integer"}}
        )
    )

    assert change.where == "Thing.tags[]"
    assert change.breaking


def test_inline_nested_objects_are_compared() -> None:
    """A property added inside an inline object is located by its dotted path."""

    def edit(s: Spec) -> None:
        schema(s, "Thing")["properties"]["meta"] = {"type": "object", "properties": {}}

    def edit_more(s: Spec) -> None:
        edit(s)
        schema(s, "Thing")["properties"]["meta"]["properties"]["seen"] = {
            "type": "boolean"
        }

    old, new = tiny(), tiny()
    edit(old)
    edit_more(new)
    (change,) = diff_specs(old, new).changes

    assert (change.where, change.what) == (
        "Thing.meta",
        "property `seen` added (optional, boolean)",
    )


def test_composition_member_count_change_is_breaking() -> None:
    """A oneOf that grows a member is breaking."""

    def edit(old_members: int) -> Spec:
        s = tiny()
        members = [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]
        schema(s, "Thing")["properties"]["value"] = {"oneOf": members[:old_members]}
        return s

    (change,) = diff_specs(edit(2), edit(3)).changes

    assert (change.where, change.what, change.breaking) == (
        "Thing.value",
        "oneOf changed from 2 to 3 members",
        True,
    )


# Enums


def test_enum_value_added_to_a_response_is_called_out() -> None:
    """Not breaking for tolerant clients, but the note says how they read it."""
    change = only(lambda s: schema(s, "Status")["enum"].append("ARCHIVED"))

    assert (change.where, change.what, change.breaking) == (
        "Status",
        "enum value `ARCHIVED` added",
        False,
    )
    assert "is_known" in change.note


def test_enum_value_added_to_a_request_is_not_breaking() -> None:
    """A request enum that grows: old clients never send the new value."""
    change = only(
        lambda s: schema(s, "ThingInput")["properties"]["kind"]["enum"].append("C")
    )

    assert (change.where, change.breaking, change.note) == (
        "ThingInput.kind",
        False,
        "",
    )


@pytest.mark.parametrize(
    ("name", "breaking"), [("ThingInput", True), ("Status", False)]
)
def test_enum_value_removed(name: str, breaking: bool) -> None:
    """A removed value breaks writers (they may send it), not readers."""

    def edit(s: Spec) -> None:
        target = schema(s, name)
        values = (
            target["enum"] if "enum" in target else target["properties"]["kind"]["enum"]
        )
        values.pop(0)

    change = only(edit)

    assert change.what.startswith("enum value")
    assert change.what.endswith("removed")
    assert change.breaking is breaking


def test_enum_constraint_added_to_a_request_is_breaking() -> None:
    """A free string that becomes an enum in a request may reject what old clients send."""
    change = only(
        lambda s: schema(s, "ThingInput")["properties"]["name"].update({"enum": ["x"]})
    )

    assert (change.what, change.breaking) == ("enum constraint added", True)


# Components, security, servers


def test_schema_added_and_removed() -> None:
    """Unused components: listed, not breaking, the removal noted."""

    def edit(s: Spec) -> None:
        s["components"]["schemas"]["Spare"] = {"type": "string"}

    old = tiny()
    edit(old)
    new = tiny()
    new["components"]["schemas"]["Other"] = {"type": "string"}
    found = {(c.where, c.what): c.breaking for c in diff_specs(old, new).changes}

    assert found == {
        ("Other", "schema added"): False,
        ("Spare", "schema removed"): False,
    }


def test_schema_used_only_by_a_callback_body_is_read_as_a_response() -> None:
    """A callback body is sent by the server: a property made nullable there breaks."""

    def with_callback(s: Spec) -> None:
        s["components"]["schemas"]["Event"] = {
            "type": "object",
            "properties": {"id": {"type": "string"}},
        }
        s["paths"]["/things"]["post"]["callbacks"] = {
            "done": {
                "{$request.body#/url}": {
                    "post": {
                        "requestBody": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Event"}
                                }
                            }
                        },
                        "responses": {"200": {"description": "ok"}},
                    }
                }
            }
        }

    old, new = tiny(), tiny()
    with_callback(old)
    with_callback(new)
    schema(new, "Event")["properties"]["id"]["nullable"] = True

    (change,) = diff_specs(old, new).changes

    assert (change.where, change.what, change.breaking) == (
        "Event.id",
        "made nullable",
        True,
    )


def test_token_url_moved_is_breaking() -> None:
    """The OAuth token endpoint moving is breaking and names both URLs."""

    def edit(s: Spec) -> None:
        s["components"]["securitySchemes"]["oauth"]["flows"]["clientCredentials"][
            "tokenUrl"
        ] = "/v2/token"

    change = only(edit)

    assert change.section == "security"
    assert (
        change.what
        == "`clientCredentials` tokenUrl changed from `/oauth/token` to `/v2/token`"
    )
    assert change.breaking


def test_oauth_flow_added_is_not_breaking_and_scheme_removed_is() -> None:
    """New flows are fine; a vanished scheme is not."""

    def add_flow(s: Spec) -> None:
        s["components"]["securitySchemes"]["oauth"]["flows"]["password"] = {
            "tokenUrl": "/oauth/token",
            "scopes": {},
        }

    assert only(add_flow).breaking is False
    assert only(lambda s: s["components"].pop("securitySchemes")).breaking is True


def test_server_url_change() -> None:
    """A removed server breaks, the new one does not."""
    change_set = {
        (c.what, c.breaking)
        for c in changes_after(
            lambda s: s.update({"servers": [{"url": "https://new.example.test"}]})
        )
    }

    assert change_set == {
        ("server `https://api.example.test` removed", True),
        ("server `https://new.example.test` added", False),
    }


# Report and bad input


def test_report_is_sorted_markdown_with_a_summary_line() -> None:
    """Breaking changes come first, each group sorted, with counts in the summary."""

    def edit(s: Spec) -> None:
        schema(s, "Thing")["properties"]["zeta"] = {"type": "string"}
        schema(s, "Thing")["properties"]["alpha"] = {"type": "string"}
        s["paths"]["/things"].pop("post")

    new = tiny()
    edit(new)
    text = diff_specs(tiny(), new).to_markdown()

    assert "**3 changes: 1 breaking, 2 non-breaking.**" in text
    assert text.index("## Breaking (1)") < text.index("## Non-breaking (2)")
    assert text.index("`alpha`") < text.index("`zeta`")
    assert diff_specs(tiny(), new).to_markdown() == text


def test_pipes_in_values_do_not_break_the_table() -> None:
    """A ``|`` inside a value is escaped in the Markdown table."""
    text = diff_specs(tiny(), _with_enum_value("A|B")).to_markdown()

    assert "`A\\|B`" in text


def _with_enum_value(value: str) -> Spec:
    s = tiny()
    schema(s, "Status")["enum"].append(value)
    return s


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.update({"openapi": "2.0"}), "only OpenAPI 3.x"),
        (lambda s: s.update({"paths": []}), "'paths' must be a mapping"),
        (
            lambda s: schema(s, "Thing")["properties"].update(
                {"x": {"$ref": "other.yaml#/X"}}
            ),
            None,
        ),
        (
            lambda s: s["paths"]["/things"]["get"]["parameters"].append(
                {"$ref": "#/components/parameters/Nope"}
            ),
            "points nowhere",
        ),
        (
            lambda s: s["paths"]["/things"]["get"]["parameters"].append(
                {"$ref": "https://example.invalid/p.yaml"}
            ),
            "only local references",
        ),
    ],
)
def test_bad_specs_give_a_clear_error(
    edit: Callable[[Spec], object], message: str | None
) -> None:
    """Broken documents raise SpecError naming the problem (never a fetch, never a dump)."""
    new = tiny()
    edit(new)

    if message is None:
        # References inside schemas are compared by name and never resolved.
        assert diff_specs(tiny(), new).changes
        return
    with pytest.raises(SpecError) as info:
        diff_specs(tiny(), new, new_label="new.yaml")

    assert message in str(info.value)
    assert len(str(info.value)) < 300
