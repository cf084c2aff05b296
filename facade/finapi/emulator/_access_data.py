"""Access handlers for banks, bank connections, accounts, transactions, categories, labels
and the client configuration, with generated demo data."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ._core import handler
from ._schema import SchemaTools
from ._wire import ACCESS, ApiError, Ctx, Reply, access_time, now

if TYPE_CHECKING:
    from ._core import Emulator
    from ._state import User

__all__ = ["TEST_BANK_ID", "demo_banks", "forget_user", "import_connection", "seed"]

TEST_BANK_ID = 280001
_FREE_TEXT_MAX = 128
_INT32_MAX = 2**31 - 1

# (id, name, blz, bic, city, interfaces, supported, test bank)
_BANKS: list[
    tuple[int, str, str, str | None, str | None, tuple[str, ...], bool, bool]
] = [
    (
        TEST_BANK_ID,
        "finAPI Test Bank",
        "00000000",
        None,
        None,
        ("FINTS_SERVER", "XS2A"),
        True,
        True,
    ),
    (
        280002,
        "Demo Sparkasse Musterstadt",
        "10050099",
        "DEMODEM1XXX",
        "Musterstadt",
        ("FINTS_SERVER", "XS2A"),
        True,
        False,
    ),
    (
        280003,
        "Demo Volksbank Beispielhausen",
        "20069099",
        "DEMODEM2XXX",
        "Beispielhausen",
        ("XS2A",),
        True,
        False,
    ),
    (
        280004,
        "Demo Direktbank",
        "30020099",
        "DEMODEM3XXX",
        None,
        ("WEB_SCRAPER",),
        True,
        False,
    ),
    (
        280005,
        "Demo Privatbank (not supported)",
        "40030099",
        None,
        "Nirgendwo",
        (),
        False,
        False,
    ),
]

# (id, name, parent id)
_CATEGORIES: list[tuple[int, str, int | None]] = [
    (1, "Einnahmen", None),
    (2, "Gehalt", 1),
    (3, "Wohnen", None),
    (4, "Miete", 3),
    (5, "Strom und Gas", 3),
    (6, "Lebensmittel", None),
    (7, "Mobilität", None),
    (8, "Bahn", 7),
    (9, "Freizeit", None),
    (10, "Streaming", 9),
    (11, "Bargeld", None),
]

# (counterpart, IBAN or None, purpose, category id or None, min amount, max amount)
_COUNTERPARTS: list[tuple[str | None, str | None, str, int | None, float, float]] = [
    ("ACME Software GmbH", "DE02120300000000202051", "Gehalt", 2, 2400.0, 3100.0),
    (
        "Hausverwaltung Sonnenhof",
        "DE02500105170137075030",
        "Miete Wohnung 3 OG",
        4,
        -980.0,
        -980.0,
    ),
    (
        "Stadtwerke Musterstadt",
        "DE02100500000054540402",
        "Abschlag Strom",
        5,
        -95.0,
        -60.0,
    ),
    ("REWE Markt GmbH", None, "Kartenzahlung", 6, -85.0, -8.0),
    ("EDEKA Center", None, "Kartenzahlung", 6, -60.0, -5.0),
    ("DB Fernverkehr AG", "DE02300209000106531065", "Fahrkarte", 8, -120.0, -19.9),
    ("Streamflix Ltd", None, "Abo monatlich", 10, -12.99, -12.99),
    (None, None, "Bargeldauszahlung Geldautomat", 11, -200.0, -20.0),
]


def seed(emu: Emulator) -> None:
    """Create the demo banks and the system categories of a fresh emulator.

    Args:
        emu: The emulator.
    """
    tools = SchemaTools(emu.access_spec)
    emu.state.access_tools = tools
    emu.state.banks = {b["id"]: b for b in demo_banks(tools)}
    emu.state.categories = {
        cid: _category(tools, cid, name, parent, is_custom=False)
        for cid, name, parent in _CATEGORIES
    }
    _link_children(emu.state.categories)
    emu.state.counters["category"] = 1000


def demo_banks(tools: SchemaTools) -> list[dict[str, Any]]:
    """Return the demo banks as Access ``Bank`` objects.

    Args:
        tools: Schema tools of the served Access spec.
    """
    out = []
    for bank_id, name, blz, bic, city, interfaces, supported, test in _BANKS:
        ifaces = [
            tools.make(
                "BankInterface",
                {
                    "interface": iface,
                    "tppAuthenticationGroup": None,
                    "loginCredentials": [
                        {
                            "label": "Onlinebanking-ID",
                            "isSecret": False,
                            "isVolatile": False,
                        },
                        {"label": "PIN", "isSecret": True, "isVolatile": False},
                    ],
                    "properties": ["REDIRECT_APPROACH"] if iface == "XS2A" else [],
                    "loginHint": "Demo login: see the web form page.",
                    "health": 100,
                    "isMoneyTransferSupported": True,
                    "isAisSupported": True,
                    "paymentCapabilities": tools.make(
                        "BankInterfacePaymentCapabilities",
                        {
                            "sepaMoneyTransfer": True,
                            "sepaStandingOrder": iface != "WEB_SCRAPER",
                        },
                    ),
                    "aisAccountTypes": ["Checking", "Savings", "CreditCard"],
                },
            )
            for iface in interfaces
        ]
        out.append(
            tools.make(
                "Bank",
                {
                    "id": bank_id,
                    "name": name,
                    "loginHint": None,
                    "bic": bic,
                    "blzs": [blz],
                    "blz": blz,
                    "location": "DE",
                    "city": city,
                    "isSupported": supported,
                    "isTestBank": test,
                    "popularity": 100 - (bank_id - TEST_BANK_ID) * 10,
                    "health": 100 if supported else 0,
                    "loginFieldUserId": "Onlinebanking-ID" if supported else None,
                    "loginFieldCustomerId": None,
                    "loginFieldPin": "PIN" if supported else None,
                    "pinsAreVolatile": False,
                    "isCustomerIdPassword": False,
                    "supportedDataSources": [i for i in interfaces if i != "XS2A"],
                    "interfaces": ifaces,
                    "bankGroup": None
                    if test
                    else {"id": bank_id % 7 + 1, "name": "Demo banks"},
                    "lastCommunicationAttempt": None,
                    "lastSuccessfulCommunication": None,
                    "isBeta": False,
                },
            )
        )
    return out


def _category(
    tools: SchemaTools, cid: int, name: str, parent: int | None, *, is_custom: bool
) -> dict[str, Any]:
    return dict(
        tools.make(
            "Category",
            {
                "id": cid,
                "name": name,
                "parentId": parent,
                "parentName": None,
                "isCustom": is_custom,
                "children": None,
            },
        )
    )


def _link_children(categories: dict[int, dict[str, Any]]) -> None:
    for cat in categories.values():
        cat["children"] = None
    for cat in categories.values():
        parent = (
            categories.get(cat["parentId"]) if cat["parentId"] is not None else None
        )
        if parent is not None:
            cat["parentName"] = parent["name"]
            parent["children"] = sorted([*(parent["children"] or []), cat["id"]])


def forget_user(emu: Emulator, user: User) -> None:
    """Drop what a deleted user owned outside its own record (its web forms and tasks).

    Args:
        emu: The emulator.
        user: The deleted user.
    """
    for store in ("webforms", "tasks"):
        items = getattr(emu.state, store, {})
        for key in [
            k for k, v in items.items() if v["_owner"] == (user.client_id, user.id)
        ]:
            del items[key]


# -- helpers ---------------------------------------------------------------------------


def _tools(emu: Emulator) -> SchemaTools:
    tools: SchemaTools = emu.state.access_tools
    return tools


def _user(emu: Emulator, ctx: Ctx) -> User:
    token = emu.authorise(ctx, "user")
    return emu.state.users[(token.client_id, token.user_id or "")]


def _store(user: User, name: str) -> dict[int, dict[str, Any]]:
    store: dict[int, dict[str, Any]] = user.data.setdefault(name, {})
    return store


def _get(store: dict[int, dict[str, Any]], entity_id: int, what: str) -> dict[str, Any]:
    item = store.get(entity_id)
    if item is None:
        raise ApiError(404, "UNKNOWN_ENTITY", f"No {what} with id {entity_id}.")
    return item


def _paged(
    items: list[Any], params: dict[str, Any]
) -> tuple[list[Any], dict[str, int]]:
    page = params.get("page") or 1
    per_page = params.get("perPage") or 20
    if not 1 <= page <= _INT32_MAX:
        raise ApiError(400, "BAD_REQUEST", "Parameter page is out of range.")
    if not 1 <= per_page <= 500:
        raise ApiError(
            400, "ILLEGAL_PAGE_SIZE", "Parameter perPage must be between 1 and 500."
        )
    total = len(items)
    start = (page - 1) * per_page
    paging = {
        "page": page,
        "perPage": per_page,
        "pageCount": math.ceil(total / per_page) if total else 0,
        "totalCount": total,
    }
    return items[start : start + per_page], paging


def _ordered(
    items: list[dict[str, Any]], order: Iterable[str], allowed: Iterable[str]
) -> list[dict[str, Any]]:
    parts = list(order)
    keys: list[tuple[str, bool]] = []
    allowed_set = set(allowed)
    for i, part in enumerate(parts):
        if part in ("asc", "desc"):
            continue
        if part not in allowed_set:
            raise ApiError(400, "UNSUPPORTED_ORDER", f"Cannot order by {part[:40]}.")
        direction = parts[i + 1] if i + 1 < len(parts) else "asc"
        keys.append((part, direction == "desc"))
    for field, reverse in reversed(keys):
        items = sorted(
            items,
            key=lambda x: (x.get(field) is None, x.get(field) or 0),
            reverse=reverse,
        )
    return items


def _body(ctx: Ctx) -> dict[str, Any]:
    if not isinstance(ctx.body, dict):
        raise ApiError(400, "BAD_REQUEST", "The request body must be a JSON object.")
    return ctx.body


def _name(
    body: dict[str, Any], field: str = "name", *, required: bool = True
) -> str | None:
    from ._access import _FREE_TEXT  # noqa: PLC0415 - shared rule

    value = body.get(field)
    if value is None:
        if required:
            raise ApiError(400, "BAD_REQUEST", f"Field {field} is missing.")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "BAD_REQUEST", f"Field {field} must be a non-empty string.")
    if len(value) > _FREE_TEXT_MAX or not _FREE_TEXT.match(value):
        raise ApiError(
            422,
            "ILLEGAL_FIELD_VALUE",
            f"Field {field} is too long or has illegal characters.",
        )
    return value


def _ids_field(body: dict[str, Any], field: str) -> list[int] | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ApiError(400, "BAD_REQUEST", f"Field {field} must be a list of ids.")
    return list(value)


def _bool(body: dict[str, Any], field: str) -> bool | None:
    value = body.get(field)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, "BAD_REQUEST", f"Field {field} must be true or false.")
    return value


def _checked_date(params: dict[str, Any], name: str) -> dt.date | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        if len(str(text)) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(str(text))
    except ValueError:
        msg = f"Parameter {name} must be a date like 2024-01-31."
        raise ApiError(400, "BAD_REQUEST", msg) from None


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


# -- data generation --------------------------------------------------------------------


def import_connection(
    emu: Emulator,
    user: User,
    bank_id: int,
    *,
    name: str | None = None,
    login: str | None = None,
    account_types: Iterable[str] | None = None,
    max_days: int | None = None,
) -> dict[str, Any]:
    """Create a bank connection with accounts and transactions for a user.

    Args:
        emu: The emulator.
        user: The owner.
        bank_id: One of the demo banks.
        name: The connection's name.
        login: The banking user id shown on the connection.
        account_types: Only these account types (all by default).
        max_days: Only transactions of the last so many days (0 or None: 90).

    Returns:
        The ``BankConnection`` object.
    """
    tools = _tools(emu)
    bank = emu.state.banks[bank_id]
    conn_id = emu.state.next_id("connection")
    rng = random.Random(emu.seed * 1_000_003 + conn_id)  # noqa: S311 - demo data
    stamp = now()
    wanted = set(account_types or ("Checking", "Savings", "CreditCard"))
    kinds = [t for t in ("Checking", "Savings", "CreditCard") if t in wanted] or [
        "Checking"
    ]
    days = max_days if max_days else 90
    interface = (
        bank["interfaces"][0]["interface"] if bank["interfaces"] else "FINTS_SERVER"
    )
    update = tools.make(
        "UpdateResult",
        {
            "result": "OK",
            "errorMessage": None,
            "errorType": None,
            "timestamp": access_time(stamp),
        },
    )
    account_ids = []
    for kind in kinds:
        account = _make_account(
            emu,
            user,
            conn_id=conn_id,
            bank=bank,
            kind=kind,
            rng=rng,
            days=days,
            interface=interface,
        )
        account_ids.append(account["id"])
    connection = tools.make(
        "BankConnection",
        {
            "id": conn_id,
            "bankId": bank_id,
            "name": name or bank["name"],
            "bankingUserId": login,
            "bankingCustomerId": None,
            "bankingPin": None,
            "type": "DEMO" if bank["isTestBank"] else "ONLINE",
            "updateStatus": "READY",
            "categorizationStatus": "READY",
            "lastManualUpdate": update,
            "lastAutoUpdate": None,
            "ibanOnlyMoneyTransferSupported": True,
            "ibanOnlyDirectDebitSupported": False,
            "collectiveMoneyTransferSupported": False,
            "defaultTwoStepProcedureId": None,
            "twoStepProcedures": [],
            "interfaces": [
                tools.make(
                    "BankConnectionInterface",
                    {
                        "interface": interface,
                        "loginCredentials": [
                            {"label": "Onlinebanking-ID", "value": login},
                            {"label": "PIN", "value": None},
                        ],
                        "defaultTwoStepProcedureId": None,
                        "twoStepProcedures": [],
                        "aisConsent": {
                            "status": "PRESENT",
                            "expiresAt": access_time(stamp + dt.timedelta(days=180)),
                        }
                        if interface == "XS2A"
                        else None,
                        "lastManualUpdate": update,
                        "lastAutoUpdate": None,
                        "userActionRequired": False,
                        "maxDaysForDownload": days,
                    },
                )
            ],
            "accountIds": account_ids,
            "owners": [
                tools.make(
                    "BankConnectionOwner",
                    {
                        "firstName": "Erika",
                        "lastName": "Mustermann",
                        "city": "Musterstadt",
                        "country": "DE",
                    },
                )
            ],
            "bank": bank,
            "furtherLoginNotRecommended": False,
        },
    )
    _store(user, "connections")[conn_id] = connection
    return dict(connection)


def _iban(rng: random.Random) -> str:
    return (
        "DE"
        + f"{rng.randrange(10, 99)}"
        + "".join(str(rng.randrange(10)) for _ in range(18))
    )


def _make_account(
    emu: Emulator,
    user: User,
    *,
    conn_id: int,
    bank: dict[str, Any],
    kind: str,
    rng: random.Random,
    days: int,
    interface: str,
) -> dict[str, Any]:
    tools = _tools(emu)
    account_id = emu.state.next_id("account")
    type_ids = {"Checking": 1, "Savings": 2, "CreditCard": 3}
    stamp = access_time(now())
    transactions = _make_transactions(
        emu, user, account_id=account_id, kind=kind, rng=rng, days=days
    )
    opening = {"Checking": 1500.0, "Savings": 8000.0, "CreditCard": 0.0}[kind]
    balance = round(opening + sum(t["amount"] for t in transactions), 2)
    account = tools.make(
        "Account",
        {
            "id": account_id,
            "bankConnectionId": conn_id,
            "accountName": {
                "Checking": "Girokonto",
                "Savings": "Tagesgeld",
                "CreditCard": "Kreditkarte",
            }[kind],
            "iban": None if kind == "CreditCard" else _iban(rng),
            "accountNumber": f"{rng.randrange(10**9, 10**10)}",
            "subAccountNumber": None,
            "accountHolderName": "Erika Mustermann",
            "accountHolderId": None,
            "accountCurrency": "EUR",
            "accountTypeId": type_ids[kind],
            "accountTypeName": kind,
            "accountType": kind,
            "balance": balance,
            "overdraft": None,
            "overdraftLimit": 1000.0 if kind == "Checking" else None,
            "availableFunds": round(balance + 1000.0, 2)
            if kind == "Checking"
            else None,
            "lastSuccessfulUpdate": stamp,
            "lastUpdateAttempt": stamp,
            "isNew": True,
            "status": "UPDATED",
            "supportedOrders": [] if kind == "CreditCard" else ["SEPA_MONEY_TRANSFER"],
            "interfaces": [
                tools.make(
                    "AccountInterface",
                    {
                        "interface": interface,
                        "status": "UPDATED",
                        "capabilities": ["DATA_DOWNLOAD"]
                        if kind == "CreditCard"
                        else ["DATA_DOWNLOAD", "SEPA_MONEY_TRANSFER"],
                        "paymentCapabilities": tools.make(
                            "AccountInterfacePaymentCapabilities"
                        )
                        if "AccountInterfacePaymentCapabilities" in tools.schemas
                        else {},
                        "lastSuccessfulUpdate": stamp,
                        "lastUpdateAttempt": stamp,
                    },
                )
            ],
            "clearingAccounts": [],
            "isSeized": False,
        },
    )
    _store(user, "accounts")[account_id] = account
    return dict(account)


def _make_transactions(
    emu: Emulator,
    user: User,
    *,
    account_id: int,
    kind: str,
    rng: random.Random,
    days: int,
    count: int | None = None,
) -> list[dict[str, Any]]:
    tools = _tools(emu)
    today = now()
    if kind not in ("Checking", "Savings", "CreditCard"):
        kind = "Checking"
    if count is None:
        count = {"Checking": 30, "Savings": 4, "CreditCard": 12}[kind]
    out = []
    offsets = sorted(
        (rng.randrange(0, max(days, 1)) for _ in range(count)), reverse=True
    )
    for offset in offsets:
        name, iban, purpose, category_id, low, high = rng.choice(
            _COUNTERPARTS if kind == "Checking" else _COUNTERPARTS[3:7]
        )
        if kind == "Savings":
            name, iban, purpose, category_id, low, high = (
                "Erika Mustermann",
                None,
                "Sparrate",
                None,
                50.0,
                300.0,
            )
        amount = round(rng.uniform(low, high), 2)
        booked = today - dt.timedelta(days=offset)
        categorised = category_id is not None and rng.random() < 0.8
        tx_id = emu.state.next_id("transaction")
        category = (
            emu.state.categories.get(category_id)
            if categorised and category_id
            else None
        )
        out.append(
            tools.make(
                "Transaction",
                {
                    "id": tx_id,
                    "parentId": None,
                    "accountId": account_id,
                    "valueDate": access_time(
                        booked.replace(hour=0, minute=0, second=0, microsecond=0)
                    ),
                    "bankBookingDate": access_time(
                        booked.replace(hour=0, minute=0, second=0, microsecond=0)
                    ),
                    "finapiBookingDate": access_time(
                        booked.replace(hour=0, minute=0, second=0, microsecond=0)
                    ),
                    "amount": amount,
                    "currency": "EUR",
                    "purpose": purpose,
                    "counterpartName": name,
                    "counterpartAccountNumber": None,
                    "counterpartIban": iban,
                    "counterpartBlz": None,
                    "counterpartBic": None,
                    "counterpartBankName": None,
                    "type": "Lastschrift" if amount < 0 else "Gutschrift",
                    "typeCodeZka": "005" if amount < 0 else "166",
                    "category": _category_ref(category),
                    "labels": [],
                    "isPotentialDuplicate": False,
                    "isAdjustingEntry": False,
                    "isNew": True,
                    "importDate": access_time(today),
                    "children": None,
                    "paypalData": None,
                },
            )
        )
    store = _store(user, "transactions")
    for tx in out:
        store[tx["id"]] = tx
    return out


def _category_ref(category: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if category is None else dict(category)


# -- banks ------------------------------------------------------------------------------


def _banks_auth(emu: Emulator, ctx: Ctx) -> None:
    emu.authorise(ctx, "any")


@handler(ACCESS, "getAndSearchAllBanks")
def get_and_search_all_banks(emu: Emulator, ctx: Ctx) -> Reply:
    """Search the demo banks, paged."""
    _banks_auth(emu, ctx)
    p = _tools(emu).parameters(ctx)
    banks = list(emu.state.banks.values())
    if p.get("ids"):
        banks = [b for b in banks if b["id"] in set(p["ids"])]
    if p.get("search"):
        term = p["search"].lower()
        banks = [
            b
            for b in banks
            if term in b["name"].lower()
            or term in b["blz"]
            or term in (b["bic"] or "").lower()
        ]
    for flag in ("isSupported", "pinsAreVolatile", "isTestBank"):
        if p.get(flag) is not None:
            banks = [b for b in banks if b[flag] == p[flag]]
    if p.get("supportedInterfaces"):
        wanted = set(p["supportedInterfaces"])
        banks = [b for b in banks if wanted & {i["interface"] for i in b["interfaces"]}]
    if p.get("location"):
        banks = [b for b in banks if b["location"] in set(p["location"])]
    banks = _ordered(
        banks, p.get("order") or [], ("id", "name", "blz", "bic", "popularity")
    )
    page, paging = _paged(banks, p)
    return Reply(200, {"banks": page, "paging": paging})


@handler(ACCESS, "getBank")
def get_bank(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one demo bank."""
    _banks_auth(emu, ctx)
    p = _tools(emu).parameters(ctx)
    return Reply(200, _get(emu.state.banks, p["id"], "bank"))


@handler(ACCESS, "getMultipleBanks")
def get_multiple_banks(emu: Emulator, ctx: Ctx) -> Reply:
    """Return the demo banks with the given ids (unknown ids are left out)."""
    _banks_auth(emu, ctx)
    p = _tools(emu).parameters(ctx)
    return Reply(
        200, {"banks": [emu.state.banks[i] for i in p["ids"] if i in emu.state.banks]}
    )


# -- bank connections ---------------------------------------------------------------------


@handler(ACCESS, "getAllBankConnections")
def get_all_bank_connections(emu: Emulator, ctx: Ctx) -> Reply:
    """List the user's bank connections, optionally only some ids."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    items = list(_store(user, "connections").values())
    if p.get("ids"):
        items = [c for c in items if c["id"] in set(p["ids"])]
    return Reply(200, {"connections": items})


@handler(ACCESS, "getBankConnection")
def get_bank_connection(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one bank connection."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    return Reply(200, _get(_store(user, "connections"), p["id"], "bank connection"))


@handler(ACCESS, "getMultipleBankConnections")
def get_multiple_bank_connections(emu: Emulator, ctx: Ctx) -> Reply:
    """Return the bank connections with the given ids."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    store = _store(user, "connections")
    return Reply(200, {"connections": [store[i] for i in p["ids"] if i in store]})


@handler(ACCESS, "editBankConnection")
def edit_bank_connection(emu: Emulator, ctx: Ctx) -> Reply:
    """Rename a bank connection or change its stored banking user id."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    connection = _get(_store(user, "connections"), p["id"], "bank connection")
    body = _body(ctx)
    name = _name(body, required=False)
    banking_user = body.get("bankingUserId")
    if banking_user is not None and not isinstance(banking_user, str):
        raise ApiError(400, "BAD_REQUEST", "Field bankingUserId must be a string.")
    if name is not None:
        connection["name"] = name
    if banking_user is not None:
        connection["bankingUserId"] = banking_user or None
    return Reply(200, connection)


def _drop_connection(user: User, conn_id: int) -> None:
    connection = _store(user, "connections").pop(conn_id)
    accounts = _store(user, "accounts")
    for account_id in connection["accountIds"]:
        _drop_account(user, accounts, account_id)


def _drop_account(
    user: User, accounts: dict[int, dict[str, Any]], account_id: int
) -> None:
    accounts.pop(account_id, None)
    transactions = _store(user, "transactions")
    for tx_id in [t for t, tx in transactions.items() if tx["accountId"] == account_id]:
        del transactions[tx_id]


@handler(ACCESS, "deleteBankConnection")
def delete_bank_connection(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete a bank connection with its accounts and transactions."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    _get(_store(user, "connections"), p["id"], "bank connection")
    _drop_connection(user, p["id"])
    return Reply(200)


@handler(ACCESS, "deleteAllBankConnections")
def delete_all_bank_connections(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete every bank connection of the user."""
    user = _user(emu, ctx)
    ids = sorted(_store(user, "connections"))
    for conn_id in ids:
        _drop_connection(user, conn_id)
    return Reply(200, {"identifiers": ids})


# -- accounts ---------------------------------------------------------------------------


@handler(ACCESS, "getAndSearchAllAccounts")
def get_and_search_all_accounts(emu: Emulator, ctx: Ctx) -> Reply:
    """Search the user's accounts."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    items = sorted(_store(user, "accounts").values(), key=lambda a: a["id"])
    filters: list[tuple[str, str]] = [
        ("ids", "id"),
        ("accountTypeIds", "accountTypeId"),
        ("accountTypes", "accountType"),
        ("bankConnectionIds", "bankConnectionId"),
    ]
    for param, field in filters:
        if p.get(param):
            wanted = set(p[param])
            items = [a for a in items if a[field] in wanted]
    if p.get("search"):
        term = p["search"].lower()
        items = [
            a
            for a in items
            if any(
                term in (a[f] or "").lower()
                for f in ("accountName", "iban", "accountNumber", "accountHolderName")
            )
        ]
    if p.get("minBalance") is not None:
        items = [a for a in items if (a["balance"] or 0) >= p["minBalance"]]
    if p.get("maxBalance") is not None:
        items = [a for a in items if (a["balance"] or 0) <= p["maxBalance"]]
    return Reply(200, {"accounts": items})


@handler(ACCESS, "getAccount")
def get_account(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one account."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    return Reply(200, _get(_store(user, "accounts"), p["id"], "account"))


@handler(ACCESS, "getMultipleAccounts")
def get_multiple_accounts(emu: Emulator, ctx: Ctx) -> Reply:
    """Return the accounts with the given ids."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    store = _store(user, "accounts")
    return Reply(200, {"accounts": [store[i] for i in p["ids"] if i in store]})


@handler(ACCESS, "editAccount")
def edit_account(emu: Emulator, ctx: Ctx) -> Reply:
    """Change an account's name, type or isNew flag."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    account = _get(_store(user, "accounts"), p["id"], "account")
    body = _body(ctx)
    name = _name(body, "accountName", required=False)
    is_new = _bool(body, "isNew")
    kind = body.get("accountType")
    types = (
        "Checking",
        "Savings",
        "CreditCard",
        "Security",
        "Loan",
        "Pocket",
        "Membership",
        "Bausparen",
    )
    if kind is not None and kind not in types:
        raise ApiError(400, "BAD_REQUEST", "Field accountType has an illegal value.")
    type_id = body.get("accountTypeId")
    if type_id is not None and (
        not isinstance(type_id, int)
        or isinstance(type_id, bool)
        or not 1 <= type_id <= 8
    ):
        raise ApiError(
            400, "BAD_REQUEST", "Field accountTypeId must be between 1 and 8."
        )
    if name is not None:
        account["accountName"] = name
    if is_new is not None:
        account["isNew"] = is_new
    if kind is not None:
        account["accountType"] = kind
        account["accountTypeId"] = types.index(kind) + 1
        account["accountTypeName"] = kind
    elif type_id is not None:
        account["accountTypeId"] = type_id
        account["accountType"] = account["accountTypeName"] = types[type_id - 1]
    return Reply(200, account)


@handler(ACCESS, "deleteAccount")
def delete_account(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete an account with its transactions."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    accounts = _store(user, "accounts")
    account = _get(accounts, p["id"], "account")
    _drop_account(user, accounts, p["id"])
    connection = _store(user, "connections").get(account["bankConnectionId"])
    if connection is not None:
        connection["accountIds"] = [i for i in connection["accountIds"] if i != p["id"]]
    return Reply(200)


@handler(ACCESS, "deleteAllAccounts")
def delete_all_accounts(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete every account of the user."""
    user = _user(emu, ctx)
    accounts = _store(user, "accounts")
    ids = sorted(accounts)
    for account_id in ids:
        _drop_account(user, accounts, account_id)
    for connection in _store(user, "connections").values():
        connection["accountIds"] = []
    return Reply(200, {"identifiers": ids})


@handler(ACCESS, "getDailyBalances")
def get_daily_balances(emu: Emulator, ctx: Ctx) -> Reply:
    """Return a balance per day for some or all accounts, newest first, paged."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    accounts = _store(user, "accounts")
    ids = p.get("accountIds") or sorted(accounts)
    for account_id in ids:
        _get(accounts, account_id, "account")
    end = _checked_date(p, "endDate") or now().date()
    start = _checked_date(p, "startDate") or end - dt.timedelta(days=89)
    if start > end:
        raise ApiError(422, "BAD_REQUEST", "startDate must not be after endDate.")
    if (end - start).days > 3650:
        raise ApiError(422, "BAD_REQUEST", "The period must not exceed ten years.")
    txs = [
        t for t in _store(user, "transactions").values() if t["accountId"] in set(ids)
    ]
    balance = sum((accounts[i]["balance"] or 0.0) for i in ids)
    days = []
    day = now().date()
    while day >= start:
        todays = [t for t in txs if _day(t["bankBookingDate"]) == day]
        income = round(sum(t["amount"] for t in todays if t["amount"] > 0), 2)
        spending = round(sum(t["amount"] for t in todays if t["amount"] < 0), 2)
        if day <= end:
            days.append(
                {
                    "date": day.isoformat(),
                    "balance": round(balance, 2),
                    "income": income,
                    "spending": spending,
                    "internalAdjustingEntries": 0.0,
                    "transactions": sorted(t["id"] for t in todays),
                }
            )
        balance -= income + spending
        day -= dt.timedelta(days=1)
    days = _ordered(days, p.get("order") or [], ("date",)) if p.get("order") else days
    page, paging = _paged(days, p)
    latest = access_time(now()) if ids else None
    return Reply(
        200,
        {
            "latestCommonBalanceTimestamp": latest,
            "dailyBalances": page,
            "paging": paging,
        },
    )


# -- transactions -----------------------------------------------------------------------


def _matches_transaction(tx: dict[str, Any], p: dict[str, Any]) -> bool:  # noqa: PLR0911 - one check per filter
    checks: list[tuple[str, Callable[[Any], bool]]] = [
        ("ids", lambda v: tx["id"] in set(v)),
        ("accountIds", lambda v: tx["accountId"] in set(v)),
        ("labelIds", lambda v: bool(set(v) & {lb["id"] for lb in tx["labels"]})),
        (
            "categoryIds",
            lambda v: (
                tx["category"] is not None
                and (
                    tx["category"]["id"] in set(v)
                    or (
                        p.get("includeChildCategories", True)
                        and tx["category"]["parentId"] in set(v)
                    )
                )
            ),
        ),
    ]
    for name, check in checks:
        if p.get(name) and not check(p[name]):
            return False
    for name in ("isNew", "isPotentialDuplicate", "isAdjustingEntry"):
        if p.get(name) is not None and tx[name] != p[name]:
            return False
    if p.get("minAmount") is not None and tx["amount"] < p["minAmount"]:
        return False
    if p.get("maxAmount") is not None and tx["amount"] > p["maxAmount"]:
        return False
    direction = p.get("direction") or "all"
    if (direction == "income" and tx["amount"] < 0) or (
        direction == "spending" and tx["amount"] >= 0
    ):
        return False
    text_fields = {
        "search": ("purpose", "counterpartName", "counterpartIban", "type"),
        "counterpart": (
            "counterpartName",
            "counterpartIban",
            "counterpartAccountNumber",
        ),
        "purpose": ("purpose",),
    }
    for name, fields in text_fields.items():
        if p.get(name) and not any(
            p[name].lower() in (tx[f] or "").lower() for f in fields
        ):
            return False
    for name, field, upper in (
        ("minBankBookingDate", "bankBookingDate", False),
        ("maxBankBookingDate", "bankBookingDate", True),
        ("minFinapiBookingDate", "finapiBookingDate", False),
        ("maxFinapiBookingDate", "finapiBookingDate", True),
        ("minImportDate", "importDate", False),
        ("maxImportDate", "importDate", True),
    ):
        limit = _checked_date(p, name)
        if limit is not None:
            day = _day(tx[field])
            if (upper and day > limit) or (not upper and day < limit):
                return False
    return True


@handler(ACCESS, "getAndSearchAllTransactions")
def get_and_search_all_transactions(emu: Emulator, ctx: Ctx) -> Reply:
    """Search the user's transactions with finAPI's filters, ordered and paged."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    if p.get("view") is None:
        raise ApiError(
            400, "BAD_REQUEST", "Parameter view is required (bankView or userView)."
        )
    for name in (
        "minBankBookingDate",
        "maxBankBookingDate",
        "minFinapiBookingDate",
        "maxFinapiBookingDate",
        "minImportDate",
        "maxImportDate",
    ):
        _checked_date(p, name)
    items = [
        t for t in _store(user, "transactions").values() if _matches_transaction(t, p)
    ]
    order = p.get("order") or ["finapiBookingDate", "desc", "id", "desc"]
    items = _ordered(
        items,
        order,
        (
            "id",
            "parentId",
            "accountId",
            "valueDate",
            "bankBookingDate",
            "finapiBookingDate",
            "amount",
            "purpose",
            "counterpartName",
            "counterpartIban",
            "isNew",
        ),
    )
    income = round(sum(t["amount"] for t in items if t["amount"] > 0), 2)
    spending = round(sum(t["amount"] for t in items if t["amount"] < 0), 2)
    page, paging = _paged(items, p)
    body = {
        "transactions": page,
        "paging": paging,
        "income": income,
        "spending": spending,
        "balance": round(income + spending, 2),
    }
    return Reply(200, body)


@handler(ACCESS, "getTransaction")
def get_transaction(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one transaction."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    return Reply(200, _get(_store(user, "transactions"), p["id"], "transaction"))


@handler(ACCESS, "getMultipleTransactions")
def get_multiple_transactions(emu: Emulator, ctx: Ctx) -> Reply:
    """Return the transactions with the given ids."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    store = _store(user, "transactions")
    return Reply(200, {"transactions": [store[i] for i in p["ids"] if i in store]})


def _apply_transaction_edit(
    emu: Emulator, user: User, txs: list[dict[str, Any]], body: dict[str, Any]
) -> None:
    is_new = _bool(body, "isNew")
    duplicate = _bool(body, "isPotentialDuplicate")
    _bool(body, "trainCategorization")
    category_id = body.get("categoryId")
    label_ids = _ids_field(body, "labelIds")
    category = None
    if category_id is not None:
        if not isinstance(category_id, int) or isinstance(category_id, bool):
            raise ApiError(400, "BAD_REQUEST", "Field categoryId must be an id.")
        if category_id != 0:
            category = emu.state.categories.get(category_id) or _store(
                user, "categories"
            ).get(category_id)
            if category is None:
                raise ApiError(
                    422, "UNKNOWN_ENTITY", f"No category with id {category_id}."
                )
    labels = []
    if label_ids is not None:
        store = _store(user, "labels")
        missing = [i for i in label_ids if i not in store]
        if missing:
            raise ApiError(422, "UNKNOWN_ENTITY", f"No label with id {missing[0]}.")
        labels = [dict(store[i]) for i in dict.fromkeys(label_ids)]
    for tx in txs:
        if is_new is not None:
            tx["isNew"] = is_new
        if duplicate is not None:
            tx["isPotentialDuplicate"] = duplicate
        if category_id is not None:
            tx["category"] = _category_ref(category)
        if label_ids is not None:
            tx["labels"] = list(labels)


@handler(ACCESS, "editTransaction")
def edit_transaction(emu: Emulator, ctx: Ctx) -> Reply:
    """Change a transaction's flags, category (0 removes it) or labels."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    tx = _get(_store(user, "transactions"), p["id"], "transaction")
    _apply_transaction_edit(emu, user, [tx], _body(ctx))
    return Reply(200, tx)


@handler(ACCESS, "editMultipleTransactions")
def edit_multiple_transactions(emu: Emulator, ctx: Ctx) -> Reply:
    """Change several transactions (by ids or by accounts, else all) at once."""
    user = _user(emu, ctx)
    body = _body(ctx)
    store = _store(user, "transactions")
    ids = _ids_field(body, "ids")
    account_ids = _ids_field(body, "accountIds")
    if ids:
        missing = [i for i in ids if i not in store]
        if missing:
            raise ApiError(
                404, "UNKNOWN_ENTITY", f"No transaction with id {missing[0]}."
            )
        txs = [store[i] for i in ids]
    elif account_ids:
        txs = [t for t in store.values() if t["accountId"] in set(account_ids)]
    else:
        txs = list(store.values())
    _apply_transaction_edit(emu, user, txs, body)
    return Reply(200, {"identifiers": sorted(t["id"] for t in txs)})


@handler(ACCESS, "deleteTransaction")
def delete_transaction(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete one transaction."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    store = _store(user, "transactions")
    _get(store, p["id"], "transaction")
    del store[p["id"]]
    return Reply(200)


@handler(ACCESS, "deleteAllTransactions")
def delete_all_transactions(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete transactions, optionally only some accounts' or older ones."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    store = _store(user, "transactions")
    limit = _checked_date(p, "maxDeletionDate")
    imported = _checked_date(p, "minImportDate")
    victims = [
        t["id"]
        for t in store.values()
        if (not p.get("accountIds") or t["accountId"] in set(p["accountIds"]))
        and (limit is None or _day(t["bankBookingDate"]) <= limit)
        and (imported is None or _day(t["importDate"]) >= imported)
    ]
    for tx_id in victims:
        del store[tx_id]
    return Reply(200, {"identifiers": sorted(victims)})


# -- categories -------------------------------------------------------------------------


def _all_categories(emu: Emulator, user: User) -> dict[int, dict[str, Any]]:
    return {**emu.state.categories, **_store(user, "categories")}


@handler(ACCESS, "getAndSearchAllCategories")
def get_and_search_all_categories(emu: Emulator, ctx: Ctx) -> Reply:
    """Search the system and the user's custom categories, paged."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    items = sorted(_all_categories(emu, user).values(), key=lambda c: c["id"])
    if p.get("ids"):
        items = [c for c in items if c["id"] in set(p["ids"])]
    if p.get("search"):
        items = [c for c in items if p["search"].lower() in c["name"].lower()]
    if p.get("isCustom") is not None:
        items = [c for c in items if c["isCustom"] == p["isCustom"]]
    items = _ordered(items, p.get("order") or [], ("id", "name"))
    page, paging = _paged(items, p)
    return Reply(200, {"categories": page, "paging": paging})


@handler(ACCESS, "getCategory")
def get_category(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one category."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    return Reply(200, _get(_all_categories(emu, user), p["id"], "category"))


@handler(ACCESS, "getMultipleCategories")
def get_multiple_categories(emu: Emulator, ctx: Ctx) -> Reply:
    """Return the categories with the given ids."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    store = _all_categories(emu, user)
    return Reply(200, {"categories": [store[i] for i in p["ids"] if i in store]})


@handler(ACCESS, "createCategory")
def create_category(emu: Emulator, ctx: Ctx) -> Reply:
    """Create a custom category, optionally below a main category."""
    user = _user(emu, ctx)
    body = _body(ctx)
    name = _name(body)
    parent_id = body.get("parentId")
    parent = None
    if parent_id is not None:
        if not isinstance(parent_id, int) or isinstance(parent_id, bool):
            raise ApiError(400, "BAD_REQUEST", "Field parentId must be an id.")
        parent = _all_categories(emu, user).get(parent_id)
        if parent is None:
            raise ApiError(404, "UNKNOWN_ENTITY", f"No category with id {parent_id}.")
        if parent["parentId"] is not None:
            raise ApiError(
                422, "ILLEGAL_FIELD_VALUE", "A sub-category cannot be a parent."
            )
    cid = emu.state.next_id("category")
    category = _category(_tools(emu), cid, name or "", parent_id, is_custom=True)
    store = _store(user, "categories")
    store[cid] = category
    if parent is not None:
        category["parentName"] = parent["name"]
        if parent["isCustom"]:
            parent["children"] = sorted([*(parent["children"] or []), cid])
    return Reply(201, category)


@handler(ACCESS, "editCategory")
def edit_category(emu: Emulator, ctx: Ctx) -> Reply:
    """Rename a custom category."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    if p["id"] in emu.state.categories:
        raise ApiError(403, "FORBIDDEN", "System categories cannot be changed.")
    category = _get(_store(user, "categories"), p["id"], "category")
    category["name"] = _name(_body(ctx))
    return Reply(200, category)


def _drop_category(user: User, cid: int) -> list[int]:
    store = _store(user, "categories")
    category = store.pop(cid)
    gone = [cid]
    for child in list(category["children"] or []):
        if child in store:
            gone += _drop_category(user, child)
    parent = (
        store.get(category["parentId"]) if category["parentId"] is not None else None
    )
    if parent is not None:
        parent["children"] = [c for c in parent["children"] or [] if c != cid] or None
    for tx in _store(user, "transactions").values():
        if tx["category"] is not None and tx["category"]["id"] in gone:
            tx["category"] = None
    return gone


@handler(ACCESS, "deleteCategory")
def delete_category(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete a custom category and its sub-categories."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    if p["id"] in emu.state.categories:
        raise ApiError(403, "FORBIDDEN", "System categories cannot be deleted.")
    _get(_store(user, "categories"), p["id"], "category")
    _drop_category(user, p["id"])
    return Reply(200)


@handler(ACCESS, "deleteAllCategories")
def delete_all_categories(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete every custom category of the user."""
    user = _user(emu, ctx)
    store = _store(user, "categories")
    gone: list[int] = []
    for cid in sorted(store):
        if cid in store:
            gone += _drop_category(user, cid)
    return Reply(200, {"identifiers": sorted(gone)})


# -- labels -----------------------------------------------------------------------------


@handler(ACCESS, "getAndSearchAllLabels")
def get_and_search_all_labels(emu: Emulator, ctx: Ctx) -> Reply:
    """Search the user's labels, paged."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    items = sorted(_store(user, "labels").values(), key=lambda lb: lb["id"])
    if p.get("ids"):
        items = [lb for lb in items if lb["id"] in set(p["ids"])]
    if p.get("search"):
        items = [lb for lb in items if p["search"].lower() in lb["name"].lower()]
    items = _ordered(items, p.get("order") or [], ("id", "name"))
    page, paging = _paged(items, p)
    return Reply(200, {"labels": page, "paging": paging})


@handler(ACCESS, "getLabel")
def get_label(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one label."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    return Reply(200, _get(_store(user, "labels"), p["id"], "label"))


@handler(ACCESS, "getMultipleLabels")
def get_multiple_labels(emu: Emulator, ctx: Ctx) -> Reply:
    """Return the labels with the given ids."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    store = _store(user, "labels")
    return Reply(200, {"labels": [store[i] for i in p["ids"] if i in store]})


@handler(ACCESS, "createLabel")
def create_label(emu: Emulator, ctx: Ctx) -> Reply:
    """Create a label; names are unique per user."""
    user = _user(emu, ctx)
    name = _name(_body(ctx))
    store = _store(user, "labels")
    if any(lb["name"] == name for lb in store.values()):
        raise ApiError(422, "ENTITY_EXISTS", "A label with this name exists.")
    label_id = emu.state.next_id("label")
    label = {"id": label_id, "name": name}
    store[label_id] = label
    return Reply(201, label)


@handler(ACCESS, "editLabel")
def edit_label(emu: Emulator, ctx: Ctx) -> Reply:
    """Rename a label (transactions carrying it follow)."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    label = _get(_store(user, "labels"), p["id"], "label")
    label["name"] = _name(_body(ctx))
    for tx in _store(user, "transactions").values():
        for carried in tx["labels"]:
            if carried["id"] == label["id"]:
                carried["name"] = label["name"]
    return Reply(200, label)


def _drop_label(user: User, label_id: int) -> None:
    del _store(user, "labels")[label_id]
    for tx in _store(user, "transactions").values():
        tx["labels"] = [lb for lb in tx["labels"] if lb["id"] != label_id]


@handler(ACCESS, "deleteLabel")
def delete_label(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete a label and take it off every transaction."""
    user = _user(emu, ctx)
    p = _tools(emu).parameters(ctx)
    _get(_store(user, "labels"), p["id"], "label")
    _drop_label(user, p["id"])
    return Reply(200)


@handler(ACCESS, "deleteAllLabels")
def delete_all_labels(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete every label of the user."""
    user = _user(emu, ctx)
    ids = sorted(_store(user, "labels"))
    for label_id in ids:
        _drop_label(user, label_id)
    return Reply(200, {"identifiers": ids})


# -- client configuration ------------------------------------------------------------------


def _config_json(emu: Emulator, client_id: str) -> dict[str, Any]:
    config = emu.state.client_config[client_id]

    def seconds(value: float | None) -> int:
        return 0 if value is None else max(1, math.ceil(value))

    return dict(
        _tools(emu).make(
            "ClientConfiguration",
            {
                "pfmServicesEnabled": True,
                "isAutomaticBatchUpdateEnabled": False,
                "isDevelopmentModeEnabled": True,
                "isNonEuroAccountsSupported": False,
                "isAutoCategorizationEnabled": True,
                "mandatorLicense": "FULLY_LICENSED",
                "preferredConsentType": "RECURRING",
                "userNotificationCallbackUrl": config["userNotificationCallbackUrl"],
                "userSynchronizationCallbackUrl": config[
                    "userSynchronizationCallbackUrl"
                ],
                "refreshTokensValidityPeriod": seconds(
                    config["refreshTokensValidityPeriod"]
                ),
                "userAccessTokensValidityPeriod": seconds(
                    config["userAccessTokensValidityPeriod"]
                ),
                "clientAccessTokensValidityPeriod": seconds(
                    config["clientAccessTokensValidityPeriod"]
                ),
                "maxUserLoginAttempts": config["maxUserLoginAttempts"],
                "transactionImportLimitation": 0,
                "isUserAutoVerificationEnabled": config[
                    "isUserAutoVerificationEnabled"
                ],
                "isMandatorAdmin": False,
                "isWebScrapingEnabled": True,
                "isXs2aEnabled": True,
                "pinStorageAvailableInWebForm": config["pinStorageAvailableInWebForm"],
                "paymentsEnabled": True,
                "isStandalonePaymentsEnabled": True,
                "availableBankGroups": ["Demo banks"],
                "products": ["ACCESS", "WEB_FORM"],
                "applicationName": config["applicationName"],
                "finTSProductRegistrationNumber": config[
                    "finTSProductRegistrationNumber"
                ],
                "storeSecretsAvailableInWebForm": config[
                    "storeSecretsAvailableInWebForm"
                ],
                "supportSubjectDefault": config["supportSubjectDefault"],
                "supportEmail": config["supportEmail"],
                "aisWebFormMode": "EXTERNAL",
                "pisWebFormMode": "EXTERNAL",
                "pisStandaloneWebFormMode": "EXTERNAL",
                "betaBanksEnabled": config["betaBanksEnabled"],
                "categoryRestrictions": None,
                "autoDismountWebForm": True,
                "corsAllowedOrigins": None,
            },
        )
    )


@handler(ACCESS, "getClientConfiguration")
def get_client_configuration(emu: Emulator, ctx: Ctx) -> Reply:
    """Return the calling client's configuration."""
    token = emu.authorise(ctx, "client")
    return Reply(200, _config_json(emu, token.client_id))


@handler(ACCESS, "editClientConfiguration")
def edit_client_configuration(emu: Emulator, ctx: Ctx) -> Reply:
    """Change the client's configuration; token lifetimes apply to new tokens."""
    token = emu.authorise(ctx, "client")
    body = _body(ctx)
    config = emu.state.client_config[token.client_id]
    updates: dict[str, Any] = {}
    for field in (
        "refreshTokensValidityPeriod",
        "userAccessTokensValidityPeriod",
        "clientAccessTokensValidityPeriod",
    ):
        value = body.get(field)
        if value is None:
            continue
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not 1 <= value <= 2**31 - 1
        ):
            raise ApiError(
                422,
                "ILLEGAL_FIELD_VALUE",
                f"Field {field} must be a positive number of seconds.",
            )
        updates[field] = value
    for field in (
        "isPinStorageAvailableInWebForm",
        "storeSecretsAvailableInWebForm",
        "betaBanksEnabled",
    ):
        value = _bool(body, field)
        if value is not None:
            updates[
                "pinStorageAvailableInWebForm" if field.startswith("isPin") else field
            ] = value
    for field in (
        "userNotificationCallbackUrl",
        "userSynchronizationCallbackUrl",
        "applicationName",
        "finTSProductRegistrationNumber",
        "supportSubjectDefault",
        "supportEmail",
    ):
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 512:
            raise ApiError(400, "BAD_REQUEST", f"Field {field} must be a string.")
        updates[field] = value or None
    config.update(updates)
    return Reply(200, _config_json(emu, token.client_id))


def refresh_connection(emu: Emulator, user: User, conn_id: int) -> None:
    """Update a bank connection as a bank would: a new booking per checking account.

    Args:
        emu: The emulator.
        user: The owner.
        conn_id: The bank connection.
    """
    tools = _tools(emu)
    connection = _store(user, "connections")[conn_id]
    stamp = now()
    update = tools.make(
        "UpdateResult",
        {
            "result": "OK",
            "errorMessage": None,
            "errorType": None,
            "timestamp": access_time(stamp),
        },
    )
    connection["lastManualUpdate"] = update
    for iface in connection["interfaces"]:
        iface["lastManualUpdate"] = update
    accounts = _store(user, "accounts")
    rng = random.Random(emu.seed * 7919 + emu.state.next_id("refresh"))  # noqa: S311 - demo data
    for account_id in connection["accountIds"]:
        account = accounts.get(account_id)
        if account is None:
            continue
        for tx in _make_transactions(
            emu,
            user,
            account_id=account_id,
            kind=account["accountType"],
            rng=rng,
            days=1,
            count=1,
        ):
            account["balance"] = round((account["balance"] or 0.0) + tx["amount"], 2)
        account["lastSuccessfulUpdate"] = account["lastUpdateAttempt"] = access_time(
            stamp
        )
