"""The public surface: exports, import cost, configuration, users, reprs."""

from __future__ import annotations

import importlib
import json
import logging
import re
import subprocess
import sys
from importlib import resources

import httpx
import pytest
from facade_support import CAPTURE, make_afin, make_fin

import finapi
from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator

pytestmark = pytest.mark.anyio

PRIVATE_MODULES = [
    "_auth",
    "_client",
    "_config",
    "_errors",
    "_paging",
    "_redis",
    "_retry",
    "_tokens",
    "_webforms",
]


def _isort_key(name: str) -> tuple[int, str]:
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


def test_all_is_sorted_and_complete() -> None:
    """finapi.__all__ is sorted and holds exactly the private modules' __all__."""
    exported = set()
    for name in PRIVATE_MODULES:
        exported.update(importlib.import_module(f"finapi.{name}").__all__)

    assert finapi.__all__ == sorted(finapi.__all__, key=_isort_key)
    assert set(finapi.__all__) == exported
    assert all(hasattr(finapi, name) for name in finapi.__all__)


def test_import_finapi_stays_light() -> None:
    """`import finapi` imports no generated models, redis, stamina, attrs or asyncio."""
    code = (
        "import sys, finapi; heavy = ['redis', 'stamina', 'tenacity', 'attrs', "
        "'finapi_access', 'finapi_webform', 'asyncio', 'finapi.emulator']; "
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "[]"


def test_generated_ids_and_passwords_follow_the_spec_rules() -> None:
    """Generated ids and passwords satisfy UserCreateParams' pattern and lengths."""
    spec = json.loads(
        resources.files("finapi_access").joinpath("openapi.json").read_text()
    )
    props = spec["components"]["schemas"]["UserCreateParams"]["properties"]
    id_pattern = re.compile(props["id"]["pattern"])
    id_max = int(re.search(r"Max length is (\d+)", props["id"]["description"]).group(1))
    pw_min, pw_max = map(
        int,
        re.search(
            r"Minimum length is (\d+), and maximum length is (\d+)",
            props["password"]["description"],
        ).groups(),
    )
    ids = {finapi.generate_user_id() for _ in range(200)}
    passwords = {finapi.generate_password() for _ in range(200)}

    assert len(ids) == 200
    assert len(passwords) == 200
    assert all(id_pattern.fullmatch(i) and len(i) <= id_max for i in ids)
    assert all(pw_min <= len(p) <= pw_max for p in passwords)
    assert all(
        any(c.isdigit() for c in p) and any(c.isupper() for c in p) for p in passwords
    )
    with pytest.raises(ValueError, match="6 to 128"):
        finapi.generate_password(5)


def test_users_with_explicit_credentials_and_bad_ids(fin: finapi.FinAPI) -> None:
    """A caller's id and password are used; an id finAPI forbids is refused locally."""
    new = fin.users.create("alice@example.org", "secret-pass-1", email="a@example.org")

    assert new.id == "alice@example.org"
    assert repr(new) == "NewUser(id='alice@example.org', password='***')"
    assert fin.user(new.id, new.password).token().access_token
    with pytest.raises(ValueError, match="user ids"):
        fin.users.create("no spaces allowed")


def test_delete_with_password_uses_the_users_token(
    fin: finapi.FinAPI, emu: Emulator
) -> None:
    """With the password known, the user deletes itself; its session closes."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)
    session.token()

    fin.users.delete(new.id)

    assert emu.stats.requests["deleteAuthorizedUser"] == 1
    assert session.closed


def test_delete_without_password_uses_the_client_token(
    fin: finapi.FinAPI, emu: Emulator, audit
) -> None:
    """Without a password the client token deletes an unverified user.

    A verified user cannot be deleted that way: finAPI's answer comes back typed.
    """
    verified = fin.users.create()
    # The Access API cannot switch auto-verification off (it is a mandator
    # setting), so the test sets the emulator's client configuration directly.
    emu.state.client_config[DEMO_CLIENT_ID]["isUserAutoVerificationEnabled"] = False
    unverified = fin.users.create()

    fin.users.delete(unverified.id)
    with audit.raises(finapi.UnprocessableError) as info:
        fin.users.delete(verified.id)

    assert emu.stats.requests["deleteUnverifiedUser"] == 2
    assert info.value.code == "USER_ALREADY_VERIFIED"


def _no_auto_verification(emu: Emulator) -> None:
    # The Access API cannot switch auto-verification off (it is a mandator
    # setting), so the tests set the emulator's client configuration directly.
    emu.state.client_config[DEMO_CLIENT_ID]["isUserAutoVerificationEnabled"] = False


def _request_ids(lines: list[str], needle: str) -> list[str]:
    ids = []
    for line in lines:
        if needle in line:
            found = re.search(r"request_id=(\S+)", line)
            ids.append(found.group(1) if found else "")
    return ids


def test_delete_unverified_user_with_password_falls_back_to_the_client_token(
    fin: finapi.FinAPI, emu: Emulator
) -> None:
    """finAPI refuses the password grant (USER_NOT_VERIFIED): the client token deletes."""
    _no_auto_verification(emu)
    new = fin.users.create()
    first = len(CAPTURE.texts)

    fin.users.delete(new.id, new.password)

    fallback = _request_ids(CAPTURE.texts[first:], "event=delete_with_client_token")
    grants = _request_ids(CAPTURE.texts[first:], "path=/oauth/token status=403")
    assert (DEMO_CLIENT_ID, new.id) not in emu.state.users
    assert emu.stats.token_requests_for("password", new.id) == 1
    assert emu.stats.requests["deleteUnverifiedUser"] == 1
    assert emu.stats.requests["deleteAuthorizedUser"] == 0
    assert fallback == grants
    assert len(fallback) == 1
    assert new.id not in fin._sessions


async def test_delete_unverified_user_with_password_async_falls_back(
    emu: Emulator,
) -> None:
    """The async twin: USER_NOT_VERIFIED on the password grant, client token deletes."""
    _no_auto_verification(emu)
    async with make_afin(emu) as fin:
        new = await fin.users.create()
        await fin.users.delete(new.id, new.password)

    assert (DEMO_CLIENT_ID, new.id) not in emu.state.users
    assert emu.stats.token_requests_for("password", new.id) == 1
    assert emu.stats.requests["deleteUnverifiedUser"] == 1
    assert emu.stats.requests["deleteAuthorizedUser"] == 0


def test_delete_verified_user_without_password_uses_its_stored_token(
    emu: Emulator,
) -> None:
    """A second facade on a shared store deletes a verified user with its token."""
    store = finapi.MemoryTokenStore()
    with (
        make_fin(emu, token_store=store) as first,
        make_fin(emu, token_store=store) as second,
    ):
        new = first.users.create()
        first.user(new.id, new.password).token()

        second.users.delete(new.id)

    assert (DEMO_CLIENT_ID, new.id) not in emu.state.users
    assert emu.stats.requests["deleteAuthorizedUser"] == 1
    assert emu.stats.requests["deleteUnverifiedUser"] == 0
    assert emu.stats.token_requests_for("password", new.id) == 1


async def test_delete_verified_user_without_password_async_uses_its_stored_token(
    emu: Emulator,
) -> None:
    """The async twin, on a shared AsyncMemoryTokenStore."""
    store = finapi.AsyncMemoryTokenStore()
    async with (
        make_afin(emu, token_store=store) as first,
        make_afin(emu, token_store=store) as second,
    ):
        new = await first.users.create()
        await first.user(new.id, new.password).token()

        await second.users.delete(new.id)

    assert (DEMO_CLIENT_ID, new.id) not in emu.state.users
    assert emu.stats.requests["deleteAuthorizedUser"] == 1
    assert emu.stats.requests["deleteUnverifiedUser"] == 0


def test_delete_with_a_dead_stored_token_tries_the_client_token_next(
    emu: Emulator, audit
) -> None:
    """A stored token that cannot be renewed gives way to the client token.

    The user is verified, so finAPI's USER_ALREADY_VERIFIED comes back typed.
    """
    store = finapi.MemoryTokenStore()
    with (
        make_fin(emu, token_store=store) as first,
        make_fin(emu, token_store=store) as second,
    ):
        new = first.users.create()
        first.user(new.id, new.password).token()
        emu.state.revoke_where(client_id=DEMO_CLIENT_ID, user_id=new.id)

        with audit.raises(finapi.UnprocessableError) as info:
            second.users.delete(new.id)

    assert info.value.code == "USER_ALREADY_VERIFIED"
    assert emu.stats.requests["deleteAuthorizedUser"] == 1  # 401, renewal refused
    assert emu.stats.requests["deleteUnverifiedUser"] == 1
    assert (DEMO_CLIENT_ID, new.id) in emu.state.users


def test_environments() -> None:
    """Sandbox comes from the spec, live from the constants; bad input is named."""
    sandbox = finapi.Environment.sandbox()
    live = finapi.Environment.resolve("live", None, None)
    custom = finapi.Environment.resolve(
        None, "http://127.0.0.1:1/", "http://127.0.0.1:1/wf"
    )

    assert sandbox.access_url == "https://sandbox.finapi.io"
    assert sandbox.webform_url == "https://webform-sandbox.finapi.io"
    assert (live.access_url, live.webform_url) == (
        finapi.LIVE_ACCESS_URL,
        finapi.LIVE_WEBFORM_URL,
    )
    assert custom.access_url == "http://127.0.0.1:1"
    with pytest.raises(ValueError, match="environment must be"):
        finapi.Environment.resolve("staging", None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="both access_url and webform_url"):
        finapi.Environment.resolve(None, "http://x", None)
    with pytest.raises(ValueError, match="http"):
        finapi.Environment("ftp://x", "http://y")
    with pytest.raises(ValueError, match="client_secret"):
        finapi.FinAPI(DEMO_CLIENT_ID, "")


def test_default_environment_is_the_sandbox() -> None:
    """Without environment or URLs the facade points at the sandbox (no request made)."""
    with finapi.FinAPI(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET) as fin:
        text = repr(fin)

    assert fin.environment.name == "sandbox"
    assert "sandbox.finapi.io" in text


def test_reprs_hide_secrets(fin: finapi.FinAPI) -> None:
    """Facade, session, token, auth and the generated clients show no secret."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)
    token = session.token()

    texts = [
        repr(fin),
        repr(session),
        repr(token),
        repr(session.auth),
        repr(session.access),
        repr(session.webform),
        repr(fin.access),
    ]

    assert "'***'" in repr(token)
    for text in texts:
        assert token.access_token not in text
        assert str(token.refresh_token) not in text
        assert new.password not in text
        assert DEMO_CLIENT_SECRET not in text


def test_session_is_reused_per_user_and_closes(emu: Emulator) -> None:
    """fin.user returns one session per user; closing revokes its refresh token."""
    with make_fin(emu) as fin:
        new = fin.users.create()
        first = fin.user(new.id, new.password)
        again = fin.user(new.id)
        first.token()
        first.close()

    assert first is again
    assert first.closed
    assert emu.stats.requests["revokeToken"] >= 1


def test_close_revokes_the_client_token_and_the_users_tokens(emu: Emulator) -> None:
    """After close the emulator holds the client token and both user tokens revoked."""
    with make_fin(emu) as fin:
        client = fin.client_token()
        new = fin.users.create()
        user = fin.user(new.id, new.password).token()
        tokens = emu.state.tokens
        before = [
            tokens[client.access_token].revoked,
            tokens[user.access_token].revoked,
        ]

    assert before == [False, False]
    assert user.refresh_token is not None
    assert tokens[client.access_token].revoked
    assert tokens[user.access_token].revoked
    assert tokens[user.refresh_token].revoked


async def test_aclose_revokes_the_client_token_and_the_users_tokens(
    emu: Emulator,
) -> None:
    """The async twin: aclose revokes the client token and both user tokens."""
    async with make_afin(emu) as fin:
        client = await fin.client_token()
        new = await fin.users.create()
        user = await fin.user(new.id, new.password).token()
        tokens = emu.state.tokens
        before = [
            tokens[client.access_token].revoked,
            tokens[user.access_token].revoked,
        ]

    assert before == [False, False]
    assert user.refresh_token is not None
    assert tokens[client.access_token].revoked
    assert tokens[user.access_token].revoked
    assert tokens[user.refresh_token].revoked


def test_a_failed_revocation_is_logged_with_its_request_id(emu: Emulator) -> None:
    """When revoking fails on close, the warning names the revoke request's id."""
    first = len(CAPTURE.texts)
    with make_fin(emu) as fin:
        fin.client_token()
        emu.faults.set("/oauth/revoke", error_rate=1.0, statuses=(500,))
    lines = CAPTURE.texts[first:]

    failed = _request_ids(lines, "revoke result=failed")
    sent = _request_ids(lines, "path=/oauth/revoke status=500")
    assert len(failed) == 1
    assert failed == sent
    assert len(failed[0]) == 32


def test_a_facade_masks_the_revoke_token_in_httpx_request_lines(
    emu: Emulator,
) -> None:
    """httpx logs each URL; a facade makes it mask the revoke call's token.

    The secret audit installs the same guard for the whole suite, so the test
    takes it off first and lets the facade put it back.
    """
    httpx_logger = logging.getLogger("httpx")
    httpx_logger.removeFilter(finapi._log._redactor)
    first = len(CAPTURE.texts)
    try:
        with make_fin(emu) as fin:
            token = fin.client_token()
        guarded = finapi._log._redactor in httpx_logger.filters
    finally:
        finapi._log.guard_httpx_logger()
    lines = [t for t in CAPTURE.texts[first:] if t.startswith("httpx ")]
    revoke = [line for line in lines if "/oauth/revoke" in line]

    assert guarded
    assert len(revoke) == 1
    assert "token=%2A%2A%2A" in revoke[0]
    assert token.access_token not in "\n".join(lines)


def test_the_audit_checks_something(fin: finapi.FinAPI) -> None:
    """The secret audit has secrets to look for (so its silence means something)."""
    from facade_support import BOOK

    fin.client_token()
    some_token = next(v for v in BOOK.values if v != DEMO_CLIENT_SECRET)

    assert DEMO_CLIENT_SECRET in BOOK.values
    assert BOOK.leaks(f"a line with {some_token} in it")
    assert not BOOK.leaks("a line without secrets")


def test_debug_logs_mask_bodies_and_skip_the_token_endpoint(emu: Emulator) -> None:
    """DEBUG shows the user creation body with the password masked, no token bodies."""
    from facade_support import CAPTURE

    first = len(CAPTURE.texts)
    with make_fin(emu) as fin:
        new = fin.users.create()
        fin.user(new.id, new.password).token()
    lines = CAPTURE.texts[first:]
    bodies = [
        line for line in lines if "request-body" in line or "response-body" in line
    ]
    request_lines = [line for line in lines if line.startswith("finapi INFO request ")]

    assert any('"password":"***"' in line for line in bodies)
    assert not any("access_token" in line for line in bodies)
    assert all("request_id=" in line and "status=" in line for line in request_lines)
    assert any("path=/oauth/token" in line for line in request_lines)
    assert not any(new.password in line for line in lines)


def test_callers_http_client_is_used_and_left_open(emu: Emulator) -> None:
    """With http_client=..., requests go through the caller's client, which stays open."""
    seen: list[str] = []
    own = httpx.Client(
        transport=emu.sync_transport(),
        event_hooks={"request": [lambda request: seen.append(request.url.path)]},
    )
    with finapi.FinAPI(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        access_url=emu.access_url,
        webform_url=emu.webform_url,
        http_client=own,
    ) as fin:
        fin.users.create()

    assert seen == ["/oauth/token", "/api/v1/users", "/oauth/revoke"]
    assert not own.is_closed
    own.close()
