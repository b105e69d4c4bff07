"""The approval card served as a page of ours (/approve/{id}): the same HTML, CSS and card script as the view,
under a CSP header that admits only those scripts (by hash), never framed, never cached. Without script the
page still shows the preview and the form."""

from __future__ import annotations

import html
from typing import Any

from starlette.responses import HTMLResponse

from google_mcp.views.card import CardState
from google_mcp.views.resources import CARD, csp, document

HEADERS = {
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # no-referrer would send "Origin: null" on our own form posts
    "X-Content-Type-Options": "nosniff",
}
TITLES = {
    "waiting": "Approve this action?",
    "done": "Done",
    "declined": "Declined",
    "cancelled": "Cancelled",
    "missing": "Nothing to approve",
    "expired": "Nothing to approve",
    "scheduled": "Approved, goes later",
    "failed": "Not done",
}


def _fallback(card: CardState, form: dict[str, str] | None) -> str:
    """The page without script: the preview as text, and the form."""
    preview = card.preview or {}
    parts = [f"<h1>{html.escape(TITLES.get(card.state, card.state))}</h1>"]
    if preview:
        parts.append(f"<p><strong>{html.escape(str(preview.get('action', '')))}</strong>: ")
        parts.append(f"{html.escape(str(preview.get('summary', '')))}</p>")
        details = "\n".join(str(d) for d in preview.get("details") or [])
        if details:
            parts.append(f'<pre class="box">{html.escape(details)}</pre>')
    if card.state != "waiting":
        parts.append(f"<p>{html.escape(card.outcome or card.message)}</p>")
    elif form is not None:
        parts.append(
            f'<form method="post" action="{html.escape(form["action"])}" class="actions">'
            f'<input type=hidden name=csrf value="{html.escape(form["csrf"])}">'
            '<button name=decision value=approve type=submit class="primary">Approve</button>'
            "<button name=decision value=decline type=submit>Decline</button></form>"
        )
    return "".join(parts)


def card_page(
    card: CardState, *, status: int = 200, client: str | None = None, form: dict[str, str] | None = None
) -> HTMLResponse:
    """`form`: {"action": "/approve/ID", "csrf": token} while it waits; `client`: who asked, as the page names it."""
    data: dict[str, Any] = {"card": card.dump(), "client": client, "form": form if card.state == "waiting" else None}
    doc = document(CARD, data=data, page=True, csp_meta=False, fallback=_fallback(card, data["form"]))
    title = TITLES.get(card.state, card.state.capitalize())
    text = doc.html.replace(f"<title>{html.escape(CARD.title)}</title>", f"<title>{html.escape(title)}</title>", 1)
    policy = csp(doc.script_hashes).replace("form-action 'none'", "form-action 'self'") + "; frame-ancestors 'none'"
    return HTMLResponse(text, status_code=status, headers={**HEADERS, "Content-Security-Policy": policy})
