"""What the SDK's token and revocation endpoints do not do, done before they see the request:

- `/token` with a `resource` other than this server's /mcp answers `invalid_target` (RFC 8707 §2.2); the
  SDK ignores the parameter and would issue a /mcp token anyway.
- A client authenticating with HTTP Basic (client_secret_basic) need not repeat its client_id in the form
  (RFC 6749 §2.3.1); the SDK's authenticator requires it, so it is copied from the header.
- `/authorize` sends the browser nowhere but on to our sign-in: an error the SDK would redirect to the
  client's redirect URI (RFC 6749 §4.1.2.1) is shown to the person instead, because no person has yet
  allowed that URI (it may be a stranger's, who would learn that and when the link was opened).
"""

from __future__ import annotations

import base64
import binascii
import html
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from google_mcp.limits import replay
from google_mcp.people.pages import page

MAX_FORM = 64 * 1024  # a token request is a few hundred bytes


def _basic_client_id(authorization: str) -> str | None:
    if not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, _ = decoded.partition(":")
    return unquote(client_id) if colon and client_id else None


class FrontDoor:
    def __init__(self, app: ASGIApp, resource: str, metadata: ASGIApp | None = None) -> None:
        self.app, self.resource, self.metadata = app, resource.rstrip("/"), metadata

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if self.metadata is not None and path == "/.well-known/oauth-authorization-server":
            await self.metadata(scope, receive, send)
        elif path in ("/token", "/revoke") and scope.get("method") == "POST":
            await self._form(scope, receive, send, path)
        elif path == "/authorize":
            await self.app(scope, receive, self._only_to_us(scope, send))
        else:
            await self.app(scope, receive, send)

    def _only_to_us(self, scope: Scope, send: Send) -> Send:
        ours = self.resource.removesuffix("/mcp") + "/oauth/begin?"
        held: list[Message] = []

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                location = Headers(raw=message.get("headers", [])).get("location")
                if location is not None and not location.startswith(ours):
                    held.append(message)  # this redirect is replaced by a page
                    return
            elif held:
                if not message.get("more_body"):
                    location = Headers(raw=held[0].get("headers", [])).get("location", "")
                    await _refused(location)(scope, _nothing, send)
                return
            await send(message)

        return sending

    async def _form(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_FORM:
                await JSONResponse({"error": "invalid_request"}, status_code=413)(scope, receive, send)
                return
            if not message.get("more_body"):
                break
        headers = Headers(scope=scope)
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            answer = JSONResponse(
                {"error": "invalid_request", "error_description": "Send application/x-www-form-urlencoded."},
                status_code=400,
            )
            await answer(scope, receive, send)
            return
        form = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        names = {k for k, _ in form}
        resources = [v for k, v in form if k == "resource"]
        if path == "/token" and any(r.rstrip("/") != self.resource for r in resources):
            answer = JSONResponse(
                {"error": "invalid_target", "error_description": f"This server issues tokens for {self.resource}."},
                status_code=400,
                headers={"Cache-Control": "no-store"},
            )
            await answer(scope, receive, send)
            return
        client_id = _basic_client_id(headers.get("authorization", ""))
        if "client_id" not in names and client_id is not None:
            body = (body + b"&" if body else b"") + urlencode({"client_id": client_id}).encode()
            kept = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
            scope = {**scope, "headers": [*kept, (b"content-length", str(len(body)).encode())]}
        await self.app(scope, replay(body, receive), send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def _refused(location: str) -> Response:
    query = parse_qs(urlsplit(location).query)
    error = html.escape(query.get("error", ["invalid_request"])[0])
    said = html.escape(query.get("error_description", [""])[0])
    text = (
        f"<p>Your MCP client asked for something this server does not give (<code>{error}</code>: {said}). "
        "Nothing was sent to it; start again from your MCP client.</p>"
    )
    return page("This sign-in cannot start", text, 400)


def front_door(app: ASGIApp, resource: str, metadata: Any = None) -> ASGIApp:
    return FrontDoor(app, resource, metadata)
