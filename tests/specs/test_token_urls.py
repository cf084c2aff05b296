"""Each OAuth flow URL of a spec is where its generated operation is (issue 6).

The facade builds its token and revocation requests with the generated
``getToken`` / ``revokeToken`` operations, so it reaches the spec's
``tokenUrl`` only when that operation's path is the URL. Generation checks it
(``speckit.generate.token_url_problems``, run by ``generate_one`` before the
generator) and stops with a message naming both values when they differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from speckit import variants
from speckit.generate import (
    GenerationError,
    generate_one,
    token_url_problems,
)
from speckit.lock import SpecEntry, load_lock, sha256_of
from speckit.normalise import dump_json, normalise

CASES = [(name, kind) for name, v in variants.VARIANTS.items() for kind in v.kinds]


def tiny(
    url: str = "/oauth/token",
    path: str = "/oauth/token",
    servers: list[str] | None = None,
    **flow: str,
) -> dict[str, Any]:
    """A spec with getToken at ``path``, revokeToken, and a password flow to ``url``."""

    def operation(operation_id: str) -> dict[str, Any]:
        return {
            "operationId": operation_id,
            "responses": {"200": {"description": "ok"}},
        }

    spec: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": "tiny", "version": "1"},
        "paths": {
            path: {"post": operation("getToken")},
            "/oauth/revoke": {"post": operation("revokeToken")},
        },
        "components": {
            "securitySchemes": {
                "auth": {
                    "type": "oauth2",
                    "flows": {"password": {"tokenUrl": url, "scopes": {}, **flow}},
                }
            }
        },
    }
    if servers is not None:
        spec["servers"] = [{"url": url} for url in servers]
    return spec


def token_operation_path(spec: dict[str, Any]) -> str | None:
    """The path of the spec's getToken operation, or None."""
    return next(
        (
            path
            for path, item in spec["paths"].items()
            for op in item.values()
            if isinstance(op, dict) and op.get("operationId") == "getToken"
        ),
        None,
    )


def flow_urls(spec: dict[str, Any]) -> set[str]:
    """Every tokenUrl of the spec's OAuth flows."""
    return {
        flow["tokenUrl"]
        for scheme in spec["components"]["securitySchemes"].values()
        for flow in (scheme.get("flows") or {}).values()
    }


# The rule, on tiny fragments


def test_a_token_url_at_the_operation_path_passes() -> None:
    """tokenUrl and getToken's path agree: nothing to report."""
    assert token_url_problems(tiny()) == []


def test_a_token_url_elsewhere_names_both_values() -> None:
    """A tokenUrl moved without its operation is reported with both values."""
    (problem,) = token_url_problems(tiny(url="/api/v2/oauth/token"), "Tiny 1")

    assert problem.startswith("Tiny 1: securitySchemes.auth.flows.password.tokenUrl")
    assert "`/api/v2/oauth/token`" in problem
    assert "operation getToken is `POST /oauth/token`" in problem


def test_an_operation_moved_without_its_token_url_is_reported() -> None:
    """The other way round: the operation moved, the tokenUrl stayed."""
    (problem,) = token_url_problems(tiny(path="/api/v2/oauth/token"))

    assert "is `/oauth/token`" in problem
    assert "`POST /api/v2/oauth/token`" in problem


@pytest.mark.parametrize(
    ("key", "url", "operation"),
    [
        ("refreshUrl", "/oauth/refresh", "getToken"),
        ("x-revokeUrl", "/api/v2/oauth/revoke", "revokeToken"),
    ],
)
def test_refresh_and_revoke_urls_are_checked_too(
    key: str, url: str, operation: str
) -> None:
    """A refresh URL must be getToken's path, a revoke URL revokeToken's."""
    (problem,) = token_url_problems(tiny(**{key: url}))

    assert f"flows.password.{key} is `{url}`" in problem
    assert f"operation {operation} is `POST " in problem


def test_a_revoke_url_at_the_revoke_operation_passes() -> None:
    """``x-revokeUrl`` where revokeToken is: nothing to report."""
    assert token_url_problems(tiny(**{"x-revokeUrl": "/oauth/revoke"})) == []


@pytest.mark.parametrize(
    ("token_url", "problems"),
    [
        ("/oauth/token", 0),
        ("/finapi/oauth/token", 0),
        ("https://x.test/finapi/oauth/token", 0),
        ("/other/oauth/token", 1),
    ],
)
def test_a_server_base_path_may_prefix_the_token_url(
    token_url: str, problems: int
) -> None:
    """With a server at /finapi, the tokenUrl may name the path with or without it."""
    spec = tiny(url=token_url, servers=["https://x.test/finapi"])

    assert len(token_url_problems(spec)) == problems


def test_a_spec_without_a_token_operation_has_nothing_to_compare() -> None:
    """Web Form 2.0's tokenUrl points at Access; its own spec has no getToken."""
    spec = tiny(url="https://elsewhere.test/somewhere/else")
    spec["paths"] = {}

    assert token_url_problems(spec) == []


def test_generation_stops_before_the_generator_runs(tmp_path: Path) -> None:
    """generate_one raises GenerationError naming both values, and builds nothing."""
    raw = tmp_path / "tiny.json"
    raw.write_text(dump_json(tiny(url="/api/v2/oauth/token")), encoding="utf-8")
    entry = SpecEntry(
        kind="access",
        file=raw.name,
        title="Tiny",
        version="1",
        sha256=sha256_of(raw),
        package="tiny_client",
        source="tests/specs/test_token_urls.py",
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    with pytest.raises(GenerationError) as info:
        generate_one(entry, load_lock(), scratch, raw)

    message = str(info.value)
    assert "1 OAuth flow URL(s) differ from their operation's path" in message
    assert "Tiny 1: securitySchemes.auth.flows.password.tokenUrl" in message
    assert "`/api/v2/oauth/token`" in message
    assert "`POST /oauth/token`" in message
    assert not (scratch / "tiny_client").exists()


# The pinned specs and every variant


@pytest.mark.parametrize("kind", ["access", "webform"])
def test_the_pinned_specs_pass(kind: str) -> None:
    """The normalised pinned specs pass; Access's tokenUrls are getToken's path."""
    spec, _ = normalise(variants.pinned_spec(kind))

    assert token_url_problems(spec) == []
    path = token_operation_path(spec)
    if kind == "access":
        assert flow_urls(spec) == {path}
    else:
        assert path is None


@pytest.mark.parametrize(("name", "kind"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_every_variant_passes(name: str, kind: str) -> None:
    """Each variant keeps tokenUrl and getToken together (api-v2 moves both)."""
    spec, _ = normalise(variants.VARIANTS[name].of(kind))

    assert token_url_problems(spec) == []
    if kind == "access":
        assert flow_urls(spec) == {token_operation_path(spec)}


def test_the_pinned_client_sends_token_requests_to_the_token_url() -> None:
    """The installed finapi_access builds getToken at its SPEC_INFO tokenUrls."""
    pytest.importorskip("finapi_access")
    from finapi_access.api.authorization import get_token
    from finapi_access.models import GetTokenParams, GetTokenParamsGrantType
    from finapi_access.spec_info import SPEC_INFO

    body = GetTokenParams(
        client_id="c",
        client_secret="s",
        grant_type=GetTokenParamsGrantType.CLIENT_CREDENTIALS,
    )

    url = get_token._get_kwargs(body=body)["url"]

    assert set(SPEC_INFO["token_urls"].values()) == {url}
    assert set(SPEC_INFO["token_urls"]) == {"clientCredentials", "password"}


_CLIENT_URLS = """
import json
from finapi_access.api.authorization import get_token
from finapi_access.models import GetTokenParams, GetTokenParamsGrantType
from finapi_access.spec_info import SPEC_INFO
body = GetTokenParams(client_id="c", client_secret="s",
                      grant_type=GetTokenParamsGrantType.CLIENT_CREDENTIALS)
print(json.dumps({"url": get_token._get_kwargs(body=body)["url"],
                  "token_urls": SPEC_INFO["token_urls"],
                  "version": SPEC_INFO["version"]}))
"""


def test_the_api_v2_client_sends_token_requests_to_its_token_url(
    variant_trees: dict[tuple[str, str], variants.VariantTree],
) -> None:
    """The client regenerated from api-v2 builds getToken at the moved tokenUrl."""
    tree = variant_trees[("api-v2", "access")]
    prefix = variants.targets_for(variants.pinned_spec("access")).api_prefix
    env = {**os.environ, "PYTHONPATH": str(tree.generated)}

    proc = subprocess.run(
        [sys.executable, "-c", _CLIENT_URLS],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert tree.process.returncode == 0, tree.process.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout)
    assert found["version"].endswith("+api-v2")
    assert found["url"] == f"{prefix}/oauth/token"
    assert set(found["token_urls"].values()) == {found["url"]}


def test_update_refuses_a_token_url_moved_alone(tmp_path: Path) -> None:
    """``speckit update`` with only the tokenUrl moved exits 3, lock unchanged."""
    specs = variants.make_workspace(tmp_path / "repo")
    lock_bytes = (specs / "lock.json").read_bytes()
    spec = variants.pinned_spec("access")
    spec["info"]["version"] += "+token-url-only"
    flows = spec["components"]["securitySchemes"]["finapi_auth"]["flows"]
    old = {flow["tokenUrl"] for flow in flows.values()}
    for flow in flows.values():
        flow["tokenUrl"] = "/api/v9/oauth/token"
    source = variants.write_variant(spec, tmp_path / "in")

    proc = variants.run_speckit(specs, "update", "--from", str(source))

    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "2 OAuth flow URL(s) differ from their operation's path" in proc.stderr
    assert "tokenUrl is `/api/v9/oauth/token`" in proc.stderr
    (path,) = old
    assert f"operation getToken is `POST {path}`" in proc.stderr
    assert "lock unchanged" in proc.stderr
    assert (specs / "lock.json").read_bytes() == lock_bytes
