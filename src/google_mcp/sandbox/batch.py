"""Google's multipart/mixed batch format: parse the parts, answer each on its own."""

from __future__ import annotations

import json
import re
import secrets
from http import HTTPStatus

from .errors import bad_request
from .routing import Call, Reply

MAX_PARTS = 100


def _split_head(blob: str) -> tuple[list[str], str]:
    found = re.search(r"\r?\n\r?\n", blob)
    if not found:
        return [ln for ln in blob.splitlines() if ln.strip()], ""
    return blob[: found.start()].splitlines(), blob[found.end() :]


def _headers(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def parse_batch(content_type: str, body: bytes) -> list[tuple[str, Call]]:
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if "multipart/mixed" not in content_type or not found:
        raise bad_request("Batch requests must be multipart/mixed with a boundary.")
    boundary = found.group(1)
    text = body.decode("utf-8", errors="replace")
    chunks = text.split("--" + boundary)
    parts: list[tuple[str, Call]] = []
    for chunk in chunks[1:]:
        if chunk.startswith("--"):
            break
        head, inner = _split_head(chunk.lstrip("\r\n"))
        part_headers = _headers(head)
        content_id = part_headers.get("content-id", f"<part+{len(parts)}>")
        req_head, req_body = _split_head(inner)
        if not req_head:
            raise bad_request("A batch part has no request line.")
        pieces = req_head[0].split(" ")
        if len(pieces) < 2:
            raise bad_request(f"Bad request line in batch part: {req_head[0]!r}")
        call = Call.build(pieces[0], pieces[1], _headers(req_head[1:]), req_body.rstrip("\r\n").encode())
        parts.append((content_id, call))
    if not parts:
        raise bad_request("The batch request has no parts.")
    if len(parts) > MAX_PARTS:
        raise bad_request(f"Too many requests in one batch: {len(parts)} (at most {MAX_PARTS}).", "batchSizeTooLarge")
    return parts


def _response_id(content_id: str) -> str:
    inner = content_id.strip()
    if inner.startswith("<") and inner.endswith(">"):
        inner = inner[1:-1]
    return f"<response-{inner}>"


def render_batch(replies: list[tuple[str, Reply]]) -> tuple[str, bytes]:
    boundary = "batch_" + secrets.token_hex(12)
    out: list[str] = []
    for content_id, reply in replies:
        phrase = HTTPStatus(reply.status).phrase if reply.status in HTTPStatus._value2member_map_ else "Unknown"
        payload = "" if reply.body is None else json.dumps(reply.body)
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            f"Content-ID: {_response_id(content_id)}",
            "",
            f"HTTP/1.1 {reply.status} {phrase}",
            "Content-Type: application/json; charset=UTF-8",
        ]
        lines += [f"{k}: {v}" for k, v in reply.headers.items()]
        lines += [f"Content-Length: {len(payload.encode())}", "", payload]
        out.append("\r\n".join(lines))
    out.append(f"--{boundary}--\r\n")
    return f"multipart/mixed; boundary={boundary}", "\r\n".join(out).encode()
