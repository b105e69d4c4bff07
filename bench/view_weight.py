"""Each MCP Apps view's weight: its whole document as a host receives it (resources/read), in bytes, and
gzipped (what a transport that compresses carries).

python bench/view_weight.py
"""

from __future__ import annotations

import gzip
import json

from google_mcp.views.resources import VIEWS, document


def main() -> None:
    weights = {}
    for view in VIEWS.values():
        html = document(view).html.encode()
        weights[view.uri] = {"bytes": len(html), "gzip_bytes": len(gzip.compress(html, 9))}
    print(json.dumps(weights, indent=1))


if __name__ == "__main__":
    main()
