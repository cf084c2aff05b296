"""Routes built from an OpenAPI document: every operation keyed by its operationId."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["Operation", "SpecError", "SpecRouter", "load_spec", "packaged_spec"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAM = re.compile(r"\{([^{}/]+)\}")


class SpecError(ValueError):
    """A spec handed to the emulator cannot be served."""


@dataclass(frozen=True)
class Operation:
    """One operation of a spec: method, path template, operationId and its definition."""

    operation_id: str
    method: str
    template: str
    definition: Mapping[str, Any] = field(repr=False, compare=False)
    params: tuple[str, ...] = ()
    literal_segments: int = 0
    regex: re.Pattern[str] = field(default=re.compile(""), repr=False, compare=False)

    @property
    def is_multi(self) -> bool:
        """Return True when the last path parameter takes a comma-separated list."""
        return bool(self.params) and self.params[-1] == "ids"


@functools.lru_cache(maxsize=4)
def packaged_spec(package: str) -> dict[str, Any]:
    """Return the spec that a generated package ships as ``openapi.json``.

    The dict is shared by every caller: treat it as read-only.

    Args:
        package: ``finapi_access`` or ``finapi_webform``.

    Returns:
        The parsed spec.

    Raises:
        SpecError: The package or its spec file is missing.
    """
    try:
        text = resources.files(package).joinpath("openapi.json").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        msg = f"the packaged spec of {package} is missing; run `nox -s generate`"
        raise SpecError(msg) from exc

    return dict(json.loads(text))


def load_spec(source: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """Read a spec given as a dict or as the path of a JSON or YAML file.

    Args:
        source: The spec itself, or a file holding it.

    Returns:
        The spec as a dict.

    Raises:
        SpecError: The file is missing, unreadable or holds no OpenAPI document.
    """
    if isinstance(source, Mapping):
        spec = dict(source)
    else:
        path = Path(source)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            msg = f"cannot read spec file {path}: {exc.strerror}"
            raise SpecError(msg) from exc
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml  # noqa: PLC0415 - only YAML specs need PyYAML
            except ImportError as exc:
                msg = f"reading {path} needs PyYAML; install it or pass a JSON spec"
                raise SpecError(msg) from exc
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            try:
                spec = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
            except yaml.YAMLError as exc:
                msg = f"spec file {path} is not valid YAML: {exc}"
                raise SpecError(msg) from exc
        else:
            try:
                spec = json.loads(text)
            except json.JSONDecodeError as exc:
                msg = f"spec file {path} is not valid JSON: {exc}"
                raise SpecError(msg) from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        msg = "the spec has no `paths` object; is it an OpenAPI document?"
        raise SpecError(msg)

    return spec


def _compile(template: str) -> tuple[re.Pattern[str], tuple[str, ...], int]:
    params: list[str] = []
    pattern = ""
    pos = 0
    for match in _PARAM.finditer(template):
        pattern += re.escape(template[pos : match.start()])
        pattern += "([^/]+)"
        params.append(match.group(1))
        pos = match.end()
    pattern += re.escape(template[pos:])
    literal = sum(
        1 for seg in template.strip("/").split("/") if seg and not _PARAM.search(seg)
    )

    return re.compile(f"^{pattern}$"), tuple(params), literal


class SpecRouter:
    """Match a method and path to an operation of one spec."""

    def __init__(self, spec: Mapping[str, Any], name: str) -> None:
        """Build the routing table.

        Args:
            spec: The OpenAPI document.
            name: What to call the spec in error messages.

        Raises:
            SpecError: An operation has no operationId, or two share one.
        """
        self.spec = spec
        self.name = name
        self.operations: dict[str, Operation] = {}
        templates: dict[str, list[Operation]] = {}
        for template, item in spec["paths"].items():
            if not isinstance(item, dict):
                msg = f"{name} spec: path item {template!r} is not an object"
                raise SpecError(msg)
            regex, params, literal = _compile(template)
            for method in _METHODS:
                definition = item.get(method)
                if definition is None:
                    continue
                op_id = (
                    definition.get("operationId")
                    if isinstance(definition, dict)
                    else None
                )
                if not isinstance(op_id, str) or not op_id:
                    msg = f"{name} spec: {method.upper()} {template} has no operationId"
                    raise SpecError(msg)
                if op_id in self.operations:
                    msg = f"{name} spec: operationId {op_id!r} is used twice"
                    raise SpecError(msg)
                op = Operation(
                    op_id, method.upper(), template, definition, params, literal, regex
                )
                self.operations[op_id] = op
                templates.setdefault(template, []).append(op)
        # Literal segments first: /accounts/dailyBalances wins over /accounts/{id}.
        self._ordered = sorted(
            self.operations.values(), key=lambda op: (-op.literal_segments, op.template)
        )

    def match(
        self, method: str, path: str
    ) -> tuple[Operation | None, dict[str, str], bool]:
        """Find the operation for a request.

        Args:
            method: The HTTP method.
            path: The request path, relative to where the spec is served.

        Returns:
            The operation (or None), its path parameters, and whether the path
            exists with another method (for a 405).
        """
        candidates: list[tuple[Operation, dict[str, str]]] = []
        path_known = False
        for op in self._ordered:
            found = op.regex.match(path)
            if found is None:
                continue
            path_known = True
            if op.method == method:
                candidates.append(
                    (op, dict(zip(op.params, found.groups(), strict=True)))
                )
        if not candidates:
            return None, {}, path_known
        best = max(op.literal_segments for op, _ in candidates)
        candidates = [c for c in candidates if c[0].literal_segments == best]
        if len(candidates) > 1:
            # /x/{id} and /x/{ids} share a method: a list goes to the {ids} one.
            def fits(item: tuple[Operation, dict[str, str]]) -> bool:
                op, values = item
                is_list = "," in (values.get(op.params[-1], "") if op.params else "")
                return op.is_multi == is_list

            candidates.sort(key=lambda c: not fits(c))

        return candidates[0][0], candidates[0][1], True
