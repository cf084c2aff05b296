"""A stateful local emulator of finAPI Access and Web Form 2.0.

Start it in-process::

    emu = Emulator(token_lifetime=2)
    client = httpx.Client(transport=emu.sync_transport(), base_url=emu.access_url)

or on a socket with ``with emu.serve() as url: ...``, ``finapi-emulator`` or
``python -m finapi.emulator``. A test suite driving it over HTTP controls it
through the routes under ``CONTROL_PREFIX`` (``/__emulator/stats``,
``/__emulator/faults``, ``/__emulator/tokens/...``, ``/__emulator/reset``).
Needs the ``emulator`` extra.
"""

try:
    import starlette  # noqa: F401 - checked here to name the extra, not deep in _core
    import uvicorn  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
    _msg = (
        f"finapi.emulator needs the 'emulator' extra ({exc.name} is missing): "
        "pip install 'finapi-facade[emulator]'"
    )
    raise ModuleNotFoundError(_msg, name=exc.name) from exc

from ._core import (
    CONTROL_PREFIX,
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
    "CONTROL_PREFIX",
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
