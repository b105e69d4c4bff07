"""A TCP proxy between the server and the sandbox that misbehaves the way networks do.

- `drop_after(method, path_regex)`: forward a matching request, let the sandbox act on it, then close
  the connection without an answer (the client sees the connection drop after its request went out).
- `close_idle(reset=...)`: close every connection that sits idle between requests, as a server's
  keep-alive timeout (or a NAT) does while a person reads a preview.
- `answer(method, path_regex, status, body)`: answer a matching request itself (e.g. 429 with Retry-After:
  0), without forwarding it, as an overloaded server would.
- `swallow_reused()`: from now on, a request that arrives on a connection that has already carried one is
  not forwarded: the connection is closed as it arrives, as a server whose keep-alive timeout fires just
  then does (the client wrote its request on a connection that looked alive, and nothing reached Google).
- `pause()` / `resume()`: stop listening (every connection is refused: nothing can go out), and listen
  again on the same port.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
import threading
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Conn:
    writer: asyncio.StreamWriter
    idle: bool = True
    served: int = 0


@dataclass
class _Rule:
    method: str
    path: re.Pattern[str]
    count: int


@dataclass
class Seen:
    method: str
    path: str
    answered: bool
    forwarded: bool = True


@dataclass
class TcpProxy:
    upstream: tuple[str, int]
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._conns: set[_Conn] = set()
        self._rules: list[_Rule] = []
        self._answers: list[tuple[_Rule, bytes]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._swallow = False
        self._held_rule: _Rule | None = None
        self.held = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    @classmethod
    def to(cls, url: str) -> TcpProxy:
        host, _, port = url.split("//", 1)[1].rstrip("/").partition(":")
        return cls((host, int(port)))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    # controls -------------------------------------------------------------
    def drop_after(self, method: str, path_regex: str, count: int = 1) -> None:
        """`method` may be "WRITE": any of POST, PUT, PATCH, DELETE."""
        with self._lock:
            self._rules.append(_Rule(method, re.compile(path_regex), count))

    def hold_answers(self, method: str, path_regex: str) -> None:
        """Forward matching requests, then keep Google's answer until `release_answers()`: the request has landed
        and its caller is still waiting. `held` counts the answers being kept."""
        self._held_rule = _Rule(method, re.compile(path_regex), 1_000_000)
        self._release = asyncio.Event()
        self.held = 0

    def release_answers(self) -> None:
        self._loop.call_soon_threadsafe(self._release.set)

    def swallow_reused(self, on: bool = True) -> None:
        self._swallow = on

    def answer(self, method: str, path_regex: str, status: int, body: bytes, count: int = 1) -> None:
        head = (
            f"HTTP/1.1 {status} Answered by the proxy\r\nContent-Type: application/json\r\nRetry-After: 0\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        with self._lock:
            self._answers.append((_Rule(method, re.compile(path_regex), count), head.encode() + body))

    def _canned(self, method: str, path: str) -> bytes | None:
        with self._lock:
            for rule, response in self._answers:
                if rule.count > 0 and rule.method == method and rule.path.search(path):
                    rule.count -= 1
                    return response
        return None

    def pause(self) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)

    def resume(self) -> None:
        async def listen() -> None:
            self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True)

        asyncio.run_coroutine_threadsafe(listen(), self._loop).result(10)

    def close_idle(self, *, reset: bool = False) -> int:
        """Close the connections idle between requests; with reset, abortively (RST), so a later write breaks."""

        async def close() -> int:
            idle = [c for c in self._conns if c.idle]
            for conn in idle:
                sock = conn.writer.get_extra_info("socket")
                if reset and sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.writer.close()
                self._conns.discard(conn)
            return len(idle)

        return asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)

    def stop(self) -> None:
        async def shut() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await asyncio.sleep(0.01)  # let the closed transports finish closing

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    # the proxy --------------------------------------------------------------
    def _match(self, method: str, path: str) -> bool:
        with self._lock:
            for rule in self._rules:
                wanted = rule.method == method or (
                    rule.method == "WRITE" and method in ("POST", "PUT", "PATCH", "DELETE")
                )
                if rule.count > 0 and wanted and rule.path.search(path):
                    rule.count -= 1
                    return True
        return False

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = _Conn(writer)
        self._conns.add(conn)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        try:
            while True:
                request = await _read_message(reader, request=True)
                if request is None:
                    return
                conn.idle = False
                first = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                method, path = first[0], first[1] if len(first) > 1 else "/"
                conn.served += 1
                if self._swallow and conn.served > 1:
                    self.seen.append(Seen(method, path, answered=False, forwarded=False))
                    writer.close()
                    return
                canned = self._canned(method, path)
                if canned is not None:
                    self.seen.append(Seen(method, path, answered=True))
                    writer.write(canned)
                    await writer.drain()
                    conn.idle = True
                    continue
                drop = self._match(method, path)
                up_writer.write(request)
                await up_writer.drain()
                response = await _read_message(up_reader, request=False)
                rule = self._held_rule
                if rule is not None and rule.method == method and rule.path.search(path):
                    self.held += 1
                    await self._release.wait()
                self.seen.append(Seen(method, path, answered=not drop and response is not None))
                if drop or response is None:
                    writer.close()
                    return
                writer.write(response)
                await writer.drain()
                conn.idle = True
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._conns.discard(conn)
            self._tasks.discard(task)
            up_writer.close()
            writer.close()


async def _read_message(reader: asyncio.StreamReader, *, request: bool) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    status = head.split(b" ", 2)[1] if not request else b""
    if status in (b"204", b"304") or status.startswith(b"1"):
        return head  # no body, whatever the headers say
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        return head + await reader.readexactly(int(headers[b"content-length"]))
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            body += size_line + chunk
            if size == 0:
                return head + body
    return head if request else head + await reader.read()
