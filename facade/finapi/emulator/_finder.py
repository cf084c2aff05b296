"""An openapi-core path finder that prefers the template the emulator routed to.

finAPI's specs hold ``/x/{id}`` and ``/x/{ids}`` with the same method; openapi-core
would take whichever comes first. The checker sets the template the emulator
used, so both sides agree on the operation.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from typing import Any

__all__ = ["PREFERRED", "preferring_finder"]

PREFERRED: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "finapi_emulator_preferred_template", default=None
)


def preferring_finder(base: type[Any]) -> type[Any]:
    """Return a subclass of an openapi-core path finder that honours ``PREFERRED``.

    Args:
        base: openapi-core's ``APICallPathFinder``.

    Returns:
        The subclass.
    """
    from openapi_core.templating.paths.iterators import TemplatePathsIterator  # noqa: PLC0415

    class _Preferring(TemplatePathsIterator):
        def __call__(
            self, name: str, spec: Any, base_url: str | None = None
        ) -> Iterator[Any]:
            found = list(super().__call__(name, spec, base_url))
            wanted = PREFERRED.get()
            if wanted is not None:
                found.sort(key=lambda p: p.path_result.pattern != wanted)
            yield from found

    class _Finder(base):  # type: ignore[misc]
        paths_iterator = _Preferring("paths")

    return _Finder
