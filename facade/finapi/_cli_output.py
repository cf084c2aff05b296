"""What the command line and the demo print: rich tables, JSON, progress.

Everything here works on the JSON shape of finAPI's objects (the generated
models' ``to_dict()``), so tables and ``--json`` output show the same fields
under the names finAPI documents.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from rich.console import Console
from rich.table import Table

__all__: list[str] = []

#: Width used when the output is not a terminal, so that tables are not cut.
_PIPE_WIDTH = 160


def make_console(file: IO[str] | None = None) -> Console:
    """Return a console for stdout (or another stream), wide when not a terminal.

    Args:
        file: The stream; ``sys.stdout`` by default.

    Returns:
        The console.
    """
    stream = file if file is not None else sys.stdout
    console = Console(file=stream, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(
            file=stream, highlight=False, width=_PIPE_WIDTH, soft_wrap=False
        )
    return console


def as_dict(model: Any) -> dict[str, Any]:
    """Return a generated model (or a mapping) as finAPI's JSON object.

    Args:
        model: A generated model with ``to_dict()``, or a mapping.

    Returns:
        The JSON object.
    """
    if isinstance(model, Mapping):
        return dict(model)
    data: dict[str, Any] = model.to_dict()
    return data


def dump_json(data: object, file: IO[str] | None = None) -> None:
    """Print data as indented JSON.

    Args:
        data: Any JSON-able value.
        file: The stream; stdout by default.
    """
    stream = file if file is not None else sys.stdout
    stream.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    stream.flush()


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _table(
    title: str | None,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Mapping[str, Any]],
    right: Sequence[str] = (),
) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for key, header in columns:
        table.add_column(header, justify="right" if key in right else "left")
    for row in rows:
        table.add_row(*(_cell(row.get(key)) for key, _ in columns))
    return table


def fields_table(data: Mapping[str, Any], title: str | None = None) -> Table:
    """Return a two-column table of names and values.

    Args:
        data: The fields in order.
        title: A title above the table.

    Returns:
        The table.
    """
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in data.items():
        table.add_row(key, _cell(value))
    return table


def bank_connections_table(connections: Iterable[Mapping[str, Any]]) -> Table:
    """Return the table of bank connections (finAPI JSON objects).

    Args:
        connections: The connections.

    Returns:
        The table.
    """
    rows = []
    for c in connections:
        bank = c.get("bank") or {}
        rows.append(
            {
                "id": c.get("id"),
                "bank": bank.get("name"),
                "name": c.get("name"),
                "status": c.get("updateStatus"),
                "accounts": len(c.get("accountIds") or []),
            }
        )
    columns = [
        ("id", "id"),
        ("bank", "bank"),
        ("name", "name"),
        ("status", "update status"),
        ("accounts", "accounts"),
    ]
    return _table("Bank connections", columns, rows, right=("id", "accounts"))


def accounts_table(accounts: Iterable[Mapping[str, Any]]) -> Table:
    """Return the table of accounts (finAPI JSON objects).

    Args:
        accounts: The accounts.

    Returns:
        The table.
    """
    columns = [
        ("id", "id"),
        ("bankConnectionId", "connection"),
        ("accountName", "name"),
        ("iban", "IBAN"),
        ("accountType", "type"),
        ("balance", "balance"),
        ("accountCurrency", "currency"),
    ]
    return _table(
        "Accounts", columns, accounts, right=("id", "bankConnectionId", "balance")
    )


def transactions_table(
    transactions: Iterable[Mapping[str, Any]], title: str = "Transactions"
) -> Table:
    """Return the table of transactions (finAPI JSON objects).

    Args:
        transactions: The transactions.
        title: The table's title.

    Returns:
        The table.
    """
    rows = []
    for t in transactions:
        date = t.get("bankBookingDate") or t.get("finapiBookingDate") or ""
        purpose = t.get("purpose") or ""
        rows.append(
            {
                "id": t.get("id"),
                "accountId": t.get("accountId"),
                "date": str(date)[:10],
                "amount": t.get("amount"),
                "currency": t.get("currency"),
                "counterpart": t.get("counterpartName"),
                "purpose": purpose if len(purpose) <= 40 else purpose[:39] + "…",
            }
        )
    columns = [
        ("id", "id"),
        ("accountId", "account"),
        ("date", "booked"),
        ("amount", "amount"),
        ("currency", "currency"),
        ("counterpart", "counterpart"),
        ("purpose", "purpose"),
    ]
    return _table(title, columns, rows, right=("id", "accountId", "amount"))


def webform_fields(form: Mapping[str, Any]) -> dict[str, Any]:
    """Return the fields of a web form worth showing, in reading order.

    Args:
        form: The web form (finAPI JSON object).

    Returns:
        id, type, status, url, dates, and the payload's fields.
    """
    shown = {key: form.get(key) for key in ("id", "type", "status", "url")}
    shown["createdAt"] = form.get("createdAt")
    shown["expiresAt"] = form.get("expiresAt")
    payload = form.get("payload") or {}
    for key, value in payload.items():
        shown[f"payload.{key}"] = value
    return shown


class StatusProgress:
    """Show the status of a web form or task while waiting for it.

    On a terminal a spinner shows the current status; elsewhere (CI logs, nox
    output) one line is printed per status change, with the time elapsed.

    Args:
        console: Where to show it (stderr for the command line).
        what: What is waited for, e.g. ``web form 3f2a...``.
    """

    def __init__(self, console: Console, what: str) -> None:
        self._console = console
        self._what = what
        self._started = time.monotonic()
        self._last: str | None = None
        self._polls = 0
        self._status: Any = None

    def __enter__(self) -> StatusProgress:
        if self._console.is_terminal:
            self._status = self._console.status(f"waiting for {self._what}")
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)
            self._status = None

    def __call__(self, value: Any) -> None:
        """Record one poll's answer (the facade's ``on_progress`` hook).

        Args:
            value: The web form or task just fetched.
        """
        self._polls += 1
        status = getattr(value, "status", None)
        text = str(getattr(status, "value", status))
        elapsed = time.monotonic() - self._started
        if self._status is not None:
            self._status.update(
                f"{self._what}: [bold]{text}[/] after {elapsed:.1f} s "
                f"({self._polls} polls)"
            )
        if text != self._last:
            self._console.print(
                f"  {self._what}: {text}  (after {elapsed:.1f} s, poll {self._polls})"
            )
            self._last = text
