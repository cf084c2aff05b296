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

The spec a variant edits need not be the upstream release: after
``speckit update`` adopted a variant, the lock pins the edited spec, and the
tests derive their variants from that. :func:`targets_for` therefore moves
each default to what the given spec allows: a name it does not use yet
(``loyaltyTier2``, ``PENDING_APPROVAL_2``, ``/api/v1/insights2``), the next
operation it still has to remove, the next optional property to make
required, another type for a property that already changed, and the next
API version (``/api/v3/``) for a spec already moved under ``/api/v2/``.
Tests read the names a variant used from :func:`targets_for` of the spec
they edited, never from literals.

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
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
    "targets_for",
    "write_variant",
]

Spec = dict[str, Any]
_SCHEMA_REF = "#/components/schemas/"


@attrs.frozen
class Targets:
    """Where each variant edits one spec.

    Attributes:
        property_schema: The schema that grows a property (new-property).
        property_name: The name of that property.
        enum_schema: The component enum that grows a value (new-enum-value).
        enum_value: The value it grows.
        new_operation_path: The path of the added ``GET`` (new-operation).
        new_operation_id: Its operationId.
        removed_operation: Method and path of the removed operation.
        type_change: Schema, property and the property's new type.
        required_property: Schema and the property made required.
        api_prefix: Where api-v2 moves the token endpoint and the user paths.
    """

    property_schema: str
    property_name: str
    enum_schema: str
    enum_value: str
    new_operation_path: str
    new_operation_id: str
    removed_operation: tuple[str, str]
    type_change: tuple[str, str, str]
    required_property: tuple[str, str]
    api_prefix: str = "/api/v2"


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

#: Operations removed-operation may remove, in order, once the default is gone:
#: test, mock and customisation endpoints that the finAPI workflow never calls.
REMOVABLE: dict[str, tuple[tuple[str, str], ...]] = {
    "access": (
        ("post", "/api/v1/tests/checkCategorization"),
        ("post", "/api/v1/tests/mockBatchUpdate"),
        ("delete", "/api/v1/tppCertificates/{id}"),
        ("delete", "/api/v1/labels/{id}"),
    ),
    "webform": (
        ("delete", "/api/profiles/{id}"),
        ("patch", "/api/profiles/{id}"),
        ("delete", "/api/translations/{id}"),
        ("post", "/api/translations"),
    ),
}
#: The types type-change gives a property, tried in order: the first one that
#: differs from the property's present type wins.
_TYPES = ("integer", "boolean", "string")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


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


def targets_for(spec: Mapping[str, Any]) -> Targets:
    """Return the targets the variants use on ``spec``: the defaults, moved where needed.

    On the upstream spec these are the defaults of :data:`TARGETS`. On a spec
    that already carries a variant's edit (a lock that adopted one), each
    target moves to what that spec allows, so that every variant still makes
    exactly one change:

    - a new property, enum value, path or operationId gets the first name the
      spec does not use: the default, then ``loyaltyTier2``, ``loyaltyTier3``
      ... (``PENDING_APPROVAL_2`` for upper-case values);
    - removed-operation takes the first operation of :data:`REMOVABLE` that
      the spec still has;
    - type-change gives the property the first type of integer, boolean,
      string that differs from its present one;
    - required-added takes the default property, or else the next optional
      one of the same schema in declaration order;
    - api-v2 moves to ``/api/v2``, or to ``/api/v<N+1>`` when the spec's
      ``tokenUrl`` is already under ``/api/v<N>/``.

    A target the spec cannot provide (the schema is missing, nothing is left
    to remove) stays at its default, and the variant then raises.

    Args:
        spec: An Access or Web Form 2.0 spec.

    Returns:
        The targets for that spec.
    """
    kind = kind_of(spec)
    default = TARGETS[kind]
    schemas = spec.get("components", {}).get("schemas", {})
    spec_paths = spec.get("paths", {})

    props = schemas.get(default.property_schema, {}).get("properties", {})
    enum = schemas.get(default.enum_schema, {}).get("enum") or []
    operation_ids = {
        op.get("operationId")
        for item in spec_paths.values()
        for method, op in item.items()
        if method in _METHODS and isinstance(op, dict)
    }
    number = 1
    path, operation_id = default.new_operation_path, default.new_operation_id
    while path in spec_paths or operation_id in operation_ids:
        number += 1
        path = f"{default.new_operation_path}{number}"
        operation_id = f"{default.new_operation_id}{number}"

    return attrs.evolve(
        default,
        property_name=_unused(default.property_name, props),
        enum_value=_unused(default.enum_value, [str(v) for v in enum]),
        new_operation_path=path,
        new_operation_id=operation_id,
        removed_operation=next(
            (
                (method, path)
                for method, path in REMOVABLE[kind]
                if method in spec_paths.get(path, {})
            ),
            default.removed_operation,
        ),
        type_change=_type_change_target(schemas, default.type_change),
        required_property=_required_target(schemas, default.required_property),
        api_prefix=f"/api/v{_api_version(spec) + 1}",
    )


def _unused(base: str, taken: Collection[str]) -> str:
    """Return ``base``, or the first of ``base2``, ``base3`` ... not in ``taken``."""
    separator = "_" if base.isupper() else ""
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}{separator}{number}"
    return name


def _type_change_target(
    schemas: Mapping[str, Any], default: tuple[str, str, str]
) -> tuple[str, str, str]:
    schema, name, new_type = default
    prop = schemas.get(schema, {}).get("properties", {}).get(name)
    if not isinstance(prop, dict) or prop.get("type") != new_type:
        return default
    return schema, name, next(t for t in _TYPES if t != prop.get("type"))


def _required_target(
    schemas: Mapping[str, Any], default: tuple[str, str]
) -> tuple[str, str]:
    schema, name = default
    target = schemas.get(schema, {})
    names = list(target.get("properties", {}))
    if name not in names:
        return default
    start = names.index(name)
    required = set(target.get("required", []))
    for candidate in names[start:] + names[:start]:
        if candidate not in required:
            return schema, candidate
    return default


_OAUTH_PATH = "/oauth/token"
_VERSIONED_TOKEN = re.compile(r"^/api/v(\d+)" + re.escape(_OAUTH_PATH) + "$")


def _token_urls(spec: Mapping[str, Any]) -> list[str]:
    return [
        flow["tokenUrl"]
        for scheme in spec.get("components", {}).get("securitySchemes", {}).values()
        for flow in (scheme.get("flows") or {}).values()
        if isinstance(flow.get("tokenUrl"), str)
    ]


def _api_version(spec: Mapping[str, Any]) -> int:
    """The API version the token endpoint is under: N for ``/api/vN/``, else 1."""
    for url in _token_urls(spec):
        found = _VERSIONED_TOKEN.match(urlsplit(url).path)
        if found:
            return int(found.group(1))
    return 1


def _derive(spec: Mapping[str, Any], suffix: str) -> tuple[Spec, Targets]:
    new = copy.deepcopy(dict(spec))
    new["info"] = dict(new.get("info", {}))
    new["info"]["version"] = f"{new['info'].get('version', '0')}+{suffix}"
    return new, targets_for(spec)


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
    prop.pop("format", None)
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


def api_v2(spec: Mapping[str, Any]) -> Spec:
    """Move the token endpoint and the user paths under ``/api/v2/``.

    Access: ``/oauth/token`` becomes ``/api/v2/oauth/token`` (paths and every
    OAuth flow's ``tokenUrl``), and ``/api/v1/users...`` becomes
    ``/api/v2/users...``; operations keep their ``operationId``, so the
    generated functions keep their names. Web Form 2.0 has no such paths;
    its ``tokenUrl`` (an absolute Access URL) moves the same way.

    On a spec already moved under ``/api/v<N>/`` both move on to
    ``/api/v<N+1>/`` (``targets_for(spec).api_prefix``).
    """
    new, targets = _derive(spec, "api-v2")
    old_version = _api_version(spec)
    old_token = _OAUTH_PATH if old_version == 1 else f"/api/v{old_version}{_OAUTH_PATH}"
    old_users = f"/api/v{old_version}/users"
    new_token = targets.api_prefix + _OAUTH_PATH

    def moved(path: str) -> str:
        if path == old_token:
            return new_token
        if path == old_users or path.startswith(old_users + "/"):
            return targets.api_prefix + path[len(f"/api/v{old_version}") :]
        return path

    new["paths"] = {moved(path): item for path, item in new["paths"].items()}
    for scheme in new.get("components", {}).get("securitySchemes", {}).values():
        for flow in (scheme.get("flows") or {}).values():
            url = flow.get("tokenUrl")
            if isinstance(url, str) and urlsplit(url).path == old_token:
                flow["tokenUrl"] = urlunsplit(urlsplit(url)._replace(path=new_token))
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
