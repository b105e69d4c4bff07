"""What each MCP Apps view weighs as a host receives it (one inline HTML document), whole and gzipped, and
its parts; and the approval page built from the same set.

python bench/views.py
"""

from __future__ import annotations

import gzip
import json

from google_mcp.views.card import CardState
from google_mcp.views.pages import card_page
from google_mcp.views.resources import SHARED_CSS, SHARED_JS, VIEWS, asset, document


def main() -> None:
    views = {}
    for view in VIEWS.values():
        html = document(view).html.encode()
        views[view.uri] = {
            "bytes": len(html),
            "gzip_bytes": len(gzip.compress(html, 9)),
            "own_script_bytes": sum(len(asset(n).encode()) for n in view.scripts),
            "own_style_bytes": sum(len(asset(n).encode()) for n in view.styles),
        }
    waiting = CardState(confirmation_id="x" * 32, state="waiting", message="", preview={"action": "a", "summary": "b"})
    page = bytes(card_page(waiting, form={"action": "/approve/x", "csrf": "y" * 43}).body)
    print(
        json.dumps(
            {
                "views": views,
                "shared_style_bytes": sum(len(asset(n).encode()) for n in SHARED_CSS),
                "shared_bridge_bytes": sum(len(asset(n).encode()) for n in SHARED_JS),
                "approval_page_bytes_without_the_action": len(page),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
