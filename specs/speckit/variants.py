"""Spec variants: the pinned specs with one small edit each, for tests.

Each variant function takes a raw spec (a parsed YAML document, as
:func:`pinned_spec` returns) and returns an edited deep copy; the input is
never changed. The copy's ``info.version`` gets a ``+<variant>`` suffix so a
lock entry and a file name can tell it apart from the pinned version; that
suffix is not an API surface change and the diff report does not list it.

The defaults in :data:`TARGETS` pick, for each spec, a schema or operation
that the finAPI workflow reads, so the variants exercise the tolerant
reading of the generated clients (``User`` and ``WebForm`` grow a property,
``AccountType`` and ``WebFormStatus`` grow a value).

Typical use in a test::

    from speckit import variants

    spec = variants.api_v2(variants.pinned_spec("access"))
    path = variants.write_variant(spec, tmp_path)   # finapi-access-<version>.json

    tree = variants.build_tree(spec, tmp_path)      # regenerate from it (~5 s)
    # tree.generated holds finapi_access built from the variant: put it first on
    # PYTHONPATH of a subprocess to run code against that client.
"""

from __future__ import annotations

import copy
import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from . import paths
from .lock import LockError, load_lock
from .normalise import dump_json, load_spec

__all__ = [
    "TARGETS",
    "VARIANTS",
    "Targets",
    "Variant",
    "VariantTree",
    "api_v2",
    "build_tree",
    "instance_of",
    "kind_of",
    "make_workspace",
    "new_enum_value",
    "new_operation",
    "new_optional_property",
    "pinned_spec",
    "property_type_change",
    "removed_operation",
    "required_added",
    "run_speckit",
    "write_variant",
]

Spec = dict[str, Any]
_SCHEMA_REF = "#/components/schemas/"


@attrs.frozen
class Targets:
    """Where each variant edits one spec."""

    property_schema: str
    property_name: str
    enum_schema: str
    enum_value: str
    new_operation_path: str
    new_operation_id: str
    removed_operation: tuple[str, str]
    type_change: tuple[str, str, str]
    required_property: tuple[str, str]


TARGETS: dict[str, Targets] = {
    "access": Targets(
        property_schema="User",
        property_name="loyaltyTier",
        enum_schema="AccountType",
        enum_value="CryptoWallet",
        new_operation_path="/api/v1/insights",
        new_operation_id="getInsights",
        removed_operation=("post", "/api/v1/tests/checkCategorization"),
        type_change=("User", "phone", "integer"),
        required_property=("UserCreateParams", "email"),
    ),
    "webform": Targets(
        property_schema="WebForm",
        property_name="channel",
        enum_schema="WebFormStatus",
        enum_value="PENDING_APPROVAL",
        new_operation_path="/api/webForms/{id}/events",
        new_operation_id="getWebFormEvents",
        removed_operation=("delete", "/api/profiles/{id}"),
        type_change=("Profile", "label", "integer"),
        required_property=("BankConnectionImportDetails", "bankConnectionName"),
    ),
}


def kind_of(spec: Mapping[str, Any]) -> str:
    """Tell ``access`` from ``webform`` by the spec's title.

    Raises:
        ValueError: the title names neither product.
    """
    title = str(spec.get("info", {}).get("title", ""))
    if "web form" in title.lower():
        return "webform"
    if "access" in title.lower():
        return "access"
    msg = f"spec titled {title!r} is neither finAPI Access nor Web Form 2.0"
    raise ValueError(msg)


@functools.lru_cache(maxsize=4)
def _pinned(kind: str) -> Spec:
    lock = load_lock()
    try:
        entry = lock.specs[kind]
    except KeyError:
        msg = f"the lock pins no spec of kind {kind!r} (known: {', '.join(lock.specs)})"
        raise LockError(msg) from None
    path = paths.raw_path(entry.file)
    if not path.is_file():
        mirror = paths.default_mirror()
        if mirror is None or not (mirror / entry.file).is_file():
            msg = f"{entry.file} is neither in specs/ nor in a mirror folder: run `nox -s specs`"
            raise LockError(msg)
        path = mirror / entry.file
    return load_spec(path)


def pinned_spec(kind: str) -> Spec:
    """Return a fresh copy of the raw spec the lock pins (``access`` or ``webform``).

    Raises:
        LockError: the lock has no such kind, or the file is nowhere to be found.
    """
    return copy.deepcopy(_pinned(kind))


def _derive(spec: Mapping[str, Any], suffix: str) -> tuple[Spec, Targets]:
    new = copy.deepcopy(dict(spec))
    new["info"] = dict(new.get("info", {}))
    new["info"]["version"] = f"{new['info'].get('version', '0')}+{suffix}"
    return new, TARGETS[kind_of(spec)]


def _schema(spec: Spec, name: str) -> dict[str, Any]:
    try:
        schema = spec["components"]["schemas"][name]
    except KeyError:
        msg = f"the spec has no component schema {name!r}"
        raise KeyError(msg) from None
    if not isinstance(schema, dict):
        msg = f"component schema {name!r} is not a mapping"
        raise TypeError(msg)
    return schema


def new_optional_property(
    spec: Mapping[str, Any], schema: str | None = None, name: str | None = None
) -> Spec:
    """Add an optional string property to a response schema (``User`` / ``WebForm``)."""
    new, targets = _derive(spec, "new-property")
    schema = schema or targets.property_schema
    name = name or targets.property_name
    properties = _schema(new, schema).setdefault("properties", {})
    if name in properties:
        msg = f"{schema} already has a property {name!r}"
        raise ValueError(msg)
    properties[name] = {
        "type": "string",
        "description": "Added by a newer finAPI release.",
    }
    return new


def new_enum_value(
    spec: Mapping[str, Any], schema: str | None = None, value: str | None = None
) -> Spec:
    """Append a value to a component enum (``AccountType`` / ``WebFormStatus``)."""
    new, targets = _derive(spec, "new-enum-value")
    schema = schema or targets.enum_schema
    value = value or targets.enum_value
    target = _schema(new, schema)
    if not isinstance(target.get("enum"), list) or value in target["enum"]:
        msg = f"{schema} is not an enum, or already lists {value!r}"
        raise ValueError(msg)
    target["enum"] = [*target["enum"], value]
    return new


def new_operation(spec: Mapping[str, Any]) -> Spec:
    """Add ``GET`` on a new path, answering 200 with a small inline object."""
    new, targets = _derive(spec, "new-operation")
    path = targets.new_operation_path
    if path in new["paths"]:
        msg = f"the spec already has the path {path}"
        raise ValueError(msg)
    operation: dict[str, Any] = {
        "operationId": targets.new_operation_id,
        "summary": "Added by a newer finAPI release",
        "tags": ["Variant"],
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "string"},
                                "count": {"type": "integer", "format": "int32"},
                            },
                            "required": ["id"],
                        }
                    }
                },
            }
        },
    }
    if "{id}" in path:
        operation["parameters"] = [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ]
    security = _first_operation_security(new)
    if security is not None:
        operation["security"] = security
    new["paths"][path] = {"get": operation}
    return new


def _first_operation_security(spec: Spec) -> list[Any] | None:
    for item in spec["paths"].values():
        for op in item.values():
            security = op.get("security") if isinstance(op, dict) else None
            if isinstance(security, list):
                return copy.deepcopy(security)
    return None


def removed_operation(spec: Mapping[str, Any]) -> Spec:
    """Remove one operation nobody in the workflow calls (a test or profile endpoint)."""
    new, targets = _derive(spec, "removed-operation")
    method, path = targets.removed_operation
    item = new["paths"].get(path)
    if not isinstance(item, dict) or method not in item:
        msg = f"the spec has no operation {method.upper()} {path}"
        raise ValueError(msg)
    del item[method]
    if not any(
        k in item for k in ("get", "put", "post", "delete", "patch", "head", "options")
    ):
        del new["paths"][path]
    return new


def property_type_change(spec: Mapping[str, Any]) -> Spec:
    """Change one property's type (``User.phone`` / ``Profile.label`` become integers)."""
    new, targets = _derive(spec, "type-change")
    schema, name, new_type = targets.type_change
    prop = _schema(new, schema).get("properties", {}).get(name)
    if not isinstance(prop, dict) or prop.get("type") == new_type:
        msg = f"{schema}.{name} is missing or already of type {new_type}"
        raise ValueError(msg)
    prop["type"] = new_type
    prop.pop("example", None)
    if new_type == "integer":
        prop["format"] = "int64"
    return new


def required_added(spec: Mapping[str, Any]) -> Spec:
    """Make an optional request property required (``UserCreateParams.email`` / ...)."""
    new, targets = _derive(spec, "required-added")
    schema, name = targets.required_property
    target = _schema(new, schema)
    required = list(target.get("required", []))
    if name not in target.get("properties", {}) or name in required:
        msg = f"{schema}.{name} is missing or already required"
        raise ValueError(msg)
    target["required"] = sorted([*required, name])
    return new


_OAUTH_PATH = "/oauth/token"
_V2 = "/api/v2"


def _v2_path(path: str) -> str:
    if path == _OAUTH_PATH:
        return _V2 + path
    if path == "/api/v1/users" or path.startswith("/api/v1/users/"):
        return _V2 + path[len("/api/v1") :]
    return path


def api_v2(spec: Mapping[str, Any]) -> Spec:
    """Move the token endpoint and the user paths under ``/api/v2/``.

    Access: ``/oauth/token`` becomes ``/api/v2/oauth/token`` (paths and every
    OAuth flow's ``tokenUrl``), and ``/api/v1/users...`` becomes
    ``/api/v2/users...``; operations keep their ``operationId``, so the
    generated functions keep their names. Web Form 2.0 has no such paths;
    its ``tokenUrl`` (an absolute Access URL) moves the same way.
    """
    new, _ = _derive(spec, "api-v2")
    new["paths"] = {_v2_path(path): item for path, item in new["paths"].items()}
    for scheme in new.get("components", {}).get("securitySchemes", {}).values():
        for flow in (scheme.get("flows") or {}).values():
            url = flow.get("tokenUrl")
            if isinstance(url, str) and url.endswith(_OAUTH_PATH) and _V2 not in url:
                flow["tokenUrl"] = url[: -len(_OAUTH_PATH)] + _V2 + _OAUTH_PATH
    return new


@attrs.frozen
class Variant:
    """A named edit and the kinds of spec it applies to."""

    name: str
    make: Callable[[Mapping[str, Any]], Spec]
    kinds: tuple[str, ...]

    def of(self, kind: str) -> Spec:
        """Apply the edit to the pinned spec of one kind."""
        return self.make(pinned_spec(kind))


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("new-property", new_optional_property, ("access", "webform")),
        Variant("new-enum-value", new_enum_value, ("access", "webform")),
        Variant("new-operation", new_operation, ("access", "webform")),
        Variant("removed-operation", removed_operation, ("access", "webform")),
        Variant("type-change", property_type_change, ("access", "webform")),
        Variant("required-added", required_added, ("access", "webform")),
        Variant("api-v2", api_v2, ("access",)),
    )
}


def write_variant(spec: Mapping[str, Any], folder: Path) -> Path:
    """Write a spec as ``finapi-<kind>-<version>.json`` into ``folder``; return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    version = str(spec["info"]["version"])
    path = folder / f"finapi-{kind_of(spec)}-{version}.json"
    path.write_text(dump_json(dict(spec)), encoding="utf-8")
    return path


def instance_of(spec: Mapping[str, Any], schema: Any, _depth: int = 0) -> Any:
    """Build a small value that the schema accepts, preferring the spec's examples.

    Meant for test payloads: required properties only (plus every property
    when the schema's own example gives it), the first enum value, and an
    example or a plain value of the right type otherwise.

    Args:
        spec: the document that ``$ref`` values point into.
        schema: a schema, or the name of a component schema.

    Returns:
        A JSON-compatible value.
    """
    if isinstance(schema, str):
        schema = _schema(dict(spec), schema)
    if _depth > 12:
        msg = "schema nests deeper than 12 levels; give the value by hand"
        raise ValueError(msg)
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(_SCHEMA_REF)
        return instance_of(spec, _schema(dict(spec), name), _depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        members = [m for m in schema.get(keyword, []) if m.get("type") != "null"]
        if members:
            return instance_of(spec, members[0], _depth + 1)
    kind = schema.get("type")
    if "enum" not in schema and (kind == "object" or "properties" in schema):
        required = schema.get("required", [])
        return {
            name: instance_of(spec, prop, _depth + 1)
            for name, prop in schema.get("properties", {}).items()
            if name in required
        }
    if kind == "array":
        return [instance_of(spec, schema.get("items", {}), _depth + 1)]
    return _scalar(schema)


_PLAIN = {
    "integer": 1,
    "number": 1.5,
    "boolean": True,
    "date-time": "2026-01-02T03:04:05.000+0000",
    "date": "2026-01-02",
}


def _scalar(schema: Mapping[str, Any]) -> Any:
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    key = schema.get("format") if schema.get("type") == "string" else schema.get("type")
    return _PLAIN.get(str(key), "text")


def make_workspace(root: Path) -> Path:
    """Copy the spec tooling, the lock and the pinned spec files into ``root/specs``.

    ``python -m speckit`` run with that folder on ``PYTHONPATH`` reads and
    writes only the copy (and ``root/generated``), never the real tree.
    """
    specs = root / "specs"
    specs.mkdir(parents=True)
    for folder in ("speckit", "templates", "generator"):
        shutil.copytree(
            paths.SPECS_DIR / folder,
            specs / folder,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    shutil.copyfile(paths.LOCK_FILE, specs / "lock.json")
    for entry in load_lock().specs.values():
        shutil.copyfile(_pinned_path(entry.file), specs / entry.file)
    return specs


def _pinned_path(file_name: str) -> Path:
    path = paths.raw_path(file_name)
    mirror = paths.default_mirror()
    if not path.is_file() and mirror is not None and (mirror / file_name).is_file():
        return mirror / file_name
    return path


def run_speckit(specs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m speckit ARGS`` from a workspace made by :func:`make_workspace`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "FINAPI_SPECS_DIR")
    }
    env["PYTHONPATH"] = str(specs)
    return subprocess.run(
        [sys.executable, "-m", "speckit", *args],
        cwd=specs.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@attrs.frozen
class VariantTree:
    """A private tree where a variant was adopted with ``speckit update``."""

    specs: Path
    generated: Path
    source: Path
    process: subprocess.CompletedProcess[str]


def build_tree(
    spec: Mapping[str, Any], root: Path, *, check: bool = True
) -> VariantTree:
    """Adopt ``spec`` in a copy of ``specs/`` under ``root`` and regenerate its client.

    Only the package of the variant's kind is generated (into
    ``root/repo/generated``); it needs openapi-python-client and ruff installed
    (``nox -s tests`` installs both).

    Raises:
        RuntimeError: ``check`` is True and the update failed or warned; the
            message holds the command's error output.
    """
    specs = make_workspace(root / "repo")
    source = write_variant(spec, root / "incoming")
    process = run_speckit(specs, "update", "--from", str(source))
    if check and process.returncode != 0:
        msg = (
            f"speckit update failed with status {process.returncode}:\n{process.stderr}"
        )
        raise RuntimeError(msg)
    return VariantTree(specs, specs.parent / "generated", source, process)
