"""A pytest plugin that records what the facade workflow tests did on the wire.

``tests/facade/test_facade_variants.py`` runs the unchanged workflow tests in a
subprocess against a spec variant and loads this plugin there (``-p
variant_probe``, with ``tests/api`` on ``PYTHONPATH``). Through the public
``finapi.emulator.testing.install`` it adds a recorder to every emulator built
during the run, which logs each request answered as ``[method, path, status]``
and the versions of the specs served. When the run ends the log is written as
JSON to the file named by ``FINAPI_PROBE_RECORD``, with the folders and versions
of the generated packages the run imported, so the parent test can prove which
client and which paths were really used.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from finapi.emulator import Emulator, testing

RECORD_VARIABLE = "FINAPI_PROBE_RECORD"


class RequestLog(testing.SpecChecker):
    """Keeps method, path and status of every exchange; validates nothing.

    The suite's own spec checker (``tests/conftest.py``) still validates the
    traffic; this one only lists it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[list[Any]] = []
        self.served: set[tuple[str, str]] = set()
        self._seen_lock = threading.Lock()

    def submit(
        self,
        emu: Emulator,
        request: tuple[str, str, str, list[tuple[bytes, bytes]], bytes],
        response: tuple[int, list[tuple[bytes, bytes]], bytes],
    ) -> None:
        """Note one exchange (the signature of ``SpecChecker.submit``)."""
        served = (
            str(emu.access_spec.get("info", {}).get("version")),
            str(emu.webform_spec.get("info", {}).get("version")),
        )
        with self._seen_lock:
            self.seen.append([request[0], request[1], response[0]])
            self.served.add(served)


LOG = RequestLog()


def pytest_configure(config: pytest.Config) -> None:
    """Record the traffic of every emulator built from now on."""
    testing.install(LOG)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Write the record for the parent test."""
    testing.uninstall(LOG)
    target = os.environ.get(RECORD_VARIABLE)
    if not target:
        return
    import finapi_access
    import finapi_access.spec_info
    import finapi_webform
    import finapi_webform.spec_info

    record = {
        "packages": {
            "finapi_access": str(Path(finapi_access.__file__).parent),
            "finapi_webform": str(Path(finapi_webform.__file__).parent),
        },
        "versions": {
            "access": finapi_access.spec_info.SPEC_INFO["version"],
            "webform": finapi_webform.spec_info.SPEC_INFO["version"],
        },
        "token_urls": finapi_access.spec_info.SPEC_INFO.get("token_urls"),
        "served": sorted(LOG.served),
        "requests": LOG.seen,
    }
    Path(target).write_text(json.dumps(record, indent=1), encoding="utf-8")
