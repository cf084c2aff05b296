"""Deterministic JSON instances built from the raw (un-normalised) finAPI specs.

The payload-fidelity tests need, for every response body schema, a JSON value
the schema admits in three shapes:

* ``minimal``: only the required properties, every value non-null;
* ``nulled``: every property present, every nullable one ``null``;
* ``full``: every property present, every value non-null.

No library produced these shapes reliably from OpenAPI 3.0 ``nullable`` and
``allOf`` wrappers, so this module is the builder: a small walker over the raw
schema, written for this project. It resolves ``$ref`` (a component marked
``nullable`` makes every use nullable, as OpenAPI 3.0 reads it), merges
``allOf`` members (``nullable`` on the wrapper counts), picks enum members,
uses a property's ``example`` when it fits the declared type, writes Web Form
date-times the way finAPI sends them (``2022-06-24T10:00:00.000+0000``),
builds arrays with one item (or ``minItems``) and maps with one entry, and
stops a recursive schema after ``max_depth`` visits of one component.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "DATE",
    "DATE_TIME",
    "MAP_KEY",
    "MODES",
    "BuildStats",
    "InstanceBuilder",
    "SchemaError",
]

MODES = ("minimal", "nulled", "full")

#: A Web Form 2.0 date-time as it arrives on the wire (zone without a colon).
DATE_TIME = "2022-06-24T10:00:00.000+0000"
DATE = "2022-06-24"
#: The one key written into a map (``additionalProperties``).
MAP_KEY = "extraKey"
_REF_PREFIX = "#/components/schemas/"
_SCALARS = {"string": str, "integer": int, "number": (int, float), "boolean": bool}


class SchemaError(ValueError):
    """A schema uses a construct the builder cannot turn into an instance."""


class _TooDeep(Exception):
    """A recursive schema reached the depth limit."""


class BuildStats:
    """What one ``build`` call did, so a test can prove it was not vacuous."""

    def __init__(self) -> None:
        self.nulled = 0
        self.omitted = 0
        self.properties = 0

    def __repr__(self) -> str:
        return (
            f"BuildStats(properties={self.properties}, nulled={self.nulled}, "
            f"omitted={self.omitted})"
        )


class InstanceBuilder:
    """Build instances of schemas of one raw OpenAPI 3.0 document.

    Args:
        spec: The raw spec, as ``speckit.normalise.load_spec`` returns it.
        max_depth: How often one component may appear on the path from the
            root before an optional property of it is left out (a nullable
            one becomes ``null``, an array becomes empty).
    """

    def __init__(self, spec: Mapping[str, Any], *, max_depth: int = 2) -> None:
        self._components: Mapping[str, Any] = spec.get("components", {}).get(
            "schemas", {}
        )
        self._max_depth = max_depth

    def build(
        self, schema: Mapping[str, Any], mode: str, stats: BuildStats | None = None
    ) -> Any:
        """Return an instance of ``schema`` in one of the shapes in ``MODES``.

        Args:
            schema: A schema object of the spec (often just a ``$ref``).
            mode: ``minimal``, ``nulled`` or ``full``.
            stats: Filled with counts of properties written, nulled, omitted.

        Returns:
            A JSON-compatible value (dicts, lists, str, int, float, bool, None).

        Raises:
            SchemaError: the schema holds a construct the builder does not know,
                or a required part of it recurses past the depth limit.
        """
        if mode not in MODES:
            msg = f"unknown instance mode {mode!r}; expected one of {MODES}"
            raise SchemaError(msg)
        try:
            return self._value(schema, mode, (), stats or BuildStats())
        except _TooDeep as exc:
            msg = f"a required part of the schema recurses past depth {self._max_depth}"
            raise SchemaError(msg) from exc

    def is_nullable(self, schema: Mapping[str, Any]) -> bool:
        """Tell whether ``schema`` admits ``null`` (directly, via allOf or $ref)."""
        return self._flatten(schema)[1]

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``schema`` with references followed and ``allOf`` merged."""
        return self._flatten(schema)[0]

    def _component(self, ref: str) -> tuple[str, Mapping[str, Any]]:
        if not ref.startswith(_REF_PREFIX):
            msg = f"only local schema references are supported, got {ref!r}"
            raise SchemaError(msg)
        name = ref[len(_REF_PREFIX) :]
        try:
            return name, self._components[name]
        except KeyError:
            msg = f"reference {ref!r} names no component"
            raise SchemaError(msg) from None

    def _flatten(
        self, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], bool, tuple[str, ...]]:
        """Follow ``$ref`` and merge ``allOf``.

        Returns the merged schema, whether any level said ``nullable``, and the
        components passed through (for the recursion limit).
        """
        if "$ref" in schema:
            name, target = self._component(schema["$ref"])
            merged, nullable, refs = self._flatten(target)
            return merged, nullable, (name, *refs)
        for key in ("oneOf", "anyOf", "not"):
            if key in schema:
                msg = f"{key!r} is not used by finAPI's specs and not supported here"
                raise SchemaError(msg)
        nullable = bool(schema.get("nullable"))
        if "allOf" not in schema:
            return dict(schema), nullable, ()
        merged: dict[str, Any] = {}
        refs: tuple[str, ...] = ()
        for member in schema["allOf"]:
            part, part_nullable, part_refs = self._flatten(member)
            nullable = nullable or part_nullable
            refs += part_refs
            _merge_into(merged, part)
        outer = {k: v for k, v in schema.items() if k not in ("allOf", "nullable")}
        _merge_into(merged, outer, keep_typed_examples=True)

        return merged, nullable, refs

    def _value(
        self,
        schema: Mapping[str, Any],
        mode: str,
        path: tuple[str, ...],
        stats: BuildStats,
    ) -> Any:
        flat, _, refs = self._flatten(schema)
        if any(path.count(name) >= self._max_depth for name in refs):
            raise _TooDeep
        path += refs
        kind = _kind(flat)
        if kind == "object":
            return self._object(flat, mode, path, stats)
        if kind == "array":
            return self._array(flat, mode, path, stats)
        if kind == "any":
            return "value"
        return _scalar(flat, kind)

    def _object(
        self,
        flat: Mapping[str, Any],
        mode: str,
        path: tuple[str, ...],
        stats: BuildStats,
    ) -> dict[str, Any]:
        properties: Mapping[str, Any] = flat.get("properties") or {}
        required = list(flat.get("required") or [])
        result: dict[str, Any] = {}
        for name, prop in properties.items():
            is_required = name in required
            if mode == "minimal" and not is_required:
                stats.omitted += 1
                continue
            nullable = self.is_nullable(prop)
            if mode == "nulled" and nullable:
                result[name] = None
                stats.nulled += 1
                stats.properties += 1
                continue
            try:
                result[name] = self._value(prop, mode, path, stats)
            except _TooDeep:
                if not is_required:
                    stats.omitted += 1
                    continue
                if not nullable:
                    raise
                result[name] = None
            stats.properties += 1
        for name in required:
            # finAPI's Web Form Error requires "description" without declaring
            # it; the server sends a string there.
            if name not in properties:
                result[name] = f"{name} text"
                stats.properties += 1
        extra = flat.get("additionalProperties")
        if extra is True or isinstance(extra, Mapping):
            value_schema = extra if isinstance(extra, Mapping) else {}
            result[MAP_KEY] = self._value(value_schema, mode, path, stats)

        return result

    def _array(
        self,
        flat: Mapping[str, Any],
        mode: str,
        path: tuple[str, ...],
        stats: BuildStats,
    ) -> list[Any]:
        items = flat.get("items")
        if not isinstance(items, Mapping):
            msg = f"array schema without an 'items' schema: {dict(flat)!r}"
            raise SchemaError(msg)
        count = max(1, int(flat.get("minItems", 0)))
        if count > 1 and flat.get("uniqueItems"):
            msg = "arrays with uniqueItems and minItems > 1 are not supported"
            raise SchemaError(msg)
        if mode == "nulled" and self.is_nullable(items):
            stats.nulled += count
            return [None] * count
        try:
            item = self._value(items, mode, path, stats)
        except _TooDeep:
            if flat.get("minItems"):
                raise
            return []

        return [item] * count


def _merge_into(
    target: dict[str, Any],
    part: Mapping[str, Any],
    *,
    keep_typed_examples: bool = False,
) -> None:
    """Merge one ``allOf`` member (or the wrapper's own keys) into ``target``."""
    for key, value in part.items():
        if key == "properties":
            target.setdefault("properties", {}).update(value)
        elif key == "required":
            target["required"] = [*target.get("required", []), *value]
        elif key == "example" and keep_typed_examples and "example" in target:
            # The wrapper's example wins only if it fits the member's type;
            # finAPI writes '{}' (a string) as the example of object references.
            if _example_fits(target, value):
                target["example"] = value
        else:
            target[key] = value


def _kind(flat: Mapping[str, Any]) -> str:
    declared = flat.get("type")
    if isinstance(declared, str):
        if declared not in (*_SCALARS, "object", "array"):
            msg = f"unknown schema type {declared!r}"
            raise SchemaError(msg)
        return declared
    if "properties" in flat or "additionalProperties" in flat:
        return "object"
    if "items" in flat:
        return "array"
    if "enum" in flat:
        first = next(v for v in flat["enum"] if v is not None)
        return {str: "string", bool: "boolean", int: "integer"}.get(
            type(first), "number"
        )
    return "any"


def _example_fits(flat: Mapping[str, Any], value: Any) -> bool:
    kind = _kind(flat)
    expected = _SCALARS.get(kind)
    if expected is None or isinstance(value, bool) != (kind == "boolean"):
        return False
    if not isinstance(value, expected):
        return False
    enum = flat.get("enum")
    return enum is None or value in enum


def _scalar(flat: Mapping[str, Any], kind: str) -> Any:
    enum = [v for v in flat.get("enum") or [] if v is not None]
    if enum:
        example = flat.get("example")
        return example if example in enum else enum[0]
    formatted = {"date-time": DATE_TIME, "date": DATE}.get(flat.get("format", ""))
    if kind == "string" and formatted is not None:
        return formatted
    for key in ("example", "default"):
        if key in flat and _example_fits(flat, flat[key]):
            return flat[key]
    return _synthetic(flat, kind)


def _synthetic(flat: Mapping[str, Any], kind: str) -> Any:
    """A value for a scalar with neither an example nor a default."""
    if kind == "string":
        low = int(flat.get("minLength", 1))
        high = int(flat.get("maxLength", max(low, 4)))
        value: Any = ("text" * (low // 4 + 1))[: max(low, min(4, high))]
    elif kind == "integer":
        value = int(flat.get("minimum", 1))
    elif kind == "number":
        value = 1.5
    else:
        value = True

    return value
