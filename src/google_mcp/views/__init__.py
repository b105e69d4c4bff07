"""MCP Apps views (the approval card, and more) and the pages built from the same HTML and CSS."""
