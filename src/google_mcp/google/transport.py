"""The HTTP layer under the Google client, with one rule httplib2 breaks: a request that went out is never re-sent.

httplib2 (the client's default) silently repeats a request once when the connection drops after it
was written, so a `messages.send` can reach Google twice with `num_retries=0`. This transport tells
the two failures apart:

- `RequestNotSent`: the connection failed before the whole request was written (connect refused, a
  dead pooled connection that broke the write). Google cannot have acted on it: it is tried once more
  on a fresh connection, and if that fails too the caller may safely try again later.
- `NoAnswer`: the request went out and no answer came back (dropped, reset, timed out). Google may or
  may not have acted. A write is never repeated; a read (`repeatable`) is tried once more on a fresh
  connection when the connection was a reused one that had gone stale.

Writes (`repeatable=False`) always use a fresh connection, so a keep-alive connection that died while
the person was reading the preview can never turn a send into an unknown outcome.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import time
import zlib
from typing import Any
from urllib.parse import urlsplit

import httplib2


class RequestNotSent(ConnectionError):
    """Nothing reached the server: the connection failed before the request was fully written."""


class NoAnswer(ConnectionError):
    """The request was written but no answer came back: the server may or may not have acted on it."""


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """A pooled connection the server has closed (or sent something unasked on) is readable while idle."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _decode(response: httplib2.Response, content: bytes) -> bytes:
    encoding = response.get("content-encoding", "").lower()
    if encoding in ("gzip", "x-gzip"):
        content = zlib.decompress(content, 16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        try:
            content = zlib.decompress(content)
        except zlib.error:
            content = zlib.decompress(content, -zlib.MAX_WBITS)
    else:
        return content
    response["-content-encoding"] = response.pop("content-encoding")
    response["content-length"] = str(len(content))
    return content


class Transport:
    """An `httplib2.Http` stand-in for googleapiclient and google-auth-httplib2; not thread-safe (one per thread)."""

    def __init__(self, timeout: float, *, repeatable: bool, idle_max: float = 4.0) -> None:
        self.timeout = timeout
        self.repeatable = repeatable
        self.idle_max = idle_max  # below the 5 s many servers keep an idle connection open
        self.follow_redirects = False
        self.redirect_codes: set[int] = set()
        self.connections: dict[str, tuple[http.client.HTTPConnection, float]] = {}

    def close(self) -> None:
        for conn, _ in self.connections.values():
            conn.close()
        self.connections.clear()

    def _connection(self, scheme: str, netloc: str, fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
        key = f"{scheme}://{netloc}"
        pooled = self.connections.pop(key, None)
        if pooled is not None:
            conn, last = pooled
            if not fresh and time.monotonic() - last < self.idle_max and not _dropped(conn):
                return conn, True
            conn.close()
        if scheme == "https":
            return http.client.HTTPSConnection(
                netloc, timeout=self.timeout, context=ssl.create_default_context()
            ), False
        return http.client.HTTPConnection(netloc, timeout=self.timeout), False

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        redirections: int = 0,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        parts = urlsplit(uri)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if isinstance(body, str):
            body = body.encode()
        for attempt in (1, 2):
            conn, reused = self._connection(parts.scheme, parts.netloc, fresh=not self.repeatable or attempt > 1)
            try:
                conn.request(method, path, body=body, headers=dict(headers or {}))
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if attempt == 1:
                    continue  # nothing went out: once more, on a fresh connection
                raise RequestNotSent(f"{method} {parts.netloc}: {type(exc).__name__}: {exc}") from exc
            try:
                raw = conn.getresponse()
                content = raw.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if self.repeatable and reused and attempt == 1 and not isinstance(exc, socket.timeout):
                    continue  # a stale keep-alive connection, and the request may be repeated
                raise NoAnswer(f"{method} {parts.netloc}: no answer ({type(exc).__name__})") from exc
            response = httplib2.Response(raw)
            if raw.will_close:
                conn.close()
            else:
                self.connections[f"{parts.scheme}://{parts.netloc}"] = (conn, time.monotonic())
            return response, _decode(response, content)
        raise AssertionError("unreachable")  # pragma: no cover
