"""Acceptance 1: every implemented operation, validated against the pinned raw specs."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator
from finapi.emulator._core import HANDLERS
from finapi.emulator.testing import (
    SpecCheckedEmulator,
    bearer,
    get_token,
    pinned_raw_specs,
)

if pinned_raw_specs() is None:
    msg = "the raw specs are not materialised: run `nox -s specs`"
    raise RuntimeError(msg)

Call = Callable[..., httpx.Response]


def _scenario(emu: Emulator) -> list[tuple[str, int, int]]:
    """Drive every implemented operation with success and documented error cases.

    Returns (what, expected status, got status) triples.
    """
    seen: list[tuple[str, int, int]] = []
    client = emu.client()

    def call(
        what: str, expected: int, method: str, url: str, **kwargs: object
    ) -> httpx.Response:
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        seen.append((what, expected, response.status_code))
        return response

    form = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    ct = call(
        "client token",
        200,
        "POST",
        "/oauth/token",
        data={**form, "grant_type": "client_credentials"},
    ).json()["access_token"]
    call(
        "bad client",
        401,
        "POST",
        "/oauth/token",
        data={**form, "client_secret": "x", "grant_type": "client_credentials"},
    )
    call(
        "bad grant",
        400,
        "POST",
        "/oauth/token",
        data={**form, "grant_type": "implicit"},
    )
    C = bearer(ct)

    # users
    call(
        "create user",
        201,
        "POST",
        "/api/v1/users",
        json={"id": "carol", "password": "carol-pass", "email": "c@example.com"},
        headers=C,
    )
    call(
        "create duplicate",
        422,
        "POST",
        "/api/v1/users",
        json={"id": "carol", "password": "carol-pass"},
        headers=C,
    )
    call(
        "create short password",
        400,
        "POST",
        "/api/v1/users",
        json={"id": "dave", "password": "x"},
        headers=C,
    )
    call("create without token", 401, "POST", "/api/v1/users", json={"id": "erin"})
    call("create generated", 201, "POST", "/api/v1/users", json={}, headers=C)
    call(
        "verification status",
        200,
        "GET",
        "/api/v1/users/verificationStatus",
        params={"userId": "carol"},
        headers=C,
    )
    call(
        "verification unknown",
        404,
        "GET",
        "/api/v1/users/verificationStatus",
        params={"userId": "nobody"},
        headers=C,
    )
    call("verify verified", 422, "POST", "/api/v1/users/verify/carol", headers=C)
    call("delete verified unverified", 422, "DELETE", "/api/v1/users/carol", headers=C)
    change = call(
        "request password change",
        200,
        "POST",
        "/api/v1/users/requestPasswordChange",
        json={"userId": "carol"},
        headers=C,
    ).json()
    call(
        "bad change token",
        400,
        "POST",
        "/api/v1/users/executePasswordChange",
        json={
            "userId": "carol",
            "password": "new-pass-1",
            "passwordChangeToken": "00000000-0000-0000-0000-000000000000",
        },
        headers=C,
    )
    call(
        "execute password change",
        200,
        "POST",
        "/api/v1/users/executePasswordChange",
        json={
            "userId": "carol",
            "password": "new-pass-1",
            "passwordChangeToken": change["passwordChangeToken"],
        },
        headers=C,
    )
    call(
        "wrong password",
        400,
        "POST",
        "/oauth/token",
        data={
            **form,
            "grant_type": "password",
            "username": "carol",
            "password": "not-carols",
        },
    )
    call(
        "dead refresh token",
        400,
        "POST",
        "/oauth/token",
        data={**form, "grant_type": "refresh_token", "refresh_token": "dead"},
    )
    tokens = call(
        "password grant",
        200,
        "POST",
        "/oauth/token",
        data={
            **form,
            "grant_type": "password",
            "username": "carol",
            "password": "new-pass-1",
        },
    ).json()
    call(
        "refresh grant",
        200,
        "POST",
        "/oauth/token",
        data={
            **form,
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
        },
    )
    U = bearer(tokens["access_token"])
    call("get user", 200, "GET", "/api/v1/users", headers=U)
    call("get user with client token", 403, "GET", "/api/v1/users", headers=C)
    call(
        "edit user",
        200,
        "PATCH",
        "/api/v1/users",
        json={"phone": "+49 30 123", "isAutoUpdateEnabled": True},
        headers=U,
    )
    emu.state.client_config[DEMO_CLIENT_ID]["isUserAutoVerificationEnabled"] = False
    call(
        "create unverified",
        201,
        "POST",
        "/api/v1/users",
        json={"id": "frank", "password": "frank-pass"},
        headers=C,
    )
    call(
        "password grant unverified",
        403,
        "POST",
        "/oauth/token",
        data={
            **form,
            "grant_type": "password",
            "username": "frank",
            "password": "frank-pass",
        },
    )
    call("verify", 200, "POST", "/api/v1/users/verify/frank", headers=C)
    call(
        "create unverified 2",
        201,
        "POST",
        "/api/v1/users",
        json={"id": "gina", "password": "gina-pass"},
        headers=C,
    )
    call("delete unverified", 200, "DELETE", "/api/v1/users/gina", headers=C)
    call("delete unverified unknown", 404, "DELETE", "/api/v1/users/gina", headers=C)

    # client configuration
    call("client configuration", 200, "GET", "/api/v1/clientConfiguration", headers=C)
    call(
        "edit client configuration",
        200,
        "PATCH",
        "/api/v1/clientConfiguration",
        json={"applicationName": "Demo App", "userAccessTokensValidityPeriod": 3600},
        headers=C,
    )
    call(
        "client configuration as user",
        403,
        "GET",
        "/api/v1/clientConfiguration",
        headers=U,
    )

    # banks
    call(
        "banks",
        200,
        "GET",
        "/api/v1/banks",
        params={"search": "demo", "perPage": 2, "page": 1, "order": "name,asc"},
        headers=U,
    )
    call(
        "banks bad perPage",
        400,
        "GET",
        "/api/v1/banks",
        params={"perPage": 501},
        headers=U,
    )
    call("bank", 200, "GET", "/api/v1/banks/280001", headers=C)
    call("bank unknown", 404, "GET", "/api/v1/banks/1", headers=C)
    call("banks by ids", 200, "GET", "/api/v1/banks/280001,280002", headers=U)

    # web form: import, complete, then the Access data
    W = "/webform/api"
    wf = call(
        "web form import",
        201,
        "POST",
        f"{W}/webForms/bankConnectionImport",
        json={
            "bank": {"id": 280001},
            "bankConnectionName": "Demo",
            "callbacks": {"finalised": "https://example.com/cb"},
        },
        headers=U,
    ).json()
    call(
        "web form import bad body",
        400,
        "POST",
        f"{W}/webForms/bankConnectionImport",
        json={"maxDaysForDownload": "many"},
        headers=U,
    )
    call(
        "web form import unknown bank",
        404,
        "POST",
        f"{W}/webForms/bankConnectionImport",
        json={"bank": {"id": 1}},
        headers=U,
    )
    call("web form without token", 401, "GET", f"{W}/webForms/{wf['id']}")
    emu.complete_webform(wf["id"])
    done = call("web form", 200, "GET", f"{W}/webForms/{wf['id']}", headers=U).json()
    conn_id = done["payload"]["bankConnectionId"]
    call(
        "web form unknown",
        404,
        "GET",
        f"{W}/webForms/00000000-0000-4000-8000-000000000000",
        headers=U,
    )
    call(
        "web forms",
        200,
        "GET",
        f"{W}/webForms",
        params={"page": 1, "perPage": 5, "order": "createdAt,asc"},
        headers=U,
    )
    call("connections", 200, "GET", "/api/v1/bankConnections", headers=U)
    call("connection", 200, "GET", f"/api/v1/bankConnections/{conn_id}", headers=U)
    call("connection unknown", 404, "GET", "/api/v1/bankConnections/999", headers=U)
    call(
        "connections by ids",
        200,
        "GET",
        f"/api/v1/bankConnections/{conn_id},999",
        headers=U,
    )
    call(
        "edit connection",
        200,
        "PATCH",
        f"/api/v1/bankConnections/{conn_id}",
        json={"name": "Renamed"},
        headers=U,
    )
    accounts = call(
        "accounts",
        200,
        "GET",
        "/api/v1/accounts",
        params={"accountTypes": "Checking,Savings"},
        headers=U,
    ).json()["accounts"]
    account_id = accounts[0]["id"]
    call("account", 200, "GET", f"/api/v1/accounts/{account_id}", headers=U)
    call("account unknown", 404, "GET", "/api/v1/accounts/999", headers=U)
    call(
        "accounts by ids",
        200,
        "GET",
        f"/api/v1/accounts/{account_id},{accounts[1]['id']}",
        headers=U,
    )
    call(
        "edit account",
        200,
        "PATCH",
        f"/api/v1/accounts/{account_id}",
        json={"accountName": "Main", "isNew": False},
        headers=U,
    )
    call(
        "daily balances",
        200,
        "GET",
        "/api/v1/accounts/dailyBalances",
        params={"accountIds": str(account_id), "perPage": 10},
        headers=U,
    )
    page = call(
        "transactions",
        200,
        "GET",
        "/api/v1/transactions",
        params={
            "view": "userView",
            "perPage": 5,
            "page": 2,
            "direction": "spending",
            "order": "amount,asc",
        },
        headers=U,
    ).json()
    call("transactions without view", 400, "GET", "/api/v1/transactions", headers=U)
    tx_id = page["transactions"][0]["id"]
    call("transaction", 200, "GET", f"/api/v1/transactions/{tx_id}", headers=U)
    call("transaction unknown", 404, "GET", "/api/v1/transactions/999999", headers=U)
    call(
        "transactions by ids",
        200,
        "GET",
        f"/api/v1/transactions/{tx_id},{tx_id + 1}",
        headers=U,
    )

    # categories and labels
    cat = call(
        "create category",
        201,
        "POST",
        "/api/v1/categories",
        json={"name": "Hobby", "parentId": 9},
        headers=U,
    ).json()
    call(
        "create category unknown parent",
        404,
        "POST",
        "/api/v1/categories",
        json={"name": "X", "parentId": 999},
        headers=U,
    )
    call(
        "categories",
        200,
        "GET",
        "/api/v1/categories",
        params={"isCustom": "true"},
        headers=U,
    )
    call("category", 200, "GET", f"/api/v1/categories/{cat['id']}", headers=U)
    call(
        "categories by ids", 200, "GET", f"/api/v1/categories/1,{cat['id']}", headers=U
    )
    call(
        "edit category",
        200,
        "PATCH",
        f"/api/v1/categories/{cat['id']}",
        json={"name": "Hobbies"},
        headers=U,
    )
    call(
        "edit system category",
        403,
        "PATCH",
        "/api/v1/categories/1",
        json={"name": "No"},
        headers=U,
    )
    label = call(
        "create label", 201, "POST", "/api/v1/labels", json={"name": "tax"}, headers=U
    ).json()
    call(
        "create duplicate label",
        422,
        "POST",
        "/api/v1/labels",
        json={"name": "tax"},
        headers=U,
    )
    call("labels", 200, "GET", "/api/v1/labels", params={"search": "ta"}, headers=U)
    call("label", 200, "GET", f"/api/v1/labels/{label['id']}", headers=U)
    call("labels by ids", 200, "GET", f"/api/v1/labels/{label['id']},999", headers=U)
    call(
        "edit label",
        200,
        "PATCH",
        f"/api/v1/labels/{label['id']}",
        json={"name": "taxes"},
        headers=U,
    )
    call(
        "edit transaction",
        200,
        "PATCH",
        f"/api/v1/transactions/{tx_id}",
        json={"categoryId": cat["id"], "labelIds": [label["id"]], "isNew": False},
        headers=U,
    )
    call(
        "edit transaction unknown label",
        422,
        "PATCH",
        f"/api/v1/transactions/{tx_id}",
        json={"labelIds": [999]},
        headers=U,
    )
    call(
        "edit transactions",
        200,
        "PATCH",
        "/api/v1/transactions",
        json={"accountIds": [account_id], "isPotentialDuplicate": False},
        headers=U,
    )
    call("delete label", 200, "DELETE", f"/api/v1/labels/{label['id']}", headers=U)
    call("delete category", 200, "DELETE", f"/api/v1/categories/{cat['id']}", headers=U)
    call("delete all labels", 200, "DELETE", "/api/v1/labels", headers=U)
    call("delete all categories", 200, "DELETE", "/api/v1/categories", headers=U)

    # the other web form types, tasks, profiles, translations
    profile = call(
        "create profile",
        201,
        "POST",
        f"{W}/profiles",
        json={
            "label": "brand",
            "default": True,
            "functionality": {"progressBar": "HIDDEN"},
        },
        headers=U,
    ).json()
    call(
        "create profile bad",
        400,
        "POST",
        f"{W}/profiles",
        json={"default": True},
        headers=U,
    )
    call("profiles", 200, "GET", f"{W}/profiles", headers=U)
    call("profile", 200, "GET", f"{W}/profiles/{profile['id']}", headers=U)
    call(
        "edit profile",
        201,
        "PATCH",
        f"{W}/profiles/{profile['id']}",
        json={"label": "brand 2"},
        headers=U,
    )
    call(
        "profile unknown",
        404,
        "GET",
        f"{W}/profiles/00000000-0000-4000-8000-000000000000",
        headers=U,
    )
    amount = {"value": 12.5, "currency": "EUR"}
    call(
        "update form",
        201,
        "POST",
        f"{W}/webForms/bankConnectionUpdate",
        json={"bank": {"bankConnectionId": conn_id}, "profileId": profile["id"]},
        headers=U,
    )
    call(
        "update form unknown",
        404,
        "POST",
        f"{W}/webForms/bankConnectionUpdate",
        json={"bank": {"bankConnectionId": 999}},
        headers=U,
    )
    call(
        "payment form",
        201,
        "POST",
        f"{W}/webForms/paymentWithAccountId",
        json={
            "sender": {"accountId": account_id},
            "orders": [
                {
                    "amount": amount,
                    "recipient": {"iban": "DE02120300000000202051", "name": "Max"},
                }
            ],
        },
        headers=U,
    )
    call(
        "standalone payment form",
        201,
        "POST",
        f"{W}/webForms/standalonePayment",
        json={
            "orders": [
                {
                    "amount": amount,
                    "recipient": {"iban": "DE02120300000000202051", "name": "Max"},
                }
            ]
        },
        headers=U,
    )
    call(
        "direct debit form",
        201,
        "POST",
        f"{W}/webForms/directDebitWithAccountId",
        json={
            "receiver": {"accountId": account_id},
            "executionDate": "2030-01-15",
            "directDebitType": "BASIC",
            "sequenceType": "OOFF",
            "orders": [
                {
                    "amount": amount,
                    "payer": {"iban": "DE02120300000000202051", "name": "Max"},
                    "mandateId": "M1",
                    "mandateDate": "2024-01-01",
                    "creditorId": "DE98ZZZ09999999999",
                }
            ],
        },
        headers=U,
    )
    standing = call(
        "standing order form",
        201,
        "POST",
        f"{W}/webForms/standingOrder",
        json={
            "amount": amount,
            "recipient": {"iban": "DE02120300000000202051", "name": "Max"},
            "startDate": "2030-01-01",
            "frequency": "MONTHLY",
        },
        headers=U,
    ).json()
    call("delete web form", 200, "DELETE", f"{W}/webForms/{standing['id']}", headers=U)
    task = call(
        "task",
        201,
        "POST",
        f"{W}/tasks/backgroundUpdate",
        json={"bankConnectionId": conn_id},
        headers=U,
    ).json()
    call(
        "task again",
        423,
        "POST",
        f"{W}/tasks/backgroundUpdate",
        json={"bankConnectionId": conn_id},
        headers=U,
    )
    call(
        "task unknown connection",
        404,
        "POST",
        f"{W}/tasks/backgroundUpdate",
        json={"bankConnectionId": 999},
        headers=U,
    )
    time.sleep(0.15)
    call("get task", 200, "GET", f"{W}/tasks/{task['id']}", headers=U)
    call("tasks", 200, "GET", f"{W}/tasks", headers=U)
    call(
        "task unknown",
        404,
        "GET",
        f"{W}/tasks/00000000-0000-4000-8000-000000000000",
        headers=U,
    )
    translation = call(
        "create translation",
        201,
        "POST",
        f"{W}/translations",
        json={"de": {"bankSearchView": {"title": "Bank wählen"}}},
        headers=U,
    ).json()
    call("translations", 200, "GET", f"{W}/translations", headers=U)
    call("translation", 200, "GET", f"{W}/translations/{translation['id']}", headers=U)
    call(
        "delete translation",
        200,
        "DELETE",
        f"{W}/translations/{translation['id']}",
        headers=U,
    )
    call("delete profile", 200, "DELETE", f"{W}/profiles/{profile['id']}", headers=U)

    # deletions, then the user
    call(
        "delete transaction", 200, "DELETE", f"/api/v1/transactions/{tx_id}", headers=U
    )
    call(
        "delete all transactions",
        200,
        "DELETE",
        "/api/v1/transactions",
        params={"accountIds": str(account_id)},
        headers=U,
    )
    call("delete account", 200, "DELETE", f"/api/v1/accounts/{account_id}", headers=U)
    call("delete all accounts", 200, "DELETE", "/api/v1/accounts", headers=U)
    call(
        "delete connection",
        200,
        "DELETE",
        f"/api/v1/bankConnections/{conn_id}",
        headers=U,
    )
    call("delete all connections", 200, "DELETE", "/api/v1/bankConnections", headers=U)
    call(
        "revoke with a user token",
        403,
        "POST",
        "/oauth/revoke",
        params={"token": tokens["access_token"], "token_type_hint": "access_token"},
        headers=U,
    )
    call(
        "revoke",
        200,
        "POST",
        "/oauth/revoke",
        params={"token": tokens["access_token"], "token_type_hint": "access_token"},
        headers=C,
    )
    call("revoked token", 401, "GET", "/api/v1/users", headers=U)
    fresh = get_token(client, "password", username="carol", password="new-pass-1")
    call(
        "delete user",
        200,
        "DELETE",
        "/api/v1/users",
        headers=bearer(fresh["access_token"]),
    )
    client.close()
    return seen


def test_every_implemented_operation_matches_the_pinned_specs() -> None:
    """All implemented operations, success and error cases: zero spec violations."""
    with SpecCheckedEmulator() as emu:
        seen = _scenario(emu)
        responses = emu.checker.response_violations()
        requests = emu.checker.request_violations()
        checked = {op for _, op in emu.checker.checked_operations}

    wrong = [(what, expected, got) for what, expected, got in seen if expected != got]
    implemented = set(HANDLERS["access"]) | set(HANDLERS["webform"])
    assert wrong == []
    assert [str(v) for v in responses] == []
    # Requests that break the spec were sent on purpose; each was refused with a 4xx.
    assert [str(v) for v in requests if not 400 <= v.status < 500] == []
    assert implemented - checked == set()
    assert len(seen) >= 100
