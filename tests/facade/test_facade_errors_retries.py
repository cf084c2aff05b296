"""Typed errors from every error shape, request ids, and retries."""

from __future__ import annotations

import time

import httpx
import pytest
from facade_support import FAST_RETRY, make_fin

import finapi
from finapi._errors import parse_error_body
from finapi._retry import RetryingTransport, retry_after
from finapi.emulator import DEMO_CLIENT_ID, Emulator

pytestmark = pytest.mark.anyio


def test_access_error_shape() -> None:
    """Access errors give code, joined messages and the request id."""
    body = (
        b'{"errors":[{"message":"Entity not found","code":"ENTITY_NOT_FOUND",'
        b'"type":"BUSINESS"}],"date":"2024-01-01 00:00:00.000","requestId":"r-1",'
        b'"endpoint":"GET /api/v1/accounts/9"}'
    )

    assert parse_error_body(body) == (
        "ENTITY_NOT_FOUND",
        "Entity not found",
        "r-1",
        False,
    )


def test_webform_error_shapes() -> None:
    """Both Web Form 2.0 error shapes are read."""
    single = b'{"code":"NOT_FOUND","description":"No web form","timestamp":"x","endpoint":"e"}'
    many = b'{"errors":[{"code":"BAD","message":"a"},{"message":"b"}],"timestamp":"x"}'

    assert parse_error_body(single) == ("NOT_FOUND", "No web form", None, False)
    assert parse_error_body(many) == ("BAD", "a; b", None, False)


def test_oauth_error_shape_and_class() -> None:
    """OAuth errors map to their own subclasses."""
    error = finapi._errors.error_from_answer(
        401,
        b'{"error":"invalid_client","error_description":"Bad client credentials"}',
        request_id="r-2",
        endpoint="POST /oauth/token",
    )

    assert type(error) is finapi.InvalidClientError
    assert (error.status, error.code, error.request_id) == (
        401,
        "invalid_client",
        "r-2",
    )
    assert str(error) == (
        "HTTP 401 invalid_client: Bad client credentials "
        "(endpoint=POST /oauth/token, request_id=r-2)"
    )
    assert "Bad client" in repr(error)


def test_body_that_is_not_json_still_gives_a_typed_error() -> None:
    """An HTML 502 from a proxy becomes a ServerError with the reason phrase."""
    error = finapi._errors.error_from_answer(
        502,
        b"<html>bad gateway</html>",
        request_id=None,
        endpoint="GET /x",
        reason="Bad Gateway",
    )

    assert type(error) is finapi.ServerError
    assert error.message == "Bad Gateway"


def test_wrong_client_secret_raises_invalid_client(emu: Emulator, audit) -> None:
    """A wrong secret is an InvalidClientError from the token endpoint."""
    fin = finapi.FinAPI(
        DEMO_CLIENT_ID,
        "wrong-secret-value",
        access_url=emu.access_url,
        webform_url=emu.webform_url,
        transport=emu.sync_transport(),
    )
    with fin, audit.raises(finapi.InvalidClientError) as info:
        fin.client_token()

    assert info.value.status == 401
    assert info.value.endpoint == "POST /oauth/token"
    assert "wrong-secret-value" not in str(info.value)


def test_wrong_password_raises_invalid_grant(fin: finapi.FinAPI, audit) -> None:
    """A wrong user password is an InvalidGrantError (an AuthenticationError)."""
    new = fin.users.create()

    with audit.raises(finapi.AuthenticationError) as info:
        fin.user(new.id, "not-the-password").token()

    assert info.value.code == "invalid_grant"
    assert isinstance(info.value, finapi.InvalidGrantError)


def test_not_found_carries_the_callers_request_id(fin: finapi.FinAPI, audit) -> None:
    """A caller's X-Request-Id is sent and comes back on the error."""
    from finapi_access.api.accounts import get_account

    new = fin.users.create()
    session = fin.user(new.id, new.password)

    with audit.raises(finapi.NotFoundError) as info:
        get_account.sync(999, client=session.access, x_request_id="caller-id-1")

    assert info.value.request_id == "caller-id-1"
    assert info.value.endpoint == "GET /api/v1/accounts/999"
    assert info.value.code


def test_webform_not_found_has_a_generated_request_id(
    fin: finapi.FinAPI, audit
) -> None:
    """Without a caller's id the facade sends its own, and it is on the error."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)

    with audit.raises(finapi.NotFoundError) as info:
        session.webforms.get("no-such-form")

    assert info.value.request_id is not None
    assert len(info.value.request_id) == 32
    assert info.value.code == "NOT_FOUND"


def test_idempotent_get_is_retried_until_the_attempts_run_out(
    fin: finapi.FinAPI, emu: Emulator, audit
) -> None:
    """A GET answered 503 every time is tried 4 times, then raises ServerError."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)
    session.token()
    emu.faults.set("/api/v1/accounts", error_rate=1.0, statuses=(503,))

    with audit.raises(finapi.ServerError) as info:
        list(session.accounts())

    assert info.value.status == 503
    assert emu.stats.faults_injected == FAST_RETRY.attempts


def test_post_that_creates_is_never_retried(
    fin: finapi.FinAPI, emu: Emulator, audit
) -> None:
    """POST /users answered 503 is sent once."""
    fin.client_token()
    emu.faults.set("/api/v1/users", error_rate=1.0, statuses=(503,))

    with audit.raises(finapi.ServerError):
        fin.users.create()

    assert emu.stats.faults_injected == 1


def test_flaky_gets_succeed_through_retries(emu: Emulator) -> None:
    """With 30 % of GETs failing (502/503/504), 30 calls all succeed."""
    policy = finapi.RetryPolicy(
        attempts=8, wait_initial=0.001, wait_max=0.002, wait_jitter=0
    )
    with make_fin(emu, retry=policy) as fin:
        new = fin.users.create()
        session = fin.user(new.id, new.password)
        session.token()
        emu.faults.set("/api/v1/accounts", error_rate=0.3, statuses=(502, 503, 504))
        results = [list(session.accounts()) for _ in range(30)]

    assert results == [[]] * 30
    assert emu.stats.faults_injected > 0


def test_dropped_connections_become_finapi_connection_errors(
    fin: finapi.FinAPI, emu: Emulator, audit
) -> None:
    """A connection dropped on every attempt ends in FinAPIConnectionError, chained."""
    new = fin.users.create()
    session = fin.user(new.id, new.password)
    session.token()
    emu.faults.set("/api/v1/accounts", drop_rate=1.0)

    with audit.raises(finapi.FinAPIConnectionError) as info:
        list(session.accounts())

    assert info.value.retryable
    assert isinstance(info.value.__cause__, httpx.TransportError)
    assert info.value.endpoint == "GET /api/v1/accounts"
    assert emu.stats.faults_injected == FAST_RETRY.attempts


def test_retry_after_is_honoured_and_read_in_both_forms() -> None:
    """Retry-After as seconds or as a date; the wait is capped."""
    seconds = httpx.Response(503, headers={"Retry-After": "7"})
    date = httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    junk = httpx.Response(503, headers={"Retry-After": "soon"})

    assert retry_after(seconds, 60) == 7.0
    assert retry_after(seconds, 5) == 5.0
    assert retry_after(date, 60) == 0.0  # in the past
    assert retry_after(junk, 60) is None


def test_retry_after_answer_is_retried_after_the_wait_it_names() -> None:
    """A 503 with Retry-After: 1 is retried 1 s later, not after the backoff.

    The answers come from a stand-in for finAPI. The policy's own backoff would
    wait 5 s, so a gap of 1 s (and not 5) shows that the header set the wait.
    """
    answers = [httpx.Response(503, headers={"Retry-After": "1"}), httpx.Response(200)]
    sent: list[httpx.Request] = []
    times: list[float] = []

    def server(request: httpx.Request) -> httpx.Response:
        times.append(time.monotonic())
        sent.append(request)
        return answers[len(sent) - 1]

    slow_backoff = finapi.RetryPolicy(
        attempts=2, wait_initial=5.0, wait_max=5.0, wait_jitter=0.0, timeout=30.0
    )
    transport = RetryingTransport(httpx.MockTransport(server), slow_backoff)
    with httpx.Client(transport=transport) as client:
        response = client.get("http://finapi.test/api/v1/accounts")
    gap = times[1] - times[0]

    assert response.status_code == 200
    assert len(sent) == 2
    assert sent[0].headers["X-Request-Id"] == sent[1].headers["X-Request-Id"]
    assert 1.0 <= gap < 2.5, gap


def test_tls_failures_are_not_retried() -> None:
    """A connect error caused by a TLS failure is given up at once."""
    import ssl

    calls: list[int] = []

    def server(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        try:
            reason = "certificate verify failed"
            raise ssl.SSLError(reason)
        except ssl.SSLError as exc:
            message = "tls handshake failed"
            raise httpx.ConnectError(message, request=request) from exc

    transport = RetryingTransport(httpx.MockTransport(server), FAST_RETRY)
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(finapi.FinAPIConnectionError) as info,
    ):
        client.get("https://finapi.test/")

    assert calls == [1]
    assert not info.value.retryable


def _finapi_double(sent: dict[str, str]) -> httpx.MockTransport:
    """A stand-in for finAPI that grants tokens and answers 202 everywhere else.

    202 is no status the specs document for these operations, so the generated
    clients refuse it; the body must not reach the error message.
    """

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(
                200,
                json={
                    "access_token": "double-access-token-1",
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "refresh_token": "double-refresh-token-1",
                    "scope": "all",
                },
            )
        sent[request.url.path] = request.headers["X-Request-Id"]
        return httpx.Response(202, json={"note": "body-not-for-messages"})

    return httpx.MockTransport(answer)


def test_unexpected_answers_carry_the_request_id(audit) -> None:
    """An answer the helpers cannot use is a FinAPIError with that request's id."""
    sent: dict[str, str] = {}
    with finapi.FinAPI(
        DEMO_CLIENT_ID,
        "double-client-secret",
        access_url="http://access.finapi.test",
        webform_url="http://webform.finapi.test",
        transport=_finapi_double(sent),
        retry=FAST_RETRY,
    ) as fin:
        session = fin.user("someone", "some-password-1")
        with audit.raises(finapi.FinAPIError) as web_form:
            session.webforms.get("wf-1")
        with audit.raises(finapi.FinAPIError) as accounts:
            list(session.accounts())
        with audit.raises(finapi.FinAPIError) as task:
            session.webforms.get_task("task-1")

    assert web_form.value.request_id == sent["/api/webForms/wf-1"]
    assert accounts.value.request_id == sent["/api/v1/accounts"]
    assert task.value.request_id == sent["/api/tasks/task-1"]
    assert web_form.value.status == 202
    assert "unexpected answer HTTP 202" in str(web_form.value)
    for error in (web_form.value, accounts.value, task.value):
        assert "body-not-for-messages" not in str(error)


async def test_unexpected_answers_async_carry_the_request_id(audit) -> None:
    """The async helpers name the request id of an unusable answer too."""
    sent: dict[str, str] = {}
    async with finapi.AsyncFinAPI(
        DEMO_CLIENT_ID,
        "double-client-secret",
        access_url="http://access.finapi.test",
        webform_url="http://webform.finapi.test",
        transport=_finapi_double(sent),
        retry=FAST_RETRY,
    ) as fin:
        session = fin.user("someone", "some-password-1")
        with audit.raises(finapi.FinAPIError) as web_form:
            await session.webforms.wait("wf-2", timeout=1, interval=0.01)
        with audit.raises(finapi.FinAPIError) as pages:
            [p async for p in session.transaction_pages()]

    assert web_form.value.request_id == sent["/api/webForms/wf-2"]
    assert pages.value.request_id == sent["/api/v1/transactions"]
    assert "body-not-for-messages" not in str(pages.value)
