"""Acceptance 1: the seed's three steps, a web form, a wait and the accounts."""

from __future__ import annotations

import re

import pytest
from facade_support import CAPTURE, make_afin, make_fin

import finapi
import finapi_access.api.accounts.get_and_search_all_accounts as get_accounts
from finapi.emulator import DEMO_CLIENT_ID, Emulator

pytestmark = pytest.mark.anyio


def test_sync_workflow_from_client_token_to_accounts(emu: Emulator) -> None:
    """Client token, user, user token, web form, wait, accounts: one token each."""
    progress: list[str] = []
    with make_fin(emu) as fin:
        client_token = fin.client_token()
        new = fin.users.create()
        session = fin.user(new.id, new.password)
        user_token = session.token()
        form = session.webforms.bank_connection_import()
        emu.complete_webform(form.id)
        done = session.webforms.wait(
            form.id, interval=0.01, on_progress=lambda f: progress.append(str(f.status))
        )
        accounts = list(session.accounts())
        connections = list(session.bank_connections())
        transactions = list(session.transactions(per_page=10))

    assert client_token.access_token != user_token.access_token
    assert user_token.refresh_token
    assert str(done.status) == "COMPLETED"
    assert done.payload.bank_connection_id == connections[0].id
    assert progress == ["COMPLETED"]
    assert accounts
    assert {a.bank_connection_id for a in accounts} == {connections[0].id}
    assert len(transactions) > 10  # more than one page of 10
    assert emu.stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) == 1
    assert emu.stats.token_requests_for("password", new.id) == 1
    assert emu.stats.unauthorized == 0


async def test_async_workflow_from_client_token_to_accounts(emu: Emulator) -> None:
    """The same workflow with AsyncFinAPI."""
    async with make_afin(emu) as fin:
        client_token = await fin.client_token()
        new = await fin.users.create()
        session = fin.user(new.id, new.password)
        user_token = await session.token()
        form = await session.webforms.bank_connection_import(
            {"accountTypes": ["CHECKING"]}
        )
        emu.complete_webform(form.id)
        done = await session.webforms.wait(form.id, interval=0.01)
        accounts = [a async for a in session.accounts()]
        transactions = [t async for t in session.transactions(per_page=10)]
        pages = [p async for p in session.transaction_pages(per_page=10)]

    assert client_token.access_token != user_token.access_token
    assert str(done.status) == "COMPLETED"
    assert accounts
    assert len(transactions) == sum(len(p.transactions) for p in pages)
    assert pages[-1].paging.page == pages[-1].paging.page_count
    assert emu.stats.token_requests_for("client_credentials", DEMO_CLIENT_ID) == 1
    assert emu.stats.token_requests_for("password", new.id) == 1
    assert emu.stats.unauthorized == 0


def test_generated_operations_work_through_the_session(fin: finapi.FinAPI) -> None:
    """Any generated operation runs on session.access with the token managed."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)

    result = get_accounts.sync(client=session.access)

    assert result is not None
    assert result.accounts == []


def test_web_form_of_each_type_the_spec_has(fin: finapi.FinAPI, emu: Emulator) -> None:
    """Every create operation of the Web Form spec has a helper that works."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)
    form = session.webforms.bank_connection_import()
    emu.complete_webform(form.id)
    connection_id = session.webforms.wait(
        form.id, interval=0.01
    ).payload.bank_connection_id
    account = next(iter(session.accounts()))
    amount = {"value": 10.5, "currency": "EUR"}
    party = {"name": "Erika Mustermann", "iban": "DE13100000000123456789"}
    payment = {"amount": amount, "recipient": party, "purpose": "test"}
    debit = {
        "amount": amount,
        "payer": party,
        "mandateId": "m1",
        "mandateDate": "2024-01-01",
        "creditorId": "DE98ZZZ09999999999",
    }
    bodies = {
        "BANK_CONNECTION_UPDATE": {"bank": {"bankConnectionId": connection_id}},
        "PAYMENT_WITH_ACCOUNT_ID": {
            "sender": {"accountId": account.id},
            "orders": [payment],
        },
        "STANDALONE_PAYMENT": {"orders": [payment]},
        "STANDING_ORDER": {
            "amount": amount,
            "recipient": party,
            "startDate": "2030-01-01",
            "frequency": "MONTHLY",
        },
        "DIRECT_DEBIT_WITH_ACCOUNT_ID": {
            "receiver": {"accountId": account.id},
            "directDebitType": "B2B",
            "sequenceType": "OOFF",
            "executionDate": "2030-01-01",
            "orders": [debit],
        },
    }
    created = {"BANK_CONNECTION_IMPORT": form}
    helpers = {
        "BANK_CONNECTION_UPDATE": session.webforms.bank_connection_update,
        "PAYMENT_WITH_ACCOUNT_ID": session.webforms.payment_with_account_id,
        "STANDALONE_PAYMENT": session.webforms.standalone_payment,
        "STANDING_ORDER": session.webforms.standing_order,
        "DIRECT_DEBIT_WITH_ACCOUNT_ID": session.webforms.direct_debit_with_account_id,
    }
    for kind, helper in helpers.items():
        created[kind] = helper(bodies[kind])

    assert set(created) == set(finapi._webforms.CREATE_OPERATIONS)
    assert {k: str(v.type_) for k, v in created.items()} == {k: k for k in created}
    assert (
        session.webforms.get(created["STANDING_ORDER"].id).id
        == created["STANDING_ORDER"].id
    )


def test_every_web_form_create_operation_of_the_spec_is_covered() -> None:
    """The helper table names exactly the spec's POST /api/webForms/* operations."""
    import json
    from importlib import resources

    spec = json.loads(
        resources.files("finapi_webform").joinpath("openapi.json").read_text()
    )
    posts = {
        path.rsplit("/", 1)[1]
        for path, ops in spec["paths"].items()
        if path.startswith("/api/webForms/") and "post" in ops
    }
    modules = {
        module.rsplit(".", 1)[1]
        for module, _ in finapi._webforms.CREATE_OPERATIONS.values()
    }

    assert {f"create_for_{_snake(p)}" for p in posts} == modules


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def test_wait_times_out_with_the_last_status(fin: finapi.FinAPI, audit) -> None:
    """A web form nobody completes ends the wait with WaitTimeoutError."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)
    form = session.webforms.bank_connection_import()

    first_log = len(CAPTURE.texts)

    with audit.raises(finapi.WaitTimeoutError) as info:
        session.webforms.wait(form.id, timeout=0.05, interval=0.01, max_interval=0.02)

    lines = CAPTURE.texts[first_log:]
    polls = [t for t in lines if " request " in t and f"webForms/{form.id} " in t]
    waits = [t for t in lines if " wait " in t]
    assert info.value.last_status == "NOT_YET_OPENED"
    assert len(polls) >= 2
    assert f"request_id={info.value.request_id} " in polls[-1]
    assert waits
    assert all(re.search(r"request_id=[0-9a-f]{32}", t) for t in waits)
    assert f"request_id={info.value.request_id}" in str(info.value)


async def test_async_wait_times_out_with_the_last_requests_id(
    afin: finapi.AsyncFinAPI, audit
) -> None:
    """The async wait's WaitTimeoutError carries the id of its last poll."""
    new = await afin.users.create()
    session = afin.user(new.id, new.password)
    form = await session.webforms.bank_connection_import()
    first_log = len(CAPTURE.texts)

    with audit.raises(finapi.WaitTimeoutError) as info:
        await session.webforms.wait(
            form.id, timeout=0.05, interval=0.01, max_interval=0.02
        )

    polls = [
        t
        for t in CAPTURE.texts[first_log:]
        if " request " in t and f"webForms/{form.id} " in t
    ]
    assert info.value.last_status == "NOT_YET_OPENED"
    assert f"request_id={info.value.request_id} " in polls[-1]


def test_task_wait(fin: finapi.FinAPI, emu: Emulator) -> None:
    """A background update task is created and waited for."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)
    form = session.webforms.bank_connection_import()
    emu.complete_webform(form.id)
    connection_id = session.webforms.wait(
        form.id, interval=0.01
    ).payload.bank_connection_id

    task = session.webforms.bank_connection_update_task(
        {"bankConnectionId": connection_id}
    )
    done = session.webforms.wait_task(task.id, interval=0.01, timeout=10)

    assert str(done.status) in finapi.TASK_FINAL_STATUSES
