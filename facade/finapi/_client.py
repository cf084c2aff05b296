"""The facade: ``FinAPI`` (sync) and ``AsyncFinAPI`` (async), user sessions, users.

Layout of one facade::

    FinAPI
    ├── token httpx client ──────────────── POST token endpoint (no auth)
    ├── access (generated Access client) ── client token (FinAPIAuth)
    ├── users.create / users.delete
    └── user(user_id, password) -> UserSession
        ├── access  (generated Access client)   user token (FinAPIAuth)
        ├── webform (generated Web Form client) user token (FinAPIAuth)
        └── webforms, accounts(), transactions(), ...

Every httpx client of a facade sends through one :class:`RetryingTransport`
(request ids, logging, retries) over one real transport, so connections are
pooled across principals.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from finapi import _paging
from finapi._auth import (
    AsyncTokenManager,
    FinAPIAuth,
    TokenManager,
    _Principal,
    revoke_request,
    token_paths,
)
from finapi._config import (
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_LEEWAY,
    Environment,
    EnvironmentName,
    RetryPolicy,
    longest_token_request,
)
from finapi._errors import FinAPIError, ReauthenticationRequired
from finapi._log import guard_httpx_logger, kv, logger
from finapi._retry import (
    AsyncClientTransport,
    AsyncRetryingTransport,
    ClientTransport,
    RetryingTransport,
    new_request_id,
)
from finapi._tokens import (
    AsyncMemoryTokenStore,
    AsyncTokenStore,
    MemoryTokenStore,
    Token,
    TokenStore,
    client_key,
    user_key,
)
from finapi._webforms import AsyncWebForms, WebForms

if TYPE_CHECKING:
    import finapi_access.client
    import finapi_webform.client
    from finapi_access.models.account import Account
    from finapi_access.models.bank_connection import BankConnection
    from finapi_access.models.pageable_transaction_list import PageableTransactionList
    from finapi_access.models.transaction import Transaction

__all__ = [
    "AsyncFinAPI",
    "AsyncUserSession",
    "AsyncUsers",
    "FinAPI",
    "NewUser",
    "UserSession",
    "Users",
    "generate_password",
    "generate_user_id",
]

#: Stands in the generated clients' ``token`` field: the real token is set per
#: request by FinAPIAuth and never stored on the generated client.
_MANAGED = "managed-by-finapi-auth"
_USER_AGENT = "finapi-facade"
#: finAPI's answer to the password grant of a user who is not verified yet.
_NOT_VERIFIED = "USER_NOT_VERIFIED"

# UserCreateParams in the Access spec: ids of at most 36 characters from
# 0-9 A-Z a-z - _ . + @; passwords of 6 to 128 characters.
_ID_ALPHABET = string.ascii_letters + string.digits
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-_.+@"


def generate_user_id() -> str:
    """Return a new random user id that finAPI accepts.

    Returns:
        ``u`` and 32 random letters and digits (33 characters, about 190 bits).
    """
    return "u" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(32))


def generate_password(length: int = 32) -> str:
    """Return a strong random password that finAPI accepts.

    Args:
        length: Number of characters (6 to 128).

    Returns:
        Random letters, digits and ``-_.+@``, with at least one lower case
        letter, one upper case letter and one digit.

    Raises:
        ValueError: For a length finAPI does not accept.
    """
    if not 6 <= length <= 128:
        msg = f"finAPI passwords are 6 to 128 characters long, not {length}"
        raise ValueError(msg)
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


class NewUser:
    """A user just created: its id and password (the repr hides the password).

    Attributes:
        id: The user id.
        password: The password; keep it to open sessions later.
    """

    __slots__ = ("id", "password")

    def __init__(self, id: str, password: str) -> None:
        self.id: str = id
        self.password: str = password

    def __repr__(self) -> str:
        return f"NewUser(id={self.id!r}, password='***')"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NewUser):
            return NotImplemented
        return (self.id, self.password) == (other.id, other.password)

    def __hash__(self) -> int:
        return hash((self.id, self.password))


def _check_credentials(client_id: object, client_secret: object) -> None:
    for name, value in (("client_id", client_id), ("client_secret", client_secret)):
        if not isinstance(value, str) or not value:
            msg = f"{name} must be a non-empty string"
            raise ValueError(msg)


def _user_body(
    user_id: str | None,
    password: str | None,
    email: str | None,
    phone: str | None,
    is_auto_update_enabled: bool | None,
) -> tuple[Any, NewUser]:
    from finapi_access.models.user_create_params import UserCreateParams  # noqa: PLC0415
    from finapi_access.types import UNSET, Unset  # noqa: PLC0415

    user_id = generate_user_id() if user_id is None else user_id
    password = generate_password() if password is None else password
    if not 1 <= len(user_id) <= 36 or any(
        c not in _ID_ALPHABET + "-_.+@" for c in user_id
    ):
        msg = "user ids are 1 to 36 characters of 0-9, A-Z, a-z and - _ . + @"
        raise ValueError(msg)
    if not 6 <= len(password) <= 128:
        msg = "finAPI passwords are 6 to 128 characters long"
        raise ValueError(msg)
    body = UserCreateParams(
        id=user_id,
        password=password,
        email=UNSET if email is None else email,
        phone=UNSET if phone is None else phone,
        is_auto_update_enabled=(
            UNSET if is_auto_update_enabled is None else is_auto_update_enabled
        ),
    )
    # A newer spec may require a field the caller left out; say which.
    missing = sorted(k for k, v in body.to_dict().items() if isinstance(v, Unset))
    if missing:
        msg = (
            "the Access spec this client was built from requires "
            f"{', '.join(missing)} to create a user"
        )
        raise ValueError(msg)
    return body, NewUser(user_id, password)


def _log_delete_fallback(user_id: str, exc: FinAPIError) -> None:
    logger.info(
        "user %s",
        kv(
            event="delete_with_client_token",
            user_id=user_id,
            reason=exc.code or type(exc).__name__,
            request_id=exc.request_id,
        ),
    )


def _log_revoke_failed(exc: FinAPIError) -> None:
    logger.warning(
        "revoke %s",
        kv(result="failed", error=type(exc).__name__, request_id=exc.request_id),
    )


def _access_client(base_url: str, http: Any, auth: FinAPIAuth, sync: bool) -> Any:
    from finapi_access.client import AuthenticatedClient  # noqa: PLC0415

    client = AuthenticatedClient(
        base_url=base_url,
        token=_MANAGED,
        raise_on_unexpected_status=True,
        httpx_args={"auth": auth},
    )
    return (
        client.set_httpx_client(http) if sync else client.set_async_httpx_client(http)
    )


def _webform_client(base_url: str, http: Any, auth: FinAPIAuth, sync: bool) -> Any:
    from finapi_webform.client import AuthenticatedClient  # noqa: PLC0415

    client = AuthenticatedClient(
        base_url=base_url,
        token=_MANAGED,
        raise_on_unexpected_status=True,
        httpx_args={"auth": auth},
    )
    return (
        client.set_httpx_client(http) if sync else client.set_async_httpx_client(http)
    )


class _Settings:
    """What both facades resolve from their constructor arguments."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        environment: Environment | EnvironmentName | None,
        access_url: str | None,
        webform_url: str | None,
        timeout: httpx.Timeout | float | None,
        token_leeway: float,
        retry: RetryPolicy | None,
    ) -> None:
        _check_credentials(client_id, client_secret)
        if environment is None and access_url is None and webform_url is None:
            environment = "sandbox"
        self.environment = Environment.resolve(environment, access_url, webform_url)
        self.timeout = (
            httpx.Timeout(timeout) if timeout is not None else DEFAULT_TIMEOUT
        )
        if token_leeway < 0:
            msg = "token_leeway must not be negative"
            raise ValueError(msg)
        self.leeway = float(token_leeway)
        self.retry = retry if retry is not None else RetryPolicy()
        self.quiet = token_paths()
        guard_httpx_logger()

    def check_store(self, store: object) -> None:
        """Warn when a shared store's lock may expire during a token request."""
        limit = getattr(store, "lock_timeout", None)
        longest = longest_token_request(self.retry, self.timeout)
        if isinstance(limit, (int, float)) and limit < longest:
            logger.warning(
                "token %s",
                kv(
                    event="store_lock_timeout_too_short",
                    lock_timeout=float(limit),
                    longest_token_request=longest,
                ),
            )

    def client_kwargs(self, base_url: str) -> dict[str, Any]:
        return {
            "base_url": base_url,
            "timeout": self.timeout,
            "trust_env": False,
            "headers": {"User-Agent": _USER_AGENT},
        }


class FinAPI:
    """finAPI for sync code: the client's token workflow and its users' sessions.

    Args:
        client_id: The finAPI client id.
        client_secret: The finAPI client secret (never logged or shown).
        environment: ``"sandbox"`` (default), ``"live"`` or an
            :class:`Environment`.
        access_url: Explicit Access base URL (with ``webform_url``, instead of
            ``environment``).
        webform_url: Explicit Web Form 2.0 base URL.
        timeout: httpx timeout for every request.
        token_store: Where tokens live; a :class:`MemoryTokenStore` by default, a
            :class:`RedisTokenStore` to share them between processes.
        token_leeway: Seconds before expiry at which tokens are replaced (at most
            a quarter of a token's lifetime).
        retry: Retry policy for idempotent requests.
        http_client: An httpx client to send through (its proxies, TLS and limits
            apply; the caller closes it).
        transport: An httpx transport to send through (e.g. the emulator's).
        revoke_on_close: Revoke this facade's tokens on close. Default: yes with
            the default in-memory store, no with a store given (tokens in a shared
            store belong to every process using it).

    Example::

        with FinAPI(client_id, client_secret) as fin:
            new = fin.users.create()
            session = fin.user(new.id, new.password)
            form = session.webforms.bank_connection_import()
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        environment: Environment | EnvironmentName | None = None,
        access_url: str | None = None,
        webform_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        token_store: TokenStore | None = None,
        token_leeway: float = DEFAULT_TOKEN_LEEWAY,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        revoke_on_close: bool | None = None,
    ) -> None:
        self._settings = s = _Settings(
            client_id=client_id,
            client_secret=client_secret,
            environment=environment,
            access_url=access_url,
            webform_url=webform_url,
            timeout=timeout,
            token_leeway=token_leeway,
            retry=retry,
        )
        self.environment: Environment = s.environment
        self.client_id: str = client_id
        self._client_secret = client_secret
        if http_client is not None and transport is not None:
            msg = "pass http_client or transport, not both"
            raise ValueError(msg)
        self._own_http: httpx.Client | None = None
        if transport is not None:
            inner: httpx.BaseTransport = transport
        elif http_client is not None:
            inner = ClientTransport(http_client)
        else:
            self._own_http = httpx.Client(timeout=s.timeout)
            inner = ClientTransport(self._own_http)
        self._transport = RetryingTransport(inner, s.retry, quiet_paths=s.quiet)
        token_transport = RetryingTransport(inner, s.retry, retry_posts=True)
        self._token_http = httpx.Client(
            transport=token_transport, **s.client_kwargs(s.environment.access_url)
        )
        self._store: TokenStore = (
            token_store if token_store is not None else MemoryTokenStore()
        )
        s.check_store(self._store)
        self._revoke_on_close = (
            token_store is None if revoke_on_close is None else revoke_on_close
        )
        self._client_tokens = TokenManager(
            _Principal(client_key(client_id), client_id, client_secret),
            self._token_http,
            self._store,
            s.leeway,
        )
        self.auth: FinAPIAuth = FinAPIAuth(self._client_tokens)
        self._http = self._new_http(s.environment.access_url, self.auth)
        self.access: finapi_access.client.AuthenticatedClient = _access_client(
            s.environment.access_url, self._http, self.auth, sync=True
        )
        self.users: Users = Users(self)
        self._sessions: dict[str, UserSession] = {}
        self._closed = False

    def _new_http(self, base_url: str, auth: FinAPIAuth) -> httpx.Client:
        return httpx.Client(
            auth=auth,
            transport=self._transport,
            **self._settings.client_kwargs(base_url),
        )

    def client_token(self) -> Token:
        """Return the client's current token, fetching or renewing it if needed.

        Returns:
            The token (its repr hides the secret parts).
        """
        return self._client_tokens.current()

    def user(self, user_id: str, password: str | None = None) -> UserSession:
        """Open (or reuse) the session of one user.

        Without a password the session works while the token store holds a
        token for the user that is valid or can be refreshed; after that it
        raises :class:`ReauthenticationRequired`.

        Args:
            user_id: The user id.
            password: The user's password.

        Returns:
            The user's session; the same object for the same user id.
        """
        if not isinstance(user_id, str) or not user_id:
            msg = "user_id must be a non-empty string"
            raise ValueError(msg)
        session = self._sessions.get(user_id)
        if session is None or session.closed:
            session = UserSession(self, user_id, password)
            self._sessions[user_id] = session
        elif password is not None:
            session._tokens.principal.set_password(password)
        return session

    def _revoke(self, token: str, hint: str) -> None:
        try:
            self._http.request(**revoke_request(token, hint))
        except FinAPIError as exc:
            _log_revoke_failed(exc)

    def close(self) -> None:
        """Close every session, revoke tokens (see ``revoke_on_close``), free connections."""
        if self._closed:
            return
        self._closed = True
        for session in list(self._sessions.values()):
            session._close(revoke=self._revoke_on_close)
        self._sessions.clear()
        if self._revoke_on_close:
            token = self._client_tokens.peek()
            if token is not None and token.is_fresh():
                self._revoke(token.access_token, "access_token")
            self._client_tokens.forget()
        self._http.close()
        self._token_http.close()
        if self._own_http is not None:
            self._own_http.close()

    def __enter__(self) -> FinAPI:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"FinAPI(client_id={self.client_id!r}, environment={self.environment.name!r}, "
            f"access_url={self.environment.access_url!r})"
        )


class Users:
    """Create and delete users with the client token; reached as ``fin.users``.

    Args:
        fin: The facade.
    """

    def __init__(self, fin: FinAPI) -> None:
        self._fin = fin

    def create(
        self,
        user_id: str | None = None,
        password: str | None = None,
        *,
        email: str | None = None,
        phone: str | None = None,
        is_auto_update_enabled: bool | None = None,
    ) -> NewUser:
        """Create a user; by default with a generated id and strong password.

        Args:
            user_id: The id to use (default: generated).
            password: The password to use (default: generated).
            email: The user's email address.
            phone: The user's phone number.
            is_auto_update_enabled: Whether finAPI's batch update covers the user.

        Returns:
            The new user's id and password.
        """
        from finapi_access.api.users import create_user  # noqa: PLC0415

        body, new = _user_body(user_id, password, email, phone, is_auto_update_enabled)
        request_id = new_request_id()
        create_user.sync(client=self._fin.access, body=body, x_request_id=request_id)
        logger.info(
            "user %s", kv(event="created", user_id=new.id, request_id=request_id)
        )
        return new

    def delete(self, user_id: str, password: str | None = None) -> None:
        """Delete a user with whichever token finAPI wants for it.

        A verified user deletes itself with its own token (``DELETE /users``):
        from its password (given, or known to an open session), else from a
        token of the user at hand (the session's, or one in the token store). A
        user finAPI refuses the password grant as not verified, or one with
        neither password nor token, goes with the client token
        (``DELETE /users/{userId}``, unverified users only).

        Args:
            user_id: The user id.
            password: The user's password, if known.

        Raises:
            UnprocessableError: ``USER_ALREADY_VERIFIED`` when only the client
                token was left to try and the user is verified.
        """
        fin = self._fin
        session = fin._sessions.get(user_id)
        if password is not None or (session is not None and session._can_login()):
            session = fin.user(user_id, password)
            try:
                session.delete_user()
                return
            except FinAPIError as exc:
                if exc.code != _NOT_VERIFIED:
                    raise
                _log_delete_fallback(user_id, exc)
        elif self._token_at_hand(user_id):
            session = fin.user(user_id)
            try:
                session.delete_user()
                return
            except ReauthenticationRequired as exc:
                _log_delete_fallback(user_id, exc)
        if session is not None:
            session._close(revoke=False)
            fin._sessions.pop(user_id, None)
        self._delete_unverified(user_id)

    def _token_at_hand(self, user_id: str) -> bool:
        session = self._fin._sessions.get(user_id)
        if session is not None and not session.closed:
            return session._tokens.peek() is not None
        return self._fin._store.get(user_key(self._fin.client_id, user_id)) is not None

    def _delete_unverified(self, user_id: str) -> None:
        from finapi_access.api.users import delete_unverified_user  # noqa: PLC0415

        request_id = new_request_id()
        delete_unverified_user.sync(
            user_id, client=self._fin.access, x_request_id=request_id
        )
        logger.info(
            "user %s",
            kv(event="deleted", user_id=user_id, tier="client", request_id=request_id),
        )

    def __repr__(self) -> str:
        return f"Users(client_id={self._fin.client_id!r})"


class UserSession:
    """One user's token workflow and helpers (sync).

    ``access`` and ``webform`` are the generated clients with the user's token
    managed, for any generated operation, e.g.
    ``get_and_search_all_accounts.sync(client=session.access)``.
    """

    def __init__(self, fin: FinAPI, user_id: str, password: str | None) -> None:
        self._fin = fin
        self.user_id: str = user_id
        env = fin.environment
        self._tokens = TokenManager(
            _Principal(
                user_key(fin.client_id, user_id),
                fin.client_id,
                fin._client_secret,
                user_id=user_id,
                password=password,
            ),
            fin._token_http,
            fin._store,
            fin._settings.leeway,
        )
        self.auth: FinAPIAuth = FinAPIAuth(self._tokens)
        self._access_http = fin._new_http(env.access_url, self.auth)
        self._webform_http = fin._new_http(env.webform_url, self.auth)
        self.access: finapi_access.client.AuthenticatedClient = _access_client(
            env.access_url, self._access_http, self.auth, sync=True
        )
        self.webform: finapi_webform.client.AuthenticatedClient = _webform_client(
            env.webform_url, self._webform_http, self.auth, sync=True
        )
        self.webforms: WebForms = WebForms(self.webform)
        self.closed: bool = False

    def _can_login(self) -> bool:
        return self._tokens.principal.has_password

    def token(self) -> Token:
        """Return the user's current token, fetching or renewing it if needed.

        Returns:
            The token.
        """
        return self._tokens.current()

    def bank_connections(self, **filters: Any) -> Iterator[BankConnection]:
        """Iterate the user's bank connections.

        Args:
            **filters: Arguments of the generated ``get_all_bank_connections``.

        Returns:
            An iterator of bank connections.
        """
        return _paging.iter_bank_connections(self.access, **filters)

    def accounts(self, **filters: Any) -> Iterator[Account]:
        """Iterate the user's accounts.

        Args:
            **filters: Arguments of the generated ``get_and_search_all_accounts``.

        Returns:
            An iterator of accounts.
        """
        return _paging.iter_accounts(self.access, **filters)

    def transactions(
        self, *, view: str = "userView", per_page: int = 500, **filters: Any
    ) -> Iterator[Transaction]:
        """Iterate the user's transactions over all pages.

        Args:
            view: ``userView`` or ``bankView``.
            per_page: Page size (1 to 500).
            **filters: Arguments of the generated ``get_and_search_all_transactions``.

        Returns:
            An iterator of transactions.
        """
        return _paging.iter_transactions(
            self.access, view=view, per_page=per_page, **filters
        )

    def transaction_pages(
        self, *, view: str = "userView", per_page: int = 500, **filters: Any
    ) -> Iterator[PageableTransactionList]:
        """Iterate the pages of the user's transactions.

        Args:
            view: ``userView`` or ``bankView``.
            per_page: Page size (1 to 500).
            **filters: Arguments of the generated ``get_and_search_all_transactions``.

        Returns:
            An iterator of pages.
        """
        return _paging.iter_transaction_pages(
            self.access, view=view, per_page=per_page, **filters
        )

    def delete_user(self) -> None:
        """Delete this user with its own token, then close the session."""
        from finapi_access.api.users import delete_authorized_user  # noqa: PLC0415

        request_id = new_request_id()
        delete_authorized_user.sync(client=self.access, x_request_id=request_id)
        logger.info(
            "user %s",
            kv(
                event="deleted",
                user_id=self.user_id,
                tier="user",
                request_id=request_id,
            ),
        )
        self._close(revoke=False)
        self._fin._sessions.pop(self.user_id, None)

    def _close(self, *, revoke: bool) -> None:
        if self.closed:
            return
        self.closed = True
        token = self._tokens.peek()
        if revoke and token is not None:
            if token.refresh_token:
                self._fin._revoke(token.refresh_token, "refresh_token")
            elif token.is_fresh():
                self._fin._revoke(token.access_token, "access_token")
        if revoke or token is None or not token.is_fresh():
            self._tokens.forget()
        self._access_http.close()
        self._webform_http.close()

    def close(self) -> None:
        """Revoke the user's tokens (per the facade's ``revoke_on_close``) and close."""
        self._close(revoke=self._fin._revoke_on_close)
        self._fin._sessions.pop(self.user_id, None)

    def __enter__(self) -> UserSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"UserSession(user_id={self.user_id!r}, closed={self.closed})"


class AsyncFinAPI:
    """finAPI for async code; the same methods as :class:`FinAPI`, awaited.

    Args:
        client_id: The finAPI client id.
        client_secret: The finAPI client secret (never logged or shown).
        environment: ``"sandbox"`` (default), ``"live"`` or an
            :class:`Environment`.
        access_url: Explicit Access base URL (with ``webform_url``).
        webform_url: Explicit Web Form 2.0 base URL.
        timeout: httpx timeout for every request.
        token_store: Where tokens live; an :class:`AsyncMemoryTokenStore` by
            default, an :class:`AsyncRedisTokenStore` to share them.
        token_leeway: Seconds before expiry at which tokens are replaced.
        retry: Retry policy for idempotent requests.
        http_client: An httpx async client to send through (the caller closes it).
        transport: An httpx async transport to send through.
        revoke_on_close: Revoke this facade's tokens on close (default: only with
            the default in-memory store).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        environment: Environment | EnvironmentName | None = None,
        access_url: str | None = None,
        webform_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        token_store: AsyncTokenStore | None = None,
        token_leeway: float = DEFAULT_TOKEN_LEEWAY,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        revoke_on_close: bool | None = None,
    ) -> None:
        self._settings = s = _Settings(
            client_id=client_id,
            client_secret=client_secret,
            environment=environment,
            access_url=access_url,
            webform_url=webform_url,
            timeout=timeout,
            token_leeway=token_leeway,
            retry=retry,
        )
        self.environment: Environment = s.environment
        self.client_id: str = client_id
        self._client_secret = client_secret
        if http_client is not None and transport is not None:
            msg = "pass http_client or transport, not both"
            raise ValueError(msg)
        self._own_http: httpx.AsyncClient | None = None
        if transport is not None:
            inner: httpx.AsyncBaseTransport = transport
        elif http_client is not None:
            inner = AsyncClientTransport(http_client)
        else:
            self._own_http = httpx.AsyncClient(timeout=s.timeout)
            inner = AsyncClientTransport(self._own_http)
        self._transport = AsyncRetryingTransport(inner, s.retry, quiet_paths=s.quiet)
        token_transport = AsyncRetryingTransport(inner, s.retry, retry_posts=True)
        self._token_http = httpx.AsyncClient(
            transport=token_transport, **s.client_kwargs(s.environment.access_url)
        )
        self._store: AsyncTokenStore = (
            token_store if token_store is not None else AsyncMemoryTokenStore()
        )
        s.check_store(self._store)
        self._revoke_on_close = (
            token_store is None if revoke_on_close is None else revoke_on_close
        )
        self._client_tokens = AsyncTokenManager(
            _Principal(client_key(client_id), client_id, client_secret),
            self._token_http,
            self._store,
            s.leeway,
        )
        self.auth: FinAPIAuth = FinAPIAuth(self._client_tokens)
        self._http = self._new_http(s.environment.access_url, self.auth)
        self.access: finapi_access.client.AuthenticatedClient = _access_client(
            s.environment.access_url, self._http, self.auth, sync=False
        )
        self.users: AsyncUsers = AsyncUsers(self)
        self._sessions: dict[str, AsyncUserSession] = {}
        self._closed = False

    def _new_http(self, base_url: str, auth: FinAPIAuth) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            auth=auth,
            transport=self._transport,
            **self._settings.client_kwargs(base_url),
        )

    async def client_token(self) -> Token:
        """Return the client's current token, fetching or renewing it if needed.

        Returns:
            The token.
        """
        return await self._client_tokens.current()

    def user(self, user_id: str, password: str | None = None) -> AsyncUserSession:
        """Open (or reuse) the session of one user.

        Args:
            user_id: The user id.
            password: The user's password.

        Returns:
            The user's session; the same object for the same user id.
        """
        if not isinstance(user_id, str) or not user_id:
            msg = "user_id must be a non-empty string"
            raise ValueError(msg)
        session = self._sessions.get(user_id)
        if session is None or session.closed:
            session = AsyncUserSession(self, user_id, password)
            self._sessions[user_id] = session
        elif password is not None:
            session._tokens.principal.set_password(password)
        return session

    async def _revoke(self, token: str, hint: str) -> None:
        try:
            await self._http.request(**revoke_request(token, hint))
        except FinAPIError as exc:
            _log_revoke_failed(exc)

    async def aclose(self) -> None:
        """Close every session, revoke tokens (see ``revoke_on_close``), free connections."""
        if self._closed:
            return
        self._closed = True
        for session in list(self._sessions.values()):
            await session._close(revoke=self._revoke_on_close)
        self._sessions.clear()
        if self._revoke_on_close:
            token = await self._client_tokens.peek()
            if token is not None and token.is_fresh():
                await self._revoke(token.access_token, "access_token")
            await self._client_tokens.forget()
        await self._http.aclose()
        await self._token_http.aclose()
        if self._own_http is not None:
            await self._own_http.aclose()

    async def __aenter__(self) -> AsyncFinAPI:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"AsyncFinAPI(client_id={self.client_id!r}, "
            f"environment={self.environment.name!r}, "
            f"access_url={self.environment.access_url!r})"
        )


class AsyncUsers:
    """Create and delete users with the client token (async).

    Args:
        fin: The facade.
    """

    def __init__(self, fin: AsyncFinAPI) -> None:
        self._fin = fin

    async def create(
        self,
        user_id: str | None = None,
        password: str | None = None,
        *,
        email: str | None = None,
        phone: str | None = None,
        is_auto_update_enabled: bool | None = None,
    ) -> NewUser:
        """Create a user; by default with a generated id and strong password.

        Args:
            user_id: The id to use (default: generated).
            password: The password to use (default: generated).
            email: The user's email address.
            phone: The user's phone number.
            is_auto_update_enabled: Whether finAPI's batch update covers the user.

        Returns:
            The new user's id and password.
        """
        from finapi_access.api.users import create_user  # noqa: PLC0415

        body, new = _user_body(user_id, password, email, phone, is_auto_update_enabled)
        request_id = new_request_id()
        await create_user.asyncio(
            client=self._fin.access, body=body, x_request_id=request_id
        )
        logger.info(
            "user %s", kv(event="created", user_id=new.id, request_id=request_id)
        )
        return new

    async def delete(self, user_id: str, password: str | None = None) -> None:
        """Delete a user with whichever token finAPI wants for it.

        The same choice as :meth:`Users.delete`: the user's own token from its
        password or from a token at hand, else (not verified, or nothing known)
        the client token.

        Args:
            user_id: The user id.
            password: The user's password, if known.

        Raises:
            UnprocessableError: ``USER_ALREADY_VERIFIED`` when only the client
                token was left to try and the user is verified.
        """
        fin = self._fin
        session = fin._sessions.get(user_id)
        if password is not None or (session is not None and session._can_login()):
            session = fin.user(user_id, password)
            try:
                await session.delete_user()
                return
            except FinAPIError as exc:
                if exc.code != _NOT_VERIFIED:
                    raise
                _log_delete_fallback(user_id, exc)
        elif await self._token_at_hand(user_id):
            session = fin.user(user_id)
            try:
                await session.delete_user()
                return
            except ReauthenticationRequired as exc:
                _log_delete_fallback(user_id, exc)
        if session is not None:
            await session._close(revoke=False)
            fin._sessions.pop(user_id, None)
        await self._delete_unverified(user_id)

    async def _token_at_hand(self, user_id: str) -> bool:
        session = self._fin._sessions.get(user_id)
        if session is not None and not session.closed:
            return await session._tokens.peek() is not None
        key = user_key(self._fin.client_id, user_id)
        return await self._fin._store.get(key) is not None

    async def _delete_unverified(self, user_id: str) -> None:
        from finapi_access.api.users import delete_unverified_user  # noqa: PLC0415

        request_id = new_request_id()
        await delete_unverified_user.asyncio(
            user_id, client=self._fin.access, x_request_id=request_id
        )
        logger.info(
            "user %s",
            kv(event="deleted", user_id=user_id, tier="client", request_id=request_id),
        )

    def __repr__(self) -> str:
        return f"AsyncUsers(client_id={self._fin.client_id!r})"


class AsyncUserSession:
    """One user's token workflow and helpers (async)."""

    def __init__(self, fin: AsyncFinAPI, user_id: str, password: str | None) -> None:
        self._fin = fin
        self.user_id: str = user_id
        env = fin.environment
        self._tokens = AsyncTokenManager(
            _Principal(
                user_key(fin.client_id, user_id),
                fin.client_id,
                fin._client_secret,
                user_id=user_id,
                password=password,
            ),
            fin._token_http,
            fin._store,
            fin._settings.leeway,
        )
        self.auth: FinAPIAuth = FinAPIAuth(self._tokens)
        self._access_http = fin._new_http(env.access_url, self.auth)
        self._webform_http = fin._new_http(env.webform_url, self.auth)
        self.access: finapi_access.client.AuthenticatedClient = _access_client(
            env.access_url, self._access_http, self.auth, sync=False
        )
        self.webform: finapi_webform.client.AuthenticatedClient = _webform_client(
            env.webform_url, self._webform_http, self.auth, sync=False
        )
        self.webforms: AsyncWebForms = AsyncWebForms(self.webform)
        self.closed: bool = False

    def _can_login(self) -> bool:
        return self._tokens.principal.has_password

    async def token(self) -> Token:
        """Return the user's current token, fetching or renewing it if needed.

        Returns:
            The token.
        """
        return await self._tokens.current()

    def bank_connections(self, **filters: Any) -> AsyncIterator[BankConnection]:
        """Iterate the user's bank connections.

        Args:
            **filters: Arguments of the generated ``get_all_bank_connections``.

        Returns:
            An async iterator of bank connections.
        """
        return _paging.aiter_bank_connections(self.access, **filters)

    def accounts(self, **filters: Any) -> AsyncIterator[Account]:
        """Iterate the user's accounts.

        Args:
            **filters: Arguments of the generated ``get_and_search_all_accounts``.

        Returns:
            An async iterator of accounts.
        """
        return _paging.aiter_accounts(self.access, **filters)

    def transactions(
        self, *, view: str = "userView", per_page: int = 500, **filters: Any
    ) -> AsyncIterator[Transaction]:
        """Iterate the user's transactions over all pages.

        Args:
            view: ``userView`` or ``bankView``.
            per_page: Page size (1 to 500).
            **filters: Arguments of the generated ``get_and_search_all_transactions``.

        Returns:
            An async iterator of transactions.
        """
        return _paging.aiter_transactions(
            self.access, view=view, per_page=per_page, **filters
        )

    def transaction_pages(
        self, *, view: str = "userView", per_page: int = 500, **filters: Any
    ) -> AsyncIterator[PageableTransactionList]:
        """Iterate the pages of the user's transactions.

        Args:
            view: ``userView`` or ``bankView``.
            per_page: Page size (1 to 500).
            **filters: Arguments of the generated ``get_and_search_all_transactions``.

        Returns:
            An async iterator of pages.
        """
        return _paging.aiter_transaction_pages(
            self.access, view=view, per_page=per_page, **filters
        )

    async def delete_user(self) -> None:
        """Delete this user with its own token, then close the session."""
        from finapi_access.api.users import delete_authorized_user  # noqa: PLC0415

        request_id = new_request_id()
        await delete_authorized_user.asyncio(
            client=self.access, x_request_id=request_id
        )
        logger.info(
            "user %s",
            kv(
                event="deleted",
                user_id=self.user_id,
                tier="user",
                request_id=request_id,
            ),
        )
        await self._close(revoke=False)
        self._fin._sessions.pop(self.user_id, None)

    async def _close(self, *, revoke: bool) -> None:
        if self.closed:
            return
        self.closed = True
        token = await self._tokens.peek()
        if revoke and token is not None:
            if token.refresh_token:
                await self._fin._revoke(token.refresh_token, "refresh_token")
            elif token.is_fresh():
                await self._fin._revoke(token.access_token, "access_token")
        if revoke or token is None or not token.is_fresh():
            await self._tokens.forget()
        await self._access_http.aclose()
        await self._webform_http.aclose()

    async def aclose(self) -> None:
        """Revoke the user's tokens (per the facade's ``revoke_on_close``) and close."""
        await self._close(revoke=self._fin._revoke_on_close)
        self._fin._sessions.pop(self.user_id, None)

    async def __aenter__(self) -> AsyncUserSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncUserSession(user_id={self.user_id!r}, closed={self.closed})"
