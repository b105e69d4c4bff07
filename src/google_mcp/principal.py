"""Who is calling — what every pending action, record entry, conversation and subscription belongs to."""

from __future__ import annotations

import functools
import getpass


def current_principal() -> str:
    """The signed-in person (OAuth), the bearer token's principal, or the local user."""
    from mcp.server.auth.middleware.auth_context import get_access_token

    token = get_access_token()
    if token is not None:
        return "person:" + token.subject if token.subject else token.client_id
    return local_principal()


def current_client() -> str | None:
    """The OAuth client the call came through (its client_id), if any: the approval page names it."""
    from mcp.server.auth.middleware.auth_context import get_access_token

    token = get_access_token()
    return token.client_id if token is not None else None


@functools.cache  # the process's user does not change; looking it up was a passwd read on every call
def local_principal() -> str:
    try:
        return "local:" + getpass.getuser()
    except (KeyError, OSError):
        return "local:unknown"
