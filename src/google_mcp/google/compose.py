"""Building outgoing mail safely: validated addresses, no header injection, attachments from allowed folders."""

from __future__ import annotations

import email.policy
import email.utils
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from google_mcp.errors import InvalidInput

_ADDR = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_header(value: str, name: str) -> str:
    if _CONTROL.search(value):
        raise InvalidInput(f"{name} must be a single line: remove line breaks and control characters.")
    return value.strip()


def parse_addresses(values: list[str] | None, name: str) -> list[str]:
    """Each entry may be 'a@b.c', 'Name <a@b.c>' or a comma-separated list of them."""
    out: list[str] = []
    for value in values or []:
        clean_header(value, name)
        pairs = email.utils.getaddresses([value])
        if not pairs or any(not addr for _, addr in pairs):
            raise InvalidInput(
                f"{name}: {value!r} is not an email address. Use name@example.com or 'Name <name@example.com>'."
            )
        for display, addr in pairs:
            if not _ADDR.match(addr):
                raise InvalidInput(f"{name}: {addr!r} is not a valid email address.")
            out.append(email.utils.formataddr((display, addr)) if display else addr)
    return out


def bare(addr: str) -> str:
    return email.utils.parseaddr(addr)[1].lower()


@dataclass
class AttachmentFile:
    path: Path
    filename: str
    mime_type: str
    size: int


def check_attachment(raw: str, roots: list[Path], max_bytes: int) -> AttachmentFile:
    path = Path(raw).expanduser()
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise InvalidInput(f"Attachment {raw!r} does not exist. Give the full path of a file.") from None
    if not resolved.is_file():
        raise InvalidInput(f"Attachment {raw!r} is not a file.")
    root = next((r.resolve() for r in roots if resolved.is_relative_to(r.resolve())), None)
    if root is None:
        raise InvalidInput(
            f"Attachment {raw!r} is outside the folders attachments may come from "
            f"({', '.join(str(r) for r in roots)}; set GOOGLE_MCP_ATTACHMENT_ROOTS)."
        )
    if any(part.startswith(".") for part in resolved.relative_to(root).parts):
        raise InvalidInput(f"Attachment {raw!r} is a hidden file or in a hidden folder; those are never attached.")
    size = resolved.stat().st_size
    if size > max_bytes:
        raise InvalidInput(f"Attachment {raw!r} is {size} bytes; the limit is {max_bytes} bytes.")
    mime = mimetypes.guess_type(resolved.name)[0] or "application/octet-stream"
    return AttachmentFile(resolved, resolved.name, mime, size)


@dataclass
class Outgoing:
    to: list[str]
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    text: str | None = None
    html: str | None = None
    attachments: list[AttachmentFile] = field(default_factory=list)
    in_reply_to: str = ""
    references: str = ""
    thread_id: str | None = None
    sender: str | None = None

    def mime(self) -> bytes:
        msg = EmailMessage(policy=email.policy.SMTP)
        if self.sender:
            msg["From"] = self.sender
        if self.to:
            msg["To"] = ", ".join(self.to)
        if self.cc:
            msg["Cc"] = ", ".join(self.cc)
        if self.bcc:
            msg["Bcc"] = ", ".join(self.bcc)
        msg["Subject"] = self.subject
        if self.in_reply_to:
            msg["In-Reply-To"] = self.in_reply_to
            msg["References"] = self.references or self.in_reply_to
        msg["Message-ID"] = email.utils.make_msgid(domain="google-mcp.local")
        msg["Date"] = email.utils.formatdate(localtime=False)
        text = self.text
        if text is None and self.html is not None:
            from google_mcp.google.mailtext import html_to_text

            text = html_to_text(self.html, include_quoted=True)[0]
        msg.set_content(text or "")
        if self.html is not None:
            msg.add_alternative(self.html, subtype="html")
        for att in self.attachments:
            main, _, sub = att.mime_type.partition("/")
            msg.add_attachment(
                att.path.read_bytes(), maintype=main, subtype=sub or "octet-stream", filename=att.filename
            )
        return msg.as_bytes()
