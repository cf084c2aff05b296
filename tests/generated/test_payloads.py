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
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest
from dateutil.parser import isoparse
from instances import DATE_TIME, MAP_KEY, MODES, BuildStats, InstanceBuilder

from speckit import paths
from speckit.lock import SpecEntry, load_lock
from speckit.normalise import load_spec

LOCK = load_lock()
ENTRIES = sorted(LOCK.specs.values(), key=lambda e: e.kind)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_JSON_MEDIA = re.compile(r"^application/([\w.+-]+\+)?json$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


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
    wire_times = _count_strings(body, DATE_TIME)
    parsed_times = sum(isinstance(leaf, datetime.datetime) for leaf in leaves)
    if wire_times != parsed_times:
        problems.append(f"{wire_times} date-times sent, {parsed_times} parsed")
    return problems


def _count_strings(value: Any, wanted: str) -> int:
    if isinstance(value, dict):
        return sum(_count_strings(item, wanted) for item in value.values())
    if isinstance(value, list):
        return sum(_count_strings(item, wanted) for item in value)
    return int(value == wanted)


def _count_json_bodies(spec: dict[str, Any]) -> int:
    """Count response bodies with a JSON schema, without the pair machinery."""
    return sum(
        1
        for _, operation in _operations(spec)
        for response in operation.get("responses", {}).values()
        for media, body in (response.get("content") or {}).items()
        if "json" in media and "schema" in body
    )


def test_every_json_response_of_both_specs_is_a_case() -> None:
    """The parametrised cases are exactly the (operation, status) pairs of the specs."""
    expected = {e.kind: _count_json_bodies(_raw(e.kind)) for e in ENTRIES}
    cases = {e.kind: sum(1 for p in PAIRS if p.entry == e) for e in ENTRIES}
    responses = {
        e.kind: sum(len(op.get("responses", {})) for _, op in _operations(_raw(e.kind)))
        for e in ENTRIES
    }

    assert cases == expected
    assert cases == {"access": 621, "webform": 109}
    # The rest have no body at all (204s and the like), not a non-JSON one.
    assert {k: responses[k] - cases[k] for k in cases} == {"access": 18, "webform": 3}
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


# Hand-written payloads shaped like what finAPI sends for the workflow's objects.

ACCESS_ERROR = {
    "errors": [
        {
            "message": "Entity not found: User with id 'alice'",
            "code": "ENTITY_NOT_FOUND",
            "type": "BUSINESS",
            "multiStepAuthentication": None,
        }
    ],
    "date": "2024-03-05 14:21:07.123",
    "requestId": "req-4f1c2a9e",
    "endpoint": "GET /api/v1/users",
    "authContext": "1/21",
    "bank": None,
}
OAUTH_ERROR = {
    "error": "invalid_client",
    "error_description": "Bad client credentials",
}
WEBFORM_ERROR = {
    "code": "NOT_FOUND",
    "description": "Web form with id '2b6a0f0e-...' not found",
    "timestamp": "2024-03-05T14:21:07.123+0000",
    "endpoint": "GET /api/webForms/2b6a0f0e",
}
WEBFORM_VALIDATION_ERROR = {
    "errors": [{"field": "bankConnectionName", "message": "size must be at most 64"}],
    "timestamp": "2024-03-05T14:21:07.123+0000",
    "endpoint": "POST /api/webForms/bankConnectionImport",
}
CLIENT_TOKEN = {
    "access_token": "client-token-for-tests",
    "token_type": "bearer",
    "expires_in": 3599,
    "scope": "all",
}
USER_TOKEN = {
    **CLIENT_TOKEN,
    "access_token": "user-token-for-tests",
    "refresh_token": "refresh-token-for-tests",
}
USER = {
    "id": "alice",
    "password": None,
    "email": "alice@example.com",
    "phone": None,
    "isAutoUpdateEnabled": False,
}
WEB_FORM = {
    "id": "2b6a0f0e-5bfc-11eb-ae93-0242ac130002",
    "url": "https://webform-sandbox.finapi.io/wf/2b6a0f0e-5bfc-11eb-ae93-0242ac130002",
    "createdAt": "2024-03-05T14:21:07.123+0000",
    "expiresAt": "2024-03-05T14:41:07.123+0000",
    "type": "BANK_CONNECTION_IMPORT",
    "status": "COMPLETED",
    "payload": {
        "bankConnectionId": 4711,
        "paymentId": None,
        "standingOrderId": None,
        "errorCode": None,
    },
}
TASK = {
    "id": "7c1d5e3a-5bfc-11eb-ae93-0242ac130002",
    "createdAt": "2024-03-05T14:22:00.000+0000",
    "type": "BANK_CONNECTION_UPDATE",
    "status": "COMPLETED",
    "payload": {
        "bankConnectionId": 4711,
        "errorCode": None,
        "webForm": None,
    },
}
