"""Mail bodies as clean text for a model: the real text/plain, or HTML converted with links kept."""

from __future__ import annotations

import base64
import email.header
import re
from dataclasses import dataclass, field
from typing import Any

_HIDDEN = re.compile(r"<(style|script|head|title|noscript)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_PIXEL = re.compile(r"<img\b[^>]*(?:width\s*=\s*[\"']?[01][\"'\s>/]|height\s*=\s*[\"']?[01][\"'\s>/])[^>]*>", re.I)
_HTML_QUOTE = re.compile(
    r"<(blockquote|div)\b[^>]*class\s*=\s*[\"'][^\"']*(?:gmail_quote|yahoo_quoted|moz-cite-prefix)[^\"']*[\"'][^>]*>.*</\1\s*>",
    re.I | re.S,
)
_ATTRIBUTION = re.compile(
    r"^(?:On .{5,200}?wrote:|Am .{5,200}?schrieb .{1,100}:|Le .{5,200}?a écrit :|-{2,}\s*Original Message\s*-{2,}|"
    r"From: .+\n(?:Sent|Date): .+)\s*$",
    re.M,
)


def decode_header(value: str | None) -> str:
    if not value:
        return ""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (UnicodeDecodeError, LookupError, email.errors.HeaderParseError):
        return value


def headers_of(part: dict[str, Any]) -> dict[str, str]:
    return {h["name"].lower(): decode_header(h.get("value", "")) for h in part.get("headers", [])}


def _charset(part: dict[str, Any]) -> str:
    ctype = headers_of(part).get("content-type", "")
    found = re.search(r"charset\s*=\s*\"?([\w.:-]+)", ctype, re.I)
    return found.group(1) if found else "utf-8"


def _decode(part: dict[str, Any]) -> str:
    data = part.get("body", {}).get("data")
    if not data:
        return ""
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    try:
        return raw.decode(_charset(part), errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


@dataclass
class Extracted:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)


def extract(payload: dict[str, Any]) -> Extracted:
    out = Extracted()

    def walk(part: dict[str, Any]) -> None:
        mime = (part.get("mimeType") or "").lower()
        body = part.get("body", {})
        if part.get("filename") or body.get("attachmentId"):
            out.attachments.append(
                {
                    "attachment_id": body.get("attachmentId", ""),
                    "part_id": part.get("partId", ""),
                    "filename": part.get("filename") or "attachment",
                    "mime_type": mime,
                    "size": body.get("size", 0),
                }
            )
            return
        if mime.startswith("multipart/"):
            for child in part.get("parts", []):
                walk(child)
        elif mime == "text/plain":
            out.plain.append(_decode(part))
        elif mime == "text/html":
            out.html.append(_decode(part))

    walk(payload)
    return out


def html_to_text(markup: str, include_quoted: bool) -> tuple[str, bool]:
    import html2text

    from google_mcp.google.visible import visible_html

    folded = False
    cleaned = visible_html(_HIDDEN.sub(" ", markup))
    cleaned = _PIXEL.sub("", cleaned)
    if not include_quoted:
        cleaned, n = _HTML_QUOTE.subn("<p>[quoted history folded]</p>", cleaned)
        folded = n > 0
    conv = html2text.HTML2Text()
    conv.body_width = 0
    conv.ignore_images = True
    conv.ignore_links = False
    conv.ignore_emphasis = True
    conv.unicode_snob = True
    conv.single_line_break = False
    text = conv.handle(cleaned)
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff\u034f\u00ad]+", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, folded


def fold_quotes(text: str) -> tuple[str, int]:
    """Fold quoted history (an attribution line and what follows, or runs of '>' lines)."""
    lines = text.splitlines()
    found = _ATTRIBUTION.search(text)
    if found:
        head = text[: found.start()].rstrip()
        rest = text[found.start() :].splitlines()
        if head and len(rest) > 1:
            return f"{head}\n\n[{len(rest)} lines of quoted history folded]", len(rest)
    out: list[str] = []
    run: list[str] = []
    folded = 0

    def flush() -> None:
        nonlocal folded
        if len(run) >= 2:
            out.append(f"[{len(run)} quoted lines folded]")
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


def body_text(extracted: Extracted, include_quoted: bool) -> tuple[str, str, bool]:
    """(text, source, quoted_folded) where source is text/plain or text/html."""
    plain = "\n".join(extracted.plain)
    html = "\n".join(extracted.html)
    if _is_real_plain(plain, html):
        text, source, folded = plain.replace("\r\n", "\n").strip(), "text/plain", False
        if not include_quoted:
            text, n = fold_quotes(text)
            folded = n > 0
        return text, source, folded
    if html:
        text, folded = html_to_text(html, include_quoted)
        if not include_quoted:
            text, n = fold_quotes(text)
            folded = folded or n > 0
        return text, "text/html", folded
    return "", "none", False


def window(text: str, offset: int, max_chars: int) -> tuple[str, bool, int | None]:
    piece = text[offset : offset + max_chars]
    end = offset + len(piece)
    return piece, end < len(text), (end if end < len(text) else None)
