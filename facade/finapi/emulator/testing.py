"""Helpers for test suites that drive the emulator (pytest not required)."""

from __future__ import annotations

from typing import Any

import httpx

from ._core import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

__all__ = ["bearer", "get_token"]


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header carrying an access token.

    Args:
        token: The access token.

    Returns:
        The header as a dict.
    """
    return {"Authorization": f"Bearer {token}"}


def get_token(
    client: httpx.Client,
    grant_type: str = "client_credentials",
    *,
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    **form: str,
) -> dict[str, Any]:
    """Ask the emulator's token endpoint for a token.

    Args:
        client: An httpx client whose base URL is the emulator's Access URL.
        grant_type: The grant.
        client_id: The client id.
        client_secret: The client secret.
        **form: More form fields (``username``, ``password``, ``refresh_token``).

    Returns:
        The token response body.

    Raises:
        AssertionError: The emulator did not answer 200.
    """
    data = {
        "grant_type": grant_type,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    data.update(form)
    response = client.post("/oauth/token", data=data)
    if response.status_code != 200:
        msg = f"token request failed with {response.status_code}: {response.text[:200]}"
        raise AssertionError(msg)
    return dict(response.json())
