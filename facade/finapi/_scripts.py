"""Console-script entry points that name the missing extra instead of a traceback.

``pip install finapi-facade`` installs the ``finapi`` and ``finapi-emulator``
scripts even without the extras they need; these launchers turn the import
error into one line and exit status 2.
"""

from __future__ import annotations

import sys
from typing import NoReturn

__all__ = ["emulator", "finapi"]

_EXTRA_OF = {
    "click": "cli",
    "rich": "cli",
    "tomli": "cli",
    "starlette": "emulator",
    "uvicorn": "emulator",
}


def _missing_extra(exc: ModuleNotFoundError, script: str) -> NoReturn:
    extra = _EXTRA_OF.get((exc.name or "").split(".")[0])
    if extra is None:
        raise exc
    sys.stderr.write(
        f"{script}: needs the '{extra}' extra ({exc.name} is not installed): "
        f"pip install 'finapi-facade[{extra}]'\n"
    )
    raise SystemExit(2)


def finapi() -> None:
    """Run the ``finapi`` command line."""
    try:
        from finapi._cli import run  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        _missing_extra(exc, "finapi")
    run()


def emulator() -> None:
    """Run ``finapi-emulator``."""
    try:
        from finapi.emulator.__main__ import main  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        _missing_extra(exc, "finapi-emulator")
    raise SystemExit(main())
