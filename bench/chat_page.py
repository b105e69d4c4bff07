"""What the /chat page weighs as a browser receives it (one HTML document: the views' base.css, card.css,
bridge.js and card.js, and its own chat.css, chat.js), whole and gzipped.

python bench/chat_page.py
"""

from __future__ import annotations

import gzip
import json

from google_mcp.views.chat import SCRIPTS, STYLES, render
from google_mcp.views.resources import asset


def main() -> None:
    page = bytes(render("session", "y" * 43, "alex.morgan@example.com").body)
    print(
        json.dumps(
            {
                "chat_page_bytes": len(page),
                "chat_page_gzip_bytes": len(gzip.compress(page, 9)),
                "own_script_bytes": len(asset("chat.js").encode()),
                "own_style_bytes": len(asset("chat.css").encode()),
                "shared_bytes": sum(len(asset(n).encode()) for n in (*SCRIPTS, *STYLES) if not n.startswith("chat.")),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
