"""Mail bodies as clean text for a model, from Gmail's `format=full` payload tree.

- Every human-readable part, in order, once: of a multipart/alternative the best alternative (the real
  text/plain, else the HTML), of every other multipart each part in turn (signed mail, a mailing list's
  footer after the body, a report's parts).
- Attached messages (forwards as attachment, bounces, digests) are shown with their headers, text and
  own attachments, nested to MAX_DEPTH; deeper ones are counted, not lost silently.
- Charsets decoded with fallbacks (charsets.py); HTML converted with links kept (htmltext.py). A part
  whose bytes are not text, whatever its label, is listed with the attachments, never shown as text.
- A bounce: its own text, each recipient's outcome once, the returned message's headers on request
  (bounces.py).
- Quoted history folded unless asked for, never all its sender wrote; a forward is content, never folded;
  a reply written below or between quoted lines stays.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from google_mcp.charsets import decode_header, text_of
from google_mcp.google.bounces import SHOWN_HEADERS, delivery_report, groups_of, returned_headers
from google_mcp.google.htmltext import html_to_text

BodySource = Literal["text/plain", "text/html", "none"]

MAX_DEPTH = 3  # attached messages inside attached messages inside ...
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)

_ATTRIBUTION = re.compile(
    r"^(?:On .{5,200}?wrote:|Am .{5,200}?schrieb .{1,100}:|Le .{5,200}?a écrit :|-{2,}\s*Original Message\s*-{2,}|"
    r"From: .+\n(?:Sent|Date): .+)\s*$",
    re.M,
)
_FORWARD = re.compile(
    r"^(?:-{3,}\s*Forwarded message\s*-{3,}|Begin forwarded message:|-{3,}\s*Weitergeleitete Nachricht\s*-{3,}"
    r"|_{8,}\s*\n(?:From|Von|De): .+\n(?:Sent|Gesendet|Envoyé|Date): .+(?:\n.+){0,3}\n(?:Subject|Betreff|Objet): "
    r"\s*(?:FW|Fwd|WG|TR)\s*:.*)",
    re.M | re.I,
)
# what is in a text but not written by its sender: PGP armour around signed text, rules, fold markers
_ARMOUR = re.compile(
    r"^-----BEGIN PGP SIGNED MESSAGE-----$(?:\nHash: [^\n]*)?"
    r"|^-----BEGIN PGP SIGNATURE-----$.*?^-----END PGP SIGNATURE-----$",
    re.M | re.S,
)
_DASH_ESCAPE = re.compile(r"^- (?=-)", re.M)  # signed text escapes a line that starts with a dash
_NOT_WRITTEN = re.compile(r"^\s*(?:>.*|[-_=*~#\s]*|\[(?:\d+ lines of )?quoted history folded\])\s*$")


def headers_of(part: dict[str, Any]) -> dict[str, str]:
    return {h["name"].lower(): decode_header(h.get("value", "")) for h in part.get("headers", [])}


def _charset(part: dict[str, Any], raw: bytes) -> str | None:
    ctype = headers_of(part).get("content-type", "")
    found = re.search(r"charset\s*=\s*\"?([^\s\";]+)", ctype, re.I)
    if found:
        return found.group(1)
    meta = _META_CHARSET.search(raw[:4096]) if (part.get("mimeType") or "").lower() == "text/html" else None
    return meta.group(1).decode("ascii") if meta else None


def _raw(part: dict[str, Any]) -> bytes:
    data = part.get("body", {}).get("data")
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)) if data else b""


def _text(part: dict[str, Any]) -> str | None:
    """The part's text, or None when its bytes are binary data."""
    raw = _raw(part)
    text = text_of(raw, _charset(part, raw))
    return None if text is None else text.replace("\r\n", "\n")


def _decode(part: dict[str, Any]) -> str:
    return _text(part) or ""


@dataclass
class Attached:
    """A message attached to another (message/rfc822)."""

    headers: dict[str, str]
    content: Extracted
    all_headers: list[str] | None = None  # every header line, shown instead of the usual few when set


@dataclass
class Extracted:
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (text/plain | text/html, text), in order
    attachments: list[dict[str, Any]] = field(default_factory=list)
    attached: list[Attached] = field(default_factory=list)
    left_out: int = 0  # attached messages nested deeper than MAX_DEPTH

    @property
    def plain(self) -> list[str]:
        return [t for kind, t in self.blocks if kind == "text/plain"]

    @property
    def html(self) -> list[str]:
        return [t for kind, t in self.blocks if kind == "text/html"]


def _is_real_plain(plain: str, html: str) -> bool:
    stripped = plain.strip()
    if not stripped:
        return False
    # a stub such as "View this email in your browser" is not the message
    return not (
        html
        and len(stripped) < 80
        and re.search(r"view (this|it) (email|message)? ?in (your|a) browser|html", stripped, re.I)
    )


def _attachment(part: dict[str, Any]) -> dict[str, Any]:
    body = part.get("body", {})
    return {
        "attachment_id": body.get("attachmentId", ""),
        "part_id": part.get("partId", ""),
        "filename": part.get("filename") or "attachment",
        "mime_type": (part.get("mimeType") or "").lower(),
        "size": body.get("size", 0),
    }


def extract(payload: dict[str, Any], depth: int = 0, returned_headers: bool = False) -> Extracted:
    """What a message holds; `returned_headers` shows a bounce's returned headers whole."""
    out = Extracted()
    _walk(payload, out, _Walk(depth, returned_headers))
    return out


@dataclass(frozen=True)
class _Walk:
    depth: int
    returned_headers: bool
    digest: bool = False  # in a multipart/digest, whose parts are messages whatever their type says
    report: bool = False  # in a multipart/report: a bounce


def _walk(part: dict[str, Any], out: Extracted, at: _Walk) -> None:
    mime = (part.get("mimeType") or "").lower()
    body = part.get("body", {})
    children = part.get("parts") or []
    if mime in ("message/rfc822", "message/global") or (at.digest and not mime.startswith(("text/", "multipart/"))):
        inner = children[0] if children else None
        if inner is None:
            if body.get("attachmentId"):
                out.attachments.append(_attachment(part))
            return
        if at.depth >= MAX_DEPTH:
            out.left_out += 1
            return
        every = None
        if at.report and at.returned_headers:
            every = [f"{h['name']}: {h.get('value', '')}" for h in inner.get("headers", [])]
        out.attached.append(Attached(headers_of(inner), extract(inner, at.depth + 1, at.returned_headers), every))
        return
    if mime.startswith("multipart/"):
        if mime == "multipart/alternative" and children:
            _walk(_best_alternative(children), out, at)
            return
        report = at.report or mime == "multipart/report"
        inside = _Walk(at.depth, at.returned_headers, mime == "multipart/digest", report)
        for child in children:
            _walk(child, out, inside)
        return
    if part.get("filename") or body.get("attachmentId"):
        out.attachments.append(_attachment(part))
        return
    if mime in ("message/delivery-status", "message/global-delivery-status"):
        # its body is groups of header lines; a parser may hand them over as parts of their own
        groups = [[(h["name"], h.get("value", "")) for h in c.get("headers", [])] for c in children]
        groups = [g for g in groups if g] or groups_of(_decode(part))
        out.blocks.append(("text/plain", "Delivery report:\n" + delivery_report(groups)))
        return
    if not mime.startswith("text/") or mime in ("text/calendar", "text/x-vcard", "text/vcard"):
        return
    text = _text(part)
    if text is None:
        out.attachments.append(_attachment(part))
        note = f"[{body.get('size', 0)} bytes of binary data in a {mime} part: see attachments]"
        out.blocks.append(("text/plain", note))
    elif mime == "text/html":
        out.blocks.append(("text/html", text))
    elif mime == "text/rfc822-headers":
        headers = returned_headers(text, at.returned_headers)
        out.blocks.append(("text/plain", "Headers of the original message:\n" + headers))
    else:
        out.blocks.append(("text/plain", text))


def _best_alternative(children: list[dict[str, Any]]) -> dict[str, Any]:
    """The real text/plain when there is one, else the richest alternative we can read."""
    readable = [c for c in children if (c.get("mimeType") or "").lower().startswith(("text/", "multipart/"))]
    if not readable:
        return children[-1]
    plain = next((c for c in readable if (c.get("mimeType") or "").lower() == "text/plain"), None)
    html = next((c for c in readable if (c.get("mimeType") or "").lower() != "text/plain"), None)
    if plain is not None and _is_real_plain(_decode(plain), _decode(html) if html else ""):
        return plain
    return html or readable[-1]


def body_text(extracted: Extracted, include_quoted: bool) -> tuple[str, BodySource, bool]:
    """(text, source, quoted_folded) where source is text/plain or text/html."""
    pieces, folded_any, sources = [], False, set()
    for kind, raw in extracted.blocks:
        text, folded = _block_text(kind, raw, include_quoted)
        if text:
            pieces.append(text)
            sources.add(kind)
        folded_any = folded_any or folded
    for n, message in enumerate(extracted.attached, 1):
        pieces.append(_attached_text(message, str(n), include_quoted))
        sources.add("text/plain")
    if extracted.left_out:
        pieces.append(f"[{extracted.left_out} more deeply attached message(s) left out]")
    if not pieces:
        return "", "none", False
    source: BodySource = "text/html" if "text/html" in sources else "text/plain"
    return "\n\n".join(pieces), source, folded_any


def _block_text(kind: str, raw: str, include_quoted: bool) -> tuple[str, bool]:
    """A part's text with its quoted history folded, unless folding would hide all its sender wrote: a reply
    under an unquoted "Original Message" block, under PGP armour, or written inside the quote."""
    if kind == "text/html":
        text, folded = html_to_text(raw, include_quoted)
    else:
        text, folded = raw.strip(), False
    if include_quoted:
        return text, folded
    text, n = fold_quotes(text)
    if (folded or n) and not _own_lines(text):  # what was folded is all there is to read
        return (html_to_text(raw, True)[0] if kind == "text/html" else raw.strip()), False
    return text, folded or n > 0


def _own_lines(text: str) -> int:
    """How many lines of a text its sender wrote: not quoted, not PGP armour, rules, an attribution (dash-
    escaped in signed text or not) or a fold marker."""
    text = _DASH_ESCAPE.sub("", _ARMOUR.sub("", text))
    return sum(1 for line in text.split("\n") if not _NOT_WRITTEN.match(line) and not _ATTRIBUTION.fullmatch(line))


def _attached_text(message: Attached, number: str, include_quoted: bool) -> str:
    lines = [f"---------- Attached message {number} ----------"]
    if message.all_headers is not None:
        lines += message.all_headers
    else:
        shown = [name for name in SHOWN_HEADERS if message.headers.get(name.lower())]
        lines += [f"{name}: {message.headers[name.lower()]}" for name in shown]
    inner = message.content
    own = Extracted(inner.blocks, inner.attachments, [], 0)
    text, _, _ = body_text(own, include_quoted)
    lines += ["", text] if text else []
    if inner.attachments:
        lines.append("Its attachments: " + ", ".join(f"{a['filename']} ({a['size']} bytes)" for a in inner.attachments))
    for n, nested in enumerate(inner.attached, 1):
        lines += ["", _attached_text(nested, f"{number}.{n}", include_quoted)]
    if inner.left_out:
        lines.append(f"[{inner.left_out} more deeply attached message(s) left out]")
    return "\n".join(lines)


def all_attachments(extracted: Extracted) -> list[dict[str, Any]]:
    """The attachments of a message and of the messages attached to it (each can be downloaded)."""
    found = list(extracted.attachments)
    for message in extracted.attached:
        found += all_attachments(message.content)
    return found


def inline_bytes(payload: dict[str, Any], part_id: str) -> bytes:
    """The bytes Gmail carries inline in a part that has no attachmentId (a binary part under a text label)."""
    if payload.get("partId", "") == part_id:
        return _raw(payload)
    for child in payload.get("parts") or []:
        found = inline_bytes(child, part_id)
        if found:
            return found
    return b""


def fold_quotes(text: str) -> tuple[str, int]:
    """Fold quoted history: an attribution line with the quoted lines after it, and runs of '>' lines.

    What follows a forward marker is content and stays; so does a reply written below or between quotes.
    """
    forward = _FORWARD.search(text)
    if forward:
        head, n = fold_quotes(text[: forward.start()]) if forward.start() else ("", 0)
        return (head + "\n\n" if head else "") + text[forward.start() :].strip(), n
    lines = text.split("\n")
    for found in _ATTRIBUTION.finditer(text):
        start = text[: found.start()].count("\n")
        end = start + found.group(0).count("\n")
        after = [line for line in lines[end + 1 :] if line.strip()]
        if after and after[0].lstrip().startswith(">"):
            # an attribution with its quote below: folded with it; what is written after the quote stays
            for i in range(start, end + 1):
                lines[i] = "> " + lines[i]
            continue
        head = "\n".join(lines[:start]).rstrip()
        if head and len(lines) - start > 1:
            # top-posting: everything from the attribution down is the earlier conversation (when nothing the
            # sender wrote is left above it, the reply is below and the caller shows the text whole)
            return f"{head}\n\n[{len(lines) - start} lines of quoted history folded]", len(lines) - start
    out: list[str] = []
    run: list[str] = []
    folded = 0

    def flush() -> None:
        nonlocal folded
        if len(run) >= 2:
            out.append(f"[{len(run)} lines of quoted history folded]")
            folded += len(run)
        else:
            out.extend(run)
        run.clear()

    for line in lines:
        if line.lstrip().startswith(">"):
            run.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out).strip(), folded


def window(text: str, offset: int, max_chars: int) -> tuple[str, bool, int | None]:
    piece = text[offset : offset + max_chars]
    end = offset + len(piece)
    return piece, end < len(text), (end if end < len(text) else None)
