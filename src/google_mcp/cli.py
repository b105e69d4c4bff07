"""The `google-mcp` command. Imports stay inside each command so that start-up is fast."""

from __future__ import annotations

import argparse
import io
import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google_mcp.settings import Settings


def _sandbox(args: argparse.Namespace) -> int:
    from google_mcp.sandbox import serve

    where = f"http://{args.host}:{args.port}"
    print(
        f"google-mcp sandbox: seed={args.seed}, latency={args.latency_ms} ms; "
        f"credentials at {where}/_sandbox/credentials",
        file=sys.stderr,
    )
    serve(host=args.host, port=args.port, seed=args.seed, latency_ms=args.latency_ms)
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    from google_mcp.settings import TOOL_GROUPS, Settings

    overrides = {
        key: value
        for key, value in {
            "transport": getattr(args, "transport", None),
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
            "sandbox": True if getattr(args, "sandbox", False) else None,
            "sandbox_url": getattr(args, "sandbox_url", None),
            "read_only": True if getattr(args, "read_only", False) else None,
            "token_file": getattr(args, "token_file", None),
            "tools": getattr(args, "tools", None),
        }.items()
        if value is not None
    }
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        groups = ", ".join(TOOL_GROUPS)
        raise SystemExit(f"error: bad configuration ({problems}). Tool groups are {groups}.") from None


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from google_mcp.server import build_server

    server = build_server(settings)
    if settings.transport == "stdio":
        server.run()
        return 0
    import anyio

    from google_mcp.http import serve_http

    anyio.run(serve_http, server, server.state, settings, settings.transport)
    return 0


def _auth(args: argparse.Namespace) -> int:
    from google_mcp.auth import run_auth_flow
    from google_mcp.errors import GoogleMCPError

    settings = _settings(args)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # the sign-in URL must show before we wait for it
    try:
        path = run_auth_flow(settings, sandbox_url=settings.sandbox_url, open_browser=not args.no_browser)
    except GoogleMCPError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Signed in. Token saved to {path} (readable by you only).")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from google_mcp.doctor import checks

    results = checks(_settings(args))
    for ok, line in results:
        print(("ok    " if ok else "FIX   ") + line)
    return 0 if all(ok for ok, _ in results) else 1


def _approve(args: argparse.Namespace) -> int:
    """The person's own channel: show a pending action's preview in the terminal and decide it."""
    import json
    import urllib.error
    import urllib.request

    from google_mcp.approval import HEADER, approval_key

    settings = _settings(args)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    base = (args.url or f"http://{host}:{settings.port}").rstrip("/")
    if not base.startswith(("http://", "https://")):
        print("error: --url must be an http(s) URL", file=sys.stderr)
        return 2
    headers = {HEADER: approval_key(settings)}
    token = args.token or next(iter(settings.bearer_tokens()), None)
    if token:
        headers["Authorization"] = f"Bearer {token}"

    def request(method: str, path: str) -> tuple[int, dict[str, object]]:
        req = urllib.request.Request(base + path, method=method, headers=headers)  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
        except OSError as exc:
            return 0, {"error": f"google-mcp is not reachable at {base} ({exc}); pass --url"}

    status, shown = request("GET", f"/confirm/{args.confirmation_id}")
    if status != 200:
        print(f"error: {shown.get('error', status)}", file=sys.stderr)
        return 2
    preview = shown.get("preview") or {}
    assert isinstance(preview, dict)
    print(f"{preview.get('action')}: {preview.get('summary')}")
    for line in preview.get("details") or []:
        print("  " + str(line).replace("\n", "\n  | "))
    if args.decline:
        confirmed = False
    elif args.yes:
        confirmed = True
    else:
        confirmed = input("Approve? [y/N] ").strip().lower() in ("y", "yes")
    status, outcome = request("POST", f"/confirm/{args.confirmation_id}?confirmed={str(confirmed).lower()}")
    if status != 200:
        print(f"error: {outcome.get('error', status)}", file=sys.stderr)
        return 2
    print(f"{outcome.get('status')}: {outcome.get('message')}")
    return 0 if outcome.get("status") in ("done", "declined") else 1


def _log(args: argparse.Namespace) -> int:
    import json

    import anyio

    from google_mcp.principal import local_principal
    from google_mcp.record import RecordUnavailable, open_journal
    from google_mcp.tools.record import utc_since

    settings = _settings(args)
    if settings.log == "off":
        print("error: the record is off (GOOGLE_MCP_LOG=off)", file=sys.stderr)
        return 2
    journal = open_journal(settings)
    principal = args.principal or local_principal()

    async def read() -> list[dict[str, object]]:
        try:
            return await journal.actions(
                principal,
                tool=args.tool,
                status=args.status,
                since=utc_since(args.since),
                conversation=args.conversation,
                limit=args.limit,
            )
        finally:
            await journal.close()

    try:
        entries = anyio.run(read)
    except RecordUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    for e in reversed(entries):  # oldest first, as a log reads
        who = f" by {e['approved_by']}" if e.get("approved_by") else ""
        cid = f" [{e['confirmation_id']}]" if e.get("confirmation_id") else ""
        print(f"{e['timestamp']}  {e['action']}  {e['step']}: {e['status']}{who}{cid}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="google-mcp", description="Gmail and Google Calendar for MCP hosts.")
    parser.add_argument(
        "--log-level", help="logging level, logs go to stderr (default GOOGLE_MCP_LOG_LEVEL or WARNING)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sandbox = sub.add_parser("sandbox", help="serve the local stand-in for Gmail and Calendar")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--seed", choices=["default", "empty"], default="default")
    sandbox.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    sandbox.set_defaults(func=_sandbox)

    serve = sub.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--transport", choices=["stdio", "sse", "http"])
    serve.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8000; 0 picks a free one)")
    where = serve.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="use an in-process sandbox: no Google account")
    where.add_argument("--sandbox-url", help="use a sandbox running at this URL (google-mcp sandbox)")
    serve.add_argument("--read-only", action="store_true", help="register no tools that change anything")
    serve.add_argument("--tools", help="tool groups to register, e.g. gmail,calendar (default: all)")
    serve.set_defaults(func=_serve)

    auth = sub.add_parser("auth", help="sign in to Google and store the token (mode 0600)")
    auth.add_argument("--read-only", action="store_true", help="ask for read scopes only")
    auth.add_argument("--no-browser", action="store_true", help="print the URL instead of opening a browser")
    auth.add_argument("--sandbox-url", help="sign in to a sandbox instead of Google")
    auth.add_argument("--token-file", help="where to store the token")
    auth.add_argument("--tools", help="ask only for the scopes of these tool groups, e.g. calendar")
    auth.set_defaults(func=_auth)

    approve = sub.add_parser("approve", help="see a pending action's preview and approve or decline it")
    approve.add_argument("confirmation_id", help="as the tool gave it (after `--` if it begins with a dash)")
    decide = approve.add_mutually_exclusive_group()
    decide.add_argument("--yes", action="store_true", help="approve without asking")
    decide.add_argument("--decline", action="store_true", help="decline it (or undo an approved send still held)")
    approve.add_argument("--url", help="the server (default http://GOOGLE_MCP_HOST:GOOGLE_MCP_PORT)")
    approve.add_argument("--token", help="bearer token (default: the first of GOOGLE_MCP_AUTH_TOKEN)")
    approve.set_defaults(func=_approve)

    log = sub.add_parser("log", help="what was done on your behalf: the activity record")
    log.add_argument("--since", help="ISO 8601 date or time")
    log.add_argument("--tool", help="e.g. gmail_send")
    log.add_argument("--status", help="e.g. done, failed")
    log.add_argument("--conversation", help="one conversation's entries")
    log.add_argument("--principal", help="whose record (default: the local user; HTTP callers: their token's)")
    log.add_argument("--limit", type=int, default=100)
    log.add_argument("--json", action="store_true", help="as JSON")
    log.set_defaults(func=_log)

    doctor = sub.add_parser("doctor", help="check the configuration and say what to fix")
    doctor.add_argument("--sandbox-url")
    doctor.set_defaults(func=_doctor)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    level = args.log_level
    if level is None:
        from google_mcp.settings import Settings

        level = Settings().log_level
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    sys.exit(args.func(args))
