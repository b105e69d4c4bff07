"""The HTTP server's edges, against the real `google-mcp serve --transport http` process: sessions per
caller, unused sessions closed, request heads and bodies that stall, bodies too large, Host and Origin
that only share a prefix with ours, CORS; and Nagle off on every accepted connection (in process, where
the server's own socket can be asked)."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_helpers import call
from served import Served

pytestmark = pytest.mark.anyio

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def served(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("limits")
    server = Served.http(
        sandbox.url,
        GOOGLE_MCP_TOKEN_FILE=str(home / "token.json"),
        GOOGLE_MCP_AUTH_TOKEN="tokA,tokB,tokC",
        GOOGLE_MCP_MAX_SESSIONS_PER_PRINCIPAL="3",
        GOOGLE_MCP_SESSION_UNUSED_TIMEOUT="1",
        GOOGLE_MCP_HTTP_HEADER_TIMEOUT="1",
        GOOGLE_MCP_HTTP_BODY_TIMEOUT="1.5",
        GOOGLE_MCP_CORS_ORIGINS="https://front.example",
        GOOGLE_MCP_GEMINI_API_KEY="k",  # the router on, so that /chat reads its body (never reached here)
        GOOGLE_MCP_GEMINI_BASE_URL="http://127.0.0.1:9",
    )
    yield server
    server.stop()


def _bearer(token: str) -> dict[str, str]:
    return {**ACCEPT, "Authorization": f"Bearer {token}"}


async def _open(http: httpx2.AsyncClient, url: str, token: str, use: bool = True) -> httpx2.Response:
    """Initialize a session; `use` it once more (the initialized notification) unless told not to."""
    response = await http.post(url + "/mcp", json=INIT, headers=_bearer(token))
    if use and response.status_code == 200:
        headers = {**_bearer(token), "Mcp-Session-Id": response.headers["mcp-session-id"]}
        headers["Mcp-Protocol-Version"] = "2025-06-18"
        note = await http.post(
            url + "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
        )
        assert note.status_code == 202
    return response


async def _ping(http: httpx2.AsyncClient, url: str, token: str, session: str) -> int:
    headers = {**_bearer(token), "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-06-18"}
    return (
        await http.post(url + "/mcp", json={"jsonrpc": "2.0", "id": 7, "method": "ping"}, headers=headers)
    ).status_code


async def test_a_caller_at_its_session_cap_is_told_and_another_still_opens_one(served: Served) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        sessions = [(await _open(http, served.url, "tokA")).headers["mcp-session-id"] for _ in range(3)]
        refused = await _open(http, served.url, "tokA")
        assert refused.status_code == 429
        message = refused.json()["error"]["message"]
        assert "GOOGLE_MCP_MAX_SESSIONS_PER_PRINCIPAL" in message and "DELETE /mcp" in message
        # the other token is not affected: a whole client session, and a tool call in it
        auth = httpx2.AsyncClient(headers={"Authorization": "Bearer tokB"}, timeout=10)
        async with auth, Client(streamable_http_client(served.url + "/mcp", http_client=auth), mode="legacy") as b:  # type: ignore[arg-type]
            assert "actions" in await call(b, "list_pending_actions", {})
        # ending one frees its place
        deleted = await http.delete(served.url + "/mcp", headers={**_bearer("tokA"), "Mcp-Session-Id": sessions[0]})
        assert deleted.status_code == 200
        again = await _open(http, served.url, "tokA")
        assert again.status_code == 200
        for session in [*sessions[1:], again.headers["mcp-session-id"]]:
            await http.delete(served.url + "/mcp", headers={**_bearer("tokA"), "Mcp-Session-Id": session})


async def test_a_session_never_used_after_initialize_is_closed_and_a_used_one_is_kept(served: Served) -> None:
    """Any request would count as use, so the sessions are watched through the cap (3 here): one used and
    two unused fill it; a fourth is refused until the unused two close (after 1 s here; the SDK's own idle
    timeout is 30 minutes)."""
    async with httpx2.AsyncClient(timeout=10) as http:
        used = (await _open(http, served.url, "tokC")).headers["mcp-session-id"]
        unused = [(await _open(http, served.url, "tokC", use=False)).headers["mcp-session-id"] for _ in range(2)]
        assert (await _open(http, served.url, "tokC")).status_code == 429
        with anyio.fail_after(8):
            while (fourth := await _open(http, served.url, "tokC")).status_code == 429:
                await anyio.sleep(0.2)
        assert fourth.status_code == 200
        assert [await _ping(http, served.url, "tokC", s) for s in unused] == [404, 404]
        assert await _ping(http, served.url, "tokC", used) == 200
        for session in (used, fourth.headers["mcp-session-id"]):
            await http.delete(served.url + "/mcp", headers={**_bearer("tokC"), "Mcp-Session-Id": session})


async def test_at_the_servers_session_cap_the_next_caller_is_told_and_an_sse_stream_counts(
    sandbox: Any, tmp_path: Any
) -> None:
    """Two sessions in all here: an SSE stream and a Streamable HTTP session fill it; a third caller is
    told (503, the setting named); once the stream closes, it opens one."""
    server = Served.http(
        sandbox.url,
        GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "token.json"),
        GOOGLE_MCP_AUTH_TOKEN="tokA,tokB",
        GOOGLE_MCP_MAX_SESSIONS="2",
    )
    try:
        async with httpx2.AsyncClient(timeout=10) as http:
            async with http.stream("GET", server.url + "/sse", headers=_bearer("tokA")) as stream:
                lines = stream.aiter_lines()  # kept: a reading abandoned (collected) would close the stream
                async for line in lines:  # the endpoint event: the stream is open
                    if line.startswith("data:"):
                        break
                assert (await _open(http, server.url, "tokA")).status_code == 200
                refused = await _open(http, server.url, "tokB")
                assert refused.status_code == 503
                assert "GOOGLE_MCP_MAX_SESSIONS" in refused.json()["error"]["message"]
            with anyio.fail_after(8):
                while (opened := await _open(http, server.url, "tokB")).status_code == 503:
                    await anyio.sleep(0.1)
            assert opened.status_code == 200
    finally:
        server.stop()


def _raw(served: Served) -> socket.socket:
    host, port = served.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=6)
    return sock


def _until_closed(sock: socket.socket) -> bytes:
    """What the server sends before it closes the connection (socket.timeout if it never does)."""
    got = b""
    while chunk := sock.recv(65536):
        got += chunk
    return got


def _response(sock: socket.socket) -> tuple[bytes, Any]:
    """One response: its status line and its JSON body."""
    got = b""
    while b"\r\n\r\n" not in got:
        got += sock.recv(65536)
    head, body = got.split(b"\r\n\r\n", 1)
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
    while len(body) < length:
        body += sock.recv(65536)
    return head.split(b"\r\n")[0], json.loads(body)


def test_a_half_sent_request_head_is_answered_408_and_closed(served: Served) -> None:
    for head in (b"", b"POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tokA\r\n"):
        started = time.monotonic()
        with _raw(served) as sock:
            sock.sendall(head)
            answer = _until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408")
        assert "within 1 s" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
        assert time.monotonic() - started < 4
    # and on a kept-alive connection, the next request's head has the same deadline
    with _raw(served) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _ = _response(sock)
        assert status.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        assert _until_closed(sock).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < 4


def test_a_stalled_request_body_is_answered_408_and_closed(served: Served) -> None:
    started = time.monotonic()
    with _raw(served) as sock:
        sock.sendall(
            b"POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tokA\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"message": '
        )
        answer = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408") and b"body did not arrive" in answer
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("path", "setting"), [("/chat", "GOOGLE_MCP_MAX_BODY_BYTES"), ("/mcp", "GOOGLE_MCP_MAX_MCP_BODY_BYTES")]
)
def test_a_declared_oversize_body_is_refused_before_it_is_read(served: Served, path: str, setting: str) -> None:
    with _raw(served) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tokA\r\n"
            f"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            f"Content-Length: {64 * 1024 * 1024}\r\n\r\n".encode()
            + b"{" * 1024  # and not another byte of the 64 MiB
        )
        status, body = _response(sock)
    assert status.startswith(b"HTTP/1.1 413")
    message = body["error"] if path == "/chat" else body["error"]["message"]
    assert setting in message


def test_a_streamed_oversize_body_is_refused_before_it_ends(served: Served) -> None:
    """No Content-Length: the bytes are counted, and the answer comes before the body ends (it never does)."""
    chunk = b"x" * 65536
    with _raw(served) as sock:
        sock.sendall(
            b"POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tokA\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        for _ in range(17):  # 1 MiB (the cap) and 64 KiB, then nothing: no last chunk
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        readable, _, _ = select.select([sock], [], [], 3)
        assert readable, "no answer to a body past the cap"
        status, body = _response(sock)
    assert status.startswith(b"HTTP/1.1 413") and "GOOGLE_MCP_MAX_BODY_BYTES" in body["error"]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1.evil.example:8000",
        "127.0.0.1.evil.example",
        "localhost.evil:80",
        "localhost.evil",
        "127.0.0.1:80.evil.example",
        "127.0.0.1:8000@evil.example",
        "[::1].evil:80",
        "127.0.0.10:8000",
        "evil.example:8000",
    ],
)
async def test_a_host_that_only_shares_a_prefix_with_ours_is_refused(served: Served, host: str) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        for path in ("/health", "/mcp", "/chat"):
            response = await http.get(served.url + path, headers={"Host": host, "Authorization": "Bearer tokA"})
            assert response.status_code == 421, (host, path)


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1.evil.example:8000",
        "http://127.0.0.1.evil.example",
        "http://localhost.evil",
        "http://localhost.evil:80",
        "http://127.0.0.1:80.evil.example",
        "https://front.example.evil",
        "https://front.example:444",
        "http://front.example",
        "null",
    ],
)
async def test_an_origin_that_only_shares_a_prefix_with_an_allowed_one_is_refused(served: Served, origin: str) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        for path in ("/mcp", "/chat"):
            response = await http.post(
                served.url + path, json={}, headers={"Origin": origin, "Authorization": "Bearer tokA"}
            )
            assert response.status_code == 403, (origin, path)
            assert "access-control-allow-origin" not in response.headers


async def test_cors_names_only_a_listed_origin_and_never_a_wildcard(served: Served) -> None:
    front = "https://front.example"
    async with httpx2.AsyncClient(timeout=10) as http:
        preflight = await http.options(
            served.url + "/chat",
            headers={
                "Origin": front,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == front
        assert preflight.headers["access-control-allow-credentials"] == "true"
        posted = await http.post(
            served.url + "/chat", json={}, headers={"Origin": front, "Authorization": "Bearer tokA"}
        )
        assert posted.headers.get_list("access-control-allow-origin") == [front]
        assert posted.headers["access-control-allow-credentials"] == "true"
        # an origin of ours that is not a listed front end gets no CORS grant at all (so no credentials)
        for origin in ("http://127.0.0.1:9", "https://other.example"):
            denied = await http.options(
                served.url + "/chat", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
            )
            assert "access-control-allow-origin" not in denied.headers
            assert "access-control-allow-credentials" not in denied.headers
        # and a listed origin has none on a route that is not a front end's
        other = await http.get(served.url + "/health", headers={"Origin": front})
        assert "access-control-allow-origin" not in other.headers


async def _nodelay_of_accepted(make_socket: Any, protocol: Any) -> int:
    """Serve a trivial app on `make_socket()` with uvicorn's `protocol`; connect; ask the server's side."""
    import uvicorn

    from google_mcp.serving import serve_announced

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})

    sock = make_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", http=protocol))
    urls: list[str] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(serve_announced, server, urls.append, sock)
        with anyio.fail_after(5):
            while not urls:
                await anyio.sleep(0.01)
            host, port = urls[0].removeprefix("http://").rsplit(":", 1)
            with socket.create_connection((host, int(port))):
                while not server.server_state.connections:
                    await anyio.sleep(0.01)
                (connection,) = server.server_state.connections
                accepted = connection.transport.get_extra_info("socket")
                value = int(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        server.should_exit = True
    return value


async def test_nagle_is_off_on_a_connection_accepted_from_the_bound_socket() -> None:
    from google_mcp.serving import bind

    assert await _nodelay_of_accepted(lambda: bind("127.0.0.1", 0), "h11") == 1


async def test_our_protocol_turns_nagle_off_on_any_listening_socket() -> None:
    from google_mcp.serving import http_protocol

    def plain() -> socket.socket:  # made without the TCP protocol number: asyncio leaves Nagle on
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        return sock

    assert await _nodelay_of_accepted(plain, http_protocol(10, 30)) == 1
