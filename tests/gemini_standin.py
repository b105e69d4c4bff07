"""A local stand-in for the Gemini API: it speaks generateContent as google-genai sends it and answers
from a script, recording every request (path, headers, body)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from google_mcp.serving import serve_announced

Script = Callable[[dict[str, Any], int], "tuple[int, dict[str, Any]] | dict[str, Any]"]


def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return _answer([{"functionCall": {"name": name, "args": args}}])


def text(answer: str) -> dict[str, Any]:
    return _answer([{"text": answer}])


def _answer(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
        "modelVersion": "gemini-stand-in",
    }


def error(code: int, status: str, message: str) -> tuple[int, dict[str, Any]]:
    return code, {"error": {"code": code, "message": message, "status": status}}


def function_responses(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        p["functionResponse"] for c in body.get("contents", []) for p in c.get("parts", []) if "functionResponse" in p
    ]


def last_user_text(body: dict[str, Any]) -> str:
    for content in reversed(body.get("contents", [])):
        for part in content.get("parts", []):
            if "text" in part and content.get("role") == "user":
                return str(part["text"])
    return ""


class GeminiStandIn:
    def __init__(self, script: Script, delay: float = 0.0) -> None:
        self.script = script
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self.url = ""

        async def generate(request: Request) -> JSONResponse:
            body = json.loads(await request.body())
            self.requests.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
            if self.delay:
                await asyncio.sleep(self.delay)
            out = self.script(body, len(self.requests))
            status, payload = out if isinstance(out, tuple) else (200, out)
            return JSONResponse(payload, status_code=status)

        app = Starlette(routes=[Route("/{version}/models/{rest:path}", generate, methods=["POST"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        )
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        anyio.run(serve_announced, self._server, self._bound)

    def _bound(self, url: str) -> None:
        self.url = url
        self._ready.set()

    def __enter__(self) -> GeminiStandIn:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(5)
