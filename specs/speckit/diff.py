"""The API surface change between two versions of an OpenAPI spec, as Markdown.

Run ``python -m speckit.diff OLD NEW [--fail-on-breaking] [--output FILE]``
(``nox -s spec_diff -- OLD NEW`` does this). OLD and NEW are spec files
(YAML or JSON), or ``access`` / ``webform`` for the spec the lock pins.

Every change is classified from the point of view of a client generated
from OLD that talks to a server implementing NEW: *breaking* when such a
client may fail or lose data, *non-breaking* otherwise. Each ``rule_*``
function below decides one kind of change and says why in its docstring;
``tests/specs/test_diff_rules.py`` checks each on a tiny pair of specs.

What is compared: operations (added, removed, moved to another path with
the same ``operationId``, deprecated), their parameters, request bodies and
responses (status codes, media types, schemas), every component schema
(properties, required-ness, nullability, type, format, enum values, array
items, map values, ``allOf``/``anyOf``/``oneOf`` members), the OAuth flows
of the security schemes (their ``tokenUrl``) and the server URLs.

Whether a schema is read in requests or responses decides several rules.
It is worked out from where the schema is used: parameters and request
bodies are written by the client (request), responses are read by it
(response), and so are the bodies of callbacks, which the server sends to
the client. A schema used both ways gets the stricter verdict; a schema no
operation uses is treated as used both ways.

Not compared: descriptions, examples, headers of responses, validation
keywords (``minLength``, ``pattern``...), the operations inside callbacks
(only their schemas' direction) and security requirements of operations.

Parsing and ``$ref`` resolution use jsonschema-path (the reference layer of
openapi-core and openapi-spec-validator); the rules are this module's own.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import attrs

__all__ = [
    "REQUEST",
    "RESPONSE",
    "Change",
    "SpecDiff",
    "SpecError",
    "diff_files",
    "diff_specs",
    "load_spec_file",
    "main",
]

REQUEST = "request"
RESPONSE = "response"
_BOTH = frozenset({REQUEST, RESPONSE})
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SCHEMA_REF = "#/components/schemas/"
# Keywords that describe a schema without constraining it; a wrapper made of
# these and a single ``allOf``/``anyOf`` member is read as that member.
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
        "xml",
        "nullable",
    }
)
_SECTION_TITLES = {
    "operations": "Operations",
    "schemas": "Schemas",
    "security": "Security and servers",
}

Directions = frozenset[str]


class SpecError(ValueError):
    """A spec file or document cannot be compared; the message says why."""


@attrs.frozen(order=True)
class Change:
    """One difference between two specs.

    Attributes:
        section: ``operations``, ``schemas`` or ``security``.
        where: the operation, schema or property it concerns.
        what: what changed, in a few words.
        breaking: whether a client of the old spec may fail or lose data.
        note: what a reviewer should know beyond the verdict (may be empty).
    """

    section: str
    where: str
    what: str
    breaking: bool
    note: str = ""


@attrs.frozen
class SpecDiff:
    """The changes from one spec version to another, sorted."""

    old_title: str
    old_version: str
    new_title: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        """The changes that can break a client built from the old spec."""
        return tuple(c for c in self.changes if c.breaking)

    @property
    def non_breaking(self) -> tuple[Change, ...]:
        """The changes a client built from the old spec survives."""
        return tuple(c for c in self.changes if not c.breaking)

    def summary(self) -> str:
        """One line: how many changes, how many of them breaking."""
        if not self.changes:
            return "No change to the API surface."
        total = len(self.changes)
        noun = "change" if total == 1 else "changes"
        return (
            f"{total} {noun}: {len(self.breaking)} breaking, "
            f"{len(self.non_breaking)} non-breaking."
        )

    def to_markdown(self, heading_level: int = 1) -> str:
        """Render the report: a title, the summary line, then one table per verdict."""
        hashes = "#" * heading_level
        old = f"{self.old_title} {self.old_version}"
        new = (
            self.new_version
            if self.new_title == self.old_title
            else f"{self.new_title} {self.new_version}"
        )
        lines = [f"{hashes} API changes: {old} → {new}", "", f"**{self.summary()}**"]
        for label, group in (
            ("Breaking", self.breaking),
            ("Non-breaking", self.non_breaking),
        ):
            if not group:
                continue
            lines += ["", f"{hashes}# {label} ({len(group)})", ""]
            lines += [
                "| section | where | change | note |",
                "| --- | --- | --- | --- |",
            ]
            for change in group:
                cells = (
                    _SECTION_TITLES[change.section],
                    f"`{change.where}`",
                    change.what,
                    change.note,
                )
                lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# ---------------------------------------------------------------------------
# The rules. Each returns True when the change is breaking.


def rule_operation_added() -> bool:
    """A new operation is not breaking: an old client never calls it."""
    return False


def rule_operation_removed() -> bool:
    """A removed operation is breaking: an old client that calls it gets a 404."""
    return True


def rule_operation_moved() -> bool:
    """An operation that keeps its ``operationId`` under a new path or method is breaking.

    An old client still calls the old path. Regenerating fixes it without any
    change to code that calls the generated function.
    """
    return True


def rule_operation_deprecated() -> bool:
    """Deprecating an operation is not breaking: it still answers."""
    return False


def rule_parameter_added(required: bool) -> bool:
    """A new parameter is breaking only when it is required: an old client omits it."""
    return required


def rule_parameter_removed() -> bool:
    """A removed parameter is breaking: an old client sends it and relies on its effect.

    The server ignores or rejects it; either way what the client asked for is
    no longer what it gets.
    """
    return True


def rule_parameter_required(now_required: bool) -> bool:
    """A parameter made required is breaking (old clients may omit it); made optional is not."""
    return now_required


def rule_body_added(required: bool) -> bool:
    """A new request body is breaking only when it is required: an old client sends none."""
    return required


def rule_body_removed() -> bool:
    """A removed request body is breaking: the server ignores or rejects what an old client sends."""
    return True


def rule_body_required(now_required: bool) -> bool:
    """A request body made required is breaking; made optional is not."""
    return now_required


def rule_media_type_added() -> bool:
    """A new media type for a body is not breaking: the old ones still work."""
    return False


def rule_media_type_removed() -> bool:
    """A removed media type is breaking: the old client sends or expects exactly that one."""
    return True


def rule_response_added() -> bool:
    """A newly documented response status is not breaking.

    Generated clients hand an undocumented status back unparsed (or raise
    ``UnexpectedStatus`` when asked to); documenting it changes nothing on
    the wire.
    """
    return False


def rule_response_removed(status: str) -> bool:
    """A removed success (2xx) response is breaking: the client expects that answer.

    A removed error status is not breaking: the client simply never sees it.
    """
    return status.startswith("2")


def rule_property_added(required: bool, directions: Directions) -> bool:
    """A new property is breaking only when it is required in a request.

    An old client does not send it. In a response, required or optional,
    it is not breaking: tolerant generated models keep unknown properties in
    ``additional_properties`` and write them back.
    """
    return required and REQUEST in directions


def rule_property_removed(directions: Directions) -> bool:
    """A removed property is breaking in either direction.

    In a response the old client misses data it reads (and raises if the
    property was required); in a request the server drops what it sends.
    """
    return bool(directions)


def rule_required_changed(now_required: bool, directions: Directions) -> bool:
    """Required-ness of a property.

    Made required: breaking in a request (an old client may omit it), not in
    a response. Made optional: breaking in a response (an old client's model
    raises when it is missing), not in a request.
    """
    if now_required:
        return REQUEST in directions
    return RESPONSE in directions


def rule_nullable_changed(now_nullable: bool, directions: Directions) -> bool:
    """Nullability of a value.

    Made nullable: breaking in a response (a strict client rejects ``null``),
    not in a request. Made non-nullable: breaking in a request (an old client
    may send ``null``), not in a response.
    """
    if now_nullable:
        return RESPONSE in directions
    return REQUEST in directions


def rule_type_changed() -> bool:
    """A changed type, or a reference to another schema, is breaking in both directions."""
    return True


def rule_format_changed() -> bool:
    """A changed ``format`` is breaking: generated models parse by format (dates, numbers)."""
    return True


def rule_enum_value_added(directions: Directions) -> bool:
    """A new enum value is not breaking for this project's clients.

    In a request an old client never sends it. In a response the generated
    enums are tolerant: an unknown value becomes a member-like object that
    keeps the raw string (``is_known`` is False), so the report calls it out
    rather than failing on it.
    """
    del directions
    return False


def rule_enum_value_removed(directions: Directions) -> bool:
    """A removed enum value is breaking in a request (an old client may send it), not in a response."""
    return REQUEST in directions


def rule_enum_constraint_changed(added: bool, directions: Directions) -> bool:
    """An ``enum`` list put on a free value is breaking in a request; taking one off is not breaking.

    An old client may send a value outside the new list. A value that loses
    its list reads as the same string.
    """
    return added and REQUEST in directions


def rule_composition_changed() -> bool:
    """A different number of ``allOf``/``anyOf``/``oneOf`` members is breaking.

    The generated model's shape follows the members; there is no safe reading.
    """
    return True


def rule_security_scheme_removed() -> bool:
    """A removed security scheme or OAuth flow is breaking: old clients authenticate with it."""
    return True


def rule_security_scheme_added() -> bool:
    """A new security scheme or OAuth flow is not breaking: the old ones still work."""
    return False


def rule_token_url_changed() -> bool:
    """A moved ``tokenUrl`` is breaking: a client built from the old spec asks the old URL."""
    return True


def rule_server_removed() -> bool:
    """A removed server URL is breaking: clients built from the old spec default to it."""
    return True


def rule_server_added() -> bool:
    """A new server URL is not breaking."""
    return False


# ---------------------------------------------------------------------------
# Reading specs.


def load_spec_file(path: Path) -> dict[str, Any]:
    """Read a spec file (YAML or JSON) for comparison.

    Raises:
        SpecError: the file is missing, unreadable or not an OpenAPI 3 document.
    """
    from .normalise import load_spec  # noqa: PLC0415 - needs PyYAML

    if not path.is_file():
        msg = f"{path}: no such spec file"
        raise SpecError(msg)
    try:
        raw = load_spec(path)
    except (ValueError, UnicodeDecodeError) as exc:
        msg = str(exc) if isinstance(exc, ValueError) else f"{path} is not text: {exc}"
        raise SpecError(msg) from exc
    _check_shape(raw, str(path))
    return raw


def _check_shape(raw: Any, label: str) -> None:
    if not isinstance(raw, Mapping):
        msg = f"{label}: an OpenAPI document is a mapping, found {type(raw).__name__}"
        raise SpecError(msg)
    version = raw.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = raw.get("swagger", version)
        msg = f"{label}: only OpenAPI 3.x documents are supported (found version {found!r})"
        raise SpecError(msg)
    if not isinstance(raw.get("paths"), Mapping):
        msg = f"{label}: 'paths' must be a mapping of URL paths to path items"
        raise SpecError(msg)
    components = raw.get("components", {})
    if not isinstance(components, Mapping) or not isinstance(
        components.get("schemas", {}), Mapping
    ):
        msg = f"{label}: 'components.schemas' must be a mapping of names to schemas"
        raise SpecError(msg)


class _Spec:
    """A spec document with ``$ref`` resolution through jsonschema-path."""

    def __init__(self, raw: Mapping[str, Any], label: str) -> None:
        from jsonschema_path import SchemaPath  # noqa: PLC0415 - tooling dependency

        _check_shape(raw, label)
        self.raw = raw
        self.label = label
        info = raw.get("info")
        info = info if isinstance(info, Mapping) else {}
        self.title = str(info.get("title", label))
        self.version = str(info.get("version", "?"))
        components = raw.get("components", {})
        self.schemas: Mapping[str, Any] = components.get("schemas", {})
        self.security_schemes: Mapping[str, Any] = components.get("securitySchemes", {})
        # A NUL separator: keys such as callback expressions contain '#', the default.
        # No handlers: a reference to another file or a URL is an error, never a fetch.
        self._root = SchemaPath.from_dict(dict(raw), separator="\x00", handlers={})

    def lookup(self, ref: Any, where: str) -> Any:
        """Return what a local ``$ref`` points to (following further references).

        Raises:
            SpecError: the reference is not local or points nowhere.
        """
        from referencing.exceptions import Unresolvable  # noqa: PLC0415

        if not isinstance(ref, str) or not ref.startswith("#/"):
            msg = f"{self.label}: {where}: only local references ('#/...') are supported, found {ref!r}"
            raise SpecError(msg)
        parts = [
            unquote(p).replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")
        ]
        path = functools.reduce(lambda p, part: p / part, parts, self._root)
        try:
            with path.resolve() as resolved:
                return resolved.contents
        except (KeyError, IndexError, TypeError, Unresolvable) as exc:
            msg = f"{self.label}: {where}: $ref {ref!r} points nowhere"
            raise SpecError(msg) from exc

    def deref(self, node: Any, where: str) -> Any:
        """Follow ``$ref`` until a node that is not a reference."""
        if isinstance(node, Mapping) and "$ref" in node:
            return self.lookup(node["$ref"], where)
        return node


@attrs.frozen
class _Operation:
    method: str
    path: str
    node: Mapping[str, Any]
    shared_parameters: tuple[Any, ...]

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def operation_id(self) -> str | None:
        value = self.node.get("operationId")
        return value if isinstance(value, str) else None


def _operations(spec: _Spec) -> dict[str, _Operation]:
    found: dict[str, _Operation] = {}
    for path, item in spec.raw["paths"].items():
        resolved = spec.deref(item, f"path {path}")
        if not isinstance(resolved, Mapping):
            msg = f"{spec.label}: path {path}: a path item must be a mapping"
            raise SpecError(msg)
        shared = tuple(resolved.get("parameters") or ())
        for method in _METHODS:
            node = resolved.get(method)
            if isinstance(node, Mapping):
                op = _Operation(method, str(path), node, shared)
                found[op.key] = op
    return found


# ---------------------------------------------------------------------------
# Schema views and their comparison.


@attrs.frozen
class _View:
    """What the rules look at in one schema, with nullability unwrapped."""

    ref: str | None
    types: frozenset[str]
    nullable: bool
    format: str | None
    enum: tuple[Any, ...] | None
    properties: Mapping[str, Any]
    required: frozenset[str]
    items: Any
    additional: Any
    composed: tuple[tuple[str, tuple[Any, ...]], ...]

    def describe(self) -> str:
        if self.ref:
            return self.ref
        if not self.types:
            return "any" if not self.composed else "/".join(k for k, _ in self.composed)
        text = "|".join(sorted(self.types))
        return f"{text} ({self.format})" if self.format else text


def _is_null(schema: Any) -> bool:
    return (
        isinstance(schema, Mapping)
        and schema.get("type") == "null"
        and len(schema) == 1
    )


def _view(schema: Any) -> _View:
    node: Mapping[str, Any] = schema if isinstance(schema, Mapping) else {}
    nullable = False
    while True:
        nullable = nullable or node.get("nullable") is True
        unwrapped = None
        for keyword in ("allOf", "anyOf", "oneOf"):
            members = node.get(keyword)
            if not isinstance(members, list):
                continue
            kept = [m for m in members if not _is_null(m)]
            if len(kept) < len(members):
                nullable = True
            rest = set(node) - _ANNOTATIONS - {keyword}
            if len(kept) == 1 and not rest:
                unwrapped = kept[0] if isinstance(kept[0], Mapping) else {}
                break
        if unwrapped is None:
            break
        node = unwrapped
    raw_type = node.get("type")
    type_names = (
        raw_type if isinstance(raw_type, list) else [raw_type] if raw_type else []
    )
    if "null" in type_names:
        nullable = True
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        ref = unquote(ref[len(_SCHEMA_REF) :])
    composed = tuple(
        (kw, tuple(m for m in node[kw] if not _is_null(m)))
        for kw in ("allOf", "anyOf", "oneOf")
        if isinstance(node.get(kw), list)
    )
    enum = node.get("enum")
    properties = node.get("properties")
    required = node.get("required")
    return _View(
        ref=ref if isinstance(ref, str) else None,
        types=frozenset(str(t) for t in type_names if t != "null"),
        nullable=nullable,
        format=node.get("format") if isinstance(node.get("format"), str) else None,
        enum=tuple(v for v in enum if v is not None)
        if isinstance(enum, list)
        else None,
        properties=properties if isinstance(properties, Mapping) else {},
        required=frozenset(required) if isinstance(required, list) else frozenset(),
        items=node.get("items"),
        additional=node.get("additionalProperties"),
        composed=composed,
    )


Emit = Callable[[str, str, bool, str], None]


def _code(value: Any) -> str:
    return f"`{value}`"


def _compare_schema(
    old: Any, new: Any, where: str, directions: Directions, emit: Emit
) -> None:
    """Compare two schemas found at the same place; references are compared by name."""
    o, n = _view(old), _view(new)
    if o.nullable != n.nullable:
        what = "made nullable" if n.nullable else "no longer nullable"
        emit(where, what, rule_nullable_changed(n.nullable, directions), "")
    if o.ref or n.ref or o.types != n.types:
        if o.ref != n.ref or o.types != n.types:
            what = f"type changed from {_code(o.describe())} to {_code(n.describe())}"
            emit(where, what, rule_type_changed(), "")
        return
    if o.format != n.format:
        what = f"format changed from {_code(o.format or 'none')} to {_code(n.format or 'none')}"
        emit(where, what, rule_format_changed(), "")
    _compare_enum(o, n, where, directions, emit)
    _compare_properties(o, n, where, directions, emit)
    if o.items is not None or n.items is not None:
        _compare_schema(o.items, n.items, f"{where}[]", directions, emit)
    if isinstance(o.additional, Mapping) and isinstance(n.additional, Mapping):
        _compare_schema(o.additional, n.additional, f"{where}{{}}", directions, emit)
    _compare_composition(o, n, where, directions, emit)


def _compare_enum(
    o: _View, n: _View, where: str, directions: Directions, emit: Emit
) -> None:
    if o.enum is None or n.enum is None:
        if (o.enum is None) != (n.enum is None):
            added = n.enum is not None
            what = "enum constraint added" if added else "enum constraint removed"
            emit(where, what, rule_enum_constraint_changed(added, directions), "")
        return
    for value in sorted(set(n.enum) - set(o.enum), key=str):
        note = ""
        if RESPONSE in directions:
            note = (
                "clients built from the old spec read it as an unknown member "
                "(`is_known` is False) that keeps the raw value"
            )
        emit(
            where,
            f"enum value {_code(value)} added",
            rule_enum_value_added(directions),
            note,
        )
    for value in sorted(set(o.enum) - set(n.enum), key=str):
        emit(
            where,
            f"enum value {_code(value)} removed",
            rule_enum_value_removed(directions),
            "",
        )


def _compare_properties(
    o: _View, n: _View, where: str, directions: Directions, emit: Emit
) -> None:
    for name in sorted(set(o.properties) | set(n.properties)):
        if name not in n.properties:
            what = f"property {_code(name)} removed"
            emit(where, what, rule_property_removed(directions), "")
            continue
        if name not in o.properties:
            required = name in n.required
            kind = "required" if required else "optional"
            what = f"property {_code(name)} added ({kind}, {_view(n.properties[name]).describe()})"
            emit(where, what, rule_property_added(required, directions), "")
            continue
        inner = f"{where}.{name}"
        was, now = name in o.required, name in n.required
        if was != now:
            what = "made required" if now else "made optional"
            emit(inner, what, rule_required_changed(now, directions), "")
        _compare_schema(o.properties[name], n.properties[name], inner, directions, emit)


def _compare_composition(
    o: _View, n: _View, where: str, directions: Directions, emit: Emit
) -> None:
    old_parts, new_parts = dict(o.composed), dict(n.composed)
    for keyword in sorted(set(old_parts) | set(new_parts)):
        before, after = old_parts.get(keyword, ()), new_parts.get(keyword, ())
        if len(before) != len(after):
            what = f"{keyword} changed from {len(before)} to {len(after)} members"
            emit(where, what, rule_composition_changed(), "")
            continue
        for index, (a, b) in enumerate(zip(before, after, strict=True)):
            _compare_schema(a, b, f"{where}<{keyword}[{index}]>", directions, emit)


# ---------------------------------------------------------------------------
# Operations.


def _parameters(
    spec: _Spec, op: _Operation
) -> dict[tuple[str, str], Mapping[str, Any]]:
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in (*op.shared_parameters, *(op.node.get("parameters") or ())):
        param = spec.deref(raw, op.key)
        if not isinstance(param, Mapping) or "name" not in param or "in" not in param:
            msg = f"{spec.label}: {op.key}: a parameter lacks 'name' or 'in'"
            raise SpecError(msg)
        location, name = str(param["in"]), str(param["name"])
        found[(location, name.lower() if location == "header" else name)] = param
    return found


def _content(spec: _Spec, node: Any, where: str) -> Mapping[str, Any]:
    resolved = spec.deref(node, where)
    content = resolved.get("content") if isinstance(resolved, Mapping) else None
    return content if isinstance(content, Mapping) else {}


def _body_where(where: str, media_type: str) -> str:
    return where if media_type == "application/json" else f"{where} ({media_type})"


def _compare_operation(
    old: _Spec, new: _Spec, o: _Operation, n: _Operation, emit: Emit
) -> None:
    where = n.key
    if not o.node.get("deprecated") and n.node.get("deprecated"):
        emit(where, "deprecated", rule_operation_deprecated(), "")
    _compare_parameters(old, new, o, n, emit)
    _compare_request_body(old, new, o, n, emit)
    _compare_responses(old, new, o, n, emit)


def _compare_parameters(
    old: _Spec, new: _Spec, o: _Operation, n: _Operation, emit: Emit
) -> None:
    before, after = _parameters(old, o), _parameters(new, n)
    for key in sorted(set(before) | set(after)):
        location = key[0]
        name = (after.get(key) or before[key])["name"]
        label = f"{location} parameter {_code(name)}"
        if key not in after:
            emit(n.key, f"{label} removed", rule_parameter_removed(), "")
            continue
        required = bool(after[key].get("required"))
        if key not in before:
            kind = "required" if required else "optional"
            emit(n.key, f"{label} added ({kind})", rule_parameter_added(required), "")
            continue
        if bool(before[key].get("required")) != required:
            what = f"{label} made {'required' if required else 'optional'}"
            emit(n.key, what, rule_parameter_required(required), "")
        inner = f"{n.key} {location} parameter {name}"
        _compare_schema(
            before[key].get("schema"),
            after[key].get("schema"),
            inner,
            frozenset({REQUEST}),
            emit,
        )


def _compare_request_body(
    old: _Spec, new: _Spec, o: _Operation, n: _Operation, emit: Emit
) -> None:
    before = old.deref(o.node.get("requestBody"), o.key)
    after = new.deref(n.node.get("requestBody"), n.key)
    if not isinstance(before, Mapping) and not isinstance(after, Mapping):
        return
    if not isinstance(after, Mapping):
        emit(n.key, "request body removed", rule_body_removed(), "")
        return
    required = bool(after.get("required"))
    if not isinstance(before, Mapping):
        kind = "required" if required else "optional"
        emit(n.key, f"request body added ({kind})", rule_body_added(required), "")
        return
    if bool(before.get("required")) != required:
        what = f"request body made {'required' if required else 'optional'}"
        emit(n.key, what, rule_body_required(required), "")
    _compare_content(
        _content(old, before, o.key),
        _content(new, after, n.key),
        f"{n.key} request body",
        frozenset({REQUEST}),
        emit,
    )


def _compare_responses(
    old: _Spec, new: _Spec, o: _Operation, n: _Operation, emit: Emit
) -> None:
    before = o.node.get("responses") or {}
    after = n.node.get("responses") or {}
    for status in sorted(set(before) | set(after), key=str):
        code = str(status)
        if status not in after:
            emit(n.key, f"response {code} removed", rule_response_removed(code), "")
        elif status not in before:
            emit(n.key, f"response {code} added", rule_response_added(), "")
        else:
            _compare_content(
                _content(old, before[status], o.key),
                _content(new, after[status], n.key),
                f"{n.key} response {code}",
                frozenset({RESPONSE}),
                emit,
            )


def _compare_content(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    where: str,
    directions: Directions,
    emit: Emit,
) -> None:
    for media_type in sorted(set(before) | set(after)):
        if media_type not in after:
            emit(
                where,
                f"media type {_code(media_type)} removed",
                rule_media_type_removed(),
                "",
            )
        elif media_type not in before:
            emit(
                where,
                f"media type {_code(media_type)} added",
                rule_media_type_added(),
                "",
            )
        else:
            old_schema = (before[media_type] or {}).get("schema")
            new_schema = (after[media_type] or {}).get("schema")
            if old_schema is not None or new_schema is not None:
                inner = _body_where(where, media_type)
                _compare_schema(old_schema, new_schema, inner, directions, emit)


def _compare_operations(old: _Spec, new: _Spec, emit: Emit) -> None:
    before, after = _operations(old), _operations(new)
    removed = sorted(set(before) - set(after))
    added = sorted(set(after) - set(before))
    added_by_id = {after[k].operation_id: k for k in added if after[k].operation_id}
    for key in removed:
        op_id = before[key].operation_id
        target = added_by_id.pop(op_id, None) if op_id else None
        if target is None:
            emit(key, "operation removed", rule_operation_removed(), "")
            continue
        what = f"moved to {_code(target)} (operationId {_code(op_id)})"
        emit(key, what, rule_operation_moved(), "regenerating moves the generated call")
        added.remove(target)
        _compare_operation(old, new, before[key], after[target], emit)
    for key in added:
        emit(key, "operation added", rule_operation_added(), "")
    for key in sorted(set(before) & set(after)):
        _compare_operation(old, new, before[key], after[key], emit)


# ---------------------------------------------------------------------------
# Components, security, servers.


def _refs_below(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
                yield unquote(ref[len(_SCHEMA_REF) :])
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _usage(spec: _Spec) -> dict[str, set[str]]:
    """Map each component schema to the directions (request/response) it is used in."""
    roots: list[tuple[Any, str]] = []

    def add_operation(
        op: Mapping[str, Any], where: str, sent: str, received: str
    ) -> None:
        for param in op.get("parameters") or ():
            roots.append((spec.deref(param, where), sent))
        body = spec.deref(op.get("requestBody"), where)
        if isinstance(body, Mapping):
            roots.append((body.get("content"), sent))
        for response in (op.get("responses") or {}).values():
            roots.append((spec.deref(response, where), received))

    for op in _operations(spec).values():
        add_operation(op.node, op.key, REQUEST, RESPONSE)
        roots.extend((spec.deref(p, op.key), REQUEST) for p in op.shared_parameters)
        for callback in (op.node.get("callbacks") or {}).values():
            for item in (spec.deref(callback, op.key) or {}).values():
                for method in _METHODS:
                    inner = item.get(method) if isinstance(item, Mapping) else None
                    if isinstance(inner, Mapping):
                        # The server calls the client: its body is read, its answer written.
                        add_operation(inner, op.key, RESPONSE, REQUEST)
    usage: dict[str, set[str]] = {}
    queue = [
        (name, direction) for node, direction in roots for name in _refs_below(node)
    ]
    while queue:
        name, direction = queue.pop()
        seen = usage.setdefault(name, set())
        if direction in seen:
            continue
        seen.add(direction)
        queue.extend(
            (inner, direction) for inner in _refs_below(spec.schemas.get(name))
        )
    return usage


def _compare_components(old: _Spec, new: _Spec, emit: Emit) -> None:
    before_use, after_use = _usage(old), _usage(new)
    for name in sorted(set(old.schemas) | set(new.schemas)):
        if name not in new.schemas:
            note = "its generated model class disappears on regeneration"
            emit(name, "schema removed", False, note)
        elif name not in old.schemas:
            emit(name, "schema added", False, "")
        else:
            directions = frozenset(
                before_use.get(name, set()) | after_use.get(name, set())
            )
            _compare_schema(
                old.schemas[name], new.schemas[name], name, directions or _BOTH, emit
            )


def _flows(scheme: Any) -> Mapping[str, Any]:
    flows = scheme.get("flows") if isinstance(scheme, Mapping) else None
    return flows if isinstance(flows, Mapping) else {}


def _compare_security(old: _Spec, new: _Spec, emit: Emit) -> None:
    for name in sorted(set(old.security_schemes) | set(new.security_schemes)):
        where = f"securitySchemes.{name}"
        if name not in new.security_schemes:
            emit(where, "security scheme removed", rule_security_scheme_removed(), "")
            continue
        if name not in old.security_schemes:
            emit(where, "security scheme added", rule_security_scheme_added(), "")
            continue
        before = _flows(old.deref(old.security_schemes[name], where))
        after = _flows(new.deref(new.security_schemes[name], where))
        for flow in sorted(set(before) | set(after)):
            if flow not in after:
                emit(
                    where,
                    f"OAuth flow {_code(flow)} removed",
                    rule_security_scheme_removed(),
                    "",
                )
            elif flow not in before:
                emit(
                    where,
                    f"OAuth flow {_code(flow)} added",
                    rule_security_scheme_added(),
                    "",
                )
            else:
                old_url, new_url = (
                    before[flow].get("tokenUrl"),
                    after[flow].get("tokenUrl"),
                )
                if old_url != new_url:
                    what = f"{_code(flow)} tokenUrl changed from {_code(old_url)} to {_code(new_url)}"
                    note = (
                        "the facade posts to the regenerated getToken operation; "
                        "generation checks that its path is this tokenUrl"
                    )
                    emit(where, what, rule_token_url_changed(), note)
    old_servers = _server_urls(old)
    new_servers = _server_urls(new)
    for url in sorted(old_servers - new_servers):
        emit("servers", f"server {_code(url)} removed", rule_server_removed(), "")
    for url in sorted(new_servers - old_servers):
        emit("servers", f"server {_code(url)} added", rule_server_added(), "")


def _server_urls(spec: _Spec) -> set[str]:
    servers = spec.raw.get("servers") or []
    return {str(s.get("url")) for s in servers if isinstance(s, Mapping) and "url" in s}


# ---------------------------------------------------------------------------
# Entry points.


def diff_specs(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_label: str = "old spec",
    new_label: str = "new spec",
) -> SpecDiff:
    """Compare two parsed OpenAPI 3 documents.

    Args:
        old: the spec a client was built from.
        new: the spec the server now implements.
        old_label: how error messages name ``old`` (a file name, say).
        new_label: how error messages name ``new``.

    Returns:
        Every change, classified and sorted.

    Raises:
        SpecError: a document is not OpenAPI 3 or a reference points nowhere.
    """
    old_spec, new_spec = _Spec(old, old_label), _Spec(new, new_label)
    changes: set[Change] = set()

    def collector(section: str) -> Emit:
        def emit(where: str, what: str, breaking: bool, note: str) -> None:
            changes.add(Change(section, where, what, breaking, note))

        return emit

    _compare_operations(old_spec, new_spec, collector("operations"))
    _compare_components(old_spec, new_spec, collector("schemas"))
    _compare_security(old_spec, new_spec, collector("security"))
    return SpecDiff(
        old_title=old_spec.title,
        old_version=old_spec.version,
        new_title=new_spec.title,
        new_version=new_spec.version,
        changes=tuple(sorted(changes)),
    )


def diff_files(old: Path, new: Path) -> SpecDiff:
    """Compare two spec files (YAML or JSON).

    Raises:
        SpecError: a file is missing or not an OpenAPI 3 document.
    """
    return diff_specs(
        load_spec_file(old), load_spec_file(new), old_label=str(old), new_label=str(new)
    )


def _resolve_argument(value: str) -> Path:
    """Map ``access``/``webform`` to the spec file the lock pins; keep anything else."""
    from .lock import LockError, load_lock  # noqa: PLC0415
    from .paths import raw_path  # noqa: PLC0415

    if Path(value).exists() or value not in ("access", "webform"):
        return Path(value)
    try:
        entry = load_lock().specs[value]
    except (LockError, KeyError) as exc:
        msg = f"{value!r}: the lock names no such spec ({exc})"
        raise SpecError(msg) from exc
    path = raw_path(entry.file)
    if not path.is_file():
        msg = f"{path} is missing: run `nox -s specs` to materialise the pinned specs"
        raise SpecError(msg)
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: print the Markdown report; exit 1 on breaking changes if asked."""
    parser = argparse.ArgumentParser(
        prog="python -m speckit.diff",
        description="Report the API surface change between two versions of an OpenAPI spec.",
    )
    parser.add_argument(
        "old", help="the spec a client was built from (file, or access/webform)"
    )
    parser.add_argument("new", help="the newer spec (file, or access/webform)")
    parser.add_argument(
        "--fail-on-breaking",
        action="store_true",
        help="exit with status 1 when a change is breaking (for CI)",
    )
    parser.add_argument(
        "--output", type=Path, help="also write the report to this file"
    )
    args = parser.parse_args(argv)
    try:
        report = diff_files(_resolve_argument(args.old), _resolve_argument(args.new))
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = report.to_markdown()
    sys.stdout.write(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    if args.fail_on_breaking and report.breaking:
        print(f"spec_diff: {len(report.breaking)} breaking change(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
