"""Every ``finapi`` command against the emulator on loopback, and its bad-input cases.

The commands run in-process through :func:`finapi._cli.main` (what the console
script calls); a few run as real processes through the installed ``finapi``
script where the process boundary matters (exit status, ``finapi emulator``,
the password prompt, import cost).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from finapi._cli import EXIT_NOT_COMPLETED, main
from finapi.emulator import DEMO_BANK_LOGIN, DEMO_BANK_PIN, DEMO_CLIENT_ID, Emulator

from .conftest import FINAPI_SCRIPT, PASSWORD


class Result:
    """Exit status and output of one in-process run."""

    def __init__(self, status: int, out: str, err: str) -> None:
        self.status = status
        self.out = out
        self.err = err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def finapi(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``finapi ARGS`` in-process and capture what it prints."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        status = main(list(args))
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


def _one_line_error(result: Result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


def _create(finapi: Any, user_id: str) -> None:
    result = finapi("users", "create", "--user-id", user_id, "--password", PASSWORD)
    assert result.status == 0, result.err


def _live_tokens(emu: Emulator) -> list[str]:
    with emu.state.lock:
        return [value for value, token in emu.state.tokens.items() if len(value) > 8]


# -- token ---------------------------------------------------------------------------


def test_token_prints_expiry_but_not_the_token(
    finapi: Any, emu: Emulator, emu_env: Any
) -> None:
    """`finapi token` shows the client token's expiry and never the token itself."""
    result = finapi("token")
    as_json = finapi("token", "--json")

    assert result.status == 0, result.err
    assert "expires_in" in result.out
    assert "3599" in result.out
    assert "hidden" in result.out
    data = as_json.json()
    assert data["principal"] == "client"
    assert data["client_id"] == DEMO_CLIENT_ID
    assert 3500 < data["expires_in"] <= 3599
    assert "access_token" not in data
    for token in _live_tokens(emu):
        assert token not in result.out + result.err + as_json.out + as_json.err


def test_token_show_token_prints_a_working_token_and_keeps_it(
    finapi: Any, emu: Emulator, emu_env: Any
) -> None:
    """`--show-token` prints the token, which stays valid after the command ends."""
    result = finapi("token", "--json", "--show-token")

    assert result.status == 0, result.err
    token = result.json()["access_token"]
    state = emu.state.tokens[token]
    assert state.kind == "access"
    assert not state.revoked
    assert not state.expired


def test_user_token_with_password_from_env_and_flag(
    finapi: Any,
    emu: Emulator,
    emu_env: Any,
    user_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A user's token comes with the password from the flag or FINAPI_USER_PASSWORD."""
    _create(finapi, user_id)
    by_flag = finapi("token", "--user", user_id, "--password", PASSWORD, "--json")
    monkeypatch.setenv("FINAPI_USER_PASSWORD", PASSWORD)
    by_env = finapi("token", "--user", user_id, "--json")

    for result in (by_flag, by_env):
        assert result.status == 0, result.err
        data = result.json()
        assert data["principal"] == "user"
        assert data["user_id"] == user_id
        assert data["has_refresh_token"] is True
        assert PASSWORD not in result.out + result.err


def test_user_token_without_password_and_terminal_is_a_usage_error(
    finapi: Any, emu_env: Any, user_id: str
) -> None:
    """Without a password and without a terminal to ask on, the error says where to put it."""
    result = finapi("token", "--user", user_id)

    assert result.status == 2
    line = _one_line_error(result)
    assert "FINAPI_USER_PASSWORD" in line
    assert "--password" in line


def test_wrong_client_secret_is_one_line_with_request_id(
    finapi: Any, emu_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wrong credentials end in one line naming the OAuth error and the request id."""
    monkeypatch.setenv("FINAPI_CLIENT_SECRET", "not-the-secret")
    result = finapi("token")
    as_json = finapi("--json", "token")

    assert result.status == 1
    line = _one_line_error(result)
    assert "invalid_client" in line
    assert "request_id=" in line
    assert "not-the-secret" not in line
    error = json.loads(_one_line_error(as_json))
    assert error["type"] == "InvalidClientError"
    assert error["status"] == 401
    assert error["request_id"]


# -- users ---------------------------------------------------------------------------


def test_users_create_with_generated_password(
    finapi: Any, emu: Emulator, emu_env: Any
) -> None:
    """`--generate-password` creates a user and prints the password once; it works."""
    result = finapi("users", "create", "--generate-password", "--json")

    assert result.status == 0, result.err
    data = result.json()
    assert (DEMO_CLIENT_ID, data["id"]) in emu.state.users
    login = finapi("token", "--user", data["id"], "--password", data["password"])
    assert login.status == 0, login.err


def test_users_create_never_prints_a_given_password(
    finapi: Any,
    emu: Emulator,
    emu_env: Any,
    user_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A password from the environment creates the user and is not echoed."""
    monkeypatch.setenv("FINAPI_USER_PASSWORD", PASSWORD)
    result = finapi("users", "create", "--user-id", user_id, "--email", "a@example.com")

    assert result.status == 0, result.err
    assert user_id in result.out
    assert PASSWORD not in result.out + result.err
    assert (DEMO_CLIENT_ID, user_id) in emu.state.users


def test_users_create_takes_the_user_from_the_environment(
    finapi: Any,
    emu: Emulator,
    emu_env: Any,
    user_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FINAPI_USER_ID names the user of user commands, `users create` included."""
    monkeypatch.setenv("FINAPI_USER_ID", user_id)
    monkeypatch.setenv("FINAPI_USER_PASSWORD", PASSWORD)

    created = finapi("users", "create", "--json")
    accounts = finapi("accounts", "--json")

    assert created.status == 0, created.err
    assert created.json()["id"] == user_id
    assert (DEMO_CLIENT_ID, user_id) in emu.state.users
    assert accounts.status == 0, accounts.err


def test_users_create_duplicate_and_bad_id(
    finapi: Any, emu_env: Any, user_id: str
) -> None:
    """Creating a user twice, or with an id finAPI refuses, fails in one line."""
    _create(finapi, user_id)
    again = finapi("users", "create", "--user-id", user_id, "--password", PASSWORD)
    bad_id = finapi(
        "users", "create", "--user-id", "no spaces!", "--password", PASSWORD
    )

    assert again.status == 1
    assert "request_id=" in _one_line_error(again)
    assert bad_id.status == 2
    assert "user ids" in _one_line_error(bad_id)


def test_users_delete(finapi: Any, emu: Emulator, emu_env: Any, user_id: str) -> None:
    """`users delete` removes the user; deleting an unknown user fails with the request id."""
    _create(finapi, user_id)
    deleted = finapi("users", "delete", user_id, "--password", PASSWORD, "--json")
    unknown = finapi("users", "delete", "nobody-" + user_id)

    assert deleted.status == 0, deleted.err
    assert deleted.json() == {"id": user_id, "deleted": True}
    assert (DEMO_CLIENT_ID, user_id) not in emu.state.users
    assert unknown.status == 1
    line = _one_line_error(unknown)
    assert "request_id=" in line
    assert "HTTP 4" in line


def test_unknown_user_is_one_line(finapi: Any, emu_env: Any) -> None:
    """A user that does not exist gets a one-line authentication error."""
    result = finapi("accounts", "--user", "ghost", "--password", PASSWORD)

    assert result.status == 1
    line = _one_line_error(result)
    assert "invalid_grant" in line
    assert "request_id=" in line


# -- web forms, accounts, transactions ------------------------------------------------


@pytest.fixture
def user_with_bank(
    finapi: Any,
    emu: Emulator,
    emu_env: Any,
    user_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """Create a user with one imported bank connection (FINAPI_USER_* set)."""
    _create(finapi, user_id)
    monkeypatch.setenv("FINAPI_USER_ID", user_id)
    monkeypatch.setenv("FINAPI_USER_PASSWORD", PASSWORD)
    form = finapi("webform", "import", "--bank-id", "280001", "--json").json()
    emu.complete_webform(form["id"])
    return user_id


def test_webform_import_get_and_wait(
    finapi: Any, emu: Emulator, emu_env: Any, user_id: str
) -> None:
    """A web form made by `webform import` completes and `get`/`wait` show it."""
    _create(finapi, user_id)
    user = ["--user", user_id, "--password", PASSWORD]
    created = finapi("webform", "import", *user, "--name", "Mein Konto")
    form = finapi("webform", "import", *user, "--json").json()
    emu.complete_webform(form["id"], login=DEMO_BANK_LOGIN, pin=DEMO_BANK_PIN)
    got = finapi("webform", "get", form["id"], *user, "--json")
    waited = finapi("webform", "wait", form["id"], *user, "--timeout", "5")

    assert created.status == 0, created.err
    assert "Send the user to: http://127.0.0.1" in created.out
    assert form["status"] == "NOT_YET_OPENED"
    assert form["url"].startswith(emu.base_url)
    assert got.json()["status"] == "COMPLETED"
    assert got.json()["payload"]["bankConnectionId"] >= 1
    assert waited.status == 0, waited.err
    assert "COMPLETED" in waited.out


def test_webform_wait_exits_3_on_error_status(
    finapi: Any, emu: Emulator, user_with_bank: str
) -> None:
    """A form that ends COMPLETED_WITH_ERROR makes `wait` exit 3."""
    form = finapi("webform", "import", "--json").json()
    emu.complete_webform(form["id"], login=DEMO_BANK_LOGIN, pin="wrong")
    waited = finapi("webform", "wait", form["id"], "--json")

    assert waited.status == EXIT_NOT_COMPLETED
    assert waited.json()["status"] == "COMPLETED_WITH_ERROR"


def test_webform_import_wait_times_out(finapi: Any, user_with_bank: str) -> None:
    """`--wait` with a short timeout on a form nobody completes fails in one line."""
    result = finapi("webform", "import", "--wait", "--timeout", "0.2")

    assert result.status == 1
    assert "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if line.startswith("finapi:")]
    assert len(errors) == 1
    assert "still NOT_YET_OPENED after 0.2 s" in errors[0]


def test_webform_update(finapi: Any, emu: Emulator, user_with_bank: str) -> None:
    """`webform update` makes an update form for a connection; an unknown one fails."""
    connection = finapi("accounts", "--json").json()[0]["bankConnectionId"]
    result = finapi(
        "webform", "update", "--bank-connection-id", str(connection), "--json"
    )
    unknown = finapi("webform", "update", "--bank-connection-id", "999999")

    assert result.status == 0, result.err
    assert result.json()["type"] == "BANK_CONNECTION_UPDATE"
    assert unknown.status == 1
    assert "request_id=" in _one_line_error(unknown)


def test_webform_get_unknown_id(finapi: Any, user_with_bank: str) -> None:
    """An unknown web form id gets a one-line 404 with the request id."""
    result = finapi("webform", "get", "no-such-form")

    assert result.status == 1
    line = _one_line_error(result)
    assert "HTTP 404" in line
    assert "request_id=" in line


def test_webform_wait_unknown_id(finapi: Any, user_with_bank: str) -> None:
    """Waiting for an unknown web form id gets a one-line 404 with the request id."""
    result = finapi("webform", "wait", "no-such-form", "--timeout", "5")

    assert result.status == 1
    line = _one_line_error(result)
    assert "HTTP 404" in line
    assert "request_id=" in line


def test_accounts_table_and_json(finapi: Any, user_with_bank: str) -> None:
    """`accounts` lists the imported accounts as a table and as JSON."""
    table = finapi("accounts")
    data = finapi("accounts", "--json").json()

    assert table.status == 0, table.err
    assert "Girokonto" in table.out
    assert len(data) >= 1
    assert all(row["iban"] is None or row["iban"] in table.out for row in data)
    connection = str(data[0]["bankConnectionId"])
    only = finapi("accounts", "--bank-connection-id", connection, "--json").json()
    assert {row["id"] for row in only} == {row["id"] for row in data}


def test_transactions_latest_first(finapi: Any, user_with_bank: str) -> None:
    """`transactions --limit N` gives the N latest transactions, newest first."""
    data = finapi("transactions", "--limit", "5", "--json").json()
    table = finapi("transactions", "--limit", "3")

    assert len(data) == 5
    dates = [row["bankBookingDate"] for row in data]
    assert dates == sorted(dates, reverse=True)
    assert table.status == 0
    assert data[0]["counterpartName"] in table.out


def test_transactions_bad_limit_is_a_usage_error(
    finapi: Any, user_with_bank: str
) -> None:
    """A malformed flag value ends in one line and exit 2."""
    result = finapi("transactions", "--limit", "0")

    assert result.status == 2
    assert "--limit" in _one_line_error(result)


# -- configuration -------------------------------------------------------------------


def test_malformed_and_unknown_flags(finapi: Any, emu_env: Any) -> None:
    """Unknown flags and malformed values end in one line and exit 2."""
    unknown = finapi("--no-such-flag", "token")
    malformed = finapi("--request-timeout", "soon", "token")
    env_choice = finapi("--env", "staging", "token")

    for result in (unknown, malformed, env_choice):
        assert result.status == 2
        _one_line_error(result)


def test_missing_client_id(finapi: Any) -> None:
    """Without credentials the error names the flag, variable and config key."""
    result = finapi("token")

    assert result.status == 2
    line = _one_line_error(result)
    assert "--client-id" in line
    assert "FINAPI_CLIENT_ID" in line


def test_config_file_is_read_and_flags_win(
    finapi: Any, emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings come from the config file; the environment and flags override it."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'client_id = "{DEMO_CLIENT_ID}"\n'
        'client_secret = "wrong-in-file"\n'
        f'access_url = "{emu.access_url}"\n'
        f'webform_url = "{emu.webform_url}"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    from_file = finapi("--config", str(config), "token")
    monkeypatch.setenv("FINAPI_CLIENT_SECRET", "wrong-in-env")
    from_env = finapi("--config", str(config), "token")
    from finapi.emulator import DEMO_CLIENT_SECRET

    from_flag = finapi(
        "--config", str(config), "--client-secret", DEMO_CLIENT_SECRET, "token"
    )

    assert from_file.status == 1
    assert "invalid_client" in from_file.err
    assert from_env.status == 1
    assert "invalid_client" in from_env.err
    assert from_flag.status == 0, from_flag.err
    assert "wrong-in" not in from_file.err + from_env.err


def test_config_file_from_env_var_and_default_place(
    finapi: Any, emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FINAPI_CONFIG names the file; without it the XDG default place is read."""
    from finapi.emulator import DEMO_CLIENT_SECRET

    text = (
        f'client_id = "{DEMO_CLIENT_ID}"\nclient_secret = "{DEMO_CLIENT_SECRET}"\n'
        f'access_url = "{emu.access_url}"\nwebform_url = "{emu.webform_url}"\n'
    )
    default = tmp_path / "xdg" / "finapi" / "config.toml"
    default.parent.mkdir(parents=True)
    default.write_text(text, encoding="utf-8")
    default.chmod(0o600)
    from_default = finapi("token", "--json")
    named = tmp_path / "named.toml"
    named.write_text(text.replace(DEMO_CLIENT_SECRET, "wrong"), encoding="utf-8")
    named.chmod(0o600)
    monkeypatch.setenv("FINAPI_CONFIG", str(named))
    from_named = finapi("token")

    assert from_default.status == 0, from_default.err
    assert from_default.json()["client_id"] == DEMO_CLIENT_ID
    assert from_named.status == 1
    assert "invalid_client" in from_named.err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('password = "x"\n', "password does not belong"),
        ('colour = "blue"\n', "unknown key 'colour'"),
        ("client_id = \n", "not valid TOML"),
        ('timeout = "soon"\n', "timeout must be a number"),
    ],
)
def test_bad_config_file(finapi: Any, tmp_path: Path, text: str, expected: str) -> None:
    """A config file with a password, an unknown key, bad TOML or a bad value is refused."""
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    result = finapi("--config", str(config), "token")

    assert result.status == 2
    assert expected in _one_line_error(result)


def test_missing_config_file(finapi: Any, tmp_path: Path) -> None:
    """A config file named but missing is an error naming it."""
    result = finapi("--config", str(tmp_path / "none.toml"), "token")

    assert result.status == 2
    assert "does not exist" in _one_line_error(result)


def test_world_readable_config_with_secret_warns(
    finapi: Any, emu: Emulator, tmp_path: Path
) -> None:
    """A config file with a client secret that others may read draws a warning."""
    from finapi.emulator import DEMO_CLIENT_SECRET

    config = tmp_path / "open.toml"
    config.write_text(
        f'client_id = "{DEMO_CLIENT_ID}"\nclient_secret = "{DEMO_CLIENT_SECRET}"\n'
        f'access_url = "{emu.access_url}"\nwebform_url = "{emu.webform_url}"\n',
        encoding="utf-8",
    )
    config.chmod(0o644)
    result = finapi("--config", str(config), "token")

    assert result.status == 0
    assert "chmod 600" in result.err
    assert DEMO_CLIENT_SECRET not in result.err


# -- real processes ------------------------------------------------------------------


def _script(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    assert FINAPI_SCRIPT.exists(), "the finapi console script is not installed"
    return subprocess.run(
        [str(FINAPI_SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_console_script_runs_and_fails_cleanly(emu_env: dict[str, str]) -> None:
    """The installed `finapi` script works, and a failure has no traceback."""
    import os

    good = _script("token", "--json", env=dict(os.environ))
    bad = _script(
        "webform",
        "get",
        "x",
        "--user",
        "ghost",
        "--password",
        "x",
        env=dict(os.environ),
    )

    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["principal"] == "client"
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_unreachable_server_is_one_line_after_the_retries() -> None:
    """Retries of a refused connection print nothing of their own: one line, exit 1."""
    import os
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINAPI_")} | {
        "FINAPI_CLIENT_ID": "someone",
        "FINAPI_CLIENT_SECRET": "not-a-secret",
    }

    url = f"http://127.0.0.1:{port}"
    result = _script("--access-url", url, "--webform-url", url, "token", env=env)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "stamina" not in result.stderr
    assert f"no answer from {url}: ConnectError" in result.stderr


def test_finapi_emulator_serves(tmp_path: Path) -> None:
    """`finapi emulator --port 0` runs the emulator; `finapi token` works against it."""
    import os

    assert FINAPI_SCRIPT.exists()
    process = subprocess.Popen(
        [str(FINAPI_SCRIPT), "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first
        url = first.split("listening on ", 1)[1].strip()
        from finapi.emulator import DEMO_CLIENT_SECRET

        env = {
            **os.environ,
            "FINAPI_CLIENT_ID": DEMO_CLIENT_ID,
            "FINAPI_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "FINAPI_ACCESS_URL": url,
            "FINAPI_WEBFORM_URL": url + "/webform",
        }
        result = _script("token", "--json", env=env)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["expires_in"] > 3000


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--port", "abc"), "argument --port: invalid int value: 'abc'"),
        (("--port", "70000"), "--port must be between 0 and 65535, got 70000"),
        (("--no-such-flag",), "unrecognized arguments: --no-such-flag"),
    ],
    ids=["port-not-a-number", "port-out-of-range", "unknown-flag"],
)
def test_finapi_emulator_bad_flags_are_one_line(
    args: tuple[str, ...], named: str
) -> None:
    """A malformed emulator flag is one line naming it and the command, exit 2."""
    result = _script("emulator", *args, timeout=30)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("finapi emulator: error: ")
    assert named in lines[0]
    assert result.stdout == ""


def test_finapi_emulator_passes_options_through(finapi: Any) -> None:
    """`finapi emulator --coverage` is the emulator's own option."""
    result = finapi("emulator", "--coverage")

    assert result.status == 0
    assert "operations implemented" in result.out


def test_import_finapi_does_not_import_the_cli() -> None:
    """`import finapi` stays cheap: the command line and the demo are not imported.

    (httpx itself imports click and rich when they are installed, for its own
    command line, so their presence says nothing about ours.)
    """
    ours = ("finapi._cli", "finapi._cli_config", "finapi._cli_output", "finapi._demo")
    code = f"import sys, finapi; print(sorted(m for m in {ours!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(sys.platform != "linux", reason="uses a Linux pseudo-terminal")
def test_password_prompt_does_not_echo(
    emu_env: dict[str, str], user_id: str, finapi: Any
) -> None:
    """In a terminal the password is asked for, and what is typed is not echoed."""
    import fcntl
    import os
    import pty
    import select
    import termios
    import time

    _create(finapi, user_id)
    leader, follower = pty.openpty()

    def become_terminal_owner() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [str(FINAPI_SCRIPT), "token", "--user", user_id],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=dict(os.environ),
        preexec_fn=become_terminal_owner,  # noqa: PLW1509 - a fresh session owning the pty
        close_fds=True,
    )
    os.close(follower)
    seen = b""
    sent = False
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if not sent and b"Password" in seen:
                os.write(leader, PASSWORD.encode() + b"\n")
                sent = True
            if process.poll() is not None and not ready:
                break
        process.wait(timeout=10)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()

    text = seen.decode(errors="replace")
    assert sent, text
    assert process.returncode == 0, text
    assert "user" in text
    assert user_id in text
    assert PASSWORD not in text
