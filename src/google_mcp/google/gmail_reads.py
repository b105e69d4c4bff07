"""Gmail, reading: search, messages, conversations, labels, attachments (writing is gmail.py)."""

from __future__ import annotations

import base64
import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio

from google_mcp.charsets import text_of
from google_mcp.errors import GoogleMCPError, InvalidInput, NotFound
from google_mcp.google.client import GoogleClient
from google_mcp.google.compose import Files
from google_mcp.google.downloads import save
from google_mcp.google.gmail_labels import names_of, unknown
from google_mcp.google.gmail_lines import line
from google_mcp.google.gmail_models import (
    AttachmentInfo,
    LabelInfo,
    LabelList,
    MessageDetail,
    MessageSummary,
    SavedAttachment,
    SearchResult,
    ThreadDetail,
)
from google_mcp.google.mailtext import all_attachments, body_text, extract, headers_of, inline_bytes, window
from google_mcp.google.pages import Cursors, fits, tokens
from google_mcp.settings import Settings

SUMMARY_HEADERS = ["From", "To", "Subject", "Date", "Content-Type"]
_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
INLINE_TEXT_MAX = 32_000
LABELS_TTL = 600.0
THREAD_BUDGET = 200_000  # characters of message text in one gmail_get_thread answer
THREAD_MESSAGES = 100
PAGE_HEAD = 100  # tokens of a search page's heading: counts, the page token, the columns
T = TypeVar("T")


def _iso(ms: str | int) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, UTC).isoformat(timespec="seconds")


def check_id(value: str, what: str) -> str:
    if not _ID.match(value or ""):
        raise InvalidInput(f"{what} {value!r} is not a Gmail id. Use an id from gmail_search or gmail_get_thread.")
    return value


class GmailReads:
    def __init__(self, client: GoogleClient, settings: Settings, files: Files | None = None) -> None:
        self.client = client
        self.settings = settings
        self.files = files or Files(tuple(settings.attachment_roots), settings.download_dir)
        self._me: str | None = None
        self._names: tuple[float, dict[str, str]] | None = None
        self._cursors: Cursors[tuple[tuple[str, bool], list[MessageSummary], int, str | None]] = Cursors()

    async def _exec(self, build: Any, what: str, *, retry: bool = True) -> Any:
        return await self.client.execute("gmail", build, what=what, retry=retry)

    # reading --------------------------------------------------------------
    async def search(
        self, query: str, max_results: int, page_token: str | None, include_spam_trash: bool
    ) -> SearchResult:
        if not 1 <= max_results <= 500:
            raise InvalidInput("max_results must be between 1 and 500.")
        asked = (query, include_spam_trash)
        this_page, skip = page_token or None, 0
        if page_token and page_token.startswith("~"):  # ours: a page cut short of Google's page
            try:
                _, cursor, skipped, google_token = page_token.split("~", 3)
                this_page, skip = google_token or None, int(skipped)
            except ValueError:
                raise InvalidInput("page_token is not one this tool returned; start again without it.") from None
            kept = self._cursors.take(cursor)
            if kept is not None and kept[0] == asked:
                _, rest, estimate, nxt = kept
                return self._page(asked, rest, [], estimate, nxt, this_page, skip, max_results)
        # the cursor is gone (or never was): list Google's page again and skip what was shown
        started = time.monotonic()
        listing = await self._named(
            lambda: self._list(query, min(500, skip + max_results), this_page, include_spam_trash)
        )
        ids = [m["id"] for m in listing.get("messages", [])][skip:]
        got = await self._metadata(ids, SUMMARY_HEADERS, "reading search results") if ids else {}
        found = [got[mid] for mid in ids if isinstance(got.get(mid), dict)]
        names = await self.names_for((x for m in found for x in m.get("labelIds", [])), started)
        summaries = [self._summary(m, names) for m in found]
        failed = [mid for mid in ids if not isinstance(got.get(mid), dict)]
        estimate = listing.get("resultSizeEstimate", 0)
        return self._page(
            asked, summaries, failed, estimate, listing.get("nextPageToken"), this_page, skip, max_results
        )

    def _page(
        self,
        asked: tuple[str, bool],
        summaries: list[MessageSummary],
        failed: list[str],
        estimate: int,
        nxt: str | None,
        this_page: str | None,
        skip: int,
        max_results: int,
    ) -> SearchResult:
        """One answer's worth of summaries; the rest is kept under a cursor for the next page."""
        # cut by the tokens of the lines a model reads (the structured content carries the same, as JSON)
        n = fits(summaries, max_results, lambda m: tokens(line(m)) + 1, self.settings.answer_tokens - PAGE_HEAD)
        token = nxt
        if n < len(summaries):
            cursor = self._cursors.keep((asked, summaries[n:], estimate, nxt))
            token = f"~{cursor}~{skip + n}~{this_page or ''}"
        return SearchResult(
            query=asked[0],
            messages=summaries[:n],
            result_size_estimate=estimate,
            next_page_token=token,
            failed_ids=failed,
        )

    # label names -----------------------------------------------------------
    async def _named(self, read: Callable[[], Awaitable[T]]) -> T:
        """read(); when the user labels' names are not fresh, labels.list beside it, at the same time (so an
        answer that shows labels by name waits for no second round trip)."""
        if self._names is not None and self._names[0] >= time.monotonic():
            return await read()
        got: list[T] = []
        error: GoogleMCPError | None = None

        async def learn() -> None:
            with contextlib.suppress(GoogleMCPError):  # names only make the answer nicer
                await self.labels()

        async with anyio.create_task_group() as tg:
            tg.start_soon(learn)
            try:
                got.append(await read())
            except GoogleMCPError as exc:
                error = exc
                tg.cancel_scope.cancel()
        if error is not None:
            raise error
        return got[0]

    async def names_for(self, label_ids: Iterable[str], since: float) -> dict[str, str]:
        """The user labels' names for an answer showing these labels: read again (once) when one of them is
        not among the names known (made since they were read), unless they were read after `since`."""
        names = self._names[1] if self._names else {}
        read_at = self._names[0] - LABELS_TTL if self._names else -1.0
        if unknown(label_ids, names) and read_at < since:
            with contextlib.suppress(GoogleMCPError):
                await self.labels()
        return self._names[1] if self._names else {}

    def cached_names(self) -> dict[str, str]:
        return self._names[1] if self._names else {}

    async def _list(
        self, query: str, max_results: int, page_token: str | None, include_spam_trash: bool
    ) -> dict[str, Any]:
        listing: dict[str, Any] = await self._exec(
            lambda s: (
                s.users()
                .messages()
                .list(
                    userId="me",
                    q=query,
                    maxResults=max_results,
                    pageToken=page_token or None,
                    includeSpamTrash=include_spam_trash,
                )
            ),
            "searching mail",
        )
        return listing

    async def _metadata(self, ids: list[str], headers: list[str], what: str) -> dict[str, Any]:
        """Metadata of many messages in one batch request (per 50)."""

        def getter(mid: str) -> Any:
            return lambda messages: messages.get(userId="me", id=mid, format="metadata", metadataHeaders=headers)

        return await self.client.batch(
            "gmail", [(mid, getter(mid)) for mid in ids], what=what, prepare=lambda s: s.users().messages()
        )

    def _summary(self, m: dict[str, Any], names: dict[str, str]) -> MessageSummary:
        h = headers_of(m.get("payload", {}))
        labels = m.get("labelIds", [])
        return MessageSummary(
            id=m["id"],
            thread_id=m["threadId"],
            date=_iso(m["internalDate"]),
            sender=h.get("from", ""),
            to=h.get("to", ""),
            subject=h.get("subject", ""),
            snippet=m.get("snippet", ""),
            labels=names_of(labels, names),
            has_attachments=h.get("content-type", "").lower().startswith("multipart/mixed"),
        )

    def _detail(
        self,
        m: dict[str, Any],
        names: dict[str, str],
        *,
        max_chars: int,
        offset: int,
        include_quoted: bool,
        returned_headers: bool = False,
    ) -> MessageDetail:
        payload = m.get("payload", {})
        h = headers_of(payload)
        ex = extract(payload, returned_headers=returned_headers)
        text, source, folded = body_text(ex, include_quoted)
        if offset > len(text):
            raise InvalidInput(f"offset {offset} is past the end of the body ({len(text)} characters).")
        piece, truncated, nxt = window(text, offset, max_chars)
        note = None
        if truncated:
            note = (
                f"Body cut at {max_chars} characters of {len(text)}. Call gmail_get_message again with "
                f"offset={nxt} to read on."
            )
        return MessageDetail(
            id=m["id"],
            thread_id=m["threadId"] if m["threadId"] != m["id"] else None,  # a conversation of one: its own
            labels=names_of(m.get("labelIds", []), names),
            date=_iso(m["internalDate"]),
            sender=h.get("from", ""),
            to=h.get("to", ""),
            cc=h.get("cc", ""),
            bcc=h.get("bcc", ""),
            reply_to=h.get("reply-to", ""),
            subject=h.get("subject", ""),
            rfc822_message_id=h.get("message-id", ""),
            body=piece,
            body_source=source,
            quoted_history_folded=folded,
            total_chars=len(text) if len(piece) < len(text) else None,
            next_offset=nxt,
            note=note,
            attachments=[AttachmentInfo(**a) for a in all_attachments(ex)],
        )

    async def get_message(
        self, message_id: str, max_chars: int, offset: int, include_quoted: bool, returned_headers: bool = False
    ) -> MessageDetail:
        check_id(message_id, "message_id")
        if max_chars < 200:
            raise InvalidInput("max_chars must be at least 200.")
        started = time.monotonic()
        m = await self._named(
            lambda: self._exec(
                lambda s: s.users().messages().get(userId="me", id=message_id, format="full"),
                f"reading message {message_id}",
            )
        )
        names = await self.names_for(m.get("labelIds", []), started)
        return self._detail(
            m,
            names,
            max_chars=max_chars,
            offset=offset,
            include_quoted=include_quoted,
            returned_headers=returned_headers,
        )

    async def get_thread(self, thread_id: str, max_chars_per_message: int, include_quoted: bool) -> ThreadDetail:
        check_id(thread_id, "thread_id")
        started = time.monotonic()
        t = await self._named(
            lambda: self._exec(
                lambda s: s.users().threads().get(userId="me", id=thread_id, format="full"),
                f"reading thread {thread_id}",
            )
        )
        names = await self.names_for((x for m in t.get("messages", []) for x in m.get("labelIds", [])), started)
        msgs = [
            self._detail(m, names, max_chars=max_chars_per_message, offset=0, include_quoted=include_quoted)
            for m in t.get("messages", [])
        ]
        subject = msgs[0].subject or "" if msgs else ""
        for m in msgs:  # said once, for the conversation
            m.thread_id = None
            m.subject = None if m.subject == subject else m.subject
        for m in msgs:
            if m.next_offset is not None:
                m.note = (
                    f"Body cut at {max_chars_per_message} characters; read the rest with "
                    f"gmail_get_message(message_id={m.id!r}, offset={m.next_offset})."
                )
        # one answer stays well under what clients accept: the newest messages that fit, the rest by id
        shown: list[MessageDetail] = []
        size = 0
        for m in reversed(msgs):
            size += len(m.body) + 500
            if shown and (size > THREAD_BUDGET or len(shown) >= THREAD_MESSAGES):
                break
            shown.append(m)
        shown.reverse()
        omitted = [m.id for m in msgs[: len(msgs) - len(shown)]]
        note = None
        if omitted:
            note = (
                f"The {len(omitted)} earliest of {len(msgs)} messages are not shown, to keep this answer small; "
                "read any of them with gmail_get_message(message_id) using omitted_ids."
            )
        return ThreadDetail(
            id=t["id"],
            subject=subject,
            message_count=len(msgs),
            messages=shown,
            omitted_ids=omitted,
            note=note,
        )

    async def labels(self) -> list[dict[str, Any]]:
        """labels.list; what it learns of the user labels' names serves the searches after it too."""
        data = await self._exec(lambda s: s.users().labels().list(userId="me"), "listing labels")
        found = list(data.get("labels", []))
        self._names = (time.monotonic() + LABELS_TTL, {lb["id"]: lb["name"] for lb in found})
        return found

    async def list_labels(self) -> LabelList:
        return LabelList(
            labels=[LabelInfo(id=lb["id"], name=lb["name"], type=lb.get("type", "user")) for lb in await self.labels()]
        )

    async def get_attachment(self, message_id: str, attachment_id: str) -> SavedAttachment:
        check_id(message_id, "message_id")
        m = await self._exec(
            lambda s: s.users().messages().get(userId="me", id=message_id, format="full"),
            f"reading message {message_id}",
        )
        parts = all_attachments(extract(m.get("payload", {})))
        meta = next((a for a in parts if attachment_id in (a["attachment_id"], a["part_id"], a["filename"])), None)
        if meta is None:
            names = ", ".join(f"{a['filename']} (part_id {a['part_id']})" for a in parts) or "none"
            raise NotFound(f"Message {message_id} has no attachment {attachment_id!r}. Its attachments: {names}.")
        if meta["attachment_id"]:
            att = await self._exec(
                lambda s: (
                    s.users().messages().attachments().get(userId="me", messageId=message_id, id=meta["attachment_id"])
                ),
                f"downloading attachment {meta['filename']}",
            )
            data = base64.urlsafe_b64decode(att["data"] + "=" * (-len(att["data"]) % 4))
        else:  # a part with no name and its bytes inline (binary data under a text label)
            data = inline_bytes(m.get("payload", {}), meta["part_id"])
        path = await anyio.to_thread.run_sync(self._save, message_id, meta["filename"], data)
        text = None
        mime = meta["mime_type"]
        if (mime.startswith("text/") or mime in ("application/json", "application/ics")) and len(
            data
        ) <= INLINE_TEXT_MAX:
            text = text_of(data, "utf-8")  # None for binary data under a text type
        return SavedAttachment(filename=meta["filename"], mime_type=mime, size=len(data), path=str(path), text=text)

    def _save(self, message_id: str, filename: str, data: bytes) -> Path:
        return save(self.files.downloads / message_id, filename, data)
