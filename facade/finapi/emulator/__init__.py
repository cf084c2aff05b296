"""A stateful local emulator of finAPI Access and Web Form 2.0.

Start it in-process::

    emu = Emulator(token_lifetime=2)
    client = httpx.Client(transport=emu.sync_transport(), base_url=emu.access_url)

or on a socket with ``with emu.serve() as url: ...``, ``finapi-emulator`` or
``python -m finapi.emulator``. Needs the ``emulator`` extra.
"""

from ._core import (
    DEMO_BANK_LOGIN,
    DEMO_BANK_PIN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DroppedConnection,
    Emulator,
)
from ._faults import FaultRule, Faults, Stats
from ._spec import SpecError

__all__ = [
    "DEMO_BANK_LOGIN",
    "DEMO_BANK_PIN",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DroppedConnection",
    "Emulator",
    "FaultRule",
    "Faults",
    "SpecError",
    "Stats",
]
