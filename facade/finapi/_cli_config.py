"""Settings of the ``finapi`` command line: flags, then environment, then a config file.

Each setting is looked up in that order and the first source that names it
wins. The config file is TOML, ``$XDG_CONFIG_HOME/finapi/config.toml`` (or
``~/.config/finapi/config.toml``) unless ``--config`` or ``FINAPI_CONFIG``
names another; the command line only reads it, never writes it. A user's
password is never read from the file: it comes from ``--password``,
``FINAPI_USER_PASSWORD`` or a prompt that does not echo.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__: list[str] = []

#: Setting name -> environment variable.
ENV_VARS: dict[str, str] = {
    "client_id": "FINAPI_CLIENT_ID",
    "client_secret": "FINAPI_CLIENT_SECRET",
    "environment": "FINAPI_ENV",
    "access_url": "FINAPI_ACCESS_URL",
    "webform_url": "FINAPI_WEBFORM_URL",
    "user_id": "FINAPI_USER_ID",
    "timeout": "FINAPI_TIMEOUT",
}
PASSWORD_ENV = "FINAPI_USER_PASSWORD"  # noqa: S105  (a variable's name)
CONFIG_ENV = "FINAPI_CONFIG"
ENVIRONMENTS = ("sandbox", "live")

# Where each source ranks: a lower number wins.
_FLAG, _ENV, _FILE = 0, 1, 2
_SOURCE_NAMES = {_FLAG: "flag", _ENV: "environment", _FILE: "config file"}


class ConfigError(ValueError):
    """A setting is missing, malformed or contradicts another one."""


def default_config_path(env: Mapping[str, str]) -> Path:
    """Return where the config file is looked for when none is named.

    Args:
        env: The process environment.

    Returns:
        ``$XDG_CONFIG_HOME/finapi/config.toml``, or ``~/.config/finapi/config.toml``.
    """
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "finapi" / "config.toml"


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]  # noqa: PLC0415

    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except OSError as exc:
        msg = f"cannot read config file {path}: {exc.strerror or exc}"
        raise ConfigError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"config file {path} is not valid TOML: {exc}"
        raise ConfigError(msg) from None
    return data


def read_config_file(path: Path | None, env: Mapping[str, str]) -> dict[str, Any]:
    """Read the config file, if there is one.

    Args:
        path: The file named by ``--config`` (it must exist), or None.
        env: The process environment (``FINAPI_CONFIG``, ``XDG_CONFIG_HOME``).

    Returns:
        The settings it holds (empty when no file is named and the default
        file does not exist).

    Raises:
        ConfigError: The named file is missing, unreadable, not TOML, or holds
            an unknown key, a password, or a value of the wrong type.
    """
    named = path if path is not None else _env_path(env)
    if named is None:
        named = default_config_path(env)
        if not named.is_file():
            return {}
    elif not named.is_file():
        msg = f"config file {named} does not exist"
        raise ConfigError(msg)
    data = _load_toml(named)
    for key, value in data.items():
        if key == "password":
            msg = (
                f"config file {named}: a user's password does not belong in a file; "
                f"use --password, {PASSWORD_ENV} or the prompt"
            )
            raise ConfigError(msg)
        if key not in ENV_VARS:
            known = ", ".join(sorted(ENV_VARS))
            msg = f"config file {named}: unknown key {key!r} (known: {known})"
            raise ConfigError(msg)
        if key == "timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                msg = f"config file {named}: timeout must be a number of seconds"
                raise ConfigError(msg)
        elif not isinstance(value, str):
            msg = f"config file {named}: {key} must be a string"
            raise ConfigError(msg)
    if "client_secret" in data and _readable_by_others(named):
        sys.stderr.write(
            f"finapi: warning: {named} holds a client secret and other users "
            "may read it (chmod 600 it)\n"
        )
    return data


def _env_path(env: Mapping[str, str]) -> Path | None:
    value = env.get(CONFIG_ENV)
    return Path(value).expanduser() if value else None


def _readable_by_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.name == "posix" and bool(mode & (stat.S_IRGRP | stat.S_IROTH))


@dataclasses.dataclass(frozen=True, repr=False)
class Settings:
    """The resolved settings of one command line run.

    Attributes:
        client_id: The finAPI client id.
        client_secret: The client secret (never shown).
        environment: ``sandbox``, ``live``, or None for explicit URLs.
        access_url: Explicit Access base URL.
        webform_url: Explicit Web Form 2.0 base URL.
        user_id: The default user of user-level commands.
        timeout: Seconds for each request, or None for the facade's default.
    """

    client_id: str | None
    client_secret: str | None
    environment: str | None
    access_url: str | None
    webform_url: str | None
    user_id: str | None
    timeout: float | None

    def __repr__(self) -> str:
        secret = "None" if self.client_secret is None else "'***'"
        return (
            f"Settings(client_id={self.client_id!r}, client_secret={secret}, "
            f"environment={self.environment!r}, access_url={self.access_url!r}, "
            f"webform_url={self.webform_url!r}, user_id={self.user_id!r})"
        )

    def facade_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments for ``FinAPI(...)``.

        Returns:
            client_id, client_secret, the environment or the URLs, the timeout.

        Raises:
            ConfigError: The client id or secret is missing.
        """
        if not self.client_id:
            msg = (
                "no client id: pass --client-id, set FINAPI_CLIENT_ID or put "
                "client_id in the config file"
            )
            raise ConfigError(msg)
        if not self.client_secret:
            msg = (
                "no client secret: set FINAPI_CLIENT_SECRET (or pass "
                "--client-secret, or put client_secret in the config file)"
            )
            raise ConfigError(msg)
        kwargs: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "timeout": self.timeout,
        }
        if self.access_url is not None or self.webform_url is not None:
            kwargs["access_url"] = self.access_url
            kwargs["webform_url"] = self.webform_url
        else:
            kwargs["environment"] = self.environment or "sandbox"

        return kwargs


def _pick(
    name: str, flags: Mapping[str, Any], env: Mapping[str, str], file: Mapping[str, Any]
) -> tuple[Any, int | None]:
    if flags.get(name) is not None:
        return flags[name], _FLAG
    value = env.get(ENV_VARS[name])
    if value:
        return value, _ENV
    if file.get(name) is not None:
        return file[name], _FILE
    return None, None


def _timeout(value: Any, source: int | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        where = _SOURCE_NAMES[source or _FLAG]
        msg = f"timeout ({where}) must be a number of seconds, got {value!r}"
        raise ConfigError(msg) from None
    if not seconds > 0:
        msg = f"timeout must be positive, got {value!r}"
        raise ConfigError(msg)
    return seconds


def resolve(
    flags: Mapping[str, Any], env: Mapping[str, str], file: Mapping[str, Any]
) -> Settings:
    """Merge the three sources: flags win over the environment, which wins over the file.

    ``environment`` and the pair of URLs exclude each other; when both are set,
    the one from the stronger source wins, and both from one source is an
    error.

    Args:
        flags: Values of the command line flags (None when not given).
        env: The process environment.
        file: The config file's settings.

    Returns:
        The settings.

    Raises:
        ConfigError: A value is malformed, or the sources contradict each other.
    """
    values: dict[str, Any] = {}
    sources: dict[str, int | None] = {}
    for name in ENV_VARS:
        values[name], sources[name] = _pick(name, flags, env, file)

    environment = values["environment"]
    if environment is not None and environment not in ENVIRONMENTS:
        where = _SOURCE_NAMES[sources["environment"] or _FLAG]
        msg = f"environment ({where}) must be sandbox or live, got {environment!r}"
        raise ConfigError(msg)
    url_sources = [
        s for s in (sources["access_url"], sources["webform_url"]) if s is not None
    ]
    if url_sources:
        url_rank = min(url_sources)
        env_rank = sources["environment"]
        if env_rank is not None and env_rank < url_rank:
            values["access_url"] = values["webform_url"] = None
        else:
            if env_rank is not None and env_rank == url_rank:
                where = _SOURCE_NAMES[url_rank]
                msg = (
                    f"the {where} sets both the environment and URLs; "
                    "set either FINAPI_ENV or FINAPI_ACCESS_URL and FINAPI_WEBFORM_URL"
                )
                raise ConfigError(msg)
            environment = None
            for name, var in (
                ("access_url", "FINAPI_ACCESS_URL"),
                ("webform_url", "FINAPI_WEBFORM_URL"),
            ):
                if values[name] is None:
                    flag = "--" + name.replace("_", "-")
                    msg = (
                        f"{name} is missing: explicit URLs need both ({flag} or {var})"
                    )
                    raise ConfigError(msg)

    return Settings(
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        environment=environment,
        access_url=values["access_url"],
        webform_url=values["webform_url"],
        user_id=values["user_id"],
        timeout=_timeout(values["timeout"], sources["timeout"]),
    )
