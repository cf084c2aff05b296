"""The main job (``nox -s demo``): finAPI's whole workflow through the facade, step by step.

Without ``FINAPI_CLIENT_ID`` and ``FINAPI_CLIENT_SECRET`` in the environment it
starts the emulator on a free loopback port and runs nine steps against it:

1. client token, 2. create a user, 3. user token, 4. a bank connection import
web form (its URL), 5. complete the form (plain HTTP as the page's form posts
it, or headless Chromium with ``--browser``), 6. wait for the final status and
show the callback, 7. list the bank connection, accounts and latest
transactions, 8. a short token lifetime and a call after expiry (the facade
refreshes first), 9. clean up (delete the user, revoke the tokens).

With the credentials set it runs against finAPI (the sandbox unless
``FINAPI_ENV`` or ``FINAPI_ACCESS_URL``/``FINAPI_WEBFORM_URL`` say otherwise) and
stops after step 4 unless ``--wait`` asks it to wait for a person to complete the
form. Exit status 0 on success, 1 with a one-line message when a step fails.

Run it as ``python -m finapi._demo [--browser]``; needs the ``all`` extra, and
Playwright for ``--browser`` (the browser is the system's Chromium, never a
download).
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
from rich.console import Console

from finapi import _cli_output as out
from finapi._cli_config import ConfigError, resolve
from finapi._client import FinAPI, UserSession
from finapi._errors import FinAPIError

__all__ = ["main"]

STEPS = 9
#: Chromium flags for a headless run in containers and CI.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
DEFAULT_CHROMIUM = "/usr/bin/chromium"
SHORT_TOKEN_LIFETIME = 2
TEST_BANK_NAME = "finAPI Test Bank"


class DemoError(Exception):
    """A step could not be done; the message says why, in one line."""


# -- the web form page, read and posted as a browser would ----------------------------


class _FormReader(html.parser.HTMLParser):
    """Collect the first form of a page: action, inputs, selects, submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: list[dict[str, str]] = []
        self.selects: dict[str, list[tuple[str, str]]] = {}
        self.buttons: list[dict[str, str]] = []
        self.title = ""
        self._select: str | None = None
        self._option: str | None = None
        self._in_title = False
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "form" and self.action is None:
            self.action = a.get("action", "")
            self._in_form = True
        elif not self._in_form:
            return
        elif tag == "input":
            self.inputs.append(a)
        elif tag == "select":
            self._select = a.get("name", "")
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option = a.get("value", "")
        elif tag == "button":
            self.buttons.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._option is not None and self._select is not None:
            self.selects[self._select].append((self._option, data.strip()))
            self._option = None


class _StatusReader(html.parser.HTMLParser):
    """Find the text of the element with ``id=status`` on the final page."""

    def __init__(self) -> None:
        super().__init__()
        self.status: str | None = None
        self.text = ""
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id") == "status":
            self.status = a.get("data-status")
            self._inside = True

    def handle_endtag(self, tag: str) -> None:
        self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.text += data


def fill_form_fields(
    reader: _FormReader, login: str, pin: str, bank: str = TEST_BANK_NAME
) -> dict[str, str]:
    """Return the fields a person would submit on the web form page.

    Args:
        reader: The parsed page.
        login: What goes into the text input (the banking login).
        pin: What goes into the password input (the PIN).
        bank: The name of the bank to pick when the page offers a choice.

    Returns:
        The form fields.

    Raises:
        DemoError: The page has no form with a login and a PIN field.
    """
    fields: dict[str, str] = {}
    for name, options in reader.selects.items():
        chosen = next((v for v, text in options if text == bank), None)
        if chosen is None and options:
            chosen = options[0][0]
        if chosen is not None:
            fields[name] = chosen
    text = [i for i in reader.inputs if i.get("type", "text") == "text" and "name" in i]
    secret = [i for i in reader.inputs if i.get("type") == "password" and "name" in i]
    if not text or not secret:
        msg = "the web form page has no login and PIN fields"
        raise DemoError(msg)
    fields[text[0]["name"]] = login
    fields[secret[0]["name"]] = pin
    submit = next(
        (b for b in reader.buttons if b.get("value", "").lower() == "submit"),
        reader.buttons[0] if reader.buttons else None,
    )
    if submit is not None and submit.get("name"):
        fields[submit["name"]] = submit.get("value", "")

    return fields


def complete_over_http(url: str, login: str, pin: str) -> tuple[str, str]:
    """Open the web form page and post its form as a browser would.

    Args:
        url: The web form's URL.
        login: The banking login to type.
        pin: The PIN to type.

    Returns:
        The page title and the text the final page shows.

    Raises:
        DemoError: The page cannot be loaded or posted.
    """
    with httpx.Client(timeout=30, follow_redirects=True, trust_env=False) as http:
        page = http.get(url)
        if page.status_code != 200:
            msg = f"the web form page answered HTTP {page.status_code}"
            raise DemoError(msg)
        reader = _FormReader()
        reader.feed(page.text)
        if reader.action is None:
            msg = "the web form page has no form"
            raise DemoError(msg)
        fields = fill_form_fields(reader, login, pin)
        posted = http.post(urljoin(str(page.url), reader.action), data=fields)
    final = _StatusReader()
    final.feed(posted.text)
    if posted.status_code != 200:
        msg = f"posting the web form answered HTTP {posted.status_code}"
        raise DemoError(msg)

    return reader.title.strip(), " ".join(final.text.split())


def chromium_path(given: str | None = None) -> str:
    """Return the Chromium to drive: the given one, ``$FINAPI_CHROMIUM``, or the system's.

    Args:
        given: An explicit path.

    Returns:
        The executable's path.

    Raises:
        DemoError: No Chromium is installed.
    """
    candidate = given or os.environ.get("FINAPI_CHROMIUM")
    if candidate:
        return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if Path(DEFAULT_CHROMIUM).exists():
        return DEFAULT_CHROMIUM
    msg = "no Chromium found: install it (Debian: apt-get install chromium) or set FINAPI_CHROMIUM"
    raise DemoError(msg)


def complete_in_browser(
    url: str,
    login: str,
    pin: str,
    *,
    chromium: str,
    screenshot: Path | None = None,
) -> tuple[str, str]:
    """Complete the web form page in headless Chromium, as a person would.

    Args:
        url: The web form's URL.
        login: The banking login to type.
        pin: The PIN to type.
        chromium: Path of the Chromium executable.
        screenshot: Where to save a screenshot of the filled-in form.

    Returns:
        The page title and the text the final page shows.

    Raises:
        DemoError: Playwright is missing or the page does not behave.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError  # noqa: PLC0415
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        msg = "--browser needs Playwright for Python (pip install playwright); the browser is the system's Chromium"
        raise DemoError(msg) from None
    try:
        with (
            tempfile.TemporaryDirectory(prefix="finapi-chromium-") as profile,
            sync_playwright() as pw,
        ):
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=chromium,
                headless=True,
                args=list(CHROMIUM_ARGS),
            )
            try:
                page = context.new_page()
                page.goto(url)
                title = page.title()
                bank = page.locator("select")
                if bank.count():
                    bank.first.select_option(label=TEST_BANK_NAME)
                page.get_by_label("Onlinebanking-ID").fill(login)
                page.get_by_label("PIN", exact=True).fill(pin)
                if screenshot is not None:
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshot), full_page=True)
                page.get_by_role("button", name="Submit").click()
                page.wait_for_selector("#status", timeout=30_000)
                text = page.inner_text("#status")
            finally:
                context.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
        msg = f"the browser failed: {first}"
        raise DemoError(msg) from None

    return title, " ".join(text.split())


# -- a callback receiver on loopback -----------------------------------------------------


class CallbackReceiver:
    """A tiny HTTP server on 127.0.0.1 that records the JSON bodies posted to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                with receiver._arrived:
                    receiver.received.append(
                        {"method": "POST", "path": self.path, "body": body}
                    )
                    receiver._arrived.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="finapi-demo-callbacks", daemon=True
        )

    @property
    def url(self) -> str:
        """Return the URL to give finAPI as the ``finalised`` callback."""
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/finapi/callback/finalised"

    def wait_for(self, key: str, value: str, timeout: float) -> dict[str, Any] | None:
        """Wait for a callback whose body has ``key == value``.

        Args:
            key: A field of the callback body, e.g. ``webFormId``.
            value: The value it must have.
            timeout: Longest wait in seconds.

        Returns:
            The callback (method, path, body), or None when none arrived in time.
        """
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for item in self.received:
                    body = item["body"]
                    if isinstance(body, dict) and body.get(key) == value:
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._arrived.wait(remaining)

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# -- the run -----------------------------------------------------------------------------


class _WireLog(logging.Handler):
    """Print the facade's log lines (one per request) under the current step."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        self._console.print(
            f"    [dim]· {text}[/]", markup=True, highlight=False, soft_wrap=True
        )


class _Run:
    """One demo run: the console, the current step, what has to be cleaned up."""

    def __init__(self, console: Console, args: argparse.Namespace) -> None:
        self.console = console
        self.args = args
        self.step_no = 0
        self.step_title = ""
        self.stopped_early = False
        #: How to build a second facade for the same client (step 8).
        self.facade_kwargs: dict[str, Any] = {}

    @contextlib.contextmanager
    def step(self, number: int, title: str) -> Iterator[None]:
        self.step_no, self.step_title = number, title
        self.console.print()
        self.console.rule(
            f"[bold]Step {number}/{STEPS}[/]  {title}", align="left", style="cyan"
        )
        started = time.monotonic()
        yield
        self.console.print(
            f"  [green]✓[/] step {number} done in {time.monotonic() - started:.2f} s"
        )

    def say(self, text: str) -> None:
        self.console.print(f"  {text}", highlight=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nox -s demo --",
        description=(
            "finAPI's workflow through the facade, step by step: against the embedded "
            "emulator, or against finAPI when FINAPI_CLIENT_ID and FINAPI_CLIENT_SECRET "
            "are set."
        ),
    )
    parser.add_argument(
        "--browser",
        action="store_true",
        help="complete the web form in headless Chromium (Playwright) instead of plain HTTP",
    )
    parser.add_argument(
        "--chromium",
        metavar="PATH",
        help="the Chromium to drive (default: $FINAPI_CHROMIUM, else chromium on PATH)",
    )
    parser.add_argument(
        "--screenshot",
        metavar="PATH",
        type=Path,
        default=Path("artifacts/demo-webform.png"),
        help="where --browser saves a screenshot of the form (default: %(default)s)",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="against finAPI: wait for a person to complete the web form",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="longest wait for the web form's final status, in seconds (default: %(default)s)",
    )
    return parser


def _remote_settings() -> dict[str, Any] | None:
    env = os.environ
    if not (env.get("FINAPI_CLIENT_ID") and env.get("FINAPI_CLIENT_SECRET")):
        return None
    return resolve({}, env, {}).facade_kwargs()


def _step_token(run: _Run, fin: FinAPI) -> None:
    with run.step(1, "Client token (client_credentials grant)"):
        token = fin.client_token()
        run.say(
            f"client [bold]{fin.client_id}[/] has a token: {token.token_type}, "
            f"scope {token.scope}, expires in {token.expires_in():.0f} s "
            "(the token itself is never printed)"
        )


def _step_user(run: _Run, fin: FinAPI) -> tuple[str, str]:
    with run.step(2, "Create a user (with the client token)"):
        new = fin.users.create()
        run.say(f"created user [bold]{new.id}[/] with a generated password (hidden)")
    return new.id, new.password


def _step_user_token(run: _Run, session: UserSession) -> None:
    with run.step(3, "User token (password grant)"):
        token = session.token()
        run.say(
            f"user [bold]{session.user_id}[/] has a token: expires in "
            f"{token.expires_in():.0f} s, refresh token: "
            f"{'yes' if token.refresh_token else 'no'}"
        )


def _step_webform(run: _Run, session: UserSession, callback_url: str | None) -> Any:
    with run.step(4, "Create a bank connection import web form"):
        details: dict[str, Any] = {}
        if callback_url:
            details["callbacks"] = {"finalised": callback_url}
            run.say(f"finalised callback goes to {callback_url}")
        form = session.webforms.bank_connection_import(details)
        run.say(f"web form [bold]{form.id}[/], status {form.status.value}")
        run.say(f"URL for the end user: [bold]{form.url}[/]")
    return form


def _step_complete(run: _Run, form: Any, login: str, pin: str) -> None:
    how = "in headless Chromium" if run.args.browser else "over plain HTTP"
    with run.step(5, f"Complete the web form {how}"):
        if run.args.browser:
            chromium = chromium_path(run.args.chromium)
            run.say(f"driving {chromium} (Playwright, headless)")
            title, text = complete_in_browser(
                form.url, login, pin, chromium=chromium, screenshot=run.args.screenshot
            )
            run.say(f"screenshot of the filled-in form: {run.args.screenshot}")
        else:
            title, text = complete_over_http(form.url, login, pin)
        run.say(
            f"page {title!r}: picked {TEST_BANK_NAME!r}, typed the demo login and PIN, submitted"
        )
        run.say(f"the page now says: {text!r}")


def _step_wait(
    run: _Run, session: UserSession, form: Any, receiver: CallbackReceiver | None
) -> str:
    with run.step(6, "Wait for the final status; the callback"):
        with out.StatusProgress(run.console, f"web form {form.id}") as progress:
            final = session.webforms.wait(
                form.id, timeout=run.args.timeout, interval=0.5, on_progress=progress
            )
        data = out.as_dict(final)
        status = str(data.get("status"))
        run.say(
            f"final status [bold]{status}[/], payload {json.dumps(data.get('payload'))}"
        )
        if receiver is not None:
            callback = receiver.wait_for("webFormId", form.id, timeout=10)
            if callback is None:
                msg = "the finalised callback did not arrive within 10 s"
                raise DemoError(msg)
            run.say(
                f"callback received: {callback['method']} {callback['path']} "
                f"{json.dumps(callback['body'])}"
            )
        if status != "COMPLETED":
            msg = f"the web form ended {status}"
            raise DemoError(msg)
    return status


def _step_list(run: _Run, session: UserSession) -> None:
    with run.step(7, "The imported bank connection, accounts and latest transactions"):
        connections = [out.as_dict(c) for c in session.bank_connections()]
        accounts = [out.as_dict(a) for a in session.accounts()]
        latest = [
            out.as_dict(t)
            for t in islice(
                session.transactions(per_page=10, order=["bankBookingDate,desc"]), 10
            )
        ]
        run.console.print(out.bank_connections_table(connections))
        run.console.print(out.accounts_table(accounts))
        run.console.print(out.transactions_table(latest, title="Latest transactions"))
        if not accounts:
            msg = "the import created no accounts"
            raise DemoError(msg)


def _step_expiry(
    run: _Run, fin: FinAPI, user_id: str, password: str, emulator: Any
) -> None:
    from finapi_access.api.client_configuration import (  # noqa: PLC0415
        edit_client_configuration,
        get_client_configuration,
    )
    from finapi_access.models.client_configuration_params import (  # noqa: PLC0415
        ClientConfigurationParams,
    )

    with run.step(8, "Short token lifetime: a call after expiry refreshes first"):
        try:
            config = get_client_configuration.sync(client=fin.access)
            before = getattr(config, "user_access_tokens_validity_period", None)
            run.say(
                f"user tokens live {before} s; set {SHORT_TOKEN_LIFETIME} s through the "
                "generated editClientConfiguration operation"
            )
            edit_client_configuration.sync(
                client=fin.access,
                body=ClientConfigurationParams(
                    user_access_tokens_validity_period=SHORT_TOKEN_LIFETIME
                ),
            )
        except FinAPIError as exc:
            if emulator is not None:
                raise
            run.say(
                "skipped: this client may not change its token lifetimes "
                f"({' '.join(str(exc).split())})"
            )
            return
        try:
            with FinAPI(**run.facade_kwargs) as short:
                session = short.user(user_id, password)
                first = session.token()
                run.say(f"a fresh user token expires in {first.expires_in():.1f} s")
                pause = first.expires_in() + 0.3
                run.say(f"waiting {pause:.1f} s until it has expired ...")
                time.sleep(pause)
                run.say(
                    f"the token expired {-first.expires_in():.1f} s ago; listing accounts:"
                )
                count = sum(1 for _ in session.accounts())
                second = session.token()
                renewed = second.access_token != first.access_token
                run.say(
                    f"{count} accounts listed; token renewed with the refresh token "
                    f"before the call: {'yes' if renewed else 'no'}"
                )
                if not renewed:
                    msg = "the facade did not renew the expired token"
                    raise DemoError(msg)
                if emulator is not None:
                    stale = emulator.stats.expired_token_requests
                    run.say(
                        f"requests that reached the emulator with an expired token: {stale}"
                    )
        finally:
            if isinstance(before, int):
                edit_client_configuration.sync(
                    client=fin.access,
                    body=ClientConfigurationParams(
                        user_access_tokens_validity_period=before
                    ),
                )
                run.say(f"user token lifetime set back to {before} s")


def _step_cleanup(run: _Run, fin: FinAPI, session: UserSession | None) -> None:
    with run.step(9, "Clean up: delete the user, revoke the tokens"):
        if session is not None and not session.closed:
            session.delete_user()
            run.say(f"deleted user [bold]{session.user_id}[/] (its tokens die with it)")
        fin.close()
        run.say("closed the facade: the client token is revoked")


def _workflow(run: _Run, fin: FinAPI, emulator: Any, receiver: Any) -> int:
    from finapi.emulator import DEMO_BANK_LOGIN, DEMO_BANK_PIN  # noqa: PLC0415

    session: UserSession | None = None
    try:
        _step_token(run, fin)
        user_id, password = _step_user(run, fin)
        session = fin.user(user_id, password)
        _step_user_token(run, session)
        form = _step_webform(run, session, receiver.url if receiver else None)
        if emulator is None and not run.args.wait:
            run.say(
                "stopping after step 4 (against finAPI a person completes the form: "
                "rerun with -- --wait to wait for them); cleaning up"
            )
            _step_cleanup(run, fin, session)
            run.stopped_early = True
            return 0
        if emulator is not None:
            _step_complete(run, form, DEMO_BANK_LOGIN, DEMO_BANK_PIN)
        else:
            with run.step(5, "A person completes the web form"):
                run.say(f"open {form.url} in a browser and complete it")
        _step_wait(run, session, form, receiver)
        _step_list(run, session)
        _step_expiry(run, fin, user_id, password, emulator)
        _step_cleanup(run, fin, session)
    except BaseException:
        with contextlib.suppress(Exception):
            if session is not None and not session.closed:
                session.delete_user()
        with contextlib.suppress(Exception):
            fin.close()
        raise
    return 0


def _run_embedded(run: _Run) -> int:
    from finapi.emulator import (  # noqa: PLC0415
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        Emulator,
    )

    emulator = Emulator()
    with CallbackReceiver() as receiver, emulator.serve("127.0.0.1", 0) as url:
        run.say(
            f"emulator listening on [bold]{url}[/] (Access; Web Form 2.0 under /webform)"
        )
        run.say(f"callback receiver on {receiver.url}")
        run.facade_kwargs = {
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "access_url": emulator.access_url,
            "webform_url": emulator.webform_url,
        }
        fin = FinAPI(**run.facade_kwargs)
        try:
            return _workflow(run, fin, emulator, receiver)
        finally:
            emulator.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo.

    Args:
        argv: Arguments (``--browser``, ``--wait``...); ``sys.argv[1:]`` by default.

    Returns:
        0 when every step worked, 1 when one failed, 2 for bad arguments.
    """
    args = _parser().parse_args(argv)
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    console = out.make_console()
    run = _Run(console, args)
    wire = _WireLog(console)
    logger = logging.getLogger("finapi")
    logger.addHandler(wire)
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        try:
            remote = _remote_settings()
            fin = FinAPI(**remote) if remote is not None else None
        except (ConfigError, ValueError) as exc:
            console.print(f"[red]demo: bad configuration:[/] {exc}")
            return 2
        if fin is None or remote is None:
            console.print(
                "[bold]finAPI demo[/] against the embedded emulator "
                "(set FINAPI_CLIENT_ID and FINAPI_CLIENT_SECRET to use finAPI)"
            )
            status = _run_embedded(run)
        else:
            console.print(
                f"[bold]finAPI demo[/] against {fin.environment.name} "
                f"({fin.environment.access_url})"
            )
            run.facade_kwargs = remote
            status = _workflow(run, fin, None, None)
    except (FinAPIError, DemoError) as exc:
        where = f"step {run.step_no} ({run.step_title})" if run.step_no else "start-up"
        one_line = " ".join(str(exc).split())
        console.print(
            f"\n[red bold]demo failed[/] in {where}: {one_line}", soft_wrap=True
        )
        return 1
    finally:
        logger.removeHandler(wire)
        logger.setLevel(previous_level)
    if run.stopped_early:
        console.print(
            "\n[green bold]demo finished:[/] steps 1 to 4 and the clean-up done"
        )
    else:
        console.print(f"\n[green bold]demo finished:[/] all {STEPS} steps done")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
