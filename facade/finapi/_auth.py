"""Tokens for each principal, and the httpx.Auth that puts them on requests.

A token manager owns one principal (the client, or one user of it): it hands
out the current token, replaces it a leeway before it expires, and renews it
after a 401. Renewal is single flight: an in-process lock lets one thread (or
task) through, and the token store's lock does the same across the processes
that share the store; whoever comes second finds the new token in the store and
uses it. The token requests themselves are built by the generated
``finapi_access.api.authorization`` modules, so their paths follow the spec.

:class:`FinAPIAuth` is the :class:`httpx.Auth` given to the httpx clients under
the generated clients: it sets the bearer header, retries a 401 exactly once
with a renewed token, and raises a typed :class:`~finapi.FinAPIError` for every
answer that is not a success, so generated operations called through the
facade only ever return success models.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

import httpx

from finapi._errors import (
    AuthenticationError,
    FinAPIError,
    InvalidRequestError,
    ReauthenticationRequired,
    error_from_answer,
)
from finapi._log import kv, logger
from finapi._retry import REQUEST_ID, endpoint_of, new_request_id, request_id_for
from finapi._tokens import AsyncTokenStore, Token, TokenStore

if TYPE_CHECKING:
    import asyncio

__all__ = ["FinAPIAuth"]

CLIENT_CREDENTIALS = "client_credentials"
PASSWORD = "password"  # noqa: S105  (a grant type's name)
REFRESH_TOKEN = "refresh_token"  # noqa: S105  (a grant type's name)


def token_request(
    client_id: str,
    client_secret: str,
    grant_type: str,
    *,
    username: str | None = None,
    password: str | None = None,
    refresh_token: str | None = None,
) -> dict[str, Any]:
    """Build the httpx request arguments of a token request from the generated module.

    Args:
        client_id: The client id.
        client_secret: The client secret.
        grant_type: ``client_credentials``, ``password`` or ``refresh_token``.
        username: The user id (password grant).
        password: The user's password (password grant).
        refresh_token: The refresh token (refresh grant).

    Returns:
        Keyword arguments for :meth:`httpx.Client.request` (method, url, data,
        headers with a fresh ``X-Request-Id``).
    """
    from finapi_access.api.authorization import get_token  # noqa: PLC0415
    from finapi_access.models.get_token_params import GetTokenParams  # noqa: PLC0415
    from finapi_access.models.get_token_params_grant_type import (  # noqa: PLC0415
        GetTokenParamsGrantType,
    )
    from finapi_access.types import UNSET  # noqa: PLC0415

    body = GetTokenParams(
        client_id=client_id,
        client_secret=client_secret,
        grant_type=GetTokenParamsGrantType(grant_type),
        username=UNSET if username is None else username,
        password=UNSET if password is None else password,
        refresh_token=UNSET if refresh_token is None else refresh_token,
    )
    return get_token._get_kwargs(body=body, x_request_id=new_request_id())


def revoke_request(token: str, hint: str) -> dict[str, Any]:
    """Build the httpx request arguments of a revocation from the generated module.

    Args:
        token: The access or refresh token to revoke.
        hint: ``access_token`` or ``refresh_token``.

    Returns:
        Keyword arguments for :meth:`httpx.Client.request`.
    """
    from finapi_access.api.authorization import revoke_token  # noqa: PLC0415
    from finapi_access.models.revoke_token_token_type_hint import (  # noqa: PLC0415
        RevokeTokenTokenTypeHint,
    )

    return revoke_token._get_kwargs(
        token=token,
        token_type_hint=RevokeTokenTokenTypeHint(hint),
        x_request_id=new_request_id(),
    )


def token_paths() -> frozenset[str]:
    """Return the paths of the token and revoke endpoints, per the spec.

    Returns:
        The paths whose bodies are never logged.
    """
    paths = {str(token_request("-", "-", CLIENT_CREDENTIALS)["url"])}
    paths.add(str(revoke_request("-", "access_token")["url"]))
    return frozenset(httpx.URL(path).path for path in paths)


def _read_token(response: httpx.Response, requested_at: float, leeway: float) -> Token:
    endpoint = endpoint_of(response.request)
    request_id = response.request.headers.get(REQUEST_ID)
    if response.status_code != 200:
        raise error_from_answer(
            response.status_code,
            response.content,
            request_id=request_id,
            endpoint=endpoint,
            reason=response.reason_phrase,
        )
    try:
        body = response.json()
        if not isinstance(body, dict):
            msg = "the token endpoint answered with something other than an object"
            raise TypeError(msg)
        return Token.from_response(body, requested_at=requested_at, leeway=leeway)
    except (ValueError, TypeError) as exc:
        msg = f"unusable token answer: {exc}"
        raise FinAPIError(
            msg, status=200, request_id=request_id, endpoint=endpoint
        ) from None


class _Principal:
    """Who a manager gets tokens for, and how."""

    def __init__(
        self,
        key: str,
        client_id: str,
        client_secret: str,
        *,
        user_id: str | None = None,
        password: str | None = None,
    ) -> None:
        self.key = key
        self.client_id = client_id
        self._client_secret = client_secret
        self.user_id = user_id
        self._password = password

    @property
    def has_password(self) -> bool:
        return self._password is not None

    def set_password(self, password: str | None) -> None:
        self._password = password

    def first_grant(self) -> dict[str, Any]:
        if self.user_id is None:
            return token_request(
                self.client_id, self._client_secret, CLIENT_CREDENTIALS
            )
        if self._password is None:
            msg = (
                f"user {self.user_id!r} has no valid token and no password is known; "
                "open the session again with the user's password"
            )
            raise ReauthenticationRequired(msg, code="reauthentication_required")
        return token_request(
            self.client_id,
            self._client_secret,
            PASSWORD,
            username=self.user_id,
            password=self._password,
        )

    def refresh_grant(self, basis: Token | None) -> dict[str, Any] | None:
        if self.user_id is None or basis is None or not basis.refresh_token:
            return None
        return token_request(
            self.client_id,
            self._client_secret,
            REFRESH_TOKEN,
            refresh_token=basis.refresh_token,
        )

    def __repr__(self) -> str:
        return f"<principal {self.key}>"


def _log_token(principal: _Principal, grant: dict[str, Any], reason: str) -> None:
    data = grant.get("data") or {}
    logger.info(
        "token %s",
        kv(
            principal=principal.key,
            grant=data.get("grant_type"),
            reason=reason,
            request_id=grant["headers"].get(REQUEST_ID),
        ),
    )


def _refresh_refused(exc: FinAPIError) -> bool:
    return isinstance(exc, (AuthenticationError, InvalidRequestError))


class TokenManager:
    """Current token of one principal, for sync facades.

    Args:
        principal: Whose tokens.
        http: The httpx client that talks to the token endpoint (no auth).
        store: Where tokens are kept.
        leeway: Seconds before expiry at which a token is replaced.
    """

    def __init__(
        self,
        principal: _Principal,
        http: httpx.Client,
        store: TokenStore,
        leeway: float,
    ) -> None:
        self.principal = principal
        self._http = http
        self._store = store
        self._leeway = leeway
        self._cached: Token | None = None
        self._lock = threading.Lock()

    def current(self) -> Token:
        """Return a token that may be sent now, renewing it first if needed.

        Returns:
            The token.
        """
        token = self._cached
        if token is not None and time.monotonic() < token.refresh_at:
            return token
        return self._renew(token, "expired" if token is not None else "missing")

    def renew(self, rejected: Token) -> Token:
        """Replace a token that finAPI refused (401), unless someone already did.

        Args:
            rejected: The refused token.

        Returns:
            A different, fresh token.
        """
        return self._renew(rejected, "rejected")

    def peek(self) -> Token | None:
        """Return the token at hand (cached or stored) without renewing it.

        Returns:
            The token, or None.
        """
        return self._cached or self._store.get(self.principal.key)

    def forget(self) -> None:
        """Drop the token from this manager and from the store."""
        with self._lock:
            self._cached = None
            self._store.delete(self.principal.key)

    def _renew(self, seen: Token | None, reason: str) -> Token:
        with self._lock:
            token = self._cached
            if token is not None and token is not seen and token.is_fresh():
                return token
            key = self.principal.key
            with self._store.lock(key):
                stored = self._store.get(key)
                if (
                    stored is not None
                    and stored.is_fresh()
                    and (seen is None or stored.access_token != seen.access_token)
                ):
                    self._cached = stored
                    return stored
                token = self._obtain(stored or seen, reason)
                self._store.set(key, token)
                self._cached = token
                return token

    def _obtain(self, basis: Token | None, reason: str) -> Token:
        refresh = self.principal.refresh_grant(basis)
        if refresh is not None:
            try:
                return self._send(refresh, reason)
            except FinAPIError as exc:
                if not _refresh_refused(exc):
                    raise
                logger.info(
                    "token %s",
                    kv(
                        principal=self.principal.key,
                        event="refresh_token_refused",
                        fallback="password" if self.principal.has_password else None,
                        request_id=exc.request_id,
                    ),
                )
        return self._send(self.principal.first_grant(), reason)

    def _send(self, grant: dict[str, Any], reason: str) -> Token:
        _log_token(self.principal, grant, reason)
        requested_at = time.monotonic()
        response = self._http.request(**grant)
        return _read_token(response, requested_at, self._leeway)

    def __repr__(self) -> str:
        return f"TokenManager({self.principal.key!r})"


class AsyncTokenManager:
    """Current token of one principal, for async facades.

    Args:
        principal: Whose tokens.
        http: The httpx client that talks to the token endpoint (no auth).
        store: Where tokens are kept.
        leeway: Seconds before expiry at which a token is replaced.
    """

    def __init__(
        self,
        principal: _Principal,
        http: httpx.AsyncClient,
        store: AsyncTokenStore,
        leeway: float,
    ) -> None:
        self.principal = principal
        self._http = http
        self._store = store
        self._leeway = leeway
        self._cached: Token | None = None
        self._lock_obj: asyncio.Lock | None = None

    @property
    def _lock(self) -> asyncio.Lock:
        if self._lock_obj is None:
            import asyncio  # noqa: PLC0415  (kept out of `import finapi`)

            self._lock_obj = asyncio.Lock()
        return self._lock_obj

    async def current(self) -> Token:
        """Return a token that may be sent now, renewing it first if needed.

        Returns:
            The token.
        """
        token = self._cached
        if token is not None and time.monotonic() < token.refresh_at:
            return token
        return await self._renew(token, "expired" if token is not None else "missing")

    async def renew(self, rejected: Token) -> Token:
        """Replace a token that finAPI refused (401), unless someone already did.

        Args:
            rejected: The refused token.

        Returns:
            A different, fresh token.
        """
        return await self._renew(rejected, "rejected")

    async def peek(self) -> Token | None:
        """Return the token at hand (cached or stored) without renewing it.

        Returns:
            The token, or None.
        """
        return self._cached or await self._store.get(self.principal.key)

    async def forget(self) -> None:
        """Drop the token from this manager and from the store."""
        async with self._lock:
            self._cached = None
            await self._store.delete(self.principal.key)

    async def _renew(self, seen: Token | None, reason: str) -> Token:
        async with self._lock:
            token = self._cached
            if token is not None and token is not seen and token.is_fresh():
                return token
            key = self.principal.key
            async with self._store.lock(key):
                stored = await self._store.get(key)
                if (
                    stored is not None
                    and stored.is_fresh()
                    and (seen is None or stored.access_token != seen.access_token)
                ):
                    self._cached = stored
                    return stored
                token = await self._obtain(stored or seen, reason)
                await self._store.set(key, token)
                self._cached = token
                return token

    async def _obtain(self, basis: Token | None, reason: str) -> Token:
        refresh = self.principal.refresh_grant(basis)
        if refresh is not None:
            try:
                return await self._send(refresh, reason)
            except FinAPIError as exc:
                if not _refresh_refused(exc):
                    raise
                logger.info(
                    "token %s",
                    kv(
                        principal=self.principal.key,
                        event="refresh_token_refused",
                        fallback="password" if self.principal.has_password else None,
                        request_id=exc.request_id,
                    ),
                )
        return await self._send(self.principal.first_grant(), reason)

    async def _send(self, grant: dict[str, Any], reason: str) -> Token:
        _log_token(self.principal, grant, reason)
        requested_at = time.monotonic()
        response = await self._http.request(**grant)
        return _read_token(response, requested_at, self._leeway)

    def __repr__(self) -> str:
        return f"AsyncTokenManager({self.principal.key!r})"


def _error(response: httpx.Response) -> FinAPIError:
    request = response.request
    return error_from_answer(
        response.status_code,
        response.content,
        request_id=request.headers.get(REQUEST_ID),
        endpoint=endpoint_of(request),
        reason=response.reason_phrase,
    )


def _log_rejected(request: httpx.Request, principal: _Principal) -> None:
    logger.info(
        "token %s",
        kv(
            principal=principal.key,
            event="rejected_401",
            action="renew_and_retry_once",
            request_id=request.headers.get(REQUEST_ID),
        ),
    )


class _NeededBy:
    """Put the id and endpoint of the request that needed the token on its errors.

    For errors that arise before any request goes out (no password known, a
    shared store's lock failing); token endpoint errors keep their own. A class,
    not a generator, since it wraps every request's token lookup.
    """

    __slots__ = ("_request",)

    def __init__(self, request: httpx.Request) -> None:
        self._request = request

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: object,
    ) -> None:
        if isinstance(exc, FinAPIError) and exc.request_id is None:
            exc.request_id = self._request.headers.get(REQUEST_ID)
            exc.endpoint = endpoint_of(self._request)


class FinAPIAuth(httpx.Auth):
    """Bearer tokens of one principal on every request, renewed as needed.

    Give it to an :class:`httpx.Client` (sync facades) or
    :class:`httpx.AsyncClient` (async facades). Each request gets the current
    token; a 401 is retried once with a renewed token and a second 401 raises
    :class:`~finapi.AuthenticationError`; any other answer of 400 or above raises
    the matching :class:`~finapi.FinAPIError`.

    Args:
        tokens: The principal's token manager (sync or async).
    """

    def __init__(self, tokens: TokenManager | AsyncTokenManager) -> None:
        self._tokens = tokens

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Authenticate a request of a sync client.

        Args:
            request: The request.

        Yields:
            The request, and once more after a 401.

        Raises:
            FinAPIError: For any answer of 400 or above (after the one retry).
            TypeError: When used with the wrong kind of client.
        """
        tokens = self._tokens
        if not isinstance(tokens, TokenManager):
            msg = "this FinAPIAuth belongs to an async facade; use it with httpx.AsyncClient"
            raise TypeError(msg)
        request_id_for(request)
        with _NeededBy(request):
            token = tokens.current()
        request.headers["Authorization"] = "Bearer " + token.access_token
        response = yield request
        if response.status_code == 401:
            response.read()
            _log_rejected(request, tokens.principal)
            with _NeededBy(request):
                token = tokens.renew(token)
            request.headers["Authorization"] = "Bearer " + token.access_token
            response = yield request
        if response.status_code >= 400:
            response.read()
            raise _error(response)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Authenticate a request of an async client.

        Args:
            request: The request.

        Yields:
            The request, and once more after a 401.

        Raises:
            FinAPIError: For any answer of 400 or above (after the one retry).
            TypeError: When used with the wrong kind of client.
        """
        tokens = self._tokens
        if not isinstance(tokens, AsyncTokenManager):
            msg = "this FinAPIAuth belongs to a sync facade; use it with httpx.Client"
            raise TypeError(msg)
        request_id_for(request)
        with _NeededBy(request):
            token = await tokens.current()
        request.headers["Authorization"] = "Bearer " + token.access_token
        response = yield request
        if response.status_code == 401:
            await response.aread()
            _log_rejected(request, tokens.principal)
            with _NeededBy(request):
                token = await tokens.renew(token)
            request.headers["Authorization"] = "Bearer " + token.access_token
            response = yield request
        if response.status_code >= 400:
            await response.aread()
            raise _error(response)

    def __repr__(self) -> str:
        return f"FinAPIAuth({self._tokens.principal.key!r})"
