"""Building outgoing mail safely: validated addresses, no header injection, attachments from allowed folders."""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import mimetypes
import os
import re
import stat
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from google_mcp.errors import InvalidInput

_ADDR = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
# Unicode line breaks and the controls that reorder text (bidi overrides and isolates)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_header(value: str, name: str) -> str:
    if _CONTROL.search(value):
        raise InvalidInput(f"{name} must be a single line: remove line breaks and control characters.")
    return value.strip()


def one_line(value: str) -> str:
    """A header value taken from someone else's mail, made safe to reuse: no line breaks, no controls."""
    return re.sub(r"\s+", " ", _UNSAFE.sub(" ", value)).strip()


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
    filename: str
    mime_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Files:
    """Where one caller's attachments may come from and where their downloads go. On a server many people
    use, each person has their own (people/files.py): nothing under `fence` (everyone's folders) is attached
    unless it is under `own` (theirs), whatever roots the operator opened."""

    roots: tuple[Path, ...]
    downloads: Path
    fence: Path | None = None
    own: Path | None = None
    advice: str = "set GOOGLE_MCP_ATTACHMENT_ROOTS"


def _within(path: str, roots: list[Path] | tuple[Path, ...]) -> tuple[Path, tuple[str, ...]] | None:
    """The allowed root a path lies under (judged on the path as written, before the file system is
    touched), and the path's parts below it."""
    for root in roots:
        for form in {Path(os.path.abspath(root)), root.resolve()}:
            rel = os.path.relpath(path, form)
            if rel != os.curdir and not rel.startswith(os.pardir + os.sep) and rel != os.pardir:
                return form, Path(rel).parts
    return None


def read_attachment(raw: str, files: Files, max_bytes: int) -> AttachmentFile:
    """Read a file to attach, once: only under an allowed root (and, on a shared server, not in another
    person's folders), no symbolic link anywhere below the root, no hidden file or folder, only a regular
    file (a FIFO or device is refused without blocking)."""
    path = os.path.abspath(os.path.expanduser(raw))
    found = _within(path, files.roots)
    fenced = files.fence is not None and _within(path, [files.fence]) is not None
    if fenced and (files.own is None or _within(path, [files.own]) is None):
        found = None  # another person's folder, even under a root the operator opened
    if found is None:
        raise InvalidInput(
            f"Attachment {raw!r} is outside the folders attachments may come from "
            f"({', '.join(str(r) for r in files.roots) or 'none'}; {files.advice})."
        )
    root, parts = found
    if any(part.startswith(".") for part in parts):
        raise InvalidInput(f"Attachment {raw!r} is a hidden file or in a hidden folder; those are never attached.")
    missing = InvalidInput(
        f"Attachment {raw!r} is not a readable regular file under {root} (symbolic links are not followed). "
        "Give the full path of a file."
    )
    nofollow = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(root, nofollow | os.O_DIRECTORY)
    except OSError:
        raise missing from None
    try:
        for part in parts[:-1]:
            try:
                nxt = os.open(part, nofollow | os.O_DIRECTORY, dir_fd=fd)
            except OSError:
                raise missing from None
            os.close(fd)
            fd = nxt
        try:
            file_fd = os.open(parts[-1], nofollow | os.O_NONBLOCK, dir_fd=fd)
        except OSError:
            raise missing from None
    finally:
        os.close(fd)
    with os.fdopen(file_fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise missing
        if info.st_size > max_bytes:
            raise InvalidInput(f"Attachment {raw!r} is {info.st_size} bytes; the limit is {max_bytes} bytes.")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput(f"Attachment {raw!r} is over the limit of {max_bytes} bytes.")
    name = parts[-1]
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return AttachmentFile(name, mime, data)


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
            from google_mcp.google.htmltext import html_to_text

            text = html_to_text(self.html, include_quoted=True, keep_analytics=True)[0]
        msg.set_content(text or "")
        if self.html is not None:
            msg.add_alternative(self.html, subtype="html")
        for att in self.attachments:
            main, _, sub = att.mime_type.partition("/")
            msg.add_attachment(att.data, maintype=main, subtype=sub or "octet-stream", filename=att.filename)
        return msg.as_bytes()
