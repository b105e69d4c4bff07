"""Gmail as typed operations over the Google client: reading (gmail_reads.py), and here writing."""

from __future__ import annotations

import re
from typing import Any

import anyio

from google_mcp.errors import InvalidInput, NotFound, TargetChanged
from google_mcp.google.compose import Outgoing, bare, clean_header, one_line, parse_addresses, read_attachment
from google_mcp.google.gmail_labels import names_of, system_id
from google_mcp.google.gmail_models import DraftCreated, LabelsModified, MessageSummary, SentMessage, Trashed
from google_mcp.google.gmail_reads import SUMMARY_HEADERS, GmailReads, check_id
from google_mcp.google.mailtext import headers_of


class Gmail(GmailReads):
    # writing ----------------------------------------------------------------
    async def compose(
        self,
        *,
        to: list[str] | None,
        cc: list[str] | None,
        bcc: list[str] | None,
        subject: str | None,
        body_text: str | None,
        body_html: str | None,
        attachments: list[str] | None,
        reply_to_message_id: str | None,
        reply_all: bool,
        need_recipient: bool = True,
    ) -> Outgoing:
        """Validate everything and build the message (with reply headers) before anything is sent."""
        out = Outgoing(
            to=parse_addresses(to, "to"),
            cc=parse_addresses(cc, "cc"),
            bcc=parse_addresses(bcc, "bcc"),
            subject=clean_header(subject or "", "subject"),
            text=body_text,
            html=body_html,
        )
        size = len(body_text or "") + len(body_html or "")
        if size > self.settings.max_body_chars:
            raise InvalidInput(
                f"The body is {size} characters; the limit is {self.settings.max_body_chars}. "
                "Shorten it or send the content as an attachment."
            )
        if body_text is None and body_html is None:
            raise InvalidInput("Give body_text, body_html or both.")
        me = await self.my_address()
        # read once, now: the bytes the person is shown (size and hash) are the bytes that are sent
        out.attachments = [
            await anyio.to_thread.run_sync(read_attachment, p, self.files, self.settings.max_attachment_bytes)
            for p in attachments or []
        ]
        if sum(a.size for a in out.attachments) > self.settings.max_attachment_bytes:
            raise InvalidInput("The attachments together exceed the size limit; send fewer or smaller files.")
        if reply_to_message_id:
            check_id(reply_to_message_id, "reply_to_message_id")
            orig = await self._exec(
                lambda s: (
                    s.users()
                    .messages()
                    .get(
                        userId="me",
                        id=reply_to_message_id,
                        format="metadata",
                        metadataHeaders=["From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "References"],
                    )
                ),
                f"reading message {reply_to_message_id} to reply to it",
            )
            # every value taken from the other person's mail is made single-line before it is reused
            h = {k: one_line(v) for k, v in headers_of(orig.get("payload", {})).items()}
            out.thread_id = orig["threadId"]
            out.in_reply_to = h.get("message-id", "")
            out.references = " ".join(x for x in (h.get("references", ""), out.in_reply_to) if x).strip()
            if not subject:
                base = h.get("subject", "")
                out.subject = base if re.match(r"^\s*re\s*:", base, re.I) else f"Re: {base}".strip()
            if not out.to:
                sender = h.get("reply-to") or h.get("from", "")
                if bare(sender) == me:  # replying to my own message goes to its recipients
                    sender = h.get("to", "")
                out.to = parse_addresses([sender], "to") if sender else []
            if reply_all:
                seen = {bare(a) for a in out.to + out.cc} | {me}
                for addr in parse_addresses([x for x in (h.get("to"), h.get("cc")) if x], "cc"):
                    if bare(addr) not in seen:
                        out.cc.append(addr)
                        seen.add(bare(addr))
        if need_recipient and not (out.to or out.cc or out.bcc):
            raise InvalidInput("Give at least one recipient in to, cc or bcc (or reply_to_message_id).")
        out.sender = me
        return out

    async def history_id(self) -> str:
        """The mailbox's history id now: it moves with every change (what the poller compares)."""
        profile = await self._exec(lambda s: s.users().getProfile(userId="me"), "reading the profile")
        return str(profile.get("historyId", ""))

    async def history(self, start: str) -> tuple[list[dict[str, Any]], str]:
        """Every change since history id `start` (all pages), and the mailbox's history id after them.
        NotFound when `start` is too old for Google to keep: read the mailbox afresh."""
        entries: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            args: dict[str, Any] = {"userId": "me", "startHistoryId": start, "maxResults": 500}
            if page:
                args["pageToken"] = page
            got = await self._exec(lambda s, a=args: s.users().history().list(**a), "reading the mailbox's changes")
            entries += got.get("history") or []
            page = got.get("nextPageToken")
            if not page:
                return entries, str(got.get("historyId") or start)

    async def watch(self, topic: str, label_ids: list[str]) -> dict[str, Any]:
        """users.watch: Gmail publishes each change to the Pub/Sub topic for 7 days (calling it again renews)."""
        body: dict[str, Any] = {"topicName": topic}
        if label_ids:
            body.update(labelIds=label_ids, labelFilterBehavior="include")
        return dict(await self._exec(lambda s: s.users().watch(userId="me", body=body), "starting the mailbox watch"))

    async def stop_watch(self) -> None:
        await self._exec(lambda s: s.users().stop(userId="me"), "stopping the mailbox watch")

    async def my_address(self) -> str:
        """The signed-in address, read once."""
        if self._me is None:
            profile = await self._exec(lambda s: s.users().getProfile(userId="me"), "reading the profile")
            self._me = str(profile["emailAddress"]).lower()
        return self._me

    async def send(self, raw: str, thread_id: str | None, subject: str) -> SentMessage:
        """Send the exact message the person approved (base64url MIME), at most once."""
        body: dict[str, Any] = {"raw": raw}
        if thread_id:
            body["threadId"] = thread_id
        sent = await self.client.execute(
            "gmail",
            lambda s: s.users().messages().send(userId="me", body=body),
            what="sending mail",
            retry=False,
            check=f"search Gmail for in:sent subject:({subject})"
            if subject
            else "search Gmail for in:sent newer_than:1h",
        )
        labels = names_of(sent.get("labelIds", []), self.cached_names())
        return SentMessage(status="sent", id=sent["id"], thread_id=sent["threadId"], labels=labels)

    async def create_draft(self, raw: str, thread_id: str | None, subject: str) -> DraftCreated:
        message: dict[str, Any] = {"raw": raw}
        if thread_id:
            message["threadId"] = thread_id
        draft = await self.client.execute(
            "gmail",
            lambda s: s.users().drafts().create(userId="me", body={"message": message}),
            what="creating a draft",
            retry=False,
            check=f"search Gmail for in:drafts subject:({subject})" if subject else "look in Gmail's drafts",
        )
        return DraftCreated(
            status="draft_created",
            draft_id=draft["id"],
            message_id=draft["message"]["id"],
            thread_id=draft["message"].get("threadId", ""),
        )

    async def resolve_labels(self, names: list[str]) -> list[str]:
        if not names:
            return []
        labels = await self.labels()
        by_id = {lb["id"]: lb["id"] for lb in labels}
        by_name = {lb["name"].lower(): lb["id"] for lb in labels}
        out = []
        for name in names:
            key = name.strip()
            found = by_id.get(key) or by_name.get(key.lower()) or system_id(key)
            if not found:
                known = ", ".join(sorted(lb["name"] for lb in labels if lb.get("type") == "user"))
                raise InvalidInput(
                    f"Unknown label {name!r}. User labels: {known}. System labels: inbox, unread, "
                    "starred, important, spam, trash, category:promotions (and the other categories)."
                )
            out.append(found)
        return out

    async def prepare_labels(
        self, message_ids: list[str], thread_ids: list[str], add: list[str], remove: list[str]
    ) -> tuple[list[str], list[str]]:
        """Check a label change before anything is done; returns the label ids to add and to remove."""
        for i in message_ids:
            check_id(i, "message_id")
        for i in thread_ids:
            check_id(i, "thread_id")
        if not message_ids and not thread_ids:
            raise InvalidInput("Give message_ids or thread_ids.")
        add_ids, remove_ids = await self.resolve_labels(add), await self.resolve_labels(remove)
        if not add_ids and not remove_ids:
            raise InvalidInput(
                "Give labels to add or remove (e.g. remove ['UNREAD'] to mark read, "
                "remove ['INBOX'] to archive, add ['STARRED'] to star)."
            )
        if set(add_ids) & set(remove_ids):
            raise InvalidInput("A label cannot be both added and removed.")
        return add_ids, remove_ids

    async def thread_messages(self, thread_id: str) -> tuple[str, list[str]]:
        """A conversation's subject and the ids of its messages (one small read)."""
        check_id(thread_id, "thread_id")
        t = await self._exec(
            lambda s: (
                s.users().threads().get(userId="me", id=thread_id, format="metadata", metadataHeaders=["Subject"])
            ),
            f"reading thread {thread_id}",
        )
        msgs = t.get("messages", [])
        subject = headers_of(msgs[0].get("payload", {})).get("subject", "") if msgs else ""
        return subject, [m["id"] for m in msgs]

    async def unchanged(self, threads: dict[str, list[str]]) -> None:
        """Refuse when a conversation gained or lost messages since the person saw the preview."""
        for tid, shown in threads.items():
            t = await self._exec(
                lambda s, tid=tid: s.users().threads().get(userId="me", id=tid, format="minimal"),
                f"checking thread {tid}",
            )
            now = [m["id"] for m in t.get("messages", [])]
            if sorted(now) != sorted(shown):
                raise TargetChanged(
                    f"The conversation {tid} changed since the preview ({len(shown)} message(s) then, "
                    f"{len(now)} now); nothing was done."
                )

    async def apply_labels(
        self,
        message_ids: list[str],
        thread_ids: list[str],
        add_ids: list[str],
        remove_ids: list[str],
        threads: dict[str, list[str]] | None = None,
    ) -> LabelsModified:
        """Carry out a change `prepare_labels` accepted, on messages the preview has read (so they exist:
        batchModify would silently skip unknown ids)."""
        await self.unchanged(threads or {})
        body = {"addLabelIds": add_ids, "removeLabelIds": remove_ids}
        if message_ids:
            await self._exec(
                lambda s: s.users().messages().batchModify(userId="me", body={"ids": message_ids, **body}),
                "changing labels",
            )
        for tid in thread_ids:
            await self._exec(
                lambda s, tid=tid: s.users().threads().modify(userId="me", id=tid, body=body),
                f"changing labels of thread {tid}",
            )
        names = await self.names_for(add_ids + remove_ids, float("inf"))
        return LabelsModified(
            status="modified",
            message_ids=message_ids,
            thread_ids=thread_ids,
            added=names_of(add_ids, names),
            removed=names_of(remove_ids, names),
        )

    async def _exist(self, message_ids: list[str]) -> list[dict[str, Any]]:
        got = await self._metadata(message_ids, SUMMARY_HEADERS, "checking messages")
        missing = [mid for mid in message_ids if not isinstance(got.get(mid), dict)]
        if missing:
            raise NotFound(f"No message with id {', '.join(missing)}. Nothing was changed; use ids from gmail_search.")
        return [got[mid] for mid in message_ids]

    async def describe_messages(self, message_ids: list[str]) -> list[MessageSummary]:
        return [self._summary(m, self.cached_names()) for m in await self._exist(message_ids)]

    async def trash(
        self, message_ids: list[str], thread_ids: list[str], threads: dict[str, list[str]] | None = None
    ) -> Trashed:
        for i in message_ids:
            check_id(i, "message_id")
        for i in thread_ids:
            check_id(i, "thread_id")
        if not message_ids and not thread_ids:
            raise InvalidInput("Give message_ids or thread_ids to move to the trash.")
        await self.unchanged(threads or {})
        for mid in message_ids:
            await self._exec(
                lambda s, mid=mid: s.users().messages().trash(userId="me", id=mid), f"trashing message {mid}"
            )
        for tid in thread_ids:
            await self._exec(
                lambda s, tid=tid: s.users().threads().trash(userId="me", id=tid), f"trashing thread {tid}"
            )
        return Trashed(status="trashed", message_ids=message_ids, thread_ids=thread_ids)
