"""Iterate a user's bank connections, accounts and transactions.

Transactions come in pages (``page``/``perPage``, at most 500 per page); the
helpers ask for the next page until ``paging.pageCount`` is reached. finAPI
Access answers bank connections and accounts in one list without paging; their
helpers iterate that list so that all three read the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from finapi._calls import acall, call

if TYPE_CHECKING:
    from finapi_access.client import AuthenticatedClient
    from finapi_access.models.account import Account
    from finapi_access.models.bank_connection import BankConnection
    from finapi_access.models.pageable_transaction_list import PageableTransactionList
    from finapi_access.models.transaction import Transaction

__all__: list[str] = []

#: Largest ``perPage`` finAPI Access accepts.
MAX_PER_PAGE = 500


def _caller_id(filters: dict[str, Any]) -> str | None:
    request_id = filters.get("x_request_id")
    return request_id if isinstance(request_id, str) and request_id else None


def _check_per_page(per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        msg = f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}"
        raise ValueError(msg)


def _view(view: str) -> Any:
    from finapi_access.models.get_and_search_all_transactions_view import (  # noqa: PLC0415
        GetAndSearchAllTransactionsView,
    )

    return GetAndSearchAllTransactionsView(view)


def _last_page(page: PageableTransactionList) -> bool:
    paging = page.paging
    return not page.transactions or paging.page >= paging.page_count


def iter_bank_connections(
    client: AuthenticatedClient, **filters: Any
) -> Iterator[BankConnection]:
    """Yield the user's bank connections.

    Args:
        client: The session's generated Access client.
        **filters: Arguments of ``get_all_bank_connections`` (e.g. ``ids``).

    Yields:
        Each bank connection.
    """
    from finapi_access.api.bank_connections import get_all_bank_connections  # noqa: PLC0415
    from finapi_access.models.bank_connection_list import BankConnectionList  # noqa: PLC0415

    result, _ = call(
        "list bank connections",
        BankConnectionList,
        partial(get_all_bank_connections.sync, client=client, **filters),
        _caller_id(filters),
    )
    yield from result.connections


def iter_accounts(client: AuthenticatedClient, **filters: Any) -> Iterator[Account]:
    """Yield the user's accounts.

    Args:
        client: The session's generated Access client.
        **filters: Arguments of ``get_and_search_all_accounts``.

    Yields:
        Each account.
    """
    from finapi_access.api.accounts import get_and_search_all_accounts  # noqa: PLC0415
    from finapi_access.models.account_list import AccountList  # noqa: PLC0415

    result, _ = call(
        "list accounts",
        AccountList,
        partial(get_and_search_all_accounts.sync, client=client, **filters),
        _caller_id(filters),
    )
    yield from result.accounts


def iter_transaction_pages(
    client: AuthenticatedClient,
    *,
    view: str = "userView",
    per_page: int = MAX_PER_PAGE,
    **filters: Any,
) -> Iterator[PageableTransactionList]:
    """Yield every page of the user's transactions.

    Args:
        client: The session's generated Access client.
        view: ``userView`` or ``bankView``.
        per_page: Page size (1 to 500).
        **filters: Further arguments of ``get_and_search_all_transactions``.

    Yields:
        Each page.
    """
    from finapi_access.api.transactions import (  # noqa: PLC0415
        get_and_search_all_transactions,
    )
    from finapi_access.models.pageable_transaction_list import (  # noqa: PLC0415
        PageableTransactionList,
    )

    _check_per_page(per_page)
    page_number = 1
    while True:
        page, _ = call(
            "list transactions",
            PageableTransactionList,
            partial(
                get_and_search_all_transactions.sync,
                client=client,
                view=_view(view),
                page=page_number,
                per_page=per_page,
                **filters,
            ),
            _caller_id(filters),
        )
        yield page
        if _last_page(page):
            return
        page_number += 1


def iter_transactions(
    client: AuthenticatedClient,
    *,
    view: str = "userView",
    per_page: int = MAX_PER_PAGE,
    **filters: Any,
) -> Iterator[Transaction]:
    """Yield the user's transactions across all pages.

    Args:
        client: The session's generated Access client.
        view: ``userView`` or ``bankView``.
        per_page: Page size (1 to 500).
        **filters: Further arguments of ``get_and_search_all_transactions``.

    Yields:
        Each transaction.
    """
    for page in iter_transaction_pages(client, view=view, per_page=per_page, **filters):
        yield from page.transactions


async def aiter_bank_connections(
    client: AuthenticatedClient, **filters: Any
) -> AsyncIterator[BankConnection]:
    """Yield the user's bank connections (async).

    Args:
        client: The session's generated Access client.
        **filters: Arguments of ``get_all_bank_connections``.

    Yields:
        Each bank connection.
    """
    from finapi_access.api.bank_connections import get_all_bank_connections  # noqa: PLC0415
    from finapi_access.models.bank_connection_list import BankConnectionList  # noqa: PLC0415

    result, _ = await acall(
        "list bank connections",
        BankConnectionList,
        partial(get_all_bank_connections.asyncio, client=client, **filters),
        _caller_id(filters),
    )
    for connection in result.connections:
        yield connection


async def aiter_accounts(
    client: AuthenticatedClient, **filters: Any
) -> AsyncIterator[Account]:
    """Yield the user's accounts (async).

    Args:
        client: The session's generated Access client.
        **filters: Arguments of ``get_and_search_all_accounts``.

    Yields:
        Each account.
    """
    from finapi_access.api.accounts import get_and_search_all_accounts  # noqa: PLC0415
    from finapi_access.models.account_list import AccountList  # noqa: PLC0415

    result, _ = await acall(
        "list accounts",
        AccountList,
        partial(get_and_search_all_accounts.asyncio, client=client, **filters),
        _caller_id(filters),
    )
    for account in result.accounts:
        yield account


async def aiter_transaction_pages(
    client: AuthenticatedClient,
    *,
    view: str = "userView",
    per_page: int = MAX_PER_PAGE,
    **filters: Any,
) -> AsyncIterator[PageableTransactionList]:
    """Yield every page of the user's transactions (async).

    Args:
        client: The session's generated Access client.
        view: ``userView`` or ``bankView``.
        per_page: Page size (1 to 500).
        **filters: Further arguments of ``get_and_search_all_transactions``.

    Yields:
        Each page.
    """
    from finapi_access.api.transactions import (  # noqa: PLC0415
        get_and_search_all_transactions,
    )
    from finapi_access.models.pageable_transaction_list import (  # noqa: PLC0415
        PageableTransactionList,
    )

    _check_per_page(per_page)
    page_number = 1
    while True:
        page, _ = await acall(
            "list transactions",
            PageableTransactionList,
            partial(
                get_and_search_all_transactions.asyncio,
                client=client,
                view=_view(view),
                page=page_number,
                per_page=per_page,
                **filters,
            ),
            _caller_id(filters),
        )
        yield page
        if _last_page(page):
            return
        page_number += 1


async def aiter_transactions(
    client: AuthenticatedClient,
    *,
    view: str = "userView",
    per_page: int = MAX_PER_PAGE,
    **filters: Any,
) -> AsyncIterator[Transaction]:
    """Yield the user's transactions across all pages (async).

    Args:
        client: The session's generated Access client.
        view: ``userView`` or ``bankView``.
        per_page: Page size (1 to 500).
        **filters: Further arguments of ``get_and_search_all_transactions``.

    Yields:
        Each transaction.
    """
    async for page in aiter_transaction_pages(
        client, view=view, per_page=per_page, **filters
    ):
        for transaction in page.transactions:
            yield transaction
