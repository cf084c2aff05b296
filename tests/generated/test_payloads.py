"""Payload fidelity: every response body of both raw specs parses and round-trips.

Instances come from ``instances.InstanceBuilder`` (this project's own builder,
next to this file), walking the RAW specs, not the normalised ones the
generator read: a normalisation rule that loses a nullable field shows up
here. Each instance goes through the generated ``_parse_response`` of its
operation exactly as a server answer would, then back through ``to_dict``.
"""

from __future__ import annotations

import datetime
import enum
import functools
import importlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest
from dateutil.parser import isoparse
from instances import MAP_KEY, MODES, BuildStats, InstanceBuilder

from finapi_access.models import AccountType, ErrorCode
from finapi_access.types import Unset
from finapi_webform.models import TaskStatus, WebFormStatus
from finapi_webform.models.error_code import ErrorCode as WebFormErrorCode
from speckit import paths
from speckit.lock import SpecEntry, load_lock
from speckit.normalise import load_spec

LOCK = load_lock()
ENTRIES = sorted(LOCK.specs.values(), key=lambda e: e.kind)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_JSON_MEDIA = re.compile(r"^application/([\w.+-]+\+)?json$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# A date-time as Web Form 2.0 sends it; Access's "yyyy-MM-dd HH:mm:ss.SSS"
# strings (a space, no zone) are plain strings in its spec and must stay so.
_WIRE_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})"
)


@dataclass(frozen=True)
class Pair:
    """One (operation, status) of a raw spec whose answer has a JSON body schema."""

    entry: SpecEntry
    tag: str
    operation_id: str
    status: str
    schema: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.entry.kind}-{self.operation_id}-{self.status}"

    @property
    def component(self) -> str:
        return self.schema["$ref"].rsplit("/", 1)[-1]


@functools.cache
def _raw(kind: str) -> dict[str, Any]:
    entry = LOCK.specs[kind]
    path = paths.raw_path(entry.file)
    if not path.is_file():
        msg = f"raw spec {path} is missing; run `nox -s specs` to materialise it"
        raise FileNotFoundError(msg)
    return load_spec(path)


@functools.cache
def _builder(kind: str) -> InstanceBuilder:
    return InstanceBuilder(_raw(kind))


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                yield method, operation


def _pairs(entry: SpecEntry) -> list[Pair]:
    found = []
    for _, operation in _operations(_raw(entry.kind)):
        for status, response in operation.get("responses", {}).items():
            for media, body in (response.get("content") or {}).items():
                if _JSON_MEDIA.match(media) and "schema" in body:
                    found.append(
                        Pair(
                            entry=entry,
                            tag=operation["tags"][0],
                            operation_id=operation["operationId"],
                            status=status,
                            schema=body["schema"],
                        )
                    )
    return found


PAIRS = [pair for entry in ENTRIES for pair in _pairs(entry)]


def _snake(name: str) -> str:
    """The generator's module naming: ``getAndSearchAllTransactions`` to snake case."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", words)
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def _pascal(name: str) -> str:
    """The generator's class naming for the component names these specs use."""
    if re.fullmatch(r"[A-Z][A-Za-z0-9]*", name):
        return name
    return "".join(word[:1].upper() + word[1:] for word in _snake(name).split("_"))


def _module(pair: Pair) -> ModuleType:
    return importlib.import_module(
        f"{pair.entry.package}.api.{_snake(pair.tag)}.{_snake(pair.operation_id)}"
    )


@functools.cache
def _client(package: str) -> Any:
    return importlib.import_module(package).Client(
        base_url="http://x", raise_on_unexpected_status=True
    )


def _parse(pair: Pair, body: Any) -> Any:
    """Feed ``body`` to the operation's generated response parser."""
    response = httpx.Response(int(pair.status), json=body)
    return _module(pair)._parse_response(
        client=_client(pair.entry.package), response=response
    )


def _differences(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """List where two JSON values differ; date-time strings compare as instants."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}.{k}: missing" for k in expected if k not in actual]
        found += [f"{where}.{k}: unexpected" for k in actual if k not in expected]
        for key in expected.keys() & actual.keys():
            found += _differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items became {len(actual)}"]
        found = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found += _differences(left, right, f"{where}[{index}]")
        return found
    if _same_instant(expected, actual):
        return []
    if type(expected) is not type(actual) and not _both_numbers(expected, actual):
        return [f"{where}: {expected!r} became {actual!r}"]
    return [] if expected == actual else [f"{where}: {expected!r} became {actual!r}"]


def _same_instant(left: Any, right: Any) -> bool:
    if not (isinstance(left, str) and isinstance(right, str)):
        return False
    if not (_DATE_TIME.match(left) and _DATE_TIME.match(right)):
        return False
    one, other = isoparse(left), isoparse(right)
    return one.tzinfo is not None and other.tzinfo is not None and one == other


def _both_numbers(left: Any, right: Any) -> bool:
    kinds = (int, float)
    return (
        isinstance(left, kinds)
        and isinstance(right, kinds)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    )


def _leaves(value: Any) -> Iterator[Any]:
    """Yield every model, enum member and scalar inside a parsed model tree."""
    if attrs.has(type(value)):
        yield value
        for field in attrs.fields(type(value)):
            yield from _leaves(getattr(value, field.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _structural_problems(parsed: Any, body: Any) -> list[str]:
    """Facts a plain round trip can hide.

    A model keeps unknown keys in ``additional_properties`` and gives them back
    in ``to_dict``, so a field the model failed to declare would still round
    trip; an enum value read as an unknown pseudo-member would too, and so
    would a date-time left as a string.
    """
    problems = []
    leaves = list(_leaves(parsed))
    for leaf in leaves:
        if attrs.has(type(leaf)):
            stray = set(getattr(leaf, "additional_properties", {})) - {MAP_KEY}
            if stray:
                problems.append(f"{type(leaf).__name__} kept {sorted(stray)} as extras")
        elif isinstance(leaf, enum.Enum) and not getattr(leaf, "is_known", True):
            problems.append(f"{type(leaf).__name__} did not know {leaf.value!r}")
    wire_times = _count_date_times(body)
    parsed_times = sum(isinstance(leaf, datetime.datetime) for leaf in leaves)
    if wire_times != parsed_times:
        problems.append(f"{wire_times} date-times sent, {parsed_times} parsed")
    return problems


def _count_date_times(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_count_date_times(item) for item in value.values())
    if isinstance(value, list):
        return sum(_count_date_times(item) for item in value)
    return int(isinstance(value, str) and bool(_WIRE_DATE_TIME.fullmatch(value)))


def _count_json_bodies(spec: dict[str, Any]) -> int:
    """Count response bodies with a JSON schema, without the pair machinery."""
    return sum(
        1
        for _, operation in _operations(spec)
        for response in operation.get("responses", {}).values()
        for media, body in (response.get("content") or {}).items()
        if "json" in media and "schema" in body
    )


def _responses(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for _, op in _operations(spec) for r in op.get("responses", {}).values()]


def test_every_json_response_of_both_specs_is_a_case() -> None:
    """The parametrised cases are exactly the (operation, status) pairs of the specs."""
    expected = {e.kind: _count_json_bodies(_raw(e.kind)) for e in ENTRIES}
    cases = {e.kind: sum(1 for p in PAIRS if p.entry == e) for e in ENTRIES}
    responses = {e.kind: _responses(_raw(e.kind)) for e in ENTRIES}
    bodiless = {
        k: sum(1 for r in found if not r.get("content"))
        for k, found in responses.items()
    }

    assert cases == expected
    assert cases == {"access": 621, "webform": 109}
    # Every other response has no body at all: none is skipped for its media type.
    assert bodiless == {"access": 18, "webform": 3}
    assert {k: cases[k] + bodiless[k] for k in cases} == {
        k: len(v) for k, v in responses.items()
    }
    assert len({p.id for p in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_response_body_round_trips(pair: Pair, mode: str) -> None:
    """The body parses into the schema's model and `to_dict` gives it back unchanged."""
    stats = BuildStats()
    body = _builder(pair.entry.kind).build(pair.schema, mode, stats)

    parsed = _parse(pair, body)

    assert type(parsed).__name__ == _pascal(pair.component)
    assert isinstance(body, dict)
    assert body
    assert _differences(body, parsed.to_dict()) == []
    assert _structural_problems(parsed, body) == []


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.kind)
def test_instances_exercise_optional_and_nullable_fields(entry: SpecEntry) -> None:
    """The minimal instances leave fields out and the nulled ones send nulls."""
    totals = {mode: BuildStats() for mode in MODES}
    for pair in PAIRS:
        if pair.entry == entry:
            for mode in MODES:
                _builder(entry.kind).build(pair.schema, mode, totals[mode])

    assert totals["minimal"].omitted > 0
    assert totals["minimal"].nulled == 0
    assert totals["nulled"].nulled > 0
    assert totals["nulled"].omitted == 0
    assert totals["full"].nulled == 0
    assert totals["full"].properties > totals["minimal"].properties


# Hand-written payloads shaped like what finAPI sends for the workflow's objects
# (tests/generated/payloads/*.json), each read through the operation that
# returns it.

PAYLOADS = Path(__file__).parent / "payloads"
UTC = datetime.timezone.utc


@dataclass(frozen=True)
class Realistic:
    """A payload file and the generated operation and status that answer with it."""

    file: str
    module: str
    status: int
    model: str


REALISTIC = [
    Realistic(
        "access_token_client",
        "finapi_access.api.authorization.get_token",
        200,
        "AccessToken",
    ),
    Realistic(
        "access_token_user",
        "finapi_access.api.authorization.get_token",
        200,
        "AccessToken",
    ),
    Realistic(
        "oauth_error",
        "finapi_access.api.authorization.get_token",
        401,
        "BadCredentialsError",
    ),
    Realistic("user", "finapi_access.api.users.get_authorized_user", 200, "User"),
    Realistic(
        "bank_connection",
        "finapi_access.api.bank_connections.get_bank_connection",
        200,
        "BankConnection",
    ),
    Realistic("account", "finapi_access.api.accounts.get_account", 200, "Account"),
    Realistic(
        "transaction",
        "finapi_access.api.transactions.get_transaction",
        200,
        "Transaction",
    ),
    Realistic(
        "access_error",
        "finapi_access.api.bank_connections.get_bank_connection",
        404,
        "ErrorMessage",
    ),
    Realistic(
        "access_error_design_shape",
        "finapi_access.api.users.create_user",
        400,
        "ErrorMessage",
    ),
    Realistic("web_form", "finapi_webform.api.web_forms.get_web_form", 200, "WebForm"),
    Realistic("task", "finapi_webform.api.tasks.get_task", 200, "Task"),
    Realistic(
        "webform_error", "finapi_webform.api.web_forms.get_web_form", 404, "Error"
    ),
    Realistic(
        "webform_validation_error",
        "finapi_webform.api.account_information_services.create_for_bank_connection_import",
        400,
        "ValidationError",
    ),
]
_BY_FILE = {case.file: case for case in REALISTIC}


def _load(file: str) -> dict[str, Any]:
    data = json.loads((PAYLOADS / f"{file}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{file}.json must hold a JSON object"
    return data


def _parse_realistic(file: str) -> Any:
    case = _BY_FILE[file]
    module = importlib.import_module(case.module)
    package = case.module.split(".", 1)[0]
    response = httpx.Response(case.status, json=_load(file))
    return module._parse_response(client=_client(package), response=response)


def test_every_payload_file_is_checked() -> None:
    """No payload file lies in the folder without a case that reads it."""
    assert sorted(p.stem for p in PAYLOADS.glob("*.json")) == sorted(_BY_FILE)


@pytest.mark.parametrize("case", REALISTIC, ids=lambda c: c.file)
def test_realistic_payload_round_trips(case: Realistic) -> None:
    """The payload parses into its model, with nothing left over, and round-trips."""
    body = _load(case.file)

    parsed = _parse_realistic(case.file)

    assert type(parsed).__name__ == case.model
    assert _differences(body, parsed.to_dict()) == []
    assert _structural_problems(parsed, body) == []


def _is_utc(value: Any) -> bool:
    return (
        isinstance(value, datetime.datetime)
        and value.tzinfo is not None
        and value.utcoffset() == datetime.timedelta(0)
    )


def test_tokens_carry_expiry_and_only_the_user_token_a_refresh_token() -> None:
    """Client tokens have no refresh token (UNSET); user tokens do."""
    client_token = _parse_realistic("access_token_client")
    user_token = _parse_realistic("access_token_user")

    assert client_token.expires_in == 3599
    assert client_token.token_type == "bearer"
    assert isinstance(client_token.refresh_token, Unset)
    assert user_token.refresh_token == "fake-user-refresh-token-0003"


def test_oauth_and_access_errors_expose_their_fields() -> None:
    """Both Access error shapes parse into their documented fields."""
    oauth = _parse_realistic("oauth_error")
    access = _parse_realistic("access_error")

    assert oauth.error == "invalid_client"
    assert oauth.error_description == "Bad client credentials"
    assert access.errors[0].code is ErrorCode.UNKNOWN_ENTITY
    assert access.errors[0].multi_step_authentication is None
    assert access.request_id == "facade-3f1c2a9e-5bfc-11eb"
    assert access.bank is None


def test_access_error_without_its_nullable_fields_parses() -> None:
    """The shape finAPI sends ({message, code, type} only) reads; absent means UNSET."""
    error = _parse_realistic("access_error_design_shape")

    assert error.errors[0].code.value == "BAD_REQUEST"
    assert error.errors[0].message == "Bad credentials for the bank login"
    assert isinstance(error.errors[0].multi_step_authentication, Unset)
    assert isinstance(error.bank, Unset)
    assert error.request_id == "caller-7d2f"


def test_user_bank_connection_and_account_read_their_nulls() -> None:
    """Fields finAPI declares required but sends as null come back as None."""
    user = _parse_realistic("user")
    connection = _parse_realistic("bank_connection")
    account = _parse_realistic("account")

    assert (user.id, user.email, user.phone) == ("alice-7f3c", None, None)
    assert connection.last_auto_update is None
    assert connection.owners[0].first_name == "Alice"
    assert connection.owners[0].date_of_birth is None
    assert connection.bank.bank_group is None
    assert connection.interfaces[0].ais_consent.expires_at == "2024-06-03 14:23:41.000"
    assert account.account_type is AccountType.CHECKING
    assert account.balance == 1523.47
    assert account.overdraft is None


def test_uncategorised_transaction_has_no_category() -> None:
    """A transaction sent with `category: null` parses with category None."""
    transaction = _parse_realistic("transaction")

    assert transaction.category is None
    assert transaction.amount == -42.5
    assert transaction.paypal_data is None
    assert transaction.to_dict()["category"] is None


def test_web_form_and_task_timestamps_are_aware_utc() -> None:
    """Web Form 2.0 `+0000` timestamps become aware datetimes at offset zero."""
    form = _parse_realistic("web_form")
    task = _parse_realistic("task")

    assert _is_utc(form.created_at)
    assert form.created_at == datetime.datetime(2024, 3, 5, 14, 21, 7, 123000, UTC)
    assert form.expires_at - form.created_at == datetime.timedelta(minutes=20)
    assert form.status is WebFormStatus.COMPLETED
    assert form.payload.bank_connection_id == 4711
    assert form.payload.error_code is None
    assert _is_utc(task.created_at)
    assert task.status is TaskStatus.WEB_FORM_REQUIRED
    assert task.payload.web_form.status is WebFormStatus.NOT_YET_OPENED
    assert task.payload.error_code is None


def test_web_form_errors_expose_code_timestamp_and_field_errors() -> None:
    """Both Web Form 2.0 error shapes parse, the timestamp as aware UTC."""
    error = _parse_realistic("webform_error")
    invalid = _parse_realistic("webform_validation_error")

    assert error.code is WebFormErrorCode.NOT_FOUND
    assert error.description.startswith("Web form with id")
    assert _is_utc(error.timestamp)
    assert _is_utc(invalid.timestamp)
    assert [(e.field, e.message) for e in invalid.errors] == [
        ("bank.search", "size must be between 1 and 64")
    ]


def test_the_checks_catch_extras_unknown_enums_and_changed_values() -> None:
    """The round-trip checks fail on what a lenient model would let through."""
    body = {**_load("web_form"), "status": "SOMETHING_NEW", "surprise": 1}
    response = httpx.Response(200, json=body)
    module = importlib.import_module("finapi_webform.api.web_forms.get_web_form")

    parsed = module._parse_response(client=_client("finapi_webform"), response=response)

    assert _differences(body, parsed.to_dict()) == []
    assert _structural_problems(parsed, body) == [
        "WebForm kept ['surprise'] as extras",
        "WebFormStatus did not know 'SOMETHING_NEW'",
    ]
    assert _structural_problems(parsed, {"createdAt": "2024-03-05T14:21:07Z"}) == [
        "WebForm kept ['surprise'] as extras",
        "WebFormStatus did not know 'SOMETHING_NEW'",
        "1 date-times sent, 2 parsed",
    ]
    assert _differences({"a": [1, "x"]}, {"a": [1, "y"], "b": None}) == [
        "$.b: unexpected",
        "$.a[1]: 'x' became 'y'",
    ]
    assert (
        _differences(
            {"t": "2024-03-05T14:21:07.000+0000"}, {"t": "2024-03-05T14:21:07+00:00"}
        )
        == []
    )
    assert (
        _differences(
            {"t": "2024-03-05T14:21:07.000+0000"}, {"t": "2024-03-05T14:21:08+00:00"}
        )
        != []
    )


FRAGMENT = {
    "components": {
        "schemas": {
            "Node": {
                "type": "object",
                "required": ["name", "kind"],
                "properties": {
                    "name": {"type": "string", "example": "root"},
                    "kind": {"allOf": [{"$ref": "#/components/schemas/Kind"}]},
                    "parent": {
                        "allOf": [{"$ref": "#/components/schemas/Node"}],
                        "nullable": True,
                        "example": "{}",
                    },
                    "children": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Node"},
                    },
                    "owner": {"$ref": "#/components/schemas/Owner"},
                    "tags": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                    },
                    "seen": {"type": "string", "format": "date-time"},
                },
            },
            "Kind": {"type": "string", "enum": ["LEAF", "BRANCH"], "example": "BRANCH"},
            "Owner": {"type": "string", "nullable": True},
        }
    }
}


def test_builder_shapes_on_a_recursive_fragment() -> None:
    """The builder's three shapes, its nullable sources and its depth limit."""
    builder = InstanceBuilder(FRAGMENT, max_depth=2)
    node = {"$ref": "#/components/schemas/Node"}

    minimal = builder.build(node, "minimal")
    nulled = builder.build(node, "nulled")
    full = builder.build(node, "full")

    assert minimal == {"name": "root", "kind": "BRANCH"}
    assert nulled["parent"] is None
    assert nulled["owner"] is None
    assert nulled["children"][0]["parent"] is None
    assert nulled["tags"] == {MAP_KEY: 1}
    assert nulled["seen"] == "2022-06-24T10:00:00.000+0000"
    # max_depth=2: a Node inside a Node, but no third one on any path.
    assert "parent" not in full["parent"]
    assert full["parent"]["children"] == []
    assert full["children"][0] == full["parent"]
    assert full["parent"]["owner"] == full["owner"] == "text"
    with pytest.raises(ValueError, match="unknown instance mode"):
        builder.build(node, "empty")
