"""The look and the headers of our own pages (approval, consent, authorized clients): never framed, never
cached, no script, forms only back to us (and, for the consent page, on to the client it names)."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # no-referrer would send "Origin: null" on our own form posts
    "X-Content-Type-Options": "nosniff",
}
STYLE = (
    "body{font:16px/1.45 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;overflow-wrap:anywhere}"
    "pre{white-space:pre-wrap;background:#f6f6f6;padding:.75rem;border-radius:6px}"
    "button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.75rem;min-height:44px}"
    "dt{font-weight:600}dd{margin:0 0 .5rem 0}"
)


def page(title: str, body: str, status: int = 200, form_to: str | None = None) -> HTMLResponse:
    """`body` is HTML (escape what goes in). `form_to`: an origin the page's form may end up at (a browser
    checks form-action against the redirect that answers the post, too)."""
    text = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style><h1>{html.escape(title)}</h1>{body}</html>"
    )
    headers = dict(HEADERS)
    if form_to:
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            "form-action 'self'", f"form-action 'self' {form_to}"
        )
    return HTMLResponse(text, status_code=status, headers=headers)
