"""The `google-mcp` command. Imports stay inside each command so that start-up is fast."""

from __future__ import annotations

import argparse
import logging
import sys


def _sandbox(args: argparse.Namespace) -> int:
    from google_mcp.sandbox import serve

    where = f"http://{args.host}:{args.port}"
    print(f"google-mcp sandbox on {where} (seed={args.seed}, latency={args.latency_ms} ms)", file=sys.stderr)
    print(f"credentials: {where}/_sandbox/credentials", file=sys.stderr)
    serve(host=args.host, port=args.port, seed=args.seed, latency_ms=args.latency_ms)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="google-mcp", description="Gmail and Google Calendar for MCP hosts."
    )
    parser.add_argument("--log-level", default="WARNING", help="logging level (logs go to stderr)")
    sub = parser.add_subparsers(dest="command", required=True)

    sandbox = sub.add_parser("sandbox", help="serve the local stand-in for Gmail and Calendar")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--seed", choices=["default", "empty"], default="default")
    sandbox.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    sandbox.set_defaults(func=_sandbox)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    sys.exit(args.func(args))
