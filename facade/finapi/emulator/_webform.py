"""Web Form 2.0: the 21 operations, the web form page, completion and callbacks."""

from __future__ import annotations

import datetime as dt
import html
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from ._core import DEMO_BANK_LOGIN, DEMO_BANK_PIN, PAGE_PREFIX, handler
from ._schema import SchemaTools
from ._wire import WEBFORM, ApiError, Ctx, Reply, now, webform_time

if TYPE_CHECKING:
    from ._core import Emulator
    from ._state import User

__all__ = ["complete", "page"]

logger = logging.getLogger("finapi.emulator")

FINAL = frozenset({"COMPLETED", "COMPLETED_WITH_ERROR", "EXPIRED", "ABORTED"})
_TASK_DELAY = 0.1  # seconds a background update "runs"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

# operationId -> (web form type, request schema)
_CREATORS = {
    "createForBankConnectionImport": (
        "BANK_CONNECTION_IMPORT",
        "BankConnectionImportDetails",
    ),
    "createForBankConnectionUpdate": (
        "BANK_CONNECTION_UPDATE",
        "BankConnectionUpdateDetails",
    ),
    "createForPaymentWithAccountId": (
        "PAYMENT_WITH_ACCOUNT_ID",
        "PaymentWithAccountDetails",
    ),
    "createForStandalonePayment": ("STANDALONE_PAYMENT", "StandalonePaymentDetails"),
    "createForDirectDebitWithAccountId": (
        "DIRECT_DEBIT_WITH_ACCOUNT_ID",
        "DirectDebitWithAccountDetails",
    ),
    "createForStandingOrder": ("STANDING_ORDER", "StandingOrderDetails"),
}


def _tools(emu: Emulator) -> SchemaTools:
    if emu.state.webform_tools is None:
        emu.state.webform_tools = SchemaTools(emu.webform_spec)
    tools: SchemaTools = emu.state.webform_tools
    return tools


def _uuid(emu: Emulator) -> str:
    return str(uuid.UUID(int=emu.state.random.getrandbits(128), version=4))


def _is_loopback_http(url: str) -> bool:
    return any(url.startswith(f"http://{host}") for host in _LOOPBACK_HOSTS)


def _validated_body(emu: Emulator, ctx: Ctx, schema: str) -> dict[str, Any]:
    if not isinstance(ctx.body, dict):
        raise ApiError(
            400,
            "NOT_ALLOWED",
            "Invalid request body.",
            fields=[("body", "must be a JSON object")],
        )
    problems = _tools(emu).check(schema, ctx.body)
    # Deliberate extension: callbacks and redirects may go to plain-HTTP loopback
    # receivers, so that tests need no TLS certificate.
    problems = [
        (f, m)
        for f, m in problems
        if not (
            m == "has an illegal format"
            and _is_loopback_http(str(_lookup(ctx.body, f)))
        )
    ]
    if problems:
        raise ApiError(400, "NOT_ALLOWED", "Invalid request body.", fields=problems)
    return ctx.body


def _lookup(body: Any, path: str) -> Any:
    node = body
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _owner(emu: Emulator, ctx: Ctx) -> tuple[str, str]:
    token = emu.authorise(ctx, "user")
    return token.client_id, token.user_id or ""


def _user(emu: Emulator, owner: tuple[str, str]) -> User:
    return emu.state.users[owner]


def _paged(items: list[dict[str, Any]], ctx: Ctx, emu: Emulator) -> dict[str, Any]:
    p = _tools(emu).parameters(ctx)
    page = p.get("page") or 1
    per_page = p.get("perPage") or 20
    if not 1 <= page <= 2**31 - 1:
        raise ApiError(
            400,
            "NOT_ALLOWED",
            "Invalid paging.",
            fields=[("page", "must be at least 1")],
        )
    if not 1 <= per_page <= 500:
        raise ApiError(
            400,
            "NOT_ALLOWED",
            "Invalid paging.",
            fields=[("perPage", "must be between 1 and 500")],
        )
    order = p.get("order") or "createdAt,desc"
    field, _, direction = order.partition(",")
    if field not in ("createdAt", "id") or direction not in ("", "asc", "desc"):
        raise ApiError(
            400,
            "NOT_ALLOWED",
            "Invalid order.",
            fields=[("order", "must be createdAt or id, asc or desc")],
        )
    items = sorted(
        items,
        key=lambda x: (x["_created"], x["id"]) if field == "createdAt" else x["id"],
        reverse=direction != "asc",
    )
    total = len(items)
    start = (page - 1) * per_page
    return {
        "items": items[start : start + per_page],
        "paging": {
            "page": page,
            "perPage": per_page,
            "pageCount": -(-total // per_page) if total else 0,
            "totalCount": total,
        },
    }


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


# -- web forms -----------------------------------------------------------------------------


def _refresh(emu: Emulator, form: dict[str, Any]) -> None:
    """Let a form expire when its time is up."""
    if form["status"] not in FINAL and time.monotonic() >= form["_deadline"]:
        _finish(emu, form, "EXPIRED", None)


def _webform_json(emu: Emulator, form: dict[str, Any]) -> dict[str, Any]:
    _refresh(emu, form)
    out = _public(form)
    out["url"] = f"{emu.base_url}{PAGE_PREFIX}{form['id']}"
    return out


def _find_form(emu: Emulator, owner: tuple[str, str], form_id: str) -> dict[str, Any]:
    form = emu.state.webforms.get(form_id)
    if form is None or form["_owner"] != owner:
        raise ApiError(404, "NOT_FOUND", f"No web form with id {form_id[:64]}.")
    return form


def _check_profile(emu: Emulator, owner: tuple[str, str], body: dict[str, Any]) -> None:
    profile_id = body.get("profileId")
    if profile_id is not None:
        profile = emu.state.profiles.get(profile_id)
        if profile is None or profile["_client"] != owner[0]:
            raise ApiError(404, "NOT_FOUND", "No profile with this id.")


def _account_of(user: User, account_id: Any, field: str) -> dict[str, Any]:
    account = user.data.get("accounts", {}).get(account_id)
    if account is None:
        raise ApiError(404, "NOT_FOUND", f"No account with id {account_id} ({field}).")
    return dict(account)


def _prepare(
    emu: Emulator, user: User, kind: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Check what a new form refers to; return what completion needs."""
    if kind == "BANK_CONNECTION_IMPORT":
        bank = body.get("bank") or {}
        bank_id = bank.get("id")
        if bank_id is None and bank.get("search"):
            term = str(bank["search"]).lower()
            found = [
                b
                for b in emu.state.banks.values()
                if term in b["name"].lower() or term in b["blz"]
            ]
            if len(found) > 1:
                raise ApiError(
                    422, "BANK_NOT_UNIQUE", "The bank search matches several banks."
                )
            bank_id = found[0]["id"] if found else None
            if bank_id is None:
                raise ApiError(404, "NOT_FOUND", "No bank matches the search.")
        if bank_id is not None:
            if bank_id not in emu.state.banks:
                raise ApiError(404, "NOT_FOUND", f"No bank with id {bank_id}.")
            if not emu.state.banks[bank_id]["isSupported"]:
                raise ApiError(422, "BANK_NOT_SUPPORTED", "This bank is not supported.")
        return {"bank_id": bank_id}
    if kind == "BANK_CONNECTION_UPDATE":
        conn_id = body["bank"]["bankConnectionId"]
        connection = user.data.get("connections", {}).get(conn_id)
        if connection is None:
            raise ApiError(404, "NOT_FOUND", f"No bank connection with id {conn_id}.")
        return {"bank_id": connection["bankId"], "connection_id": conn_id}
    if kind == "PAYMENT_WITH_ACCOUNT_ID":
        account = _account_of(user, body["sender"]["accountId"], "sender.accountId")
        return {"account_id": account["id"]}
    if kind == "DIRECT_DEBIT_WITH_ACCOUNT_ID":
        account = _account_of(user, body["receiver"]["accountId"], "receiver.accountId")
        return {"account_id": account["id"]}
    return {}


def _create_form(emu: Emulator, ctx: Ctx) -> Reply:
    kind, schema = _CREATORS[ctx.operation.operation_id]
    owner = _owner(emu, ctx)
    body = _validated_body(emu, ctx, schema)
    _check_profile(emu, owner, body)
    plan = _prepare(emu, _user(emu, owner), kind, body)
    created = now()
    form = {
        "id": _uuid(emu),
        "url": "",
        "createdAt": webform_time(created),
        "expiresAt": webform_time(created + dt.timedelta(seconds=emu.webform_lifetime)),
        "type": kind,
        "status": "NOT_YET_OPENED",
        "payload": {},
        "_owner": owner,
        "_created": created.timestamp(),
        "_deadline": time.monotonic() + emu.webform_lifetime,
        "_plan": plan,
        "_request": body,
        "_callback": (body.get("callbacks") or {}).get("finalised"),
        "_redirect": body.get("redirectUrl"),
    }
    emu.state.webforms[str(form["id"])] = form
    if form["_callback"]:
        _watch_expiry(emu)
    return Reply(201, _webform_json(emu, form))


for _op in _CREATORS:
    handler(WEBFORM, _op)(_create_form)


@handler(WEBFORM, "getWebForms")
def get_web_forms(emu: Emulator, ctx: Ctx) -> Reply:
    """List the user's web forms, paged and ordered."""
    owner = _owner(emu, ctx)
    forms = [f for f in emu.state.webforms.values() if f["_owner"] == owner]
    page = _paged(forms, ctx, emu)
    page["items"] = [_webform_json(emu, f) for f in page["items"]]
    return Reply(200, page)


@handler(WEBFORM, "getWebForm")
def get_web_form(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one web form with its current status."""
    owner = _owner(emu, ctx)
    return Reply(200, _webform_json(emu, _find_form(emu, owner, ctx.path_params["id"])))


@handler(WEBFORM, "deleteWebForm")
def delete_web_form(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete a web form (its page stops working)."""
    owner = _owner(emu, ctx)
    form = _find_form(emu, owner, ctx.path_params["id"])
    del emu.state.webforms[form["id"]]
    return Reply(200)


# -- completion ------------------------------------------------------------------------------


def _finish(
    emu: Emulator, form: dict[str, Any], status: str, error_code: str | None
) -> None:
    form["status"] = status
    if error_code is not None:
        form["payload"]["errorCode"] = error_code
    url = form["_callback"]
    if url:
        _post_callback(emu, url, {"webFormId": form["id"], "status": status})


def _post_callback(emu: Emulator, url: str, body: dict[str, Any]) -> None:
    record: dict[str, Any] = {"url": url, "body": body}
    emu.callbacks_sent.append(record)

    def deliver() -> None:
        try:
            with httpx.Client(
                transport=emu.callback_transport, verify=emu.callback_verify, timeout=10
            ) as client:
                response = client.post(url, json=body)
            record["status_code"] = response.status_code
        except httpx.HTTPError as exc:
            record["error"] = type(exc).__name__
            logger.info(
                "emulator callback failed: url=%s error=%s", url, type(exc).__name__
            )

    thread = threading.Thread(
        target=deliver, name="finapi-emulator-callback", daemon=True
    )
    emu._callback_threads.append(thread)
    thread.start()


def _watch_expiry(emu: Emulator) -> None:
    """Run one sweeper thread while forms with callbacks may still expire."""
    running = emu._sweeper
    if running is not None and running.is_alive():
        return

    def sweep() -> None:
        while True:
            time.sleep(0.2)
            with emu.state.lock:
                pending = [
                    f
                    for f in emu.state.webforms.values()
                    if f["status"] not in FINAL and f["_callback"]
                ]
                for form in pending:
                    _refresh(emu, form)
                if not any(f["status"] not in FINAL for f in pending):
                    emu._sweeper = None
                    return

    emu._sweeper = threading.Thread(
        target=sweep, name="finapi-emulator-expiry", daemon=True
    )
    emu._sweeper.start()


def _complete_locked(
    emu: Emulator,
    form: dict[str, Any],
    *,
    bank_id: int | None = None,
    login: str | None = None,
    pin: str | None = None,
    abort: bool = False,
) -> None:
    if form["status"] in FINAL:
        raise ApiError(422, "NOT_ALLOWED", f"The web form is already {form['status']}.")
    if abort:
        _finish(emu, form, "ABORTED", None)
        return
    plan = form["_plan"]
    user = emu.state.users.get(form["_owner"])
    if user is None:
        _finish(emu, form, "COMPLETED_WITH_ERROR", "INVALID_TOKEN")
        return
    if login != DEMO_BANK_LOGIN or pin != DEMO_BANK_PIN:
        _finish(emu, form, "COMPLETED_WITH_ERROR", "BANK_SERVER_REJECTION")
        return
    from . import _access_data  # noqa: PLC0415

    kind = form["type"]
    request = form["_request"]
    if kind == "BANK_CONNECTION_IMPORT":
        chosen = plan.get("bank_id") or bank_id or _access_data.TEST_BANK_ID
        bank = emu.state.banks.get(chosen)
        if bank is None or not bank["isSupported"]:
            _finish(emu, form, "COMPLETED_WITH_ERROR", "UNDETERMINED_BANK")
            return
        connection = _access_data.import_connection(
            emu,
            user,
            chosen,
            name=request.get("bankConnectionName"),
            login=login,
            account_types=request.get("accountTypes"),
            max_days=request.get("maxDaysForDownload"),
        )
        form["payload"]["bankConnectionId"] = connection["id"]
    elif kind == "BANK_CONNECTION_UPDATE":
        connection_id = plan["connection_id"]
        if connection_id not in user.data.get("connections", {}):
            _finish(emu, form, "COMPLETED_WITH_ERROR", "UNEXPECTED_ACCESS_RESPONSE")
            return
        _access_data.refresh_connection(emu, user, connection_id)
        form["payload"]["bankConnectionId"] = connection_id
    elif kind == "STANDING_ORDER":
        form["payload"]["standingOrderId"] = emu.state.next_id("standingOrder")
    else:
        if "account_id" in plan and plan["account_id"] not in user.data.get(
            "accounts", {}
        ):
            _finish(emu, form, "COMPLETED_WITH_ERROR", "UNEXPECTED_ACCESS_RESPONSE")
            return
        form["payload"]["paymentId"] = emu.state.next_id("payment")
    _finish(emu, form, "COMPLETED", None)


def complete(
    emu: Emulator,
    webform_id: str,
    *,
    bank_id: int | None = None,
    login: str | None = DEMO_BANK_LOGIN,
    pin: str | None = DEMO_BANK_PIN,
    abort: bool = False,
) -> dict[str, Any]:
    """Complete (or abort) a web form as a person on its page would.

    Args:
        emu: The emulator.
        webform_id: The web form id.
        bank_id: The bank picked on the page (import forms without a preset bank).
        login: The banking login typed; the demo login by default.
        pin: The PIN typed; the demo PIN by default.
        abort: Press "abort" instead of submitting.

    Returns:
        The web form as ``GET /api/webForms/{id}`` shows it afterwards.

    Raises:
        KeyError: No such web form.
        ValueError: The form already reached a final status.
    """
    with emu.state.lock:
        form = emu.state.webforms.get(webform_id)
        if form is None:
            msg = f"no web form with id {webform_id!r}"
            raise KeyError(msg)
        _refresh(emu, form)
        try:
            _complete_locked(
                emu, form, bank_id=bank_id, login=login, pin=pin, abort=abort
            )
        except ApiError as exc:
            raise ValueError(exc.message) from None
        return _webform_json(emu, form)


# -- the page ----------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em}"
    "label{display:block;margin:.8em 0 .2em}input,select{width:100%;padding:.4em}"
    "button{margin-top:1em;padding:.5em 1.2em}.hint{background:#eef;padding:.6em}"
)


def _html(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


_TITLES = {
    "BANK_CONNECTION_IMPORT": "Connect your bank account",
    "BANK_CONNECTION_UPDATE": "Update your bank connection",
    "PAYMENT_WITH_ACCOUNT_ID": "Authorise a payment",
    "STANDALONE_PAYMENT": "Authorise a payment",
    "DIRECT_DEBIT_WITH_ACCOUNT_ID": "Authorise a direct debit",
    "STANDING_ORDER": "Authorise a standing order",
}


def _form_page(emu: Emulator, form: dict[str, Any], message: str = "") -> str:
    title = _TITLES.get(form["type"], "finAPI web form")
    parts = []
    if message:
        parts.append(f"<p class=error role=alert>{html.escape(message)}</p>")
    parts.append(
        "<p class=hint>This is the finAPI emulator. Demo credentials: "
        f"login <code id=demo-login>{DEMO_BANK_LOGIN}</code>, "
        f"PIN <code id=demo-pin>{DEMO_BANK_PIN}</code>.</p>"
    )
    parts.append(f'<form method=post action="{PAGE_PREFIX}{form["id"]}">')
    preset = form["_plan"].get("bank_id")
    if form["type"] == "BANK_CONNECTION_IMPORT" and preset is None:
        options = "".join(
            f'<option value="{b["id"]}">{html.escape(b["name"])}</option>'
            for b in emu.state.banks.values()
            if b["isSupported"]
        )
        parts.append(
            f"<label for=bank>Bank</label><select id=bank name=bank>{options}</select>"
        )
    elif preset is not None:
        name = emu.state.banks[preset]["name"]
        parts.append(f"<p>Bank: <strong>{html.escape(name)}</strong></p>")
    parts.append(
        "<label for=login>Onlinebanking-ID</label><input id=login name=login autocomplete=off>"
        "<label for=pin>PIN</label><input id=pin name=pin type=password autocomplete=off>"
        "<button type=submit name=action value=submit>Submit</button> "
        "<button type=submit name=action value=abort formnovalidate>Abort</button></form>"
    )
    return _html(title, "".join(parts))


def _final_page(form: dict[str, Any]) -> str:
    texts = {
        "COMPLETED": "Done. You can close this page.",
        "COMPLETED_WITH_ERROR": "The bank rejected the login. The web form ended with an error.",
        "EXPIRED": "This web form has expired.",
        "ABORTED": "You aborted this web form.",
    }
    body = f'<p id=status data-status="{form["status"]}">{texts[form["status"]]}</p>'
    if form["_redirect"]:
        body += f'<p><a id=redirect href="{html.escape(form["_redirect"])}">Continue</a></p>'
    return _html("finAPI web form", body)


def page(
    emu: Emulator, webform_id: str, method: str, fields: dict[str, str]
) -> tuple[int, str, list[Callable[[], None]]]:
    """Render or submit the web form page (called with the state lock held).

    Args:
        emu: The emulator.
        webform_id: The web form id from the URL.
        method: GET or POST.
        fields: The submitted form fields.

    Returns:
        Status, HTML, and actions to run after the lock is released.
    """
    form = emu.state.webforms.get(webform_id)
    if form is None:
        return (
            404,
            _html("Not found", "<p>There is no web form at this address.</p>"),
            [],
        )
    _refresh(emu, form)
    if form["status"] in FINAL:
        return (200 if method == "GET" else 409), _final_page(form), []
    if form["status"] == "NOT_YET_OPENED":
        form["status"] = "IN_PROGRESS"
    if method == "GET":
        return 200, _form_page(emu, form), []
    bank_id = None
    if fields.get("bank"):
        try:
            bank_id = int(fields["bank"])
        except ValueError:
            return 400, _form_page(emu, form, "Please pick a bank from the list."), []
        if bank_id not in emu.state.banks:
            return 400, _form_page(emu, form, "Please pick a bank from the list."), []
    _complete_locked(
        emu,
        form,
        bank_id=bank_id,
        login=fields.get("login"),
        pin=fields.get("pin"),
        abort=fields.get("action") == "abort",
    )
    return 200, _final_page(form), []


# -- tasks ----------------------------------------------------------------------------------


def _task_json(emu: Emulator, task: dict[str, Any]) -> dict[str, Any]:
    if task["status"] == "NOT_YET_STARTED" and time.monotonic() >= task["_due"]:
        from . import _access_data  # noqa: PLC0415

        user = emu.state.users.get(task["_owner"])
        conn_id = task["payload"]["bankConnectionId"]
        if user is not None and conn_id in user.data.get("connections", {}):
            _access_data.refresh_connection(emu, user, conn_id)
            task["status"] = "COMPLETED"
        else:
            task["status"] = "COMPLETED_WITH_ERROR"
            task["payload"]["errorCode"] = "UNEXPECTED_ACCESS_RESPONSE"
        if task["_callback"]:
            _post_callback(
                emu, task["_callback"], {"taskId": task["id"], "status": task["status"]}
            )
    return _public(task)


@handler(WEBFORM, "createBankConnectionUpdateTask")
def create_bank_connection_update_task(emu: Emulator, ctx: Ctx) -> Reply:
    """Start a background update of a bank connection (it completes shortly after)."""
    owner = _owner(emu, ctx)
    body = _validated_body(emu, ctx, "BankConnectionUpdateTaskDetails")
    _check_profile(emu, owner, body)
    conn_id = body["bankConnectionId"]
    if conn_id not in _user(emu, owner).data.get("connections", {}):
        raise ApiError(404, "NOT_FOUND", f"No bank connection with id {conn_id}.")
    running = [
        t
        for t in emu.state.tasks.values()
        if t["_owner"] == owner
        and t["payload"]["bankConnectionId"] == conn_id
        and t["status"] == "NOT_YET_STARTED"
        and time.monotonic() < t["_due"]
    ]
    if running:
        raise ApiError(
            423, "LOCKED", "An update of this bank connection is already running."
        )
    created = now()
    task: dict[str, Any] = {
        "id": _uuid(emu),
        "createdAt": webform_time(created),
        "type": "BANK_CONNECTION_UPDATE",
        "status": "NOT_YET_STARTED",
        "payload": {"bankConnectionId": conn_id},
        "_owner": owner,
        "_created": created.timestamp(),
        "_due": time.monotonic() + _TASK_DELAY,
        "_callback": (body.get("callbacks") or {}).get("finalised"),
    }
    emu.state.tasks[str(task["id"])] = task
    return Reply(201, _public(task))


@handler(WEBFORM, "getTasks")
def get_tasks(emu: Emulator, ctx: Ctx) -> Reply:
    """List the user's tasks, paged and ordered."""
    owner = _owner(emu, ctx)
    tasks = [t for t in emu.state.tasks.values() if t["_owner"] == owner]
    page = _paged(tasks, ctx, emu)
    page["items"] = [_task_json(emu, t) for t in page["items"]]
    return Reply(200, page)


@handler(WEBFORM, "getTask")
def get_task(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one task with its current status."""
    owner = _owner(emu, ctx)
    task = emu.state.tasks.get(ctx.path_params["id"])
    if task is None or task["_owner"] != owner:
        raise ApiError(404, "NOT_FOUND", "No task with this id.")
    return Reply(200, _task_json(emu, task))


# -- profiles -------------------------------------------------------------------------------


def _client(emu: Emulator, ctx: Ctx) -> str:
    return emu.authorise(ctx, "any").client_id


def _find(
    store: dict[str, dict[str, Any]], client: str, item_id: str, what: str
) -> dict[str, Any]:
    item = store.get(item_id)
    if item is None or item["_client"] != client:
        raise ApiError(404, "NOT_FOUND", f"No {what} with this id.")
    return item


def _set_default(emu: Emulator, client: str, profile: dict[str, Any]) -> None:
    if profile["default"]:
        for other in emu.state.profiles.values():
            if other["_client"] == client and other is not profile:
                other["default"] = False


@handler(WEBFORM, "createProfile")
def create_profile(emu: Emulator, ctx: Ctx) -> Reply:
    """Create a web form profile of the client."""
    client = _client(emu, ctx)
    body = _validated_body(emu, ctx, "CreateProfileDetails")
    if any(
        p["label"] == body["label"]
        for p in emu.state.profiles.values()
        if p["_client"] == client
    ):
        raise ApiError(422, "ENTITY_EXISTS", "A profile with this label exists.")
    created = now()
    profile: dict[str, Any] = {
        "id": _uuid(emu),
        "label": body["label"],
        "createdAt": webform_time(created),
        "default": bool(body.get("default")),
        **{k: body[k] for k in ("brand", "functionality", "aspect") if k in body},
        "_client": client,
        "_created": created.timestamp(),
    }
    emu.state.profiles[profile["id"]] = profile
    _set_default(emu, client, profile)
    return Reply(201, _public(profile))


@handler(WEBFORM, "getProfiles")
def get_profiles(emu: Emulator, ctx: Ctx) -> Reply:
    """List the client's profiles."""
    client = _client(emu, ctx)
    page = _paged(
        [p for p in emu.state.profiles.values() if p["_client"] == client], ctx, emu
    )
    page["items"] = [_public(p) for p in page["items"]]
    return Reply(200, page)


@handler(WEBFORM, "getProfile")
def get_profile(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one profile."""
    client = _client(emu, ctx)
    return Reply(
        200,
        _public(_find(emu.state.profiles, client, ctx.path_params["id"], "profile")),
    )


@handler(WEBFORM, "editProfile")
def edit_profile(emu: Emulator, ctx: Ctx) -> Reply:
    """Change a profile (the spec answers 201)."""
    client = _client(emu, ctx)
    profile = _find(emu.state.profiles, client, ctx.path_params["id"], "profile")
    body = _validated_body(emu, ctx, "EditProfileDetails")
    if body.get("label") is not None:
        profile["label"] = body["label"]
    if body.get("default") is not None:
        profile["default"] = bool(body["default"])
    for key in ("brand", "functionality", "aspect"):
        if key in body:
            profile[key] = body[key]
    _set_default(emu, client, profile)
    return Reply(201, _public(profile))


@handler(WEBFORM, "deleteProfile")
def delete_profile(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete a profile."""
    client = _client(emu, ctx)
    profile = _find(emu.state.profiles, client, ctx.path_params["id"], "profile")
    del emu.state.profiles[profile["id"]]
    return Reply(200)


# -- translations ------------------------------------------------------------------------------


@handler(WEBFORM, "createTranslation")
def create_translation(emu: Emulator, ctx: Ctx) -> Reply:
    """Store a set of page texts per language."""
    client = _client(emu, ctx)
    body = _validated_body(emu, ctx, "CreateTranslationDetails")
    created = now()
    item: dict[str, Any] = {
        "id": _uuid(emu),
        "createdAt": webform_time(created),
        **{k: body[k] for k in ("cs", "de", "en", "sk") if k in body},
        "_client": client,
        "_created": created.timestamp(),
    }
    emu.state.translations[item["id"]] = item
    return Reply(201, _public(item))


@handler(WEBFORM, "getTranslations")
def get_translations(emu: Emulator, ctx: Ctx) -> Reply:
    """List the client's translation sets."""
    client = _client(emu, ctx)
    page = _paged(
        [t for t in emu.state.translations.values() if t["_client"] == client], ctx, emu
    )
    page["items"] = [_public(t) for t in page["items"]]
    return Reply(200, page)


@handler(WEBFORM, "getTranslation")
def get_translation(emu: Emulator, ctx: Ctx) -> Reply:
    """Return one translation set."""
    client = _client(emu, ctx)
    return Reply(
        200,
        _public(
            _find(emu.state.translations, client, ctx.path_params["id"], "translation")
        ),
    )


@handler(WEBFORM, "deleteTranslation")
def delete_translation(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete a translation set."""
    client = _client(emu, ctx)
    item = _find(emu.state.translations, client, ctx.path_params["id"], "translation")
    del emu.state.translations[item["id"]]
    return Reply(200)
