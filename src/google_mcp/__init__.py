"""google-mcp: Gmail and Google Calendar for MCP hosts, with a confirmation gate and a local sandbox."""

__version__ = "0.1.0"
