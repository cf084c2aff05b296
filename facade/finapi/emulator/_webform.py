"""Web Form 2.0 handlers, the web form page and its completion."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._wire import ApiError

if TYPE_CHECKING:
    from ._core import Emulator

__all__ = ["complete", "page"]


def page(
    emu: Emulator, webform_id: str, method: str, form: dict[str, str]
) -> tuple[int, str, list[Callable[[], None]]]:
    """Render or submit the web form page.

    Args:
        emu: The emulator.
        webform_id: The web form id.
        method: GET or POST.
        form: The submitted fields.

    Returns:
        Status, HTML, and actions to run after the state lock is released.
    """
    return 404, "<!doctype html><title>Not found</title><p>No such web form.</p>", []


def complete(emu: Emulator, webform_id: str, **kwargs: Any) -> dict[str, Any]:
    """Complete a web form.

    Args:
        emu: The emulator.
        webform_id: The web form id.
        **kwargs: Page fields.

    Returns:
        The web form.

    Raises:
        ApiError: No such web form.
    """
    raise ApiError(404, "NOT_FOUND", f"No web form with id {webform_id}.")
