"""Acceptance 2: schemathesis fuzzes every implemented operation from the pinned specs.

Bounded: a few examples per operation, derandomised, no example database. Checks:
no 5xx answer, and (through the spec checker) no response that violates the spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import schemathesis

from finapi.emulator._core import HANDLERS
from finapi.emulator._spec import load_spec
from finapi.emulator.testing import (
    SpecCheckedEmulator,
    bearer,
    get_token,
    pinned_raw_specs,
)

RAW = pinned_raw_specs()
if RAW is None:
    msg = "the raw specs are not materialised: run `nox -s specs`"
    raise RuntimeError(msg)

EXAMPLES = 10
# Fuzzing these would end the session the other cases need: they are fuzzed on
# their own, with a fresh user for every example.
SKIPPED = {"deleteAuthorizedUser", "revokeToken"}
CLIENT_OPERATIONS = {
    "createUser",
    "verifyUser",
    "getVerificationStatus",
    "requestPasswordChange",
    "executePasswordChange",
    "deleteUnverifiedUser",
    "getClientConfiguration",
    "editClientConfiguration",
}


def _operations(
    family: str, only: set[str] | None = None
) -> list[tuple[str, str, str]]:
    """Return (operationId, method, path) of the implemented operations to fuzz.

    Args:
        family: ``access`` or ``webform``.
        only: Just these operations (the skipped ones, fuzzed on their own);
            default every implemented operation but the skipped ones.
    """
    assert RAW is not None
    spec = load_spec(RAW[family])
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if (
                not isinstance(op, dict)
                or op.get("operationId") not in HANDLERS[family]
            ):
                continue
            op_id = op["operationId"]
            if (op_id in only) if only is not None else (op_id not in SKIPPED):
                out.append((op_id, method.upper(), path))
    return sorted(out)


def _send(
    client: httpx.Client, prefix: str, case: Any, headers: dict[str, str]
) -> httpx.Response:
    kwargs: dict[str, Any] = {
        "params": case.query or None,
        "headers": {**{k: str(v) for k, v in (case.headers or {}).items()}, **headers},
    }
    body = case.body
    if body is not None and type(body).__name__ != "NotSet":
        if case.media_type == "application/x-www-form-urlencoded" and isinstance(
            body, dict
        ):
            kwargs["data"] = {k: str(v) for k, v in body.items()}
        else:
            kwargs["json"] = body
    return client.request(case.method, prefix + case.formatted_path, **kwargs)


def _fuzz(
    client: httpx.Client,
    strategy: Any,
    *,
    op_id: str,
    prefix: str,
    headers: dict[str, str] | Callable[[], dict[str, str]],
    failures: list[str],
) -> int:
    from hypothesis import HealthCheck, given, settings

    count = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        nonlocal count
        response = _send(
            client, prefix, case, headers() if callable(headers) else headers
        )
        count += 1
        if response.status_code >= 500:
            failures.append(f"{op_id}: {response.status_code} {response.text[:200]}")

    run()
    return count


def test_fuzzing_implemented_operations_finds_no_server_error_and_no_spec_violation() -> (
    None
):
    """Every implemented operation, a few generated requests each: no 5xx, no violation."""
    assert RAW is not None
    failures: list[str] = []
    sent = 0
    with SpecCheckedEmulator(seed=1) as emu, emu.client() as client:
        client_token = get_token(client)["access_token"]
        created = client.post(
            "/api/v1/users", json={}, headers=bearer(client_token)
        ).json()
        tokens = get_token(
            client, "password", username=created["id"], password=created["password"]
        )
        form = client.post(
            "/webform/api/webForms/bankConnectionImport",
            json={},
            headers=bearer(tokens["access_token"]),
        ).json()
        emu.complete_webform(form["id"])
        for family, prefix in (("access", ""), ("webform", "/webform")):
            # YAML turns unquoted example dates into datetimes; JSON has none.
            plain = json.loads(json.dumps(load_spec(RAW[family]), default=str))
            schema = schemathesis.openapi.from_dict(plain)
            for op_id, method, path in _operations(family):
                auth = (
                    client_token
                    if op_id in CLIENT_OPERATIONS
                    else tokens["access_token"]
                )
                headers = {} if op_id == "getToken" else bearer(auth)
                strategy = schema[path][method].as_strategy()

                sent += _fuzz(
                    client,
                    strategy,
                    op_id=op_id,
                    prefix=prefix,
                    headers=headers,
                    failures=failures,
                )
        violations = emu.checker.response_violations()

    assert failures == []
    assert [str(v) for v in violations] == []
    assert sent >= 2 * len(_operations("access"))


def test_fuzzing_the_operations_that_end_a_session() -> None:
    """deleteAuthorizedUser and revokeToken, a fresh user per example: no 5xx, no violation."""
    assert RAW is not None
    failures: list[str] = []
    sent = {}
    with SpecCheckedEmulator(seed=2) as emu, emu.client() as client:
        client_token = get_token(client)["access_token"]

        def fresh_user_token() -> dict[str, str]:
            created = client.post(
                "/api/v1/users", json={}, headers=bearer(client_token)
            ).json()
            tokens = get_token(
                client,
                "password",
                username=created["id"],
                password=created["password"],
            )
            return bearer(tokens["access_token"])

        plain = json.loads(json.dumps(load_spec(RAW["access"]), default=str))
        schema = schemathesis.openapi.from_dict(plain)
        for op_id, method, path in _operations("access", only=SKIPPED):
            headers: Callable[[], dict[str, str]] = (
                fresh_user_token
                if op_id == "deleteAuthorizedUser"
                else lambda: bearer(client_token)
            )
            sent[op_id] = _fuzz(
                client,
                schema[path][method].as_strategy(),
                op_id=op_id,
                prefix="",
                headers=headers,
                failures=failures,
            )
        violations = emu.checker.response_violations()
        checked = {op for _, op in emu.checker.checked_operations}

    assert failures == []
    assert [str(v) for v in violations] == []
    assert set(sent) == SKIPPED
    assert all(n >= 1 for n in sent.values()), sent
    assert checked >= SKIPPED
