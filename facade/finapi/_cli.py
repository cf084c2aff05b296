"""The ``finapi`` command line: the facade's workflow, one step per command.

::

    finapi emulator                     run the local emulator (its own options)
    finapi token [--user ID]            get a token, print its expiry
    finapi users create | delete        manage users (client token)
    finapi webform import | update | get | wait
    finapi accounts                     list a user's accounts
    finapi transactions                 list a user's latest transactions

Settings come from flags, then ``FINAPI_*`` environment variables, then the
config file (see :mod:`finapi._cli_config`). Every failure ends in one line on
stderr (with the request id when a request failed) and a non-zero exit:
1 for an error finAPI answered or a failed connection, 2 for bad input, 3 when
a waited-for web form ended in a status other than ``COMPLETED``.

Needs the ``cli`` extra (click and rich); ``import finapi`` never imports it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import click

from finapi import _cli_output as out
from finapi._cli_config import (
    ENVIRONMENTS,
    PASSWORD_ENV,
    ConfigError,
    Settings,
    read_config_file,
    resolve,
)
from finapi._client import FinAPI, UserSession, generate_password, generate_user_id
from finapi._errors import FinAPIError

__all__ = ["main"]

#: Exit status when a waited-for web form ended other than ``COMPLETED``.
EXIT_NOT_COMPLETED = 3
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70

F = TypeVar("F", bound=Callable[..., Any])

_HIDDEN = "(hidden; --show-token prints it)"


class _App:
    """State of one run: settings, the facade (made on first use), output mode."""

    def __init__(
        self, flags: dict[str, Any], config_path: Path | None, verbose: int
    ) -> None:
        self._flags = flags
        self._config_path = config_path
        self._settings: Settings | None = None
        self._fin: FinAPI | None = None
        self.as_json = False
        self.verbose = verbose
        self.revoke_on_close = True
        self.console = out.make_console()
        self.err = out.make_console(sys.stderr)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            file = read_config_file(self._config_path, os.environ)
            self._settings = resolve(self._flags, os.environ, file)
        return self._settings

    def fin(self) -> FinAPI:
        if self._fin is None:
            kwargs = self.settings.facade_kwargs()
            self._fin = FinAPI(**kwargs, revoke_on_close=self.revoke_on_close)
        return self._fin

    def session(
        self, user_id: str | None, password: str | None, *, prompt: bool = True
    ) -> UserSession:
        user = user_id or self.settings.user_id
        if not user:
            msg = "no user: pass --user, set FINAPI_USER_ID or put user_id in the config file"
            raise click.UsageError(msg)
        secret = _password(password, user, prompt=prompt)
        return self.fin().user(user, secret)

    def close(self) -> None:
        if self._fin is not None:
            self._fin.close()
            self._fin = None


def _password(
    given: str | None, user: str, *, prompt: bool, confirm: bool = False
) -> str | None:
    """Return the password from the flag, the environment or a silent prompt."""
    if given:
        return given
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not prompt:
        return None
    if sys.stdin is not None and sys.stdin.isatty():
        value: str = click.prompt(
            f"Password of user {user}",
            hide_input=True,
            confirmation_prompt=confirm,
            err=True,
        )
        return value
    msg = (
        f"no password for user {user}: pass --password, set {PASSWORD_ENV}, "
        "or run in a terminal to be asked"
    )
    raise click.UsageError(msg)


def _app() -> _App:
    app = click.get_current_context().find_object(_App)
    if app is None:  # pragma: no cover - every command runs under the group
        msg = "finapi commands run under the finapi group"
        raise RuntimeError(msg)
    return app


def _json_option(func: F) -> F:
    """Add ``--json`` to a command (it may also be given before the command)."""

    def set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.ensure_object(_App).as_json = True

    return click.option(
        "--json",
        "json_output",
        is_flag=True,
        expose_value=False,
        callback=set_json,
        help="Print JSON for scripts instead of tables.",
    )(func)


def _user_options(func: F) -> F:
    """Add ``--user`` and ``--password`` to a user-level command."""
    func = click.option(
        "--password",
        metavar="PASSWORD",
        help=f"The user's password (default: ${PASSWORD_ENV}, else a silent prompt).",
    )(func)
    return click.option(
        "--user",
        "user_id",
        metavar="USER_ID",
        help="The user (default: $FINAPI_USER_ID or user_id in the config file).",
    )(func)


def _emit(data: Any, render: Callable[[], None]) -> None:
    app = _app()
    if app.as_json:
        out.dump_json(data)
    else:
        render()


# -- the group ---------------------------------------------------------------------


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML config file (default: $FINAPI_CONFIG, else ~/.config/finapi/config.toml).",
)
@click.option("--client-id", metavar="ID", help="finAPI client id ($FINAPI_CLIENT_ID).")
@click.option(
    "--client-secret",
    metavar="SECRET",
    help="Client secret; prefer $FINAPI_CLIENT_SECRET (flags show in process lists).",
)
@click.option(
    "--env",
    "environment",
    type=click.Choice(ENVIRONMENTS),
    help="finAPI environment ($FINAPI_ENV; default sandbox).",
)
@click.option(
    "--access-url", metavar="URL", help="Access base URL ($FINAPI_ACCESS_URL)."
)
@click.option(
    "--webform-url", metavar="URL", help="Web Form 2.0 base URL ($FINAPI_WEBFORM_URL)."
)
@click.option(
    "--request-timeout",
    "timeout",
    type=float,
    metavar="SECONDS",
    help="Timeout of each request ($FINAPI_TIMEOUT).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON for scripts instead of tables."
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="-v logs each request to stderr, -vv also the (masked) bodies.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(package_name="finapi-facade", prog_name="finapi")
@click.pass_context
def cli(
    ctx: click.Context,
    *,
    config_path: Path | None,
    client_id: str | None,
    client_secret: str | None,
    environment: str | None,
    access_url: str | None,
    webform_url: str | None,
    timeout: float | None,
    as_json: bool,
    verbose: int,
    debug: bool,
) -> None:
    """finAPI from the command line: tokens, users, web forms, accounts, transactions."""
    flags = {
        "client_id": client_id,
        "client_secret": client_secret,
        "environment": environment,
        "access_url": access_url,
        "webform_url": webform_url,
        "timeout": timeout,
        "user_id": None,
    }
    app = _App(flags, config_path, verbose)
    app.as_json = as_json
    ctx.obj = app
    ctx.call_on_close(app.close)
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("finapi: %(levelname)s %(message)s"))
        logger = logging.getLogger("finapi")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


# -- emulator ----------------------------------------------------------------------


@cli.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    },
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Run the local finAPI emulator.

    Its own options follow: finapi emulator --help lists them.
    """
    try:
        from finapi.emulator.__main__ import main as emulator_main  # noqa: PLC0415
    except ImportError as exc:
        msg = (
            "finapi emulator needs the emulator extra "
            f"(pip install 'finapi-facade[emulator]'): {exc}"
        )
        raise click.ClickException(msg) from None
    status = emulator_main(list(args), prog="finapi emulator")
    if status:
        click.get_current_context().exit(status)


# -- token ---------------------------------------------------------------------------


@cli.command()
@click.option(
    "--user",
    "user_id",
    metavar="USER_ID",
    help="Get this user's token instead of the client's.",
)
@click.option(
    "--password",
    metavar="PASSWORD",
    help=f"The user's password (default: ${PASSWORD_ENV}, else a silent prompt).",
)
@click.option(
    "--show-token",
    is_flag=True,
    help="Also print the access token (it is then not revoked on exit).",
)
@_json_option
def token(user_id: str | None, password: str | None, show_token: bool) -> None:
    """Get the client's or a user's token and show its expiry.

    The token itself is printed only with --show-token.
    """
    app = _app()
    if show_token:
        app.revoke_on_close = False
    if user_id:
        current = app.session(user_id, password).token()
        principal = {"principal": "user", "user_id": user_id}
    else:
        current = app.fin().client_token()
        principal = {"principal": "client"}
    expires_in = max(current.expires_in(), 0.0)
    expires_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=expires_in)
    data: dict[str, Any] = {
        **principal,
        "client_id": app.settings.client_id,
        "token_type": current.token_type,
        "scope": current.scope,
        "expires_in": round(expires_in),
        "expires_at": expires_at.isoformat(timespec="seconds"),
        "has_refresh_token": current.refresh_token is not None,
    }
    if show_token:
        data["access_token"] = current.access_token
    else:
        data["access_token"] = _HIDDEN

    def render() -> None:
        app.console.print(out.fields_table(data, title="Token"))

    if app.as_json and not show_token:
        del data["access_token"]
    _emit(data, render)


# -- users ---------------------------------------------------------------------------


@cli.group()
def users() -> None:
    """Create and delete users (with the client token)."""


@users.command("create")
@click.option(
    "--user-id",
    metavar="USER_ID",
    help="The new user's id (default: $FINAPI_USER_ID or user_id in the config file, "
    "else generated).",
)
@click.option(
    "--password",
    metavar="PASSWORD",
    help=f"The new user's password (default: ${PASSWORD_ENV}, else a silent prompt).",
)
@click.option(
    "--generate-password",
    "generate_password_",
    is_flag=True,
    help="Generate a strong password and print it once.",
)
@click.option("--email", help="The user's email address.")
@click.option("--phone", help="The user's phone number.")
@_json_option
def users_create(
    *,
    user_id: str | None,
    password: str | None,
    generate_password_: bool,
    email: str | None,
    phone: str | None,
) -> None:
    """Create a user."""
    app = _app()
    new_id = user_id or app.settings.user_id or generate_user_id()
    if generate_password_:
        if password:
            msg = "pass --password or --generate-password, not both"
            raise click.UsageError(msg)
        secret: str | None = generate_password()
    else:
        secret = _password(password, new_id, prompt=True, confirm=True)
    created = app.fin().users.create(new_id, secret, email=email, phone=phone)
    data: dict[str, Any] = {"id": created.id}
    if generate_password_:
        data["password"] = created.password

    def render() -> None:
        app.console.print(f"Created user [bold]{created.id}[/]")
        if generate_password_:
            app.console.print(
                f"Generated password (shown once, keep it): {created.password}"
            )

    _emit(data, render)


@users.command("delete")
@click.argument("user_id")
@click.option(
    "--password",
    metavar="PASSWORD",
    help=f"The user's password (or ${PASSWORD_ENV}); without it the client token "
    "deletes the user, which finAPI allows for unverified users only.",
)
@_json_option
def users_delete(user_id: str, password: str | None) -> None:
    """Delete a user."""
    app = _app()
    secret = _password(password, user_id, prompt=False)
    app.fin().users.delete(user_id, secret)

    def render() -> None:
        app.console.print(f"Deleted user [bold]{user_id}[/]")

    _emit({"id": user_id, "deleted": True}, render)


# -- web forms -----------------------------------------------------------------------


@cli.group()
def webform() -> None:
    """Create, inspect and wait for a user's web forms."""


def _wait_options(func: F) -> F:
    func = click.option(
        "--timeout",
        "wait_timeout",
        type=click.FloatRange(min=0),
        default=600.0,
        show_default=True,
        help="Longest wait in seconds.",
    )(func)
    return click.option(
        "--wait", is_flag=True, help="Wait for the web form's final status."
    )(func)


def _callbacks(callback_url: str | None) -> dict[str, Any]:
    return {"callbacks": {"finalised": callback_url}} if callback_url else {}


def _show_form(form: Any, *, hint: bool) -> None:
    app = _app()
    data = out.as_dict(form)

    def render() -> None:
        app.console.print(out.fields_table(out.webform_fields(data), title="Web form"))
        if hint and data.get("status") not in ("COMPLETED", "COMPLETED_WITH_ERROR"):
            app.console.print(f"Send the user to: {data.get('url')}")

    _emit(data, render)


def _wait_and_show(session: UserSession, form_id: str, timeout: float) -> None:
    app = _app()
    with out.StatusProgress(app.err, f"web form {form_id}") as progress:
        final = session.webforms.wait(
            form_id, timeout=timeout, interval=0.5, on_progress=progress
        )
    _show_form(final, hint=False)
    status = out.as_dict(final).get("status")
    if status != "COMPLETED":
        app.err.print(f"finapi: web form ended {status}")
        click.get_current_context().exit(EXIT_NOT_COMPLETED)


@webform.command("import")
@_user_options
@click.option("--bank-id", type=int, help="Preselect this bank.")
@click.option("--bank-search", metavar="TEXT", help="Preselect the bank matching TEXT.")
@click.option("--name", help="Name of the new bank connection.")
@click.option(
    "--callback-url", metavar="URL", help="finAPI posts the final status here."
)
@click.option(
    "--redirect-url", metavar="URL", help="Where the page sends the user at the end."
)
@_wait_options
@_json_option
def webform_import(
    *,
    user_id: str | None,
    password: str | None,
    bank_id: int | None,
    bank_search: str | None,
    name: str | None,
    callback_url: str | None,
    redirect_url: str | None,
    wait: bool,
    wait_timeout: float,
) -> None:
    """Create a web form that imports a bank connection; print its URL."""
    if bank_id is not None and bank_search is not None:
        msg = "pass --bank-id or --bank-search, not both"
        raise click.UsageError(msg)
    session = _app().session(user_id, password)
    details: dict[str, Any] = _callbacks(callback_url)
    if bank_id is not None:
        details["bank"] = {"id": bank_id}
    elif bank_search is not None:
        details["bank"] = {"search": bank_search}
    if name:
        details["bankConnectionName"] = name
    if redirect_url:
        details["redirectUrl"] = redirect_url
    form = session.webforms.bank_connection_import(details)
    _show_form(form, hint=True)
    if wait:
        _wait_and_show(session, form.id, wait_timeout)


@webform.command("update")
@_user_options
@click.option(
    "--bank-connection-id", type=int, required=True, help="The connection to update."
)
@click.option(
    "--callback-url", metavar="URL", help="finAPI posts the final status here."
)
@click.option(
    "--redirect-url", metavar="URL", help="Where the page sends the user at the end."
)
@_wait_options
@_json_option
def webform_update(
    *,
    user_id: str | None,
    password: str | None,
    bank_connection_id: int,
    callback_url: str | None,
    redirect_url: str | None,
    wait: bool,
    wait_timeout: float,
) -> None:
    """Create a web form that updates a bank connection; print its URL."""
    session = _app().session(user_id, password)
    details: dict[str, Any] = {
        "bank": {"bankConnectionId": bank_connection_id},
        **_callbacks(callback_url),
    }
    if redirect_url:
        details["redirectUrl"] = redirect_url
    form = session.webforms.bank_connection_update(details)
    _show_form(form, hint=True)
    if wait:
        _wait_and_show(session, form.id, wait_timeout)


@webform.command("get")
@click.argument("web_form_id")
@_user_options
@_json_option
def webform_get(web_form_id: str, user_id: str | None, password: str | None) -> None:
    """Show a web form and its status."""
    session = _app().session(user_id, password)
    _show_form(session.webforms.get(web_form_id), hint=True)


@webform.command("wait")
@click.argument("web_form_id")
@_user_options
@click.option(
    "--timeout",
    "wait_timeout",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Longest wait in seconds.",
)
@_json_option
def webform_wait(
    web_form_id: str, user_id: str | None, password: str | None, wait_timeout: float
) -> None:
    """Wait for a web form's final status (exit 3 unless it is COMPLETED)."""
    session = _app().session(user_id, password)
    _wait_and_show(session, web_form_id, wait_timeout)


# -- accounts and transactions -------------------------------------------------------


@cli.command()
@_user_options
@click.option(
    "--bank-connection-id",
    "bank_connection_ids",
    type=int,
    multiple=True,
    help="Only accounts of this connection (repeatable).",
)
@_json_option
def accounts(
    user_id: str | None, password: str | None, bank_connection_ids: Sequence[int]
) -> None:
    """List a user's accounts."""
    app = _app()
    session = app.session(user_id, password)
    filters: dict[str, Any] = {}
    if bank_connection_ids:
        filters["bank_connection_ids"] = list(bank_connection_ids)
    rows = [out.as_dict(a) for a in session.accounts(**filters)]

    def render() -> None:
        app.console.print(out.accounts_table(rows))

    _emit(rows, render)


@cli.command()
@_user_options
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="How many of the latest transactions.",
)
@click.option(
    "--account-id",
    "account_ids",
    type=int,
    multiple=True,
    help="Only transactions of this account (repeatable).",
)
@click.option(
    "--view",
    type=click.Choice(["userView", "bankView"]),
    default="userView",
    show_default=True,
    help="finAPI's view of the transactions.",
)
@_json_option
def transactions(
    *,
    user_id: str | None,
    password: str | None,
    limit: int,
    account_ids: Sequence[int],
    view: str,
) -> None:
    """List a user's latest transactions, newest first."""
    app = _app()
    session = app.session(user_id, password)
    filters: dict[str, Any] = {"order": ["bankBookingDate,desc", "id,desc"]}
    if account_ids:
        filters["account_ids"] = list(account_ids)
    found = session.transactions(view=view, per_page=min(limit, 500), **filters)
    rows = [out.as_dict(t) for t in islice(found, limit)]

    def render() -> None:
        app.console.print(out.transactions_table(rows))

    _emit(rows, render)


# -- entry point ---------------------------------------------------------------------


def _fail(message: str, argv: Sequence[str], **fields: Any) -> None:
    line = " ".join(message.split())
    if "--json" in argv:
        sys.stderr.write(json.dumps({"error": line, **fields}) + "\n")
    else:
        sys.stderr.write(f"finapi: error: {line}\n")
    sys.stderr.flush()


def _failure(exc: Exception, args: Sequence[str]) -> int:
    """Print the one line for an exception and return the exit status."""
    if isinstance(exc, click.exceptions.Abort):
        _fail("aborted", args)
        return EXIT_FAILURE
    if isinstance(exc, click.ClickException):
        _fail(exc.format_message(), args)
        return exc.exit_code
    if isinstance(exc, FinAPIError):
        fields = {
            "type": type(exc).__name__,
            "status": exc.status,
            "code": exc.code,
            "request_id": exc.request_id,
        }
        _fail(str(exc), args, **fields)
        return EXIT_FAILURE
    if isinstance(exc, ConfigError):
        _fail(str(exc), args)
        return EXIT_USAGE
    if isinstance(exc, ValueError):
        _fail(f"invalid input: {exc}", args)
        return EXIT_USAGE
    _fail(
        f"internal error {type(exc).__name__}: {exc} (run with --debug for the traceback)",
        args,
    )
    return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors end in one line on stderr, never a traceback.

    Args:
        argv: The arguments; ``sys.argv[1:]`` by default.

    Returns:
        The exit status (0 on success).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="finapi", standalone_mode=False)
    except KeyboardInterrupt:
        _fail("interrupted", args)
        return 130
    except Exception as exc:
        expected = (click.ClickException, click.exceptions.Abort, FinAPIError)
        if "--debug" in args and not isinstance(exc, expected):
            raise
        return _failure(exc, args)
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console script entry point: exit with :func:`main`'s status."""
    sys.exit(main())
