"""Clients generated from the pinned specs read responses of newer specs.

The payloads are built from the *variant* schemas (and checked against them
with openapi-schema-validator), then read by the real generated packages
``finapi_access`` / ``finapi_webform``, which were generated from the pinned
specs: once through the model's ``from_dict`` and once through the generated
API call, answered over an ``httpx.MockTransport``.

The names of the new property and the new enum value come from
``variants.targets_for`` of the pinned spec, so the tests hold after a lock
adopted a variant too (the pinned client then knows ``loyaltyTier`` and the
new property is ``loyaltyTier2``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from speckit import variants

pytest.importorskip("finapi_access")


def targets(kind: str) -> variants.Targets:
    """Where the variants edit the spec the lock pins."""
    return variants.targets_for(variants.pinned_spec(kind))


def variant_payload(
    kind: str, variant: str, schema: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A payload valid under ``schema`` of the variant spec, and that spec."""
    spec = variants.VARIANTS[variant].of(kind)
    return variants.instance_of(spec, schema), spec


def assert_valid(spec: dict[str, Any], schema: str, payload: dict[str, Any]) -> None:
    """Check the payload against a component schema of ``spec``, references included."""
    document = {
        "$ref": f"#/components/schemas/{schema}",
        "components": spec["components"],
    }

    OAS30Validator(document).validate(payload)


def assert_invalid(spec: dict[str, Any], schema: str, payload: dict[str, Any]) -> None:
    """The payload is *not* valid under the pinned schema (the variant matters)."""
    document = {
        "$ref": f"#/components/schemas/{schema}",
        "components": spec["components"],
    }

    assert not OAS30Validator(document).is_valid(payload)


def serve(payload: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    """A transport handler answering every request with ``payload``."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=payload, request=request)

    return handler


def access_client(payload: dict[str, Any]) -> Any:
    """A generated Access client whose transport answers with ``payload``."""
    from finapi_access import AuthenticatedClient

    transport = httpx.MockTransport(serve(payload))
    return AuthenticatedClient(
        base_url="http://variant.test", token="t", httpx_args={"transport": transport}
    )


def webform_client(payload: dict[str, Any]) -> Any:
    """A generated Web Form client whose transport answers with ``payload``."""
    from finapi_webform import AuthenticatedClient

    transport = httpx.MockTransport(serve(payload))
    return AuthenticatedClient(
        base_url="http://variant.test", token="t", httpx_args={"transport": transport}
    )


# New optional property


@pytest.mark.parametrize(
    ("kind", "schema"), [("access", "User"), ("webform", "WebForm")]
)
def test_pinned_model_keeps_a_new_property(kind: str, schema: str) -> None:
    """The new property lands in additional_properties and survives to_dict and back."""
    assert targets(kind).property_schema == schema
    prop = targets(kind).property_name
    module = __import__(f"finapi_{kind}.models", fromlist=[schema])
    model_class = getattr(module, schema)
    payload, spec = variant_payload(kind, "new-property", schema)
    payload[prop] = "gold"
    assert_valid(spec, schema, payload)

    model = model_class.from_dict(json.loads(json.dumps(payload)))

    assert model.additional_properties == {prop: "gold"}
    assert model[prop] == "gold"
    written = model.to_dict()
    assert written[prop] == "gold"
    assert set(written) == set(payload)
    assert model_class.from_dict(written).to_dict() == written


def test_generated_call_reads_a_user_with_a_new_property() -> None:
    """GET /api/v1/users through the pinned client returns the new field."""
    from finapi_access.api.users import get_authorized_user

    prop = targets("access").property_name
    payload, _ = variant_payload("access", "new-property", "User")
    payload[prop] = "gold"

    user = get_authorized_user.sync(client=access_client(payload))

    assert user is not None
    assert user.id == payload["id"]
    assert user.additional_properties[prop] == "gold"


def test_generated_call_reads_a_web_form_with_a_new_property() -> None:
    """GET /api/webForms/{id} through the pinned client returns the new field."""
    from finapi_webform.api.web_forms import get_web_form

    prop = targets("webform").property_name
    payload, _ = variant_payload("webform", "new-property", "WebForm")
    payload[prop] = "mobile"

    form = get_web_form.sync(payload["id"], client=webform_client(payload))

    assert form is not None
    assert form.to_dict()[prop] == "mobile"


def test_new_property_inside_a_nested_object_is_kept() -> None:
    """A property added to a nested object (WebForm.payload) is kept there too."""
    from finapi_webform.models import WebForm

    payload, _ = variant_payload("webform", "new-property", "WebForm")
    payload["payload"] = {"bankConnectionId": 7, "mandateId": "m-1"}

    form = WebForm.from_dict(payload)

    assert form.payload.bank_connection_id == 7
    assert form.payload.additional_properties == {"mandateId": "m-1"}
    assert form.to_dict()["payload"] == {"bankConnectionId": 7, "mandateId": "m-1"}


# New enum value


def test_pinned_web_form_reads_a_new_status() -> None:
    """A WebFormStatus the pinned spec does not list is read and written back as is."""
    from finapi_webform.api.web_forms import get_web_form
    from finapi_webform.models import WebFormStatus

    value = targets("webform").enum_value
    payload, spec = variant_payload("webform", "new-enum-value", "WebForm")
    payload["status"] = value
    assert_valid(spec, "WebForm", payload)
    assert_invalid(variants.pinned_spec("webform"), "WebForm", payload)

    form = get_web_form.sync(payload["id"], client=webform_client(payload))

    assert form is not None
    assert isinstance(form.status, WebFormStatus)
    assert form.status.value == value
    assert form.status.is_known is False
    assert WebFormStatus.COMPLETED.is_known is True
    assert form.to_dict()["status"] == value


def test_pinned_account_reads_a_new_account_type() -> None:
    """An AccountType the pinned spec does not list is read and written back as is."""
    from finapi_access.api.accounts import get_account
    from finapi_access.models import AccountType

    value = targets("access").enum_value
    payload, spec = variant_payload("access", "new-enum-value", "Account")
    payload["accountType"] = value
    assert_valid(spec, "Account", payload)
    assert_invalid(variants.pinned_spec("access"), "Account", payload)

    account = get_account.sync(payload["id"], client=access_client(payload))

    assert account is not None
    assert isinstance(account.account_type, AccountType)
    assert account.account_type.value == value
    assert account.account_type.is_known is False
    assert account.to_dict()["accountType"] == value
