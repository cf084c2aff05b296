"""The command line: the coverage table (and the README's copy of it), bad flags."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from finapi.emulator import Emulator, SpecError
from finapi.emulator.__main__ import coverage_table, main

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_coverage_table_equals_the_cli_output() -> None:
    """The README block between the coverage markers is what --coverage prints."""
    text = README.read_text("utf-8")
    block = text.split("<!-- coverage:start -->", 1)[1].split(
        "<!-- coverage:end -->", 1
    )[0]
    printed = subprocess.run(
        [sys.executable, "-m", "finapi.emulator", "--coverage"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert block.strip() == printed.strip()


def test_coverage_lists_every_operation_of_both_specs() -> None:
    """One row per operation; all 21 Web Form operations are implemented."""
    table = coverage_table(Emulator())
    rows = [
        line
        for line in table.splitlines()
        if line.startswith(("| Access", "| Web Form"))
    ]

    assert len(rows) == 102 + 21
    assert "- Web Form 2.0: 21 of 21 operations implemented" in table
    assert (
        "| Access | `submitPayment` | POST | `/api/v1/payments/submit` | no (501) |"
        in table
    )


def test_bad_flags_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    """A negative token lifetime and an unreadable spec file are refused with a clear message."""
    with pytest.raises(SystemExit):
        main(["--token-lifetime", "-1", "--coverage"])
    lifetime = capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--access-spec", "/nonexistent/spec.json", "--coverage"])
    spec = capsys.readouterr().err

    assert "token_lifetime must be positive" in lifetime
    assert "cannot read spec file /nonexistent/spec.json" in spec


def test_a_spec_whose_paths_moved_is_served_without_code_changes() -> None:
    """Access paths moved under /api/v2/ are routed by operationId as before."""
    emu = Emulator()
    moved = dict(emu.access_spec)
    moved["paths"] = {
        p.replace("/api/v1/", "/api/v2/"): item
        for p, item in emu.access_spec["paths"].items()
    }
    with Emulator(access_spec=moved) as v2, v2.client() as client:
        token = client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": next(iter(v2.clients)),
                "client_secret": next(iter(v2.clients.values())),
            },
        ).json()["access_token"]
        new = client.post(
            "/api/v2/users",
            json={"id": "vera", "password": "vera-pass"},
            headers={"Authorization": f"Bearer {token}"},
        )
        old = client.post(
            "/api/v1/users",
            json={"id": "vera"},
            headers={"Authorization": f"Bearer {token}"},
        )

    assert new.status_code == 201
    assert old.status_code == 404


def test_a_spec_without_operation_ids_is_refused() -> None:
    """A spec whose operation lacks an operationId names the operation in the error."""
    with pytest.raises(SpecError, match="GET /x has no operationId"):
        Emulator(access_spec={"openapi": "3.0.1", "paths": {"/x": {"get": {}}}})
