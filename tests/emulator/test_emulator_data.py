"""Demo data: nulls where finAPI sends them, paging, and repeatability from the seed."""

from __future__ import annotations

import math
from typing import Any

import httpx

from finapi.emulator import Emulator
from finapi.emulator.testing import bearer, get_token

TRANSACTIONS = "/api/v1/transactions"


def _all_transactions(
    client: httpx.Client, headers: dict[str, str]
) -> list[dict[str, Any]]:
    response = client.get(
        TRANSACTIONS, params={"view": "userView", "perPage": 500}, headers=headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["transactions"])


def test_some_transactions_have_no_category(
    client: httpx.Client, imported: dict[str, str]
) -> None:
    """Uncategorised transactions carry category null; the others a category object."""
    categories = [tx["category"] for tx in _all_transactions(client, imported)]

    assert None in categories
    assert any(isinstance(c, dict) and c.get("id") for c in categories)


def test_paging_of_page_two_with_three_per_page(
    client: httpx.Client, imported: dict[str, str]
) -> None:
    """page=2&perPage=3 answers items 4 to 6 and a paging object that adds up."""
    everything = _all_transactions(client, imported)
    body = client.get(
        TRANSACTIONS,
        params={"view": "userView", "page": 2, "perPage": 3},
        headers=imported,
    ).json()
    total = len(everything)

    assert total > 6
    assert body["paging"] == {
        "page": 2,
        "perPage": 3,
        "pageCount": math.ceil(total / 3),
        "totalCount": total,
    }
    assert [tx["id"] for tx in body["transactions"]] == [
        tx["id"] for tx in everything[3:6]
    ]


def _demo_data(seed: int) -> dict[str, Any]:
    """Create a generated user in a fresh emulator, import a bank, return its data."""
    with Emulator(seed=seed) as emu, emu.client() as client:
        created = client.post(
            "/api/v1/users", json={}, headers=bearer(get_token(client)["access_token"])
        ).json()
        headers = bearer(
            get_token(
                client,
                "password",
                username=created["id"],
                password=created["password"],
            )["access_token"]
        )
        form = client.post(
            "/webform/api/webForms/bankConnectionImport",
            json={"bank": {"id": 280002}},
            headers=headers,
        ).json()
        emu.complete_webform(form["id"])
        accounts = client.get("/api/v1/accounts", headers=headers).json()["accounts"]
        transactions = _all_transactions(client, headers)
    return {
        "user": (created["id"], created["password"]),
        "accounts": [(a["iban"], a["accountNumber"], a["balance"]) for a in accounts],
        "transactions": [
            (
                tx["amount"],
                tx["purpose"],
                tx["counterpartName"],
                (tx["category"] or {}).get("id"),
            )
            for tx in transactions
        ],
    }


def test_the_seed_decides_the_demo_data() -> None:
    """The same seed gives the same users, accounts and transactions; another seed not."""
    first, again, other = _demo_data(5), _demo_data(5), _demo_data(6)

    assert first == again
    assert first["user"] != other["user"]
    assert first["accounts"] != other["accounts"]
    assert first["transactions"] != other["transactions"]
