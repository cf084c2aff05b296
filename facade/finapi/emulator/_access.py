"""Access handlers: the token endpoint and users (more live in ``_access_data``)."""

from __future__ import annotations

import hmac
import math
import re
import uuid
from typing import TYPE_CHECKING, Any

from ._core import handler
from ._state import Token, User
from ._wire import ACCESS, ApiError, Ctx, OAuthError, Reply

if TYPE_CHECKING:
    from ._core import Emulator

__all__ = ["client_config", "seed_state"]

_USER_ID = re.compile(r"^[a-zA-Z0-9\-_.+@]{1,36}$")
_FREE_TEXT = re.compile(r"^[A-Za-z0-9\u00a1-\u02af &(){}\[\].:,;?!+\-_$@#~`^\u20ac]*$")
_MIN_PASSWORD, _MAX_PASSWORD = 6, 128
#: Longest email and phone number the spec's user params admit.
_MAX_TEXT = {"email": 320, "phone": 50}
_GRANTS = ("client_credentials", "password", "refresh_token")
_MASKED = "XXXXX"


def seed_state(emu: Emulator) -> None:
    """Give a fresh emulator its per-client configuration and demo data.

    Args:
        emu: The emulator.
    """
    for client_id in emu.clients:
        emu.state.client_config[client_id] = {
            "clientAccessTokensValidityPeriod": emu.token_lifetime,
            "userAccessTokensValidityPeriod": emu.token_lifetime,
            "refreshTokensValidityPeriod": emu.refresh_token_lifetime,
            "isUserAutoVerificationEnabled": True,
            "maxUserLoginAttempts": 5,
            "userNotificationCallbackUrl": None,
            "userSynchronizationCallbackUrl": None,
            "applicationName": None,
            "finTSProductRegistrationNumber": None,
            "storeSecretsAvailableInWebForm": True,
            "pinStorageAvailableInWebForm": True,
            "supportSubjectDefault": None,
            "supportEmail": None,
            "betaBanksEnabled": False,
        }
    from . import _access_data  # noqa: PLC0415 - registers the data handlers

    _access_data.seed(emu)


def client_config(emu: Emulator, client_id: str) -> dict[str, Any]:
    """Return the mutable configuration of a client.

    Args:
        emu: The emulator.
        client_id: The client.
    """
    return emu.state.client_config[client_id]


def _new_user_id(emu: Emulator) -> str:
    return str(uuid.UUID(int=emu.state.random.getrandbits(128), version=4))


def _expires_in(lifetime: float | None) -> int:
    return 0 if lifetime is None else max(1, math.ceil(lifetime))


# -- the token endpoint ----------------------------------------------------------


def _token_principal(emu: Emulator, grant: str, params: dict[str, str]) -> str:
    if grant == "password":
        return params.get("username") or "?"
    if grant == "refresh_token":
        token = emu.state.tokens.get(params.get("refresh_token", ""))
        return (token.user_id or token.client_id) if token is not None else "?"
    return params.get("client_id") or "?"


def _issue_pair(
    emu: Emulator, client_id: str, user_id: str | None, grant_id: str | None = None
) -> tuple[Token, Token | None]:
    config = client_config(emu, client_id)
    grant_id = grant_id or uuid.uuid4().hex
    if user_id is None:
        lifetime = config["clientAccessTokensValidityPeriod"]
        return emu.state.issue("access", client_id, None, grant_id, lifetime), None
    access = emu.state.issue(
        "access", client_id, user_id, grant_id, config["userAccessTokensValidityPeriod"]
    )
    refresh = emu.state.issue(
        "refresh", client_id, user_id, grant_id, config["refreshTokensValidityPeriod"]
    )
    return access, refresh


def _token_reply(emu: Emulator, access: Token, refresh: Token | None) -> Reply:
    config = client_config(emu, access.client_id)
    key = (
        "userAccessTokensValidityPeriod"
        if access.user_id
        else "clientAccessTokensValidityPeriod"
    )
    body: dict[str, Any] = {
        "access_token": access.value,
        "token_type": "bearer",
        "expires_in": _expires_in(config[key]),
        "scope": "all",
    }
    if refresh is not None:
        body["refresh_token"] = refresh.value
    return Reply(200, body, {"cache-control": "no-store", "pragma": "no-cache"})


@handler(ACCESS, "getToken")
def get_token(emu: Emulator, ctx: Ctx) -> Reply:  # noqa: PLR0912 - one branch per grant and error
    """Issue tokens for the client_credentials, password and refresh_token grants."""
    params = {k: v for k, v in ctx.query}
    params.update(ctx.form or {})
    if isinstance(ctx.body, dict):
        params.update({k: v for k, v in ctx.body.items() if isinstance(v, str)})
    grant = params.get("grant_type", "")
    emu.stats.count_token_request(grant or "?", _token_principal(emu, grant, params))

    client_id = params.get("client_id", "")
    secret = params.get("client_secret", "")
    if not grant or not client_id or not secret:
        missing = [
            n for n in ("grant_type", "client_id", "client_secret") if not params.get(n)
        ]
        raise OAuthError(
            400, "invalid_request", f"Missing parameter: {', '.join(missing)}."
        )
    if grant not in _GRANTS:
        raise OAuthError(
            400, "unsupported_grant_type", f"Unsupported grant type: {grant[:40]}."
        )
    expected = emu.clients.get(client_id)
    if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
        raise OAuthError(401, "invalid_client", "Bad client credentials.")
    # Past this point bad user credentials and dead refresh tokens are a 400
    # invalid_grant, as the spec (and RFC 6749, 5.2) says: 401 is only for bad
    # client credentials.
    if grant == "client_credentials":
        access, _ = _issue_pair(emu, client_id, None)
        return _token_reply(emu, access, None)

    if grant == "password":
        username = params.get("username", "")
        password = params.get("password", "")
        if not username or not password:
            raise OAuthError(
                400,
                "invalid_request",
                "The password grant needs username and password.",
            )
        user = emu.state.users.get((client_id, username))
        if user is None:
            raise OAuthError(400, "invalid_grant", "Bad user credentials.")
        if user.locked:
            raise ApiError(
                423, "LOCKED", "The user is locked after too many failed logins."
            )
        if not hmac.compare_digest(user.password.encode(), password.encode()):
            user.failed_logins += 1
            limit = client_config(emu, client_id)["maxUserLoginAttempts"]
            if limit and user.failed_logins >= limit:
                user.data["locked"] = True
            raise OAuthError(400, "invalid_grant", "Bad user credentials.")
        if not user.verified:
            raise ApiError(403, "USER_NOT_VERIFIED", "The user is not verified.")
        user.failed_logins = 0
        access, refresh = _issue_pair(emu, client_id, user.id)
        return _token_reply(emu, access, refresh)

    value = params.get("refresh_token", "")
    if not value:
        raise OAuthError(
            400, "invalid_request", "The refresh_token grant needs refresh_token."
        )
    token = emu.state.tokens.get(value)
    if (
        token is None
        or token.kind != "refresh"
        or token.revoked
        or token.expired
        or token.client_id != client_id
        or (token.client_id, token.user_id or "") not in emu.state.users
    ):
        raise OAuthError(400, "invalid_grant", "Invalid refresh token.")
    config = client_config(emu, client_id)
    access = emu.state.issue(
        "access",
        client_id,
        token.user_id,
        token.grant,
        config["userAccessTokensValidityPeriod"],
    )
    return _token_reply(emu, access, token)


@handler(ACCESS, "revokeToken")
def revoke_token(emu: Emulator, ctx: Ctx) -> Reply:
    """Revoke an access or refresh token (or its whole grant); needs the client's token."""
    caller = emu.authorise(ctx, "client")
    params = dict(ctx.query)
    params.update(ctx.form or {})
    value = params.get("token", "")
    hint = params.get("token_type_hint")
    if not value:
        raise ApiError(400, "BAD_REQUEST", "The parameter token is missing.")
    if hint not in (None, "access_token", "refresh_token"):
        raise ApiError(
            400, "BAD_REQUEST", "token_type_hint must be access_token or refresh_token."
        )
    token = emu.state.tokens.get(value)
    if token is None or token.client_id != caller.client_id:
        return Reply(200)
    if hint == "access_token":
        token.revoked = True
    else:
        emu.state.revoke_where(grant=token.grant)

    return Reply(200)


# -- users -------------------------------------------------------------------------


def _body(ctx: Ctx) -> dict[str, Any]:
    if not isinstance(ctx.body, dict):
        raise ApiError(400, "BAD_REQUEST", "The request body must be a JSON object.")
    return ctx.body


def _text_field(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "BAD_REQUEST", f"Field {name} must be a string.")
    if not _FREE_TEXT.match(value) or len(value) > _MAX_TEXT[name]:
        raise ApiError(
            400,
            "BAD_REQUEST",
            f"Field {name} contains illegal characters or is too long.",
        )
    return value


def _bool_field(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, "BAD_REQUEST", f"Field {name} must be true or false.")
    return value


def _check_password(password: Any) -> str:
    if not isinstance(password, str):
        raise ApiError(400, "BAD_REQUEST", "Field password must be a string.")
    if not _MIN_PASSWORD <= len(password) <= _MAX_PASSWORD:
        raise ApiError(
            400,
            "ILLEGAL_FIELD_VALUE",
            f"The password must have between {_MIN_PASSWORD} and {_MAX_PASSWORD} characters.",
        )
    if password.strip() == "" or any(c in password for c in "<>\\\x00"):
        raise ApiError(
            400, "ILLEGAL_FIELD_VALUE", "The password contains illegal characters."
        )
    return password


def _check_user_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ApiError(400, "BAD_REQUEST", "Field id must be a string.")
    if not _USER_ID.match(value):
        raise ApiError(
            400,
            "ILLEGAL_FIELD_VALUE",
            "A user id has 1 to 36 characters from a-z, A-Z, 0-9 and - _ . + @.",
        )
    return value


def _user_json(user: User, *, password: str = _MASKED) -> dict[str, Any]:
    return {
        "id": user.id,
        "password": password,
        "email": user.email,
        "phone": user.phone,
        "isAutoUpdateEnabled": user.is_auto_update_enabled,
    }


def _user_of(emu: Emulator, token: Token) -> User:
    return emu.state.users[(token.client_id, token.user_id or "")]


@handler(ACCESS, "createUser")
def create_user(emu: Emulator, ctx: Ctx) -> Reply:
    """Create a user of the calling client; id and password are generated if absent."""
    token = emu.authorise(ctx, "client")
    body = _body(ctx)
    user_id = (
        _check_user_id(body["id"]) if body.get("id") is not None else _new_user_id(emu)
    )
    if body.get("password") is not None:
        password = _check_password(body["password"])
    else:
        password = uuid.UUID(int=emu.state.random.getrandbits(128), version=4).hex
    email = _text_field(body, "email")
    phone = _text_field(body, "phone")
    auto_update = _bool_field(body, "isAutoUpdateEnabled") or False
    if (token.client_id, user_id) in emu.state.users:
        raise ApiError(
            422, "ENTITY_EXISTS", f"A user with id {user_id} already exists."
        )
    verified = bool(
        client_config(emu, token.client_id)["isUserAutoVerificationEnabled"]
    )
    user = User(
        token.client_id,
        user_id,
        password,
        email or None,
        phone or None,
        auto_update,
        verified,
    )
    emu.state.users[(token.client_id, user_id)] = user

    return Reply(201, _user_json(user, password=password))


@handler(ACCESS, "getAuthorizedUser")
def get_authorized_user(emu: Emulator, ctx: Ctx) -> Reply:
    """Return the user the token belongs to, password masked."""
    user = _user_of(emu, emu.authorise(ctx, "user"))
    return Reply(200, _user_json(user))


@handler(ACCESS, "editAuthorizedUser")
def edit_authorized_user(emu: Emulator, ctx: Ctx) -> Reply:
    """Change the user's email, phone or auto-update flag (empty text clears)."""
    user = _user_of(emu, emu.authorise(ctx, "user"))
    body = _body(ctx)
    email = _text_field(body, "email")
    phone = _text_field(body, "phone")
    auto_update = _bool_field(body, "isAutoUpdateEnabled")
    if email is not None:
        user.email = email or None
    if phone is not None:
        user.phone = phone or None
    if auto_update is not None:
        user.is_auto_update_enabled = auto_update

    return Reply(200, _user_json(user))


def _delete_user(emu: Emulator, user: User) -> None:
    del emu.state.users[(user.client_id, user.id)]
    emu.state.revoke_where(client_id=user.client_id, user_id=user.id)
    from . import _access_data  # noqa: PLC0415

    _access_data.forget_user(emu, user)


@handler(ACCESS, "deleteAuthorizedUser")
def delete_authorized_user(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete the user the token belongs to, with its data and tokens."""
    user = _user_of(emu, emu.authorise(ctx, "user"))
    _delete_user(emu, user)
    return Reply(200)


def _client_user(emu: Emulator, token: Token, user_id: str) -> User:
    user = emu.state.users.get((token.client_id, user_id))
    if user is None:
        raise ApiError(404, "UNKNOWN_ENTITY", f"No user with id {user_id[:64]}.")
    return user


@handler(ACCESS, "deleteUnverifiedUser")
def delete_unverified_user(emu: Emulator, ctx: Ctx) -> Reply:
    """Delete a user that was never verified; needs the client's token."""
    token = emu.authorise(ctx, "client")
    user = _client_user(emu, token, ctx.path_params["userId"])
    if user.verified:
        raise ApiError(
            422,
            "USER_ALREADY_VERIFIED",
            "The user is verified and cannot be deleted this way.",
        )
    _delete_user(emu, user)
    return Reply(200)


@handler(ACCESS, "verifyUser")
def verify_user(emu: Emulator, ctx: Ctx) -> Reply:
    """Verify a user; needs the client's token."""
    token = emu.authorise(ctx, "client")
    user = _client_user(emu, token, ctx.path_params["userId"])
    if user.verified:
        raise ApiError(422, "USER_ALREADY_VERIFIED", "The user is already verified.")
    user.verified = True
    return Reply(200)


@handler(ACCESS, "getVerificationStatus")
def get_verification_status(emu: Emulator, ctx: Ctx) -> Reply:
    """Tell whether a user is verified; needs the client's token."""
    token = emu.authorise(ctx, "client")
    user_id = ctx.q("userId")
    if not user_id:
        raise ApiError(400, "BAD_REQUEST", "The parameter userId is missing.")
    user = _client_user(emu, token, user_id)
    return Reply(200, {"userId": user.id, "isUserVerified": user.verified})


@handler(ACCESS, "requestPasswordChange")
def request_password_change(emu: Emulator, ctx: Ctx) -> Reply:
    """Hand out a password change token for a user; needs the client's token."""
    token = emu.authorise(ctx, "client")
    body = _body(ctx)
    user = _client_user(emu, token, _check_user_id(body.get("userId")))
    user.password_change_token = str(
        uuid.UUID(int=emu.state.random.getrandbits(128), version=4)
    )
    body_out = {
        "userId": user.id,
        "userEmail": user.email,
        "passwordChangeToken": user.password_change_token,
    }
    return Reply(200, body_out)


@handler(ACCESS, "executePasswordChange")
def execute_password_change(emu: Emulator, ctx: Ctx) -> Reply:
    """Set a new password with a password change token; revokes the user's tokens."""
    token = emu.authorise(ctx, "client")
    body = _body(ctx)
    user = _client_user(emu, token, _check_user_id(body.get("userId")))
    change_token = body.get("passwordChangeToken")
    if not isinstance(change_token, str) or not change_token:
        raise ApiError(400, "BAD_REQUEST", "Field passwordChangeToken is missing.")
    password = _check_password(body.get("password"))
    if user.password_change_token is None or not hmac.compare_digest(
        user.password_change_token.encode(), change_token.encode()
    ):
        raise ApiError(400, "BAD_REQUEST", "The password change token is not valid.")
    user.password = password
    user.password_change_token = None
    user.failed_logins = 0
    user.data.pop("locked", None)
    emu.state.revoke_where(client_id=user.client_id, user_id=user.id)

    return Reply(200)
