"""Acceptance 3: the whole web form flow over real loopback sockets, with httpx only.

Once against ``python -m finapi.emulator`` run as a process of its own, once
against ``emu.serve()`` in a thread (where the suite's spec checker sees it).
"""

from __future__ import annotations

import dataclasses
import json
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

import httpx
import pytest

from finapi.emulator import DEMO_BANK_LOGIN, DEMO_BANK_PIN, Emulator
from finapi.emulator.testing import bearer, get_token

#: Seconds the emulator process may take to print its URL and answer.
START_TIMEOUT = 30.0
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[dict[str, object]]]]:
    """Receive callbacks with the standard library's HTTP server on a loopback port."""
    received: queue.Queue[dict[str, object]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            received.put(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/finalised", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclasses.dataclass
class Flow:
    """What the web form flow saw, for the assertions both tests share."""

    form: dict[str, Any]
    login: tuple[str, str]
    submitted: str
    callback: dict[str, object]
    status: dict[str, Any]
    accounts: list[dict[str, Any]]


def _web_form_flow(
    http: httpx.Client, callback_url: str, received: queue.Queue[dict[str, object]]
) -> Flow:
    """Token, user, web form, page fetched and submitted, callback, accounts."""
    client_token = get_token(http)["access_token"]
    created = http.post("/api/v1/users", json={}, headers=bearer(client_token)).json()
    user = bearer(
        get_token(
            http, "password", username=created["id"], password=created["password"]
        )["access_token"]
    )
    form = http.post(
        "/webform/api/webForms/bankConnectionImport",
        json={"callbacks": {"finalised": callback_url}},
        headers=user,
    ).json()
    page = http.get(form["url"])
    login = re.search(r"id=demo-login>([^<]+)<", page.text)
    pin = re.search(r"id=demo-pin>([^<]+)<", page.text)
    bank = re.search(r'<option value="(\d+)"', page.text)
    assert login is not None
    assert pin is not None
    assert bank is not None
    submitted = http.post(
        form["url"],
        data={"bank": bank.group(1), "login": login.group(1), "pin": pin.group(1)},
    )
    callback = received.get(timeout=10)
    status = http.get(f"/webform/api/webForms/{form['id']}", headers=user).json()
    accounts = http.get("/api/v1/accounts", headers=user).json()["accounts"]
    return Flow(
        form,
        (login.group(1), pin.group(1)),
        submitted.text,
        callback,
        status,
        accounts,
    )


def _assert_completed(flow: Flow, url: str) -> None:
    assert flow.form["url"].startswith(url + "/webform/wf/")
    assert flow.login == (DEMO_BANK_LOGIN, DEMO_BANK_PIN)
    assert 'data-status="COMPLETED"' in flow.submitted
    assert flow.callback == {"webFormId": flow.form["id"], "status": "COMPLETED"}
    assert flow.status["status"] == "COMPLETED"
    assert len(flow.accounts) == 3
    assert {a["bankConnectionId"] for a in flow.accounts} == {
        flow.status["payload"]["bankConnectionId"]
    }


def test_token_user_web_form_page_callback_accounts_over_loopback(
    receiver: tuple[str, queue.Queue[dict[str, object]]],
) -> None:
    """Token, user, web form, page fetched and submitted, callback received, accounts listed."""
    callback_url, received = receiver
    with Emulator() as emu, emu.serve() as url, httpx.Client(base_url=url) as http:
        flow = _web_form_flow(http, callback_url, received)

    _assert_completed(flow, url)
    assert received.empty()  # exactly one callback


def test_dropped_connection_over_loopback_is_a_protocol_error() -> None:
    """Fault injection drops a real connection mid-answer; the client sees a protocol error."""
    with Emulator() as emu, emu.serve() as url, httpx.Client(base_url=url) as http:
        emu.faults.set("/api/v1/banks", drop_rate=1.0)
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/api/v1/banks")
        emu.faults.clear()
        after = http.get("/api/v1/banks")

    assert after.status_code == 401


def _pump(out: IO[str], lines: queue.Queue[str]) -> None:
    for line in out:
        lines.put(line)


def _wait_for_url(lines: queue.Queue[str]) -> str:
    """Read the emulator's banner until it names its URL, then poll until it answers."""
    deadline = time.monotonic() + START_TIMEOUT
    url = None
    while url is None:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "the emulator printed no URL in time"
        try:
            found = _LISTENING.search(lines.get(timeout=remaining))
        except queue.Empty:
            continue
        url = found.group(1) if found else None
    while True:
        try:
            httpx.get(url + "/api/v1/banks", timeout=1.0)
            return url
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the emulator did not answer in time"
            time.sleep(0.1)


def test_the_flow_against_a_separate_emulator_process(
    receiver: tuple[str, queue.Queue[dict[str, object]]],
) -> None:
    """python -m finapi.emulator on a free port: the web form flow over plain HTTP."""
    callback_url, received = receiver
    process = subprocess.Popen(
        [sys.executable, "-m", "finapi.emulator", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        url = _wait_for_url(lines)
        with httpx.Client(base_url=url, timeout=10.0) as http:
            flow = _web_form_flow(http, callback_url, received)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=10)
        process.stdout.close()

    _assert_completed(flow, url)
