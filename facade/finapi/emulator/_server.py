"""Run the emulator's app under uvicorn in a background thread."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

__all__ = ["run_in_thread"]

_START_TIMEOUT = 15.0


class _QuietDrops(logging.Filter):
    """Keep the tracebacks of deliberately dropped connections out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        from ._core import DroppedConnection  # noqa: PLC0415

        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


_uvicorn_error = logging.getLogger("uvicorn.error")
if not any(isinstance(f, _QuietDrops) for f in _uvicorn_error.filters):
    _uvicorn_error.addFilter(_QuietDrops())


@contextlib.contextmanager
def run_in_thread(
    app: ASGIApp, host: str, port: int, log_level: str = "warning"
) -> Iterator[str]:
    """Serve an ASGI app on a socket until the block ends.

    Args:
        app: The app.
        host: Interface to listen on.
        port: Port; 0 picks a free one.
        log_level: uvicorn's log level.

    Yields:
        The base URL, e.g. ``http://127.0.0.1:54321``.

    Raises:
        RuntimeError: The server did not start (the port is taken, for example).
    """
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, name="finapi-emulator-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            msg = f"the emulator could not start listening on {host}:{port}"
            raise RuntimeError(msg)
        time.sleep(0.01)
    sock = server.servers[0].sockets[0]
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
