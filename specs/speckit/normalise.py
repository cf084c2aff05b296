"""Normalisation: turn a raw finAPI spec into the spec the generator reads.

Each rule is a function that rewrites the spec in place and returns how many
places it changed. The raw spec is never edited; the normalised copy is
written next to it and shipped inside the generated package. Every rule
names the finAPI construct it exists for and has a unit test on a tiny
fragment in ``tests/specs/test_normalise.py``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["RULES", "Rule", "dump_json", "load_spec", "normalise", "normalise_file"]

Spec = dict[str, Any]
Rule = Callable[[Spec], int]

_NULL = {"type": "null"}
_SCHEMA_REF = "#/components/schemas/"


def _walk_schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every dict below ``node`` (schemas and everything else), depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            stack.extend(reversed(current))


def use_openapi_31(spec: Spec) -> int:
    """Declare the spec as OpenAPI 3.1 so that ``{type: 'null'}`` is allowed.

    finAPI publishes 3.0.1. The generator reads ``nullable: true`` in both
    versions, but only 3.1 lets a union name ``null`` as one of its members,
    which the rules below need. Nothing else in finAPI's specs reads
    differently under 3.1 (they use no boolean ``exclusiveMinimum`` and no
    ``example`` keyword inside ``schema`` objects that 3.1 rejects).
    """
    if str(spec.get("openapi", "")).startswith("3.1"):
        return 0
    spec["openapi"] = "3.1.0"
    return 1


def optional_nullable_in_errors(spec: Spec) -> int:
    """Let error bodies leave out the fields they declare required but nullable.

    finAPI's Access errors arrive as ``{"errors": [{"message", "code",
    "type"}], ...}``: ``ErrorDetails.multiStepAuthentication`` (and the
    nullable ``message`` and ``ErrorMessage.bank``) are often missing,
    though the spec calls them required. A client must read an error whatever
    it lacks, so in every schema reachable from a 4xx or 5xx response such a
    property becomes optional. Success bodies are left as declared.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    pending = [
        name
        for item in spec.get("paths", {}).values()
        for op in (item.values() if isinstance(item, dict) else [])
        if isinstance(op, dict)
        for status, response in (op.get("responses") or {}).items()
        if str(status)[:1] in ("4", "5") and isinstance(response, dict)
        for name in _referenced_schemas(response)
    ]
    seen: set[str] = set()
    changed = 0
    while pending:
        name = pending.pop()
        schema = schemas.get(name)
        if name in seen or not isinstance(schema, dict):
            continue
        seen.add(name)
        pending.extend(_referenced_schemas(schema))
        required = schema.get("required") or []
        props = schema.get("properties") or {}
        keep = [p for p in required if not (props.get(p) or {}).get("nullable")]
        if len(keep) != len(required):
            changed += len(required) - len(keep)
            schema["required"] = keep
    return changed


def _referenced_schemas(node: Any) -> list[str]:
    return [
        ref[len(_SCHEMA_REF) :]
        for sub in _walk_schemas(node)
        if isinstance(ref := sub.get("$ref"), str) and ref.startswith(_SCHEMA_REF)
    ]


def nullable_allof_ref(spec: Spec) -> int:
    """Rewrite ``allOf: [$ref] + nullable: true`` as ``anyOf: [$ref, null]``.

    finAPI marks optional sub-objects this way, for example
    ``Transaction.category`` (``null`` until the transaction is categorised)
    or ``Account.accountType``. The generator ignores ``nullable`` next to
    ``allOf`` and raises on the ``null`` finAPI sends.
    """
    changed = 0
    for node in _walk_schemas(spec):
        all_of = node.get("allOf")
        if not node.get("nullable") or not isinstance(all_of, list) or len(all_of) != 1:
            continue
        node["anyOf"] = [all_of[0], dict(_NULL)]
        del node["allOf"]
        del node["nullable"]
        node.pop("type", None)
        changed += 1
    return changed


def nullable_inline_enum(spec: Spec) -> int:
    """Rewrite an inline ``enum`` with ``nullable: true`` as ``anyOf: [enum, null]``.

    Web Form 2.0 declares fields such as ``Payload.errorCode`` this way and
    sends ``null`` while a form has no error. The generator builds the enum
    class but calls it on ``null``. The enum keeps the property's name as its
    title, so the class keeps the name it has without the rule.
    """
    changed = 0
    for props in _property_maps(spec):
        for name, prop in props.items():
            if (
                not isinstance(prop, dict)
                or "enum" not in prop
                or not prop.get("nullable")
            ):
                continue
            member = {
                k: v
                for k, v in prop.items()
                if k not in ("nullable", "description", "example")
            }
            member["enum"] = [v for v in member["enum"] if v is not None]
            member["title"] = name
            replacement = {"anyOf": [member, dict(_NULL)]}
            for key in ("description", "example"):
                if key in prop:
                    replacement[key] = prop[key]
            props[name] = replacement
            changed += 1
    return changed


def nullable_component_refs(spec: Spec) -> int:
    """Move ``nullable`` from a component to the properties that reference it.

    Web Form 2.0 marks whole components nullable (``CountryCode``, ``Sender``,
    ``Callbacks``...). The generator drops that flag when the component is
    used through ``$ref`` and then raises on ``null``. Each property or array
    item that points at such a component becomes ``anyOf: [$ref, null]``;
    request and response bodies keep the plain reference.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    nullable = {
        name
        for name, schema in schemas.items()
        if isinstance(schema, dict) and schema.get("nullable")
    }
    if not nullable:
        return 0
    changed = 0
    for name in sorted(nullable):
        del schemas[name]["nullable"]
    refs = {_SCHEMA_REF + name for name in nullable}

    def wrap(holder: dict[str, Any], key: str) -> None:
        nonlocal changed
        target = holder[key]
        if isinstance(target, dict) and target.get("$ref") in refs and len(target) == 1:
            holder[key] = {"anyOf": [target, dict(_NULL)]}
            changed += 1

    for props in _property_maps(spec):
        for prop_name in list(props):
            wrap(props, prop_name)
    for node in _walk_schemas(spec):
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            wrap(node, "items")
    return changed


def disambiguate_inline_models(spec: Spec) -> int:
    """Rename an inline object whose generated class name collides with a component.

    finAPI's ``NotificationRule.params`` is an inline map; the generator names
    its class ``NotificationRuleParams``, which is already the component for
    the request body, and drops ``NotificationRule``, ``NotificationRuleList``
    and three responses. The inline object gets the title ``<prop>Map`` (class
    ``NotificationRuleParamsMap``); nothing on the wire changes.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    taken = {_class_name(name) for name in schemas}
    changed = 0
    for parent, schema in schemas.items():
        for prop_name, prop in (schema.get("properties") or {}).items():
            if not _is_inline_object(prop) or "title" in prop:
                continue
            if _class_name(parent + "_" + prop_name) in taken:
                prop["title"] = prop_name + "Map"
                changed += 1
    return changed


RULES: tuple[Rule, ...] = (
    use_openapi_31,
    optional_nullable_in_errors,
    nullable_allof_ref,
    nullable_inline_enum,
    nullable_component_refs,
    disambiguate_inline_models,
)


def normalise(raw: Spec) -> tuple[Spec, dict[str, int]]:
    """Apply every rule to a copy of ``raw``; return it and each rule's count."""
    spec = copy.deepcopy(raw)
    counts = {rule.__name__: rule(spec) for rule in RULES}
    return spec, counts


def _is_inline_object(schema: Any) -> bool:
    """True for an object schema written in place (not a reference or a union)."""
    return (
        isinstance(schema, dict)
        and schema.get("type") == "object"
        and not any(key in schema for key in ("$ref", "allOf", "anyOf", "oneOf"))
    )


def _property_maps(spec: Spec) -> Iterator[dict[str, Any]]:
    for node in _walk_schemas(spec):
        props = node.get("properties")
        if isinstance(props, dict) and (
            node.get("type") == "object" or "properties" in node
        ):
            yield props


def _class_name(name: str) -> str:
    """Approximate the generator's class naming: words joined in PascalCase."""
    words = re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", name)
    return "".join(w[:1].upper() + w[1:].lower() for w in words if w)


def load_spec(path: Path) -> Spec:
    """Read a YAML or JSON spec file.

    Raises:
        ValueError: the file is not a YAML/JSON mapping with an ``openapi`` key.
    """
    import yaml  # noqa: PLC0415 - only the tooling needs PyYAML

    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_string_timestamp_loader())  # noqa: S506 - safe

    except yaml.YAMLError as exc:
        msg = f"{path} is not valid YAML or JSON: {exc}"
        raise ValueError(msg) from exc
    if not isinstance(data, dict) or "openapi" not in data or "paths" not in data:
        msg = f"{path} is not an OpenAPI document (no 'openapi' and 'paths' keys)"
        raise ValueError(msg)
    return data


def _string_timestamp_loader() -> Any:
    """A safe YAML loader that keeps timestamps as the strings the spec wrote.

    finAPI's examples hold date-times; JSON has no such type and the
    generator expects strings.
    """
    import yaml  # noqa: PLC0415

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc,valid-type]
        pass

    Loader.yaml_implicit_resolvers = {
        first: [
            (tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"
        ]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return Loader


def dump_json(spec: Spec) -> str:
    """Serialise a spec the same way every time (sorted keys, fixed indent)."""
    return json.dumps(spec, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def normalise_file(raw_path: Path, out_path: Path) -> dict[str, int]:
    """Normalise one spec file into ``out_path`` (JSON); return the rule counts."""
    spec, counts = normalise(load_spec(raw_path))
    out_path.write_text(dump_json(spec), encoding="utf-8")
    return counts
