"""The views' HTML: one stylesheet and one bridge shared by every view, each view's own script, all inline
(a host renders a view in an iframe whose CSP lets nothing be fetched). No build step: the files under
assets/ are what ships.

A view is `ui://google-mcp/<name>`, served as `text/html;profile=mcp-app`. Its document carries its own CSP
as well (scripts only by hash, nothing fetched), so a host that applies none still gets one.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

EXTENSION = "io.modelcontextprotocol/ui"  # MCP Apps, protocol 2026-01-26
MIME = "text/html;profile=mcp-app"
ASSETS = Path(__file__).parent / "assets"
SHARED_CSS = ("base.css",)
SHARED_JS = ("bridge.js",)


@dataclass(frozen=True)
class View:
    name: str
    title: str
    scripts: tuple[str, ...]  # assets/ files, after bridge.js
    styles: tuple[str, ...] = ()  # assets/ files, after base.css

    @property
    def uri(self) -> str:
        return f"ui://google-mcp/{self.name}"


VIEWS: dict[str, View] = {}


def view(name: str, title: str, *scripts: str, styles: tuple[str, ...] = ()) -> View:
    made = VIEWS[name] = View(name, title, scripts, styles)
    return made


CARD = view("card", "Approval card", "card.js", styles=("card.css",))

# Read tools that show a view, by tool name (every held write shows the card: see `view_of`).
TOOL_VIEWS: dict[str, str] = {}


@cache
def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def script_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def json_script(element_id: str, data: object) -> str:
    """Data for a script to read, inert: a JSON <script> whose text cannot close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


@dataclass(frozen=True)
class Document:
    html: str
    script_hashes: tuple[str, ...]  # for a CSP header (the approval page)


def csp(script_hashes: tuple[str, ...]) -> str:
    """The policy a view lives under: scripts only our own (by hash), inline styles, images only data: (a mail's
    remote images and CSS url()s fetch nothing), no forms, no connections, no base."""
    return (
        f"default-src 'none'; script-src {' '.join(script_hashes)}; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'none'; base-uri 'none'"
    )


def document(
    v: View, *, data: dict[str, object] | None = None, page: bool = False, csp_meta: bool = True, fallback: str = ""
) -> Document:
    """A view's whole HTML. `data`: state for the script, inline (the approval page; a host view gets its data
    from the host instead). `page`: served as a page of ours rather than in a host's frame (its CSP then comes
    as a header: `csp_meta=False`). `fallback`: HTML shown until the script renders (or without script)."""
    style = "\n".join(asset(n) for n in (*SHARED_CSS, *v.styles))
    scripts = [asset(n) for n in (*SHARED_JS, *v.scripts)]
    hashes = tuple(script_hash(s) for s in scripts)
    head = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ]
    if csp_meta:
        head.append(f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp(hashes))}">')
    head += [f"<title>{html.escape(v.title)}</title>", f"<style>{style}</style></head>"]
    body = [f'<body class="{"page" if page else "view"}"><main id="app" aria-live="polite">{fallback}</main>']
    if data is not None:
        body.append(json_script("state", data))
    body += [f"<script>{s}</script>" for s in scripts]
    body.append("</body></html>")
    return Document("".join(head) + "\n" + "".join(body), hashes)


def sizes() -> dict[str, int]:
    """Each view's weight as a host receives it, in bytes."""
    return {v.uri: len(document(v).html.encode()) for v in VIEWS.values()}
