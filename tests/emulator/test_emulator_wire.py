"""Wire facts: Access date-times, request ids in errors, 501 for every unimplemented op."""

from __future__ import annotations

import re

import httpx
import pytest

# The handler modules register themselves in HANDLERS when imported.
from finapi.emulator import Emulator, _access, _access_data, _webform  # noqa: F401
from finapi.emulator._core import HANDLERS
from finapi.emulator._spec import load_spec
from finapi.emulator.testing import bearer, pinned_raw_specs

_RAW = pinned_raw_specs()
if _RAW is None:
    msg = "the raw specs are not materialised: run `nox -s specs`"
    raise RuntimeError(msg)
ACCESS_SPEC = load_spec(_RAW["access"])
SPEC_OPERATIONS = sorted(
    (op["operationId"], method.upper(), path)
    for path, item in ACCESS_SPEC["paths"].items()
    for method, op in item.items()
    if isinstance(op, dict) and "operationId" in op
)
UNIMPLEMENTED = [row for row in SPEC_OPERATIONS if row[0] not in HANDLERS["access"]]
ACCESS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")


def _concrete(template: str) -> str:
    """Fill a path template: ``{ids}`` with a list, any other parameter with 1."""
    return re.sub(
        r"\{([^}]+)\}",
        lambda m: "1,2" if m.group(1) == "ids" else "1",
        template,
    )


def test_the_coverage_list_is_the_pinned_specs_operations(emu: Emulator) -> None:
    """The emulator lists exactly the spec's Access operations, each with its handler state."""
    listed = sorted(
        (op, method, path) for op, method, path, _ in emu.implemented["access"]
    )
    flags = {op: done for op, _, _, done in emu.implemented["access"]}

    assert listed == SPEC_OPERATIONS
    assert {op for op, done in flags.items() if not done} == {
        r[0] for r in UNIMPLEMENTED
    }
    assert len(UNIMPLEMENTED) == len(SPEC_OPERATIONS) - len(HANDLERS["access"])


@pytest.mark.parametrize(
    ("operation_id", "method", "template"),
    UNIMPLEMENTED,
    ids=[r[0] for r in UNIMPLEMENTED],
)
def test_every_unimplemented_operation_answers_501_naming_it(
    client: httpx.Client, operation_id: str, method: str, template: str
) -> None:
    """An Access operation without a handler answers 501 in the Access error shape."""
    response = client.request(method, _concrete(template))
    body = response.json()

    assert response.status_code == 501
    assert body["errors"][0]["code"] == "UNSUPPORTED_FEATURE"
    assert re.search(rf"\b{operation_id}\b", body["errors"][0]["message"])
    assert body["endpoint"] == f"{method} {_concrete(template)}"


def test_access_date_times_are_finapi_style(
    client: httpx.Client, imported: dict[str, str]
) -> None:
    """Transactions, accounts, connections and error bodies use yyyy-MM-dd HH:mm:ss.SSS."""
    tx = client.get(
        "/api/v1/transactions",
        params={"view": "userView", "perPage": 5},
        headers=imported,
    ).json()["transactions"][0]
    account = client.get("/api/v1/accounts", headers=imported).json()["accounts"][0]
    connection = client.get("/api/v1/bankConnections", headers=imported).json()[
        "connections"
    ][0]
    error = client.get("/api/v1/accounts/999999", headers=imported).json()
    stamps = {
        "valueDate": tx["valueDate"],
        "bankBookingDate": tx["bankBookingDate"],
        "finapiBookingDate": tx["finapiBookingDate"],
        "importDate": tx["importDate"],
        "lastSuccessfulUpdate": account["lastSuccessfulUpdate"],
        "lastUpdateAttempt": account["lastUpdateAttempt"],
        "lastManualUpdate": connection["lastManualUpdate"]["timestamp"],
        "error date": error["date"],
    }

    assert {k: v for k, v in stamps.items() if not ACCESS_TIME.match(v)} == {}


@pytest.mark.parametrize(
    ("method", "path", "auth"),
    [
        ("GET", "/api/v1/users", "client"),
        ("GET", "/api/v1/accounts/999999", "user"),
        ("GET", "/api/v1/nowhere", None),
        ("POST", "/api/v1/payments/submit", None),
        ("POST", "/oauth/token", None),
    ],
    ids=["wrong-role", "not-found", "unknown-path", "unimplemented", "token-400"],
)
def test_access_error_bodies_carry_the_sent_request_id(
    *,
    client: httpx.Client,
    client_token: str,
    user: dict[str, str],
    method: str,
    path: str,
    auth: str | None,
) -> None:
    """The requestId of an Access error body is the X-Request-Id sent, also echoed."""
    tokens = {"client": client_token, "user": user["access_token"]}
    headers = {"X-Request-Id": f"req-{path}"}
    if auth is not None:
        headers.update(bearer(tokens[auth]))

    response = client.request(method, path, headers=headers)

    assert response.status_code >= 400
    assert response.json()["requestId"] == f"req-{path}"
    assert response.headers["x-request-id"] == f"req-{path}"


@pytest.mark.parametrize("known", [True, False], ids=["found", "not-found"])
def test_web_form_api_echoes_the_request_id(
    client: httpx.Client, user: dict[str, str], known: bool
) -> None:
    """Web Form 2.0 answers, success or error, carry the X-Request-Id sent."""
    headers = bearer(user["access_token"])
    form_id = "00000000-0000-4000-8000-000000000000"
    if known:
        form_id = client.post(
            "/webform/api/webForms/bankConnectionImport", json={}, headers=headers
        ).json()["id"]

    response = client.get(
        f"/webform/api/webForms/{form_id}",
        headers={**headers, "X-Request-Id": "wf-req-7"},
    )

    assert response.status_code == (200 if known else 404)
    assert response.headers["x-request-id"] == "wf-req-7"
