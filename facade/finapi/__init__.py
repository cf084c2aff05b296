"""finAPI for Python: the facade over the generated Access and Web Form 2.0 clients.

``FinAPI`` (sync) and ``AsyncFinAPI`` (async) own the two-tier token workflow:
the client token for creating users, a session per user with its token
refreshed, renewed and retried on 401, single flight per principal, and
helpers for web forms, waiting and paging. The generated clients stay
reachable for every operation of both APIs (``session.access``,
``session.webform``).
"""

from finapi._auth import (
    FinAPIAuth,
)
from finapi._client import (
    AsyncFinAPI,
    AsyncUsers,
    AsyncUserSession,
    FinAPI,
    NewUser,
    Users,
    UserSession,
    generate_password,
    generate_user_id,
)
from finapi._config import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_LEEWAY,
    LIVE_ACCESS_URL,
    LIVE_WEBFORM_URL,
    Environment,
    RetryPolicy,
)
from finapi._errors import (
    AuthenticationError,
    FinAPIConnectionError,
    FinAPIError,
    FinAPITimeoutError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidTokenError,
    LockedError,
    NotFoundError,
    PermissionDeniedError,
    ReauthenticationRequired,
    ServerError,
    TokenStoreLockError,
    UnauthorizedClientError,
    UnprocessableError,
    UnsupportedGrantTypeError,
    WaitTimeoutError,
)
from finapi._redis import (
    AsyncRedisTokenStore,
    RedisTokenStore,
)
from finapi._tokens import (
    AsyncMemoryTokenStore,
    AsyncTokenStore,
    MemoryTokenStore,
    Token,
    TokenStore,
)
from finapi._webforms import (
    TASK_FINAL_STATUSES,
    WEB_FORM_FINAL_STATUSES,
    AsyncWebForms,
    WebForms,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOKEN_LEEWAY",
    "LIVE_ACCESS_URL",
    "LIVE_WEBFORM_URL",
    "TASK_FINAL_STATUSES",
    "WEB_FORM_FINAL_STATUSES",
    "AsyncFinAPI",
    "AsyncMemoryTokenStore",
    "AsyncRedisTokenStore",
    "AsyncTokenStore",
    "AsyncUserSession",
    "AsyncUsers",
    "AsyncWebForms",
    "AuthenticationError",
    "Environment",
    "FinAPI",
    "FinAPIAuth",
    "FinAPIConnectionError",
    "FinAPIError",
    "FinAPITimeoutError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidTokenError",
    "LockedError",
    "MemoryTokenStore",
    "NewUser",
    "NotFoundError",
    "PermissionDeniedError",
    "ReauthenticationRequired",
    "RedisTokenStore",
    "RetryPolicy",
    "ServerError",
    "Token",
    "TokenStore",
    "TokenStoreLockError",
    "UnauthorizedClientError",
    "UnprocessableError",
    "UnsupportedGrantTypeError",
    "UserSession",
    "Users",
    "WaitTimeoutError",
    "WebForms",
    "generate_password",
    "generate_user_id",
]

__version__ = "0.1.0"
