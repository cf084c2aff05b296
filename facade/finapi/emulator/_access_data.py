"""Access handlers for banks, connections, accounts, transactions, categories, labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._core import Emulator
    from ._state import User

__all__ = ["forget_user", "seed"]


def seed(emu: Emulator) -> None:
    """Create the demo banks of a fresh emulator.

    Args:
        emu: The emulator.
    """


def forget_user(emu: Emulator, user: User) -> None:
    """Drop everything a deleted user owned.

    Args:
        emu: The emulator.
        user: The deleted user.
    """
