"""Build spec-shaped bodies and read typed parameters, driven by the served spec."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from ._wire import ApiError, Ctx

__all__ = ["SchemaTools"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


class SchemaTools:
    """Resolve references, fill objects from schemas, parse parameters."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        """Bind to one spec.

        Args:
            spec: The OpenAPI document (3.0 with ``nullable`` or 3.1 with ``null``).
        """
        self.spec = spec
        self.schemas: Mapping[str, Any] = spec.get("components", {}).get("schemas", {})

    def resolve(self, node: Any) -> Any:
        """Follow ``$ref`` until a concrete node is reached.

        Args:
            node: A schema, parameter or other node.

        Returns:
            The node it refers to.
        """
        seen = 0
        while isinstance(node, Mapping) and "$ref" in node and seen < 32:
            target: Any = self.spec
            for part in str(node["$ref"]).lstrip("#/").split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
            node = target
            seen += 1
        return node

    def _branches(self, schema: Mapping[str, Any]) -> list[Any]:
        return [self.resolve(s) for s in schema.get("anyOf", schema.get("oneOf", []))]

    def nullable(self, schema: Any) -> bool:
        """Return whether a schema admits ``null``.

        Args:
            schema: The schema (not resolved).
        """
        if not isinstance(schema, Mapping):
            return False
        if schema.get("nullable") is True:
            return True
        kind = schema.get("type")
        if kind == "null" or (isinstance(kind, list) and "null" in kind):
            return True
        return any(
            isinstance(b, Mapping) and b.get("type") == "null"
            for b in self._branches(schema)
        )

    def _concrete(self, schema: Any) -> Mapping[str, Any]:
        schema = self.resolve(schema)
        if not isinstance(schema, Mapping):
            return {}
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(key, []):
                resolved = self.resolve(branch)
                if isinstance(resolved, Mapping) and resolved.get("type") != "null":
                    merged = dict(resolved)
                    merged.update(
                        {
                            k: v
                            for k, v in schema.items()
                            if k not in ("allOf", "anyOf", "oneOf")
                        }
                    )
                    return (
                        self._concrete(merged)
                        if any(k in merged for k in ("allOf", "anyOf", "oneOf", "$ref"))
                        else merged
                    )
        return schema

    def make(self, schema: Any, values: Mapping[str, Any] | None = None) -> Any:  # noqa: PLR0911 - one return per JSON type
        """Build a value for a schema: given values win, required fields get defaults.

        Nullable required fields default to ``null`` (as finAPI sends them);
        others to the first enum value, 0, false, ``""``, ``[]`` or a nested object.

        Args:
            schema: A schema or the name of a component schema.
            values: Properties to set (objects only).

        Returns:
            The value.
        """
        if isinstance(schema, str):
            schema = self.schemas[schema]
        node = self._concrete(schema)
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or "properties" in node:
            out: dict[str, Any] = {}
            props: Mapping[str, Any] = node.get("properties", {})
            given = dict(values or {})
            for name in node.get("required", []):
                if name in given:
                    continue
                prop = props.get(name, {})
                out[name] = (
                    None
                    if self.nullable(prop) or self.nullable(self.resolve(prop))
                    else self.make(prop)
                )
            out.update(given)
            return out
        if "enum" in node:
            return node["enum"][0]
        if "default" in node:
            return node["default"]
        if kind == "array":
            return []
        if kind == "integer":
            return int(node.get("minimum", 0))
        if kind == "number":
            return float(node.get("minimum", 0))
        if kind == "boolean":
            return False
        return ""

    # -- validation of request bodies ---------------------------------------------------

    def check(  # noqa: PLR0912 - one branch per JSON Schema keyword
        self, schema: Any, value: Any, where: str = ""
    ) -> list[tuple[str, str]]:
        """Validate a JSON value against a schema (the subset finAPI's specs use).

        Args:
            schema: A schema or the name of a component schema.
            value: The value.
            where: The field path so far, for messages.

        Returns:
            (field, message) pairs; empty when the value fits.
        """
        if isinstance(schema, str):
            schema = self.schemas[schema]
        raw = self.resolve(schema)
        if value is None:
            return (
                []
                if self.nullable(raw) or self.nullable(schema)
                else [(where or "body", "must not be null")]
            )
        node = self._concrete(raw)
        field = where or "body"
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        problems: list[tuple[str, str]] = []
        type_ok = {
            "object": isinstance(value, dict),
            "array": isinstance(value, list),
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
        }
        if kind in type_ok and not type_ok[kind]:
            return [(field, f"must be of type {kind}")]
        if "enum" in node and value not in node["enum"]:
            return [(field, "has an illegal value")]
        if isinstance(value, dict):
            props: Mapping[str, Any] = node.get("properties", {})
            problems += [
                (f"{where}.{n}" if where else n, "must not be null")
                for n in node.get("required", [])
                if n not in value
            ]
            for name, item in value.items():
                if name in props:
                    problems += self.check(
                        props[name], item, f"{where}.{name}" if where else name
                    )
        elif isinstance(value, list):
            if len(value) < node.get("minItems", 0) or len(value) > node.get(
                "maxItems", len(value)
            ):
                problems.append((field, "has an illegal number of items"))
            if node.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
                problems.append((field, "must not contain duplicates"))
            for i, item in enumerate(value):
                problems += self.check(node.get("items", {}), item, f"{field}[{i}]")
        elif isinstance(value, str):
            if (
                not node.get("minLength", 0)
                <= len(value)
                <= node.get("maxLength", len(value))
            ):
                problems.append((field, "has an illegal length"))
            elif "pattern" in node and not re.search(node["pattern"], value):
                problems.append((field, "has an illegal format"))
            elif node.get("format") == "date" and not _is_date(value):
                problems.append((field, "must be a date like 2024-01-31"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in node and value < node["minimum"]:
                problems.append((field, f"must be at least {node['minimum']}"))
            if "maximum" in node and value > node["maximum"]:
                problems.append((field, f"must be at most {node['maximum']}"))
            if node.get("format") == "int32" and not -(2**31) <= value < 2**31:
                problems.append((field, "is out of range"))
            if node.get("format") == "int64" and not -(2**63) <= value < 2**63:
                problems.append((field, "is out of range"))
        return problems

    # -- parameters ---------------------------------------------------------------

    def parameters(self, ctx: Ctx) -> dict[str, Any]:
        """Read the query and path parameters of a request, typed by the spec.

        Args:
            ctx: The request.

        Returns:
            Parameter name to value; absent ones get the spec's default or None.

        Raises:
            ApiError: A value does not fit its schema (400).
        """
        out: dict[str, Any] = {}
        for raw_param in ctx.operation.definition.get("parameters", []):
            param = self.resolve(raw_param)
            where, name = param.get("in"), param.get("name")
            if where not in ("query", "path") or not isinstance(name, str):
                continue
            schema = self._concrete(param.get("schema", {}))
            if where == "path":
                texts = [ctx.path_params.get(name, "")]
            else:
                texts = [v for k, v in ctx.query if k == name]
            if not texts:
                if param.get("required"):
                    raise ApiError(
                        400, "BAD_REQUEST", f"Required parameter {name} is missing."
                    )
                out[name] = self._default(schema)
                continue
            out[name] = self._typed(name, schema, texts)
        return out

    def _default(self, schema: Mapping[str, Any]) -> Any:
        if "default" in schema:
            return schema["default"]
        return [] if schema.get("type") == "array" else None

    def _typed(self, name: str, schema: Mapping[str, Any], texts: list[str]) -> Any:
        if schema.get("type") == "array":
            items = self._concrete(schema.get("items", {}))
            values = [part for text in texts for part in text.split(",") if part != ""]
            if "maxItems" in schema and len(values) > schema["maxItems"]:
                raise ApiError(
                    400, "TOO_MANY_IDS", f"Parameter {name} has too many values."
                )
            return [self._scalar(name, items, v) for v in values]
        return self._scalar(name, schema, texts[-1])

    @staticmethod
    def _scalar(name: str, schema: Mapping[str, Any], text: str) -> Any:  # noqa: PLR0912 - one branch per type
        kind = schema.get("type")
        value: Any
        if kind == "integer":
            try:
                value = int(text)
            except ValueError:
                value = None
            if (
                value is None
                or (schema.get("format") == "int32" and not -(2**31) <= value < 2**31)
                or not -(2**63) <= value < 2**63
            ):
                raise ApiError(
                    400, "BAD_REQUEST", f"Parameter {name} must be an integer."
                )
        elif kind == "number":
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise ApiError(
                    400, "BAD_REQUEST", f"Parameter {name} must be a number."
                )
        elif kind == "boolean":
            if text not in ("true", "false"):
                raise ApiError(
                    400, "BAD_REQUEST", f"Parameter {name} must be true or false."
                )
            value = text == "true"
        else:
            value = text
            if "enum" in schema and text not in schema["enum"]:
                raise ApiError(
                    400, "BAD_REQUEST", f"Parameter {name} has an illegal value."
                )
            if "pattern" in schema and not re.search(schema["pattern"], text):
                raise ApiError(
                    400, "BAD_REQUEST", f"Parameter {name} has an illegal format."
                )
            if "maxLength" in schema and len(text) > schema["maxLength"]:
                raise ApiError(400, "BAD_REQUEST", f"Parameter {name} is too long.")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                raise ApiError(
                    400,
                    "BAD_REQUEST",
                    f"Parameter {name} must be at least {schema['minimum']}.",
                )
            if "maximum" in schema and value > schema["maximum"]:
                raise ApiError(
                    400,
                    "BAD_REQUEST",
                    f"Parameter {name} must be at most {schema['maximum']}.",
                )
        return value
