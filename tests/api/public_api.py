"""Record the public API of ``finapi`` and check the live package against the record.

The API is read from the source with griffe (static analysis, nothing is
imported): every name in ``finapi.__all__``; for a class its bases and its
public members, inherited ones included (names without a leading underscore,
plus ``__init__`` and the dunders of the protocols a user relies on, such as
``__enter__`` or ``__aiter__``); for a function or method its labels (async,
classmethod, ...), each parameter's name, kind, annotation and default, and
its return annotation; for an attribute its annotation and, for module
constants and class-level defaults, its value.

A public attribute of an exported class must be annotated where it is
assigned (``self.webforms: WebForms = ...``) unless it has a recorded value:
otherwise the record would hold its name only and a change of its type would
go unseen, so :func:`load_api` refuses the package and names the attribute.

The record is ``tests/api/public_api.json``. ``tests/api/test_public_api.py``
fails when the live API differs from it, listing each difference with its
verdict for a caller of the recorded API:

- ``breaking``: a caller's code may stop working (a name, member or
  parameter removed or renamed, a parameter made required or moved, a kind,
  label, default or constant value changed);
- ``review``: a type annotation changed, which may or may not break callers;
- ``compatible``: an addition (a name, a member, an optional parameter).

Every difference fails the check, since the record must follow intended
changes only. Re-record after an intended change::

    nox -s public_api -- --update
    python tests/api/public_api.py --update      # the same, in any environment with griffe

``--source DIR`` reads the package from another folder (``DIR/finapi``) and
``--record FILE`` uses another record; both exist for the tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import griffe

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "facade"
PACKAGE = "finapi"
RECORD = Path(__file__).resolve().with_name("public_api.json")
UPDATE_COMMAND = "nox -s public_api -- --update"

#: Dunder methods that are part of how callers use an object.
PROTOCOL_DUNDERS = frozenset(
    {
        "__init__",
        "__call__",
        "__enter__",
        "__exit__",
        "__aenter__",
        "__aexit__",
        "__iter__",
        "__next__",
        "__aiter__",
        "__anext__",
        "__await__",
        "__len__",
        "__contains__",
        "__getitem__",
        "__setitem__",
        "__delitem__",
        "__bool__",
    }
)

#: Labels griffe gives that say nothing about the API a caller sees.
_IGNORED_LABELS = frozenset({"module-attribute", "instance-attribute"})

BREAKING = "breaking"
REVIEW = "review"
COMPATIBLE = "compatible"


class PublicAPIError(Exception):
    """The package or the record cannot be read."""


@dataclasses.dataclass(frozen=True)
class Difference:
    """One change between the recorded and the live API."""

    where: str
    what: str
    verdict: str

    def __str__(self) -> str:
        return f"{self.verdict:<10}  {self.where}: {self.what}"


# -- reading the live API ------------------------------------------------------------


def load_api(source: Path = SOURCE, package: str = PACKAGE) -> dict[str, Any]:
    """Describe the public API of ``package`` found in the folder ``source``.

    Args:
        source: The folder that holds the package folder.
        package: The package name.

    Returns:
        ``{"package": ..., "names": {name: description}}``, JSON-compatible.

    Raises:
        PublicAPIError: The package is missing, has no static ``__all__``,
            exports a name that does not resolve, or an exported class has a
            public attribute with neither annotation nor value.
    """
    if not (source / package / "__init__.py").is_file():
        msg = f"no package {package!r} in {source} (expected {source / package}/__init__.py)"
        raise PublicAPIError(msg)
    loader = griffe.GriffeLoader(
        search_paths=[str(source)],
        allow_inspection=False,
        extensions=griffe.load_extensions("dataclasses"),
    )
    module = loader.load(package, try_relative_path=False)
    loader.resolve_aliases(external=False, implicit=False)
    exports = module.exports
    if not exports:
        msg = f"{package}/__init__.py has no __all__ that can be read without importing it"
        raise PublicAPIError(msg)

    names: dict[str, Any] = {}
    for name in sorted(str(n) for n in exports):
        if name not in module.members:
            msg = f"{package}.__all__ names {name!r}, which the package does not define"
            raise PublicAPIError(msg)
        names[name] = _describe(_target(module.members[name], f"{package}.{name}"))
    bare = _bare_attributes(module, package)
    if bare:
        msg = (
            f"{len(bare)} public attribute(s) of exported classes have no annotation,"
            " so the record would not see their type change; annotate each where"
            " it is assigned (`self.name: Type = ...`):\n"
            + "\n".join(f"  {place}" for place in bare)
        )
        raise PublicAPIError(msg)

    return {"package": package, "names": names}


def _bare_attributes(module: Any, package: str) -> list[str]:
    """Public attributes of exported classes that the record could only name.

    An attribute inherited by several exported classes is listed once, under
    the class that defines it when that class is exported.

    Returns:
        ``"package.Class.attribute (file:line)"`` for each, sorted.
    """
    found: dict[str, tuple[bool, str]] = {}
    for name in sorted(str(n) for n in module.exports):
        cls = _target(module.members[name], f"{package}.{name}")
        if not cls.is_class:
            continue
        for member in sorted(cls.all_members):
            attr = _target(cls.all_members[member], f"{cls.path}.{member}")
            if not _is_public(member) or not attr.is_attribute:
                continue
            described = _describe_attribute(attr)
            if described["annotation"] is not None or described.get("value"):
                continue
            own = attr.parent is not None and attr.parent.path == cls.path
            place = (
                f"{package}.{name}.{member}"
                f" ({attr.relative_package_filepath}:{attr.lineno})"
            )
            if attr.path not in found or (own and not found[attr.path][0]):
                found[attr.path] = (own, place)

    return sorted(place for _, place in found.values())


def _target(obj: Any, where: str) -> Any:
    if not obj.is_alias:
        return obj
    try:
        return obj.final_target
    except (griffe.AliasResolutionError, griffe.CyclicAliasError) as exc:
        msg = f"{where} points to {obj.target_path}, which griffe cannot resolve: {exc}"
        raise PublicAPIError(msg) from exc


def _describe(obj: Any) -> dict[str, Any]:
    if obj.is_class:
        return _describe_class(obj)
    if obj.is_function:
        return _describe_function(obj)
    if obj.is_attribute:
        return _describe_attribute(obj)
    return {"kind": obj.kind.value}


def _is_public(name: str) -> bool:
    return not name.startswith("_") or name in PROTOCOL_DUNDERS


def _describe_class(cls: Any) -> dict[str, Any]:
    members = {}
    for name in sorted(cls.all_members):
        if _is_public(name):
            target = _target(cls.all_members[name], f"{cls.path}.{name}")
            members[name] = _describe(target)
    return {
        "kind": "class",
        "bases": [str(base) for base in cls.bases],
        "members": members,
    }


def _labels(obj: Any) -> list[str]:
    return sorted(str(label) for label in obj.labels if label not in _IGNORED_LABELS)


def _text(expression: Any) -> str | None:
    return None if expression is None else str(expression)


def _describe_function(func: Any) -> dict[str, Any]:
    parameters = [
        {
            "name": p.name,
            "kind": p.kind.value,
            "annotation": _text(p.annotation),
            "default": _text(p.default),
        }
        for p in func.parameters
    ]
    returns = _text(func.returns)
    return {
        "kind": "function",
        "labels": _labels(func),
        "signature": signature(parameters, returns),
        "parameters": parameters,
        "returns": returns,
    }


def _describe_attribute(attr: Any) -> dict[str, Any]:
    described: dict[str, Any] = {
        "kind": "attribute",
        "labels": _labels(attr),
        "annotation": _text(attr.annotation),
    }
    # A constant's or a field default's value is API; the right-hand side of
    # ``self.x = ...`` in __init__ is implementation.
    if "instance-attribute" not in attr.labels or "class-attribute" in attr.labels:
        described["value"] = _text(attr.value)
    return described


def signature(parameters: Sequence[Mapping[str, Any]], returns: str | None) -> str:
    """Render parameters and return annotation as a Python signature."""
    parts: list[str] = []
    star_written = False
    for index, p in enumerate(parameters):
        kind = p["kind"]
        if kind == "keyword-only" and not star_written:
            parts.append("*")
        star_written = star_written or kind in ("keyword-only", "variadic positional")
        prefix = {"variadic positional": "*", "variadic keyword": "**"}.get(kind, "")
        text = prefix + p["name"]
        if p["annotation"] is not None:
            text += f": {p['annotation']}"
        if p["default"] is not None and kind not in _VARIADIC:
            text += f" = {p['default']}" if p["annotation"] else f"={p['default']}"
        parts.append(text)
        following = (
            parameters[index + 1]["kind"] if index + 1 < len(parameters) else None
        )
        if kind == "positional-only" and following != "positional-only":
            parts.append("/")
    rendered = f"({', '.join(parts)})"

    return rendered if returns is None else f"{rendered} -> {returns}"


# -- comparing -----------------------------------------------------------------------


def compare(recorded: Mapping[str, Any], live: Mapping[str, Any]) -> list[Difference]:
    """List every difference between a recorded and a live API description.

    Args:
        recorded: What :func:`load_api` returned when the record was made.
        live: What it returns now.

    Returns:
        The differences, sorted by place; empty when the two agree.
    """
    package = str(live.get("package", PACKAGE))
    found = list(
        _compare_members(package, recorded.get("names", {}), live.get("names", {}))
    )

    return sorted(found, key=lambda d: (d.where, d.what))


def _compare_members(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterable[Difference]:
    for name in sorted(set(old) | set(new)):
        path = f"{where}.{name}"
        if name not in new:
            yield Difference(path, f"{old[name]['kind']} removed", BREAKING)
        elif name not in old:
            yield Difference(path, f"{new[name]['kind']} added", COMPATIBLE)
        else:
            yield from _compare_object(path, old[name], new[name])


def _compare_object(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterable[Difference]:
    if old["kind"] != new["kind"]:
        what = f"changed from {old['kind']} to {new['kind']}"
        yield Difference(where, what, BREAKING)
        return
    labels_old, labels_new = set(old.get("labels", [])), set(new.get("labels", []))
    for label in sorted(labels_old - labels_new):
        yield Difference(where, f"no longer {label}", BREAKING)
    for label in sorted(labels_new - labels_old):
        yield Difference(where, f"now {label}", BREAKING)
    compare_kind = {
        "class": _compare_class,
        "function": _compare_function,
        "attribute": _compare_attribute,
    }.get(old["kind"])
    if compare_kind is not None:
        yield from compare_kind(where, old, new)


def _compare_class(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterable[Difference]:
    for base in old["bases"]:
        if base not in new["bases"]:
            yield Difference(where, f"base `{base}` removed", BREAKING)
    for base in new["bases"]:
        if base not in old["bases"]:
            yield Difference(where, f"base `{base}` added", COMPATIBLE)
    yield from _compare_members(where, old["members"], new["members"])


def _compare_function(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterable[Difference]:
    yield from _compare_parameters(where, old["parameters"], new["parameters"])
    if old["returns"] != new["returns"]:
        what = (
            f"return annotation changed from `{old['returns']}` to `{new['returns']}`"
        )
        yield Difference(where, what, REVIEW)


def _compare_attribute(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterable[Difference]:
    if old.get("annotation") != new.get("annotation"):
        what = f"annotation changed from `{old.get('annotation')}` to `{new.get('annotation')}`"
        yield Difference(where, what, REVIEW)
    if old.get("value") != new.get("value"):
        what = f"value changed from `{old.get('value')}` to `{new.get('value')}`"
        yield Difference(where, what, BREAKING)


_POSITIONAL = ("positional-only", "positional or keyword")
_VARIADIC = ("variadic positional", "variadic keyword")
#: Kind changes that every existing call survives.
_WIDENING = {
    ("positional-only", "positional or keyword"),
    ("keyword-only", "positional or keyword"),
}


def _compare_parameters(
    where: str, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> Iterable[Difference]:
    old_by_name = {p["name"]: p for p in old}
    new_by_name = {p["name"]: p for p in new}
    removed = [p for p in old if p["name"] not in new_by_name]
    added = [p for p in new if p["name"] not in old_by_name]
    renamed = _renames(old, new, removed, added)
    for before, after in renamed:
        what = f"parameter `{before['name']}` renamed to `{after['name']}`"
        yield Difference(where, what, BREAKING)
    for p in removed:
        if not any(p is before for before, _ in renamed):
            yield Difference(where, f"parameter `{p['name']}` removed", BREAKING)
    for p in added:
        if any(p is after for _, after in renamed):
            continue
        required = p["default"] is None and p["kind"] not in _VARIADIC
        what = (
            f"parameter `{p['name']}` added ({'required' if required else 'optional'})"
        )
        yield Difference(where, what, BREAKING if required else COMPATIBLE)

    old_positions = [p["name"] for p in old if p["kind"] in _POSITIONAL]
    new_positions = [p["name"] for p in new if p["kind"] in _POSITIONAL]
    kept = [name for name in old_positions if name in new_positions]
    if kept != [name for name in new_positions if name in old_positions] or any(
        new_positions.index(name) != old_positions.index(name) for name in kept
    ):
        what = f"positional parameters reordered from ({', '.join(old_positions)}) to ({', '.join(new_positions)})"
        yield Difference(where, what, BREAKING)

    for name in [p["name"] for p in old if p["name"] in new_by_name]:
        yield from _compare_parameter(where, old_by_name[name], new_by_name[name])


def _renames(
    old: Sequence[Mapping[str, Any]],
    new: Sequence[Mapping[str, Any]],
    removed: Sequence[Mapping[str, Any]],
    added: Sequence[Mapping[str, Any]],
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Pair a removed and an added parameter that sit at the same place alike."""
    pairs = []
    for before in removed:
        for after in added:
            same_place = old.index(before) == new.index(after)
            alike = all(
                before[k] == after[k] for k in ("kind", "annotation", "default")
            )
            if same_place and alike:
                pairs.append((before, after))
                break
    return pairs


def _compare_parameter(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterable[Difference]:
    name = old["name"]
    if old["kind"] != new["kind"]:
        verdict = COMPATIBLE if (old["kind"], new["kind"]) in _WIDENING else BREAKING
        what = f"parameter `{name}` changed from {old['kind']} to {new['kind']}"
        yield Difference(where, what, verdict)
    if old["default"] != new["default"]:
        if new["default"] is None:
            what, verdict = f"parameter `{name}` made required", BREAKING
        elif old["default"] is None:
            what, verdict = f"parameter `{name}` made optional", COMPATIBLE
        else:
            what = f"parameter `{name}` default changed from `{old['default']}` to `{new['default']}`"
            verdict = BREAKING
        yield Difference(where, what, verdict)
    if old["annotation"] != new["annotation"]:
        what = f"parameter `{name}` annotation changed from `{old['annotation']}` to `{new['annotation']}`"
        yield Difference(where, what, REVIEW)


# -- the record ----------------------------------------------------------------------


def read_record(path: Path = RECORD) -> dict[str, Any]:
    """Read a record written by :func:`write_record`.

    Raises:
        PublicAPIError: The file is missing or holds no API record.
    """
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        msg = f"no public API record at {path}; create it with `{UPDATE_COMMAND}`"
        raise PublicAPIError(msg) from None
    except ValueError as exc:
        msg = f"{path} is not valid JSON ({exc}); re-record it with `{UPDATE_COMMAND}`"
        raise PublicAPIError(msg) from None
    if not isinstance(data, dict) or not isinstance(data.get("names"), dict):
        msg = f"{path} holds no public API record (no 'names' mapping)"
        raise PublicAPIError(msg)
    return data


def write_record(api: Mapping[str, Any], path: Path = RECORD) -> None:
    """Write an API description as the record (stable order, one key per line)."""
    data = {
        "comment": f"The public API of {api['package']}; re-record with `{UPDATE_COMMAND}`.",
        **api,
    }
    path.write_text(_dump(data) + "\n", encoding="utf-8")


def _dump(value: Any, indent: str = "") -> str:
    """JSON with one line per leaf object (a parameter, an attribute) for short diffs."""
    if isinstance(value, dict) and any(
        isinstance(v, (dict, list)) and _nests(v) for v in value.values()
    ):
        inner = indent + "  "
        items = [f"{inner}{json.dumps(k)}: {_dump(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        inner = indent + "  "
        items = [f"{inner}{_dump(v, inner)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(value)


def _nests(value: Any) -> bool:
    """Whether a value holds a mapping (then it is written over several lines)."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def report(differences: Sequence[Difference], record: Path) -> str:
    """Describe the differences for a person, with the re-record command."""
    counts = {
        verdict: sum(d.verdict == verdict for d in differences)
        for verdict in (BREAKING, REVIEW, COMPATIBLE)
    }
    summary = ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n)
    lines = [
        f"the public API differs from {record} in {len(differences)} place(s) ({summary}):",
        *(f"  {d}" for d in differences),
        f"If the change is intended, re-record with `{UPDATE_COMMAND}` and commit the record.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Check (or with ``--update`` re-record) the public API; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="public_api", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--update", action="store_true", help="write the live API into the record"
    )
    parser.add_argument(
        "--source", type=Path, default=SOURCE, help="folder holding finapi/"
    )
    parser.add_argument("--record", type=Path, default=RECORD, help="the record file")
    args = parser.parse_args(argv)

    try:
        live = load_api(args.source)
        if args.update:
            return _update(live, args.record)
        recorded = read_record(args.record)
    except PublicAPIError as exc:
        print(f"public_api: {exc}", file=sys.stderr)
        return 2
    differences = compare(recorded, live)
    if differences:
        print(report(differences, args.record), file=sys.stderr)
        return 1
    print(f"public API of {PACKAGE} matches {args.record} ({len(live['names'])} names)")

    return 0


def _update(live: Mapping[str, Any], record: Path) -> int:
    try:
        old = read_record(record)
    except PublicAPIError:
        old = {"names": {}}
    differences = compare(old, live)
    write_record(live, record)
    changes = "\n".join(f"  {d}" for d in differences) or "  (no change)"
    print(f"recorded {len(live['names'])} names of {PACKAGE} in {record}:\n{changes}")

    return 0


if __name__ == "__main__":
    sys.exit(main())
