"""Slack and SMS on a server many people use.

They run on this server's one Slack bot token and one Twilio account: whoever uses them reads what the bot
and the number can read, and posts and texts as them. So on a shared server only the operators named in
GOOGLE_MCP_CHANNEL_OPERATORS (Google accounts) may use them, and everyone else is refused before any request
reaches Slack or Twilio; with no operator named, the tools are not offered at all. A person counts as an
operator when a Google account they signed in with, or linked, is named: both took that account's password
at Google. A single-person server is its operator's own and is not limited.
"""

from __future__ import annotations

from google_mcp.errors import PermissionDenied
from google_mcp.state import AppState, acting_person

WHAT = {
    "slack": ("Slack", "Slack bot"),
    "sms": ("SMS", "Twilio account"),
}


def operator_account(state: AppState) -> str | None:
    """The named operator account of the person being served; None when they are not an operator."""
    person = acting_person()
    if person is None or state.people is None:
        return None  # nobody signed in is served here (a shared server has no local user to trust)
    operators = set(state.settings.channel_operators)
    try:
        linked = state.people.active(person)
    except KeyError:
        return None
    return next((email for email in linked.accounts if email.lower() in operators), None)


def require_operator(state: AppState, group: str) -> None:
    """Refuse a Slack or SMS call from anyone but a named operator (on a server many people use)."""
    if not state.settings.oauth or operator_account(state) is not None:
        return
    name, account = WHAT.get(group, (group, group))
    raise PermissionDenied(
        f"{name} on this server runs on its operator's {account}, so only the operators this server names may "
        f"use it, and you are not one of them. Nothing was sent to {name}. Ask the server's operator to do it, "
        "or to add your Google account to GOOGLE_MCP_CHANNEL_OPERATORS."
    )
