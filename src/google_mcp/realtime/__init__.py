"""Mail and calendars as MCP resources (read now; subscriptions, pushes and watches are issue 13's rest)."""
