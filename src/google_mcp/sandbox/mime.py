"""MIME parsing and the Gmail payload tree, from raw RFC 822 bytes."""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import html
import re
from dataclasses import dataclass, field
from email.message import Message
from functools import lru_cache
from typing import Any

from google_mcp import charsets

from .errors import bad_request


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def unb64url(text: str) -> bytes:
    cleaned = text.strip().replace("+", "-").replace("/", "_")
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (ValueError, TypeError):
        raise bad_request("Invalid value for ByteString: the raw field must be base64url.") from None


def decode_header(value: str | None) -> str:
    """Header text as Gmail serves it: encoded words and raw 8-bit bytes decoded with charset fallbacks."""
    return charsets.decode_header(value)


_TAG = re.compile(r"<[^>]+>")
_HIDDEN = re.compile(r"<(style|script|head|title)\b.*?</\1>|<[^>]+display\s*:\s*none[^>]*>.*?</\w+>", re.I | re.S)
_WS = re.compile(r"\s+")


def html_to_plain(markup: str) -> str:
    """Crude text for search and snippets; the server's reader uses a real converter."""
    text = _HIDDEN.sub(" ", markup)
    text = _TAG.sub(" ", text)
    return _WS.sub(" ", html.unescape(text)).strip()


def raw_header(msg: Message, name: str) -> str | None:
    """A header's value as it arrived (8-bit bytes kept as surrogate escapes, which decode_header reads);
    `msg.get` would turn them into U+FFFD."""
    wanted = name.lower()
    return next((value for key, value in msg.raw_items() if key.lower() == wanted), None)


def part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return charsets.decode_bytes(payload, part.get_content_charset())


def filename_of(part: Message) -> str:
    name = part.get_filename()
    return decode_header(name) if name else ""


@dataclass
class Parsed:
    """What the sandbox derives once from a raw message."""

    msg: Message
    headers: list[tuple[str, str]]
    subject: str
    sender: str
    to: str
    cc: str
    bcc: str
    message_id: str
    in_reply_to: str
    references: list[str]
    date_ms: int | None
    plain: str
    html_text: str
    filenames: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.plain or self.html_text

    def snippet(self) -> str:
        return _WS.sub(" ", self.text).strip()[:200]


@lru_cache(maxsize=2048)  # a reset re-adds the same 512 seed messages: parsing them again was most of its time
def parse(raw: bytes) -> Parsed:
    """What the sandbox reads from a message. Like Gmail it takes what real mail is: MIME defects, a
    message that does not start with a header, 8-bit header bytes; only an empty message is refused.
    The same bytes give the same Parsed, shared: nothing changes one once made."""
    if not raw.strip():
        raise bad_request("Invalid raw message: it is empty.")
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    headers = [(k, decode_header(v)) for k, v in msg.raw_items()]
    plain, html_parts, filenames = [], [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        fname = filename_of(part)
        ctype = part.get_content_type()
        if fname:
            filenames.append(fname)
        elif ctype == "text/plain":
            plain.append(part_text(part))
        elif ctype == "text/html":
            html_parts.append(html_to_plain(part_text(part)))
    date_ms = None
    if raw_header(msg, "Date"):
        try:
            date_ms = int(email.utils.parsedate_to_datetime(decode_header(raw_header(msg, "Date"))).timestamp() * 1000)
        except (TypeError, ValueError, IndexError, OverflowError, UnicodeError):
            date_ms = None
    refs = (raw_header(msg, "References") or "").split()
    return Parsed(
        msg=msg,
        headers=headers,
        subject=decode_header(raw_header(msg, "Subject")),
        sender=decode_header(raw_header(msg, "From")),
        to=decode_header(raw_header(msg, "To")),
        cc=decode_header(raw_header(msg, "Cc")),
        bcc=decode_header(raw_header(msg, "Bcc")),
        message_id=(raw_header(msg, "Message-ID") or "").strip(),
        in_reply_to=(raw_header(msg, "In-Reply-To") or "").strip(),
        references=refs,
        date_ms=date_ms,
        plain="\n".join(plain),
        html_text="\n".join(html_parts),
        filenames=filenames,
    )


def attachment_id(message_id: str, part_id: str) -> str:
    return "ANGjdJ" + b64url(f"{message_id}:{part_id}".encode()).rstrip("=")


def parse_attachment_id(att_id: str) -> tuple[str, str] | None:
    if not att_id.startswith("ANGjdJ"):
        return None
    try:
        message_id, _, part_id = unb64url(att_id[6:]).decode().partition(":")
    except (UnicodeDecodeError, ValueError):
        return None
    return message_id, part_id


def payload(
    msg: Message,
    message_id: str,
    part_id: str = "",
    only_headers: set[str] | None = None,
    with_body: bool = True,
) -> dict[str, Any]:
    headers = [{"name": k, "value": decode_header(v)} for k, v in msg.raw_items()]
    if only_headers is not None:
        headers = [h for h in headers if h["name"].lower() in only_headers]
    node: dict[str, Any] = {
        "partId": part_id,
        "mimeType": msg.get_content_type(),
        "filename": filename_of(msg),
        "headers": headers,
    }
    if not with_body:
        return node
    if msg.is_multipart():
        node["body"] = {"size": 0}
        children = msg.get_payload()
        assert isinstance(children, list)
        prefix = f"{part_id}." if part_id else ""
        node["parts"] = [payload(child, message_id, f"{prefix}{i}") for i, child in enumerate(children)]
        return node
    data = msg.get_payload(decode=True)
    data = data if isinstance(data, bytes) else b""
    body: dict[str, Any] = {"size": len(data)}
    if node["filename"]:
        body["attachmentId"] = attachment_id(message_id, part_id or "0")
    elif data:
        body["data"] = b64url(data)
    node["body"] = body
    return node


def find_part(msg: Message, part_id: str) -> Message | None:
    if part_id in ("", "0") and not msg.is_multipart():
        return msg
    node: Message = msg
    for index in part_id.split("."):
        children = node.get_payload()
        if not isinstance(children, list) or not index.isdigit() or int(index) >= len(children):
            return None
        child = children[int(index)]
        if not isinstance(child, Message):
            return None
        node = child
    return node


def addresses(value: str) -> list[tuple[str, str]]:
    return [(n, a) for n, a in email.utils.getaddresses([value]) if a]


_ADDR = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def valid_address(addr: str) -> bool:
    return bool(_ADDR.match(addr))
